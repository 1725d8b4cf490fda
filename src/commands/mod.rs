//! One module per command. Each takes its validated inputs, runs the
//! lookups it needs, hands the results to the chosen format's exporter and
//! returns its exit status. Nothing here parses arguments (the binary's
//! `cli` does) or formats output (`render` does).

pub mod check;
pub mod explain;
pub mod history;
pub mod scan;
pub mod serve;
pub mod spf;
pub mod zones;

use std::io::{self, Write};
use std::sync::Arc;

use crate::catalog::Zone;
use crate::config::Config;
use crate::dns::{self, Client, Counted, Dns, RateLimited, ZoneBreaker};
use crate::report::ExitStatus;
use crate::zonedata::LocalZones;

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The resolver could not be set up (a configuration problem: exit 2).
    #[error(transparent)]
    Setup(#[from] dns::SetupError),
    /// The input cannot be used (exit 2).
    #[error("{0}")]
    Input(String),
    /// Writing the output failed (a broken pipe is not reported).
    #[error("cannot write output: {0}")]
    Io(#[from] io::Error),
}

/// A command with its validated inputs.
#[derive(Clone, Debug)]
pub enum Command {
    /// Check targets against the selected zones.
    Check(check::Check),
    /// Explain a rejection text.
    Explain(explain::Explain),
    /// A target's history from the state database.
    History(history::History),
    /// Scan address ranges.
    Scan(scan::Scan),
    /// Re-check on an interval and serve Prometheus metrics.
    Serve(serve::Serve),
    /// Evaluate SPF for a domain and an IP, with a trace.
    Spf(spf::Spf),
    /// List the catalog, or probe it.
    Zones(zones::Zones),
}

impl Command {
    /// Runs the command, writing its output to `out` (and a scan's progress
    /// and summary to `err`).
    pub async fn run(
        &self,
        config: &Config,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<ExitStatus, RunError> {
        match self {
            Command::Check(c) => c.run(config, out, err).await,
            Command::History(c) => c.run(config, out),
            Command::Serve(c) => c.run(config, err).await,
            Command::Explain(c) => c.run(config, out).await,
            Command::Scan(c) => c.run(config, out, err).await,
            Command::Spf(c) => c.run(config, out).await,
            Command::Zones(c) => c.run(config, out).await,
        }
    }
}

/// The lookups of a run: the transport, counted, rate-limited (globally and
/// per zone), and cut short for a zone that stopped answering, so every
/// query of the run is counted, capped and given up on the same way.
pub(crate) struct Lookups {
    /// What commands query through.
    pub dns: Arc<dyn Dns>,
    /// Counts every query of the run.
    pub counter: Arc<Counted>,
}

impl Lookups {
    /// Wraps `transport` for `zones` (their `rate` caps) and the run's
    /// `--rate`; zones with local data are answered from memory in front of it.
    pub fn new(transport: Arc<dyn Dns>, zones: &[Zone], config: &Config) -> Lookups {
        let transport: Arc<dyn Dns> = if config.local.is_empty() {
            transport
        } else {
            Arc::new(LocalZones::new(config.local.clone(), transport))
        };
        let counter = Arc::new(Counted::new(transport));
        let caps = zones
            .iter()
            .filter_map(|z| z.rate.map(|r| (z.query_zone.clone(), r)));
        let limited = Arc::new(RateLimited::new(
            Arc::clone(&counter) as Arc<dyn Dns>,
            config.engine.rate,
            caps,
        ));
        let dns = Arc::new(ZoneBreaker::new(
            limited,
            zones.iter().map(|z| z.query_zone.clone()),
        ));
        Lookups { dns, counter }
    }

    /// The DNS client for the run's resolvers (or the system's).
    pub fn resolver(zones: &[Zone], config: &Config) -> Result<Lookups, RunError> {
        let transport = Arc::new(Client::new(&config.resolver)?);
        Ok(Lookups::new(transport, zones, config))
    }

    /// Queries sent so far.
    pub fn queries(&self) -> u64 {
        self.counter.queries()
    }
}
