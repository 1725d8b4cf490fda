//! `blocklens serve`: re-checks on an interval and serves the last round's
//! metrics over HTTP.
//!
//! - `GET /metrics`: the Prometheus text of the last completed round,
//!   rendered once per round. A scrape copies a reference to those bytes
//!   under a read lock: it never sends a DNS query and never waits for a round.
//! - `GET /healthz`: `200 ok` once a round has completed, `503` before.
//!
//! The round loop calls the caller's round function at start and then every
//! interval (a round that overruns delays the next; rounds never overlap),
//! records each round in the [`Store`] (an in-memory one when no `--state`
//! is given, so changes are still detected), and queues each block-list
//! change for the webhook [`Notifier`]. SIGTERM or Ctrl-C ([`shutdown_signal`])
//! stops the loop between lookups and lets in-flight scrapes finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::sync::watch;

use super::metrics::{self, Totals};
use super::notify::Notifier;
use super::state::{Listing, StateError, Store};
use super::{Change, Round};
use crate::catalog::Role;
use crate::report::Status;

/// Produces one round (the caller's check of every target).
pub type RoundFn = Arc<dyn Fn() -> BoxFuture<'static, Round> + Send + Sync>;

/// Receives a line about something that went wrong but did not stop
/// `serve` (the state database could not record a round). The library never
/// prints: the binary decides where this goes.
pub type LogFn = Arc<dyn Fn(&str) + Send + Sync>;

/// What `serve` does besides checking.
pub struct ServeOptions {
    /// Time from the start of one round to the start of the next.
    pub interval: Duration,
    /// The state database; None keeps the state in memory.
    pub store: Option<Store>,
    /// Where to send change events.
    pub notifier: Option<Notifier>,
    /// Where problems are reported.
    pub log: Option<LogFn>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("interval", &self.interval)
            .field("store", &self.store)
            .field("notifier", &self.notifier)
            .finish_non_exhaustive()
    }
}

/// How long a stopping `serve` waits for queued webhook events.
pub(crate) const NOTIFY_DRAIN: Duration = Duration::from_secs(5);

/// Why `serve` could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("the HTTP server stopped: {0}")]
    Http(#[from] std::io::Error),
    /// The in-memory state could not be set up.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Binds `addr` for [`serve`].
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            futures::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => futures::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = futures::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// What a scrape reads.
#[derive(Clone)]
struct Shared {
    metrics: Arc<RwLock<Bytes>>,
    ready: Arc<AtomicBool>,
}

/// Serves `/metrics` and `/healthz` on `listener` and runs rounds until
/// `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    round: RoundFn,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let store = match opts.store {
        Some(s) => s,
        None => Store::in_memory()?,
    };
    let initial = metrics::render(None, &[], Some(&Totals::default()));
    let shared = Shared {
        metrics: Arc::new(RwLock::new(Bytes::from(initial))),
        ready: Arc::new(AtomicBool::new(false)),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let looper = RoundLoop {
        round,
        interval: opts.interval,
        store: Arc::new(Mutex::new(store)),
        notifier: opts.notifier,
        log: opts.log,
        shared: shared.clone(),
        totals: Totals::default(),
    };
    let rounds = tokio::spawn(looper.run(stop_rx.clone()));
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .route("/healthz", axum::routing::get(healthz))
        .with_state(shared);
    let mut stop = stop_rx;
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    let _ = rounds.await;
    served.map_err(ServeError::Http)
}

async fn scrape(State(shared): State<Shared>) -> impl IntoResponse {
    let body = shared
        .metrics
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body)
}

async fn healthz(State(shared): State<Shared>) -> (StatusCode, &'static str) {
    if shared.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ok\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "no round has completed yet\n",
        )
    }
}

struct RoundLoop {
    round: RoundFn,
    interval: Duration,
    store: Arc<Mutex<Store>>,
    notifier: Option<Notifier>,
    log: Option<LogFn>,
    shared: Shared,
    totals: Totals,
}

impl RoundLoop {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(self.interval.max(Duration::from_millis(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = ticker.tick() => {}
            }
            let round = tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                r = (self.round)() => r,
            };
            self.complete(Arc::new(round)).await;
        }
        if let Some(n) = self.notifier.take() {
            n.finish(NOTIFY_DRAIN).await;
        }
    }

    /// Records a round, sends its changes and publishes its metrics.
    async fn complete(&mut self, round: Arc<Round>) {
        self.totals.rounds += 1;
        self.totals.lookup_errors += round
            .reports
            .iter()
            .flat_map(|r| &r.results)
            .filter(|r| matches!(r.status, Status::Unusable | Status::Error))
            .count() as u64;
        let (changes, listings) = match self.record(Arc::clone(&round)).await {
            Some(v) => v,
            None => {
                self.totals.state_errors += 1;
                (Vec::new(), Vec::new())
            }
        };
        if let Some(n) = &self.notifier {
            for c in changes.iter().filter(|c| c.role == Role::Block) {
                n.notify(c);
            }
            self.totals.webhook = Some(n.stats());
        }
        let text = metrics::render(Some(&round), &listings, Some(&self.totals));
        *self
            .shared
            .metrics
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Bytes::from(text);
        self.shared.ready.store(true, Ordering::Relaxed);
    }

    /// Writes the round to the store off the async threads; None when it failed.
    async fn record(&self, round: Arc<Round>) -> Option<(Vec<Change>, Vec<Listing>)> {
        let store = Arc::clone(&self.store);
        let done = tokio::task::spawn_blocking(move || {
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            let changes = store.record_round(round.started, &round.reports)?;
            Ok::<_, StateError>((changes, store.listings()?))
        })
        .await;
        let why = match done {
            Ok(Ok(v)) => return Some(v),
            Ok(Err(e)) => e.to_string(),
            Err(e) => format!("recording the round failed: {e}"),
        };
        if let Some(log) = &self.log {
            log(&format!("state not recorded for this round: {why}"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::notify::NotifyOptions;
    use crate::monitor::testkit::{Receiver, parse_metrics, report, sample};
    use std::sync::atomic::AtomicUsize;
    use std::time::SystemTime;
    use tokio::time::Instant;

    /// A fake check whose answer the test switches, counting its calls.
    #[derive(Clone, Default)]
    struct Fake {
        listed: Arc<AtomicBool>,
        calls: Arc<AtomicUsize>,
        gate: Option<Arc<tokio::sync::Semaphore>>,
    }

    impl Fake {
        fn round_fn(&self) -> RoundFn {
            let me = self.clone();
            Arc::new(move || {
                let me = me.clone();
                Box::pin(async move {
                    if let Some(g) = &me.gate {
                        g.acquire().await.unwrap().forget();
                    }
                    me.calls.fetch_add(1, Ordering::SeqCst);
                    let status = if me.listed.load(Ordering::SeqCst) {
                        Status::Listed
                    } else {
                        Status::NotListed
                    };
                    Round {
                        reports: vec![report("192.0.2.10", &[("bl.test", status)])],
                        zones: vec![],
                        started: SystemTime::now(),
                        duration: Duration::from_millis(3),
                    }
                })
            })
        }
    }

    struct Running {
        base: String,
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<Result<(), ServeError>>,
    }

    impl Running {
        /// Stops serve and waits for it to return Ok.
        async fn shutdown(self) {
            self.stop.send(()).unwrap();
            let done = tokio::time::timeout(Duration::from_secs(10), self.task).await;
            done.expect("serve stops").unwrap().unwrap();
        }
    }

    async fn start(fake: &Fake, interval: Duration, notifier: Option<Notifier>) -> Running {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let opts = ServeOptions {
            interval,
            store: None,
            notifier,
            log: None,
        };
        let task = tokio::spawn(serve(listener, fake.round_fn(), opts, async {
            let _ = rx.await;
        }));
        Running { base, stop, task }
    }

    async fn get(url: &str) -> (u16, String) {
        let r = reqwest::get(url).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Scrapes until `want` holds for `blocklens_listed` of 192.0.2.10 on bl.test.
    async fn wait_listed(base: &str, want: Option<f64>) -> prometheus_parse::Scrape {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = parse_metrics(&get(&format!("{base}/metrics")).await.1);
            let got = sample(&m, "blocklens_listed", &[("zone", "bl.test")]);
            if got == want {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "listed stayed {got:?}, want {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_rounds(base: &str, at_least: f64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = parse_metrics(&get(&format!("{base}/metrics")).await.1);
            let n = sample(&m, "blocklens_rounds_total", &[]).unwrap();
            if n >= at_least {
                return;
            }
            assert!(Instant::now() < deadline, "only {n} rounds");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_listing_flips_the_metric_and_fires_one_webhook() {
        let rx = Receiver::start(vec![]).await;
        let mut o = NotifyOptions::new(&rx.url).unwrap();
        o.backoff = Duration::from_millis(10);
        let fake = Fake::default();
        let s = start(
            &fake,
            Duration::from_millis(50),
            Some(Notifier::start(o).unwrap()),
        )
        .await;
        wait_listed(&s.base, Some(0.0)).await;
        fake.listed.store(true, Ordering::SeqCst);
        let m = wait_listed(&s.base, Some(1.0)).await;
        let rounds = sample(&m, "blocklens_rounds_total", &[]).unwrap();
        // Several more rounds that still see the listing: no more events.
        wait_rounds(&s.base, rounds + 4.0).await;
        let got = rx.accepted();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0]["kind"].as_str(), got[0]["target"].as_str()),
            (Some("listed"), Some("192.0.2.10"))
        );
        // Delisted: exactly one more.
        fake.listed.store(false, Ordering::SeqCst);
        let m = wait_listed(&s.base, Some(0.0)).await;
        let rounds = sample(&m, "blocklens_rounds_total", &[]).unwrap();
        wait_rounds(&s.base, rounds + 4.0).await;
        let kinds: Vec<_> = rx
            .accepted()
            .iter()
            .map(|e| e["kind"].to_string())
            .collect();
        assert_eq!(kinds, ["\"listed\"", "\"delisted\""]);
        let m = parse_metrics(&get(&format!("{}/metrics", s.base)).await.1);
        assert_eq!(
            sample(&m, "blocklens_webhook_events_total", &[("outcome", "sent")]),
            Some(2.0)
        );
        s.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scrapes_read_the_cache_and_never_start_a_round() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let fake = Fake {
            gate: Some(Arc::clone(&gate)),
            ..Default::default()
        };
        let s = start(&fake, Duration::from_secs(3600), None).await;
        // Before the first round completes: not ready, and no round samples.
        assert_eq!(get(&format!("{}/healthz", s.base)).await.0, 503);
        let (code, body) = get(&format!("{}/metrics", s.base)).await;
        assert_eq!(code, 200);
        assert_eq!(sample(&parse_metrics(&body), "blocklens_listed", &[]), None);
        gate.add_permits(1);
        wait_listed(&s.base, Some(0.0)).await;
        assert_eq!(
            get(&format!("{}/healthz", s.base)).await,
            (200, "ok\n".to_string())
        );
        for _ in 0..50 {
            let (code, body) = get(&format!("{}/metrics", s.base)).await;
            assert_eq!(code, 200);
            assert!(body.contains("blocklens_listed{"));
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
        let r = reqwest::get(format!("{}/metrics", s.base)).await.unwrap();
        assert_eq!(r.headers()[header::CONTENT_TYPE], metrics::CONTENT_TYPE);
        // Shutdown while the loop waits for its next tick: serve returns
        // and the port closes.
        let base = s.base.clone();
        s.shutdown().await;
        assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
    }

    #[tokio::test]
    async fn a_busy_port_is_a_clear_error() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let e = bind(addr).await.unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("cannot listen on {addr}: ")),
            "{e}"
        );
    }
}
