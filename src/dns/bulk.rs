//! The bulk API for scans: the caller's [`Feed`] hands out queries and takes
//! answers; [`Client::bulk`](super::Client::bulk) moves them. No task and no
//! channel per query: one driver loop pulls from the feed while the
//! per-server windows allow, and calls the feed back with each answer.
//!
//! # Contract
//!
//! - [`Feed::next`] is called whenever a query can be sent. Return
//!   [`Next::Query`] with a token of your choosing, the name (borrowed: it
//!   is copied into a prebuilt packet before anything else happens), the
//!   type, and optionally the server it must go to ([`BulkQuery::server`],
//!   one of [`Client::servers`](super::Client::servers); a pinned query
//!   never moves to another server).
//! - [`Next::Wait`] with a time holds the driver back until then (a
//!   per-zone or global rate cap) or until an answer is delivered, whichever
//!   comes first (an answer may make another zone's query ready); with
//!   `None` it waits until the next answer is delivered (an order buffer
//!   that is full). `Wait(None)` is
//!   valid only while queries are outstanding: with none, `bulk` returns
//!   [`BulkError::Stalled`] rather than wait forever.
//! - [`Next::Done`] ends the feed: `bulk` returns once every outstanding
//!   query is delivered. Dropping the future abandons what is in flight.
//! - [`Feed::deliver`] is called exactly once per query handed out, in the
//!   order answers arrive (not the order of the queries). It runs inside
//!   the driver loop: keep it short (a write of a finished report is fine).
//! - Every query ends in an [`Answer`]: a verdict from the
//!   server named in it, or a [`Failure`]. A query is given
//!   up after about timeout x attempts; a server marked down fails its
//!   queries at once with [`Failure::ServerDown`].
//! - At most `ceiling` first transmissions are in flight per server; below
//!   it, an AIMD window adapts to what the server answers in time. Queries
//!   retrying after a timeout wait outside the window; all outstanding
//!   queries together are capped at 4 x `ceiling` per server.
//! - [`Feed::keep_trying`] hears of each timed-out transmission while the
//!   query may still be retried, and can give it up at once.
//! - [`Feed::idle`] is called when the driver is about to sleep: nothing to
//!   send now and no reply waiting (a good time to flush output).
//!
//! An order-preserving scan keeps a bounded buffer of targets: `next`
//! returns queries of the targets in the buffer, `Wait(None)` when the
//! buffer is full, and `deliver` fills in results and writes out the
//! complete targets at the head of the buffer.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::time::Sleep;

use super::core::Req;
use super::driver::Source;
use super::{Answer, Failure, RecordType};

/// One query from a [`Feed`].
#[derive(Clone, Copy, Debug)]
pub struct BulkQuery<'a> {
    /// The caller's handle for the query, given back with its answer.
    pub token: u64,
    /// The name, without the trailing dot.
    pub name: &'a str,
    /// The record type.
    pub rtype: RecordType,
    /// The server it must go to (never another); `None` lets the client
    /// choose and fail over.
    pub server: Option<SocketAddr>,
}

/// What a [`Feed`] has for the driver.
#[derive(Clone, Copy, Debug)]
pub enum Next<'a> {
    /// Send this query.
    Query(BulkQuery<'a>),
    /// Nothing to send until this time (`None`: until an answer is delivered).
    Wait(Option<Instant>),
    /// No more queries.
    Done,
}

/// The caller's side of a bulk run (see the module documentation).
pub trait Feed {
    /// The next query, or why there is none now.
    fn next(&mut self, now: Instant) -> Next<'_>;
    /// The answer to the query handed out with `token`.
    fn deliver(&mut self, token: u64, answer: Answer);

    /// A transmission of `token` got no reply in time and its budget allows
    /// another try. Return false to give up now: the query is delivered at
    /// once as [`Failure::Timeout`]. This is the early signal for failing a
    /// zone: count timeouts per zone here (reset on any answer from it)
    /// instead of waiting for whole queries to time out. Default: keep trying.
    fn keep_trying(&mut self, token: u64, failure: &Failure) -> bool {
        let _ = (token, failure);
        true
    }

    /// The driver is about to sleep until a reply, a timer or the feed's
    /// wake-up: whatever was delivered so far is all there is for now.
    /// Default: nothing.
    fn idle(&mut self) {}
}

/// Why a bulk run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// The sockets could not be opened.
    #[error("cannot open a UDP socket for {server}: {error}")]
    Socket {
        /// The nameserver.
        server: SocketAddr,
        /// What the system said.
        error: String,
    },
    /// The feed said `Wait(None)` while nothing was outstanding.
    #[error("the feed waits for answers while no query is outstanding")]
    Stalled,
}

/// A [`Feed`] as a driver [`Source`].
pub(crate) struct FeedSource<'f, F: Feed> {
    feed: &'f mut F,
    sleep: Option<Pin<Box<Sleep>>>,
    waiting: bool,
}

impl<'f, F: Feed> FeedSource<'f, F> {
    pub(crate) fn new(feed: &'f mut F) -> FeedSource<'f, F> {
        FeedSource {
            feed,
            sleep: None,
            waiting: false,
        }
    }
}

impl<F: Feed> Source for FeedSource<'_, F> {
    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        now: tokio::time::Instant,
    ) -> Poll<Option<Req<'_>>> {
        self.waiting = false;
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        match self.feed.next(now.into_std()) {
            Next::Query(q) => Poll::Ready(Some(Req {
                token: q.token,
                name: q.name,
                rtype: q.rtype,
                pin: q.server,
            })),
            Next::Done => Poll::Ready(None),
            Next::Wait(None) => {
                self.waiting = true;
                Poll::Pending
            }
            Next::Wait(Some(t)) => {
                let mut sleep = Box::pin(tokio::time::sleep_until(t.into()));
                if sleep.as_mut().poll(cx).is_ready() {
                    // Already due: come straight back.
                    cx.waker().wake_by_ref();
                } else {
                    self.sleep = Some(sleep);
                }
                Poll::Pending
            }
        }
    }

    fn deliver(&mut self, token: u64, answer: Answer) {
        // The feed is asked again after an answer, even before its time.
        self.sleep = None;
        self.feed.deliver(token, answer);
    }

    fn waits_for_answers(&self) -> bool {
        self.waiting
    }

    fn keep_trying(&mut self, token: u64, failure: &Failure) -> bool {
        self.feed.keep_trying(token, failure)
    }

    fn idle(&mut self) {
        self.feed.idle();
    }
}
