//! DNS lookups with typed outcomes, over one transport.
//!
//! Every lookup ends in exactly one [`Outcome`]: records, NXDOMAIN, NODATA, or
//! a [`Failure`], and an [`Answer`] also says which server gave it. Nothing
//! here decides what an outcome means for a blocklist; that is `dnsbl`'s job.
//!
//! [`Client`] is the one transport: long-lived UDP sockets per server (EDNS
//! 1232), TCP when a reply is truncated, retransmission with backoff inside a
//! budget of timeout x attempts, failover across servers or pinning to one
//! ([`Dns::lookup_on`]), server health ([`Down`]), and a bulk API for scans
//! ([`Client::bulk`], [`Feed`]). Every reply, over UDP or TCP, goes through
//! one strict decoder: a reply that does not answer the question asked is a
//! [`Failure`], never a verdict.

mod bulk;
mod client;
mod core;
mod decode;
mod driver;
mod health;
mod io;
mod layers;
mod system;
mod tcp;
mod window;
mod wire;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use futures::future::BoxFuture;
use serde::Serialize;

pub use bulk::{BulkError, BulkQuery, Feed, Next};
pub use client::{Client, DEFAULT_SHARED_CEILING};
pub use core::Counters;
pub use decode::{Decision, MAX_CHAIN, QueryName, decode_reply};
pub use health::{DOWN_AFTER_SILENCE, DOWN_AFTER_TIMEOUTS, Down, ServerHealth};
pub use layers::{Counted, GIVE_UP_AFTER, RateLimited, RateLimiter, ZoneBreaker};
pub use system::{ResolverSettings, SetupError, system_servers, wire_name};
pub use window::{INITIAL_RTO, INITIAL_WINDOW, MAX_WINDOW, MIN_RTO, MIN_WINDOW};
pub use wire::EDNS_PAYLOAD;

/// The record types blocklens asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Text.
    Txt,
    /// Mail exchanger.
    Mx,
    /// Reverse pointer.
    Ptr,
}

/// One answer record, already filtered to the type asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// An A record.
    A(Ipv4Addr),
    /// An AAAA record.
    Aaaa(Ipv6Addr),
    /// A TXT record, its character-strings concatenated (RFC 7208 §3.3).
    Txt(String),
    /// An MX record: preference and exchange (no trailing dot).
    Mx(u16, String),
    /// A PTR record's target (no trailing dot).
    Ptr(String),
}

/// Why a lookup gave no usable answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// No response within the timeout, after every attempt.
    Timeout,
    /// The server answered SERVFAIL.
    ServFail,
    /// The server answered REFUSED.
    Refused,
    /// The server answered NOTIMP: it does not implement this query.
    NotImp,
    /// The server answered FORMERR: it could not read the query.
    FormErr,
    /// Another response code (the number, extended RCODE included).
    Rcode(u16),
    /// A reply that does not answer the question: records under the wrong
    /// owner, of the wrong type, a CNAME loop, NXDOMAIN with records, a
    /// referral, a malformed message. Why, in a sentence.
    BadAnswer(String),
    /// The UDP reply was truncated and the TCP retry failed (why).
    Truncated(String),
    /// The server is marked down for the rest of the run.
    ServerDown(Down),
    /// Anything else (network error, a name that cannot be queried).
    Other(String),
}

impl Failure {
    /// True when a server answered, but not usefully (SERVFAIL, REFUSED,
    /// NOTIMP, FORMERR, other codes, bad answers): another server may do better.
    pub fn is_server_fault(&self) -> bool {
        matches!(
            self,
            Failure::ServFail
                | Failure::Refused
                | Failure::NotImp
                | Failure::FormErr
                | Failure::Rcode(_)
                | Failure::BadAnswer(_)
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout => f.write_str("timeout"),
            Failure::ServFail => f.write_str("SERVFAIL"),
            Failure::Refused => f.write_str("REFUSED"),
            Failure::NotImp => f.write_str("NOTIMP (the server does not implement this query)"),
            Failure::FormErr => f.write_str("FORMERR (the server could not read the query)"),
            Failure::Rcode(n) => write!(f, "response code {n} ({})", rcode_name(*n)),
            Failure::BadAnswer(s) => write!(f, "bad answer: {s}"),
            Failure::Truncated(s) => write!(f, "the reply was truncated and {s}"),
            Failure::ServerDown(d) => write!(f, "{d}"),
            Failure::Other(s) => write!(f, "error: {s}"),
        }
    }
}

/// The mnemonic of a response code (RFC 6895 §2.3).
fn rcode_name(n: u16) -> &'static str {
    match n {
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        _ => "unassigned",
    }
}

/// How a lookup ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Records of the type asked for (never empty).
    Records(Vec<Record>),
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no records of this type.
    NoData,
    /// No usable answer.
    Failed(Failure),
}

impl Outcome {
    /// The A records of an answer (empty for anything else).
    pub fn ipv4s(&self) -> Vec<Ipv4Addr> {
        self.records()
            .iter()
            .filter_map(|r| match r {
                Record::A(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// All address records (A and AAAA) of an answer.
    pub fn ips(&self) -> Vec<IpAddr> {
        self.records()
            .iter()
            .filter_map(|r| match r {
                Record::A(a) => Some(IpAddr::V4(*a)),
                Record::Aaaa(a) => Some(IpAddr::V6(*a)),
                _ => None,
            })
            .collect()
    }

    /// The PTR targets of an answer.
    pub fn ptrs(&self) -> Vec<String> {
        self.records()
            .iter()
            .filter_map(|r| match r {
                Record::Ptr(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// The TXT strings of an answer.
    pub fn txts(&self) -> Vec<String> {
        self.records()
            .iter()
            .filter_map(|r| match r {
                Record::Txt(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    fn records(&self) -> &[Record] {
        match self {
            Outcome::Records(r) => r,
            _ => &[],
        }
    }
}

/// An outcome and the server that gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// How the lookup ended.
    pub outcome: Outcome,
    /// The server whose reply (or silence) decided it; `None` when no
    /// server was asked (a name that cannot be queried) or the transport
    /// cannot say.
    pub server: Option<SocketAddr>,
}

/// A DNS client. `name` is an absolute name without the trailing dot; it may
/// contain characters a hostname may not (SPF macros produce such names).
pub trait Dns: Send + Sync {
    /// Looks up `name` for records of `rtype`.
    fn lookup<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Outcome>;

    /// A short description of where queries go, for messages
    /// ("127.0.0.1:5353", "the system resolver (192.0.2.53:53)").
    fn describe(&self) -> String;

    /// The servers queries go to, in order of preference (empty when the
    /// transport cannot say).
    fn servers(&self) -> Vec<SocketAddr> {
        Vec::new()
    }

    /// Like [`Dns::lookup`] (failover allowed), saying which server answered.
    fn lookup_any<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            Answer {
                outcome: self.lookup(name, rtype).await,
                server: None,
            }
        })
    }

    /// Asks `server` only (one of [`Dns::servers`]), never another: a proof
    /// such as a zone's test point is valid only for the server that gave it.
    /// A transport that cannot address one server fails the lookup.
    fn lookup_on<'a>(
        &'a self,
        server: SocketAddr,
        name: &'a str,
        rtype: RecordType,
    ) -> BoxFuture<'a, Answer> {
        let _ = (name, rtype);
        let outcome = Outcome::Failed(Failure::Other(format!(
            "this transport cannot send a query to one chosen server ({server})"
        )));
        Box::pin(std::future::ready(Answer {
            outcome,
            server: Some(server),
        }))
    }

    /// What is known about each server so far (empty when the transport
    /// cannot say).
    fn server_health(&self) -> Vec<ServerHealth> {
        Vec::new()
    }
}
