//! `scan`: address ranges against the IP zones, streamed in input order,
//! with a progress bar and a summary.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use crate::catalog::Zone;
use crate::config::{Config, Format, Style};
use crate::dns::{self, BulkUdp, Dns, HickoryDns};
use crate::engine;
use crate::render::{self, Exporter, Progress};
use crate::report::{ExitStatus, ScanSummary, Verdict};
use crate::sources::{self, Block};

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
        let lookups = Lookups::new(bulk_transport(config).await?, &self.zones, config);
        let bar = Progress::new(sources::count(&self.blocks), self.progress && !self.quiet);
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
            &config.engine,
            cancel,
            |report, stats| {
                bar.update(
                    stats.targets,
                    stats.listed,
                    lookups.queries(),
                    start.elapsed(),
                );
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
