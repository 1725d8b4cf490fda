//! `scan`: address ranges against the IP zones, streamed in input order,
//! with a progress bar and a summary.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::catalog::Zone;
use crate::config::{Config, Format, Style};
use crate::dns::{self, BulkUdp, Dns, HickoryDns};
use crate::engine;
use crate::render::{self, Exporter, Progress};
use crate::report::{ExitStatus, ScanSummary, Verdict};
use crate::sources::{self, Block, Shard};

use super::{Lookups, RunError};

/// `scan`'s inputs.
#[derive(Clone, Debug)]
pub struct Scan {
    /// The address blocks, in input order.
    pub blocks: Vec<Block>,
    /// The zones to query (TXT already switched off with --no-txt).
    pub zones: Vec<Zone>,
    /// Keep only listed and incomplete targets in JSON output.
    pub only_listed: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// No summary on stderr.
    pub quiet: bool,
    /// `--shard I/N`: scan only this part.
    pub shard: Shard,
    /// Zones of the default set left out because their usage policy caps
    /// the query rate (named with `--zone`, they are scanned).
    pub left_out: Vec<Zone>,
}

/// A rate cap that would make a scan take longer than this is worth a word.
const SLOW: Duration = Duration::from_secs(60);

impl Scan {
    /// The targets this process scans.
    fn targets(&self) -> u64 {
        self.shard.share(sources::count(&self.blocks))
    }

    /// Before the first query: what the zones' rate caps cost, and which
    /// rate-capped zones were left out.
    fn estimate(&self) -> Vec<String> {
        let targets = self.targets();
        let mut notes = Vec::new();
        let cost = |rate: u32| Duration::from_secs_f64(targets as f64 / f64::from(rate.max(1)));
        for z in &self.left_out {
            let rate = z.rate.unwrap_or(1);
            notes.push(format!(
                "{} allows {rate} queries/s: this scan would take about {} with it; it is left out, name it with --zone to include it",
                z.zone,
                human_duration(cost(rate))
            ));
        }
        for z in &self.zones {
            if let Some(rate) = z.rate
                && cost(rate) > SLOW
            {
                notes.push(format!(
                    "{} allows {rate} queries/s: this scan will take about {}",
                    z.zone,
                    human_duration(cost(rate))
                ));
            }
        }
        notes
    }
}

/// `45 s`, `12 min`, `3.2 h`.
fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

impl Scan {
    /// Scans, streaming reports to `out` (progress and, for JSON formats,
    /// the summary to `err`), and returns the exit status.
    pub async fn run(
        &self,
        config: &Config,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<ExitStatus, RunError> {
        if !self.quiet {
            for note in self.estimate() {
                writeln!(err, "blocklens: note: {}", render::sanitize(&note))?;
            }
        }
        let lookups = Lookups::new(bulk_transport(config).await?, &self.zones, config);
        let counted = Arc::clone(&lookups.counter);
        let bar = Progress::new(self.targets(), self.progress && !self.quiet, move || {
            counted.queries()
        });
        let start = Instant::now();
        let cancel = async {
            if tokio::signal::ctrl_c().await.is_err() {
                // No signal handling available: never cancel.
                futures::future::pending::<()>().await;
            }
        };
        let mut exporter = render::exporter(config.format, config.style, out);
        exporter.scan_begin()?;
        let mut verdicts = Vec::new();
        let stats = engine::scan(
            Arc::clone(&lookups.dns),
            &self.zones,
            &self.blocks,
            self.shard,
            &config.engine,
            cancel,
            |report, stats| {
                bar.update(stats.targets, stats.listed);
                if verdicts.last() != Some(&report.verdict) {
                    verdicts.push(report.verdict);
                }
                if !self.only_listed || report.verdict != Verdict::Clean {
                    exporter.scan_report(&report)?;
                }
                Ok(())
            },
        )
        .await?;
        bar.finish();
        let summary = ScanSummary {
            stats,
            queries: lookups.queries(),
            elapsed: start.elapsed(),
        };
        exporter.scan_end(&summary)?;
        if config.format != Format::Human && !self.quiet {
            render::HumanExporter::new(err, Style::default()).scan_end(&summary)?;
        }
        if summary.stats.interrupted {
            return Ok(ExitStatus::Interrupted);
        }
        Ok(ExitStatus::from_verdicts(verdicts))
    }
}

/// Scans take the bulk path: long-lived UDP sockets, with the resolver
/// for truncated replies.
async fn bulk_transport(config: &Config) -> Result<Arc<dyn Dns>, RunError> {
    let fallback: Arc<dyn Dns> = Arc::new(HickoryDns::new(&config.resolver)?);
    let servers = if config.resolver.servers.is_empty() {
        dns::system_servers()?
    } else {
        config.resolver.servers.clone()
    };
    let bulk = BulkUdp::new(
        &servers,
        config.resolver.timeout,
        config.resolver.attempts,
        fallback,
    )
    .await?;
    Ok(Arc::new(bulk))
}
