//! The only place with concurrency. Every lookup of a run (the zones' test
//! points and every zone x target query) goes through one bounded stream, so
//! checking 10 IPs against 20 zones takes about one round trip (plus a TXT
//! round trip for listings, plus one timeout at worst), not their sum.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::catalog::Zone;
use crate::dns::Dns;
use crate::dnsbl::{Family, Probe, check_zone};
use crate::report::{Report, SenderReport, ZoneResult};
use crate::target::Target;

/// Default number of queries in flight. A burst of a few hundred back-to-back
/// UDP queries overflows a server's receive buffer on a small machine.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// How hard to push.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Lookups in flight at once (at least 1).
    pub concurrency: usize,
    /// Global cap in queries per second.
    pub rate: Option<u32>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            concurrency: DEFAULT_CONCURRENCY,
            rate: None,
        }
    }
}

/// Spaces out events to at most `per_second` a second.
#[derive(Debug)]
pub struct RateLimiter {
    period: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `per_second` events a second (at least 1).
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            period: Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.period);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// The global and per-zone limiters of one run.
struct Limits {
    global: Option<RateLimiter>,
    per_zone: HashMap<String, RateLimiter>,
}

impl Limits {
    fn new(zones: &[Zone], opts: &EngineOptions) -> Limits {
        Limits {
            global: opts.rate.map(RateLimiter::new),
            per_zone: zones
                .iter()
                .filter_map(|z| z.rate.map(|r| (z.zone.clone(), RateLimiter::new(r))))
                .collect(),
        }
    }

    async fn wait(&self, zone: &str) {
        if let Some(l) = self.per_zone.get(zone) {
            l.acquire().await;
        }
        if let Some(l) = &self.global {
            l.acquire().await;
        }
    }
}

enum Job {
    Probe { zone: usize, family: Family },
    Lookup { zone: usize, target: usize },
}

enum Done {
    Probe {
        zone: usize,
        family: Family,
        probe: Box<Probe>,
    },
    Lookup {
        zone: usize,
        target: usize,
        result: ZoneResult,
    },
}

/// Checks every target against every zone that applies to it, and returns
/// one report per target, in input order.
pub async fn check(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    targets: &[Target],
    opts: &EngineOptions,
) -> Vec<Report> {
    let mut jobs = Vec::new();
    let mut families_needed: Vec<(usize, Family)> = Vec::new();
    for (ti, target) in targets.iter().enumerate() {
        for (zi, zone) in zones.iter().enumerate() {
            if zone.applies_to(target.kind(), target.is_ipv6()) {
                jobs.push(Job::Lookup {
                    zone: zi,
                    target: ti,
                });
                let key = (zi, Family::of(target));
                if !families_needed.contains(&key) {
                    families_needed.push(key);
                }
            }
        }
    }
    // Probes first, so they are in flight with the first lookups.
    let mut all: Vec<Job> = families_needed
        .into_iter()
        .map(|(zone, family)| Job::Probe { zone, family })
        .collect();
    all.extend(jobs);

    let limits = Limits::new(zones, opts);
    let done: Vec<Done> = futures::stream::iter(all)
        .map(|job| {
            let dns = Arc::clone(&dns);
            let limits = &limits;
            async move {
                match job {
                    Job::Probe { zone, family } => {
                        limits.wait(&zones[zone].zone).await;
                        let probe = Box::new(Probe::run(dns.as_ref(), &zones[zone], family).await);
                        Done::Probe {
                            zone,
                            family,
                            probe,
                        }
                    }
                    Job::Lookup { zone, target } => {
                        limits.wait(&zones[zone].zone).await;
                        let result = check_zone(dns.as_ref(), &zones[zone], &targets[target]).await;
                        Done::Lookup {
                            zone,
                            target,
                            result,
                        }
                    }
                }
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;

    let mut probes: HashMap<(usize, Family), Box<Probe>> = HashMap::new();
    let mut per_target: Vec<Vec<(usize, ZoneResult)>> = vec![Vec::new(); targets.len()];
    for d in done {
        match d {
            Done::Probe {
                zone,
                family,
                probe,
            } => {
                probes.insert((zone, family), probe);
            }
            Done::Lookup {
                zone,
                target,
                result,
            } => per_target[target].push((zone, result)),
        }
    }
    targets
        .iter()
        .zip(per_target)
        .map(|(target, mut results)| {
            results.sort_by_key(|(zi, _)| *zi);
            let family = Family::of(target);
            let results = results
                .into_iter()
                .map(|(zi, mut r)| {
                    if let Some(p) = probes.get(&(zi, family)) {
                        p.adjust(&mut r);
                    }
                    r
                })
                .collect();
            Report::new(target.to_string(), target.kind(), results)
        })
        .collect()
}

/// Fills the `sender` object of every IP report: SPF for `domain` and the
/// IP, DMARC policy and alignment, reverse DNS, and the domain lists' results
/// for `domain` (queried once).
pub async fn senders(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    reports: &mut [Report],
    targets: &[Target],
    domain: &str,
    helo: Option<&str>,
    opts: &EngineOptions,
) {
    let domain_target = Target::Domain(domain.to_string());
    let domain_results = check(
        Arc::clone(&dns),
        zones,
        std::slice::from_ref(&domain_target),
        opts,
    )
    .await
    .pop()
    .map(|r| r.results)
    .unwrap_or_default();
    let ips: Vec<(usize, std::net::IpAddr)> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Target::Ip(ip) => Some((i, *ip)),
            Target::Domain(_) => None,
        })
        .collect();
    let done: Vec<(usize, SenderReport)> = futures::stream::iter(ips)
        .map(|(i, ip)| {
            let dns = Arc::clone(&dns);
            let results = domain_results.clone();
            async move {
                let req = crate::spf::Request::for_domain(ip, domain, None, helo);
                let (spf, rdns) = futures::join!(
                    crate::spf::check_host(dns.as_ref(), &req),
                    crate::rdns::check(dns.as_ref(), ip)
                );
                let pass_domain = (spf.result == crate::spf::SpfResult::Pass).then_some(domain);
                let dmarc = crate::dmarc::check(dns.as_ref(), domain, pass_domain).await;
                (
                    i,
                    SenderReport {
                        domain: domain.to_string(),
                        spf,
                        dmarc,
                        rdns,
                        results,
                    },
                )
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    for (i, sender) in done {
        reports[i].sender = Some(sender);
    }
}

/// Probes every family of every zone (`zones --health`), in catalog order.
pub async fn health(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    opts: &EngineOptions,
) -> Vec<(usize, Family, Probe)> {
    let limits = Limits::new(zones, opts);
    let jobs = zones
        .iter()
        .enumerate()
        .flat_map(|(zi, z)| Family::for_zone(z).into_iter().map(move |f| (zi, f)));
    let mut out: Vec<(usize, Family, Probe)> = probe_all(dns, zones, jobs, &limits, opts)
        .await
        .into_iter()
        .map(|((zi, f), p)| (zi, f, p))
        .collect();
    out.sort_by_key(|(zi, f, _)| (*zi, *f));
    out
}

/// Runs the test-point probes `jobs` (zone index, family), rate-limited and
/// bounded like every other lookup.
async fn probe_all(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    jobs: impl Iterator<Item = (usize, Family)>,
    limits: &Limits,
    opts: &EngineOptions,
) -> HashMap<(usize, Family), Probe> {
    futures::stream::iter(jobs)
        .map(|(zi, family)| {
            let dns = Arc::clone(&dns);
            async move {
                limits.wait(&zones[zi].zone).await;
                let probe = Probe::run(dns.as_ref(), &zones[zi], family).await;
                ((zi, family), probe)
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_limiter_spaces_events() {
        let l = RateLimiter::new(10);
        let start = Instant::now();
        for _ in 0..5 {
            l.acquire().await;
        }
        // 5 events at 10/s: the first is immediate, the fifth at 400 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }
}

/// Counts the queries that go through it (for scan statistics).
pub struct CountingDns {
    inner: Arc<dyn Dns>,
    count: std::sync::atomic::AtomicU64,
}

impl CountingDns {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Dns>) -> CountingDns {
        CountingDns {
            inner,
            count: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Queries sent so far.
    pub fn queries(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Dns for CountingDns {
    fn lookup<'a>(
        &'a self,
        name: &'a str,
        rtype: crate::dns::RecordType,
    ) -> futures::future::BoxFuture<'a, crate::dns::Outcome> {
        self.count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.lookup(name, rtype)
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// Per-zone counters of a scan.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
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
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
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

/// Scans every address of `blocks`, calling `emit` with each report in input
/// order as soon as it and all before it are complete. At most `window`
/// targets are in flight, so a slow zone holds back at most a window of
/// output and memory does not grow with the scan. Stops early (after the
/// complete reports) when `cancel` resolves or `emit` returns an error.
pub async fn scan(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    blocks: &[crate::scan::Block],
    opts: &EngineOptions,
    cancel: impl std::future::Future<Output = ()>,
    mut emit: impl FnMut(Report, &ScanStats) -> std::io::Result<()>,
) -> std::io::Result<ScanStats> {
    let limits = Limits::new(zones, opts);
    // The test points of every zone and family the scan touches, once.
    let mut families = Vec::new();
    for b in blocks {
        let f = match b {
            crate::scan::Block::V4(..) => Family::V4,
            crate::scan::Block::V6(..) => Family::V6,
        };
        if !families.contains(&f) {
            families.push(f);
        }
    }
    let probe_jobs = zones.iter().enumerate().flat_map(|(zi, z)| {
        families
            .iter()
            .filter(move |f| Family::for_zone(z).contains(f))
            .map(move |f| (zi, *f))
    });
    let probes = probe_all(Arc::clone(&dns), zones, probe_jobs, &limits, opts).await;

    let per_target = zones.len().max(1);
    let window = (opts.concurrency / per_target).max(1);
    let targets = blocks.iter().flat_map(|b| b.iter()).map(Target::Ip);
    let probes = &probes;
    let limits = &limits;
    let mut reports = futures::stream::iter(targets)
        .map(|target| {
            let dns = Arc::clone(&dns);
            async move {
                let family = Family::of(&target);
                let lookups = zones
                    .iter()
                    .enumerate()
                    .filter(|(_, z)| z.applies_to(target.kind(), target.is_ipv6()))
                    .map(|(zi, z)| {
                        let dns = Arc::clone(&dns);
                        let target = &target;
                        async move {
                            limits.wait(&z.zone).await;
                            let mut r = check_zone(dns.as_ref(), z, target).await;
                            if let Some(p) = probes.get(&(zi, family)) {
                                p.adjust(&mut r);
                            }
                            r
                        }
                    });
                let results = futures::future::join_all(lookups).await;
                Report::new(target.to_string(), target.kind(), results)
            }
        })
        .buffered(window);

    let mut stats = ScanStats {
        zones: zones
            .iter()
            .map(|z| ZoneCounts {
                zone: z.zone.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    tokio::pin!(cancel);
    loop {
        let report = tokio::select! {
            biased;
            _ = &mut cancel => {
                stats.interrupted = true;
                break;
            }
            next = reports.next() => match next {
                Some(r) => r,
                None => break,
            },
        };
        stats.targets += 1;
        match report.verdict {
            crate::report::Verdict::Listed => stats.listed += 1,
            crate::report::Verdict::Incomplete => stats.incomplete += 1,
            crate::report::Verdict::Clean => stats.clean += 1,
        }
        for r in &report.results {
            if let Some(c) = stats.zones.iter_mut().find(|c| c.zone == r.zone) {
                match r.status {
                    crate::report::Status::Listed => c.listed += 1,
                    crate::report::Status::Unusable => c.unusable += 1,
                    crate::report::Status::Error => c.error += 1,
                    crate::report::Status::NotListed => {}
                }
            }
        }
        emit(report, &stats)?;
    }
    Ok(stats)
}
