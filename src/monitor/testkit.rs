//! Test support: a webhook receiver on 127.0.0.1 that answers as scripted,
//! and sample reports.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;

use crate::catalog::Role;
use crate::report::{Report, Status, ZoneResult};
use crate::target::TargetKind;

/// How the receiver answers one request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reply {
    /// This status.
    Status(u16),
    /// Never answer.
    Hang,
}

#[derive(Default)]
struct Inner {
    script: Mutex<VecDeque<Reply>>,
    accepted: Mutex<Vec<serde_json::Value>>,
    hits: AtomicUsize,
}

/// A webhook receiver; after its script it answers 200.
pub(crate) struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

async fn hook(State(inner): State<Arc<Inner>>, body: bytes::Bytes) -> StatusCode {
    inner.hits.fetch_add(1, Ordering::SeqCst);
    let reply = inner.script.lock().unwrap().pop_front();
    match reply {
        Some(Reply::Hang) => futures::future::pending().await,
        Some(Reply::Status(s)) if !(200..300).contains(&s) => StatusCode::from_u16(s).unwrap(),
        _ => {
            let v = serde_json::from_slice(&body).expect("the body is JSON");
            inner.accepted.lock().unwrap().push(v);
            StatusCode::OK
        }
    }
}

impl Receiver {
    pub async fn start(script: Vec<Reply>) -> Receiver {
        let inner = Arc::new(Inner {
            script: Mutex::new(script.into()),
            ..Default::default()
        });
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, inner }
    }

    /// Bodies answered with 2xx, in order.
    pub fn accepted(&self) -> Vec<serde_json::Value> {
        self.inner.accepted.lock().unwrap().clone()
    }

    /// Requests received.
    pub fn hits(&self) -> usize {
        self.inner.hits.load(Ordering::SeqCst)
    }
}

/// A zone result with the usual fields for `status`.
pub(crate) fn result(zone: &str, role: Role, status: Status) -> ZoneResult {
    let listed = status == Status::Listed;
    ZoneResult {
        zone: zone.into(),
        name: format!("Test {zone}"),
        role,
        query: format!("10.2.0.192.{zone}"),
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
        detail: matches!(status, Status::Error | Status::Unusable)
            .then(|| "no usable answer: timeout".to_string()),
        lookup_url: None,
        resolver: None,
        listed_since: None,
        change: None,
    }
}

/// A report for `target` with block-list results.
pub(crate) fn report(target: &str, results: &[(&str, Status)]) -> Report {
    let kind = if target.parse::<std::net::IpAddr>().is_ok() {
        TargetKind::Ip
    } else {
        TargetKind::Domain
    };
    Report::new(
        target.into(),
        kind,
        results
            .iter()
            .map(|(z, s)| result(z, Role::Block, *s))
            .collect(),
    )
}

/// Parses exposition text with an independent parser (prometheus-parse).
pub(crate) fn parse_metrics(text: &str) -> prometheus_parse::Scrape {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("the exposition parses")
}

/// The value of the sample `name` whose labels include `labels`; None when
/// there is none. Panics when several match.
pub(crate) fn sample(
    scrape: &prometheus_parse::Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    let found: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {found:?}");
    found.first().copied()
}
