//! A lossy UDP relay on loopback for bench/faults.sh: a `blocklens scan`
//! aimed at the relay reaches the DNS server behind it through a network
//! that misbehaves on purpose (no firewall or root needed).
//!
//! ```text
//! udp_relay --server 127.0.0.1:PORT [--loss PCT] [--seed N]
//!           [--silent-zone ZONE --silent-after N] [--stats FILE]
//! ```
//!
//! Prints the address it listens on (`127.0.0.1:PORT`) as its first line,
//! then relays until killed. Each client address gets its own upstream
//! socket, so replies find their way back whatever sockets the client uses.
//!
//! - `--loss PCT`: drops PCT% of the queries and, independently, PCT% of
//!   the replies (a seeded generator: the same seed drops the same packets
//!   of the same sequence).
//! - `--silent-zone ZONE --silent-after N`: once N queries have come in,
//!   every query under ZONE is dropped (a list that stops answering).
//! - `--stats FILE`: every 200 ms, and when the relay stops, writes
//!   `queries=.. replies=.. dropped_queries=.. dropped_replies=.. silenced=..`
//!   to FILE.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Counters {
    queries: AtomicU64,
    replies: AtomicU64,
    dropped_queries: AtomicU64,
    dropped_replies: AtomicU64,
    silenced: AtomicU64,
}

impl Counters {
    fn line(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "queries={} replies={} dropped_queries={} dropped_replies={} silenced={}\n",
            get(&self.queries),
            get(&self.replies),
            get(&self.dropped_queries),
            get(&self.dropped_replies),
            get(&self.silenced)
        )
    }
}

/// A seeded xorshift generator shared by the relay's threads.
struct Dice(Mutex<u64>);

impl Dice {
    /// True `pct`% of the time.
    fn roll(&self, pct: u64) -> bool {
        if pct == 0 {
            return false;
        }
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) % 100 < pct
    }
}

struct Args {
    server: SocketAddr,
    loss: u64,
    seed: u64,
    silent: Option<(Vec<u8>, u64)>,
    stats: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut server = None;
    let mut loss = 0;
    let mut seed = 0x2545_f491_4f6c_dd1d;
    let (mut zone, mut after) = (None, 0);
    let mut stats = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--server" => server = Some(value.parse().map_err(|e| bad(&e))?),
            "--loss" => loss = value.parse().map_err(|e| bad(&e))?,
            "--seed" => seed = value.parse::<u64>().map_err(|e| bad(&e))?.max(1),
            "--silent-zone" => zone = Some(value),
            "--silent-after" => after = value.parse().map_err(|e| bad(&e))?,
            "--stats" => stats = Some(value),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if loss > 100 {
        return Err("--loss is a percentage (0-100)".into());
    }
    Ok(Args {
        server: server.ok_or("--server is required")?,
        loss,
        seed,
        silent: zone.map(|z| (wire_suffix(&z), after)),
        stats,
    })
}

/// `zone` in DNS wire form (length-prefixed labels), for a suffix match.
fn wire_suffix(zone: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in zone.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
    }
    out.push(0);
    out
}

/// Whether the question of query `packet` is under the zone `suffix`.
fn under(packet: &[u8], suffix: &[u8]) -> bool {
    packet
        .windows(suffix.len())
        .any(|w| w.eq_ignore_ascii_case(suffix))
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("udp_relay: {e}");
            std::process::exit(2);
        }
    };
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").expect("bind the relay"));
    println!("{}", front.local_addr().expect("relay address"));
    let counters = Arc::new(Counters::default());
    let dice = Arc::new(Dice(Mutex::new(args.seed)));
    if let Some(path) = args.stats.clone() {
        let counters = Arc::clone(&counters);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let _ = std::fs::write(&path, counters.line());
            }
        });
    }
    let mut upstream: HashMap<SocketAddr, UdpSocket> = HashMap::new();
    let mut buf = [0u8; 65_535];
    loop {
        let Ok((n, client)) = front.recv_from(&mut buf) else {
            continue;
        };
        let seen = counters.queries.fetch_add(1, Ordering::Relaxed) + 1;
        let packet = &buf[..n];
        if let Some((suffix, after)) = &args.silent
            && seen > *after
            && under(packet, suffix)
        {
            counters.silenced.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if dice.roll(args.loss) {
            counters.dropped_queries.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let back = upstream.entry(client).or_insert_with(|| {
            let back = UdpSocket::bind("127.0.0.1:0").expect("bind an upstream socket");
            back.connect(args.server).expect("connect upstream");
            let (reader, front, counters, dice) = (
                back.try_clone().expect("clone a socket"),
                Arc::clone(&front),
                Arc::clone(&counters),
                Arc::clone(&dice),
            );
            let loss = args.loss;
            std::thread::spawn(move || {
                let mut buf = [0u8; 65_535];
                while let Ok(n) = reader.recv(&mut buf) {
                    if dice.roll(loss) {
                        counters.dropped_replies.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    counters.replies.fetch_add(1, Ordering::Relaxed);
                    let _ = front.send_to(&buf[..n], client);
                }
            });
            back
        });
        let _ = back.send(packet);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_matches_on_its_wire_form_in_any_case() {
        let suffix = wire_suffix("bl1.bench.test.");
        assert_eq!(suffix, b"\x03bl1\x05bench\x04test\x00");
        assert!(under(b"\x011\x03BL1\x05bench\x04test\x00\x00\x01", &suffix));
        assert!(!under(
            b"\x011\x03bl2\x05bench\x04test\x00\x00\x01",
            &suffix
        ));
    }

    #[test]
    fn the_dice_drop_about_the_share_asked() {
        let dice = Dice(Mutex::new(7));
        let dropped = (0..100_000).filter(|_| dice.roll(10)).count();
        assert!((9_000..11_000).contains(&dropped), "{dropped}");
        assert!(!(0..1000).any(|_| dice.roll(0)));
    }
}
