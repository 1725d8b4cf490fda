//! A target that becomes listed between two rounds, then a list that stops
//! answering: the metric, the Nagios state, the history and the webhook,
//! against the in-process DNS server (one-shot rounds) and rbldnsd (serve).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use blocklens::config::EngineOptions;
use blocklens::dns::Dns;
use blocklens::monitor::nagios::{self, PluginState, Thresholds};
use blocklens::monitor::notify::{Notifier, NotifyOptions};
use blocklens::monitor::{EventKind, Round, Store, metrics, rfc3339, run_round};
use blocklens::target::Target;

use crate::common::TestServer;
use crate::{Hook, promtool_check, sample};

const TARGET: &str = "192.0.2.10";

/// A UDP socket that never answers: a list that stopped answering.
fn silent_server() -> (std::net::UdpSocket, SocketAddr) {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = s.local_addr().unwrap();
    (s, addr)
}

/// What one round looks like from the outside.
struct Seen {
    nagios: PluginState,
    text: String,
}

/// What a cron job with `--state` and `--notify` keeps between runs.
struct Watch {
    _dir: tempfile::TempDir,
    store: Store,
    hook: Hook,
    notifier: Notifier,
}

impl Watch {
    async fn new() -> Watch {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.db")).unwrap();
        let hook = Hook::start().await;
        let mut opts = NotifyOptions::new(&hook.url).unwrap();
        opts.backoff = Duration::from_millis(10);
        let notifier = Notifier::start(opts).unwrap();
        Watch {
            _dir: dir,
            store,
            hook,
            notifier,
        }
    }

    /// One `check --state --notify --format nagios|prometheus` run.
    async fn run(&mut self, dns: Arc<dyn Dns>) -> (Round, Seen) {
        let zones = crate::zones();
        let targets = [Target::parse(TARGET).unwrap()];
        let round = run_round(dns, &zones, &targets, &EngineOptions::default()).await;
        let changes = self.store.record_round(round.started, &round.reports);
        for change in changes.unwrap() {
            self.notifier.notify(&change);
        }
        let text = metrics::render(Some(&round), &self.store.listings().unwrap(), None);
        promtool_check(&text);
        let nagios = nagios::evaluate(&round.reports, &Thresholds::default()).state;
        (round, Seen { nagios, text })
    }

    fn history(&self) -> Vec<EventKind> {
        let events = self.store.history(TARGET).unwrap();
        assert!(events.iter().all(|e| e.zone == "flip.test"));
        events.into_iter().map(|e| e.kind).collect()
    }
}

async fn wait_for_events(hook: &Hook, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while hook.kinds().len() < n && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Anything more would have arrived by now too.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_between_rounds_then_the_list_stops_answering() {
    let before = TestServer::start(&crate::common::tests_dir().join("monitor/zones/before"));
    let after = TestServer::start(&crate::common::tests_dir().join("monitor/zones/after"));
    let (_socket, silent) = silent_server();
    let dns = |addr| crate::dns_at(addr, Duration::from_millis(300));
    let mut w = Watch::new().await;
    let t = [("target", TARGET), ("zone", "flip.test")];
    let usable = [("zone", "flip.test"), ("family", "ipv4")];

    // 1: not listed, and the zone proved it answers.
    let (_, seen) = w.run(dns(before.addr())).await;
    assert_eq!(seen.nagios, PluginState::Ok, "{}", seen.text);
    assert_eq!(sample(&seen.text, "blocklens_listed", &t), Some(0.0));
    assert_eq!(sample(&seen.text, "blocklens_lookup_error", &t), Some(0.0));
    let zone_usable = sample(&seen.text, "blocklens_zone_usable", &usable);
    assert_eq!(zone_usable, Some(1.0));

    // 2: listed since the last round.
    let (r2, seen) = w.run(dns(after.addr())).await;
    assert_eq!(seen.nagios, PluginState::Critical);
    assert_eq!(sample(&seen.text, "blocklens_listed", &t), Some(1.0));
    let since = w.store.listed_since(TARGET, "flip.test").unwrap();
    assert_eq!(since.map(rfc3339), Some(rfc3339(r2.started)));
    let secs = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as f64;
    let name = "blocklens_listed_since_timestamp_seconds";
    assert_eq!(sample(&seen.text, name, &t), Some(secs(r2.started)));
    wait_for_events(&w.hook, 1).await;
    assert_eq!(w.hook.kinds(), ["listed"]);
    let event = &w.hook.bodies()[0];
    assert_eq!(
        (event["target"].as_str(), event["zone"].as_str()),
        (Some(TARGET), Some("flip.test"))
    );
    assert_eq!(
        (&event["answers"][0], &event["meanings"][0]),
        (&"127.0.0.4".into(), &"exploited host".into())
    );

    // 3: still listed: no new event.
    assert_eq!(
        w.run(dns(after.addr())).await.1.nagios,
        PluginState::Critical
    );

    // 4: the list stops answering: UNKNOWN, an error metric, no "0", the
    // listing stands in the history, and no webhook.
    let (_, seen) = w.run(dns(silent)).await;
    assert_eq!(seen.nagios, PluginState::Unknown, "{}", seen.text);
    assert_eq!(sample(&seen.text, "blocklens_listed", &t), None);
    assert_eq!(sample(&seen.text, "blocklens_lookup_error", &t), Some(1.0));
    let zone_usable = sample(&seen.text, "blocklens_zone_usable", &usable);
    assert_eq!(zone_usable, Some(0.0));
    assert_eq!(w.store.listed_since(TARGET, "flip.test").unwrap(), since);

    // 5: it answers again, not listed: delisted, one more event.
    let (r5, seen) = w.run(dns(before.addr())).await;
    assert_eq!(seen.nagios, PluginState::Ok);
    assert_eq!(sample(&seen.text, "blocklens_listed", &t), Some(0.0));
    wait_for_events(&w.hook, 2).await;
    assert_eq!(w.hook.kinds(), ["listed", "delisted"]);
    assert_eq!(w.hook.bodies()[1]["listed_since"], rfc3339(r2.started));

    use EventKind::*;
    assert_eq!(w.history(), [Listed, CheckFailed, Delisted]);
    let delisted = w.store.history(TARGET).unwrap().pop().unwrap();
    assert_eq!(rfc3339(delisted.at), rfc3339(r5.started));
    let stats = w.notifier.finish(Duration::from_secs(5)).await;
    assert_eq!((stats.sent, stats.failed, stats.dropped), (2, 0, 0));
}

/// rbldnsd serving `flip.test` from one ip4set file, on a free port.
struct Rbldnsd {
    child: std::process::Child,
    data: std::path::PathBuf,
    addr: SocketAddr,
}

impl Drop for Rbldnsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Rbldnsd {
    /// Starts rbldnsd, or None (with a message) when it is not installed.
    fn start(dir: &std::path::Path, data: &str) -> Option<Rbldnsd> {
        use std::os::unix::fs::PermissionsExt;
        let exe = [
            "/usr/sbin/rbldnsd",
            "/usr/local/sbin/rbldnsd",
            "/usr/bin/rbldnsd",
        ]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file());
        let Some(exe) = exe else {
            assert!(
                std::env::var_os("BLOCKLENS_REQUIRE_RBLDNSD").is_none(),
                "rbldnsd is required but not installed"
            );
            eprintln!("skipped: rbldnsd is not installed (apt-get install rbldnsd)");
            return None;
        };
        // rbldnsd drops to user rbldns when started as root.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("flip.txt");
        std::fs::write(&file, data).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(exe)
            .args(["-n", "-b", &format!("127.0.0.1/{port}")])
            .arg(format!("flip.test:ip4set:{}", file.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("rbldnsd starts");
        let addr = format!("127.0.0.1:{port}").parse().unwrap();
        Some(Rbldnsd {
            child,
            data: file,
            addr,
        })
    }

    /// Rewrites the data and has rbldnsd reload it (SIGHUP), as an operator would.
    fn publish(&self, data: &str) {
        std::fs::write(&self.data, data).unwrap();
        // A later modification time, so the reload sees a change even within the same second.
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&self.data)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let pid = self.child.id().to_string();
        let ok = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

async fn scrape(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Scrapes until `pred` holds for the exposition text.
async fn until(base: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = scrape(base).await;
        if pred(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {what}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lets `n` more rounds complete.
async fn rounds_pass(base: &str, n: f64) {
    let now = sample(&scrape(base).await, "blocklens_rounds_total", &[]).unwrap();
    until(base, "more rounds", |t| {
        sample(t, "blocklens_rounds_total", &[]).unwrap() >= now + n
    })
    .await;
}

/// `blocklens serve` checking 192.0.2.10 through `dns` every 100 ms, with
/// a state file and a webhook.
struct Served {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), blocklens::monitor::serve::ServeError>>,
}

impl Served {
    async fn start(dns: Arc<dyn Dns>, state: &std::path::Path, hook: &Hook) -> Served {
        use blocklens::monitor::serve::{RoundFn, ServeOptions, bind, serve};
        let round: RoundFn = Arc::new(move || {
            let dns = Arc::clone(&dns);
            Box::pin(async move {
                let targets = [Target::parse(TARGET).unwrap()];
                run_round(dns, &crate::zones(), &targets, &EngineOptions::default()).await
            })
        });
        let mut nopts = NotifyOptions::new(&hook.url).unwrap();
        nopts.backoff = Duration::from_millis(10);
        let opts = ServeOptions {
            interval: Duration::from_millis(100),
            store: Some(Store::open(state).unwrap()),
            notifier: Some(Notifier::start(nopts).unwrap()),
            log: None,
        };
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, round, opts, async {
            let _ = stopped.await;
        }));
        Served { base, stop, server }
    }

    async fn shutdown(self) {
        self.stop.send(()).unwrap();
        let done = tokio::time::timeout(Duration::from_secs(10), self.server).await;
        done.expect("serve stops").unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_against_rbldnsd_flips_once_and_never_calls_silence_clean() {
    let dir = tempfile::tempdir().unwrap();
    let Some(rbl) = Rbldnsd::start(dir.path(), "127.0.0.2\n") else {
        return;
    };
    let hook = Hook::start().await;
    let state = dir.path().join("state.db");
    let dns = crate::dns_at(rbl.addr, Duration::from_millis(300));
    let served = Served::start(dns, &state, &hook).await;
    let base = served.base.clone();
    let t = [("target", TARGET), ("zone", "flip.test")];
    let listed = |want: f64| move |text: &str| sample(text, "blocklens_listed", &t) == Some(want);

    until(&base, "not listed", listed(0.0)).await;
    rbl.publish("127.0.0.2\n192.0.2.10\n");
    let text = until(&base, "listed", listed(1.0)).await;
    promtool_check(&text);
    rounds_pass(&base, 5.0).await;
    assert_eq!(hook.kinds(), ["listed"]);

    // rbldnsd goes away: an error, never "0 = not listed", and no event.
    drop(rbl);
    let error = |text: &str| sample(text, "blocklens_lookup_error", &t) == Some(1.0);
    let text = until(&base, "a lookup error", error).await;
    assert_eq!(sample(&text, "blocklens_listed", &t), None);
    let usable = [("zone", "flip.test"), ("family", "ipv4")];
    assert_eq!(sample(&text, "blocklens_zone_usable", &usable), Some(0.0));
    rounds_pass(&base, 3.0).await;
    let text = scrape(&base).await;
    assert_eq!(sample(&text, "blocklens_listed", &t), None);
    assert_eq!(hook.kinds(), ["listed"]);
    let sent = [("outcome", "sent")];
    assert_eq!(
        sample(&text, "blocklens_webhook_events_total", &sent),
        Some(1.0)
    );

    served.shutdown().await;
    let store = Store::open(&state).unwrap();
    let kinds: Vec<EventKind> = store
        .history(TARGET)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    let listings = kinds.iter().filter(|k| **k == EventKind::Listed).count();
    assert_eq!(listings, 1, "{kinds:?}");
    assert!(!kinds.contains(&EventKind::Delisted), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&EventKind::CheckFailed), "{kinds:?}");
    assert!(store.listed_since(TARGET, "flip.test").unwrap().is_some());
}
