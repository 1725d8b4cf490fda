//! blocklens explains SMTP 5.7.1 rejections: which DNS blocklists list a
//! sending IP or domain, what each answer means, where to look it up, and
//! which lists could not be asked.
//!
//! Data flows one way: a validated [`Config`] -> targets -> the [`engine`]
//! (lookups through the [`dns::Dns`] trait) -> the [`report`] model -> a
//! renderer -> the writer given to [`run`]. The library never prints on its
//! own and never sees clap.
//!
//! Unknown is never clean: a timeout, SERVFAIL, REFUSED or an error code is
//! never `not_listed`, and a zone's NXDOMAIN is trusted only after it has
//! listed its RFC 5782 test point through the same resolver in the same run.

#![deny(missing_docs)]

pub mod bounce;
pub mod catalog;
pub mod config;
pub mod dmarc;
pub mod dns;
pub mod dnsbl;
pub mod engine;
pub mod explain;
pub mod rdns;
pub mod render;
pub mod report;
pub mod scan;
pub mod spf;
pub mod target;

use std::io::{self, Write};
use std::sync::Arc;

pub use config::{Command, Config};
pub use report::ExitStatus;

use dns::{Client, Dns};
use dnsbl::Family;
use render::Format;
use report::HealthReport;

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The DNS client could not be set up (a configuration problem: exit 2).
    #[error(transparent)]
    Setup(#[from] dns::SetupError),
    /// Writing the output failed (a broken pipe is not reported).
    #[error("cannot write output: {0}")]
    Io(#[from] io::Error),
}

/// Runs a command with the real resolver and writes its output to `out`
/// (and a scan's progress and summary to `err`).
pub async fn run(
    config: Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, RunError> {
    if let Command::Zones {
        zones,
        health: false,
    } = &config.command
    {
        // Listing the catalog needs no DNS.
        write_zones(out, zones, &config)?;
        return Ok(ExitStatus::Clean);
    }
    let dns: Arc<dyn Dns> = Arc::new(Client::new(&config.resolver)?);
    run_with(config, dns, out, err).await
}

/// Runs a command against any [`Dns`] implementation.
pub async fn run_with(
    config: Config,
    dns: Arc<dyn Dns>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, RunError> {
    match &config.command {
        Command::Check {
            targets,
            zones,
            sender,
            helo,
        } => {
            let mut reports = engine::check(Arc::clone(&dns), zones, targets, &config.engine).await;
            if let Some(domain) = sender {
                engine::senders(
                    dns,
                    zones,
                    &mut reports,
                    targets,
                    domain,
                    helo.as_deref(),
                    &config.engine,
                )
                .await;
            }
            match config.format {
                Format::Human => render::render_check(out, &reports, config.style)?,
                Format::Json => render::json_array(out, &reports)?,
                Format::Ndjson => {
                    for r in &reports {
                        render::json_line(out, r)?;
                    }
                }
            }
            out.flush()?;
            Ok(ExitStatus::from_reports(&reports))
        }
        Command::Explain {
            text,
            overrides,
            catalog,
            zones,
        } => {
            let e = explain::explain(dns, catalog, zones, text, overrides, &config.engine).await;
            match config.format {
                Format::Human => render::render_explanation(out, &e, config.style)?,
                Format::Json | Format::Ndjson => render::json_line(out, &e)?,
            }
            out.flush()?;
            Ok(match e.verification.status {
                explain::VerifyStatus::Confirmed => ExitStatus::Listed,
                _ if e.verification.dns_failed => ExitStatus::Incomplete,
                _ => ExitStatus::Clean,
            })
        }
        Command::Scan {
            blocks,
            zones,
            only_listed,
            progress,
            quiet,
        } => {
            run_scan(
                &config,
                dns,
                blocks,
                zones,
                *only_listed,
                *progress,
                *quiet,
                out,
                err,
            )
            .await
        }
        Command::Spf {
            domain,
            ip,
            helo,
            sender,
        } => {
            let req = spf::Request::for_domain(*ip, domain, sender.as_deref(), helo.as_deref());
            let output = spf::check_host(dns.as_ref(), &req).await;
            match config.format {
                Format::Human => render::render_spf(out, &output, config.style)?,
                Format::Json | Format::Ndjson => render::json_line(out, &output)?,
            }
            out.flush()?;
            Ok(if output.result == spf::SpfResult::TempError {
                ExitStatus::Incomplete
            } else {
                ExitStatus::Clean
            })
        }
        Command::Zones {
            zones,
            health: false,
        } => {
            write_zones(out, zones, &config)?;
            Ok(ExitStatus::Clean)
        }
        Command::Zones {
            zones,
            health: true,
        } => {
            let probes = engine::health(dns, zones, &config.engine).await;
            let reports: Vec<HealthReport> = probes
                .into_iter()
                .map(|(zi, family, probe)| {
                    let (health, detail) = probe.health();
                    let detail = detail.to_string();
                    HealthReport {
                        zone: zones[zi].zone.clone(),
                        name: zones[zi].name.clone(),
                        family: match family {
                            Family::V4 => "ipv4",
                            Family::V6 => "ipv6",
                            Family::Domain => "domain",
                        },
                        health,
                        detail,
                        positive: probe.positive,
                        negative: probe.negative,
                    }
                })
                .collect();
            match config.format {
                Format::Human => render::render_health(out, &reports, config.style)?,
                Format::Json => render::json_array(out, &reports)?,
                Format::Ndjson => {
                    for r in &reports {
                        render::json_line(out, r)?;
                    }
                }
            }
            out.flush()?;
            let all_healthy = reports.iter().all(|r| r.health == dnsbl::Health::Healthy);
            Ok(if all_healthy && !reports.is_empty() {
                ExitStatus::Clean
            } else {
                ExitStatus::Incomplete
            })
        }
    }
}

fn write_zones(out: &mut dyn Write, zones: &[catalog::Zone], config: &Config) -> io::Result<()> {
    match config.format {
        Format::Human => render::render_zones(out, zones, config.style)?,
        Format::Json => render::json_array(out, zones)?,
        Format::Ndjson => {
            for z in zones {
                render::json_line(out, z)?;
            }
        }
    }
    out.flush()
}

#[allow(clippy::too_many_arguments)]
async fn run_scan(
    config: &Config,
    dns: Arc<dyn Dns>,
    blocks: &[scan::Block],
    zones: &[catalog::Zone],
    only_listed: bool,
    progress: bool,
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, RunError> {
    let counting = Arc::new(engine::CountingDns::new(dns));
    let bar = render::Progress::new(scan::count(blocks), progress && !quiet);
    let start = std::time::Instant::now();
    let cancel = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling available: never cancel.
            futures::future::pending::<()>().await;
        }
    };
    if config.format == Format::Json {
        write!(out, "[")?;
    }
    let mut first = true;
    let mut verdicts = Vec::new();
    let counter = Arc::clone(&counting);
    let stats = engine::scan(
        counting.clone(),
        zones,
        blocks,
        &config.engine,
        cancel,
        |report, stats| {
            bar.update(
                stats.targets,
                stats.listed,
                counter.queries(),
                start.elapsed(),
            );
            if verdicts.last() != Some(&report.verdict) {
                verdicts.push(report.verdict);
            }
            let keep = !only_listed || report.verdict != report::Verdict::Clean;
            match config.format {
                Format::Human if report.verdict != report::Verdict::Clean => {
                    render::render_scan_row(out, &report, config.style)?;
                }
                Format::Ndjson if keep => render::json_line(out, &report)?,
                Format::Json if keep => {
                    writeln!(out, "{}", if first { "" } else { "," })?;
                    serde_json::to_writer(&mut *out, &report)?;
                    first = false;
                }
                _ => {}
            }
            Ok(())
        },
    )
    .await?;
    bar.finish();
    let elapsed = start.elapsed();
    match config.format {
        Format::Json => writeln!(out, "{}]", if first { "" } else { "\n" })?,
        Format::Human => {
            render::render_scan_summary(out, &stats, counting.queries(), elapsed, config.style)?
        }
        Format::Ndjson => {}
    }
    out.flush()?;
    if config.format != Format::Human && !quiet {
        render::render_scan_summary(
            err,
            &stats,
            counting.queries(),
            elapsed,
            render::Style::default(),
        )?;
    }
    if stats.interrupted {
        return Ok(ExitStatus::Interrupted);
    }
    Ok(ExitStatus::from_verdicts(verdicts))
}
