//! `check_host()` (RFC 7208 §4-§6): record lookup and selection, directive
//! evaluation, include and redirect, `exp=`, the lookup limits, and a trace.

use std::net::IpAddr;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::macros::{MacroContext, expand, uses_p};
use super::parse::{Directive, Mechanism, Qualifier, is_spf_record, parse_record};
use super::{
    MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS, PROCESSING_LIMIT, SpfOutput, SpfResult, TraceEvent,
    TraceStep,
};
use crate::dns::{Dns, Outcome, RecordType};

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

pub(super) enum Abort {
    Perm(String),
    Temp(String),
}

pub(super) struct Decision {
    pub(super) result: SpfResult,
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

pub(super) struct Eval<'a> {
    pub(super) dns: &'a dyn Dns,
    pub(super) req: &'a Request,
    /// The client address, IPv4-mapped IPv6 turned into IPv4 (RFC 7208 §5).
    pub(super) ip: IpAddr,
    pub(super) lookups: u32,
    pub(super) voids: u32,
    pub(super) trace: Vec<TraceStep>,
    pub(super) lint: Vec<String>,
    pub(super) top_record: Option<String>,
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
        ev.log(
            0,
            TraceEvent::Result,
            &domain,
            format!("'{domain}' is not a usable domain: {why}"),
        );
        Decision::plain(SpfResult::None)
    } else {
        match tokio::time::timeout(limit, ev.check(domain.clone(), 0)).await {
            Ok(d) => d,
            Err(_) => {
                ev.log(
                    0,
                    TraceEvent::Limit,
                    &domain,
                    format!("processing time limit of {} s reached", limit.as_secs_f64()),
                );
                Decision::plain(SpfResult::TempError)
            }
        }
    };
    ev.log(
        0,
        TraceEvent::Result,
        &domain,
        decision.result.as_str().to_string(),
    )
    .note = decision
        .mechanism
        .as_ref()
        .map(|m| format!("decided by {m}"));
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
    if d.starts_with('[') {
        return Err("an address literal, not a domain".into());
    }
    crate::target::check_lengths(d).map_err(|e| e.to_string())?;
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
    Ok(())
}

/// RFC 7208 §7.3: an expanded name longer than 253 characters loses labels
/// from the left until it fits.
pub(super) fn truncate_name(mut name: String) -> String {
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
pub(super) fn queryable(name: &str) -> bool {
    crate::target::check_lengths(name).is_ok()
}

/// The no-match result for a target that cannot be queried.
pub(super) fn invalid_name(target: &str) -> (bool, Option<String>) {
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
    /// Appends a trace step; the caller may fill in `matched` and `note`.
    pub(super) fn log(
        &mut self,
        depth: u32,
        event: TraceEvent,
        domain: &str,
        text: impl Into<String>,
    ) -> &mut TraceStep {
        self.trace.push(TraceStep {
            depth,
            event,
            domain: domain.to_string(),
            text: text.into(),
            matched: None,
            note: None,
        });
        self.trace.last_mut().expect("just pushed")
    }

    pub(super) fn ctx(&self, domain: &str, validated: Option<String>) -> MacroContext {
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
    pub(super) async fn expand_domain(
        &mut self,
        spec: &str,
        domain: &str,
    ) -> Result<String, Abort> {
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

    pub(super) fn count_lookup(
        &mut self,
        depth: u32,
        domain: &str,
        term: &str,
    ) -> Result<(), Abort> {
        self.lookups += 1;
        if self.lookups > MAX_DNS_LOOKUPS {
            let msg =
                format!("more than {MAX_DNS_LOOKUPS} DNS-querying terms (at '{term}'): permerror");
            self.log(depth, TraceEvent::Limit, domain, msg.clone());
            self.lint.push(format!("the record needs more than {MAX_DNS_LOOKUPS} DNS lookups (include, a, mx, ptr, exists, redirect); flatten or remove includes"));
            return Err(Abort::Perm(msg));
        }
        Ok(())
    }

    pub(super) fn count_void(&mut self, depth: u32, domain: &str, name: &str) -> Result<(), Abort> {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            let msg = format!("more than {MAX_VOID_LOOKUPS} void lookups (at {name}): permerror");
            self.log(depth, TraceEvent::Limit, domain, msg.clone());
            return Err(Abort::Perm(msg));
        }
        Ok(())
    }

    pub(super) fn check(&mut self, domain: String, depth: u32) -> BoxFuture<'_, Decision> {
        async move {
            match self.check_inner(&domain, depth).await {
                Ok(d) => d,
                Err(Abort::Perm(msg)) => {
                    self.log(depth, TraceEvent::Error, &domain, msg);
                    Decision::plain(SpfResult::PermError)
                }
                Err(Abort::Temp(msg)) => {
                    self.log(depth, TraceEvent::Error, &domain, msg);
                    Decision::plain(SpfResult::TempError)
                }
            }
        }
        .boxed()
    }

    async fn check_inner(&mut self, domain: &str, depth: u32) -> Result<Decision, Abort> {
        let Some(record) = self.fetch_record(domain, depth).await? else {
            return Ok(Decision::plain(SpfResult::None));
        };
        if depth == 0 {
            self.top_record = Some(record.clone());
        }
        self.log(depth, TraceEvent::Record, domain, record.clone());
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
            self.lint_record(&parsed);
        }
        for directive in &parsed.directives {
            if directive.mechanism.queries_dns() {
                self.count_lookup(depth, domain, &directive.text)?;
            }
            let (matched, note) = self.mechanism(directive, domain, depth).await?;
            let step = self.log(depth, TraceEvent::Term, domain, directive.text.clone());
            step.matched = Some(matched);
            step.note = note;
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
        match (&parsed.redirect, has_all) {
            (Some(spec), false) => self.redirect(spec, domain, depth).await,
            _ => Ok(Decision::plain(SpfResult::Neutral)),
        }
    }

    /// The domain's one SPF record, or None (result `none`) when it has
    /// none; several records are a permerror, a DNS failure a temperror.
    async fn fetch_record(&mut self, domain: &str, depth: u32) -> Result<Option<String>, Abort> {
        if let Err(why) = valid_domain(domain) {
            let why = format!("'{domain}' is not a usable domain: {why}");
            self.log(depth, TraceEvent::Record, domain, why);
            return Ok(None);
        }
        let outcome = self.dns.lookup(domain, RecordType::Txt).await;
        let why = match &outcome {
            Outcome::Records(_) => None,
            Outcome::NxDomain => Some("no SPF record (the domain does not exist)"),
            Outcome::NoData => Some("no SPF record (no TXT records)"),
            Outcome::Failed(f) => {
                return Err(Abort::Temp(format!("TXT lookup for {domain} failed: {f}")));
            }
        };
        if let Some(why) = why {
            self.log(depth, TraceEvent::Record, domain, why);
            return Ok(None);
        }
        let mut records: Vec<String> = outcome
            .txts()
            .into_iter()
            .filter(|t| is_spf_record(t))
            .collect();
        match records.len() {
            0 => {
                self.log(
                    depth,
                    TraceEvent::Record,
                    domain,
                    "no SPF record (no TXT record starts with v=spf1)",
                );
                Ok(None)
            }
            1 => Ok(records.pop()),
            n => {
                if depth == 0 {
                    self.lint.push(format!(
                        "{domain} publishes {n} SPF records; there must be exactly one"
                    ));
                }
                Err(Abort::Perm(format!(
                    "{domain} has {n} SPF records (RFC 7208 §4.5: permerror)"
                )))
            }
        }
    }

    /// Warnings about the top record that do not change the result.
    fn lint_record(&mut self, parsed: &super::parse::Record) {
        let has = |f: &dyn Fn(&Directive) -> bool| parsed.directives.iter().any(f);
        if has(&|d| matches!(d.mechanism, Mechanism::Ptr(_))) {
            self.lint.push("the ptr mechanism is slow, unreliable and discouraged (RFC 7208 §5.5); use ip4/ip6 or a instead".into());
        }
        if has(&|d| d.mechanism == Mechanism::All && d.qualifier == Qualifier::Pass) {
            self.lint.push(
                "+all authorises every address on the internet to send as this domain".into(),
            );
        }
    }

    /// `redirect=`: the target's result replaces this record's (a target
    /// without a record is a permerror).
    async fn redirect(&mut self, spec: &str, domain: &str, depth: u32) -> Result<Decision, Abort> {
        let term = format!("redirect={spec}");
        self.count_lookup(depth, domain, &term)?;
        let target = self.expand_domain(spec, domain).await?;
        self.log(
            depth,
            TraceEvent::Redirect,
            domain,
            format!("redirect to {target}"),
        );
        let d = self.check(target.clone(), depth + 1).await;
        self.log(
            depth + 1,
            TraceEvent::Redirect,
            &target,
            format!("left {target}: {}", d.result),
        );
        if d.result == SpfResult::None {
            return Err(Abort::Perm(format!(
                "redirect target {target} has no SPF record"
            )));
        }
        Ok(d)
    }
}
