//! Verifying a diagnosis live: one function per thing a bounce can claim
//! (a list lists the IP, SPF fails, DMARC fails, reverse DNS is missing).
//! The list the bounce names is asked first and decides; other lists' hits
//! are reported as "also listed on", never as confirmation.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

use crate::bounce::{self, Cause, DkimSignature, NamedList};
use crate::catalog::{Catalog, Role, Zone};
use crate::config::EngineOptions;
use crate::dmarc::{self, DmarcReport, Policy};
use crate::dns::{Dns, Outcome, RecordType};
use crate::engine;
use crate::rdns::{self, Fcrdns, RdnsReport};
use crate::report::{Report, Status, Verdict, ZoneResult};
use crate::spf::{self, SpfOutput, SpfResult};
use crate::target::{Target, TargetKind};

crate::words::words! {
    /// Verification states.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum VerifyStatus {
        /// The cause is visible now.
        Confirmed = "confirmed",
        /// Checked, and the cause is not visible now.
        NotReproduced = "not_reproduced",
        /// Nothing to check, or DNS gave no usable answer (see `lookup_failed`).
        Unverifiable = "unverifiable",
        /// `--offline`.
        Skipped = "skipped",
    }
}

crate::words::words! {
    /// Whether a DKIM signature's public key is published.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum DkimKey {
        /// A key (`p=...`) is published at `selector._domainkey.domain`.
        Published = "published",
        /// The record exists with an empty `p=`: the key was revoked.
        Revoked = "revoked",
        /// No key record.
        Missing = "missing",
        /// The lookup gave no usable answer.
        Error = "error",
        /// Not looked up (`--offline`).
        Unchecked = "unchecked",
    }
}

/// A DKIM signature of the original mail and its key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DkimCheck {
    /// `d=`.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// Whether the key is published.
    pub key: DkimKey,
}

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// A zone's answer for the IP (or the sender domain).
    Zone(ZoneResult),
    /// SPF for the sender domain and the IP.
    Spf(SpfOutput),
    /// The sender domain's DMARC policy.
    Dmarc(DmarcReport),
    /// Reverse DNS of the IP.
    Rdns(RdnsReport),
    /// A DKIM signature's key.
    Dkim(DkimCheck),
}

/// What was checked live for one diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verification {
    /// confirmed, not_reproduced, unverifiable or skipped.
    pub status: VerifyStatus,
    /// A sentence saying what was seen.
    pub summary: String,
    /// True when the check could not be made for lack of DNS answers (exit 3).
    pub lookup_failed: bool,
    /// Block lists other than the named one that list the IP now.
    pub also_listed: Vec<String>,
    /// The evidence.
    pub details: Vec<Detail>,
}

impl Verification {
    fn new(status: VerifyStatus, summary: impl Into<String>) -> Verification {
        Verification {
            status,
            summary: summary.into(),
            lookup_failed: false,
            also_listed: Vec::new(),
            details: Vec::new(),
        }
    }

    fn failed(summary: impl Into<String>) -> Verification {
        Verification {
            lookup_failed: true,
            ..Verification::new(VerifyStatus::Unverifiable, summary)
        }
    }

    /// Nothing read, nothing checked.
    pub fn nothing() -> Verification {
        Verification::new(VerifyStatus::Unverifiable, "nothing to check")
    }
}

/// What a diagnosis asks to be checked.
enum Claim<'d> {
    /// A list lists the IP (the named one, if any).
    Listed(Option<&'d NamedList>),
    Spf,
    Dmarc,
    ReverseDns,
    /// Nothing public to check, and why.
    Nothing(&'static str),
}

fn claim(d: &bounce::Diagnosis) -> Claim<'_> {
    match d.cause {
        Cause::Blocklist => Claim::Listed(d.list.as_ref()),
        Cause::Spf => Claim::Spf,
        Cause::Dmarc => Claim::Dmarc,
        Cause::PolicyOther if d.reason.as_deref() == Some("reverse_dns") => Claim::ReverseDns,
        Cause::NotPolicy => Claim::Nothing("not a policy rejection: nothing in DNS to check"),
        _ => Claim::Nothing("nothing public to check for this cause"),
    }
}

/// Verifies diagnoses, asking each distinct question once.
pub struct Verifier<'a> {
    dns: Option<Arc<dyn Dns>>,
    catalog: &'a Catalog,
    selected: Vec<Zone>,
    opts: &'a EngineOptions,
    helo: Option<String>,
    lists: HashMap<(IpAddr, Option<String>), Report>,
    spf: HashMap<(IpAddr, String), SpfOutput>,
    dmarc: HashMap<(String, Option<String>), Option<DmarcReport>>,
    rdns: HashMap<IpAddr, RdnsReport>,
    dkim: HashMap<(String, String), DkimKey>,
}

impl<'a> Verifier<'a> {
    /// A verifier asking `dns` (None: `--offline`), with the selected zones
    /// for "also listed on".
    pub fn new(
        dns: Option<Arc<dyn Dns>>,
        catalog: &'a Catalog,
        selected: &[Zone],
        opts: &'a EngineOptions,
        helo: Option<String>,
    ) -> Verifier<'a> {
        Verifier {
            dns,
            catalog,
            selected: selected
                .iter()
                .filter(|z| z.targets == TargetKind::Ip)
                .cloned()
                .collect(),
            opts,
            helo,
            lists: HashMap::new(),
            spf: HashMap::new(),
            dmarc: HashMap::new(),
            rdns: HashMap::new(),
            dkim: HashMap::new(),
        }
    }

    /// The catalog lists are named from.
    pub fn catalog(&self) -> &'a Catalog {
        self.catalog
    }

    /// Checks what `d` claims; `sender` is the domain to check SPF or
    /// DMARC for. Reverse DNS of the IP is always part of the evidence.
    pub async fn verify(
        &mut self,
        d: &bounce::Diagnosis,
        sender: Option<&str>,
        report: &bounce::Report,
    ) -> Verification {
        let Some(dns) = self.dns.clone() else {
            return Verification::new(VerifyStatus::Skipped, "not checked (--offline)");
        };
        let claim = claim(d);
        let mut v = match (&claim, d.ip) {
            (Claim::Listed(named), Some(ip)) => self.lists(&dns, ip, *named, d).await,
            (Claim::Listed(_), None) => Verification::new(
                VerifyStatus::Unverifiable,
                "no client IP in the text (pass --ip) to check the lists with",
            ),
            (Claim::Spf, _) => self.spf_claim(&dns, d.ip, sender).await,
            (Claim::Dmarc, _) => self.dmarc_claim(&dns, d.ip, sender, report).await,
            (Claim::ReverseDns, Some(ip)) => rdns_claim(self.rdns(&dns, ip).await),
            (Claim::ReverseDns, None) => Verification::new(
                VerifyStatus::Unverifiable,
                "no client IP in the text (pass --ip) to check reverse DNS for",
            ),
            (Claim::Nothing(why), _) => Verification::new(VerifyStatus::Unverifiable, *why),
        };
        if let (Some(ip), false) = (d.ip, matches!(claim, Claim::ReverseDns)) {
            let r = self.rdns(&dns, ip).await;
            v.details.push(Detail::Rdns(r));
        }
        v
    }

    /// The named list decides; without one, any block list listing the IP
    /// confirms a generic "blocklisted".
    async fn lists(
        &mut self,
        dns: &Arc<dyn Dns>,
        ip: IpAddr,
        named: Option<&NamedList>,
        d: &bounce::Diagnosis,
    ) -> Verification {
        let zone = match named.map(|n| self.zone_for(n)) {
            Some(Ok(z)) => Some(z),
            Some(Err(why)) => {
                let mut v = self.without_named(dns, ip).await;
                v.status = VerifyStatus::Unverifiable;
                v.summary = format!("{why}; {}", v.summary);
                return v;
            }
            None => None,
        };
        let Some(zone) = zone else {
            return self.without_named(dns, ip).await;
        };
        let report = self.check_ip(dns, ip, Some(&zone)).await;
        let named_result = report.results.iter().find(|r| r.zone == zone.zone);
        let mut v = named_verdict(ip, &zone, named_result, d.receiver_misconfigured);
        v.also_listed = block_listings(&report)
            .filter(|r| r.zone != zone.zone)
            .map(|r| r.zone.clone())
            .collect();
        if !v.also_listed.is_empty() {
            v.summary.push_str(&format!(
                "; also listed on {} (not what this receiver named)",
                v.also_listed.join(", ")
            ));
        }
        v.details
            .extend(report.results.into_iter().map(Detail::Zone));
        v
    }

    /// The zone to ask for a named list: the catalog's (a keyed zone's
    /// public mirror), or the name itself for a list the catalog lacks.
    fn zone_for(&self, n: &NamedList) -> Result<Zone, String> {
        if let Some(q) = &n.query
            && let Some(z) = self.catalog.zones.iter().find(|z| &z.zone == q)
        {
            return Ok(z.clone());
        }
        if n.zone.is_some() {
            return Err(format!(
                "{} needs the receiver's key and has no public mirror to check",
                bounce::mask_dqs(&n.name)
            ));
        }
        Zone::unlisted(&n.name).ok_or_else(|| format!("'{}' is not a DNS zone to ask", n.name))
    }

    /// No list named: the catalog's block lists.
    async fn without_named(&mut self, dns: &Arc<dyn Dns>, ip: IpAddr) -> Verification {
        let report = self.check_ip(dns, ip, None).await;
        let listed: Vec<String> = block_listings(&report).map(|r| r.zone.clone()).collect();
        let mut v = if !listed.is_empty() {
            Verification::new(
                VerifyStatus::Confirmed,
                format!("{ip} is listed now on {}", listed.join(", ")),
            )
        } else if report.verdict == Verdict::Clean {
            Verification::new(
                VerifyStatus::NotReproduced,
                format!(
                    "{ip} is not listed on any of {} lists now",
                    report.results.len()
                ),
            )
        } else {
            Verification::failed(format!(
                "{ip} is not listed where asked, but some lists gave no usable answer"
            ))
        };
        v.details
            .extend(report.results.into_iter().map(Detail::Zone));
        v
    }

    /// The IP against the named zone (first) and the selected IP zones.
    async fn check_ip(&mut self, dns: &Arc<dyn Dns>, ip: IpAddr, named: Option<&Zone>) -> Report {
        let key = (ip, named.map(|z| z.query_zone.clone()));
        if let Some(r) = self.lists.get(&key) {
            return r.clone();
        }
        let mut zones = self.selected.clone();
        if let Some(n) = named {
            zones.retain(|z| z.query_zone != n.query_zone);
            zones.insert(0, n.clone());
        }
        let report = engine::check(Arc::clone(dns), &zones, &[Target::Ip(ip)], self.opts)
            .await
            .pop()
            .unwrap_or_else(|| Report::new(ip.to_string(), TargetKind::Ip, Vec::new()));
        self.lists.insert(key, report.clone());
        report
    }

    async fn spf(&mut self, dns: &Arc<dyn Dns>, ip: IpAddr, domain: &str) -> SpfOutput {
        let key = (ip, domain.to_string());
        if let Some(s) = self.spf.get(&key) {
            return s.clone();
        }
        let req = spf::Request::for_domain(ip, domain, None, self.helo.as_deref());
        let out = spf::check_host(dns.as_ref(), &req).await;
        self.spf.insert(key, out.clone());
        out
    }

    async fn spf_claim(
        &mut self,
        dns: &Arc<dyn Dns>,
        ip: Option<IpAddr>,
        domain: Option<&str>,
    ) -> Verification {
        let (Some(ip), Some(domain)) = (ip, domain) else {
            return Verification::new(
                VerifyStatus::Unverifiable,
                "the client IP and the sender domain are both needed to check SPF (pass --ip, --sender)",
            );
        };
        let s = self.spf(dns, ip, domain).await;
        let said = format!("SPF for {} and {} is {} now", s.domain, s.ip, s.result);
        let mut v = match s.result {
            SpfResult::Fail | SpfResult::SoftFail | SpfResult::PermError => {
                Verification::new(VerifyStatus::Confirmed, said)
            }
            SpfResult::TempError => Verification::failed(format!(
                "SPF for {} gave temperror (no usable DNS answer)",
                s.domain
            )),
            _ => Verification::new(VerifyStatus::NotReproduced, said),
        };
        v.details.push(Detail::Spf(s));
        v
    }

    async fn dmarc(
        &mut self,
        dns: &Arc<dyn Dns>,
        from: &str,
        spf_pass: Option<&str>,
    ) -> Option<DmarcReport> {
        let key = (from.to_string(), spf_pass.map(str::to_string));
        if let Some(d) = self.dmarc.get(&key) {
            return d.clone();
        }
        let d = dmarc::check(dns.as_ref(), from, spf_pass).await;
        self.dmarc.insert(key, d.clone());
        d
    }

    /// DMARC judges the From: domain: SPF must pass for an aligned envelope
    /// domain, or DKIM for an aligned d=. A DKIM signature cannot be
    /// verified from a bounce (the body is gone), only its key's presence.
    async fn dmarc_claim(
        &mut self,
        dns: &Arc<dyn Dns>,
        ip: Option<IpAddr>,
        from: Option<&str>,
        report: &bounce::Report,
    ) -> Verification {
        let Some(from) = from else {
            return Verification::new(
                VerifyStatus::Unverifiable,
                "no sender domain in the text (pass --sender) to check DMARC with",
            );
        };
        let envelope = report
            .envelope_sender_domain
            .clone()
            .or(report.original.return_path_domain.clone())
            .unwrap_or_else(|| from.to_string());
        let spf_out = match ip {
            Some(ip) => Some(self.spf(dns, ip, &envelope).await),
            None => None,
        };
        let spf_pass = spf_out
            .as_ref()
            .filter(|s| s.result == SpfResult::Pass)
            .map(|_| envelope.as_str());
        let policy = self.dmarc(dns, from, spf_pass).await;
        let dkim = self.dkim_keys(&report.original.dkim).await;
        let mut v = dmarc_verdict(from, policy.as_ref(), &dkim, spf_out.is_some());
        v.details.extend(policy.map(Detail::Dmarc));
        v.details.extend(spf_out.map(Detail::Spf));
        v.details.extend(dkim.into_iter().map(Detail::Dkim));
        v
    }

    async fn rdns(&mut self, dns: &Arc<dyn Dns>, ip: IpAddr) -> RdnsReport {
        if let Some(r) = self.rdns.get(&ip) {
            return r.clone();
        }
        let r = rdns::check(dns.as_ref(), ip).await;
        self.rdns.insert(ip, r.clone());
        r
    }

    /// Whether each signature's key is published (`unchecked` offline).
    pub async fn dkim_keys(&mut self, sigs: &[DkimSignature]) -> Vec<DkimCheck> {
        let mut out = Vec::new();
        for s in sigs {
            let key = (
                s.selector.to_ascii_lowercase(),
                s.domain.to_ascii_lowercase(),
            );
            let state = match (self.dkim.get(&key), &self.dns) {
                (Some(k), _) => *k,
                (None, None) => DkimKey::Unchecked,
                (None, Some(dns)) => {
                    let name = format!("{}._domainkey.{}", key.0, key.1);
                    let k = dkim_key(&dns.lookup(&name, RecordType::Txt).await);
                    self.dkim.insert(key, k);
                    k
                }
            };
            out.push(DkimCheck {
                domain: s.domain.clone(),
                selector: s.selector.clone(),
                key: state,
            });
        }
        out
    }
}

/// A DKIM key record's state from its TXT lookup.
fn dkim_key(outcome: &Outcome) -> DkimKey {
    match outcome {
        Outcome::Failed(_) => DkimKey::Error,
        Outcome::NxDomain | Outcome::NoData => DkimKey::Missing,
        Outcome::Records(_) => {
            let p = outcome.txts().iter().find_map(|t| {
                t.split(';')
                    .map(str::trim)
                    .find_map(|tag| tag.strip_prefix("p=").map(|v| v.trim().to_string()))
            });
            match p {
                Some(v) if !v.is_empty() => DkimKey::Published,
                Some(_) => DkimKey::Revoked,
                None => DkimKey::Missing,
            }
        }
    }
}

fn block_listings(report: &Report) -> impl Iterator<Item = &ZoneResult> {
    report
        .results
        .iter()
        .filter(|r| r.status == Status::Listed && r.role == Role::Block)
}

/// What the named list's answer says about the bounce's claim.
fn named_verdict(
    ip: IpAddr,
    zone: &Zone,
    result: Option<&ZoneResult>,
    misconfigured: bool,
) -> Verification {
    let Some(r) = result else {
        return Verification::failed(format!("{} was not asked", zone.zone));
    };
    match r.status {
        Status::Listed => Verification::new(
            VerifyStatus::Confirmed,
            format!(
                "{ip} is listed on {} now ({})",
                r.zone,
                r.meanings.join("; ")
            ),
        ),
        Status::NotListed if misconfigured => Verification::new(
            VerifyStatus::NotReproduced,
            format!(
                "{ip} is not listed on {}: the receiver's own resolver was refused by the list, so its rejection does not show a listing",
                r.zone
            ),
        ),
        Status::NotListed => Verification::new(
            VerifyStatus::NotReproduced,
            format!("{ip} is not listed on {} now", r.zone),
        ),
        Status::Unusable | Status::Error => Verification::failed(format!(
            "{} gave no usable answer ({}), so the listing the receiver names cannot be checked from here",
            r.zone,
            r.detail.as_deref().unwrap_or(r.status.as_str())
        )),
    }
}

/// DMARC's verdict from the policy, SPF alignment and the DKIM keys.
fn dmarc_verdict(
    from: &str,
    policy: Option<&DmarcReport>,
    dkim: &[DkimCheck],
    spf_checked: bool,
) -> Verification {
    let Some(d) = policy else {
        return Verification::new(
            VerifyStatus::NotReproduced,
            format!("{from} publishes no DMARC policy now"),
        );
    };
    if d.lookup_failed() {
        let why = d
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Verification::failed(why);
    }
    let strict = d.adkim == Some(dmarc::Alignment::Strict);
    let aligned_key = dkim
        .iter()
        .any(|k| k.key == DkimKey::Published && dmarc::aligned(&k.domain, from, strict));
    let p = d.policy.map_or("?", Policy::as_str);
    let enforcing = matches!(d.policy, Some(Policy::Reject | Policy::Quarantine));
    let spf = if !spf_checked {
        "SPF could not be checked (no client IP)"
    } else if d.aligned {
        "SPF passes for an aligned domain"
    } else {
        "SPF does not pass for an aligned domain"
    };
    if d.aligned {
        return Verification::new(
            VerifyStatus::NotReproduced,
            format!("{from} has p={p} and SPF aligns now"),
        );
    }
    if !enforcing {
        return Verification::new(
            VerifyStatus::NotReproduced,
            format!("{from} has p={p}: DMARC does not ask receivers to refuse ({spf})"),
        );
    }
    if aligned_key {
        return Verification::new(
            VerifyStatus::Unverifiable,
            format!(
                "{from} has p={p} and {spf}; an aligned DKIM key is published, but whether the signature verified cannot be checked without the message body"
            ),
        );
    }
    Verification::new(
        VerifyStatus::Confirmed,
        format!(
            "{from} has p={p}, {spf}, and no aligned DKIM key is published for the original's signatures"
        ),
    )
}

fn rdns_claim(r: RdnsReport) -> Verification {
    let mut v = match r.fcrdns {
        Fcrdns::None | Fcrdns::Fail => Verification::new(
            VerifyStatus::Confirmed,
            r.detail.clone().unwrap_or_default(),
        ),
        Fcrdns::Pass => Verification::new(
            VerifyStatus::NotReproduced,
            format!("forward-confirmed reverse DNS now ({})", r.ptr.join(", ")),
        ),
        Fcrdns::Error => Verification::failed(r.detail.clone().unwrap_or_default()),
    };
    v.details.push(Detail::Rdns(r));
    v
}
