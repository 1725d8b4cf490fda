//! `serve`: re-check the targets on an interval and serve the results as
//! Prometheus metrics on `/metrics` (a scrape never sends a DNS query),
//! with the history in a state database and changes sent to a webhook.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use crate::catalog::Zone;
use crate::config::Config;
use crate::monitor::notify::{Notifier, NotifyOptions};
use crate::monitor::serve::{self, LogFn, RoundFn, ServeOptions};
use crate::monitor::{Store, run_round};
use crate::report::ExitStatus;
use crate::target::Target;

use super::{Lookups, RunError};

/// `serve`'s inputs.
#[derive(Clone, Debug)]
pub struct Serve {
    /// What to check each round.
    pub targets: Vec<Target>,
    /// The zones to query.
    pub zones: Vec<Zone>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Time from the start of one round to the start of the next.
    pub interval: Duration,
    /// The history database (in memory without it).
    pub state: Option<PathBuf>,
    /// Where change events go.
    pub notify: Option<NotifyOptions>,
}

impl Serve {
    /// Serves until SIGTERM or Ctrl-C; problems of a round are written to
    /// `err` as they happen.
    pub async fn run(&self, config: &Config, err: &mut dyn Write) -> Result<ExitStatus, RunError> {
        let input = |e: String| RunError::Input(e);
        let store = match &self.state {
            Some(p) => Some(Store::open(p).map_err(|e| input(e.to_string()))?),
            None => None,
        };
        let notifier = match &self.notify {
            Some(o) => Some(Notifier::start(o.clone()).map_err(|e| input(e.to_string()))?),
            None => None,
        };
        let listener = serve::bind(self.listen)
            .await
            .map_err(|e| input(e.to_string()))?;
        let dns = Lookups::resolver(&self.zones, config)?.dns;
        let (zones, targets) = (Arc::new(self.zones.clone()), Arc::new(self.targets.clone()));
        let opts = config.engine.clone();
        let round: RoundFn = Arc::new(move || {
            let (dns, zones, targets, opts) = (
                Arc::clone(&dns),
                Arc::clone(&zones),
                Arc::clone(&targets),
                opts.clone(),
            );
            async move { run_round(dns, &zones, &targets, &opts).await }.boxed()
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let log: LogFn = Arc::new(move |line: &str| {
            let _ = tx.send(line.to_string());
        });
        let options = ServeOptions {
            interval: self.interval,
            store,
            notifier,
            log: Some(log),
        };
        let server = serve::serve(listener, round, options, serve::shutdown_signal());
        tokio::pin!(server);
        loop {
            tokio::select! {
                done = &mut server => {
                    done.map_err(|e| input(e.to_string()))?;
                    break;
                }
                Some(line) = rx.recv() => {
                    writeln!(err, "blocklens: {}", crate::render::sanitize(&line))?;
                }
            }
        }
        Ok(ExitStatus::Clean)
    }
}
