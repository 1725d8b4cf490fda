//! Server health for the whole run, shared by every driver of a client
//! without a lock (atomics; a mutex only for the rare I/O error text).
//!
//! A server is marked down when [`DOWN_AFTER_TIMEOUTS`] new queries in a row
//! (first transmissions, each sent after its last reply) timed out, and it
//! has been silent for at least [`DOWN_AFTER_SILENCE`] x the per-query
//! timeout since the first of them. Retries and queries sent before its
//! last reply do not count: they are about one name or zone (a dead list
//! whose queries are the last ones of a run), not about the server. From then on
//! its queries fail at once with [`Failure::ServerDown`](super::Failure),
//! which names it, instead of each waiting out its timeout. A server never
//! comes back within a run.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// New queries in a row that timed out with nothing heard from the server
/// since they were sent, before it can be marked down.
pub const DOWN_AFTER_TIMEOUTS: u32 = 8;
/// Silence, in multiples of the per-query timeout, before a server can be
/// marked down: a query that was going to be answered has been by then.
pub const DOWN_AFTER_SILENCE: u32 = 2;

/// Why a server is no longer asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Down {
    /// The server.
    pub server: SocketAddr,
    /// Replies it gave in this run before it went silent (0: never answered).
    pub replies_before: u64,
    /// New queries in a row that got no reply.
    pub timeouts: u32,
    /// How long it had been silent when it was marked down, in milliseconds.
    pub silent_ms: u64,
    /// The last socket error seen for it (e.g. "Connection refused" when
    /// nothing listens on that port), if any.
    pub error: Option<String>,
}

impl Down {
    /// True when the server never answered anything in this run.
    pub fn never_answered(&self) -> bool {
        self.replies_before == 0
    }
}

impl fmt::Display for Down {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.silent_ms as f64 / 1000.0;
        if self.never_answered() {
            write!(
                f,
                "nothing answered at {} in {secs:.1} s ({} queries in a row timed out, no reply at all)",
                self.server, self.timeouts
            )?;
        } else {
            write!(
                f,
                "nothing answered at {} for {secs:.1} s ({} queries in a row timed out, after {} replies)",
                self.server, self.timeouts, self.replies_before
            )?;
        }
        if let Some(e) = &self.error {
            write!(f, "; last socket error: {e}")?;
        }
        f.write_str("; not asked again in this run")
    }
}

/// What is known about one server so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerHealth {
    /// The server.
    pub server: SocketAddr,
    /// Replies received from it (any reply that answered a query, SERVFAIL included).
    pub replies: u64,
    /// New queries in a row that timed out since its last reply.
    pub timeouts_in_a_row: u32,
    /// Set once it is marked down.
    pub down: Option<Down>,
}

struct State {
    addr: SocketAddr,
    replies: AtomicU64,
    in_a_row: AtomicU32,
    /// Nanoseconds since `base`, plus one (0: none), of the send time of the
    /// first transmission that timed out since the last reply.
    silent_since: AtomicU64,
    /// Nanoseconds since `base`, plus one (0: none), of the last reply.
    last_reply: AtomicU64,
    down: AtomicBool,
    down_info: OnceLock<Down>,
    error: Mutex<Option<String>>,
}

/// The health of every server of a client.
pub(crate) struct Health {
    base: Instant,
    silence: Duration,
    servers: Box<[State]>,
}

impl Health {
    pub(crate) fn new(servers: &[SocketAddr], timeout: Duration) -> Health {
        Health {
            base: Instant::now(),
            silence: timeout.saturating_mul(DOWN_AFTER_SILENCE),
            servers: servers
                .iter()
                .map(|&addr| State {
                    addr,
                    replies: AtomicU64::new(0),
                    in_a_row: AtomicU32::new(0),
                    silent_since: AtomicU64::new(0),
                    last_reply: AtomicU64::new(0),
                    down: AtomicBool::new(false),
                    down_info: OnceLock::new(),
                    error: Mutex::new(None),
                })
                .collect(),
        }
    }

    fn stamp(&self, t: Instant) -> u64 {
        let ns = t.saturating_duration_since(self.base).as_nanos();
        u64::try_from(ns).unwrap_or(u64::MAX - 1) + 1
    }

    /// Server `i` answered a query.
    pub(crate) fn replied(&self, i: usize, now: Instant) {
        if let Some(s) = self.servers.get(i) {
            s.replies.fetch_add(1, Ordering::Relaxed);
            s.in_a_row.store(0, Ordering::Relaxed);
            s.silent_since.store(0, Ordering::Relaxed);
            s.last_reply.store(self.stamp(now), Ordering::Relaxed);
        }
    }

    /// A transmission to server `i`, sent at `sent`, timed out at `now`;
    /// `fresh` when it was the query's first. Returns true when the server
    /// is (now) down.
    pub(crate) fn timed_out(&self, i: usize, sent: Instant, fresh: bool, now: Instant) -> bool {
        let Some(s) = self.servers.get(i) else {
            return false;
        };
        if s.down.load(Ordering::Relaxed) {
            return true;
        }
        let sent = self.stamp(sent);
        let last_reply = s.last_reply.load(Ordering::Relaxed);
        if fresh && sent > last_reply {
            s.in_a_row.fetch_add(1, Ordering::Relaxed);
            let _ = s
                .silent_since
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                    (v == 0 || sent < v).then_some(sent)
                });
        }
        let n = s.in_a_row.load(Ordering::Relaxed);
        let since = s.silent_since.load(Ordering::Relaxed);
        if since == 0 {
            return false;
        }
        let silent = Duration::from_nanos(self.stamp(now).saturating_sub(since.max(last_reply)));
        if n < DOWN_AFTER_TIMEOUTS || silent < self.silence {
            return false;
        }
        let error = s.error.lock().map(|e| e.clone()).unwrap_or(None);
        let info = Down {
            server: s.addr,
            replies_before: s.replies.load(Ordering::Relaxed),
            timeouts: n,
            silent_ms: u64::try_from(silent.as_millis()).unwrap_or(u64::MAX),
            error,
        };
        let _ = s.down_info.set(info);
        s.down.store(true, Ordering::Release);
        true
    }

    /// Why server `i` is down, if it is.
    pub(crate) fn down(&self, i: usize) -> Option<&Down> {
        let s = self.servers.get(i)?;
        if s.down.load(Ordering::Acquire) {
            s.down_info.get()
        } else {
            None
        }
    }

    /// Remembers a socket error for server `i` (shown when it is marked down).
    pub(crate) fn io_error(&self, i: usize, e: &std::io::Error) {
        if let Some(s) = self.servers.get(i)
            && let Ok(mut slot) = s.error.lock()
        {
            *slot = Some(e.to_string());
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<ServerHealth> {
        self.servers
            .iter()
            .enumerate()
            .map(|(i, s)| ServerHealth {
                server: s.addr,
                replies: s.replies.load(Ordering::Relaxed),
                timeouts_in_a_row: s.in_a_row.load(Ordering::Relaxed),
                down: self.down(i).cloned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "127.0.0.1:53".parse().unwrap()
    }

    #[test]
    fn down_needs_new_queries_ignored_and_silence() {
        let h = Health::new(&[addr()], Duration::from_secs(1));
        let t0 = h.base;
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // Eight new queries timed out, but only 0.1 s of silence: not yet.
        for _ in 0..8 {
            assert!(!h.timed_out(0, at(1), true, at(100)));
        }
        // Retries do not count, but the silence check runs on them too.
        assert!(!h.timed_out(0, at(1), false, at(1000)));
        assert!(h.timed_out(0, at(500), false, at(2001)));
        let d = h.down(0).unwrap();
        assert!(d.never_answered());
        assert_eq!(d.timeouts, 8);
        assert!(
            d.to_string()
                .starts_with("nothing answered at 127.0.0.1:53 in 2.0 s"),
            "{d}"
        );
        assert!(h.timed_out(0, at(3000), true, at(3001)), "down stays down");
    }

    #[test]
    fn queries_sent_before_the_last_reply_and_retries_do_not_count() {
        let h = Health::new(&[addr()], Duration::from_secs(1));
        let t0 = h.base;
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        h.replied(0, at(5000));
        // A dead zone's queries, all sent while the server still answered.
        for _ in 0..50 {
            assert!(!h.timed_out(0, at(4000), true, at(9000)));
            assert!(!h.timed_out(0, at(8000), false, at(9000)));
        }
        assert_eq!(h.snapshot()[0].timeouts_in_a_row, 0);
        // New queries after the reply, ignored: down once 2 s have passed.
        for _ in 0..8 {
            assert!(!h.timed_out(0, at(5500), true, at(6000)));
        }
        assert!(!h.timed_out(0, at(5500), true, at(7400)));
        assert!(h.timed_out(0, at(5500), true, at(7500)));
        let d = h.down(0).unwrap();
        assert_eq!((d.replies_before, d.silent_ms, d.timeouts), (1, 2000, 10));
        assert!(d.to_string().contains("after 1 replies"), "{d}");
        // A reply resets the count.
        let h = Health::new(&[addr()], Duration::from_secs(1));
        for _ in 0..7 {
            h.timed_out(0, at(1), true, at(3000));
        }
        h.replied(0, at(3000));
        assert_eq!(h.snapshot()[0].timeouts_in_a_row, 0);
        assert!(!h.timed_out(0, at(3001), true, at(9000)));
    }
}
