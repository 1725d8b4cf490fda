//! The state of one driver: queries in flight (slots), the servers (links)
//! with their sockets, ID tables, windows and send queues, and what happens
//! on a reply, a timer and a TCP result. No locks: a driver is owned by one
//! task; only server health is shared (atomics).
//!
//! A slot's life: started from a request, queued on a link (counted in the
//! link's window) or held in its backlog (window full), sent, then one of:
//! answered (delivered), truncated (TCP, then delivered), timed out
//! (retransmitted with backoff on the same or the next server, or
//! delivered as a timeout once the query's budget of timeout x attempts is
//! spent), or failed at once because its server is down.
//!
//! Only first transmissions count against a link's window: a query that
//! timed out once waits out its backoff outside it, so a silent zone cannot
//! fill the window and starve the server's other queries (which would make
//! a live server look dead). A first transmission unanswered for a few
//! round trips ([`Rtt::late_after`]) is presumed lost and leaves the
//! window too, its timer still running, so random loss does not hold the
//! window shut for the timer's floor. Outstanding queries are capped at
//! [`OUTSTANDING_PER_WINDOW`] x the ceiling per server.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::decode::{Decision, Question, decide};
use super::health::Health;
use super::window::{Rtt, Window};
use super::{Answer, Failure, Outcome, RecordType, tcp, wire};

/// Servers one query may hold an ID on at once (for late replies after a failover).
const MAX_REGS: usize = 4;
/// IDs per socket.
const ID_SPACE: usize = 1 << 16;
/// Outstanding queries (in the window, retrying, or over TCP) per server,
/// in multiples of the ceiling.
pub(crate) const OUTSTANDING_PER_WINDOW: usize = 4;

/// One query to start.
pub(crate) struct Req<'a> {
    pub token: u64,
    pub name: &'a str,
    pub rtype: RecordType,
    pub pin: Option<SocketAddr>,
}

/// What bounds a driver.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Per transmission at most, and per attempt of the budget.
    pub timeout: Duration,
    /// The budget of one query is `timeout` x `attempts`.
    pub attempts: u32,
    /// Most queries in flight per server.
    pub ceiling: usize,
}

/// Counters of one driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Queries started.
    pub queries: u64,
    /// UDP packets sent (first transmissions and retransmissions).
    pub transmissions: u64,
    /// Replies that answered a query.
    pub replies: u64,
    /// Packets ignored: wrong ID or question, late, unreadable.
    pub ignored: u64,
    /// Transmissions whose timer fired.
    pub timeouts: u64,
    /// Queries retried over TCP after a truncated reply.
    pub tcp: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    Free,
    /// In the link's send queue.
    Queued(u16),
    /// Waiting for room in the link's window.
    Backlog(u16),
    /// Sent, its timer running.
    Wire(u16),
    Tcp,
    Detached,
}

struct Slot {
    at: Where,
    /// Changes whenever queue entries for this slot become stale.
    generation: u32,
    token: u64,
    rtype: RecordType,
    qname: Vec<u8>,
    packet: Vec<u8>,
    pin: Option<u16>,
    /// Whether it counts against its link's window (first transmissions only).
    counted: bool,
    /// (link, ID) registrations: a reply with that ID on that link is for this slot.
    regs: [(u16, u16); MAX_REGS],
    nregs: usize,
    tries: u32,
    backoff: u32,
    sent: Instant,
    deadline: Instant,
    /// When a counted transmission is presumed lost and leaves the window.
    late: Instant,
    budget_end: Instant,
    /// Links that answered with a server failure (bit per link).
    failed_on: u64,
}

impl Slot {
    fn new(now: Instant) -> Slot {
        Slot {
            at: Where::Free,
            generation: 0,
            token: 0,
            rtype: RecordType::A,
            qname: Vec::with_capacity(64),
            packet: Vec::with_capacity(wire::MAX_QUERY_LEN),
            pin: None,
            counted: false,
            regs: [(0, 0); MAX_REGS],
            nregs: 0,
            tries: 0,
            backoff: 0,
            sent: now,
            deadline: now,
            late: now,
            budget_end: now,
            failed_on: 0,
        }
    }
}

/// One server as seen by this driver.
pub(crate) struct Link {
    pub addr: SocketAddr,
    pub socket: UdpSocket,
    /// Slot index + 1 per ID (0: free).
    ids: Box<[u32]>,
    in_flight: usize,
    window: Window,
    rtt: Rtt,
    queue: VecDeque<(u32, u32)>,
    backlog: VecDeque<(u32, u32)>,
    down_handled: bool,
}

impl Link {
    pub(crate) fn new(addr: SocketAddr, socket: UdpSocket, ceiling: usize) -> Link {
        Link {
            addr,
            socket,
            ids: vec![0; ID_SPACE].into_boxed_slice(),
            in_flight: 0,
            window: Window::new(ceiling),
            rtt: Rtt::default(),
            queue: VecDeque::new(),
            backlog: VecDeque::new(),
            down_handled: false,
        }
    }
}

/// A TCP exchange that finished.
pub(crate) struct TcpDone {
    slot: u32,
    generation: u32,
    link: u16,
    result: Result<Vec<u8>, String>,
}

/// Where deliveries go.
pub(crate) trait Sink {
    fn deliver(&mut self, token: u64, answer: Answer);
    /// A transmission of `token` failed and its budget allows another:
    /// false gives up now (the query is delivered with `failure`).
    fn keep_trying(&mut self, token: u64, failure: &Failure) -> bool {
        let _ = (token, failure);
        true
    }
}

pub(crate) struct Core {
    pub links: Vec<Link>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    pub outstanding: usize,
    max_outstanding: usize,
    pub tcp: FuturesUnordered<BoxFuture<'static, TcpDone>>,
    health: Arc<Health>,
    limits: Limits,
    rng: u64,
    pub next_sweep: Option<Instant>,
    pub counters: Counters,
}

impl Core {
    pub(crate) fn new(links: Vec<Link>, health: Arc<Health>, limits: Limits, seed: u64) -> Core {
        let ceiling = limits.ceiling.clamp(1, super::window::MAX_WINDOW);
        Core {
            max_outstanding: ceiling
                .saturating_mul(OUTSTANDING_PER_WINDOW)
                .saturating_mul(links.len().max(1)),
            links,
            slots: Vec::new(),
            free: Vec::new(),
            outstanding: 0,
            tcp: FuturesUnordered::new(),
            health,
            limits,
            rng: seed | 1,
            next_sweep: None,
            counters: Counters::default(),
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: cheap, and the seed comes from the OS-keyed hasher.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Whether another query may be started now.
    pub(crate) fn room(&self) -> bool {
        if self.outstanding >= self.max_outstanding {
            return false;
        }
        if self.links.iter().any(|l| !l.backlog.is_empty()) {
            return false;
        }
        let mut all_down = true;
        for (i, l) in self.links.iter().enumerate() {
            if self.health.down(i).is_none() {
                all_down = false;
                if l.in_flight < l.window.limit() {
                    return true;
                }
            }
        }
        all_down
    }

    /// Starts a query; returns its answer at once when it cannot be sent.
    pub(crate) fn start(&mut self, req: &Req, now: Instant) -> Option<(u64, Answer)> {
        let fail = |outcome: Failure, server| {
            let answer = Answer {
                outcome: Outcome::Failed(outcome),
                server,
            };
            Some((req.token, answer))
        };
        let pin = match req.pin {
            None => None,
            Some(addr) => match self.links.iter().position(|l| l.addr == addr) {
                Some(i) => Some(i as u16),
                None => {
                    let msg = format!("{addr} is not one of the servers this client asks");
                    return fail(Failure::Other(msg), Some(addr));
                }
            },
        };
        let Some(link) = self.choose(pin, None, 0) else {
            let l = pin.unwrap_or(0);
            return fail(self.down_failure(l), self.addr(l));
        };
        let idx = self.alloc_slot(now);
        let slot = &mut self.slots[idx as usize];
        slot.qname.clear();
        if let Err(e) = wire::encode_name(req.name, &mut slot.qname) {
            self.free_slot(idx);
            return fail(Failure::Other(e), None);
        }
        wire::write_query(&mut slot.packet, &slot.qname, req.rtype.code());
        slot.token = req.token;
        slot.rtype = req.rtype;
        slot.pin = pin;
        slot.tries = 0;
        slot.backoff = 0;
        slot.failed_on = 0;
        slot.budget_end = now
            + self
                .limits
                .timeout
                .saturating_mul(self.limits.attempts.max(1));
        self.counters.queries += 1;
        if let Err(f) = self.send(idx, link, false) {
            self.free_slot(idx);
            return fail(f, self.addr(link));
        }
        None
    }

    fn addr(&self, l: u16) -> Option<SocketAddr> {
        self.links.get(usize::from(l)).map(|l| l.addr)
    }

    fn alloc_slot(&mut self, now: Instant) -> u32 {
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot::new(now));
                (self.slots.len() - 1) as u32
            }
        };
        self.slots[idx as usize].at = Where::Detached;
        self.outstanding += 1;
        idx
    }

    fn free_slot(&mut self, idx: u32) {
        self.unregister_all(idx);
        let slot = &mut self.slots[idx as usize];
        slot.at = Where::Free;
        slot.generation = slot.generation.wrapping_add(1);
        self.outstanding -= 1;
        self.free.push(idx);
    }

    /// The link for a (re)transmission: the pinned one, or the first server
    /// after `after` that is up and did not already fail this query.
    fn choose(&self, pin: Option<u16>, after: Option<u16>, failed: u64) -> Option<u16> {
        if let Some(p) = pin {
            return self.health.down(usize::from(p)).is_none().then_some(p);
        }
        let n = self.links.len();
        let start = after.map_or(0, |a| usize::from(a) + 1);
        (0..n).map(|k| (start + k) % n).find_map(|l| {
            let tried = 1u64
                .checked_shl(l as u32)
                .is_some_and(|bit| failed & bit != 0);
            (!tried && self.health.down(l).is_none()).then_some(l as u16)
        })
    }

    /// Remembers a socket error on link `l` for the message if it goes down.
    pub(crate) fn io_error(&self, l: usize, e: &std::io::Error) {
        self.health.io_error(l, e);
    }

    fn down_failure(&self, l: u16) -> Failure {
        match self.health.down(usize::from(l)) {
            Some(d) => Failure::ServerDown(d.clone()),
            None => Failure::Other("no server left to ask".into()),
        }
    }

    /// Drops every ID the slot holds.
    fn unregister_all(&mut self, idx: u32) {
        let slot = &mut self.slots[idx as usize];
        for &(l, id) in &slot.regs[..slot.nregs] {
            unregister(&mut self.links, l, id, idx);
        }
        slot.nregs = 0;
    }

    /// Stops counting a slot where it was (its queue entries become stale).
    fn release(&mut self, idx: u32) {
        let slot = &mut self.slots[idx as usize];
        if let Where::Queued(l) | Where::Wire(l) = slot.at
            && slot.counted
        {
            self.links[usize::from(l)].in_flight -= 1;
        }
        slot.counted = false;
        slot.at = Where::Detached;
        slot.generation = slot.generation.wrapping_add(1);
    }

    /// Registers the slot on `link` (an ID of its own there) and queues it:
    /// a first transmission within the window (or in the backlog when the
    /// window is full), a retry outside it.
    fn send(&mut self, idx: u32, link: u16, retry: bool) -> Result<(), Failure> {
        let id = self.register(idx, link)?;
        let l = usize::from(link);
        let slot = &mut self.slots[idx as usize];
        wire::set_id(&mut slot.packet, id);
        let entry = (idx, slot.generation);
        let lk = &mut self.links[l];
        if retry {
            lk.queue.push_back(entry);
            slot.at = Where::Queued(link);
        } else if lk.in_flight < lk.window.limit() && lk.backlog.is_empty() {
            lk.in_flight += 1;
            slot.counted = true;
            lk.queue.push_back(entry);
            slot.at = Where::Queued(link);
        } else {
            lk.backlog.push_back(entry);
            slot.at = Where::Backlog(link);
        }
        Ok(())
    }

    fn register(&mut self, idx: u32, link: u16) -> Result<u16, Failure> {
        let slot = &self.slots[idx as usize];
        if let Some(&(_, id)) = slot.regs[..slot.nregs].iter().find(|(l, _)| *l == link) {
            return Ok(id);
        }
        let id = self
            .free_id(usize::from(link))
            .ok_or_else(|| Failure::Other("no free query ID".into()))?;
        let slot = &mut self.slots[idx as usize];
        if slot.nregs == MAX_REGS {
            let (old_link, old_id) = slot.regs[0];
            unregister(&mut self.links, old_link, old_id, idx);
            slot.regs.rotate_left(1);
            slot.nregs -= 1;
        }
        slot.regs[slot.nregs] = (link, id);
        slot.nregs += 1;
        self.links[usize::from(link)].ids[usize::from(id)] = idx + 1;
        Ok(id)
    }

    /// An unpredictable ID not in use on `link`.
    fn free_id(&mut self, link: usize) -> Option<u16> {
        for _ in 0..64 {
            let id = (self.random() >> 48) as u16;
            if self.links[link].ids[usize::from(id)] == 0 {
                return Some(id);
            }
        }
        let start = (self.random() >> 48) as usize;
        let ids = &self.links[link].ids;
        (0..ID_SPACE)
            .map(|k| (start + k) % ID_SPACE)
            .find(|&id| ids[id] == 0)
            .map(|id| id as u16)
    }

    /// Moves backlogged slots into send queues as windows allow.
    pub(crate) fn pump(&mut self) {
        for l in 0..self.links.len() {
            while self.links[l].in_flight < self.links[l].window.limit() {
                let Some((idx, generation)) = self.links[l].backlog.pop_front() else {
                    break;
                };
                let slot = &mut self.slots[idx as usize];
                if slot.generation != generation || slot.at != Where::Backlog(l as u16) {
                    continue;
                }
                slot.at = Where::Queued(l as u16);
                slot.counted = true;
                self.links[l].in_flight += 1;
                self.links[l].queue.push_back((idx, generation));
            }
        }
    }

    /// Takes up to `max` valid entries from the front of link `l`'s queue.
    pub(crate) fn take_batch(&mut self, l: usize, out: &mut Vec<u32>, max: usize) {
        out.clear();
        while out.len() < max {
            let Some((idx, generation)) = self.links[l].queue.pop_front() else {
                break;
            };
            let slot = &self.slots[idx as usize];
            if slot.generation == generation && slot.at == Where::Queued(l as u16) {
                out.push(idx);
            }
        }
    }

    /// Puts back entries that could not be sent, in order.
    pub(crate) fn unsend(&mut self, l: usize, batch: &[u32]) {
        for &idx in batch.iter().rev() {
            let generation = self.slots[idx as usize].generation;
            self.links[l].queue.push_front((idx, generation));
        }
    }

    pub(crate) fn packet(&self, idx: u32) -> &[u8] {
        &self.slots[idx as usize].packet
    }

    /// Marks a slot as sent on link `l` at `now` and arms its timer.
    pub(crate) fn sent(&mut self, l: usize, idx: u32, now: Instant) {
        let timeout = self.limits.timeout;
        let rto = self.links[l].rtt.rto(timeout);
        let late = self.links[l].rtt.late_after();
        let slot = &mut self.slots[idx as usize];
        slot.at = Where::Wire(l as u16);
        slot.sent = now;
        slot.tries += 1;
        let backed_off = rto
            .saturating_mul(1u32 << slot.backoff.min(16))
            .min(timeout);
        let left = slot.budget_end.saturating_duration_since(now);
        slot.deadline = now + backed_off.min(left);
        slot.late = late.map_or(slot.deadline, |d| (now + d).min(slot.deadline));
        let wake = if slot.counted {
            slot.late
        } else {
            slot.deadline
        };
        self.next_sweep = Some(self.next_sweep.map_or(wake, |t| t.min(wake)));
        self.counters.transmissions += 1;
    }

    /// A datagram arrived on link `l`.
    pub(crate) fn on_reply(
        &mut self,
        l: usize,
        msg: &[u8],
        cut: bool,
        now: Instant,
        sink: &mut dyn Sink,
    ) {
        let Some(idx) = wire::u16_at(msg, 0)
            .ok()
            .and_then(|id| self.links[l].ids[usize::from(id)].checked_sub(1))
        else {
            self.counters.ignored += 1;
            return;
        };
        let slot = &self.slots[idx as usize];
        let q = Question {
            id: wire::u16_at(msg, 0).unwrap_or(0),
            name: &slot.qname,
            rtype: slot.rtype,
        };
        let decision = match decide(msg, &q) {
            Decision::NotOurs => {
                self.counters.ignored += 1;
                return;
            }
            Decision::Done(_) if cut => Decision::Truncated,
            d => d,
        };
        self.counters.replies += 1;
        self.health.replied(l, now);
        if slot.at == Where::Wire(l as u16) {
            let one_try = slot.tries == 1;
            let rtt = now.saturating_duration_since(slot.sent);
            let link = &mut self.links[l];
            link.window.on_answer();
            if one_try {
                link.rtt.sample(rtt);
            }
        }
        match decision {
            Decision::Done(outcome) => self.answered(idx, l as u16, outcome, sink),
            _ => self.start_tcp(idx, l as u16),
        }
    }

    /// A reply decided the query: deliver it, or try the next server when
    /// it is a server fault and the query may move.
    fn answered(&mut self, idx: u32, l: u16, outcome: Outcome, sink: &mut dyn Sink) {
        let slot = &mut self.slots[idx as usize];
        if outcome == Outcome::Failed(Failure::FormErr) && wire::strip_edns(&mut slot.packet) {
            // A server that does not know EDNS: ask it again without.
            self.release(idx);
            if self.send(idx, l, true).is_ok() {
                return;
            }
        }
        let slot = &mut self.slots[idx as usize];
        let fault = matches!(&outcome, Outcome::Failed(f) if f.is_server_fault());
        if fault && slot.pin.is_none() {
            if let Some(bit) = 1u64.checked_shl(u32::from(l)) {
                slot.failed_on |= bit;
            }
            let failed = slot.failed_on;
            if let Some(next) = self.choose(None, Some(l), failed) {
                self.release(idx);
                if self.send(idx, next, true).is_ok() {
                    return;
                }
            }
        }
        let server = self.addr(l);
        self.complete(idx, Answer { outcome, server }, sink);
    }

    /// Delivers and frees a slot.
    fn complete(&mut self, idx: u32, answer: Answer, sink: &mut dyn Sink) {
        self.release(idx);
        let token = self.slots[idx as usize].token;
        self.free_slot(idx);
        sink.deliver(token, answer);
    }

    fn start_tcp(&mut self, idx: u32, l: u16) {
        self.release(idx);
        // Late UDP replies are ignored from now on.
        self.unregister_all(idx);
        let slot = &mut self.slots[idx as usize];
        slot.at = Where::Tcp;
        let generation = slot.generation;
        let server = self.links[usize::from(l)].addr;
        let exchange = tcp::exchange(server, slot.packet.clone(), slot.budget_end);
        self.tcp.push(
            exchange
                .map(move |result| TcpDone {
                    slot: idx,
                    generation,
                    link: l,
                    result,
                })
                .boxed(),
        );
        self.counters.tcp += 1;
    }

    /// A TCP exchange finished.
    pub(crate) fn on_tcp(&mut self, done: TcpDone, now: Instant, sink: &mut dyn Sink) {
        let slot = &self.slots[done.slot as usize];
        if slot.generation != done.generation || slot.at != Where::Tcp {
            return;
        }
        let q = Question {
            id: wire::u16_at(&slot.packet, 0).unwrap_or(0),
            name: &slot.qname,
            rtype: slot.rtype,
        };
        let outcome = match done.result {
            Ok(reply) => match decide(&reply, &q) {
                Decision::Done(o) => {
                    self.health.replied(usize::from(done.link), now);
                    o
                }
                Decision::Truncated => Outcome::Failed(Failure::BadAnswer(
                    "the reply over TCP is truncated too".into(),
                )),
                Decision::NotOurs => Outcome::Failed(Failure::BadAnswer(
                    "the reply over TCP does not answer the question".into(),
                )),
            },
            Err(e) => Outcome::Failed(Failure::Truncated(e)),
        };
        let server = self.addr(done.link);
        self.complete(done.slot, Answer { outcome, server }, sink);
    }

    /// Fires the timers that are due and finds the next one.
    pub(crate) fn sweep(&mut self, now: Instant, sink: &mut dyn Sink) {
        if self.next_sweep.is_none_or(|t| t > now) {
            return;
        }
        self.next_sweep = None;
        for idx in 0..self.slots.len() as u32 {
            let slot = &mut self.slots[idx as usize];
            if let Where::Wire(l) = slot.at {
                if slot.deadline <= now {
                    self.on_timeout(idx, l, now, sink);
                    continue;
                }
                if slot.counted && slot.late <= now {
                    // Presumed lost: out of the window, timer still running.
                    slot.counted = false;
                    self.links[usize::from(l)].in_flight -= 1;
                }
                let d = if slot.counted {
                    slot.late
                } else {
                    slot.deadline
                };
                self.next_sweep = Some(self.next_sweep.map_or(d, |t| t.min(d)));
            }
        }
        for l in 0..self.links.len() {
            if !self.links[l].down_handled && self.health.down(l).is_some() {
                self.link_down(l as u16, sink);
            }
        }
    }

    fn on_timeout(&mut self, idx: u32, l: u16, now: Instant, sink: &mut dyn Sink) {
        let (sent, fresh) = (
            self.slots[idx as usize].sent,
            self.slots[idx as usize].tries == 1,
        );
        self.release(idx);
        self.counters.timeouts += 1;
        self.links[usize::from(l)].window.on_loss(sent, now);
        let down = self.health.timed_out(usize::from(l), sent, fresh, now);
        let slot = &mut self.slots[idx as usize];
        slot.backoff = slot.backoff.saturating_add(1);
        let (pin, failed, token) = (slot.pin, slot.failed_on, slot.token);
        let next = if now >= slot.budget_end || !sink.keep_trying(token, &Failure::Timeout) {
            None
        } else {
            self.choose(pin, Some(l), failed)
        };
        match next {
            Some(next) if self.send(idx, next, true).is_ok() => {}
            _ => {
                let failure = if down {
                    self.down_failure(l)
                } else {
                    Failure::Timeout
                };
                let answer = Answer {
                    outcome: Outcome::Failed(failure),
                    server: self.addr(l),
                };
                self.complete(idx, answer, sink);
            }
        }
    }

    /// Server `l` was marked down: move or fail everything waiting for it.
    fn link_down(&mut self, l: u16, sink: &mut dyn Sink) {
        self.links[usize::from(l)].down_handled = true;
        for idx in 0..self.slots.len() as u32 {
            let slot = &self.slots[idx as usize];
            let here =
                matches!(slot.at, Where::Queued(x) | Where::Backlog(x) | Where::Wire(x) if x == l);
            if !here {
                continue;
            }
            let (pin, failed) = (slot.pin, slot.failed_on);
            self.release(idx);
            let moved = match self.choose(pin, Some(l), failed) {
                Some(next) => self.send(idx, next, true).is_ok(),
                None => false,
            };
            if !moved {
                let answer = Answer {
                    outcome: Outcome::Failed(self.down_failure(l)),
                    server: self.addr(l),
                };
                self.complete(idx, answer, sink);
            }
        }
    }
}

/// Frees `id` on link `l` if slot `idx` holds it.
fn unregister(links: &mut [Link], l: u16, id: u16, idx: u32) {
    if let Some(entry) = links
        .get_mut(usize::from(l))
        .and_then(|link| link.ids.get_mut(usize::from(id)))
        && *entry == idx + 1
    {
        *entry = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<(u64, Answer)>);

    impl Sink for Collect {
        fn deliver(&mut self, token: u64, answer: Answer) {
            self.0.push((token, answer));
        }
    }

    #[test]
    fn no_server_at_all_fails_at_once_instead_of_dividing_by_zero() {
        let limits = Limits {
            timeout: Duration::from_secs(1),
            attempts: 2,
            ceiling: 64,
        };
        let mut core = Core::new(
            Vec::new(),
            Arc::new(Health::new(&[], limits.timeout)),
            limits,
            7,
        );
        assert!(
            core.room(),
            "nothing can be sent, so failing at once is the way"
        );
        let req = Req {
            token: 9,
            name: "2.0.0.127.bl.test",
            rtype: RecordType::A,
            pin: None,
        };
        let (token, answer) = core.start(&req, Instant::now()).expect("answered at once");
        assert_eq!(token, 9);
        assert!(matches!(answer.outcome, Outcome::Failed(Failure::Other(_))));
        assert_eq!(core.outstanding, 0);
        let mut sink = Collect(Vec::new());
        core.sweep(Instant::now(), &mut sink);
        assert!(sink.0.is_empty());
    }
}
