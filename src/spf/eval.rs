//! `check_host()` (RFC 7208 §4-§6): record lookup and selection, directive
//! evaluation, include and redirect, `exp=`, the lookup limits, and a trace.

use std::net::IpAddr;

use futures::FutureExt;
use futures::future::BoxFuture;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::macros::{MacroContext, expand, uses_p};
use super::parse::{Directive, Mechanism, Qualifier, is_spf_record, parse_record};
use super::{
    MAX_DNS_LOOKUPS, MAX_MX_NAMES, MAX_PTR_NAMES, MAX_VOID_LOOKUPS, PROCESSING_LIMIT, SpfOutput,
    SpfResult, TraceStep,
};
use crate::dns::{Dns, Outcome, Record, RecordType};
use crate::target::reverse_name;

/// What to check: the inputs of `check_host(<ip>, <domain>, <sender>)`.
#[derive(Clone, Debug)]
pub struct Request {
    /// The SMTP client's address.
    pub ip: IpAddr,
    /// The domain whose policy is checked.
    pub domain: String,
    /// The MAIL FROM address (`postmaster@<domain>` when the sender had none).
    pub sender: String,
    /// The HELO/EHLO name.
    pub helo: String,
    /// The receiving host, for `%{r}` in explanations.
    pub receiver: String,
}

impl Request {
    /// Builds the request an MTA would make from the SMTP envelope: the
    /// MAIL FROM domain, or the HELO name for the null sender (RFC 7208 §2.4).
    pub fn from_envelope(ip: IpAddr, mail_from: &str, helo: &str) -> Request {
        let sender = if mail_from.is_empty() {
            format!("postmaster@{helo}")
        } else if !mail_from.contains('@') {
            format!("postmaster@{mail_from}")
        } else if mail_from.starts_with('@') {
            format!("postmaster{mail_from}")
        } else {
            mail_from.to_string()
        };
        let domain = sender
            .rsplit_once('@')
            .map(|(_, d)| d.to_string())
            .unwrap_or_default();
        Request {
            ip,
            domain,
            sender,
            helo: helo.to_string(),
            receiver: "unknown".into(),
        }
    }

    /// A request for `domain` with an optional `local@domain` sender.
    pub fn for_domain(
        ip: IpAddr,
        domain: &str,
        sender: Option<&str>,
        helo: Option<&str>,
    ) -> Request {
        let domain = domain.trim_end_matches('.').to_string();
        Request {
            ip,
            sender: sender
                .map(str::to_string)
                .unwrap_or_else(|| format!("postmaster@{domain}")),
            helo: helo.map(str::to_string).unwrap_or_else(|| domain.clone()),
            domain,
            receiver: "unknown".into(),
        }
    }
}

enum Abort {
    Perm(String),
    Temp(String),
}

struct Decision {
    result: SpfResult,
    mechanism: Option<String>,
    explanation: Option<String>,
}

impl Decision {
    fn plain(result: SpfResult) -> Decision {
        Decision {
            result,
            mechanism: None,
            explanation: None,
        }
    }
}

struct Eval<'a> {
    dns: &'a dyn Dns,
    req: &'a Request,
    /// The client address, IPv4-mapped IPv6 turned into IPv4 (RFC 7208 §5).
    ip: IpAddr,
    lookups: u32,
    voids: u32,
    trace: Vec<TraceStep>,
    lint: Vec<String>,
    top_record: Option<String>,
}

/// Runs `check_host()` for `req`, within the processing-time limit.
pub async fn check_host(dns: &dyn Dns, req: &Request) -> SpfOutput {
    evaluate(dns, req, PROCESSING_LIMIT).await
}

/// `check_host()` with an explicit time limit.
pub async fn evaluate(dns: &dyn Dns, req: &Request, limit: std::time::Duration) -> SpfOutput {
    let ip = match req.ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(req.ip, IpAddr::V4),
        v4 => v4,
    };
    let mut ev = Eval {
        dns,
        req,
        ip,
        lookups: 0,
        voids: 0,
        trace: Vec::new(),
        lint: Vec::new(),
        top_record: None,
    };
    let domain = req.domain.trim_end_matches('.').to_string();
    let decision = if let Err(why) = valid_domain(&domain) {
        ev.step(
            0,
            "result",
            &domain,
            format!("'{domain}' is not a usable domain: {why}"),
            None,
            None,
        );
        Decision::plain(SpfResult::None)
    } else {
        match tokio::time::timeout(limit, ev.check(domain.clone(), 0)).await {
            Ok(d) => d,
            Err(_) => {
                ev.step(
                    0,
                    "limit",
                    &domain,
                    format!("processing time limit of {} s reached", limit.as_secs_f64()),
                    None,
                    None,
                );
                Decision::plain(SpfResult::TempError)
            }
        }
    };
    ev.step(
        0,
        "result",
        &domain,
        decision.result.as_str().to_string(),
        None,
        decision
            .mechanism
            .as_ref()
            .map(|m| format!("decided by {m}")),
    );
    if ev.voids > 0 {
        ev.lint.push(format!("{} void lookup(s) (names that do not exist or have no records); more than {MAX_VOID_LOOKUPS} is a permerror", ev.voids));
    }
    SpfOutput {
        domain,
        ip: req.ip.to_string(),
        result: decision.result,
        mechanism: decision.mechanism,
        explanation: decision.explanation,
        record: ev.top_record,
        dns_lookups: ev.lookups,
        void_lookups: ev.voids,
        trace: ev.trace,
        lint: ev.lint,
    }
}

/// RFC 7208 §4.3: a domain that is not a multi-label FQDN with labels of
/// 1-63 characters gives `none`.
fn valid_domain(d: &str) -> Result<(), String> {
    if d.is_empty() {
        return Err("empty".into());
    }
    if d.len() > 253 {
        return Err("longer than 253 characters".into());
    }
    if d.starts_with('[') {
        return Err("an address literal, not a domain".into());
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Err("not fully qualified".into());
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("an IP address, not a domain".into());
    }
    for l in labels {
        if l.is_empty() {
            return Err("empty label".into());
        }
        if l.len() > 63 {
            return Err(format!("label '{l}' is longer than 63 characters"));
        }
    }
    Ok(())
}

/// RFC 7208 §7.3: an expanded name longer than 253 characters loses labels
/// from the left until it fits.
fn truncate_name(mut name: String) -> String {
    let trimmed = name.trim_end_matches('.');
    if trimmed.len() != name.len() {
        name = trimmed.to_string();
    }
    while name.len() > 253 {
        match name.find('.') {
            Some(i) => name = name[i + 1..].to_string(),
            None => break,
        }
    }
    name
}

/// Whether an expanded target can be sent to DNS at all (RFC 1035 lengths).
/// A name that cannot (an empty or over-long label) matches nothing.
fn queryable(name: &str) -> bool {
    let n = name.strip_suffix('.').unwrap_or(name);
    !n.is_empty() && n.len() <= 253 && n.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

/// The no-match result for a target that cannot be queried.
fn invalid_name(target: &str) -> (bool, Option<String>) {
    (
        false,
        Some(format!("'{target}' is not a valid DNS name: no match")),
    )
}

fn result_for(q: Qualifier) -> SpfResult {
    match q {
        Qualifier::Pass => SpfResult::Pass,
        Qualifier::Fail => SpfResult::Fail,
        Qualifier::SoftFail => SpfResult::SoftFail,
        Qualifier::Neutral => SpfResult::Neutral,
    }
}

impl<'a> Eval<'a> {
    fn step(
        &mut self,
        depth: u32,
        event: &'static str,
        domain: &str,
        text: String,
        matched: Option<bool>,
        note: Option<String>,
    ) {
        self.trace.push(TraceStep {
            depth,
            event,
            domain: domain.to_string(),
            text,
            matched,
            note,
        });
    }

    fn ctx(&self, domain: &str, validated: Option<String>) -> MacroContext {
        let (local, sender_domain) = match self.req.sender.rsplit_once('@') {
            Some((l, d)) => (if l.is_empty() { "postmaster" } else { l }, d),
            None => ("postmaster", self.req.sender.as_str()),
        };
        MacroContext {
            sender: self.req.sender.clone(),
            local: local.to_string(),
            sender_domain: sender_domain.to_string(),
            domain: domain.to_string(),
            ip: self.ip,
            helo: self.req.helo.clone(),
            validated,
            receiver: self.req.receiver.clone(),
            timestamp: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }

    /// Expands a domain-spec (a `%{p}` in it costs the PTR validation).
    async fn expand_domain(&mut self, spec: &str, domain: &str) -> Result<String, Abort> {
        let validated = if uses_p(spec) {
            self.validated_name(domain).await
        } else {
            None
        };
        let ctx = self.ctx(domain, validated);
        expand(spec, &ctx, false)
            .map(truncate_name)
            .map_err(|e| Abort::Perm(format!("cannot expand '{spec}': {e}")))
    }

    fn count_lookup(&mut self, depth: u32, domain: &str, term: &str) -> Result<(), Abort> {
        self.lookups += 1;
        if self.lookups > MAX_DNS_LOOKUPS {
            let msg =
                format!("more than {MAX_DNS_LOOKUPS} DNS-querying terms (at '{term}'): permerror");
            self.step(depth, "limit", domain, msg.clone(), None, None);
            self.lint.push(format!("the record needs more than {MAX_DNS_LOOKUPS} DNS lookups (include, a, mx, ptr, exists, redirect); flatten or remove includes"));
            return Err(Abort::Perm(msg));
        }
        Ok(())
    }

    fn count_void(&mut self, depth: u32, domain: &str, name: &str) -> Result<(), Abort> {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            let msg = format!("more than {MAX_VOID_LOOKUPS} void lookups (at {name}): permerror");
            self.step(depth, "limit", domain, msg.clone(), None, None);
            return Err(Abort::Perm(msg));
        }
        Ok(())
    }

    fn check(&mut self, domain: String, depth: u32) -> BoxFuture<'_, Decision> {
        async move {
            match self.check_inner(&domain, depth).await {
                Ok(d) => d,
                Err(Abort::Perm(msg)) => {
                    self.step(depth, "error", &domain, msg, None, None);
                    Decision::plain(SpfResult::PermError)
                }
                Err(Abort::Temp(msg)) => {
                    self.step(depth, "error", &domain, msg, None, None);
                    Decision::plain(SpfResult::TempError)
                }
            }
        }
        .boxed()
    }

    async fn check_inner(&mut self, domain: &str, depth: u32) -> Result<Decision, Abort> {
        if let Err(why) = valid_domain(domain) {
            self.step(
                depth,
                "record",
                domain,
                format!("'{domain}' is not a usable domain: {why}"),
                None,
                None,
            );
            return Ok(Decision::plain(SpfResult::None));
        }
        let txts = match self.dns.lookup(domain, RecordType::Txt).await {
            Outcome::Records(r) => r
                .into_iter()
                .filter_map(|r| match r {
                    Record::Txt(t) => Some(t),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            Outcome::NxDomain => {
                self.step(
                    depth,
                    "record",
                    domain,
                    "no SPF record (the domain does not exist)".into(),
                    None,
                    None,
                );
                return Ok(Decision::plain(SpfResult::None));
            }
            Outcome::NoData => {
                self.step(
                    depth,
                    "record",
                    domain,
                    "no SPF record (no TXT records)".into(),
                    None,
                    None,
                );
                return Ok(Decision::plain(SpfResult::None));
            }
            Outcome::Failed(f) => {
                return Err(Abort::Temp(format!("TXT lookup for {domain} failed: {f}")));
            }
        };
        let records: Vec<&String> = txts.iter().filter(|t| is_spf_record(t)).collect();
        let record = match records.as_slice() {
            [] => {
                self.step(
                    depth,
                    "record",
                    domain,
                    "no SPF record (no TXT record starts with v=spf1)".into(),
                    None,
                    None,
                );
                return Ok(Decision::plain(SpfResult::None));
            }
            [one] => (*one).clone(),
            many => {
                if depth == 0 {
                    self.lint.push(format!(
                        "{domain} publishes {} SPF records; there must be exactly one",
                        many.len()
                    ));
                }
                return Err(Abort::Perm(format!(
                    "{domain} has {} SPF records (RFC 7208 §4.5: permerror)",
                    many.len()
                )));
            }
        };
        if depth == 0 {
            self.top_record = Some(record.clone());
        }
        self.step(depth, "record", domain, record.clone(), None, None);
        let parsed = match parse_record(&record) {
            Ok(p) => p,
            Err(e) => {
                if depth == 0 {
                    self.lint.push(format!("{e}"));
                }
                return Err(Abort::Perm(format!("{domain}: {e}")));
            }
        };
        if depth == 0 {
            if parsed
                .directives
                .iter()
                .any(|d| matches!(d.mechanism, Mechanism::Ptr(_)))
            {
                self.lint.push("the ptr mechanism is slow, unreliable and discouraged (RFC 7208 §5.5); use ip4/ip6 or a instead".into());
            }
            if parsed
                .directives
                .iter()
                .any(|d| d.mechanism == Mechanism::All && d.qualifier == Qualifier::Pass)
            {
                self.lint.push(
                    "+all authorises every address on the internet to send as this domain".into(),
                );
            }
        }
        for directive in &parsed.directives {
            if directive.mechanism.queries_dns() {
                self.count_lookup(depth, domain, &directive.text)?;
            }
            let (matched, note) = self.mechanism(directive, domain, depth).await?;
            self.step(
                depth,
                "term",
                domain,
                directive.text.clone(),
                Some(matched),
                note,
            );
            if matched {
                let result = result_for(directive.qualifier);
                let explanation = match (&parsed.exp, result) {
                    (Some(exp), SpfResult::Fail) => self.explanation(exp, domain, depth).await,
                    _ => None,
                };
                return Ok(Decision {
                    result,
                    mechanism: Some(directive.text.clone()),
                    explanation,
                });
            }
        }
        let has_all = parsed
            .directives
            .iter()
            .any(|d| d.mechanism == Mechanism::All);
        if let (Some(spec), false) = (&parsed.redirect, has_all) {
            let term = format!("redirect={spec}");
            self.count_lookup(depth, domain, &term)?;
            let target = self.expand_domain(spec, domain).await?;
            self.step(
                depth,
                "redirect",
                domain,
                format!("redirect to {target}"),
                None,
                None,
            );
            let d = self.check(target.clone(), depth + 1).await;
            self.step(
                depth + 1,
                "redirect",
                &target,
                format!("left {target}: {}", d.result),
                None,
                None,
            );
            if d.result == SpfResult::None {
                return Err(Abort::Perm(format!(
                    "redirect target {target} has no SPF record"
                )));
            }
            return Ok(d);
        }
        Ok(Decision::plain(SpfResult::Neutral))
    }

    /// Evaluates one mechanism: whether it matched, and a note for the trace.
    async fn mechanism(
        &mut self,
        d: &Directive,
        domain: &str,
        depth: u32,
    ) -> Result<(bool, Option<String>), Abort> {
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
            Mechanism::Include(spec) => {
                let target = self.expand_domain(spec, domain).await?;
                self.step(
                    depth,
                    "include",
                    domain,
                    format!("include {target}"),
                    None,
                    None,
                );
                let r = self.check(target.clone(), depth + 1).await;
                self.step(
                    depth + 1,
                    "include",
                    &target,
                    format!("left {target}: {}", r.result),
                    None,
                    None,
                );
                match r.result {
                    SpfResult::Pass => Ok((true, Some(format!("{target} returned pass")))),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                        Ok((false, Some(format!("{target} returned {}", r.result))))
                    }
                    SpfResult::TempError => {
                        Err(Abort::Temp(format!("include:{target} gave temperror")))
                    }
                    SpfResult::PermError => {
                        Err(Abort::Perm(format!("include:{target} gave permerror")))
                    }
                    SpfResult::None => Err(Abort::Perm(format!(
                        "include:{target} has no SPF record (permerror)"
                    ))),
                }
            }
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
                let mut names = match self.dns.lookup(&target, RecordType::Mx).await {
                    Outcome::Records(r) => r
                        .into_iter()
                        .filter_map(|r| match r {
                            Record::Mx(p, n) => Some((p, n)),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                    Outcome::NxDomain | Outcome::NoData => {
                        self.count_void(depth, domain, &target)?;
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
                    if addrs.iter().any(|a| self.in_prefix(*a, *c4, *c6)) {
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
            Mechanism::Exists(spec) => {
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
                    Outcome::Failed(f) => {
                        Err(Abort::Temp(format!("A lookup for {target} failed: {f}")))
                    }
                }
            }
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
    async fn validated_name(&mut self, domain: &str) -> Option<String> {
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
    async fn explanation(&mut self, spec: &str, domain: &str, depth: u32) -> Option<String> {
        let target = self.expand_domain(spec, domain).await.ok()?;
        let outcome = self.dns.lookup(&target, RecordType::Txt).await;
        let texts = match outcome {
            Outcome::Records(_) => outcome.txts(),
            other => {
                self.step(
                    depth,
                    "exp",
                    domain,
                    format!("no explanation at {target}: {}", describe(&other)),
                    None,
                    None,
                );
                return None;
            }
        };
        if texts.len() != 1 {
            self.step(
                depth,
                "exp",
                domain,
                format!(
                    "{target} has {} TXT records, not one: no explanation",
                    texts.len()
                ),
                None,
                None,
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
                self.step(
                    depth,
                    "exp",
                    domain,
                    format!("explanation from {target}: {e}"),
                    None,
                    None,
                );
                Some(e)
            }
            Err(err) => {
                self.step(
                    depth,
                    "exp",
                    domain,
                    format!("explanation at {target} is not valid: {err}"),
                    None,
                    None,
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
