//! The only place with concurrency. Every lookup of a run (the zones' test
//! points and every zone x target query) goes through one bounded stream, so
//! checking 10 IPs against 20 zones takes about one round trip (plus a TXT
//! round trip for listings, plus one timeout at worst), not their sum.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;

mod local;

pub use local::{Emit, LocalScan};

use crate::catalog::Zone;
use crate::config::EngineOptions;
use crate::dns::Dns;
use crate::dnsbl::{Probe, check_zone};
use crate::report::{Report, ScanStats, ZoneCounts, ZoneResult};
use crate::target::{Family, Target};

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

    let done: Vec<Done> = futures::stream::iter(all)
        .map(|job| {
            let dns = Arc::clone(&dns);
            async move {
                match job {
                    Job::Probe { zone, family } => {
                        let probe = Box::new(Probe::run(dns.as_ref(), &zones[zone], family).await);
                        Done::Probe {
                            zone,
                            family,
                            probe,
                        }
                    }
                    Job::Lookup { zone, target } => {
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

/// Probes every family of every zone (`zones --health`), in catalog order.
pub async fn health(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    opts: &EngineOptions,
) -> Vec<(usize, Family, Probe)> {
    let jobs = zones
        .iter()
        .enumerate()
        .flat_map(|(zi, z)| Family::for_zone(z).into_iter().map(move |f| (zi, f)));
    let mut out: Vec<(usize, Family, Probe)> = probe_all(dns, zones, jobs, opts)
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
    opts: &EngineOptions,
) -> HashMap<(usize, Family), Probe> {
    futures::stream::iter(jobs)
        .map(|(zi, family)| {
            let dns = Arc::clone(&dns);
            async move {
                let probe = Probe::run(dns.as_ref(), &zones[zi], family).await;
                ((zi, family), probe)
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await
}

/// Scans every address of `blocks`, calling `emit` with each report in input
/// order as soon as it and all before it are complete. At most `window`
/// targets are in flight, so a slow zone holds back at most a window of
/// output and memory does not grow with the scan. Stops early (after the
/// complete reports) when `cancel` resolves or `emit` returns an error.
pub async fn scan(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    blocks: &[crate::sources::Block],
    shard: crate::sources::Shard,
    opts: &EngineOptions,
    cancel: impl std::future::Future<Output = ()>,
    mut emit: impl FnMut(Report, &ScanStats) -> std::io::Result<()>,
) -> std::io::Result<ScanStats> {
    // The test points of every zone and family the scan touches, once.
    let mut families = Vec::new();
    for b in blocks {
        let f = match b {
            crate::sources::Block::V4(..) => Family::V4,
            crate::sources::Block::V6(..) => Family::V6,
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
    let probes = probe_all(Arc::clone(&dns), zones, probe_jobs, opts).await;

    let per_target = zones.len().max(1);
    let window = (opts.concurrency / per_target).max(1);
    let targets = crate::sources::addresses(blocks, shard).map(Target::Ip);
    let probes = &probes;
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
        stats.count(&report);
        emit(report, &stats)?;
    }
    Ok(stats)
}
