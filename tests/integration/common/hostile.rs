//! A hostile DNS server for transport tests: raw UDP (and optionally TCP)
//! on 127.0.0.1 with an ephemeral port, on threads of the test process.
//! It answers truthfully from a table, or misbehaves on purpose, globally
//! or for names under a suffix: wrong owner, NXDOMAIN carrying an A, CNAME
//! loop, AAAA-only, wrong ID, wrong question, late replies, truncation,
//! error codes, silence, packet loss, NXDOMAIN for everything, and going
//! silent after N queries. Replies are built by hand here, independently of
//! the code under test.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server treats a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Answer from the table: A or TXT records, NODATA for a known name
    /// without that type, NXDOMAIN otherwise.
    Answer,
    /// An A record 127.0.0.2 owned by `other.<qname>`.
    WrongOwner,
    /// NXDOMAIN with an A record 127.0.0.2 for the name.
    NxWithA,
    /// `qname CNAME loop.<qname>`, `loop.<qname> CNAME qname`.
    CnameLoop,
    /// Only an AAAA record, whatever was asked.
    AaaaOnly,
    /// A reply with the ID off by one; with `then_right`, the true answer after it.
    WrongId { then_right: bool },
    /// A listing for another name than the one asked (the question changed).
    WrongQuestion,
    /// The true answer, this long after the query.
    Late(Duration),
    /// An empty reply with TC set (TCP answers from the table, if it listens).
    Truncated,
    /// This response code and no records.
    Rcode(u8),
    /// No reply.
    Silent,
    /// FORMERR to a query with an OPT record (EDNS), the truth to one without.
    NoEdns,
    /// NXDOMAIN to everything (a resolver that hides blocklists).
    NxAll,
}

struct State {
    default: Act,
    by_suffix: Vec<(String, Act)>,
    a: HashMap<String, Vec<Ipv4Addr>>,
    txt: HashMap<String, Vec<String>>,
    loss_percent: u64,
    stop_after: Option<u64>,
    received: u64,
    dropped: u64,
}

/// A running hostile server (it lives until the test process ends).
pub struct Hostile {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Hostile {
    /// UDP only: a truncated reply cannot be retried over TCP.
    pub fn start() -> Hostile {
        Self::spawn(false)
    }

    /// UDP, and TCP on the same port answering from the table.
    pub fn start_with_tcp() -> Hostile {
        Self::spawn(true)
    }

    fn spawn(tcp: bool) -> Hostile {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind UDP on loopback");
        let addr = socket.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            default: Act::Answer,
            by_suffix: Vec::new(),
            a: HashMap::new(),
            txt: HashMap::new(),
            loss_percent: 0,
            stop_after: None,
            received: 0,
            dropped: 0,
        }));
        if tcp {
            let listener = TcpListener::bind(addr).expect("bind TCP on the same port");
            let st = Arc::clone(&state);
            std::thread::spawn(move || serve_tcp(listener, st));
        }
        let st = Arc::clone(&state);
        std::thread::spawn(move || serve_udp(socket, st));
        Hostile { addr, state }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// How every query not under a suffix of [`Hostile::on`] is treated.
    pub fn set(&self, act: Act) -> &Self {
        self.with(|s| s.default = act);
        self
    }

    /// How queries for names ending in `suffix` are treated.
    pub fn on(&self, suffix: &str, act: Act) -> &Self {
        self.with(|s| s.by_suffix.push((suffix.to_ascii_lowercase(), act)));
        self
    }

    /// Adds an A record to the table.
    pub fn a(&self, name: &str, ip: Ipv4Addr) -> &Self {
        self.with(|s| s.a.entry(name.to_ascii_lowercase()).or_default().push(ip));
        self
    }

    /// Adds a TXT record to the table.
    pub fn txt(&self, name: &str, text: &str) -> &Self {
        self.with(|s| {
            s.txt
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(text.into())
        });
        self
    }

    /// Drops this share of queries (deterministically: every query whose
    /// sequence number hashes below it).
    pub fn loss(&self, percent: u64) -> &Self {
        self.with(|s| s.loss_percent = percent);
        self
    }

    /// Answers the first `n` queries, then none (a server killed mid-scan).
    pub fn stop_after(&self, n: u64) -> &Self {
        self.with(|s| s.stop_after = Some(n));
        self
    }

    /// Queries received so far (dropped ones included).
    pub fn received(&self) -> u64 {
        self.with(|s| s.received)
    }

    /// Queries dropped so far (loss and silence after `stop_after`).
    pub fn dropped(&self) -> u64 {
        self.with(|s| s.dropped)
    }
}

/// A query as received.
struct Query {
    id: u16,
    /// Question section bytes (name, type, class).
    question: Vec<u8>,
    /// The name in presentation form, lower case, no trailing dot.
    name: String,
    qtype: u16,
    /// Whether it carries an additional record (the OPT).
    edns: bool,
}

fn parse_query(buf: &[u8]) -> Option<Query> {
    let id = u16::from_be_bytes([*buf.first()?, *buf.get(1)?]);
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*buf.get(pos)?);
        if len == 0 {
            pos += 1;
            break;
        }
        labels.push(String::from_utf8_lossy(buf.get(pos + 1..pos + 1 + len)?).to_ascii_lowercase());
        pos += 1 + len;
    }
    let qtype = u16::from_be_bytes([*buf.get(pos)?, *buf.get(pos + 1)?]);
    Some(Query {
        id,
        question: buf.get(12..pos + 4)?.to_vec(),
        name: labels.join("."),
        qtype,
        edns: buf.get(10..12)? != [0, 0],
    })
}

fn encode(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

const A: u16 = 1;
const CNAME: u16 = 5;
const TXT: u16 = 16;
const AAAA: u16 = 28;
/// A compression pointer to the question name.
const AT_QNAME: [u8; 2] = [0xc0, 12];

/// A reply: header (QR, RD, RA, `flags` added), the question, answers.
fn reply(id: u16, flags: u16, question: &[u8], answers: &[(Vec<u8>, u16, Vec<u8>)]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&(0x8180 | flags).to_be_bytes());
    for c in [1u16, answers.len() as u16, 0, 0] {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m.extend_from_slice(question);
    for (owner, rtype, rdata) in answers {
        m.extend_from_slice(owner);
        m.extend_from_slice(&rtype.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(rdata);
    }
    m
}

/// The truthful reply from the table.
fn truthful(q: &Query, s: &State) -> Vec<u8> {
    let mut answers = Vec::new();
    if q.qtype == A {
        for ip in s.a.get(&q.name).into_iter().flatten() {
            answers.push((AT_QNAME.to_vec(), A, ip.octets().to_vec()));
        }
    }
    if q.qtype == TXT {
        for t in s.txt.get(&q.name).into_iter().flatten() {
            let mut d = vec![t.len() as u8];
            d.extend_from_slice(t.as_bytes());
            answers.push((AT_QNAME.to_vec(), TXT, d));
        }
    }
    let known = s.a.contains_key(&q.name) || s.txt.contains_key(&q.name);
    reply(q.id, if known { 0 } else { 3 }, &q.question, &answers)
}

/// The packets to send for `q` under `act`, each after a delay.
fn respond(q: &Query, act: Act, s: &State) -> Vec<(Duration, Vec<u8>)> {
    let now = Duration::ZERO;
    let listed = || vec![(AT_QNAME.to_vec(), A, vec![127, 0, 0, 2])];
    let packet = match act {
        Act::Answer => truthful(q, s),
        Act::WrongOwner => {
            let owner = encode(&format!("other.{}", q.name));
            reply(q.id, 0, &q.question, &[(owner, A, vec![127, 0, 0, 2])])
        }
        Act::NxWithA => reply(q.id, 3, &q.question, &listed()),
        Act::CnameLoop => {
            let other = encode(&format!("loop.{}", q.name));
            let answers = [
                (AT_QNAME.to_vec(), CNAME, other.clone()),
                (other, CNAME, AT_QNAME.to_vec()),
            ];
            reply(q.id, 0, &q.question, &answers)
        }
        Act::AaaaOnly => reply(
            q.id,
            0,
            &q.question,
            &[(AT_QNAME.to_vec(), AAAA, vec![0; 16])],
        ),
        Act::WrongId { then_right } => {
            let mut out = vec![(now, reply(q.id.wrapping_add(1), 0, &q.question, &listed()))];
            if then_right {
                out.push((Duration::from_millis(5), truthful(q, s)));
            }
            return out;
        }
        Act::WrongQuestion => {
            let mut question = encode(&format!("x.{}", q.name));
            question.extend_from_slice(&q.question[q.question.len() - 4..]);
            reply(
                q.id,
                0,
                &question,
                &[(vec![0xc0, 12], A, vec![127, 0, 0, 2])],
            )
        }
        Act::Late(d) => return vec![(d, truthful(q, s))],
        Act::Truncated => reply(q.id, 0x0200, &q.question, &[]),
        Act::Rcode(code) => reply(q.id, u16::from(code), &q.question, &[]),
        Act::Silent => return vec![],
        Act::NoEdns if q.edns => reply(q.id, 1, &q.question, &[]),
        Act::NoEdns => truthful(q, s),
        Act::NxAll => reply(q.id, 3, &q.question, &[]),
    };
    vec![(now, packet)]
}

/// Decides what to do with a UDP query (counting it); `None` drops it.
fn plan(q: &Query, s: &mut State) -> Option<Vec<(Duration, Vec<u8>)>> {
    s.received += 1;
    let n = s.received;
    let stopped = s.stop_after.is_some_and(|limit| n > limit);
    // A fixed scramble of the sequence number: the same losses every run.
    let lost = (n.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) % 100 < s.loss_percent;
    if stopped || lost {
        s.dropped += 1;
        return None;
    }
    let act = s
        .by_suffix
        .iter()
        .find(|(suffix, _)| q.name.ends_with(suffix.as_str()))
        .map_or(s.default, |(_, act)| *act);
    Some(respond(q, act, s))
}

fn serve_udp(socket: UdpSocket, state: Arc<Mutex<State>>) {
    let mut buf = [0u8; 4096];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let Some(q) = parse_query(&buf[..n]) else {
            continue;
        };
        let Some(packets) = plan(&q, &mut state.lock().unwrap()) else {
            continue;
        };
        for (delay, packet) in packets {
            if delay.is_zero() {
                let _ = socket.send_to(&packet, from);
            } else if let Ok(late) = socket.try_clone() {
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    let _ = late.send_to(&packet, from);
                });
            }
        }
    }
}

fn serve_tcp(listener: TcpListener, state: Arc<Mutex<State>>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).is_err() {
            continue;
        }
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut buf).is_err() {
            continue;
        }
        let Some(q) = parse_query(&buf) else { continue };
        let packet = truthful(&q, &state.lock().unwrap());
        let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&packet);
        let _ = stream.write_all(&framed);
    }
}
