//! The loop that moves queries: one future, owned by one task, with no task
//! and no channel per query. Each turn it reads every reply waiting (in
//! batches), finishes TCP exchanges, fires due timers, pulls new queries
//! from its [`Source`] while the windows allow, and sends what is queued
//! (in batches). It sleeps until a socket is readable, a timer is due, a
//! TCP exchange ends or the source has more.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::StreamExt;
use tokio::time::{Instant, Sleep};

use super::core::{Core, Req, Sink};
use super::io::{self, BATCH, RecvBatch};
use super::{Answer, Failure};

/// Batches read from one socket per turn before other work gets a go.
const RECV_ROUNDS: usize = 8;

/// Where queries come from and answers go.
pub(crate) trait Source {
    /// The next query, `Ready(None)` when there will be no more, `Pending`
    /// when there is none now (the source arranges to be woken, or returns
    /// `Pending` only while answers are outstanding). `now` is the turn's clock.
    fn poll_next(&mut self, cx: &mut Context<'_>, now: Instant) -> Poll<Option<Req<'_>>>;
    /// The answer to the query `token`.
    fn deliver(&mut self, token: u64, answer: Answer);
    /// True when the last `Pending` waits for answers rather than a wake-up.
    fn waits_for_answers(&self) -> bool {
        false
    }
    /// See [`Feed::keep_trying`](super::Feed::keep_trying).
    fn keep_trying(&mut self, token: u64, failure: &Failure) -> bool {
        let _ = (token, failure);
        true
    }
    /// See [`Feed::idle`](super::Feed::idle).
    fn idle(&mut self) {}
}

struct SourceSink<'a, S: Source>(&'a mut S);

impl<S: Source> Sink for SourceSink<'_, S> {
    fn deliver(&mut self, token: u64, answer: Answer) {
        self.0.deliver(token, answer);
    }

    fn keep_trying(&mut self, token: u64, failure: &Failure) -> bool {
        self.0.keep_trying(token, failure)
    }
}

/// The source returned `Pending` waiting for answers while none were outstanding.
#[derive(Debug)]
pub(crate) struct Stalled;

pub(crate) struct Driver {
    pub core: Core,
    recv: RecvBatch,
    batch: Vec<u32>,
    sleep: Pin<Box<Sleep>>,
    source_done: bool,
}

impl Driver {
    pub(crate) fn new(core: Core) -> Driver {
        Driver {
            core,
            recv: RecvBatch::new(),
            batch: Vec::with_capacity(BATCH),
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            source_done: false,
        }
    }

    /// Runs until the source is done and every query is answered.
    pub(crate) fn poll_run<S: Source>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
    ) -> Poll<Result<(), Stalled>> {
        loop {
            let now = Instant::now();
            let mut busy = self.receive(cx, now, src);
            while let Poll::Ready(Some(done)) = self.core.tcp.poll_next_unpin(cx) {
                self.core.on_tcp(done, now, &mut SourceSink(src));
                busy = true;
            }
            self.core.sweep(now, &mut SourceSink(src));
            self.core.pump();
            busy |= self.pull(cx, now, src);
            busy |= self.flush(cx, now);
            if self.source_done && self.core.outstanding == 0 {
                return Poll::Ready(Ok(()));
            }
            if busy {
                continue;
            }
            if self.core.outstanding == 0 && src.waits_for_answers() {
                return Poll::Ready(Err(Stalled));
            }
            if let Some(t) = self.core.next_sweep {
                self.sleep.as_mut().reset(t);
                if self.sleep.as_mut().poll(cx).is_ready() {
                    continue;
                }
            }
            src.idle();
            return Poll::Pending;
        }
    }

    /// Reads and handles every datagram waiting; true if there were any.
    fn receive<S: Source>(&mut self, cx: &mut Context<'_>, now: Instant, src: &mut S) -> bool {
        let mut any = false;
        for l in 0..self.core.links.len() {
            for _ in 0..RECV_ROUNDS {
                match self.core.links[l].socket.poll_recv_ready(cx) {
                    Poll::Pending => break,
                    Poll::Ready(Err(e)) => {
                        self.core.io_error(l, &e);
                        break;
                    }
                    Poll::Ready(Ok(())) => {}
                }
                match self.recv.recv(&self.core.links[l].socket) {
                    Ok(n) => {
                        any |= n > 0;
                        for i in 0..n {
                            if let Some((msg, cut)) = self.recv.get(i) {
                                self.core.on_reply(l, msg, cut, now, &mut SourceSink(src));
                            }
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    // ICMP errors (port unreachable) surface here; the query times out.
                    Err(e) => self.core.io_error(l, &e),
                }
            }
        }
        any
    }

    /// Starts queries from the source while there is room; true if any.
    fn pull<S: Source>(&mut self, cx: &mut Context<'_>, now: Instant, src: &mut S) -> bool {
        let mut started = false;
        while !self.source_done && self.core.room() {
            let immediate = match src.poll_next(cx, now) {
                Poll::Ready(Some(req)) => self.core.start(&req, now),
                Poll::Ready(None) => {
                    self.source_done = true;
                    break;
                }
                Poll::Pending => break,
            };
            started = true;
            if let Some((token, answer)) = immediate {
                src.deliver(token, answer);
            }
        }
        started
    }

    /// Sends what is queued; true if the socket was full but is ready again.
    fn flush(&mut self, cx: &mut Context<'_>, now: Instant) -> bool {
        let mut again = false;
        for l in 0..self.core.links.len() {
            loop {
                self.core.take_batch(l, &mut self.batch, BATCH);
                if self.batch.is_empty() {
                    break;
                }
                let packets: Vec<&[u8]> = self.batch.iter().map(|&i| self.core.packet(i)).collect();
                match io::send_batch(&self.core.links[l].socket, &packets) {
                    Ok(n) => {
                        for &idx in &self.batch[..n] {
                            self.core.sent(l, idx, now);
                        }
                        let rest = &self.batch[n..];
                        if !rest.is_empty() {
                            self.core.unsend(l, rest);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        self.core.unsend(l, &self.batch);
                        again |= self.core.links[l].socket.poll_send_ready(cx).is_ready();
                        break;
                    }
                    Err(e) => {
                        // Counted as sent: the timers retry, and the error is
                        // kept for the message if the server is marked down.
                        self.core.io_error(l, &e);
                        for &idx in &self.batch {
                            self.core.sent(l, idx, now);
                        }
                    }
                }
            }
        }
        again
    }
}
