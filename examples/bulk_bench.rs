//! Pushes the names of 198.18.0.0/16 (or its first COUNT addresses) under
//! one or more zones through `Client::bulk` and counts the answers; used by
//! bench/transport.sh.
//!
//! ```text
//! bulk_bench --server 127.0.0.1:PORT [--zone Z]... [--count N] [--concurrency N]
//!            [--timeout MS] [--attempts N]
//!            [--loss PCT] [--silent-zone Z --silent-after N]
//! ```
//!
//! With `--loss` or `--silent-zone` the queries go through a relay in this
//! process (no firewall needed) that drops PCT% of queries, and drops every
//! query for the silent zone once N queries have passed. As the scan engine
//! would, the feed marks a zone failing once 8 transmissions in a row to it
//! timed out (`Feed::keep_trying`) and it has been silent for `--timeout`:
//! its queries in flight are given up and the rest are not sent. While a
//! zone is suspect (its last transmission timed out), at most 8 of its
//! queries are outstanding; the others wait in the feed.
//!
//! Expected answers: 198.18.a.b is listed (127.0.0.2) when b % 16 == 0,
//! otherwise NXDOMAIN. One line of `key=value` results goes to stdout.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use blocklens::dns::{
    Answer, BulkQuery, Client, Failure, Feed, Next, Outcome, RecordType, ResolverSettings,
};

/// Timed-out transmissions in a row after which a silent zone is failing.
const ZONE_FAILING_AFTER: u32 = 8;
/// Outstanding queries of a zone whose last transmission timed out.
const SUSPECT_OUTSTANDING: u32 = 8;

struct Args {
    server: SocketAddr,
    zones: Vec<String>,
    count: u32,
    concurrency: usize,
    timeout: Duration,
    attempts: usize,
    loss: u64,
    silent: Option<(String, u64)>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        server: "127.0.0.1:53".parse().unwrap(),
        zones: Vec::new(),
        count: 65_536,
        concurrency: 64,
        timeout: Duration::from_secs(2),
        attempts: 2,
        loss: 0,
        silent: None,
    };
    let mut silent_zone = None;
    let mut silent_after = 0;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |_| format!("bad value for {flag}: {v}");
        match flag.as_str() {
            "--server" => a.server = v.parse().map_err(|_| format!("bad server {v}"))?,
            "--zone" => a.zones.push(v),
            "--count" => a.count = v.parse().map_err(bad)?,
            "--concurrency" => a.concurrency = v.parse().map_err(bad)?,
            "--timeout" => a.timeout = Duration::from_millis(v.parse().map_err(bad)?),
            "--attempts" => a.attempts = v.parse().map_err(bad)?,
            "--loss" => a.loss = v.parse().map_err(bad)?,
            "--silent-zone" => silent_zone = Some(v),
            "--silent-after" => silent_after = v.parse().map_err(bad)?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if a.zones.is_empty() {
        a.zones.push("bl.bench.test".into());
    }
    a.silent = silent_zone.map(|z| (z, silent_after));
    Ok(a)
}

/// Per-zone tallies.
#[derive(Default, Clone)]
struct Tally {
    right: u64,
    wrong: u64,
    timeouts: u64,
    down: u64,
    other_failures: u64,
    skipped: u64,
    in_a_row: u32,
    last_answer: Option<Instant>,
    failing: bool,
    outstanding: u32,
    held: Vec<u64>,
}

struct ScanFeed {
    zones: Vec<String>,
    silence: Duration,
    start: Instant,
    count: u32,
    next: u64,
    name: String,
    tally: Vec<Tally>,
}

impl ScanFeed {
    fn target(&self, token: u64) -> (u32, usize) {
        let per = self.zones.len() as u64;
        ((token / per) as u32, (token % per) as usize)
    }
}

impl ScanFeed {
    /// The next token to send: a held one whose zone may take it, else a new one.
    fn pick(&mut self) -> Option<u64> {
        for t in &mut self.tally {
            if t.failing {
                t.skipped += t.held.len() as u64;
                t.held.clear();
            }
        }
        if let Some(t) = self.tally.iter_mut().find(|t| {
            (t.in_a_row == 0 || t.outstanding < SUSPECT_OUTSTANDING) && !t.held.is_empty()
        }) {
            return t.held.pop();
        }
        let total = u64::from(self.count) * self.zones.len() as u64;
        while self.next < total {
            let token = self.next;
            self.next += 1;
            let z = self.target(token).1;
            let t = &mut self.tally[z];
            if t.failing {
                t.skipped += 1;
            } else if t.in_a_row > 0 && t.outstanding >= SUSPECT_OUTSTANDING {
                t.held.push(token);
            } else {
                return Some(token);
            }
        }
        None
    }
}

impl Feed for ScanFeed {
    fn next(&mut self, _now: Instant) -> Next<'_> {
        let Some(token) = self.pick() else {
            // Held queries wait for their zone's queries in flight to end.
            let held = self.tally.iter().any(|t| !t.held.is_empty());
            return if held { Next::Wait(None) } else { Next::Done };
        };
        let (i, z) = self.target(token);
        self.tally[z].outstanding += 1;
        self.name.clear();
        let _ = write!(self.name, "{}.{}.18.198.{}", i & 255, i >> 8, self.zones[z]);
        Next::Query(BulkQuery {
            token,
            name: &self.name,
            rtype: RecordType::A,
            server: None,
        })
    }

    fn deliver(&mut self, token: u64, answer: Answer) {
        let (i, z) = self.target(token);
        let t = &mut self.tally[z];
        t.outstanding -= 1;
        let listed = (i & 255) % 16 == 0;
        match answer.outcome {
            Outcome::Records(_) if listed => t.right += 1,
            Outcome::NxDomain if !listed => t.right += 1,
            Outcome::Failed(Failure::Timeout) => {
                t.timeouts += 1;
                return;
            }
            Outcome::Failed(Failure::ServerDown(_)) => t.down += 1,
            Outcome::Failed(_) => t.other_failures += 1,
            _ => t.wrong += 1,
        }
        t.in_a_row = 0;
        t.last_answer = Some(Instant::now());
    }

    fn keep_trying(&mut self, token: u64, _: &Failure) -> bool {
        let (_, z) = self.target(token);
        let t = &mut self.tally[z];
        t.in_a_row += 1;
        let silent = t.last_answer.unwrap_or(self.start).elapsed();
        if t.in_a_row >= ZONE_FAILING_AFTER && silent >= self.silence {
            t.failing = true;
        }
        !t.failing
    }
}

/// A UDP relay on loopback: client -> relay -> server and back, dropping
/// `loss`% of queries and, after `silent.1` queries, all for zone `silent.0`.
fn relay(server: SocketAddr, loss: u64, silent: Option<(String, u64)>) -> SocketAddr {
    let front = UdpSocket::bind("127.0.0.1:0").unwrap();
    let back = UdpSocket::bind("127.0.0.1:0").unwrap();
    back.connect(server).unwrap();
    let addr = front.local_addr().unwrap();
    let client = Arc::new(AtomicU64::new(0));
    let (front2, back2, client2) = (
        front.try_clone().unwrap(),
        back.try_clone().unwrap(),
        Arc::clone(&client),
    );
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = back2.recv(&mut buf) {
            let port = client2.load(Ordering::Relaxed) as u16;
            let _ = front2.send_to(&buf[..n], SocketAddr::from(([127, 0, 0, 1], port)));
        }
    });
    let silent = silent.map(|(zone, after)| (wire_suffix(&zone), after));
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut seen = 0u64;
        while let Ok((n, from)) = front.recv_from(&mut buf) {
            client.store(u64::from(from.port()), Ordering::Relaxed);
            seen += 1;
            let lost = (seen.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) % 100 < loss;
            let hushed = silent.as_ref().is_some_and(|(suffix, after)| {
                seen > *after
                    && buf[..n]
                        .windows(suffix.len())
                        .any(|w| w.eq_ignore_ascii_case(suffix))
            });
            if !lost && !hushed {
                let _ = back.send(&buf[..n]);
            }
        }
    });
    addr
}

fn wire_suffix(zone: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for l in zone.split('.') {
        out.push(l.len() as u8);
        out.extend_from_slice(l.as_bytes());
    }
    out.push(0);
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bulk_bench: {e}");
            std::process::exit(2);
        }
    };
    let server = if args.loss > 0 || args.silent.is_some() {
        relay(args.server, args.loss, args.silent.clone())
    } else {
        args.server
    };
    let client = Client::new(&ResolverSettings {
        servers: vec![server],
        timeout: args.timeout,
        attempts: args.attempts,
    })
    .unwrap();
    let mut feed = ScanFeed {
        tally: vec![Tally::default(); args.zones.len()],
        zones: args.zones,
        silence: args.timeout,
        start: Instant::now(),
        count: args.count,
        next: 0,
        name: String::new(),
    };
    let start = Instant::now();
    let run = client.bulk(&mut feed, args.concurrency).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    let mut line = format!(
        "elapsed={secs:.3} qps={:.0} queries={} transmissions={} timeouts={} ignored={}",
        run.queries as f64 / secs,
        run.queries,
        run.transmissions,
        run.timeouts,
        run.ignored
    );
    for (zone, t) in feed.zones.iter().zip(&feed.tally) {
        let _ = write!(
            line,
            " {zone}:right={},wrong={},timeout={},down={},failed={},skipped={}",
            t.right, t.wrong, t.timeouts, t.down, t.other_failures, t.skipped
        );
    }
    println!("{line}");
}
