//! `check`: targets against the selected zones; with `--sender` the sender
//! side (SPF, DMARC, reverse DNS, domain lists) of each IP; with `--infra`
//! the addresses a domain's mail comes from; with `--state` the history of
//! every listing and what changed since the last run.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use futures::StreamExt;

use crate::catalog::Zone;
use crate::config::{Config, EngineOptions, Format};
use crate::dns::Dns;
use crate::engine;
use crate::infra::{self, Infra, InfraLimits};
use crate::monitor::notify::{Notifier, NotifyOptions};
use crate::monitor::state::Listing;
use crate::monitor::{ChangeKind, Round, Store, ZoneHealth, nagios, rfc3339};
use crate::render;
use crate::report::{ExitStatus, Report, SenderReport, Status};
use crate::target::Target;

use super::{Lookups, RunError};

/// How long a one-shot run waits for its webhook events to be delivered.
const NOTIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `check`'s inputs.
#[derive(Clone, Debug, Default)]
pub struct Check {
    /// IPs and domains, in input order.
    pub targets: Vec<Target>,
    /// The zones to query.
    pub zones: Vec<Zone>,
    /// `--sender DOMAIN`: also check SPF, DMARC, reverse DNS and domain lists.
    pub sender: Option<String>,
    /// `--helo NAME`, for SPF's `%{h}`.
    pub helo: Option<String>,
    /// `--infra DOMAIN`: also every address the domain's mail comes from.
    pub infra: Option<String>,
    /// `--state PATH`: the history database.
    pub state: Option<PathBuf>,
    /// `--notify URL`: where change events go (with `--state`).
    pub notify: Option<NotifyOptions>,
    /// `--only-changes`: report only the targets whose listings changed.
    pub only_changes: bool,
}

impl Check {
    /// Checks, writes the reports, and returns the exit status.
    pub async fn run(
        &self,
        config: &Config,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<ExitStatus, RunError> {
        let lookups = Lookups::resolver(&self.zones, config)?;
        let dns = lookups.dns;
        let (targets, sources) = self.targets(&dns, err).await?;
        let started = SystemTime::now();
        let clock = std::time::Instant::now();
        let (mut reports, probes) =
            engine::check_round(Arc::clone(&dns), &self.zones, &targets, &config.engine).await;
        for (report, sources) in reports.iter_mut().zip(sources) {
            report.sources = sources;
        }
        if let Some(domain) = &self.sender {
            self.senders(dns, &mut reports, &targets, domain, &config.engine)
                .await;
        }
        let mut round = Round {
            reports,
            zones: ZoneHealth::from_probes(&self.zones, &probes),
            started,
            duration: clock.elapsed(),
        };
        let (listings, new_listing) = self.record(&mut round, err).await?;
        let status = exit_status(config, &round.reports, self.only_changes, new_listing);
        if self.only_changes {
            round
                .reports
                .retain(|r| r.results.iter().any(|z| z.change.is_some()));
            if round.reports.is_empty() {
                return Ok(status);
            }
        }
        render::exporter(config, out).round(&round, &listings)?;
        Ok(status)
    }

    /// The targets: those given, then (with `--infra`) the domain's
    /// addresses and the domain itself, each with where it came from.
    async fn targets(
        &self,
        dns: &Arc<dyn Dns>,
        err: &mut dyn Write,
    ) -> Result<(Vec<Target>, Vec<Vec<String>>), RunError> {
        let mut targets = self.targets.clone();
        let mut sources = vec![Vec::new(); targets.len()];
        let Some(domain) = &self.infra else {
            return Ok((targets, sources));
        };
        let found = infra::discover(dns.as_ref(), domain, &InfraLimits::default())
            .await
            .map_err(|e| RunError::Input(e.to_string()))?;
        for note in infra_notes(&found) {
            writeln!(err, "blocklens: note: {}", render::sanitize(&note))?;
        }
        for a in found.addresses {
            targets.push(Target::Ip(a.ip));
            sources.push(a.sources);
        }
        targets.push(Target::Domain(found.domain.clone()));
        sources.push(vec![format!("the domain {}", found.domain)]);
        Ok((targets, sources))
    }

    /// With `--state`: records the round, marks what changed and since when,
    /// and sends the changes to the webhook. The current listings (for the
    /// metrics) and whether a block list newly lists a target.
    async fn record(
        &self,
        round: &mut Round,
        err: &mut dyn Write,
    ) -> Result<(Vec<Listing>, bool), RunError> {
        let Some(path) = &self.state else {
            return Ok((Vec::new(), false));
        };
        let state = |e: crate::monitor::StateError| RunError::Input(e.to_string());
        let mut store = Store::open(path).map_err(state)?;
        let changes = store
            .record_round(round.started, &round.reports)
            .map_err(state)?;
        let listings = store.listings().map_err(state)?;
        for report in &mut round.reports {
            for r in &mut report.results {
                r.change = changes
                    .iter()
                    .find(|c| c.target == report.target && c.zone == r.zone)
                    .map(|c| c.kind);
                r.listed_since = listings
                    .iter()
                    .find(|l| l.target == report.target && l.zone == r.zone)
                    .filter(|_| r.status == Status::Listed)
                    .map(|l| rfc3339(l.since));
            }
        }
        if let Some(opts) = &self.notify {
            let notifier =
                Notifier::start(opts.clone()).map_err(|e| RunError::Input(e.to_string()))?;
            for c in changes
                .iter()
                .filter(|c| c.role == crate::catalog::Role::Block)
            {
                notifier.notify(c);
            }
            let stats = notifier.finish(NOTIFY_WAIT).await;
            if stats.failed + stats.dropped > 0 {
                writeln!(
                    err,
                    "blocklens: note: {} change event(s) could not be delivered to the webhook",
                    stats.failed + stats.dropped
                )?;
            }
        }
        let new_listing = changes
            .iter()
            .any(|c| c.kind == ChangeKind::Listed && c.role == crate::catalog::Role::Block);
        Ok((listings, new_listing))
    }

    /// Fills the `sender` object of every IP report: SPF for `domain` and
    /// the IP, DMARC policy and alignment, reverse DNS, and the domain
    /// lists' results for `domain` (queried once).
    async fn senders(
        &self,
        dns: Arc<dyn Dns>,
        reports: &mut [Report],
        targets: &[Target],
        domain: &str,
        opts: &EngineOptions,
    ) {
        let domain_target = Target::Domain(domain.to_string());
        let domain_results = engine::check(
            Arc::clone(&dns),
            &self.zones,
            std::slice::from_ref(&domain_target),
            opts,
        )
        .await
        .pop()
        .map(|r| r.results)
        .unwrap_or_default();
        let helo = self.helo.as_deref();
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
                    let pass = (spf.result == crate::spf::SpfResult::Pass).then_some(domain);
                    let dmarc = crate::dmarc::check(dns.as_ref(), domain, pass).await;
                    let helo = helo.map(str::to_string);
                    let s = SenderReport::new(domain.to_string(), helo, spf, dmarc, rdns, results);
                    (i, s)
                }
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
        for (i, sender) in done {
            reports[i].sender = Some(sender);
        }
    }
}

/// The exit status: the plugin state for `--format nagios`; with
/// `--only-changes`, 1 when a block list newly lists a target and 0
/// otherwise; else listed, incomplete or clean.
fn exit_status(config: &Config, reports: &[Report], only_changes: bool, new: bool) -> ExitStatus {
    if config.format == Format::Nagios {
        let state = nagios::evaluate(reports, &config.thresholds).state;
        return ExitStatus::Plugin(state.exit_code() as u8);
    }
    if only_changes {
        return if new {
            ExitStatus::Listed
        } else {
            ExitStatus::Clean
        };
    }
    ExitStatus::from_reports(reports)
}

/// What the inventory could not cover, for stderr.
fn infra_notes(found: &Infra) -> Vec<String> {
    let mut notes = Vec::new();
    for r in &found.ranges {
        notes.push(format!(
            "{} ({} addresses, from {}) is too large to check address by address: use blocklens scan {}",
            r.net,
            r.size,
            r.sources.join("; "),
            r.net
        ));
    }
    notes.extend(found.notes.iter().cloned());
    notes.extend(
        found
            .problems
            .iter()
            .map(|p| format!("incomplete inventory: {p}")),
    );
    notes
}
