//! What blocklens checks: IP addresses and domain names, and the RFC 5782 query
//! names built from them.
//!
//! RFC 5782 §2.1: an IPv4 address is queried with its four octets reversed;
//! §2.4: an IPv6 address as its 32 nibbles, reversed and dot-separated (as in
//! `ip6.arpa`); §2.2 (domain lists): the name itself, prepended to the zone.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// Which kind of thing a target is, and so which zones apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// An IPv4 or IPv6 address, checked against `targets = "ip"` zones.
    Ip,
    /// A domain name, checked against `targets = "domain"` zones.
    Domain,
}

/// One thing to check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// An address. An IPv4-mapped IPv6 address stays IPv6 (RFC 5782 §2.4).
    Ip(IpAddr),
    /// A domain name in ASCII (IDNs converted to punycode), lowercase, no trailing dot.
    Domain(String),
}

/// Why a string is not a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing to check.
    #[error("empty target")]
    Empty,
    /// Looks like a network range, which `check` does not expand.
    #[error("'{0}' is a network range: `check` takes single addresses, use `blocklens scan {0}`")]
    Range(String),
    /// Neither an address nor a valid domain name.
    #[error("'{input}' is neither an IP address nor a valid domain name: {reason}")]
    Invalid {
        /// What the user typed.
        input: String,
        /// What is wrong with it.
        reason: NameError,
    },
}

impl Target {
    /// Parses a command-line target: an IPv4 or IPv6 address (brackets allowed
    /// around IPv6) or a domain name (Unicode allowed, converted to punycode).
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(TargetError::Empty);
        }
        let unbracketed = s
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(s);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Target::Ip(ip));
        }
        if s.contains('/') && s.parse::<ipnet::IpNet>().is_ok() {
            return Err(TargetError::Range(s.to_string()));
        }
        normalize_domain(s)
            .map(Target::Domain)
            .map_err(|reason| TargetError::Invalid {
                input: input.to_string(),
                reason,
            })
    }

    /// The kind of zones this target is checked against.
    pub fn kind(&self) -> TargetKind {
        match self {
            Target::Ip(_) => TargetKind::Ip,
            Target::Domain(_) => TargetKind::Domain,
        }
    }

    /// True for an IPv6 address (including IPv4-mapped ones).
    pub fn is_ipv6(&self) -> bool {
        matches!(self, Target::Ip(IpAddr::V6(_)))
    }

    /// The part of the query name that comes before the zone: reversed
    /// octets, reversed nibbles, or the domain itself.
    pub(crate) fn query_prefix(&self) -> String {
        match self {
            Target::Ip(ip) => reverse_ip(*ip),
            Target::Domain(d) => d.clone(),
        }
    }

    /// The full query name for `zone` (no trailing dot).
    pub fn query_name(&self, zone: &str) -> String {
        format!("{}.{}", self.query_prefix(), zone.trim_end_matches('.'))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Ip(ip) => write!(f, "{ip}"),
            Target::Domain(d) => f.write_str(d),
        }
    }
}

/// Reverses an address for a DNSBL query: `192.0.2.99` -> `99.2.0.192`,
/// IPv6 -> 32 lowercase nibbles in reverse order. IPv4-mapped IPv6 addresses
/// are kept as IPv6 (the trap RFC 5782 test points depend on).
pub fn reverse_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => reverse_ipv4(v4),
        IpAddr::V6(v6) => reverse_ipv6(v6),
    }
}

/// The reverse-DNS name of an address: `10.2.0.192.in-addr.arpa` or the
/// 32 nibbles under `ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    let suffix = if ip.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    };
    format!("{}.{suffix}", reverse_ip(ip))
}

fn reverse_ipv4(ip: Ipv4Addr) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{d}.{c}.{b}.{a}")
}

fn reverse_ipv6(ip: Ipv6Addr) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(63);
    for byte in ip.octets().iter().rev() {
        for nibble in [byte & 0x0f, byte >> 4] {
            if !out.is_empty() {
                out.push('.');
            }
            out.push(HEX[nibble as usize] as char);
        }
    }
    out
}

/// Why a name is not a usable DNS name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing at all.
    #[error("empty name")]
    Empty,
    /// RFC 1035: at most 253 characters (255 octets on the wire).
    #[error("longer than 253 characters")]
    TooLong,
    /// Two dots in a row, or a leading dot.
    #[error("empty label (two dots in a row, or a leading dot)")]
    EmptyLabel,
    /// RFC 1035: at most 63 characters a label.
    #[error("label '{0}' is longer than 63 characters")]
    LabelTooLong(String),
    /// A character a host name may not have.
    #[error("character {0:?} is not allowed in a domain name")]
    Character(char),
    /// A single label.
    #[error("a domain needs at least two labels (e.g. example.org)")]
    OneLabel,
    /// A top-level label of digits only.
    #[error("the last label is all digits (not an IP address either)")]
    NumericTld,
    /// An internationalised name that does not convert to punycode.
    #[error("not a valid internationalised name")]
    Idn,
}

/// The RFC 1035 length rules every name that goes to DNS must meet: at
/// most 253 characters (without the trailing dot), labels of 1 to 63. The
/// one place these rules are written.
pub fn check_lengths(name: &str) -> Result<(), NameError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > 253 {
        return Err(NameError::TooLong);
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(NameError::LabelTooLong(label.to_string()));
        }
    }
    Ok(())
}

/// Lowercases, strips one trailing dot, converts IDN labels to punycode and
/// checks the result is a usable DNS name (RFC 1035 lengths; letters, digits,
/// hyphens and underscores; a top-level label that is not all digits).
pub fn normalize_domain(input: &str) -> Result<String, NameError> {
    let trimmed = input.strip_suffix('.').unwrap_or(input);
    if trimmed.is_empty() {
        return Err(NameError::Empty);
    }
    let ascii = if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(trimmed).map_err(|_| NameError::Idn)?
    };
    check_lengths(&ascii)?;
    if let Some(c) = ascii
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(NameError::Character(c));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2 {
        return Err(NameError::OneLabel);
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(NameError::NumericTld);
    }
    Ok(ascii)
}

crate::words::words! {
    /// An address family, and so which RFC 5782 test points a probe covers.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Family {
        /// IPv4 (test points 127.0.0.2 / 127.0.0.1).
        V4 = "ipv4",
        /// IPv6 (test points ::ffff:7f00:2 / ::ffff:7f00:1 as 32 nibbles).
        V6 = "ipv6",
        /// Domains (test points `test` / `invalid`).
        Domain = "domain",
    }
}

impl Family {
    /// The family of a target.
    pub fn of(target: &Target) -> Family {
        match target {
            Target::Ip(IpAddr::V4(_)) => Family::V4,
            Target::Ip(IpAddr::V6(_)) => Family::V6,
            Target::Domain(_) => Family::Domain,
        }
    }

    /// The positive test point in this family: RFC 5782's, or `custom`
    /// (a zone's own `test_point`) when it is of this family.
    pub fn positive(self, custom: Option<&str>) -> Target {
        match self {
            Family::V4 => custom
                .and_then(|t| t.parse::<Ipv4Addr>().ok())
                .map(|a| Target::Ip(a.into()))
                .unwrap_or(Target::Ip(Ipv4Addr::new(127, 0, 0, 2).into())),
            Family::V6 => custom
                .and_then(|t| t.parse::<Ipv6Addr>().ok())
                .map(|a| Target::Ip(a.into()))
                .unwrap_or(Target::Ip(IpAddr::V6(Ipv6Addr::new(
                    0, 0, 0, 0, 0, 0xffff, 0x7f00, 2,
                )))),
            Family::Domain => Target::Domain(
                custom
                    .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
                    .unwrap_or_else(|| "test".into()),
            ),
        }
    }

    /// The negative test point (must not be listed).
    pub fn negative(self) -> Target {
        match self {
            Family::V4 => Target::Ip(Ipv4Addr::new(127, 0, 0, 1).into()),
            Family::V6 => Target::Ip(IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1))),
            Family::Domain => Target::Domain("invalid".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_query_name_reverses_octets() {
        let t = Target::parse("192.0.2.99").unwrap();
        assert_eq!(
            t.query_name("zen.spamhaus.org"),
            "99.2.0.192.zen.spamhaus.org"
        );
        assert_eq!(
            t.query_name("zen.spamhaus.org."),
            "99.2.0.192.zen.spamhaus.org"
        );
    }

    #[test]
    fn ipv6_query_name_is_32_reversed_nibbles() {
        // RFC 5782 §2.4 example.
        let t = Target::parse("2001:db8:1:2:3:4:567:89ab").unwrap();
        assert_eq!(
            t.query_prefix(),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2"
        );
        // Spamhaus DQS documentation example, compressed zeros.
        let t = Target::parse("2001:db8:7ca6:22::45").unwrap();
        assert_eq!(
            t.query_prefix(),
            "5.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.2.0.0.6.a.c.7.8.b.d.0.1.0.0.2"
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_stays_ipv6() {
        let t = Target::parse("::ffff:127.0.0.2").unwrap();
        assert!(t.is_ipv6());
        assert_eq!(
            t.query_prefix(),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
        );
        let t = Target::parse("::FFFF:7F00:2").unwrap();
        assert_eq!(t.query_prefix().split('.').count(), 32);
    }

    #[test]
    fn uppercase_ipv6_gives_lowercase_nibbles() {
        let t = Target::parse("2001:DB8::ABCD").unwrap();
        assert!(t.query_prefix().starts_with("d.c.b.a."));
    }

    #[test]
    fn bracketed_ipv6_is_accepted() {
        assert_eq!(
            Target::parse("[2001:db8::1]").unwrap(),
            Target::Ip("2001:db8::1".parse().unwrap())
        );
    }

    #[test]
    fn domains_are_lowercased_and_lose_the_trailing_dot() {
        let t = Target::parse("Mail.Example.ORG.").unwrap();
        assert_eq!(t, Target::Domain("mail.example.org".into()));
        assert_eq!(
            t.query_name("dbl.spamhaus.org"),
            "mail.example.org.dbl.spamhaus.org"
        );
    }

    #[test]
    fn idn_domains_become_punycode() {
        let t = Target::parse("bücher.example").unwrap();
        assert_eq!(t, Target::Domain("xn--bcher-kva.example".into()));
        let t = Target::parse("ÉCOLE.example").unwrap();
        assert_eq!(t, Target::Domain("xn--cole-9oa.example".into()));
    }

    #[test]
    fn bad_targets_are_rejected_with_a_reason() {
        for bad in [
            "300.1.1.1",
            "1.2.3",
            "exa mple.org",
            "example..org",
            "localhost",
            "a.b/c",
            &format!("{}.org", "a".repeat(64)),
        ] {
            let err = Target::parse(bad).unwrap_err();
            assert!(matches!(err, TargetError::Invalid { .. }), "{bad}: {err}");
        }
        assert_eq!(Target::parse("  ").unwrap_err(), TargetError::Empty);
        assert!(matches!(
            Target::parse("192.0.2.0/24").unwrap_err(),
            TargetError::Range(_)
        ));
    }
}

#[cfg(test)]
#[path = "target_props.rs"]
mod props;
