//! The one decoder from a reply to an [`Outcome`], used by UDP and TCP alike.
//!
//! A reply is an answer only if it answers the question asked: same ID, a
//! response, and the same question (name without regard to ASCII case, type,
//! class IN). Anything else is not ours ([`Decision::NotOurs`]): a late,
//! stray or spoofed packet that the caller ignores while it keeps waiting.
//!
//! An answer that does not hold together is a failure, never a verdict:
//! records of the asked type under another owner than the end of the
//! CNAME/DNAME chain that starts at the query name, records of other types,
//! CNAME loops or chains longer than [`MAX_CHAIN`], NXDOMAIN carrying
//! records of the asked type, referrals from a server that does not recurse,
//! and malformed messages all become [`Failure::BadAnswer`].

use super::wire::{
    self, Bad, CLASS_IN, HEADER_LEN, Rr, TYPE_CNAME, TYPE_DNAME, TYPE_NS, TYPE_OPT, TYPE_RRSIG,
    TYPE_SOA, WireLabels,
};
use super::{Failure, Outcome, Record, RecordType};

/// Longest CNAME/DNAME chain followed from the query name.
pub const MAX_CHAIN: usize = 16;

/// The question a reply must answer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Question<'a> {
    /// The ID the query went out with.
    pub id: u16,
    /// The query name, uncompressed wire form.
    pub name: &'a [u8],
    /// What was asked for.
    pub rtype: RecordType,
}

/// What a packet means for the query it claims to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Not an answer to this query (wrong ID or question, not a response,
    /// unreadable header or question): ignore it and keep waiting.
    NotOurs,
    /// The server set TC: ask again over TCP.
    Truncated,
    /// How the query ended.
    Done(Outcome),
}

/// A query name in wire form, checked once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryName(Vec<u8>);

impl QueryName {
    /// Checks and encodes `name` (labels of 1 to 63 bytes, at most 255 in all).
    pub fn new(name: &str) -> Result<QueryName, String> {
        let mut wire = Vec::new();
        wire::encode_name(name, &mut wire)?;
        Ok(QueryName(wire))
    }
}

/// Decodes `reply` as the answer to the query with ID `id` for `name` and
/// `rtype`: the decoder every lookup of [`Client`](super::Client) uses, over
/// UDP and TCP. Never panics, whatever the bytes.
pub fn decode_reply(reply: &[u8], id: u16, name: &QueryName, rtype: RecordType) -> Decision {
    decide(
        reply,
        &Question {
            id,
            name: &name.0,
            rtype,
        },
    )
}

/// Decodes `msg` as a reply to `q`.
pub(crate) fn decide(msg: &[u8], q: &Question) -> Decision {
    let Some(head) = Head::read(msg) else {
        return Decision::NotOurs;
    };
    if head.id != q.id || !head.response || head.opcode != 0 {
        return Decision::NotOurs;
    }
    let body_start = match question_matches(msg, &head, q) {
        Some(pos) => pos,
        None => return Decision::NotOurs,
    };
    if head.truncated {
        return Decision::Truncated;
    }
    let body = Body::read(msg, &head, body_start);
    let rcode = match &body {
        Ok(b) => (u16::from(b.ext_rcode) << 4) | head.rcode,
        Err(_) => head.rcode,
    };
    if rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN {
        return Decision::Done(Outcome::Failed(rcode_failure(rcode)));
    }
    let outcome = match body {
        Ok(body) => answer(msg, &head, &body, q).unwrap_or_else(|e| Outcome::Failed(e.into())),
        Err(e) => Outcome::Failed(Failure::BadAnswer(format!("malformed reply: {e}"))),
    };
    Decision::Done(outcome)
}

const RCODE_NOERROR: u16 = 0;
const RCODE_FORMERR: u16 = 1;
const RCODE_SERVFAIL: u16 = 2;
const RCODE_NXDOMAIN: u16 = 3;
const RCODE_NOTIMP: u16 = 4;
const RCODE_REFUSED: u16 = 5;

fn rcode_failure(rcode: u16) -> Failure {
    match rcode {
        RCODE_FORMERR => Failure::FormErr,
        RCODE_SERVFAIL => Failure::ServFail,
        RCODE_NOTIMP => Failure::NotImp,
        RCODE_REFUSED => Failure::Refused,
        n => Failure::Rcode(n),
    }
}

/// The header fields the decoder looks at.
struct Head {
    id: u16,
    response: bool,
    opcode: u16,
    authoritative: bool,
    truncated: bool,
    rcode: u16,
    counts: [u16; 4],
}

impl Head {
    fn read(msg: &[u8]) -> Option<Head> {
        let field = |i: usize| wire::u16_at(msg, i).ok();
        let flags = field(2)?;
        Some(Head {
            id: field(0)?,
            response: flags & 0x8000 != 0,
            opcode: (flags >> 11) & 0xf,
            authoritative: flags & 0x0400 != 0,
            truncated: flags & 0x0200 != 0,
            rcode: flags & 0xf,
            counts: [field(4)?, field(6)?, field(8)?, field(10)?],
        })
    }
}

/// Checks the question section against `q`; returns where the answer
/// section starts, or `None` when the packet does not answer `q`. A reply
/// without a question is accepted only for error codes: it cannot be a
/// verdict, and some servers leave the question out of FORMERR or NOTIMP.
fn question_matches(msg: &[u8], head: &Head, q: &Question) -> Option<usize> {
    match head.counts[0] {
        0 if head.rcode != RCODE_NOERROR && head.rcode != RCODE_NXDOMAIN => Some(HEADER_LEN),
        1 => {
            let end = wire::skip_name(msg, HEADER_LEN).ok()?;
            let rtype = wire::u16_at(msg, end).ok()?;
            let class = wire::u16_at(msg, end + 2).ok()?;
            let same = wire::name_eq(msg, HEADER_LEN, q.name).ok()?
                && rtype == q.rtype.code()
                && class == CLASS_IN;
            same.then_some(end + 4)
        }
        _ => None,
    }
}

/// Where the answer section lies, and what the other sections hold.
struct Body {
    answers: usize,
    answer_count: u16,
    authority_ns: bool,
    authority_soa: bool,
    ext_rcode: u8,
}

impl Body {
    /// Walks every record of the three sections, so a malformed message is
    /// refused as a whole.
    fn read(msg: &[u8], head: &Head, start: usize) -> Result<Body, Bad> {
        let mut body = Body {
            answers: start,
            answer_count: head.counts[1],
            authority_ns: false,
            authority_soa: false,
            ext_rcode: 0,
        };
        let mut pos = start;
        for _ in 0..head.counts[1] {
            pos = wire::read_rr(msg, pos)?.1;
        }
        for _ in 0..head.counts[2] {
            let (rr, next) = wire::read_rr(msg, pos)?;
            body.authority_ns |= rr.rtype == TYPE_NS;
            body.authority_soa |= rr.rtype == TYPE_SOA;
            pos = next;
        }
        let mut seen_opt = false;
        for _ in 0..head.counts[3] {
            let (rr, next) = wire::read_rr(msg, pos)?;
            if rr.rtype == TYPE_OPT {
                if seen_opt {
                    return Err(Bad("more than one OPT record"));
                }
                seen_opt = true;
                body.ext_rcode = (rr.ttl >> 24) as u8;
            }
            pos = next;
        }
        Ok(body)
    }

    fn answers<'m>(&self, msg: &'m [u8]) -> impl Iterator<Item = Result<Rr, Bad>> + 'm {
        let mut pos = self.answers;
        (0..self.answer_count).map(move |_| {
            let (rr, next) = wire::read_rr(msg, pos)?;
            pos = next;
            Ok(rr)
        })
    }
}

/// Why an answer does not hold together.
struct Broken(String);

impl From<Bad> for Broken {
    fn from(b: Bad) -> Broken {
        Broken(format!("malformed reply: {b}"))
    }
}

impl From<Broken> for Failure {
    fn from(b: Broken) -> Failure {
        Failure::BadAnswer(b.0)
    }
}

/// The outcome of a NOERROR or NXDOMAIN reply.
fn answer(msg: &[u8], head: &Head, body: &Body, q: &Question) -> Result<Outcome, Broken> {
    let chain = Chain::follow(msg, body, q)?;
    let end = chain.end(q);
    let mut records: Vec<Record> = Vec::new();
    for rr in body.answers(msg) {
        let rr = rr?;
        if rr.class != CLASS_IN {
            return Err(Broken(format!(
                "a record of class {} for {}",
                rr.class,
                wire::display_at(msg, rr.owner)
            )));
        }
        match rr.rtype {
            t if t == q.rtype.code() => {
                if !wire::name_eq(msg, rr.owner, end)? {
                    return Err(wrong_owner(msg, &rr, end, q));
                }
                records.push(wire::record(msg, &rr, q.rtype)?);
            }
            TYPE_CNAME if chain.owns_cname(msg, &rr)? => {}
            TYPE_DNAME if chain.covered_by_dname(msg, &rr, q)? => {}
            TYPE_RRSIG => {}
            TYPE_CNAME | TYPE_DNAME => {
                return Err(Broken(format!(
                    "a {} record for {}, which is not on the chain from {}",
                    wire::type_name(rr.rtype),
                    wire::display_at(msg, rr.owner),
                    wire::display_wire(q.name)
                )));
            }
            other => {
                return Err(Broken(format!(
                    "a {} record for {} in the answer to an {} question",
                    wire::type_name(other),
                    wire::display_at(msg, rr.owner),
                    wire::type_name(q.rtype.code())
                )));
            }
        }
    }
    finish(head, body, records, q)
}

fn wrong_owner(msg: &[u8], rr: &Rr, end: &[u8], q: &Question) -> Broken {
    Broken(format!(
        "an {} record for {}, not for {} (the name asked)",
        wire::type_name(q.rtype.code()),
        wire::display_at(msg, rr.owner),
        wire::display_wire(end)
    ))
}

/// The verdict once every answer record has been checked.
fn finish(head: &Head, body: &Body, records: Vec<Record>, q: &Question) -> Result<Outcome, Broken> {
    if head.rcode == RCODE_NXDOMAIN {
        if records.is_empty() {
            return Ok(Outcome::NxDomain);
        }
        return Err(Broken(format!(
            "NXDOMAIN that carries {} {} record(s): the name cannot both exist and not exist",
            records.len(),
            wire::type_name(q.rtype.code())
        )));
    }
    if !records.is_empty() {
        return Ok(Outcome::Records(records));
    }
    let referral =
        body.answer_count == 0 && !head.authoritative && body.authority_ns && !body.authority_soa;
    if referral {
        return Err(Broken(
            "a referral to other nameservers, not an answer: the server does not resolve recursively"
                .into(),
        ));
    }
    Ok(Outcome::NoData)
}

/// The CNAME/DNAME chain from the query name. Empty (no allocation) when
/// the answer has no alias, which is the common case.
#[derive(Default)]
struct Chain {
    /// Names whose alias was followed, in order (the query name first).
    followed: Vec<Vec<u8>>,
    /// Where the chain ends, if it left the query name.
    last: Option<Vec<u8>>,
}

impl Chain {
    fn follow(msg: &[u8], body: &Body, q: &Question) -> Result<Chain, Broken> {
        let mut chain = Chain::default();
        for _ in 0..=MAX_CHAIN {
            let current = chain.last.as_deref().unwrap_or(q.name);
            let next = match cname_of(msg, body, current)? {
                Some(target) => target,
                None => match dname_of(msg, body, current)? {
                    Some(target) => target,
                    None => return Ok(chain),
                },
            };
            let seen = wire::wire_eq(&next, q.name)
                || wire::wire_eq(&next, current)
                || chain.followed.iter().any(|f| wire::wire_eq(f, &next));
            if seen {
                return Err(Broken(format!(
                    "a CNAME loop: {} is an alias of itself",
                    wire::display_wire(&next)
                )));
            }
            chain.followed.push(current.to_vec());
            chain.last = Some(next);
        }
        Err(Broken(format!(
            "a CNAME chain longer than {MAX_CHAIN} links from {}",
            wire::display_wire(q.name)
        )))
    }

    fn end<'a>(&'a self, q: &Question<'a>) -> &'a [u8] {
        self.last.as_deref().unwrap_or(q.name)
    }

    /// Whether `rr` (a CNAME) is one of the links followed.
    fn owns_cname(&self, msg: &[u8], rr: &Rr) -> Result<bool, Bad> {
        for name in &self.followed {
            if wire::name_eq(msg, rr.owner, name)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether `rr` (a DNAME) owns an ancestor of a name on the chain.
    fn covered_by_dname(&self, msg: &[u8], rr: &Rr, q: &Question) -> Result<bool, Bad> {
        let mut owner = Vec::new();
        wire::read_name(msg, rr.owner, &mut owner)?;
        let names = self.followed.iter().map(Vec::as_slice).chain([self.end(q)]);
        Ok(names.into_iter().any(|n| strip_suffix(n, &owner).is_some()))
    }
}

/// The target of the one CNAME owned by `name`, if any.
fn cname_of(msg: &[u8], body: &Body, name: &[u8]) -> Result<Option<Vec<u8>>, Broken> {
    let mut found = None;
    for rr in body.answers(msg) {
        let rr = rr?;
        if rr.rtype == TYPE_CNAME && rr.class == CLASS_IN && wire::name_eq(msg, rr.owner, name)? {
            if found.is_some() {
                return Err(Broken(format!(
                    "two CNAME records for {}",
                    wire::display_wire(name)
                )));
            }
            found = Some(wire::target_name(msg, &rr)?);
        }
    }
    Ok(found)
}

/// The name a DNAME record (RFC 6672) substitutes for `name`, if one owns
/// a proper ancestor of it.
fn dname_of(msg: &[u8], body: &Body, name: &[u8]) -> Result<Option<Vec<u8>>, Broken> {
    for rr in body.answers(msg) {
        let rr = rr?;
        if rr.rtype != TYPE_DNAME || rr.class != CLASS_IN {
            continue;
        }
        let mut owner = Vec::new();
        wire::read_name(msg, rr.owner, &mut owner)?;
        if let Some(prefix) = strip_suffix(name, &owner) {
            let target = wire::target_name(msg, &rr)?;
            let mut out = prefix.to_vec();
            out.extend_from_slice(&target);
            if out.len() > 255 {
                return Err(Broken("a DNAME substitution longer than 255 bytes".into()));
            }
            return Ok(Some(out));
        }
    }
    Ok(None)
}

/// The labels of `name` before `suffix` (wire form, without the root), when
/// `suffix` is a proper ancestor of `name`.
fn strip_suffix<'n>(name: &'n [u8], suffix: &[u8]) -> Option<&'n [u8]> {
    let ours: Vec<usize> = label_starts(name);
    let theirs = WireLabels(suffix).count();
    if theirs >= ours.len() {
        return None;
    }
    // The root (no labels) is an ancestor of every name: cut at its byte.
    let cut = match ours.get(ours.len() - theirs) {
        Some(&c) if theirs > 0 => c,
        _ => name.len().saturating_sub(1),
    };
    let (prefix, rest) = name.split_at_checked(cut)?;
    wire::wire_eq(rest, suffix).then_some(prefix)
}

/// Offsets of each label of an uncompressed wire name.
fn label_starts(name: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut pos = 0;
    while let Some(&len) = name.get(pos) {
        if len == 0 {
            break;
        }
        starts.push(pos);
        pos += usize::from(len) + 1;
    }
    starts
}

#[cfg(test)]
mod tests;
