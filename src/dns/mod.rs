//! DNS lookups with typed outcomes.
//!
//! Every lookup ends in exactly one [`Outcome`]: records, NXDOMAIN, NODATA, or
//! a [`Failure`]. Nothing here decides what an outcome means for a blocklist;
//! that is `dnsbl`'s job. The [`Dns`] trait lets tests and future engines swap
//! the transport; [`HickoryDns`] is the real one.

mod hickory;
mod layers;
mod udp;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures::future::BoxFuture;
use serde::Serialize;

pub use hickory::{HickoryDns, ResolverSettings, SetupError, system_servers, wire_name};
pub use layers::{Counted, GIVE_UP_AFTER, RateLimited, RateLimiter, ZoneBreaker};
pub use udp::BulkUdp;

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
    /// Anything else (network error, malformed response, other rcode).
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout => f.write_str("timeout"),
            Failure::ServFail => f.write_str("SERVFAIL"),
            Failure::Refused => f.write_str("REFUSED"),
            Failure::Other(s) => write!(f, "error: {s}"),
        }
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

/// A DNS client. `name` is an absolute name without the trailing dot; it may
/// contain characters a hostname may not (SPF macros produce such names).
pub trait Dns: Send + Sync {
    /// Looks up `name` for records of `rtype`.
    fn lookup<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Outcome>;

    /// A short description of where queries go, for messages
    /// ("127.0.0.1:5353", "the system resolver (192.0.2.53:53)").
    fn describe(&self) -> String;
}
