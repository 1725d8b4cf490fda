//! Scans answered entirely from local zone data (rbldnsd files in memory):
//! no DNS, no futures, one address after another in input order. A miss
//! costs a lookup per zone and nothing else; a report is built only for an
//! address that is listed (or, with `keep_clean`, for every address).

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Zone;
use crate::dns::{Outcome, Record};
use crate::dnsbl::{Probe, zone_result};
use crate::report::{Report, ScanStats, Status};
use crate::target::{Target, TargetKind};
use crate::zonedata;

/// How often (in addresses) progress is reported when nothing is listed.
const PROGRESS_EVERY: u64 = 1 << 16;

/// The zones of a local scan: each catalog zone with its data and what its
/// test points showed (answered from the same data).
pub struct LocalScan<'a> {
    /// (catalog zone, its data, its IPv4 test points), in catalog order.
    pub zones: Vec<(&'a Zone, &'a zonedata::Zone, Probe)>,
}

/// What to do with each address's outcome.
pub enum Emit<'r> {
    /// A report to write.
    Report(&'r Report),
    /// No report (a clean address the caller does not keep): counters only.
    Progress,
}

impl LocalScan<'_> {
    /// Whether every zone's NXDOMAIN means not listed: then a clean address
    /// is clean and needs no report unless asked for.
    fn clean_is_clean(&self) -> bool {
        self.zones.iter().all(|(_, _, p)| p.trusts_nxdomain())
    }

    /// Scans `addresses` (IPv4, host order, input order). `emit` gets every
    /// report of a listed or incomplete address, and of a clean one when
    /// `keep_clean`; otherwise a progress tick now and then. Stops when
    /// `stop` is set (after the complete reports) or `emit` fails.
    pub fn run(
        &self,
        addresses: impl Iterator<Item = u32>,
        keep_clean: bool,
        stop: &AtomicBool,
        mut emit: impl FnMut(Emit<'_>, &ScanStats) -> io::Result<()>,
    ) -> io::Result<ScanStats> {
        let mut stats = super::scan_stats(self.zones.iter().map(|(z, _, _)| *z));
        let skip_clean = !keep_clean && self.clean_is_clean();
        for ip in addresses {
            if stats.targets.is_multiple_of(PROGRESS_EVERY) && stop.load(Ordering::Relaxed) {
                stats.interrupted = true;
                break;
            }
            if skip_clean && !self.zones.iter().any(|(_, d, _)| d.is_listed_v4(ip)) {
                stats.targets += 1;
                stats.clean += 1;
                if stats.targets.is_multiple_of(PROGRESS_EVERY) {
                    emit(Emit::Progress, &stats)?;
                }
                continue;
            }
            let report = self.report(ip);
            stats.count(&report);
            emit(Emit::Report(&report), &stats)?;
        }
        Ok(stats)
    }

    /// The full report of one address, as the DNS path would give it.
    fn report(&self, ip: u32) -> Report {
        let target = Target::Ip(IpAddr::V4(Ipv4Addr::from(ip)));
        let results = self
            .zones
            .iter()
            .filter(|(z, _, _)| z.applies_to(TargetKind::Ip, false))
            .map(|(zone, data, probe)| {
                let listing = data.listing_v4(ip);
                let outcome = match &listing {
                    Some(l) => Outcome::Records(l.a.iter().copied().map(Record::A).collect()),
                    None => Outcome::NxDomain,
                };
                let mut r = zone_result(zone, &target, outcome);
                if let (Some(l), true) = (listing, r.status == Status::Listed && zone.txt) {
                    r.txt = l.txt;
                }
                probe.adjust(&mut r);
                r
            })
            .collect();
        Report::new(target.to_string(), TargetKind::Ip, results)
    }
}
