//! A domain's mail infrastructure (`check --infra DOMAIN`): the addresses
//! that matter for its mail, each with where it came from.
//!
//! - its MX hosts' A and AAAA records ("MX mx1.example.org"), or the
//!   domain's own addresses when it has no MX (RFC 5321 §5.1 implicit MX);
//! - every address and range its SPF record authorises with a `+`
//!   qualifier, walking the whole include/redirect tree with the SPF parser
//!   ("SPF include:_spf.example.net ip4:192.0.2.0/28"); `a` and `mx`
//!   mechanisms are resolved (with their CIDR lengths);
//! - the domain itself, for domain lists.
//!
//! The walk is an inventory, not an evaluation: it goes past the RFC 7208
//! limit of 10 DNS-querying terms (and says so), but follows each domain
//! once (loops), to a bounded depth and a bounded number of records.
//! Ranges of up to [`InfraLimits::expand_up_to`] addresses are expanded
//! into addresses; larger ones are reported with their size, for a scan.
//! Mechanisms that name no fixed addresses (`exists`, `ptr`, macros) are
//! listed as notes. A lookup that failed is a problem: the inventory is
//! then incomplete, and says where.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use futures::future::BoxFuture;
use ipnet::IpNet;
use serde::Serialize;

use crate::dns::{Dns, Outcome, Record, RecordType};
use crate::spf::{Mechanism, Qualifier, is_spf_record, parse_record};
use crate::target::normalize_domain;

/// How far to go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfraLimits {
    /// Ranges of at most this many addresses are checked address by address.
    pub expand_up_to: u32,
    /// Include/redirect nesting followed at most.
    pub max_depth: u32,
    /// SPF records fetched at most.
    pub max_records: usize,
    /// MX hosts resolved at most per MX set.
    pub max_mx: usize,
}

impl Default for InfraLimits {
    /// 16 addresses (an IPv4 /28), depth 10, 50 records, 20 MX hosts.
    fn default() -> Self {
        InfraLimits {
            expand_up_to: 16,
            max_depth: 10,
            max_records: 50,
            max_mx: 20,
        }
    }
}

/// An address to check, with every place it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InfraAddress {
    /// The address.
    pub ip: IpAddr,
    /// Where it came from ("MX mx1.example.org", "SPF ip4:192.0.2.10").
    pub sources: Vec<String>,
}

/// A range too large to check address by address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InfraRange {
    /// The range.
    pub net: IpNet,
    /// How many addresses it holds (saturating at `u128::MAX`).
    pub size: u128,
    /// Where it came from.
    pub sources: Vec<String>,
}

/// What [`discover`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Infra {
    /// The domain (ASCII, lowercase); check it on domain lists.
    pub domain: String,
    /// Addresses to check, in address order.
    pub addresses: Vec<InfraAddress>,
    /// Ranges larger than the expansion limit, in address order.
    pub ranges: Vec<InfraRange>,
    /// DNS-querying SPF terms met in the whole tree (receivers stop at 10).
    pub spf_lookups: u32,
    /// What was not walked, by design (macros, `exists`, `ptr`, loops, `~`/`?`/`-` terms).
    pub notes: Vec<String>,
    /// Lookups that failed or records that are broken: the inventory is incomplete there.
    pub problems: Vec<String>,
}

/// The domain is not a usable name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a domain name: {reason}")]
pub struct InfraError {
    /// What was given.
    pub input: String,
    /// Why.
    pub reason: String,
}

/// Finds the addresses that matter for `domain`'s mail.
pub async fn discover(
    dns: &dyn Dns,
    domain: &str,
    limits: &InfraLimits,
) -> Result<Infra, InfraError> {
    let domain = normalize_domain(domain).map_err(|e| InfraError {
        input: domain.to_string(),
        reason: e.to_string(),
    })?;
    let mut w = Walk {
        dns,
        limits,
        visited: HashSet::new(),
        records: 0,
        addresses: BTreeMap::new(),
        ranges: BTreeMap::new(),
        infra: Infra {
            domain: domain.clone(),
            ..Infra::default()
        },
    };
    w.mx_hosts(&domain).await;
    w.spf(domain.clone(), Vec::new(), 0).await;
    if w.infra.spf_lookups > crate::spf::MAX_DNS_LOOKUPS {
        let n = w.infra.spf_lookups;
        w.infra.notes.push(format!(
            "the SPF tree has {n} DNS-querying terms; receivers stop at {} (permerror), so addresses found past that point do not pass SPF",
            crate::spf::MAX_DNS_LOOKUPS
        ));
    }
    let mut infra = w.infra;
    infra.addresses = w
        .addresses
        .into_iter()
        .map(|(ip, sources)| InfraAddress { ip, sources })
        .collect();
    infra.ranges = w
        .ranges
        .into_iter()
        .map(|(net, sources)| InfraRange {
            net,
            size: size(net),
            sources,
        })
        .collect();
    Ok(infra)
}

/// The number of addresses in `net`.
pub fn size(net: IpNet) -> u128 {
    let bits = u32::from(net.max_prefix_len() - net.prefix_len());
    1u128.checked_shl(bits).unwrap_or(u128::MAX)
}

struct Walk<'a> {
    dns: &'a dyn Dns,
    limits: &'a InfraLimits,
    visited: HashSet<String>,
    records: usize,
    addresses: BTreeMap<IpAddr, Vec<String>>,
    ranges: BTreeMap<IpNet, Vec<String>>,
    infra: Infra,
}

impl Walk<'_> {
    fn add_net(&mut self, net: IpNet, source: &str) {
        let net = net.trunc();
        if net.prefix_len() == net.max_prefix_len() {
            return self.add_ip(net.addr(), source);
        }
        if size(net) > u128::from(self.limits.expand_up_to) {
            push_unique(self.ranges.entry(net).or_default(), source);
            return;
        }
        for ip in net_addresses(net) {
            self.add_ip(ip, source);
        }
    }

    fn add_ip(&mut self, ip: IpAddr, source: &str) {
        push_unique(self.addresses.entry(ip).or_default(), source);
    }

    /// The A and AAAA records of `name`; a failure or no address is a problem.
    async fn addresses_of(&mut self, name: &str, why: &str) -> Vec<IpAddr> {
        let (a, aaaa) = futures::join!(
            self.dns.lookup(name, RecordType::A),
            self.dns.lookup(name, RecordType::Aaaa)
        );
        let mut ips = a.ips();
        ips.extend(aaaa.ips());
        for (o, t) in [(&a, "A"), (&aaaa, "AAAA")] {
            if let Outcome::Failed(f) = o {
                self.infra
                    .problems
                    .push(format!("{why}: the {t} lookup of {name} failed ({f})"));
            }
        }
        let failed = matches!(a, Outcome::Failed(_)) || matches!(aaaa, Outcome::Failed(_));
        if ips.is_empty() && !failed {
            self.infra
                .problems
                .push(format!("{why}: {name} has no A or AAAA record"));
        }
        ips
    }

    /// The exchanges of `domain`'s MX records by preference; None when it
    /// has none (or the lookup failed, which is a problem).
    async fn exchanges(&mut self, domain: &str, why: &str) -> Option<Vec<String>> {
        let outcome = self.dns.lookup(domain, RecordType::Mx).await;
        let mut mx: Vec<(u16, String)> = match &outcome {
            Outcome::Records(rs) => rs
                .iter()
                .filter_map(|r| match r {
                    Record::Mx(p, n) => Some((*p, n.trim_end_matches('.').to_ascii_lowercase())),
                    _ => None,
                })
                .collect(),
            Outcome::Failed(f) => {
                self.infra
                    .problems
                    .push(format!("{why}: the MX lookup of {domain} failed ({f})"));
                return None;
            }
            Outcome::NxDomain | Outcome::NoData => return None,
        };
        mx.sort();
        if mx.len() > self.limits.max_mx {
            self.infra.problems.push(format!(
                "{why}: {domain} has {} MX hosts; only the first {} were resolved",
                mx.len(),
                self.limits.max_mx
            ));
            mx.truncate(self.limits.max_mx);
        }
        Some(mx.into_iter().map(|(_, n)| n).collect())
    }

    /// The MX hosts' addresses, or the domain's own (implicit MX).
    async fn mx_hosts(&mut self, domain: &str) {
        match self.exchanges(domain, "MX").await {
            Some(hosts) if hosts.iter().all(String::is_empty) => self.infra.notes.push(format!(
                "{domain} publishes a null MX (RFC 7505): it receives no mail"
            )),
            Some(hosts) => {
                for host in hosts.iter().filter(|h| !h.is_empty()) {
                    let source = format!("MX {host}");
                    for ip in self.addresses_of(host, &source).await {
                        self.add_ip(ip, &source);
                    }
                }
            }
            None => {
                let source = format!("implicit MX {domain} (no MX records)");
                let (a, aaaa) = futures::join!(
                    self.dns.lookup(domain, RecordType::A),
                    self.dns.lookup(domain, RecordType::Aaaa)
                );
                for ip in a.ips().into_iter().chain(aaaa.ips()) {
                    self.add_ip(ip, &source);
                }
            }
        }
    }

    /// Walks the SPF record of `domain`, reached through `chain` (the
    /// include/redirect terms that led here).
    fn spf(&mut self, domain: String, chain: Vec<String>, depth: u32) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let via = describe_chain(&chain);
            if depth > self.limits.max_depth {
                return self.infra.problems.push(format!(
                    "SPF{via}: nesting deeper than {} includes; {domain} was not walked",
                    self.limits.max_depth
                ));
            }
            if !self.visited.insert(domain.clone()) {
                return self.infra.notes.push(format!(
                    "SPF{via}: {domain} was already walked (a loop or a repeat); not walked again"
                ));
            }
            if self.records >= self.limits.max_records {
                return self.infra.problems.push(format!(
                    "SPF{via}: more than {} SPF records; {domain} was not walked",
                    self.limits.max_records
                ));
            }
            self.records += 1;
            let Some(text) = self.fetch_spf(&domain, &via).await else {
                return;
            };
            match parse_record(&text) {
                Ok(record) => self.terms(&domain, &record, &chain, depth).await,
                Err(e) => self
                    .infra
                    .problems
                    .push(format!("SPF{via}: the record of {domain} is broken: {e}")),
            }
        })
    }

    /// The one SPF record of `domain`; None (with a note or problem) otherwise.
    async fn fetch_spf(&mut self, domain: &str, via: &str) -> Option<String> {
        let outcome = self.dns.lookup(domain, RecordType::Txt).await;
        if let Outcome::Failed(f) = &outcome {
            self.infra
                .problems
                .push(format!("SPF{via}: the TXT lookup of {domain} failed ({f})"));
            return None;
        }
        let mut spf: Vec<String> = outcome
            .txts()
            .into_iter()
            .filter(|t| is_spf_record(t))
            .collect();
        match spf.len() {
            1 => spf.pop(),
            0 if via.is_empty() => {
                self.infra
                    .notes
                    .push(format!("{domain} publishes no SPF record"));
                None
            }
            0 => {
                self.infra
                    .problems
                    .push(format!("SPF{via}: {domain} publishes no SPF record"));
                None
            }
            n => {
                self.infra.problems.push(format!(
                    "SPF{via}: {domain} publishes {n} SPF records (a permerror); none was walked"
                ));
                None
            }
        }
    }

    async fn terms(
        &mut self,
        domain: &str,
        record: &crate::spf::Record,
        chain: &[String],
        depth: u32,
    ) {
        let via = describe_chain(chain);
        for d in &record.directives {
            if d.mechanism.queries_dns() {
                self.infra.spf_lookups += 1;
            }
            if d.qualifier != Qualifier::Pass {
                if !matches!(d.mechanism, Mechanism::All) {
                    self.infra.notes.push(format!(
                        "SPF{via} {}: not an authorisation (qualifier {}); not checked",
                        d.text,
                        match d.qualifier {
                            Qualifier::Fail => '-',
                            Qualifier::SoftFail => '~',
                            Qualifier::Neutral => '?',
                            Qualifier::Pass => '+',
                        }
                    ));
                }
                continue;
            }
            let source = format!("SPF{via} {}", d.text);
            self.mechanism(domain, &d.mechanism, &d.text, &source, chain, depth)
                .await;
        }
        let has_all = record
            .directives
            .iter()
            .any(|d| d.mechanism == Mechanism::All);
        if let (Some(target), false) = (&record.redirect, has_all) {
            self.infra.spf_lookups += 1;
            let term = format!("redirect={target}");
            self.follow(target, term, chain, depth).await;
        }
    }

    async fn mechanism(
        &mut self,
        domain: &str,
        mechanism: &Mechanism,
        term: &str,
        source: &str,
        chain: &[String],
        depth: u32,
    ) {
        match mechanism {
            Mechanism::Ip4(a, len) => self.add_net(with_prefix((*a).into(), *len, 0), source),
            Mechanism::Ip6(a, len) => self.add_net(with_prefix((*a).into(), 0, *len), source),
            Mechanism::A(spec, c4, c6) => {
                let Some(name) = self.spec_name(spec.as_deref(), domain, source) else {
                    return;
                };
                for ip in self.addresses_of(&name, source).await {
                    self.add_net(with_prefix(ip, *c4, *c6), source);
                }
            }
            Mechanism::Mx(spec, c4, c6) => {
                let Some(name) = self.spec_name(spec.as_deref(), domain, source) else {
                    return;
                };
                let hosts = self.exchanges(&name, source).await.unwrap_or_default();
                for host in hosts.iter().filter(|h| !h.is_empty()) {
                    let src = format!("{source} (MX {host})");
                    for ip in self.addresses_of(host, &src).await {
                        self.add_net(with_prefix(ip, *c4, *c6), &src);
                    }
                }
            }
            Mechanism::Include(spec) => self.follow(spec, term.to_string(), chain, depth).await,
            Mechanism::Exists(_) | Mechanism::Ptr(_) => self.infra.notes.push(format!(
                "{source}: authorises by a DNS lookup made at check time; no fixed addresses"
            )),
            Mechanism::All => self.infra.problems.push(format!(
                "{source}: authorises every address on the Internet"
            )),
        }
    }

    /// Follows an include or redirect to `spec`.
    async fn follow(&mut self, spec: &str, term: String, chain: &[String], depth: u32) {
        let mut next = chain.to_vec();
        next.push(term);
        let source = format!("SPF{}", describe_chain(&next));
        if let Some(name) = self.spec_name(Some(spec), "", &source) {
            self.spf(name, next, depth + 1).await;
        }
    }

    /// The domain a mechanism names; None (with a note) when it holds a
    /// macro that only an evaluation for a given client can expand.
    fn spec_name(&mut self, spec: Option<&str>, current: &str, source: &str) -> Option<String> {
        let Some(spec) = spec else {
            return Some(current.to_string());
        };
        if spec.contains('%') {
            self.infra.notes.push(format!(
                "{source}: the name holds a macro expanded per message; not walked"
            ));
            return None;
        }
        match normalize_domain(spec) {
            Ok(n) => Some(n),
            Err(e) => {
                self.infra
                    .problems
                    .push(format!("{source}: '{spec}' is not a usable name: {e}"));
                None
            }
        }
    }
}

fn describe_chain(chain: &[String]) -> String {
    chain.iter().map(|t| format!(" {t}")).collect()
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn with_prefix(ip: IpAddr, c4: u8, c6: u8) -> IpNet {
    let len = if ip.is_ipv4() { c4 } else { c6 };
    IpNet::new(ip, len).unwrap_or_else(|_| IpNet::from(ip))
}

/// Every address of a small `net` (network and broadcast included: SPF
/// authorises the whole block).
fn net_addresses(net: IpNet) -> Vec<IpAddr> {
    match net {
        IpNet::V4(n) => ipnet::Ipv4AddrRange::new(n.network(), n.broadcast())
            .map(IpAddr::V4)
            .collect(),
        IpNet::V6(n) => ipnet::Ipv6AddrRange::new(n.network(), n.broadcast())
            .map(IpAddr::V6)
            .collect(),
    }
}
