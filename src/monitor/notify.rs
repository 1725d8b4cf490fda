//! Webhook notifications (`--notify URL`): each [`Change`] is POSTed as one
//! JSON object to the URL by a background task, so a slow or dead receiver
//! never holds up a round.
//!
//! The queue is bounded ([`NotifyOptions::queue`]); when it is full, a new
//! event is dropped and counted, never waited for. Each POST has a timeout;
//! a timeout, a connection error, a 5xx or a 429 is retried with exponential
//! backoff up to [`NotifyOptions::attempts`] tries; any other non-2xx answer
//! (including a redirect, which is not followed) is final. Events are
//! delivered one at a time, in order.
//!
//! The body (`Content-Type: application/json`):
//!
//! ```json
//! {"source":"blocklens","target":"192.0.2.10","zone":"zen.spamhaus.org",
//!  "role":"block","kind":"listed","at":"2026-11-28T09:15:00Z",
//!  "answers":["127.0.0.4"],"meanings":["XBL: exploited host"],"listed_since":null}
//! ```
//!
//! `kind` is `listed` or `delisted`; for a delisting, `answers`/`meanings`
//! are those of the listing that ended and `listed_since` is when it began.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::state::Change;

/// How to deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyOptions {
    /// Where to POST (http or https).
    pub url: reqwest::Url,
    /// Time allowed for one POST, from connecting to the end of the answer.
    pub timeout: Duration,
    /// Tries per event (at least 1).
    pub attempts: u32,
    /// The wait before the first retry; it doubles for each further one (at most 5 minutes).
    pub backoff: Duration,
    /// Events waiting for delivery at most; more are dropped.
    pub queue: usize,
}

/// A webhook URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--notify {url}: {reason}")]
pub struct NotifyError {
    /// The URL as given.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

impl NotifyOptions {
    /// Defaults for `url`: 10 s timeout, 4 tries, 2 s first backoff, 1,000 queued.
    pub fn new(url: &str) -> Result<NotifyOptions, NotifyError> {
        let err = |reason: &str| NotifyError {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| err(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(err("the URL must start with http:// or https://"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(err("the URL has no host"));
        }
        Ok(NotifyOptions {
            url: parsed,
            timeout: Duration::from_secs(10),
            attempts: 4,
            backoff: Duration::from_secs(2),
            queue: 1000,
        })
    }
}

/// What the notifier has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotifyStats {
    /// Events accepted into the queue.
    pub queued: u64,
    /// Events the receiver accepted (2xx).
    pub sent: u64,
    /// Events given up on (after every try, or a final non-2xx answer).
    pub failed: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Tries beyond the first.
    pub retries: u64,
}

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Counters {
    fn snapshot(&self) -> NotifyStats {
        NotifyStats {
            queued: self.queued.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }

    fn fail(&self, why: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
    }
}

/// A running notifier. Dropping it stops delivery; [`Notifier::finish`]
/// waits for the queue to drain first.
pub struct Notifier {
    tx: mpsc::Sender<Change>,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("stats", &self.stats())
            .finish()
    }
}

#[derive(Serialize)]
struct Payload<'a> {
    source: &'static str,
    #[serde(flatten)]
    change: &'a Change,
}

impl Notifier {
    /// Starts the delivery task on the current tokio runtime.
    pub fn start(opts: NotifyOptions) -> Result<Notifier, NotifyError> {
        let client = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("blocklens/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError {
                url: opts.url.to_string(),
                reason: format!("cannot set up the HTTP client: {e}"),
            })?;
        let (tx, mut rx) = mpsc::channel::<Change>(opts.queue.max(1));
        let counters = Arc::new(Counters::default());
        let c = Arc::clone(&counters);
        let task = tokio::spawn(async move {
            while let Some(change) = rx.recv().await {
                deliver(&client, &opts, &change, &c).await;
            }
        });
        Ok(Notifier { tx, counters, task })
    }

    /// Queues `change` for delivery without waiting; false (and counted as
    /// dropped) when the queue is full or delivery has stopped.
    pub fn notify(&self, change: &Change) -> bool {
        match self.tx.try_send(change.clone()) {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// What has been done so far.
    pub fn stats(&self) -> NotifyStats {
        self.counters.snapshot()
    }

    /// Why the last event failed, if one did.
    #[cfg(test)]
    fn last_error(&self) -> Option<String> {
        self.counters
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops accepting events and waits up to `wait` for the queue to drain
    /// (a one-shot run before it exits); what is left is abandoned.
    pub async fn finish(self, wait: Duration) -> NotifyStats {
        let Notifier { tx, counters, task } = self;
        drop(tx);
        let abort = task.abort_handle();
        if tokio::time::timeout(wait, task).await.is_err() {
            abort.abort();
        }
        counters.snapshot()
    }
}

/// POSTs one event, retrying what may succeed later.
async fn deliver(client: &reqwest::Client, opts: &NotifyOptions, change: &Change, c: &Counters) {
    let body = match serde_json::to_vec(&Payload {
        source: "blocklens",
        change,
    }) {
        Ok(b) => b,
        Err(e) => return c.fail(format!("cannot encode the event: {e}")),
    };
    let attempts = opts.attempts.max(1);
    for attempt in 1..=attempts {
        if attempt > 1 {
            c.retries.fetch_add(1, Ordering::Relaxed);
            let factor = 2u32.saturating_pow(attempt - 2);
            let wait = opts
                .backoff
                .saturating_mul(factor)
                .min(Duration::from_secs(300));
            tokio::time::sleep(wait).await;
        }
        let sent = client
            .post(opts.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        let (retry, why) = match sent {
            Ok(resp) if resp.status().is_success() => {
                c.sent.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(resp) => {
                let s = resp.status();
                let retry = s.is_server_error() || s == reqwest::StatusCode::TOO_MANY_REQUESTS;
                (retry, format!("the receiver answered {s}"))
            }
            Err(e) if e.is_timeout() => (true, format!("no answer within {:?}", opts.timeout)),
            Err(e) => (true, format!("cannot reach the receiver: {}", chain(&e))),
        };
        if !retry || attempt == attempts {
            return c.fail(format!(
                "event {} for {} on {}: {why} (try {attempt} of {attempts})",
                change.kind, change.target, change.zone
            ));
        }
    }
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::state::ChangeKind;
    use crate::monitor::testkit::{Receiver, Reply};
    use std::time::SystemTime;

    fn change(target: &str) -> Change {
        Change {
            target: target.into(),
            zone: "bl.test".into(),
            role: crate::catalog::Role::Block,
            kind: ChangeKind::Listed,
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            answers: vec!["127.0.0.2".into()],
            meanings: vec!["spam source".into()],
            listed_since: None,
        }
    }

    fn opts(url: &str) -> NotifyOptions {
        let mut o = NotifyOptions::new(url).unwrap();
        o.backoff = Duration::from_millis(20);
        o.timeout = Duration::from_secs(5);
        o
    }

    #[tokio::test]
    async fn an_event_is_posted_as_json() {
        let rx = Receiver::start(vec![]).await;
        let n = Notifier::start(opts(&rx.url)).unwrap();
        assert!(n.notify(&change("192.0.2.10")));
        let stats = n.finish(Duration::from_secs(10)).await;
        assert_eq!((stats.queued, stats.sent, stats.failed), (1, 1, 0));
        let got = rx.accepted();
        assert_eq!(got.len(), 1);
        let e = &got[0];
        assert_eq!(e["source"], "blocklens");
        assert_eq!(e["kind"], "listed");
        assert_eq!(e["target"], "192.0.2.10");
        assert_eq!(e["zone"], "bl.test");
        assert_eq!(e["at"], "2027-01-15T08:00:00Z");
        assert_eq!(e["answers"][0], "127.0.0.2");
        assert!(e["listed_since"].is_null());
    }

    #[tokio::test]
    async fn a_server_error_is_retried_and_a_client_error_is_final() {
        let rx = Receiver::start(vec![Reply::Status(500), Reply::Status(503)]).await;
        let n = Notifier::start(opts(&rx.url)).unwrap();
        n.notify(&change("192.0.2.10"));
        let stats = n.finish(Duration::from_secs(10)).await;
        assert_eq!((stats.sent, stats.retries, rx.hits()), (1, 2, 3));
        assert_eq!(rx.accepted().len(), 1);

        let rx = Receiver::start(vec![Reply::Status(404)]).await;
        let n = Notifier::start(opts(&rx.url)).unwrap();
        n.notify(&change("192.0.2.10"));
        let stats = n.finish(Duration::from_secs(10)).await;
        assert_eq!(
            (stats.sent, stats.failed, stats.retries, rx.hits()),
            (0, 1, 0, 1)
        );
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_times_out() {
        let rx = Receiver::start(vec![Reply::Hang, Reply::Hang]).await;
        let mut o = opts(&rx.url);
        o.timeout = Duration::from_millis(300);
        o.attempts = 2;
        let n = Notifier::start(o).unwrap();
        n.notify(&change("192.0.2.10"));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while n.stats().failed == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!((n.stats().failed, n.stats().retries, rx.hits()), (1, 1, 2));
        let why = n.last_error().unwrap();
        assert!(why.contains("no answer within 300ms"), "{why}");
        assert!(why.contains("192.0.2.10"), "{why}");
    }

    #[tokio::test]
    async fn a_full_queue_drops_instead_of_waiting() {
        let rx = Receiver::start(vec![Reply::Hang; 20]).await;
        let mut o = opts(&rx.url);
        o.queue = 2;
        o.timeout = Duration::from_secs(60);
        let n = Notifier::start(o).unwrap();
        let accepted = (0..10)
            .filter(|i| n.notify(&change(&format!("192.0.2.{i}"))))
            .count() as u64;
        let s = n.stats();
        // Two wait in the queue, and perhaps one is already being sent.
        assert!((2..=3).contains(&accepted), "{accepted}");
        assert_eq!((s.queued, s.dropped), (accepted, 10 - accepted));
    }

    #[test]
    fn unusable_urls_are_refused() {
        for bad in ["ftp://example.org/x", "not a url", "http://"] {
            let e = NotifyOptions::new(bad).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!("--notify {bad}: ")),
                "{e}"
            );
        }
        assert!(NotifyOptions::new("https://hooks.example.org/blocklens").is_ok());
    }
}
