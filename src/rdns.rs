//! Reverse DNS: PTR names, forward confirmation (FCrDNS), and names that look
//! generic (a frequent cause of 5.7.1 at large receivers).

use std::net::IpAddr;

use serde::Serialize;

use crate::dns::{Dns, Outcome, RecordType};
use crate::target::reverse_name;

/// At most this many PTR names are forward-checked.
pub const MAX_PTR_NAMES: usize = 10;

/// One PTR name and what its forward lookup showed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PtrName {
    /// The PTR target.
    pub name: String,
    /// Its A or AAAA records (same family as the IP).
    pub addresses: Vec<String>,
    /// Whether they contain the IP.
    pub confirms: bool,
    /// Why the name looks generic (dynamic or end-user), if it does.
    pub generic: Option<String>,
}

crate::words::words! {
    /// Whether the IP's reverse DNS is forward-confirmed (FCrDNS).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Fcrdns {
        /// A PTR name resolves back to the IP.
        Pass = "pass",
        /// PTR names exist, but none resolves back to the IP.
        Fail = "fail",
        /// No PTR record.
        None = "none",
        /// A lookup gave no usable answer.
        Error = "error",
    }
}

/// The reverse DNS of an IP (the `sender.rdns` object).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RdnsReport {
    /// The PTR names.
    pub ptr: Vec<String>,
    /// pass (a PTR name resolves back to the IP), fail, none (no PTR) or error.
    pub fcrdns: Fcrdns,
    /// Each name's forward check.
    pub names: Vec<PtrName>,
    /// What went wrong, when fcrdns is error or fail.
    pub detail: Option<String>,
}

const GENERIC_WORDS: &[&str] = &[
    "dynamic",
    "dyn",
    "dsl",
    "adsl",
    "vdsl",
    "xdsl",
    "pool",
    "dhcp",
    "dialup",
    "dial",
    "ppp",
    "pppoe",
    "cable",
    "broadband",
    "cpe",
    "customer",
    "client",
    "clients",
    "user",
    "users",
    "home",
    "residential",
    "static",
    "unassigned",
    "unknown",
    "ip",
    "host",
    "nat",
    "mobile",
    "fttx",
    "ftth",
];

/// Why a PTR name looks generic for `ip`, or None.
pub(crate) fn generic_reason(name: &str, ip: IpAddr) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if let IpAddr::V4(v4) = ip {
        let o = v4.octets();
        let forward = o.iter().map(u8::to_string).collect::<Vec<_>>();
        let reversed: Vec<String> = forward.iter().rev().cloned().collect();
        // The address spelt in the name with any separator, either order,
        // or as hex (c0000210).
        let digits: String = lower
            .chars()
            .map(|c| if c.is_ascii_digit() { c } else { ' ' })
            .collect();
        let groups: Vec<&str> = digits.split_whitespace().collect();
        let contains_seq = |seq: &[String]| {
            groups
                .windows(4)
                .any(|w| w.iter().zip(seq).all(|(a, b)| a == b))
        };
        if contains_seq(&forward) || contains_seq(&reversed) {
            return Some("the name contains the IP address".into());
        }
        let hex = format!("{:02x}{:02x}{:02x}{:02x}", o[0], o[1], o[2], o[3]);
        if lower.contains(&hex) {
            return Some("the name contains the IP address in hex".into());
        }
        // Two or more of the last octets, e.g. "2-10.pool".
        let tail = format!("{}-{}", o[2], o[3]);
        if lower.contains(&tail)
            && groups.len() >= 2
            && GENERIC_WORDS
                .iter()
                .any(|w| lower.split(['.', '-']).any(|l| l == *w))
        {
            return Some("the name contains part of the IP address and a generic word".into());
        }
    }
    let first_labels: Vec<&str> = lower.split('.').take(3).collect();
    for label in first_labels {
        for part in label.split(['-', '_']) {
            let word: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if GENERIC_WORDS.contains(&word.as_str())
                && word.len() >= 3
                && word != "host"
                && word != "ip"
            {
                return Some(format!(
                    "the name contains '{word}', typical of end-user or dynamic ranges"
                ));
            }
        }
    }
    None
}

/// Looks up the PTR names of `ip` and forward-confirms each.
pub async fn check(dns: &dyn Dns, ip: IpAddr) -> RdnsReport {
    let reverse = reverse_name(ip);
    let outcome = dns.lookup(&reverse, RecordType::Ptr).await;
    let ptrs: Vec<String> = match outcome {
        Outcome::Records(_) => outcome.ptrs(),
        Outcome::NxDomain | Outcome::NoData => {
            return RdnsReport {
                ptr: vec![],
                fcrdns: Fcrdns::None,
                names: vec![],
                detail: Some(format!(
                    "{ip} has no PTR record ({reverse}): many receivers refuse mail from such addresses"
                )),
            };
        }
        Outcome::Failed(f) => {
            return RdnsReport {
                ptr: vec![],
                fcrdns: Fcrdns::Error,
                names: vec![],
                detail: Some(format!("PTR lookup of {reverse} failed: {f}")),
            };
        }
    };
    let rtype = if ip.is_ipv4() {
        RecordType::A
    } else {
        RecordType::Aaaa
    };
    let mut names = Vec::new();
    let mut failures = Vec::new();
    for name in ptrs.iter().take(MAX_PTR_NAMES) {
        let outcome = dns.lookup(name, rtype).await;
        if let Outcome::Failed(f) = &outcome {
            failures.push(format!("{name}: {f}"));
        }
        let addrs = outcome.ips();
        names.push(PtrName {
            name: name.clone(),
            confirms: addrs.contains(&ip),
            addresses: addrs.iter().map(ToString::to_string).collect(),
            generic: generic_reason(name, ip),
        });
    }
    let (fcrdns, detail) = if names.iter().any(|n| n.confirms) {
        (Fcrdns::Pass, None)
    } else if !failures.is_empty() {
        (
            Fcrdns::Error,
            Some(format!("forward lookup failed: {}", failures.join("; "))),
        )
    } else {
        (
            Fcrdns::Fail,
            Some(format!(
                "no PTR name of {ip} resolves back to it ({})",
                ptrs.join(", ")
            )),
        )
    };
    RdnsReport {
        ptr: ptrs,
        fcrdns,
        names,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn generic_names_are_flagged() {
        let a = ip("192.0.2.10");
        for name in [
            "192-0-2-10.example.net",
            "10.2.0.192.in-addr.example.net",
            "host-192.0.2.10.isp.example",
            "c000020a.cust.example.net",
            "dynamic-10.example.net",
            "adsl-pool-17.isp.example",
            "dsl.example.net",
            "ppp-2-10.isp.example",
            "cpe-42.cable.example.com",
        ] {
            assert!(
                generic_reason(name, a).is_some(),
                "{name} should look generic"
            );
        }
    }

    #[test]
    fn ordinary_mail_hosts_are_not() {
        let a = ip("192.0.2.10");
        for name in [
            "mail.example.org",
            "mx1.example.com",
            "smtp-out.example.net",
            "outbound10.example.com",
            "ip-mail.example.org",
        ] {
            assert!(
                generic_reason(name, a).is_none(),
                "{name} should not look generic"
            );
        }
    }
}
