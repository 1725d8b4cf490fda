//! `serve` under scrape load: 1,000 targets x 20 zones, scraped 50 times a
//! second, against node_exporter's textfile collector serving the same
//! exposition (the anchor, scraped the same way in the same run).
//!
//! Run with `bench/serve.sh` (or `cargo bench --bench serve -- --seconds 60`).
//! Prints the scrape latency of both (median, p90, p99, max), the ratio of
//! the medians, the time to render and record one round, and the process's
//! resident memory over the run.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use blocklens::catalog::Role;
use blocklens::monitor::serve::{RoundFn, ServeOptions, bind, serve};
use blocklens::monitor::{Round, Store, ZoneHealth, metrics};
use blocklens::report::{Health, Report, Status, ZoneResult};
use blocklens::target::{Family, TargetKind};

const TARGETS: usize = 1000;
const ZONES: usize = 20;

/// A round like a real one: 2% of lookups listed, 1% failed.
fn synthetic_round() -> Round {
    let reports = (0..TARGETS)
        .map(|t| {
            let ip = format!("198.51.{}.{}", t / 256, t % 256);
            let results = (0..ZONES)
                .map(|z| {
                    let status = match (t * 7 + z * 13) % 100 {
                        0 | 1 => Status::Listed,
                        2 => Status::Error,
                        _ => Status::NotListed,
                    };
                    let listed = status == Status::Listed;
                    ZoneResult {
                        zone: format!("zone{z}.bl.example"),
                        name: format!("List {z}"),
                        role: if z == 19 { Role::Allow } else { Role::Block },
                        query: format!("{}.zone{z}.bl.example", ip),
                        status,
                        answers: if listed {
                            vec!["127.0.0.2".into()]
                        } else {
                            vec![]
                        },
                        meanings: if listed {
                            vec!["spam source".into()]
                        } else {
                            vec![]
                        },
                        txt: vec![],
                        detail: (status == Status::Error)
                            .then(|| "no usable answer: timeout".into()),
                        lookup_url: None,
                        resolver: None,
                        listed_since: None,
                        change: None,
                    }
                })
                .collect();
            Report::new(ip, TargetKind::Ip, results)
        })
        .collect();
    Round {
        reports,
        zones: (0..ZONES)
            .map(|z| ZoneHealth {
                zone: format!("zone{z}.bl.example"),
                family: Family::V4,
                health: Health::Healthy,
            })
            .collect(),
        started: SystemTime::now(),
        duration: Duration::from_millis(1800),
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(default)
}

struct NodeExporter(Child);

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// node_exporter with only the textfile collector, serving `text`.
fn node_exporter(dir: &std::path::Path, text: &str) -> Option<(NodeExporter, String)> {
    let exe = [
        "/usr/bin/prometheus-node-exporter",
        "/usr/bin/node_exporter",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).is_file())?;
    std::fs::write(dir.join("blocklens.prom"), text).ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(exe)
        .arg("--collector.disable-defaults")
        .arg("--collector.textfile")
        .arg(format!("--collector.textfile.directory={}", dir.display()))
        .arg("--web.disable-exporter-metrics")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    Some((
        NodeExporter(child),
        format!("http://127.0.0.1:{port}/metrics"),
    ))
}

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    format!(
        "n={} median={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        v.len(),
        p(0.5),
        p(0.9),
        p(0.99),
        p(1.0)
    )
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

/// Times a GET and the whole body; None when it failed.
async fn scrape(client: &reqwest::Client, url: &str) -> Option<(Duration, usize)> {
    let start = Instant::now();
    let resp = client.get(url).send().await.ok()?;
    let body = resp.bytes().await.ok()?;
    Some((start.elapsed(), body.len()))
}

/// Scrapes `url` `rate` times a second for `time`: latencies, failures, body size.
async fn scrape_for(
    client: reqwest::Client,
    url: String,
    rate: u64,
    time: Duration,
) -> (Vec<Duration>, u64, usize) {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut times, mut failed, mut bytes) = (Vec::new(), 0, 0);
    let start = Instant::now();
    while start.elapsed() < time {
        ticker.tick().await;
        match scrape(&client, &url).await {
            Some((d, n)) => {
                times.push(d);
                bytes = n;
            }
            None => failed += 1,
        }
    }
    (times, failed, bytes)
}

fn cost_of_a_round(round: &Round) {
    let start = Instant::now();
    let mut text = String::new();
    for _ in 0..5 {
        text = metrics::render(Some(round), &[], None);
    }
    println!(
        "render one round: {:.1} ms ({} bytes, {} lines)",
        start.elapsed().as_secs_f64() * 1000.0 / 5.0,
        text.len(),
        text.lines().count()
    );
    let mut store = Store::in_memory().expect("an in-memory store");
    let start = Instant::now();
    store
        .record_round(SystemTime::now(), &round.reports)
        .expect("recorded");
    println!(
        "record one round (first, {} results, in memory): {:.1} ms",
        TARGETS * ZONES,
        start.elapsed().as_secs_f64() * 1000.0
    );
    let start = Instant::now();
    store
        .record_round(SystemTime::now(), &round.reports)
        .expect("recorded");
    println!(
        "record one round (again): {:.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
}

/// serve with a round function that returns `round` (restamped) at once.
async fn start_serve(
    round: Arc<Round>,
    interval: Duration,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let round_fn: RoundFn = Arc::new(move || {
        let mut next = (*round).clone();
        Box::pin(async move {
            next.started = SystemTime::now();
            next
        })
    });
    let listener = bind("127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("bound");
    let url = format!("http://{}/metrics", listener.local_addr().expect("local"));
    let opts = ServeOptions {
        interval,
        store: None,
        notifier: None,
        log: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = serve(listener, round_fn, opts, async {
            let _ = stopped.await;
        })
        .await;
    });
    (url, stop, server)
}

/// Scrapes `url` until it answers with a body that contains `needle`.
async fn first_body(client: &reqwest::Client, url: &str, needle: &str) -> Option<String> {
    for _ in 0..200 {
        if let Ok(r) = client.get(url).send().await
            && let Ok(t) = r.text().await
            && t.contains(needle)
        {
            return Some(t);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

fn report(ours: (Vec<Duration>, u64, usize), anchor: Vec<Duration>, rss: &[(u64, u64)]) {
    let (ours_t, failed, bytes) = ours;
    println!("body={bytes} bytes");
    println!(
        "blocklens serve /metrics: {} failed={failed}",
        percentiles(ours_t.clone())
    );
    if !anchor.is_empty() {
        println!(
            "node_exporter textfile (anchor): {}",
            percentiles(anchor.clone())
        );
        let (a, b) = (median(ours_t), median(anchor));
        println!(
            "ratio of medians (blocklens / node_exporter): {:.4} (node_exporter takes {:.0}x as long)",
            a / b,
            b / a
        );
    }
    let rss: Vec<String> = rss
        .iter()
        .map(|(s, k)| format!("{s}s:{:.1}", *k as f64 / 1024.0))
        .collect();
    println!("RSS MiB over the run: {}", rss.join(" "));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds = arg("--seconds", 60);
    let rate = arg("--rate", 50).max(1);
    let interval = Duration::from_secs(arg("--interval", 5).max(1));
    println!(
        "targets={TARGETS} zones={ZONES} rate={rate}/s each seconds={seconds} round interval={interval:?}"
    );
    let round = Arc::new(synthetic_round());
    cost_of_a_round(&round);
    let (ours, stop, server) = start_serve(round, interval).await;
    let client = reqwest::Client::new();
    let text = first_body(&client, &ours, "blocklens_listed{")
        .await
        .expect("serve completes its first round");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let anchor = node_exporter(dir.path(), &text);
    match &anchor {
        // Ready once it serves the file.
        Some((_, url)) => drop(first_body(&client, url, "blocklens_listed{").await),
        None => eprintln!("node_exporter not found: no anchor in this run"),
    }
    // Both scraped at `rate` a second at the same time, so they share the noise.
    let secs = Duration::from_secs(seconds);
    let ours_run = tokio::spawn(scrape_for(client.clone(), ours.clone(), rate, secs));
    let anchor_run = anchor
        .as_ref()
        .map(|(_, url)| tokio::spawn(scrape_for(client.clone(), url.clone(), rate, secs)));
    let mut rss = Vec::new();
    let start = Instant::now();
    while start.elapsed() < secs {
        rss.push((start.elapsed().as_secs(), rss_kib()));
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let ours_result = ours_run.await.expect("scraper");
    let anchor_t = match anchor_run {
        Some(run) => run.await.expect("scraper").0,
        None => Vec::new(),
    };
    let _ = stop.send(());
    let _ = server.await;
    report(ours_result, anchor_t, &rss);
}
