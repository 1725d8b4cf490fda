//! Differential test: blocklens' in-process zones (`zonedata::LocalZones`)
//! against rbldnsd serving the same files on 127.0.0.1. Every query name
//! (hand-picked edges and thousands of seeded random ones) is asked both
//! ways, for A and TXT (AAAA and MX for some), and the answers must agree:
//! rcode, the set of A records, the set of TXT records.
//!
//! Skipped (with a message) when rbldnsd is not installed, unless
//! BLOCKLENS_REQUIRE_RBLDNSD=1 is set.

use std::net::{Ipv4Addr, Ipv6Addr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use blocklens::dns::{Dns, Failure, Outcome, Record, RecordType};
use blocklens::zonedata::{LoadOptions, LocalZones, ZoneSpec, load_zones};
use futures::FutureExt;
use futures::future::BoxFuture;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{RData, RecordType as HType};

use crate::rbldnsd::{Rbldnsd, find_rbldnsd, write_world_readable};

/// The zones, as rbldnsd takes them (`zone:type:file`); files are in
/// tests/zonedata/ or generated below (gen-*).
const SPECS: &[&str] = &[
    "set.zd.test:ip4set:ip4set-a.txt,ip4set-b.txt",
    "set.zd.test:ip6trie:ip6trie.txt",
    "sub.set.zd.test:ip4tset:ip4tset.txt",
    "tset.zd.test:ip4tset:ip4tset.txt",
    "trie.zd.test:ip4trie:ip4trie.txt",
    "v6.zd.test:ip6tset:ip6tset.txt",
    "v6.zd.test:ip6trie:ip6trie.txt",
    "dom.zd.test:dnset:dnset.txt",
    "mix.zd.test:ip4trie:ip4trie.txt",
    "mix.zd.test:dnset:dnset.txt",
    "mix.zd.test:ip4set:gen-set.txt",
    "gen.zd.test:ip4set:gen-set.txt",
    "gen6.zd.test:ip6trie:gen-trie6.txt",
    "gendom.zd.test:dnset:gen-dom.txt",
    "old.zd.test:ip4set:expired.txt",
    "gz.zd.test:ip4set:ip4set-b.txt.gz,ip4set-a.txt",
];

const STATIC_FILES: &[&str] = &[
    "ip4set-a.txt",
    "ip4set-b.txt",
    "ip4tset.txt",
    "ip4trie.txt",
    "ip6trie.txt",
    "ip6tset.txt",
    "dnset.txt",
    "expired.txt",
];

/// IPv4 edges of the static data: range and CIDR bounds and their
/// neighbours, exclusions, test points, abbreviated forms.
const EDGES_V4: &[&str] = &[
    "127.0.0.1",
    "127.0.0.2",
    "127.0.0.3",
    "192.0.2.9",
    "192.0.2.10",
    "192.0.2.11",
    "192.0.2.12",
    "192.0.2.13",
    "192.0.2.14",
    "192.0.2.0",
    "192.0.2.1",
    "192.0.2.2",
    "192.0.2.3",
    "192.0.2.4",
    "192.0.2.5",
    "198.51.99.255",
    "198.51.100.0",
    "198.51.100.76",
    "198.51.100.77",
    "198.51.100.78",
    "198.51.100.200",
    "198.51.100.201",
    "198.51.100.202",
    "198.51.100.203",
    "198.51.100.204",
    "198.51.100.255",
    "198.51.101.0",
    "9.255.255.255",
    "10.0.0.0",
    "10.0.0.5",
    "10.0.0.255",
    "10.0.1.0",
    "10.0.3.17",
    "10.0.3.18",
    "10.0.3.255",
    "10.0.4.4",
    "10.0.4.5",
    "10.0.4.255",
    "10.0.5.0",
    "10.0.9.200",
    "10.0.9.201",
    "10.0.255.255",
    "10.1.0.0",
    "10.1.2.2",
    "10.1.2.3",
    "10.1.2.4",
    "10.1.2.127",
    "10.1.2.128",
    "10.1.2.255",
    "10.1.3.0",
    "10.1.255.255",
    "10.2.0.0",
    "10.2.255.255",
    "10.3.0.0",
    "10.3.0.255",
    "10.3.1.0",
    "10.4.0.1",
    "10.5.0.1",
    "10.6.0.1",
    "10.7.0.1",
    "10.8.0.1",
    "10.8.1.1",
    "10.9.8.0",
    "10.255.255.255",
    "11.0.0.0",
    "172.15.255.255",
    "172.16.0.0",
    "172.16.1.1",
    "172.19.255.255",
    "172.20.0.0",
    "172.20.5.4",
    "172.20.5.5",
    "172.20.5.6",
    "172.20.6.0",
    "172.20.7.255",
    "172.20.8.0",
    "172.21.0.0",
    "172.21.3.3",
    "172.21.3.4",
    "172.24.0.0",
    "172.31.255.255",
    "172.32.0.0",
    "192.0.3.0",
    "192.0.4.0",
    "192.0.4.255",
    "192.0.5.7",
    "192.0.6.0",
    "192.0.7.0",
    "192.0.7.1",
    "192.167.255.255",
    "192.168.0.0",
    "192.168.255.255",
    "192.169.0.0",
    "203.0.113.0",
    "203.0.113.63",
    "203.0.113.64",
    "203.0.113.65",
    "203.0.113.127",
    "203.0.113.128",
    "98.255.255.255",
    "99.0.0.0",
    "100.255.255.255",
    "101.0.0.0",
    "127.255.255.255",
    "128.0.0.0",
    "0.0.0.0",
    "255.255.255.255",
];

/// IPv6 edges: prefix bounds, exclusions, mapped and 6to4 addresses (which
/// rbldnsd sends to IPv4 data in a zone that has some), test points.
const EDGES_V6: &[&str] = &[
    "::ffff:127.0.0.2",
    "::ffff:127.0.0.1",
    "::ffff:192.0.2.10",
    "::ffff:10.0.0.5",
    "::ffff:7f00:3",
    "::1",
    "::2",
    "::",
    "2002:7f00:2::1",
    "2002:c000:20a::",
    "2002:0a00:0005:ffff::1",
    "2001:db8:bad::",
    "2001:db8:bad:0:ffff::",
    "2001:db8:bad:1::",
    "2001:db8:bad:1::1",
    "2001:db8:bad:1::2",
    "2001:db8:bad:2::",
    "2001:db8:bad:ffff:ffff::",
    "2001:db8:bae::",
    "2001:db8:bac:ffff:ffff:ffff:ffff:ffff",
    "2001:21ab:bfff:ffff:ffff:ffff:ffff:ffff",
    "2001:21ab:c000::",
    "2001:21ab:cfff:ffff:ffff:ffff:ffff:ffff",
    "2001:21ab:d000::",
    "2001:db8:0:1::",
    "2001:db8:0:1:ffff:ffff:ffff:ffff",
    "2001:db8:0:2::",
    "2001:20fe:23:41ed::1",
    "2001:20fe:23:41ec:ffff::",
    "abac:adab:ad00:42f::1",
    "abac:adab:ad00:42f::2",
    "abac:adab:ad00:42f:face:f:a:beef",
    "2001:db8:5::",
    "2001:db8:5::1",
    "2001:db8:6::",
    "2001:db8:cafe::",
    "2001:db8:cafe:1::1",
    "2001:db8:cafe:1:ffff::",
    "2001:db8:caff:ffff::",
    "2001:db8:cb00::",
    "2001:db8:eff:ffff::",
    "2001:db8:f00::",
    "2001:db8:fff:ffff::",
    "2001:db8:1000::",
];

/// Domain names for the dnset zones, below the zone.
const EDGES_NAMES: &[&str] = &[
    "test",
    "invalid",
    "exact.example",
    "www.exact.example",
    "wild.example",
    "a.wild.example",
    "a.b.c.wild.example",
    "both.example",
    "x.both.example",
    "not.both.example",
    "x.not.both.example",
    "no.both.example",
    "x.no.both.example",
    "a.example",
    "b.a.example",
    "c.b.a.example",
    "d.c.b.a.example",
    "mixed.case.example",
    "MIXED.case.EXAMPLE",
    "esc.aped.example",
    "2.0.0.127",
    "x.example",
    "dup.example",
    "odd$name.example",
    "example",
    "1.2.3",
    "1.2.3.4.5",
];

/// Names that are odd as IP queries: wrong label counts, leading zeros,
/// out-of-range octets, uppercase and bad nibbles, the zone itself.
const ODD_NAMES: &[&str] = &[
    "",
    "2",
    "0.0.127",
    "x.2.0.0.127",
    "02.0.0.127",
    "002.000.00.127",
    "256.0.0.127",
    "2.0.0.127.0",
    "0002.0.0.127",
    "-1.0.0.127",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
    "2.0.0.0.0.0.F.7.F.F.F.F.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
    "g.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
    "10.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
];

/// splitmix64: a fixed seed gives the same data and probes every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ip4(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

/// A random ip4set in 10.128.0.0/12 (3,000 lines: addresses, CIDRs,
/// ranges in full and short form, exclusions, values, default lines) and
/// the edges of its entries.
fn gen_ip4set(rng: &mut Rng) -> (String, Vec<u32>) {
    let mut text = String::from(":127.0.0.2:gen $\n");
    let mut edges = Vec::new();
    for i in 0..3000u32 {
        let a = 0x0a80_0000 + rng.below(1 << 20) as u32;
        let (line, first, last) = match rng.below(100) {
            0..45 => (ip4(a).to_string(), a, a),
            45..65 => {
                let bits = 20 + rng.below(12) as u32;
                let m = u32::MAX << (32 - bits);
                (format!("{}/{bits}", ip4(a & m)), a & m, (a & m) | !m)
            }
            65..72 => {
                let b = a + rng.below(3000) as u32;
                (format!("{}-{}", ip4(a), ip4(b)), a, b)
            }
            72..78 => {
                let b = a | rng.below(256) as u32;
                (format!("{}-{}", ip4(a), b & 255), a, b.max(a))
            }
            78..90 => {
                let bits = [32, 32, 28, 24, 22][rng.below(5) as usize];
                let m = u32::MAX << (32 - bits);
                (format!("!{}/{bits}", ip4(a & m)), a & m, (a & m) | !m)
            }
            90..94 => (format!(":{}:default {i} $", 2 + rng.below(8)), 1, 0),
            _ => {
                let value = [":5", ":6:", ":7:own $ $$", "text only $"][rng.below(4) as usize];
                (format!("{} {value}", ip4(a)), a, a)
            }
        };
        text.push_str(&line);
        text.push('\n');
        if first <= last && edges.len() < 4000 {
            edges.extend([first.wrapping_sub(1), first, last, last.wrapping_add(1)]);
        }
    }
    // A 70,000-byte line: both read its start.
    text.push_str(&format!("10.143.255.1 :3:{}\n", "x".repeat(70_000)));
    edges.push(0x0a8f_ff01);
    (text, edges)
}

/// A random ip6trie in 2001:db8::/32 (600 prefixes of /32 to /128, some
/// excluded) and the edges of its prefixes.
fn gen_ip6trie(rng: &mut Rng) -> (String, Vec<u128>) {
    let base = u128::from("2001:db8::".parse::<Ipv6Addr>().unwrap());
    let mut text = String::from(":127.0.0.2:gen6 $\n");
    let mut edges = Vec::new();
    for _ in 0..600 {
        // Cluster under a few /48s so prefixes nest.
        let a = base
            | (u128::from(rng.below(4) as u16) << 80)
            | (u128::from(rng.next()) << 16)
            | u128::from(rng.next() as u16);
        let bits = 32 + rng.below(97) as u32;
        let m = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
        let first = a & m;
        let last = first | !m;
        let bang = if rng.below(5) == 0 { "!" } else { "" };
        let value = if rng.below(3) == 0 {
            format!(" :{}", 3 + rng.below(5))
        } else {
            String::new()
        };
        text.push_str(&format!("{bang}{}/{bits}{value}\n", Ipv6Addr::from(first)));
        edges.extend([first.wrapping_sub(1), first, last, last.wrapping_add(1)]);
    }
    (text, edges)
}

const LABELS: &[&str] = &["a", "b", "mail", "www", "x1", "c-d"];

fn gen_name(rng: &mut Rng, max_labels: u64) -> String {
    let n = 1 + rng.below(max_labels);
    let mut labels: Vec<&str> = (0..n)
        .map(|_| LABELS[rng.below(LABELS.len() as u64) as usize])
        .collect();
    labels.push("example");
    labels.join(".")
}

/// A random dnset (400 names, plain, `*.` and `.` forms, exclusions).
fn gen_dnset(rng: &mut Rng) -> String {
    let mut text = String::from(":127.0.1.2:gen $\n");
    for _ in 0..400 {
        let name = gen_name(rng, 3);
        let bang = if rng.below(6) == 0 { "!" } else { "" };
        let form = ["", "*.", "."][rng.below(3) as usize];
        let value = if rng.below(3) == 0 {
            format!(" :{}", 3 + rng.below(5))
        } else {
            String::new()
        };
        text.push_str(&format!("{bang}{form}{name}{value}\n"));
    }
    text
}

fn reverse_v4(a: u32) -> String {
    let o = a.to_be_bytes();
    format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
}

fn reverse_v6(a: u128) -> String {
    (0..32)
        .map(|i| format!("{:x}", (a >> (4 * i)) & 0xf))
        .collect::<Vec<_>>()
        .join(".")
}

/// Every query name, fully qualified: the edges, then the random ones.
fn query_names(rng: &mut Rng, gen_v4: &[u32], gen_v6: &[u128]) -> Vec<String> {
    let mut names = edge_names();
    names.extend(random_names(rng, gen_v4, gen_v6));
    names
}

/// The hand-picked edges, under every zone they concern.
fn edge_names() -> Vec<String> {
    let v4_zones = [
        "set.zd.test",
        "sub.set.zd.test",
        "tset.zd.test",
        "trie.zd.test",
        "mix.zd.test",
        "old.zd.test",
        "gz.zd.test",
    ];
    let v6_zones = ["set.zd.test", "v6.zd.test", "mix.zd.test"];
    let mut names = Vec::new();
    let edges_v4: Vec<u32> = EDGES_V4
        .iter()
        .map(|s| u32::from(s.parse::<Ipv4Addr>().unwrap()))
        .collect();
    let edges_v6: Vec<u128> = EDGES_V6
        .iter()
        .map(|s| u128::from(s.parse::<Ipv6Addr>().unwrap()))
        .collect();
    for zone in v4_zones {
        names.extend(
            edges_v4
                .iter()
                .map(|&a| format!("{}.{zone}", reverse_v4(a))),
        );
        names.extend(
            ODD_NAMES
                .iter()
                .map(|n| format!("{n}.{zone}").trim_start_matches('.').to_string()),
        );
    }
    for zone in v6_zones {
        names.extend(
            edges_v6
                .iter()
                .map(|&a| format!("{}.{zone}", reverse_v6(a))),
        );
    }
    for zone in ["dom.zd.test", "mix.zd.test"] {
        names.extend(EDGES_NAMES.iter().map(|n| format!("{n}.{zone}")));
    }
    // The RFC 5782 test points in every zone, listed in the data or not.
    let points = [
        reverse_v4(0x7f00_0002),
        reverse_v4(0x7f00_0001),
        reverse_v6(0xffff_7f00_0002),
        reverse_v6(0xffff_7f00_0001),
        "test".into(),
        "invalid".into(),
    ];
    for spec in SPECS {
        let zone = spec.split(':').next().unwrap();
        names.extend(points.iter().map(|p| format!("{p}.{zone}")));
    }
    names
}

/// Seeded random names: addresses across the static data's networks and
/// the generated data, the generated entries' edges, generated domains.
fn random_names(rng: &mut Rng, gen_v4: &[u32], gen_v6: &[u128]) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..1500 {
        let net = [
            0x0a00_0000u32,
            0xac10_0000,
            0xc000_0200,
            0xc633_6400,
            0x6300_0000,
        ][rng.below(5) as usize];
        let a = net + rng.below(1 << 18) as u32;
        names.push(format!("{}.set.zd.test", reverse_v4(a)));
        names.push(format!("{}.trie.zd.test", reverse_v4(rng.next() as u32)));
    }
    for &a in gen_v4 {
        names.push(format!("{}.gen.zd.test", reverse_v4(a)));
    }
    for _ in 0..4000 {
        let a = 0x0a80_0000 + rng.below(1 << 20) as u32;
        names.push(format!(
            "{}.{}.zd.test",
            reverse_v4(a),
            ["gen", "mix"][rng.below(2) as usize]
        ));
    }
    for &a in gen_v6 {
        names.push(format!("{}.gen6.zd.test", reverse_v6(a)));
    }
    for _ in 0..1500 {
        let near = gen_v6[rng.below(gen_v6.len() as u64) as usize];
        let a = near ^ u128::from(rng.next() as u16) << (rng.below(100) as u32);
        names.push(format!("{}.gen6.zd.test", reverse_v6(a)));
    }
    for _ in 0..1500 {
        names.push(format!("{}.gendom.zd.test", gen_name(rng, 5)));
    }
    names
}

/// An answer reduced to what is compared: rcode and sorted records.
fn normalise(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Records(mut records) => {
            records.sort_by_key(|r| format!("{r:?}"));
            records.dedup();
            Outcome::Records(records)
        }
        other => other,
    }
}

fn hickory_type(rtype: RecordType) -> HType {
    match rtype {
        RecordType::A => HType::A,
        RecordType::Aaaa => HType::AAAA,
        RecordType::Txt => HType::TXT,
        RecordType::Mx => HType::MX,
        RecordType::Ptr => HType::PTR,
    }
}

/// Asks rbldnsd over UDP (EDNS 4096, so no answer is cut).
fn ask_rbldnsd(socket: &UdpSocket, id: u16, name: &str, rtype: RecordType) -> Outcome {
    let qname = blocklens::dns::wire_name(name).expect("valid query name");
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.add_query(Query::query(qname, hickory_type(rtype)));
    let mut edns = Edns::new();
    edns.set_max_payload(4096);
    msg.set_edns(edns);
    socket.send(&msg.to_vec().unwrap()).unwrap();
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = socket.recv(&mut buf).expect("rbldnsd answers within 2 s");
        let reply = Message::from_vec(&buf[..n]).expect("a DNS message");
        if reply.metadata.id != id {
            continue; // a late reply to an earlier query
        }
        return match reply.metadata.response_code {
            ResponseCode::NXDomain => Outcome::NxDomain,
            ResponseCode::ServFail => Outcome::Failed(Failure::ServFail),
            ResponseCode::Refused => Outcome::Failed(Failure::Refused),
            ResponseCode::NoError => {
                let records: Vec<Record> = reply
                    .answers
                    .iter()
                    .filter_map(|r| match (&r.data, rtype) {
                        (RData::A(a), RecordType::A) => Some(Record::A(a.0)),
                        (RData::TXT(t), RecordType::Txt) => Some(Record::Txt(
                            t.txt_data
                                .iter()
                                .map(|p| String::from_utf8_lossy(p))
                                .collect(),
                        )),
                        _ => None,
                    })
                    .collect();
                if records.is_empty() {
                    Outcome::NoData
                } else {
                    normalise(Outcome::Records(records))
                }
            }
            other => Outcome::Failed(Failure::Other(format!("rcode {other}"))),
        };
    }
}

/// The Dns behind the local zones: records every name it is asked.
struct Behind(Mutex<Vec<String>>);

impl Dns for Behind {
    fn lookup<'a>(&'a self, name: &'a str, _: RecordType) -> BoxFuture<'a, Outcome> {
        self.0.lock().unwrap().push(name.to_string());
        futures::future::ready(Outcome::Failed(Failure::Other("not local".into()))).boxed()
    }

    fn describe(&self) -> String {
        "the test's inner resolver".into()
    }
}

/// Writes the data (static and generated) into `dir`, readable by rbldnsd.
fn write_data(dir: &Path, rng: &mut Rng) -> (Vec<u32>, Vec<u128>) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zonedata");
    for file in STATIC_FILES {
        write_world_readable(
            &dir.join(file),
            &std::fs::read_to_string(source.join(file)).unwrap(),
        );
    }
    let (set, edges4) = gen_ip4set(rng);
    let (trie6, edges6) = gen_ip6trie(rng);
    write_world_readable(&dir.join("gen-set.txt"), &set);
    write_world_readable(&dir.join("gen-trie6.txt"), &trie6);
    write_world_readable(&dir.join("gen-dom.txt"), &gen_dnset(rng));
    // A gzip-compressed file (rbldnsd reads those too).
    let gz = dir.join("ip4set-b.txt.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut encoder,
        &std::fs::read(source.join("ip4set-b.txt")).unwrap(),
    )
    .unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    std::fs::set_permissions(&gz, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    (edges4, edges6)
}

fn start_rbldnsd(exe: &Path, dir: &Path) -> Rbldnsd {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(exe)
        .current_dir(dir)
        .arg("-n")
        .arg("-b")
        .arg(format!("127.0.0.1/{port}"))
        .args(SPECS.iter().map(|s| absolute_spec(s, dir)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rbldnsd starts");
    Rbldnsd { child, port }
}

/// A spec with its files under `dir`.
fn absolute_spec(spec: &str, dir: &Path) -> String {
    let (head, files) = spec.rsplit_once(':').unwrap();
    let files: Vec<String> = files
        .split(',')
        .map(|f| dir.join(f).display().to_string())
        .collect();
    format!("{head}:{}", files.join(","))
}

fn rbldnsd_or_skip() -> Option<std::path::PathBuf> {
    let exe = find_rbldnsd();
    if exe.is_none() {
        if std::env::var("BLOCKLENS_REQUIRE_RBLDNSD").as_deref() == Ok("1") {
            panic!(
                "rbldnsd is not installed but BLOCKLENS_REQUIRE_RBLDNSD=1 (apt-get install rbldnsd)"
            );
        }
        eprintln!(
            "SKIPPED local_zones_answer_as_rbldnsd: rbldnsd is not installed (apt-get install rbldnsd)"
        );
    }
    exe
}

/// Waits until rbldnsd answers (it has loaded its data).
fn connect(server: &Rbldnsd) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(("127.0.0.1", server.port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let probe = Message::new(u16::MAX, MessageType::Query, OpCode::Query);
    let mut buf = [0u8; 512];
    for _ in 0..100 {
        let mut q = probe.clone();
        q.add_query(Query::query(
            blocklens::dns::wire_name("set.zd.test").unwrap(),
            HType::A,
        ));
        socket.send(&q.to_vec().unwrap()).unwrap();
        if socket.recv(&mut buf).is_ok() {
            socket
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            return socket;
        }
    }
    panic!("rbldnsd did not answer within 10 s");
}

#[test]
fn local_zones_answer_as_rbldnsd() {
    let Some(exe) = rbldnsd_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_2024);
    let (gen_v4, gen_v6) = write_data(dir.path(), &mut rng);
    let server = start_rbldnsd(&exe, dir.path());
    let specs: Vec<ZoneSpec> = SPECS
        .iter()
        .map(|s| absolute_spec(s, dir.path()).parse().unwrap())
        .collect();
    let zones = load_zones(&specs, &LoadOptions::default()).expect("the same files load");
    let behind = Arc::new(Behind(Mutex::new(Vec::new())));
    let local = LocalZones::new(zones, behind.clone());
    let socket = connect(&server);

    let names = query_names(&mut rng, &gen_v4, &gen_v6);
    let (mut differ, mut asked) = (Vec::new(), 0usize);
    let mut seen = std::collections::HashMap::<&'static str, usize>::new();
    for (i, name) in names.iter().enumerate() {
        let mut types = vec![RecordType::A, RecordType::Txt];
        if i % 10 == 0 {
            types.extend([RecordType::Aaaa, RecordType::Mx]);
        }
        for rtype in types {
            asked += 1;
            let theirs = ask_rbldnsd(&socket, asked as u16, name, rtype);
            let ours = local.answer(name, rtype).map(normalise);
            *seen.entry(kind(&theirs)).or_default() += 1;
            if ours.as_ref() != Some(&theirs) {
                differ.push(format!(
                    "{name} {rtype:?}: rbldnsd {theirs:?}, local {ours:?}"
                ));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {asked} answers differ, e.g.:\n{}",
        differ.len(),
        differ
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("compared {asked} answers with rbldnsd's: {seen:?}");
    // The comparison covered every kind of answer, many times.
    for k in ["records", "nxdomain", "nodata", "failed"] {
        let want = if k == "failed" { 100 } else { 500 };
        assert!(
            seen.get(k).copied().unwrap_or(0) > want,
            "too few {k} answers: {seen:?}"
        );
    }
    assert!(asked > 20_000, "{asked}");

    // Names outside the local zones go to the inner resolver, and only those.
    let outside = futures::executor::block_on(local.lookup("2.0.0.127.zen.example", RecordType::A));
    assert_eq!(outside, Outcome::Failed(Failure::Other("not local".into())));
    assert_eq!(*behind.0.lock().unwrap(), ["2.0.0.127.zen.example"]);
}

fn kind(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Records(_) => "records",
        Outcome::NxDomain => "nxdomain",
        Outcome::NoData => "nodata",
        Outcome::Failed(_) => "failed",
    }
}
