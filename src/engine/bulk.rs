//! Scans on the bulk DNS path ([`Client::bulk`]): one [`Feed`] holds a
//! bounded ring of targets in input order, hands out their queries (the A
//! query, then TXT for a listing where the zone wants it) and fills in their
//! results as answers arrive; a report is emitted as soon as it and every
//! report before it are complete. No future, task or channel per target or
//! per query.
//!
//! What the layers of a run do for single lookups, the feed does itself:
//! per-zone and global rate caps (it waits for the next slot of a capped
//! zone while the other zones' queries go on), giving up on a zone that
//! stopped answering (the rule and message of
//! [`ZoneBreaker`](crate::dns::ZoneBreaker)), counting the queries it
//! sends, and answering zones with local data from memory (no query).
//! The test points go first, through the run's layered [`Dns`], as for
//! [`scan`](super::scan): each zone's lookups are pinned to the server
//! whose probe proved the zone (else the first), and every result is judged
//! by that probe ([`Probe::adjust`]).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::catalog::Zone;
use crate::config::EngineOptions;
use crate::dns::{
    Answer, BulkError, BulkQuery, Client, Dns, Failure, Feed, GIVE_UP_AFTER, Next, Outcome,
    RecordType,
};
use crate::dnsbl::{Probe, zone_result};
use crate::report::{Report, ScanStats, Status, ZoneResult};
use crate::sources::{Block, Shard};
use crate::target::{Family, Target, TargetKind, reverse_ip};
use crate::zonedata::LocalZones;

use super::{Proofs, scan_proofs, scan_stats};

/// Queries of one zone in the air while it is suspect (its last
/// transmission timed out and nothing answered since): a zone going silent
/// holds at most this many, and the others wait in the feed.
const SUSPECT_OUTSTANDING: u32 = 8;

/// Targets in the order buffer per query the ceiling allows in flight, per
/// zone: room for answers that come back out of order, without holding the
/// window back on a path that loses nothing.
const BUFFER_PER_QUERY: usize = 4;

/// How far the order buffer grows (in queries, divided among the zones)
/// once a transmission has timed out. A target whose query was lost holds
/// every report after it back until a retransmission is answered (the timer
/// is at least 10 ms and doubles when a retransmission is lost too), and the
/// buffer must keep the window busy meanwhile. Measured with bench/faults.sh
/// (a /16, two zones, 10% of packets lost each way, default concurrency):
/// 44 s with 128 targets of room, 6-9 s with 4,096. The buffer starts small
/// so that a scan on a clean path keeps the memory it needs (8.5 MiB for a
/// /16, as for a /24) and grows only when loss makes room worth its memory.
const LOSSY_BUFFER: usize = 8_192;

/// How far a rate cap catches up after a late timer (so a fast cap is not
/// cut by timer granularity): a burst of at most this much of its rate.
const PACE_SLACK: Duration = Duration::from_millis(5);

/// A scan through a [`Client`]'s bulk API (see the module documentation).
pub struct BulkScan<'a> {
    /// The transport the scan's queries go through.
    pub client: &'a Client,
    /// The run's layered lookups over the same client (counted, rate
    /// capped, zone breaker, local data): the test points go through it.
    pub probes: Arc<dyn Dns>,
    /// Zones answered from memory, if any: their names are never sent.
    pub local: Option<&'a LocalZones>,
    /// The zones, in catalog order.
    pub zones: &'a [Zone],
    /// `--concurrency` (the bulk ceiling per server) and `--rate`.
    pub opts: &'a EngineOptions,
    /// A query's budget (timeout x attempts): a zone is given up on only
    /// after it has been silent this long.
    pub budget: Duration,
    /// Queries sent by the scan so far (test points not included).
    pub sent: Arc<AtomicU64>,
}

/// Where a scan's reports go.
pub trait ScanOutput {
    /// The next report (complete, in input order) and the counters so far.
    fn report(&mut self, report: Report, stats: &ScanStats) -> io::Result<()>;

    /// Nothing more is ready for now (the scan waits for answers or for a
    /// rate slot): the time to flush what was written. Default: nothing.
    fn pause(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<F> ScanOutput for F
where
    F: FnMut(Report, &ScanStats) -> io::Result<()>,
{
    fn report(&mut self, report: Report, stats: &ScanStats) -> io::Result<()> {
        self(report, stats)
    }
}

/// Why a bulk scan stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// `emit` failed (a closed pipe, a full disk).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The transport could not run.
    #[error(transparent)]
    Dns(#[from] BulkError),
}

impl BulkScan<'_> {
    /// Scans every address of `blocks` (this shard's), giving `output`
    /// each report in input order as soon as it and all before it are
    /// complete (a closure `|report: Report, stats: &ScanStats| ...`, its
    /// argument types written out, will do). At most a bounded ring of targets is in flight, so memory
    /// does not grow with the scan. Stops early (after the complete reports)
    /// when `cancel` resolves or `output` returns an error.
    pub async fn run(
        &self,
        blocks: &[Block],
        shard: Shard,
        cancel: impl Future<Output = ()>,
        output: impl ScanOutput,
    ) -> Result<ScanStats, ScanError> {
        let (proofs, order) = scan_proofs(&self.probes, self.zones, blocks, self.opts).await;
        let plan = Plan::new(self, &proofs, &order);
        let ceiling = self.opts.concurrency.max(1);
        let targets = crate::sources::addresses(blocks, shard);
        let mut feed = ScanFeed::new(&plan, targets, ceiling, output);
        let finished = {
            let bulk = self.client.bulk(&mut feed, ceiling);
            tokio::pin!(cancel);
            tokio::select! {
                biased;
                () = &mut cancel => None,
                done = bulk => Some(done),
            }
        };
        match finished {
            None => feed.finish(true),
            Some(done) => {
                done?;
                feed.finish(false)
            }
        }
    }
}

/// What the scan knows before its first query.
struct Plan<'a> {
    zones: &'a [Zone],
    /// Per zone, for IPv4 and IPv6 targets: whether it applies, and the
    /// probe its results are judged by (its lookups go to that probe's server).
    applies: Vec<[bool; 2]>,
    probes: Vec<[Option<&'a Probe>; 2]>,
    local: Option<&'a LocalZones>,
    /// Per zone: whether some of its names may be in the local data.
    maybe_local: Vec<bool>,
    rate: Option<u32>,
    budget: Duration,
    sent: &'a AtomicU64,
    /// Each server and its name in results (written once, not per result).
    server_names: Vec<(SocketAddr, String)>,
}

impl<'a> Plan<'a> {
    fn new(scan: &'a BulkScan<'_>, proofs: &'a Proofs, order: &[Option<SocketAddr>]) -> Plan<'a> {
        let zones = scan.zones;
        let families = [Family::V4, Family::V6];
        let local_names: Vec<&str> = scan
            .local
            .map(|l| l.zones().iter().map(|z| z.name()).collect())
            .unwrap_or_default();
        Plan {
            zones,
            applies: zones
                .iter()
                .map(|z| [false, true].map(|v6| z.applies_to(TargetKind::Ip, v6)))
                .collect(),
            probes: (0..zones.len())
                .map(|zi| families.map(|f| proofs.chosen(zi, f, order)))
                .collect(),
            local: scan.local,
            maybe_local: zones
                .iter()
                .map(|z| local_names.iter().any(|l| overlaps(l, &z.query_zone)))
                .collect(),
            rate: scan.opts.rate,
            budget: scan.budget,
            sent: &scan.sent,
            server_names: scan
                .client
                .server_list()
                .iter()
                .map(|s| (*s, s.to_string()))
                .collect(),
        }
    }

    /// `server` as a result's `resolver`.
    fn server_name(&self, server: SocketAddr) -> String {
        match self.server_names.iter().find(|(s, _)| *s == server) {
            Some((_, name)) => name.clone(),
            None => server.to_string(),
        }
    }

    fn probe(&self, zone: usize, ip: IpAddr) -> Option<&'a Probe> {
        self.probes[zone][usize::from(ip.is_ipv6())]
    }

    /// Where zone `zone`'s A query for `ip` goes (None: any server).
    fn server(&self, zone: usize, ip: IpAddr) -> Option<SocketAddr> {
        self.probe(zone, ip).and_then(|p| p.server)
    }
}

/// Whether one of two zone names is the other or under it (ASCII, any case).
fn overlaps(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('.'), b.trim_end_matches('.'));
    under(a, b) || under(b, a)
}

fn under(name: &str, zone: &str) -> bool {
    let (n, z) = (name.as_bytes(), zone.as_bytes());
    let Some(cut) = n.len().checked_sub(z.len()) else {
        return false;
    };
    n[cut..].eq_ignore_ascii_case(z) && (cut == 0 || n[cut - 1] == b'.')
}

/// Writes the RFC 5782 query name of `ip` under `zone` into `out`.
fn write_name(out: &mut String, ip: IpAddr, zone: &str) {
    out.clear();
    match ip {
        IpAddr::V4(v4) => {
            for octet in v4.octets().into_iter().rev() {
                if octet >= 100 {
                    out.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    out.push(char::from(b'0' + octet / 10 % 10));
                }
                out.push(char::from(b'0' + octet % 10));
                out.push('.');
            }
        }
        IpAddr::V6(_) => {
            out.push_str(&reverse_ip(ip));
            out.push('.');
        }
    }
    out.push_str(zone.trim_end_matches('.'));
}

/// A rate cap: the time of the next slot.
struct Pace {
    period: Duration,
    next: Instant,
}

impl Pace {
    /// `per_second` queries a second, the first one period after `start`
    /// (the test points just used a slot).
    fn new(per_second: u32, start: Instant) -> Pace {
        let period = Duration::from_secs_f64(1.0 / f64::from(per_second.max(1)));
        Pace {
            period,
            next: start + period,
        }
    }

    /// A query goes now: the next slot is a period after this one.
    fn take(&mut self, now: Instant) {
        let floor = now.checked_sub(PACE_SLACK).unwrap_or(now);
        self.next = self.next.max(floor) + self.period;
    }
}

/// What a target still needs from a zone.
#[derive(Clone, Copy, Debug)]
enum Kind {
    A,
    /// The TXT reason of a listing, asked of this server (None: any).
    Txt(Option<SocketAddr>),
}

/// A query waiting to be sent: for the target `seq`.
#[derive(Clone, Copy, Debug)]
struct Job {
    seq: u64,
    kind: Kind,
}

/// One target in the ring.
struct Slot {
    seq: u64,
    ip: IpAddr,
    /// Per zone (catalog order): its result once known (for a listing
    /// waiting for its TXT, the result so far).
    results: Vec<Option<ZoneResult>>,
    /// Zones still to answer.
    pending: usize,
}

impl Slot {
    /// A place in a grown ring, filled when a target is admitted there.
    fn empty() -> Slot {
        Slot {
            seq: 0,
            ip: IpAddr::from([0, 0, 0, 0]),
            results: Vec::new(),
            pending: 0,
        }
    }
}

/// One zone's queue, rate cap and breaker.
struct ZoneState {
    jobs: VecDeque<Job>,
    pace: Option<Pace>,
    outstanding: u32,
    /// Timed-out transmissions in a row, with nothing answered in between.
    timeouts: u32,
    /// When the zone last answered (or the scan began).
    heard: Instant,
    given_up: bool,
}

/// The scan's [`Feed`].
struct ScanFeed<'p, I, O> {
    plan: &'p Plan<'p>,
    targets: I,
    more: bool,
    /// Targets `head..tail` in flight, target `seq` at `seq % capacity`
    /// (grown up to `max_capacity` once a transmission timed out).
    ring: Vec<Slot>,
    capacity: usize,
    max_capacity: usize,
    /// A transmission timed out: the ring may grow.
    lossy: bool,
    head: u64,
    tail: u64,
    zones: Vec<ZoneState>,
    global: Option<Pace>,
    outstanding: u64,
    name: String,
    output: O,
    /// Reports written since the output last paused.
    unpaused: bool,
    stats: ScanStats,
    error: Option<io::Error>,
}

impl<'p, I, O> ScanFeed<'p, I, O>
where
    I: Iterator<Item = IpAddr>,
    O: ScanOutput,
{
    fn new(plan: &'p Plan<'p>, targets: I, ceiling: usize, output: O) -> Self {
        let start = Instant::now();
        let zones = plan
            .zones
            .iter()
            .map(|z| ZoneState {
                jobs: VecDeque::new(),
                pace: z.rate.map(|r| Pace::new(r, start)),
                outstanding: 0,
                timeouts: 0,
                heard: start,
                given_up: false,
            })
            .collect();
        let per_target = plan.zones.len().max(1);
        ScanFeed {
            plan,
            targets,
            more: true,
            ring: Vec::new(),
            capacity: (ceiling.saturating_mul(BUFFER_PER_QUERY) / per_target).max(1),
            max_capacity: (ceiling.saturating_mul(BUFFER_PER_QUERY).max(LOSSY_BUFFER) / per_target)
                .max(1),
            lossy: false,
            head: 0,
            tail: 0,
            zones,
            global: plan.rate.map(|r| Pace::new(r, start)),
            outstanding: 0,
            name: String::with_capacity(128),
            output,
            unpaused: false,
            stats: scan_stats(plan.zones),
            error: None,
        }
    }

    /// The counters, or why the scan stopped.
    fn finish(mut self, interrupted: bool) -> Result<ScanStats, ScanError> {
        self.pause();
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        if !interrupted && (self.more || self.head != self.tail) {
            return Err(
                io::Error::other("the scan stopped before every target was answered").into(),
            );
        }
        self.stats.interrupted = interrupted;
        Ok(self.stats)
    }

    fn index(&self, seq: u64) -> usize {
        (seq % self.capacity as u64) as usize
    }

    /// A query's token: the target's sequence number (not its place in
    /// the ring, which moves when the ring grows), the zone, A or TXT.
    fn token(&self, seq: u64, zone: usize, txt: bool) -> u64 {
        let stride = 2 * self.plan.zones.len() as u64;
        seq * stride + 2 * zone as u64 + u64::from(txt)
    }

    /// (target sequence number, zone, TXT) of a token.
    fn untoken(&self, token: u64) -> (u64, usize, bool) {
        let stride = (2 * self.plan.zones.len() as u64).max(1);
        let rest = token % stride;
        (token / stride, (rest / 2) as usize, rest % 2 == 1)
    }

    /// Grows the ring to `max_capacity` (in one step: no trail of freed
    /// smaller rings), each target in flight moving to its place in the
    /// larger one; false when it has grown already.
    fn grow(&mut self) -> bool {
        let capacity = self.max_capacity;
        if capacity <= self.capacity {
            return false;
        }
        let mut ring: Vec<Slot> = (0..capacity).map(|_| Slot::empty()).collect();
        for seq in self.head..self.tail {
            let (from, to) = (self.index(seq), (seq % capacity as u64) as usize);
            std::mem::swap(&mut ring[to], &mut self.ring[from]);
        }
        self.ring = ring;
        self.capacity = capacity;
        true
    }

    /// Takes the next target into the ring, if there is room and one.
    fn admit(&mut self) -> bool {
        if !self.more || self.error.is_some() {
            return false;
        }
        if self.tail - self.head >= self.capacity as u64 && !(self.lossy && self.grow()) {
            return false;
        }
        let Some(ip) = self.targets.next() else {
            self.more = false;
            return false;
        };
        let (seq, index) = (self.tail, self.index(self.tail));
        self.tail += 1;
        let family = usize::from(ip.is_ipv6());
        let pending = self.plan.applies.iter().filter(|a| a[family]).count();
        let zones = self.plan.zones.len();
        if index == self.ring.len() {
            self.ring.push(Slot {
                seq,
                ip,
                results: vec![None; zones],
                pending,
            });
        } else {
            let slot = &mut self.ring[index];
            (slot.seq, slot.ip, slot.pending) = (seq, ip, pending);
            slot.results.resize(zones, None);
        }
        for zone in 0..self.plan.zones.len() {
            if self.plan.applies[zone][family] && !self.answer_locally(index, zone) {
                self.zones[zone].jobs.push_back(Job { seq, kind: Kind::A });
            }
        }
        self.flush();
        true
    }

    /// Answers zone `zone` of the target at `index` from local data, if it
    /// is there (the A query, then the TXT of a listing).
    fn answer_locally(&mut self, index: usize, zone: usize) -> bool {
        let Some(local) = self.plan.local.filter(|_| self.plan.maybe_local[zone]) else {
            return false;
        };
        write_name(
            &mut self.name,
            self.ring[index].ip,
            &self.plan.zones[zone].query_zone,
        );
        let Some(outcome) = local.answer(&self.name, RecordType::A) else {
            return false;
        };
        let answer = Answer {
            outcome,
            server: None,
        };
        if let Some(txt) = self.resolve(index, zone, Kind::A, answer) {
            let outcome = local
                .answer(&self.name, RecordType::Txt)
                .unwrap_or_else(|| Outcome::Failed(Failure::Other("not in the local data".into())));
            let answer = Answer {
                outcome,
                server: None,
            };
            self.resolve(index, zone, txt, answer);
        }
        true
    }

    /// Fills in zone `zone` of the target at `index` from `answer`; returns
    /// the TXT query still to ask, if any (as `check_zone_on` does).
    fn resolve(&mut self, index: usize, zone: usize, kind: Kind, answer: Answer) -> Option<Kind> {
        let z = &self.plan.zones[zone];
        let ip = self.ring[index].ip;
        let mut result = match kind {
            Kind::A => {
                let mut r = zone_result(z, &Target::Ip(ip), answer.outcome);
                r.resolver = answer.server.map(|s| self.plan.server_name(s));
                if r.status == Status::Listed && z.txt {
                    self.ring[index].results[zone] = Some(r);
                    return Some(Kind::Txt(
                        answer.server.or_else(|| self.plan.server(zone, ip)),
                    ));
                }
                r
            }
            Kind::Txt(_) => {
                let mut r = self.ring[index].results[zone].take()?;
                match answer.outcome {
                    Outcome::Failed(f) => {
                        r.detail = Some(format!("the TXT reason could not be fetched: {f}"));
                    }
                    txt => r.txt = txt.txts(),
                }
                r
            }
        };
        if let Some(p) = self.plan.probe(zone, ip) {
            p.adjust(&mut result);
        }
        let slot = &mut self.ring[index];
        slot.results[zone] = Some(result);
        slot.pending = slot.pending.saturating_sub(1);
        None
    }

    /// Emits the complete targets at the head of the ring.
    fn flush(&mut self) {
        while self.head < self.tail && self.error.is_none() {
            let index = self.index(self.head);
            let slot = &mut self.ring[index];
            if slot.pending > 0 {
                break;
            }
            let results: Vec<ZoneResult> =
                slot.results.iter_mut().filter_map(Option::take).collect();
            let report = Report::new(slot.ip.to_string(), TargetKind::Ip, results);
            self.head += 1;
            self.stats.count(&report);
            self.unpaused = true;
            if let Err(e) = self.output.report(report, &self.stats) {
                self.error = Some(e);
            }
        }
    }

    /// Tells the output that nothing more is ready for now.
    fn pause(&mut self) {
        if self.unpaused && self.error.is_none() {
            self.unpaused = false;
            if let Err(e) = self.output.pause() {
                self.error = Some(e);
            }
        }
    }

    /// Fails at once every query waiting for a zone given up on.
    fn drain_given_up(&mut self) {
        for zone in 0..self.zones.len() {
            if !self.zones[zone].given_up {
                continue;
            }
            while let Some(job) = self.zones[zone].jobs.pop_front() {
                let index = self.index(job.seq);
                let server = match job.kind {
                    Kind::A => self.plan.server(zone, self.ring[index].ip),
                    Kind::Txt(s) => s,
                };
                let why = format!(
                    "{} stopped answering ({GIVE_UP_AFTER} timeouts in a row): not asked again in this run",
                    self.plan.zones[zone].zone
                );
                let answer = Answer {
                    outcome: Outcome::Failed(Failure::Other(why)),
                    server,
                };
                if let Some(kind) = self.resolve(index, zone, job.kind, answer) {
                    self.zones[zone].jobs.push_front(Job { seq: job.seq, kind });
                }
            }
        }
        self.flush();
    }

    /// The next query that may go now, in target order across zones; sets
    /// `wake` to when a rate-capped one may go.
    fn pick(&mut self, now: Instant, wake: &mut Option<Instant>) -> Option<(usize, Job)> {
        let mut soonest = |t: Instant| *wake = Some(wake.map_or(t, |w| w.min(t)));
        if let Some(g) = self.global.as_ref().filter(|g| g.next > now) {
            if self.zones.iter().any(|z| !z.jobs.is_empty()) {
                soonest(g.next);
            }
            return None;
        }
        let mut best: Option<(u64, usize)> = None;
        for (zone, st) in self.zones.iter().enumerate() {
            let Some(front) = st.jobs.front() else {
                continue;
            };
            if st.timeouts > 0 && st.outstanding >= SUSPECT_OUTSTANDING {
                continue;
            }
            if let Some(p) = st.pace.as_ref().filter(|p| p.next > now) {
                soonest(p.next);
                continue;
            }
            if best.is_none_or(|(seq, _)| front.seq < seq) {
                best = Some((front.seq, zone));
            }
        }
        let (_, zone) = best?;
        let job = self.zones[zone].jobs.pop_front()?;
        Some((zone, job))
    }

    /// Hands out `job` of zone `zone`.
    fn send(&mut self, zone: usize, job: Job, now: Instant) -> Next<'_> {
        let ip = self.ring[self.index(job.seq)].ip;
        let (rtype, server, txt) = match job.kind {
            Kind::A => (RecordType::A, self.plan.server(zone, ip), false),
            Kind::Txt(s) => (RecordType::Txt, s, true),
        };
        let st = &mut self.zones[zone];
        st.outstanding += 1;
        if let Some(p) = st.pace.as_mut() {
            p.take(now);
        }
        if let Some(g) = self.global.as_mut() {
            g.take(now);
        }
        self.outstanding += 1;
        self.plan.sent.fetch_add(1, Ordering::Relaxed);
        let token = self.token(job.seq, zone, txt);
        write_name(&mut self.name, ip, &self.plan.zones[zone].query_zone);
        Next::Query(BulkQuery {
            token,
            name: &self.name,
            rtype,
            server,
        })
    }

    /// A transmission for `zone` timed out: after [`GIVE_UP_AFTER`] in a
    /// row, and a query's whole budget without an answer, the zone is given up on.
    fn timed_out(&mut self, zone: usize) {
        let budget = self.plan.budget;
        self.lossy = true;
        let st = &mut self.zones[zone];
        st.timeouts = st.timeouts.saturating_add(1);
        if st.timeouts >= GIVE_UP_AFTER && st.heard.elapsed() >= budget {
            st.given_up = true;
        }
    }
}

impl<I, O> Feed for ScanFeed<'_, I, O>
where
    I: Iterator<Item = IpAddr>,
    O: ScanOutput,
{
    fn next(&mut self, now: Instant) -> Next<'_> {
        let mut wake = None;
        loop {
            if self.error.is_some() {
                return Next::Done;
            }
            self.drain_given_up();
            if let Some((zone, job)) = self.pick(now, &mut wake) {
                return self.send(zone, job, now);
            }
            if !self.admit() {
                break;
            }
        }
        match wake {
            Some(t) => Next::Wait(Some(t)),
            None if self.outstanding > 0 => Next::Wait(None),
            None => Next::Done,
        }
    }

    fn deliver(&mut self, token: u64, answer: Answer) {
        let (seq, zone, txt) = self.untoken(token);
        self.outstanding = self.outstanding.saturating_sub(1);
        let Some(st) = self.zones.get_mut(zone) else {
            return;
        };
        st.outstanding = st.outstanding.saturating_sub(1);
        match &answer.outcome {
            Outcome::Failed(Failure::Timeout) => self.timed_out(zone),
            Outcome::Failed(_) => {}
            _ => {
                st.timeouts = 0;
                st.heard = Instant::now();
            }
        }
        if !(self.head..self.tail).contains(&seq) {
            return;
        }
        let index = self.index(seq);
        let kind = if txt { Kind::Txt(None) } else { Kind::A };
        if let Some(kind) = self.resolve(index, zone, kind, answer) {
            self.zones[zone].jobs.push_front(Job { seq, kind });
        }
        self.flush();
    }

    fn keep_trying(&mut self, token: u64, _: &Failure) -> bool {
        let (_, zone, _) = self.untoken(token);
        if zone >= self.zones.len() {
            return true;
        }
        self.timed_out(zone);
        !self.zones[zone].given_up
    }

    fn idle(&mut self) {
        self.pause();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names_are_the_reversed_address_under_the_zone() {
        let mut name = String::from("left over");
        for (ip, want) in [
            ("192.0.2.99", "99.2.0.192.bl.test"),
            ("0.0.0.0", "0.0.0.0.bl.test"),
            ("255.100.10.9", "9.10.100.255.bl.test"),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            write_name(&mut name, ip, "bl.test.");
            assert_eq!(name, want);
            assert_eq!(name, Target::Ip(ip).query_name("bl.test"));
        }
        let v6: IpAddr = "2001:db8::10".parse().unwrap();
        write_name(&mut name, v6, "bl.test");
        assert_eq!(name, Target::Ip(v6).query_name("bl.test"));
    }

    #[test]
    fn zones_overlap_only_on_label_boundaries() {
        assert!(overlaps("bl.test", "bl.test."));
        assert!(overlaps("BL.test", "x.bl.test"));
        assert!(overlaps("x.bl.test", "bl.test"));
        assert!(!overlaps("xbl.test", "bl.test"));
        assert!(!overlaps("bl.test", "other.test"));
    }

    #[test]
    fn a_pace_spaces_slots_and_catches_up_only_a_little() {
        let start = Instant::now();
        let mut p = Pace::new(10, start);
        assert_eq!(p.next, start + Duration::from_millis(100));
        // On time: the next slot is a period later.
        p.take(p.next);
        assert_eq!(p.next, start + Duration::from_millis(200));
        // Late by a second: no burst of ten, only the slack is caught up.
        let late = start + Duration::from_secs(2);
        p.take(late);
        assert_eq!(p.next, late - PACE_SLACK + Duration::from_millis(100));
    }
}
