//! The only place with concurrency. Every lookup of a run (the zones' test
//! points and every zone x target query) goes through one bounded stream, so
//! checking 10 IPs against 20 zones takes about one round trip (plus a TXT
//! round trip for listings, plus one timeout at worst), not their sum.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::StreamExt;

mod bulk;
mod local;

pub use bulk::{BulkScan, ScanError, ScanOutput};
pub use local::{Emit, LocalScan};

use crate::catalog::Zone;
use crate::config::EngineOptions;
use crate::dns::Dns;
use crate::dnsbl::{Probe, check_zone_on};
use crate::report::{Report, ScanStats, ZoneCounts, ZoneResult};
use crate::target::{Family, Target};

/// Where the first lookups go: every server gets each zone's test points,
/// the lookups go to the first server, and are asked again of another
/// server only when the first did not prove the zone and that one did.
fn servers_of(dns: &dyn Dns) -> Vec<Option<SocketAddr>> {
    let servers = dns.servers();
    if servers.len() > 1 {
        servers.into_iter().map(Some).collect()
    } else {
        vec![None]
    }
}

/// What every zone's test points showed, per server.
#[derive(Default)]
struct Proofs(HashMap<(usize, Family), Vec<Probe>>);

impl Proofs {
    fn add(&mut self, zone: usize, family: Family, probe: Probe) {
        self.0.entry((zone, family)).or_default().push(probe);
    }

    /// The probe to judge a zone's answers by: the first server (in the
    /// order of `--resolver`) that proved the zone, else the first server's.
    /// A proof is valid only for the server that gave it, so the zone's
    /// lookups must go to this probe's server.
    fn chosen(&self, zone: usize, family: Family, order: &[Option<SocketAddr>]) -> Option<&Probe> {
        let probes = self.0.get(&(zone, family))?;
        let rank = |p: &&Probe| {
            order
                .iter()
                .position(|s| *s == p.server)
                .unwrap_or(usize::MAX)
        };
        probes
            .iter()
            .filter(|p| p.proves())
            .min_by_key(rank)
            .or_else(|| probes.iter().min_by_key(rank))
    }
}

enum Job {
    Probe {
        zone: usize,
        family: Family,
        server: Option<SocketAddr>,
    },
    Lookup {
        zone: usize,
        target: usize,
        server: Option<SocketAddr>,
    },
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
        result: Box<ZoneResult>,
    },
}

/// Runs `jobs` through one bounded stream.
async fn run_jobs(
    dns: &Arc<dyn Dns>,
    zones: &[Zone],
    targets: &[Target],
    jobs: Vec<Job>,
    opts: &EngineOptions,
) -> Vec<Done> {
    futures::stream::iter(jobs)
        .map(|job| {
            let dns = Arc::clone(dns);
            async move {
                match job {
                    Job::Probe {
                        zone,
                        family,
                        server,
                    } => {
                        let probe = Probe::run_on(dns.as_ref(), server, &zones[zone], family).await;
                        Done::Probe {
                            zone,
                            family,
                            probe: Box::new(probe),
                        }
                    }
                    Job::Lookup {
                        zone,
                        target,
                        server,
                    } => {
                        let result =
                            check_zone_on(dns.as_ref(), server, &zones[zone], &targets[target])
                                .await;
                        Done::Lookup {
                            zone,
                            target,
                            result: Box::new(result),
                        }
                    }
                }
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await
}

/// Checks every target against every zone that applies to it, and returns
/// one report per target, in input order. Each zone's test points go to
/// every server; its NXDOMAIN is trusted only from a server that proved it.
pub async fn check(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    targets: &[Target],
    opts: &EngineOptions,
) -> Vec<Report> {
    check_round(dns, zones, targets, opts).await.0
}

/// [`check`], with the test-point probe each zone's results were judged by
/// (per zone index and family, in catalog order).
pub async fn check_round(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    targets: &[Target],
    opts: &EngineOptions,
) -> (Vec<Report>, Vec<(usize, Family, Probe)>) {
    let order = servers_of(dns.as_ref());
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut families: Vec<(usize, Family)> = Vec::new();
    for (ti, target) in targets.iter().enumerate() {
        for (zi, zone) in zones.iter().enumerate() {
            if zone.applies_to(target.kind(), target.is_ipv6()) {
                pairs.push((zi, ti));
                let key = (zi, Family::of(target));
                if !families.contains(&key) {
                    families.push(key);
                }
            }
        }
    }
    // Probes first, so they are in flight with the first lookups.
    let mut jobs: Vec<Job> = families
        .iter()
        .flat_map(|&(zone, family)| {
            order.iter().map(move |&server| Job::Probe {
                zone,
                family,
                server,
            })
        })
        .collect();
    jobs.extend(pairs.iter().map(|&(zone, target)| Job::Lookup {
        zone,
        target,
        server: order[0],
    }));
    let mut proofs = Proofs::default();
    let mut results: HashMap<(usize, usize), ZoneResult> = HashMap::new();
    collect(
        run_jobs(&dns, zones, targets, jobs, opts).await,
        &mut proofs,
        &mut results,
    );
    // Ask again where the first server did not prove a zone and another did.
    let again: Vec<Job> = pairs
        .iter()
        .filter_map(|&(zone, target)| {
            let family = Family::of(&targets[target]);
            let chosen = proofs.chosen(zone, family, &order)?;
            (chosen.server != order[0]).then_some(Job::Lookup {
                zone,
                target,
                server: chosen.server,
            })
        })
        .collect();
    collect(
        run_jobs(&dns, zones, targets, again, opts).await,
        &mut proofs,
        &mut results,
    );
    let mut health: Vec<(usize, Family, Probe)> = families
        .iter()
        .filter_map(|&(zi, f)| Some((zi, f, proofs.chosen(zi, f, &order)?.clone())))
        .collect();
    health.sort_by_key(|(zi, f, _)| (*zi, *f));
    (reports(targets, &pairs, results, &proofs, &order), health)
}

fn collect(
    done: Vec<Done>,
    proofs: &mut Proofs,
    results: &mut HashMap<(usize, usize), ZoneResult>,
) {
    for d in done {
        match d {
            Done::Probe {
                zone,
                family,
                probe,
            } => proofs.add(zone, family, *probe),
            Done::Lookup {
                zone,
                target,
                result,
            } => {
                results.insert((zone, target), *result);
            }
        }
    }
}

/// The reports, in input order, each result judged by its zone's chosen probe.
fn reports(
    targets: &[Target],
    pairs: &[(usize, usize)],
    mut results: HashMap<(usize, usize), ZoneResult>,
    proofs: &Proofs,
    order: &[Option<SocketAddr>],
) -> Vec<Report> {
    let mut per_target: Vec<Vec<(usize, ZoneResult)>> = vec![Vec::new(); targets.len()];
    for &(zi, ti) in pairs {
        if let Some(mut r) = results.remove(&(zi, ti)) {
            if let Some(p) = proofs.chosen(zi, Family::of(&targets[ti]), order) {
                p.adjust(&mut r);
            }
            per_target[ti].push((zi, r));
        }
    }
    targets
        .iter()
        .zip(per_target)
        .map(|(target, mut results)| {
            results.sort_by_key(|(zi, _)| *zi);
            let results = results.into_iter().map(|(_, r)| r).collect();
            Report::new(target.to_string(), target.kind(), results)
        })
        .collect()
}

/// Probes every family of every zone (`zones --health`), in catalog order:
/// per zone and family, the probe of the first server that proved it (else
/// the first server's).
pub async fn health(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    opts: &EngineOptions,
) -> Vec<(usize, Family, Probe)> {
    let jobs: Vec<(usize, Family)> = zones
        .iter()
        .enumerate()
        .flat_map(|(zi, z)| z.families().into_iter().map(move |f| (zi, f)))
        .collect();
    let order = servers_of(dns.as_ref());
    let proofs = probe_all(dns, zones, jobs.iter().copied(), opts).await;
    jobs.into_iter()
        .filter_map(|(zi, f)| {
            let p = proofs.chosen(zi, f, &order)?.clone();
            Some((zi, f, p))
        })
        .collect()
}

/// Runs the test-point probes `jobs` (zone index, family) on every server,
/// rate-limited and bounded like every other lookup.
async fn probe_all(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    jobs: impl Iterator<Item = (usize, Family)>,
    opts: &EngineOptions,
) -> Proofs {
    let order = servers_of(dns.as_ref());
    let jobs: Vec<Job> = jobs
        .flat_map(|(zone, family)| {
            order.iter().map(move |&server| Job::Probe {
                zone,
                family,
                server,
            })
        })
        .collect();
    let mut proofs = Proofs::default();
    let mut none = HashMap::new();
    collect(
        run_jobs(&dns, zones, &[], jobs, opts).await,
        &mut proofs,
        &mut none,
    );
    proofs
}

/// What a scan of `blocks` needs before its first lookup: every zone's test
/// points for every family the scan touches, once per server, and the server
/// order (see [`Proofs::chosen`]).
async fn scan_proofs(
    dns: &Arc<dyn Dns>,
    zones: &[Zone],
    blocks: &[crate::sources::Block],
    opts: &EngineOptions,
) -> (Proofs, Vec<Option<SocketAddr>>) {
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
            .filter(move |f| z.families().contains(f))
            .map(move |f| (zi, *f))
    });
    let proofs = probe_all(Arc::clone(dns), zones, probe_jobs, opts).await;
    (proofs, servers_of(dns.as_ref()))
}

/// Empty scan counters for `zones`.
fn scan_stats<'z>(zones: impl IntoIterator<Item = &'z Zone>) -> ScanStats {
    ScanStats {
        zones: zones
            .into_iter()
            .map(|z| ZoneCounts {
                zone: z.zone.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Scans every address of `blocks`, calling `emit` with each report in input
/// order as soon as it and all before it are complete. At most `window`
/// targets are in flight, so a slow zone holds back at most a window of
/// output and memory does not grow with the scan. Stops early (after the
/// complete reports) when `cancel` resolves or `emit` returns an error.
///
/// This is the path for any [`Dns`]: a future per target. A scan through a
/// [`crate::dns::Client`] goes faster on [`BulkScan`] (the same reports).
pub async fn scan(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    blocks: &[crate::sources::Block],
    shard: crate::sources::Shard,
    opts: &EngineOptions,
    cancel: impl std::future::Future<Output = ()>,
    mut emit: impl FnMut(Report, &ScanStats) -> std::io::Result<()>,
) -> std::io::Result<ScanStats> {
    let (proofs, order) = scan_proofs(&dns, zones, blocks, opts).await;
    // Each zone's lookups go to the server its chosen probe came from.
    let chosen: HashMap<(usize, Family), &Probe> = zones
        .iter()
        .enumerate()
        .flat_map(|(zi, _)| [Family::V4, Family::V6].map(move |f| (zi, f)))
        .filter_map(|(zi, f)| Some(((zi, f), proofs.chosen(zi, f, &order)?)))
        .collect();

    let per_target = zones.len().max(1);
    let window = (opts.concurrency / per_target).max(1);
    let targets = crate::sources::addresses(blocks, shard).map(Target::Ip);
    let chosen = &chosen;
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
                            let probe = chosen.get(&(zi, family));
                            let server = probe.and_then(|p| p.server);
                            let mut r = check_zone_on(dns.as_ref(), server, z, target).await;
                            if let Some(p) = probe {
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

    let mut stats = scan_stats(zones);
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
