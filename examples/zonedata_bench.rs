//! Benchmark helper for bench/zonedata.sh.
//!
//! `zonedata_bench gen PATH ENTRIES`  writes an ip4set of ENTRIES lines in
//!     10.0.0.0/8: single addresses and CIDRs (/26 to /31), 1% exclusions,
//!     seeded, so every run measures the same data.
//! `zonedata_bench run PATH`  loads it and times lookups of all 16,777,216
//!     addresses of 10.0.0.0/8, three ways: `Zone::is_listed_v4` (the hot
//!     path), `Zone::listing_v4` (A and TXT built for listed addresses), and
//!     `Zone::answer` on query names for the first 1,048,576 addresses (what
//!     `LocalZones` does for a name).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use blocklens::zonedata::{Answer, Dataset, DatasetKind, LoadOptions, Zone};

/// Counts heap allocations, to show that a lookup that finds nothing
/// allocates nothing.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// splitmix64, seeded: the same file every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn generate(path: &str, entries: u64) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "$SOA 60 ns.bench.test hostmaster.bench.test 0 600 300 86400 60"
    )?;
    writeln!(out, "$NS 60 ns.bench.test")?;
    writeln!(out, ":127.0.0.2:Listed, see https://bench.example/?ip=$")?;
    writeln!(out, "127.0.0.2")?;
    let mut rng = Rng(0x00be_4c40);
    for _ in 0..entries {
        let r = rng.next();
        let a = 0x0a00_0000 | (r as u32 & 0x00ff_ffff);
        match (r >> 32) % 100 {
            0 => writeln!(out, "!{}", Ipv4Addr::from(a))?,
            1..70 => writeln!(out, "{}", Ipv4Addr::from(a))?,
            _ => {
                let bits = 26 + ((r >> 40) % 6) as u32;
                let mask = u32::MAX << (32 - bits);
                writeln!(out, "{}/{bits}", Ipv4Addr::from(a & mask))?;
            }
        }
    }
    out.flush()
}

fn per_second(n: u64, secs: f64) -> String {
    format!(
        "{:.1} M/s ({:.1} ns each)",
        n as f64 / secs / 1e6,
        secs * 1e9 / n as f64
    )
}

fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let dataset = Dataset::load(DatasetKind::Ip4Set, &[path], &LoadOptions::default())?;
    let load = start.elapsed().as_secs_f64();
    let stats = dataset.stats().clone();
    println!("load: {load:.3} s");
    println!(
        "  {} lines, {} entries, {} skipped, {} intervals, ~{} MiB of lookup data",
        stats.lines,
        stats.entries,
        stats.issue_count,
        stats.keys,
        dataset.heap_bytes() >> 20
    );
    let zone = Zone::new("bl.bench.test", vec![Arc::new(dataset)])?;

    let (first, last) = (0x0a00_0000u32, 0x0aff_ffffu32);
    let total = u64::from(last - first) + 1;
    let before = allocations();
    let start = Instant::now();
    let listed = (first..=last)
        .filter(|&ip| zone.is_listed_v4(std::hint::black_box(ip)))
        .count();
    let secs = start.elapsed().as_secs_f64();
    let allocated = allocations() - before;
    println!(
        "is_listed_v4 over 10.0.0.0/8: {total} lookups in {secs:.3} s, {} ({listed} listed, {allocated} allocations)",
        per_second(total, secs)
    );

    let before = allocations();
    let start = Instant::now();
    let mut txt_bytes = 0usize;
    for ip in first..=last {
        if let Some(listing) = zone.listing_v4(std::hint::black_box(ip)) {
            txt_bytes += listing.txt.iter().map(String::len).sum::<usize>();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let allocated = allocations() - before;
    println!(
        "listing_v4 over 10.0.0.0/8 (A and TXT built when listed): {secs:.3} s, {} ({txt_bytes} TXT bytes, {:.1} allocations per listed address)",
        per_second(total, secs),
        allocated as f64 / listed.max(1) as f64
    );

    let n = 1u32 << 20;
    let start = Instant::now();
    let mut hits = 0u64;
    for ip in first..first + n {
        let o = ip.to_be_bytes();
        let name = format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0]);
        hits += u64::from(matches!(zone.answer(name.as_bytes()), Answer::Listed(_)));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "answer(name) for 10.0.0.0/12: {n} names in {secs:.3} s, {} ({hits} listed)",
        per_second(u64::from(n), secs)
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1..).unwrap_or_default() {
        [cmd, path, entries] if cmd == "gen" => Ok(generate(path, entries.parse()?)?),
        [cmd, path] if cmd == "run" => run(path),
        _ => Err("usage: zonedata_bench gen PATH ENTRIES | zonedata_bench run PATH".into()),
    }
}
