//! The mechanisms of RFC 7208 §5 (and the explanation of §6.2): what each
//! one looks up and whether it matches the client.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::eval::{Abort, Eval, invalid_name, queryable};
use super::macros::{expand, uses_p};
use super::parse::{Directive, Mechanism};
use super::{MAX_MX_NAMES, MAX_PTR_NAMES, SpfResult, TraceEvent};
use crate::dns::{Outcome, Record, RecordType};
use crate::target::reverse_name;

/// Whether a mechanism matched, and a note for the trace.
pub(super) type Match = (bool, Option<String>);

impl Eval<'_> {
    /// Evaluates one mechanism: whether it matched, and a note for the trace.
    pub(super) async fn mechanism(
        &mut self,
        d: &Directive,
        domain: &str,
        depth: u32,
    ) -> Result<Match, Abort> {
        match &d.mechanism {
            Mechanism::All => Ok((true, None)),
            Mechanism::Ip4(net, len) => {
                let net =
                    IpNet::V4(Ipv4Net::new(*net, *len).expect("length checked by the parser"));
                Ok((net.contains(&self.ip), None))
            }
            Mechanism::Ip6(net, len) => {
                let net =
                    IpNet::V6(Ipv6Net::new(*net, *len).expect("length checked by the parser"));
                Ok((net.contains(&self.ip), None))
            }
            Mechanism::Include(spec) => self.include(spec, domain, depth).await,
            Mechanism::A(spec, c4, c6) => {
                let target = self.target(spec.as_deref(), domain).await?;
                if !queryable(&target) {
                    return Ok(invalid_name(&target));
                }
                let addrs = self.addresses(&target, depth, domain, true).await?;
                let hit = addrs.iter().any(|a| self.in_prefix(*a, *c4, *c6));
                Ok((hit, Some(self.addr_note(&target, &addrs))))
            }
            Mechanism::Mx(spec, c4, c6) => {
                let target = self.target(spec.as_deref(), domain).await?;
                if !queryable(&target) {
                    return Ok(invalid_name(&target));
                }
                self.mx(&target, (*c4, *c6), domain, depth).await
            }
            Mechanism::Ptr(spec) => {
                let target = self.target(spec.as_deref(), domain).await?;
                let validated = self.validated_names(depth, domain).await?;
                let t = target.to_ascii_lowercase();
                let hit = validated.iter().any(|n| {
                    let n = n.to_ascii_lowercase();
                    n == t || n.ends_with(&format!(".{t}"))
                });
                Ok((
                    hit,
                    Some(format!("validated names: [{}]", validated.join(", "))),
                ))
            }
            Mechanism::Exists(spec) => self.exists(spec, domain, depth).await,
        }
    }

    /// `include:`: matches when the included record passes.
    async fn include(&mut self, spec: &str, domain: &str, depth: u32) -> Result<Match, Abort> {
        let target = self.expand_domain(spec, domain).await?;
        self.log(
            depth,
            TraceEvent::Include,
            domain,
            format!("include {target}"),
        );
        let r = self.check(target.clone(), depth + 1).await;
        self.log(
            depth + 1,
            TraceEvent::Include,
            &target,
            format!("left {target}: {}", r.result),
        );
        match r.result {
            SpfResult::Pass => Ok((true, Some(format!("{target} returned pass")))),
            SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                Ok((false, Some(format!("{target} returned {}", r.result))))
            }
            SpfResult::TempError => Err(Abort::Temp(format!("include:{target} gave temperror"))),
            SpfResult::PermError => Err(Abort::Perm(format!("include:{target} gave permerror"))),
            SpfResult::None => Err(Abort::Perm(format!(
                "include:{target} has no SPF record (permerror)"
            ))),
        }
    }

    /// `mx`: matches when the client is an address of one of `target`'s MX
    /// hosts (at most 10 MX names).
    async fn mx(
        &mut self,
        target: &str,
        (c4, c6): (u8, u8),
        domain: &str,
        depth: u32,
    ) -> Result<Match, Abort> {
        let outcome = self.dns.lookup(target, RecordType::Mx).await;
        let mut names: Vec<(u16, String)> = match &outcome {
            Outcome::Records(r) => r
                .iter()
                .filter_map(|r| match r {
                    Record::Mx(p, n) => Some((*p, n.clone())),
                    _ => None,
                })
                .collect(),
            Outcome::NxDomain | Outcome::NoData => {
                self.count_void(depth, domain, target)?;
                return Ok((
                    false,
                    Some(format!("{target} has no MX records (void lookup)")),
                ));
            }
            Outcome::Failed(f) => {
                return Err(Abort::Temp(format!("MX lookup for {target} failed: {f}")));
            }
        };
        if names.len() > MAX_MX_NAMES {
            return Err(Abort::Perm(format!(
                "{target} has {} MX names, more than {MAX_MX_NAMES}",
                names.len()
            )));
        }
        names.sort();
        let mut seen = Vec::new();
        for (_, name) in &names {
            if !queryable(name) {
                continue;
            }
            let addrs = self.addresses(name, depth, domain, false).await?;
            if addrs.iter().any(|a| self.in_prefix(*a, c4, c6)) {
                return Ok((
                    true,
                    Some(format!("{} is an address of MX {name}", self.ip)),
                ));
            }
            seen.push(name.clone());
        }
        Ok((
            false,
            Some(format!(
                "{} is not an address of the MX hosts of {target} ({})",
                self.ip,
                seen.join(", ")
            )),
        ))
    }

    /// `exists:`: matches when the expanded name has an A record.
    async fn exists(&mut self, spec: &str, domain: &str, depth: u32) -> Result<Match, Abort> {
        let target = self.expand_domain(spec, domain).await?;
        if !queryable(&target) {
            return Ok(invalid_name(&target));
        }
        match self.dns.lookup(&target, RecordType::A).await {
            Outcome::Records(_) => Ok((true, Some(format!("{target} exists")))),
            Outcome::NxDomain | Outcome::NoData => {
                self.count_void(depth, domain, &target)?;
                Ok((
                    false,
                    Some(format!("{target} does not exist (void lookup)")),
                ))
            }
            Outcome::Failed(f) => Err(Abort::Temp(format!("A lookup for {target} failed: {f}"))),
        }
    }

    /// A mechanism's target: its expanded domain-spec, or the current domain.
    async fn target(&mut self, spec: Option<&str>, domain: &str) -> Result<String, Abort> {
        match spec {
            Some(s) => self.expand_domain(s, domain).await,
            None => Ok(domain.to_string()),
        }
    }

    fn addr_note(&self, target: &str, addrs: &[IpAddr]) -> String {
        let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        format!("{target} has [{}]", list.join(", "))
    }

    fn in_prefix(&self, addr: IpAddr, c4: u8, c6: u8) -> bool {
        match (addr, self.ip) {
            (IpAddr::V4(a), IpAddr::V4(_)) => Ipv4Net::new(a, c4)
                .map(|n| IpNet::V4(n.trunc()).contains(&self.ip))
                .unwrap_or(false),
            (IpAddr::V6(a), IpAddr::V6(_)) => Ipv6Net::new(a, c6)
                .map(|n| IpNet::V6(n.trunc()).contains(&self.ip))
                .unwrap_or(false),
            _ => false,
        }
    }

    /// The A (IPv4 client) or AAAA (IPv6 client) records of `name`.
    /// `void_counts`: whether an empty answer counts as a void lookup.
    async fn addresses(
        &mut self,
        name: &str,
        depth: u32,
        domain: &str,
        void_counts: bool,
    ) -> Result<Vec<IpAddr>, Abort> {
        let rtype = if self.ip.is_ipv4() {
            RecordType::A
        } else {
            RecordType::Aaaa
        };
        let outcome = self.dns.lookup(name, rtype).await;
        match outcome {
            Outcome::Records(_) => Ok(outcome.ips()),
            Outcome::NxDomain | Outcome::NoData => {
                if void_counts {
                    self.count_void(depth, domain, name)?;
                }
                Ok(Vec::new())
            }
            Outcome::Failed(f) => Err(Abort::Temp(format!(
                "address lookup for {name} failed: {f}"
            ))),
        }
    }

    /// RFC 7208 §5.5: the PTR names of the client whose A/AAAA records
    /// contain the client address (at most 10 names are tried).
    async fn validated_names(&mut self, depth: u32, domain: &str) -> Result<Vec<String>, Abort> {
        let reverse = reverse_name(self.ip);
        let outcome = self.dns.lookup(&reverse, RecordType::Ptr).await;
        let names: Vec<String> = match outcome {
            Outcome::Records(_) => outcome.ptrs(),
            Outcome::NxDomain | Outcome::NoData => {
                self.count_void(depth, domain, &reverse)?;
                return Ok(Vec::new());
            }
            // A DNS error during the PTR lookup: the mechanism does not match.
            Outcome::Failed(_) => return Ok(Vec::new()),
        };
        let rtype = if self.ip.is_ipv4() {
            RecordType::A
        } else {
            RecordType::Aaaa
        };
        let mut validated = Vec::new();
        for name in names.into_iter().take(MAX_PTR_NAMES) {
            if self.dns.lookup(&name, rtype).await.ips().contains(&self.ip) {
                validated.push(name);
            }
        }
        Ok(validated)
    }

    /// `%{p}`: a validated name, preferring `domain` itself or a subdomain of it.
    pub(super) async fn validated_name(&mut self, domain: &str) -> Option<String> {
        let names = self.validated_names(0, domain).await.ok()?;
        let d = domain.to_ascii_lowercase();
        names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&d))
            .or_else(|| {
                names
                    .iter()
                    .find(|n| n.to_ascii_lowercase().ends_with(&format!(".{d}")))
            })
            .or_else(|| names.first())
            .cloned()
    }

    /// RFC 7208 §6.2: the explanation for a fail; any problem means none.
    pub(super) async fn explanation(
        &mut self,
        spec: &str,
        domain: &str,
        depth: u32,
    ) -> Option<String> {
        let target = self.expand_domain(spec, domain).await.ok()?;
        let outcome = self.dns.lookup(&target, RecordType::Txt).await;
        let texts = match outcome {
            Outcome::Records(_) => outcome.txts(),
            other => {
                self.log(
                    depth,
                    TraceEvent::Exp,
                    domain,
                    format!("no explanation at {target}: {}", describe(&other)),
                );
                return None;
            }
        };
        if texts.len() != 1 {
            self.log(
                depth,
                TraceEvent::Exp,
                domain,
                format!(
                    "{target} has {} TXT records, not one: no explanation",
                    texts.len()
                ),
            );
            return None;
        }
        let text = &texts[0];
        if !text.is_ascii() {
            return None;
        }
        let validated = if uses_p(text) {
            self.validated_name(domain).await
        } else {
            None
        };
        let ctx = self.ctx(domain, validated);
        match expand(text, &ctx, true) {
            Ok(e) => {
                self.log(
                    depth,
                    TraceEvent::Exp,
                    domain,
                    format!("explanation from {target}: {e}"),
                );
                Some(e)
            }
            Err(err) => {
                self.log(
                    depth,
                    TraceEvent::Exp,
                    domain,
                    format!("explanation at {target} is not valid: {err}"),
                );
                None
            }
        }
    }
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Records(_) => "records".into(),
        Outcome::NxDomain => "NXDOMAIN".into(),
        Outcome::NoData => "no TXT records".into(),
        Outcome::Failed(f) => f.to_string(),
    }
}
