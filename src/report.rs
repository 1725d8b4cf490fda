//! The data model of every report. JSON is serde applied to these types; the
//! human renderer formats the same values. Field names are stable.

use serde::Serialize;

use crate::catalog::Role;
use crate::target::TargetKind;

crate::words::words! {
/// The status of one zone for one target (ARCHITECTURE.md, "Invariants").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// The zone answered with a listing code in 127.0.0.0/8.
    Listed = "listed",
    /// The zone answered with one of its error codes, or its NXDOMAIN cannot
    /// be trusted (its test point is not listed through this resolver).
    Unusable = "unusable",
    /// No usable answer: timeout, SERVFAIL, REFUSED, network error, or an
    /// answer outside 127.0.0.0/8.
    Error = "error",
    /// NXDOMAIN or NODATA from a zone that proved it answers.
    NotListed = "not_listed",
}
}

crate::words::words! {
/// The verdict for one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A block list lists it.
    Listed = "listed",
    /// Nothing lists it, but some lookups gave no usable answer.
    Incomplete = "incomplete",
    /// Every selected zone answered and no block list lists it.
    Clean = "clean",
}
}

crate::words::words! {
    /// A change worth telling someone about.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ChangeKind {
        /// The zone lists the target now and did not before.
        Listed = "listed",
        /// The zone listed the target and now answers that it does not.
        Delisted = "delisted",
    }
}

/// One zone's answer for one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ZoneResult {
    /// The DNS zone queried.
    pub zone: String,
    /// The list's human name.
    pub name: String,
    /// block, allow or info.
    pub role: Role,
    /// The query name sent.
    pub query: String,
    /// listed, not_listed, unusable or error.
    pub status: Status,
    /// The A records of the answer, as text.
    pub answers: Vec<String>,
    /// What each listing (or error) code means, from the catalog.
    pub meanings: Vec<String>,
    /// TXT records fetched for a listing (zones with `txt = true`).
    pub txt: Vec<String>,
    /// Why a result is unusable or an error, or a note on a listing.
    pub detail: Option<String>,
    /// The list's lookup or delisting page for this target.
    pub lookup_url: Option<String>,
    /// The nameserver that answered (`IP:PORT`); null when the answer came
    /// from local data or no server answered.
    pub resolver: Option<String>,
    /// With `--state`: when the current listing was first seen (RFC 3339);
    /// absent without a state database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed_since: Option<String>,
    /// With `--state`: `listed` or `delisted` when that changed since the
    /// last run; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeKind>,
}

/// The report for one target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The target as checked (IPs in canonical form, domains in ASCII).
    pub target: String,
    /// ip or domain.
    pub kind: TargetKind,
    /// listed, incomplete or clean.
    pub verdict: Verdict,
    /// One result per zone queried: listed first, then unusable, error, not_listed.
    pub results: Vec<ZoneResult>,
    /// The sender side (SPF, DMARC, reverse DNS) when `check --sender` is given.
    pub sender: Option<SenderReport>,
    /// Where the target came from (`check --infra`: "MX mx1.example.org",
    /// "SPF include:_spf.example.net ip4:192.0.2.0/28"); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

impl Report {
    /// Builds a report, ordering the results and computing the verdict.
    pub fn new(target: String, kind: TargetKind, mut results: Vec<ZoneResult>) -> Report {
        // Stable sort keeps catalog order within each status.
        results.sort_by_key(|r| r.status);
        let verdict = verdict(&results);
        Report {
            target,
            kind,
            verdict,
            results,
            sender: None,
            sources: Vec::new(),
        }
    }
}

crate::words::words! {
    /// What the sender side alone says (`sender.verdict`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum SenderVerdict {
        /// SPF fails, or a block list lists the sender domain: receivers
        /// refuse such mail (exit 1).
        Refused = "refused",
        /// Nothing refuses it, but some lookup gave no usable answer: SPF
        /// temperror, DMARC or reverse DNS lookup failed, a domain list
        /// unusable or in error (exit 3).
        Incomplete = "incomplete",
        /// Every lookup answered and nothing refuses it.
        Ok = "ok",
    }
}

/// The sender side of a 5.7.1 for one IP (`check --sender DOMAIN`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SenderReport {
    /// The sender domain.
    pub domain: String,
    /// refused, incomplete or ok.
    pub verdict: SenderVerdict,
    /// The HELO name given with `--helo` (SPF's `%{h}`), if any.
    pub helo: Option<String>,
    /// SPF for this IP and the sender domain.
    pub spf: crate::spf::SpfOutput,
    /// The domain's DMARC policy and alignment; null when it has no record.
    pub dmarc: Option<crate::dmarc::DmarcReport>,
    /// Reverse DNS of the IP.
    pub rdns: crate::rdns::RdnsReport,
    /// Domain-list results for the sender domain.
    pub results: Vec<ZoneResult>,
}

impl SenderReport {
    /// Builds the sender report and works out its verdict.
    pub fn new(
        domain: String,
        helo: Option<String>,
        spf: crate::spf::SpfOutput,
        dmarc: Option<crate::dmarc::DmarcReport>,
        rdns: crate::rdns::RdnsReport,
        results: Vec<ZoneResult>,
    ) -> SenderReport {
        let mut r = SenderReport {
            domain,
            verdict: SenderVerdict::Ok,
            helo,
            spf,
            dmarc,
            rdns,
            results,
        };
        r.verdict = if r.refused() {
            SenderVerdict::Refused
        } else if r.incomplete() {
            SenderVerdict::Incomplete
        } else {
            SenderVerdict::Ok
        };
        r
    }

    /// Whether the sender side alone would get mail refused: SPF fail, or
    /// the domain on a block list.
    fn refused(&self) -> bool {
        self.spf.result == crate::spf::SpfResult::Fail
            || self
                .results
                .iter()
                .any(|r| r.status == Status::Listed && r.role == Role::Block)
    }

    /// Whether something on the sender side gave no usable answer.
    fn incomplete(&self) -> bool {
        self.spf.result == crate::spf::SpfResult::TempError
            || self.rdns.fcrdns == crate::rdns::Fcrdns::Error
            || self
                .dmarc
                .as_ref()
                .is_some_and(crate::dmarc::DmarcReport::lookup_failed)
            || self
                .results
                .iter()
                .any(|r| matches!(r.status, Status::Unusable | Status::Error))
    }
}

/// The verdict (README, "What the statuses mean"): `listed` if a block zone lists it; else `incomplete` if any zone
/// was unusable or failed, or no zone applied at all; else `clean`.
pub fn verdict(results: &[ZoneResult]) -> Verdict {
    if results
        .iter()
        .any(|r| r.status == Status::Listed && r.role == Role::Block)
    {
        Verdict::Listed
    } else if results.is_empty()
        || results
            .iter()
            .any(|r| matches!(r.status, Status::Unusable | Status::Error))
    {
        Verdict::Incomplete
    } else {
        Verdict::Clean
    }
}

/// The process exit status (README, "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// 0: clean.
    Clean,
    /// 1: listed on at least one block list.
    Listed,
    /// 2: bad input, usage or configuration error.
    Usage,
    /// 3: nothing listed, but some lookups gave no usable answer.
    Incomplete,
    /// 130: a scan was interrupted by Ctrl-C (after flushing complete reports).
    Interrupted,
    /// A Nagios/Icinga plugin's exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Plugin(u8),
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Listed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Incomplete => 3,
            ExitStatus::Interrupted => 130,
            ExitStatus::Plugin(code) => code,
        }
    }

    /// The exit status of `check` reports, counting the sender side: a
    /// listing or an SPF fail wins, then anything incomplete.
    pub fn from_reports(reports: &[Report]) -> ExitStatus {
        let sender =
            |r: &Report, v: SenderVerdict| r.sender.as_ref().is_some_and(|s| s.verdict == v);
        let listed = reports
            .iter()
            .any(|r| r.verdict == Verdict::Listed || sender(r, SenderVerdict::Refused));
        let incomplete = reports
            .iter()
            .any(|r| r.verdict == Verdict::Incomplete || sender(r, SenderVerdict::Incomplete));
        if listed {
            ExitStatus::Listed
        } else if incomplete {
            ExitStatus::Incomplete
        } else {
            ExitStatus::Clean
        }
    }

    /// The exit status of a scan: interrupted, else listed wins, then incomplete.
    pub fn from_scan(stats: &ScanStats) -> ExitStatus {
        if stats.interrupted {
            ExitStatus::Interrupted
        } else if stats.listed > 0 {
            ExitStatus::Listed
        } else if stats.incomplete > 0 {
            ExitStatus::Incomplete
        } else {
            ExitStatus::Clean
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(role: Role, status: Status) -> ZoneResult {
        ZoneResult {
            zone: "z.example".into(),
            name: "Z".into(),
            role,
            query: "2.0.0.127.z.example".into(),
            status,
            answers: vec![],
            meanings: vec![],
            txt: vec![],
            detail: None,
            lookup_url: None,
            resolver: None,
            listed_since: None,
            change: None,
        }
    }

    #[test]
    fn verdicts_follow_the_contract() {
        use Status::*;
        let cases = [
            (
                vec![(Role::Block, Listed), (Role::Block, Error)],
                Verdict::Listed,
            ),
            (
                vec![(Role::Allow, Listed), (Role::Block, NotListed)],
                Verdict::Clean,
            ),
            (vec![(Role::Info, Listed)], Verdict::Clean),
            (
                vec![(Role::Block, NotListed), (Role::Block, Unusable)],
                Verdict::Incomplete,
            ),
            (
                vec![(Role::Allow, Error), (Role::Block, NotListed)],
                Verdict::Incomplete,
            ),
            (vec![(Role::Block, NotListed)], Verdict::Clean),
            (vec![], Verdict::Incomplete),
        ];
        for (rs, want) in cases {
            let rs: Vec<_> = rs.into_iter().map(|(r, s)| result(r, s)).collect();
            assert_eq!(verdict(&rs), want, "{rs:?}");
        }
    }

    #[test]
    fn results_are_ordered_listed_first() {
        let r = Report::new(
            "192.0.2.1".into(),
            TargetKind::Ip,
            vec![
                result(Role::Block, Status::NotListed),
                result(Role::Block, Status::Error),
                result(Role::Block, Status::Listed),
                result(Role::Block, Status::Unusable),
            ],
        );
        let order: Vec<_> = r.results.iter().map(|r| r.status).collect();
        assert_eq!(
            order,
            [
                Status::Listed,
                Status::Unusable,
                Status::Error,
                Status::NotListed
            ]
        );
    }

    #[test]
    fn exit_status_prefers_interrupted_then_listed_then_incomplete() {
        let stats = |listed, incomplete, interrupted| ScanStats {
            listed,
            incomplete,
            interrupted,
            ..ScanStats::default()
        };
        let status = |s: ScanStats| ExitStatus::from_scan(&s);
        assert_eq!(status(stats(1, 1, true)), ExitStatus::Interrupted);
        assert_eq!(status(stats(1, 1, false)), ExitStatus::Listed);
        assert_eq!(status(stats(0, 1, false)), ExitStatus::Incomplete);
        assert_eq!(status(stats(0, 0, false)), ExitStatus::Clean);
    }
}

/// One zone's test-point check in one family (`zones --health`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthReport {
    /// The zone.
    pub zone: String,
    /// The list's human name.
    pub name: String,
    /// ipv4, ipv6 or domain.
    pub family: crate::target::Family,
    /// healthy, lists_everything, refuses, not_answering or test_point_missing.
    pub health: Health,
    /// Why, in a sentence.
    pub detail: String,
    /// The positive test point's result.
    pub positive: ZoneResult,
    /// The negative test point's result.
    pub negative: ZoneResult,
    /// The nameserver the test points went to.
    pub resolver: Option<String>,
}

crate::words::words! {
/// The health of a zone, from its test points (`zones --health`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Lists the positive test point, not the negative one.
    Healthy = "healthy",
    /// Lists the negative test point too (or answers outside 127/8): dead or wildcarded.
    ListsEverything = "lists_everything",
    /// Answers the test point with an error code (e.g. public resolver blocked).
    Refuses = "refuses",
    /// Timeout, SERVFAIL, REFUSED or network error.
    NotAnswering = "not_answering",
    /// NXDOMAIN for the positive test point: the list or the resolver hides answers.
    TestPointMissing = "test_point_missing",
}
}

/// Per-zone counters of a scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ZoneCounts {
    /// The zone.
    pub zone: String,
    /// Targets it listed.
    pub listed: u64,
    /// Targets for which it was unusable.
    pub unusable: u64,
    /// Targets for which it gave no usable answer.
    pub error: u64,
}

/// What a scan did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScanStats {
    /// Targets with a complete report.
    pub targets: u64,
    /// Targets listed on a block list.
    pub listed: u64,
    /// Targets not listed where asked but with lookups that gave no usable answer.
    pub incomplete: u64,
    /// Clean targets.
    pub clean: u64,
    /// Per zone, in catalog order.
    pub zones: Vec<ZoneCounts>,
    /// True when Ctrl-C stopped the scan early.
    pub interrupted: bool,
}

/// A finished (or interrupted) scan: its counters and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanSummary {
    /// The counters.
    pub stats: ScanStats,
    /// Queries sent.
    pub queries: u64,
    /// Wall time.
    pub elapsed: std::time::Duration,
}

impl ScanStats {
    /// Counts a report.
    pub fn count(&mut self, report: &Report) {
        self.targets += 1;
        match report.verdict {
            Verdict::Listed => self.listed += 1,
            Verdict::Incomplete => self.incomplete += 1,
            Verdict::Clean => self.clean += 1,
        }
        for r in &report.results {
            if let Some(c) = self.zones.iter_mut().find(|c| c.zone == r.zone) {
                match r.status {
                    Status::Listed => c.listed += 1,
                    Status::Unusable => c.unusable += 1,
                    Status::Error => c.error += 1,
                    Status::NotListed => {}
                }
            }
        }
    }
}
