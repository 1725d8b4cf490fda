//! Monitoring building blocks against real servers on 127.0.0.1: infra
//! discovery, rounds that change between checks (metrics, Nagios state,
//! history, webhook), the state database under crashes and concurrent runs,
//! and the exposition checked by promtool.

// Tests may print (e.g. why a test was skipped); the library may not.
#![allow(clippy::print_stderr, clippy::print_stdout)]

#[path = "../integration/common/mod.rs"]
#[allow(dead_code)]
mod common;

mod infra;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use blocklens::dns::{Client, Dns, ResolverSettings};

/// A resolver that asks only `server`.
pub fn dns_at(server: SocketAddr, timeout: Duration) -> Arc<dyn Dns> {
    Arc::new(
        Client::new(&ResolverSettings {
            servers: vec![server],
            timeout,
            attempts: 1,
        })
        .expect("a resolver for 127.0.0.1"),
    )
}

mod rounds;
mod rules;
mod serve;
mod state;

use std::sync::Mutex;

use blocklens::catalog::{Catalog, Zone};

/// The catalog of these tests: one IP list, `flip.test`, and `silent.test`.
pub fn zones() -> Vec<Zone> {
    let mut c = Catalog::default();
    c.add_file(
        std::path::Path::new("monitor.toml"),
        r#"
[[zone]]
zone = "flip.test"
name = "Test flip"
targets = "ip"
txt = false
[zone.codes]
"127.0.0.2" = "spam source"
"127.0.0.4" = "exploited host"
"#,
    )
    .expect("the test catalog parses");
    c.zones
}

/// A webhook receiver that accepts every POST and keeps its JSON body.
pub struct Hook {
    pub url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Hook {
    pub async fn start() -> Hook {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&bodies);
        let app = axum::Router::new().route(
            "/events",
            axum::routing::post(move |body: String| async move {
                let v: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
                kept.lock().unwrap().push(v);
                "ok"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Hook { url, bodies }
    }

    /// The `kind` of every event received, in order.
    pub fn kinds(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["kind"].as_str().unwrap_or("?").to_string())
            .collect()
    }

    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// Checks exposition text with promtool when it is installed.
pub fn promtool_check(text: &str) {
    let promtool = std::path::Path::new("/usr/bin/promtool");
    if !promtool.is_file() {
        eprintln!(
            "skipped: /usr/bin/promtool is not installed, the exposition was not checked by it"
        );
        return;
    }
    use std::io::Write;
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}\n{}{}\n--- text ---\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sample value of `name` with these labels, parsed by prometheus-parse.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("the exposition parses");
    let found: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?}: {found:?}");
    found.first().copied()
}
