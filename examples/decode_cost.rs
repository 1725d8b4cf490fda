//! What decoding a reply costs: hickory-proto's `Message::from_vec` plus
//! filtering its answers (what the scan path did before) against the
//! transport's own decoder (`decode_reply`), on the two replies a scan gets
//! from rbldnsd: NXDOMAIN with an SOA, and a listing (one A record).
//!
//! `cargo run --release --example decode_cost`

#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use blocklens::dns::{Decision, QueryName, RecordType, decode_reply};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType as HType};

const ROUNDS: u32 = 2_000_000;

fn reply(listed: bool) -> Vec<u8> {
    let qname = Name::from_ascii("7.1.18.198.bl.bench.test.").unwrap();
    let mut m = Message::new(0x1234, MessageType::Response, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(qname.clone(), HType::A));
    if listed {
        let a = RData::A(A::new(127, 0, 0, 2));
        m.add_answer(Record::from_rdata(qname, 60, a));
    } else {
        m.metadata.response_code = ResponseCode::NXDomain;
        let zone = Name::from_ascii("bl.bench.test.").unwrap();
        let soa = SOA::new(
            Name::from_ascii("ns.bench.test.").unwrap(),
            Name::from_ascii("hostmaster.bench.test.").unwrap(),
            0,
            600,
            300,
            86400,
            60,
        );
        m.add_authority(Record::from_rdata(zone, 60, RData::SOA(soa)));
    }
    m.to_vec().unwrap()
}

/// The old path: parse everything into hickory types, then keep the A records.
fn hickory(bytes: &[u8]) -> usize {
    let m = Message::from_vec(bytes).unwrap();
    let same = m.queries.first().is_some_and(|q| {
        q.query_type() == HType::A
            && q.name()
                .to_ascii()
                .eq_ignore_ascii_case("7.1.18.198.bl.bench.test.")
    });
    let answers = m
        .answers
        .iter()
        .filter(|r| matches!(r.data, RData::A(_)))
        .count();
    usize::from(same) + answers + usize::from(m.metadata.response_code == ResponseCode::NXDomain)
}

fn ours(bytes: &[u8], name: &QueryName) -> usize {
    match decode_reply(bytes, 0x1234, name, RecordType::A) {
        Decision::Done(o) => o.ipv4s().len() + 1,
        _ => 0,
    }
}

fn time(label: &str, mut f: impl FnMut() -> usize) {
    let start = Instant::now();
    let mut sum = 0;
    for _ in 0..ROUNDS {
        sum += f();
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(ROUNDS);
    println!("{label:<34} {ns:7.1} ns per reply  (check {sum})");
}

fn main() {
    let name = QueryName::new("7.1.18.198.bl.bench.test").unwrap();
    for listed in [false, true] {
        let bytes = reply(listed);
        let kind = if listed {
            "listed (1 A)"
        } else {
            "NXDOMAIN + SOA"
        };
        time(&format!("hickory-proto, {kind}"), || {
            hickory(black_box(&bytes))
        });
        time(&format!("decode_reply, {kind}"), || {
            ours(black_box(&bytes), &name)
        });
    }
}
