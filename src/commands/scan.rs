//! `scan`: address ranges against the IP zones, streamed in input order,
//! with a progress bar and a summary.

use std::cell::RefCell;
use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::catalog::Zone;
use crate::config::{Config, Format, Style};
use crate::dns::{BulkError, Client, Dns, Failure, Outcome, RecordType, SetupError};
use crate::dnsbl::Probe;
use crate::engine::{BulkScan, Emit, LocalScan, ScanError, ScanOutput};
use crate::render::{self, Exporter, Progress};
use crate::report::{ExitStatus, Report, ScanStats, ScanSummary, Verdict};
use crate::sources::{self, Block, Shard};
use crate::target::Family;
use crate::zonedata::{self, LocalZones};

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
        let held = HeldFlush::new(out);
        let mut writer = &held;
        let mut exporter = render::exporter(config, &mut writer);
        exporter.scan_begin()?;
        let start = Instant::now();
        let mut output = Output {
            exporter: &mut *exporter,
            held: &held,
            only_listed: self.only_listed,
            bar: None,
        };
        let (stats, queries) = match self.local_data(config) {
            Some(data) => (self.run_local(config, data, &mut output).await?, 0),
            None => on_this_thread(self.run_dns(config, &mut output)).await?,
        };
        let summary = ScanSummary {
            stats,
            queries,
            elapsed: start.elapsed(),
        };
        exporter.scan_end(&summary)?;
        held.release()?;
        if config.format != Format::Human && !self.quiet {
            render::HumanExporter::new(err, Style::default()).scan_end(&summary)?;
        }
        Ok(ExitStatus::from_scan(&summary.stats))
    }

    /// Scans through DNS, on the client's bulk path (zones with local data
    /// answered from memory in the same pass); returns the counters and the
    /// queries sent (test points included, local answers not).
    async fn run_dns(
        &self,
        config: &Config,
        output: &mut Output<'_, '_, '_>,
    ) -> Result<(ScanStats, u64), RunError> {
        let client = Arc::new(Client::new(&config.resolver)?);
        let lookups = Lookups::new(Arc::clone(&client) as Arc<dyn Dns>, &self.zones, config);
        let local = (!config.local.is_empty())
            .then(|| LocalZones::new(config.local.clone(), Arc::new(NoNetwork)));
        let sent = Arc::new(AtomicU64::new(0));
        output.bar = Some({
            let (probes, sent) = (Arc::clone(&lookups.counter), Arc::clone(&sent));
            Progress::new(self.targets(), self.progress && !self.quiet, move || {
                probes.queries() + sent.load(Ordering::Relaxed)
            })
        });
        let attempts = u32::try_from(config.resolver.attempts.max(1)).unwrap_or(u32::MAX);
        let scan = BulkScan {
            client: &client,
            probes: Arc::clone(&lookups.dns),
            local: local.as_ref(),
            zones: &self.zones,
            opts: &config.engine,
            budget: config.resolver.timeout.saturating_mul(attempts),
            sent: Arc::clone(&sent),
        };
        let stats = scan
            .run(&self.blocks, self.shard, ctrl_c(), &mut *output)
            .await;
        output.finish();
        let stats = stats.map_err(|e| match e {
            ScanError::Io(e) => RunError::Io(e),
            ScanError::Dns(BulkError::Socket { server, error }) => {
                RunError::Setup(SetupError::Socket { server, error })
            }
            ScanError::Dns(e) => RunError::Io(std::io::Error::other(e)),
        })?;
        Ok((stats, lookups.queries() + sent.load(Ordering::Relaxed)))
    }

    /// The local data of every zone, when the whole scan can be answered
    /// from it: every zone has data (not expired) and every address is IPv4.
    fn local_data<'c>(&self, config: &'c Config) -> Option<Vec<&'c zonedata::Zone>> {
        if !self.blocks.iter().all(|b| matches!(b, Block::V4(..))) {
            return None;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.zones
            .iter()
            .map(|z| {
                config
                    .local
                    .iter()
                    .find(|d| d.name() == z.query_zone && !d.is_expired_at(now))
            })
            .collect()
    }

    /// Scans from local data only: no DNS, one address after another.
    async fn run_local(
        &self,
        config: &Config,
        data: Vec<&zonedata::Zone>,
        output: &mut Output<'_, '_, '_>,
    ) -> Result<ScanStats, RunError> {
        let answers = LocalZones::new(config.local.clone(), Arc::new(NoNetwork));
        let mut zones = Vec::new();
        for (zone, d) in self.zones.iter().zip(data) {
            let probe = Probe::run(&answers, zone, Family::V4).await;
            zones.push((zone, d, probe));
        }
        output.bar = Some(Progress::new(
            self.targets(),
            self.progress && !self.quiet,
            || 0,
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                ctrl_c().await;
                stop.store(true, Ordering::Relaxed);
            })
        };
        let keep_clean = !self.only_listed && config.format != Format::Human;
        let addresses = sources::addresses(&self.blocks, self.shard).filter_map(|a| match a {
            IpAddr::V4(v4) => Some(u32::from(v4)),
            IpAddr::V6(_) => None,
        });
        let scan = LocalScan { zones };
        let stats = tokio::task::block_in_place(|| {
            scan.run(addresses, keep_clean, &stop, |emit, stats| {
                output.progress(stats);
                match emit {
                    Emit::Report(r) => output.exporter.scan_report(r),
                    Emit::Progress => output.held.release(),
                }
            })
        });
        watcher.abort();
        output.finish();
        Ok(stats?)
    }
}

/// Runs `work` on this thread alone: on a multi-threaded runtime, in a
/// single-threaded runtime of its own. A DNS scan is one loop that waits on
/// its sockets; on a multi-threaded runtime another thread would watch the
/// sockets and wake this one for every answer (measured: one context switch
/// per query, 40% of a /16 scan's time).
async fn on_this_thread<F: std::future::Future>(work: F) -> F::Output {
    use tokio::runtime::{Builder, Handle, RuntimeFlavor};
    let shared =
        Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if shared && let Ok(own) = Builder::new_current_thread().enable_all().build() {
        return tokio::task::block_in_place(move || own.block_on(work));
    }
    work.await
}

/// The scan's output: its writer, with the exporter's flushes held until
/// the scan pauses ([`HeldFlush::release`]). The NDJSON exporter flushes
/// each line so that a reader on a pipe gets it as soon as it is ready;
/// here lines are gathered and written out when the scan has nothing more
/// ready for now (it waits for answers or a rate slot) or [`HELD`] bytes
/// have gathered, so a fast scan costs a write per batch of lines instead
/// of one per line.
struct HeldFlush<'a>(RefCell<std::io::BufWriter<&'a mut dyn Write>>);

/// Bytes of output gathered at most before they are written.
const HELD: usize = 64 * 1024;

impl<'a> HeldFlush<'a> {
    fn new(out: &'a mut dyn Write) -> HeldFlush<'a> {
        HeldFlush(RefCell::new(std::io::BufWriter::with_capacity(HELD, out)))
    }

    /// Writes out and flushes what was gathered.
    fn release(&self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

impl Write for &HeldFlush<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.borrow_mut().write_all(buf)
    }

    /// Held: see [`HeldFlush::release`].
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where a scan's reports go: the exporter (clean targets left out with
/// `--only-listed`), the progress bar, and the held flushes.
struct Output<'e, 'h, 'w> {
    exporter: &'e mut dyn Exporter,
    held: &'h HeldFlush<'w>,
    only_listed: bool,
    bar: Option<Progress>,
}

impl Output<'_, '_, '_> {
    fn progress(&self, stats: &ScanStats) {
        if let Some(bar) = &self.bar {
            bar.update(stats.targets, stats.listed);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

impl ScanOutput for &mut Output<'_, '_, '_> {
    fn report(&mut self, report: Report, stats: &ScanStats) -> std::io::Result<()> {
        self.progress(stats);
        if !self.only_listed || report.verdict != Verdict::Clean {
            self.exporter.scan_report(&report)?;
        }
        Ok(())
    }

    fn pause(&mut self) -> std::io::Result<()> {
        self.held.release()
    }
}

/// Resolves on Ctrl-C (never, where signals cannot be handled).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        futures::future::pending::<()>().await;
    }
}

/// The "network" of a scan answered from local data: no name outside the
/// local zones is ever asked.
struct NoNetwork;

impl Dns for NoNetwork {
    fn lookup<'a>(&'a self, _: &'a str, _: RecordType) -> BoxFuture<'a, Outcome> {
        Box::pin(async {
            Outcome::Failed(Failure::Other(
                "not in the local data (this scan asks no DNS server)".into(),
            ))
        })
    }

    fn describe(&self) -> String {
        "local data".into()
    }
}
