//! `explain`: from a rejection text to a cause, live evidence, and the steps
//! that fix it.

use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

use crate::bounce::{self, Cause, Confidence, Facts};
use crate::catalog::{Catalog, Role, Zone};
use crate::config::EngineOptions;
use crate::dmarc::{DmarcReport, Policy};
use crate::dns::Dns;
use crate::engine;
use crate::rdns::{Fcrdns, RdnsReport};
use crate::report::{Status, ZoneResult};
use crate::spf::{self, SpfOutput, SpfResult};
use crate::target::Target;

/// Verification states (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    /// The cause is visible now.
    Confirmed,
    /// Checked, and the cause is not visible now.
    NotReproduced,
    /// Nothing to check, or DNS gave no usable answer.
    Unverifiable,
    /// `--offline`.
    Skipped,
}

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// A zone's answer for the IP.
    Zone(ZoneResult),
    /// SPF for the sender domain and the IP.
    Spf(SpfOutput),
    /// The sender domain's DMARC policy.
    Dmarc(DmarcReport),
    /// Reverse DNS of the IP.
    Rdns(RdnsReport),
}

/// What was checked live.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verification {
    /// confirmed, not_reproduced, unverifiable or skipped.
    pub status: VerifyStatus,
    /// A sentence saying what was seen.
    pub summary: String,
    /// The evidence.
    pub details: Vec<Detail>,
    /// True when verification failed for lack of DNS answers.
    #[serde(skip)]
    pub dns_failed: bool,
}

/// The `explain` report (DESIGN.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The cause.
    pub cause: Cause,
    /// How sure the classification is.
    pub confidence: Confidence,
    /// The phrase that decided.
    pub matched: Option<String>,
    /// The SMTP reply code.
    pub reply_code: Option<u16>,
    /// The enhanced status code.
    pub status: Option<String>,
    /// The rejected client IP.
    pub ip: Option<String>,
    /// The blocklist zone named (DQS keys masked).
    pub zone: Option<String>,
    /// The list's name from the catalog.
    pub list_name: Option<String>,
    /// The sender's domain.
    pub sender_domain: Option<String>,
    /// The receiving provider or MTA.
    pub provider: Option<String>,
    /// The MTA that wrote the bounce.
    pub reporting_mta: Option<String>,
    /// The receiver's MTA that refused.
    pub remote_mta: Option<String>,
    /// The receiver's text shows its own resolver was refused by the list.
    pub receiver_misconfigured: bool,
    /// What was checked live.
    pub verification: Verification,
    /// Steps, most effective first.
    pub advice: Vec<String>,
}

/// Facts the user supplies or overrides.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--ip`.
    pub ip: Option<IpAddr>,
    /// `--sender` (a domain).
    pub sender: Option<String>,
    /// `--helo`.
    pub helo: Option<String>,
    /// `--offline`.
    pub offline: bool,
}

/// Reads `text` and verifies the cause against live DNS.
pub async fn explain(
    dns: Option<Arc<dyn Dns>>,
    catalog: &Catalog,
    selected: &[Zone],
    text: &str,
    over: &Overrides,
    opts: &EngineOptions,
) -> Explanation {
    let mut facts: Facts = bounce::read_with(text, catalog);
    if over.ip.is_some() {
        facts.ip = over.ip;
    }
    if let Some(s) = &over.sender {
        facts.sender_domain = Some(s.clone());
    }
    // A keyed zone (a DQS key in the bounce is the receiver's) is checked
    // on its public mirror.
    let named_zone: Option<Zone> = facts
        .zone
        .as_deref()
        .and_then(|z| catalog.public_zone_for(z))
        .cloned();
    let verification = match dns {
        Some(dns) if !over.offline => {
            verify(dns, selected, named_zone.as_ref(), &facts, over, opts).await
        }
        _ => Verification {
            status: VerifyStatus::Skipped,
            summary: "not checked (--offline)".into(),
            details: vec![],
            dns_failed: false,
        },
    };
    let advice = advise(&facts, named_zone.as_ref(), &verification);
    Explanation {
        cause: facts.cause,
        confidence: facts.confidence,
        matched: facts.matched.as_deref().map(bounce::mask_dqs),
        reply_code: facts.reply_code,
        status: facts.status.clone(),
        ip: facts.ip.map(|i| i.to_string()),
        zone: facts.zone.as_deref().map(bounce::mask_dqs),
        list_name: named_zone.as_ref().map(|z| z.name.clone()),
        sender_domain: facts.sender_domain.clone(),
        provider: facts.provider.map(str::to_string),
        reporting_mta: facts.reporting_mta.clone(),
        remote_mta: facts.remote_mta.clone(),
        receiver_misconfigured: facts.receiver_misconfigured,
        verification,
        advice,
    }
}

async fn verify(
    dns: Arc<dyn Dns>,
    selected: &[Zone],
    named: Option<&Zone>,
    facts: &Facts,
    over: &Overrides,
    opts: &EngineOptions,
) -> Verification {
    let mut details = Vec::new();
    let mut status = VerifyStatus::Unverifiable;
    let mut summary: String;
    let mut dns_failed = false;
    let spf_needed = matches!(facts.cause, Cause::Spf | Cause::Dmarc);
    let mut spf_out: Option<SpfOutput> = None;
    if let (true, Some(ip), Some(domain)) = (spf_needed, facts.ip, &facts.sender_domain) {
        let req = spf::Request::for_domain(ip, domain, None, over.helo.as_deref());
        spf_out = Some(spf::check_host(dns.as_ref(), &req).await);
    }
    match facts.cause {
        Cause::Blocklist => match facts.ip {
            None => summary = "no client IP in the text (pass --ip) to check the lists with".into(),
            Some(ip) => {
                let mut zones: Vec<Zone> = selected.iter().filter(|z| z.targets == crate::target::TargetKind::Ip).cloned().collect();
                if let Some(n) = named
                    && !zones.iter().any(|z| z.zone == n.zone)
                {
                    zones.insert(0, n.clone());
                }
                let report = engine::check(Arc::clone(&dns), &zones, &[Target::Ip(ip)], opts).await.remove(0);
                let listed: Vec<&ZoneResult> = report
                    .results
                    .iter()
                    .filter(|r| r.status == Status::Listed && r.role == Role::Block)
                    .collect();
                let named_result = named.and_then(|n| report.results.iter().find(|r| r.zone == n.zone));
                (status, summary) = match (named_result, listed.is_empty()) {
                    (Some(r), _) if r.status == Status::Listed => (
                        VerifyStatus::Confirmed,
                        format!("{ip} is listed on {} now ({})", r.zone, r.meanings.join("; ")),
                    ),
                    (_, false) => (
                        VerifyStatus::Confirmed,
                        format!(
                            "{ip} is listed now on {}",
                            listed.iter().map(|r| r.zone.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ),
                    (Some(r), true) if r.status == Status::NotListed => (
                        VerifyStatus::NotReproduced,
                        format!("{ip} is not listed on {} now", r.zone),
                    ),
                    (Some(r), true) => {
                        dns_failed = true;
                        (
                            VerifyStatus::Unverifiable,
                            format!("{} gave no usable answer: {}", r.zone, r.detail.as_deref().unwrap_or(r.status.as_str())),
                        )
                    }
                    (None, true) if report.verdict == crate::report::Verdict::Clean => (
                        VerifyStatus::NotReproduced,
                        format!("{ip} is not listed on any of {} lists now", report.results.len()),
                    ),
                    (None, true) => {
                        dns_failed = true;
                        (VerifyStatus::Unverifiable, format!("{ip} is not listed where asked, but some lists gave no usable answer"))
                    }
                };
                details.extend(report.results.into_iter().map(Detail::Zone));
            }
        },
        Cause::Spf => match &spf_out {
            None => summary = "the client IP and the sender domain are both needed to check SPF (pass --ip, --sender)".into(),
            Some(s) => {
                (status, summary) = match s.result {
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::PermError => (
                        VerifyStatus::Confirmed,
                        format!("SPF for {} and {} is {} now", s.domain, s.ip, s.result),
                    ),
                    SpfResult::TempError => {
                        dns_failed = true;
                        (VerifyStatus::Unverifiable, format!("SPF for {} gave temperror (no usable DNS answer)", s.domain))
                    }
                    _ => (
                        VerifyStatus::NotReproduced,
                        format!("SPF for {} and {} is {} now", s.domain, s.ip, s.result),
                    ),
                };
            }
        },
        Cause::Dmarc => match &facts.sender_domain {
            None => summary = "no sender domain in the text (pass --sender) to check DMARC with".into(),
            Some(domain) => {
                let pass = spf_out.as_ref().is_some_and(|s| s.result == SpfResult::Pass);
                let d = crate::dmarc::check(dns.as_ref(), domain, pass.then_some(domain.as_str())).await;
                (status, summary) = match &d {
                    None => (VerifyStatus::NotReproduced, format!("{domain} publishes no DMARC policy now")),
                    Some(r) if r.lookup_failed() => {
                        dns_failed = true;
                        (VerifyStatus::Unverifiable, r.error.as_ref().map(ToString::to_string).unwrap_or_default())
                    }
                    Some(r) if matches!(r.policy, Some(Policy::Reject | Policy::Quarantine)) && !r.aligned => (
                        VerifyStatus::Confirmed,
                        format!(
                            "{domain} has p={} and SPF {} for the client: only an aligned DKIM signature can pass DMARC",
                            r.policy.map(Policy::as_str).unwrap_or(""),
                            if spf_out.is_some() { "does not pass" } else { "could not be checked" }
                        ),
                    ),
                    Some(r) => (
                        VerifyStatus::NotReproduced,
                        format!("{domain} has p={} and SPF aligns", r.policy.map(Policy::as_str).unwrap_or("?")),
                    ),
                };
                if let Some(r) = d {
                    details.push(Detail::Dmarc(r));
                }
            }
        },
        _ => summary = "nothing public to check for this cause".into(),
    }
    if let Some(s) = spf_out {
        details.push(Detail::Spf(s));
    }
    if let Some(ip) = facts.ip {
        let r = crate::rdns::check(dns.as_ref(), ip).await;
        let rdns_cause = facts.cause == Cause::PolicyOther
            && facts.matched.as_deref().is_some_and(|m| {
                let m = m.to_ascii_lowercase();
                m.contains("ptr")
                    || m.contains("reverse")
                    || m.contains("hostname")
                    || m.contains("5.7.25")
            });
        if rdns_cause {
            (status, summary) = match r.fcrdns {
                Fcrdns::None | Fcrdns::Fail => (
                    VerifyStatus::Confirmed,
                    r.detail.clone().unwrap_or_default(),
                ),
                Fcrdns::Pass => (
                    VerifyStatus::NotReproduced,
                    format!(
                        "{ip} has forward-confirmed reverse DNS now ({})",
                        r.ptr.join(", ")
                    ),
                ),
                _ => {
                    dns_failed = true;
                    (
                        VerifyStatus::Unverifiable,
                        r.detail.clone().unwrap_or_default(),
                    )
                }
            };
        }
        details.push(Detail::Rdns(r));
    }
    Verification {
        status,
        summary,
        details,
        dns_failed,
    }
}

fn advise(facts: &Facts, named: Option<&Zone>, v: &Verification) -> Vec<String> {
    let mut advice = Vec::new();
    let ip = facts
        .ip
        .map(|i| i.to_string())
        .unwrap_or_else(|| "the sending IP".into());
    if facts.receiver_misconfigured {
        advice.push(format!(
            "The receiver's own DNS resolver is refused by the list (Spamhaus answers 127.255.255.254 'open resolver' to public resolvers): this rejection does not show that {ip} is listed. Ask the receiver's postmaster to query through their own resolver or a Spamhaus DQS key."
        ));
    }
    for d in &v.details {
        if let Detail::Zone(z) = d
            && z.status == Status::Listed
            && z.role == Role::Block
        {
            let url = z
                .lookup_url
                .clone()
                .unwrap_or_else(|| "the list's website".into());
            advice.push(format!(
                "Request removal from {} ({}) at {url}, after fixing what got {ip} listed: {}",
                z.name,
                z.zone,
                z.meanings.join("; ")
            ));
        }
    }
    match facts.cause {
        Cause::Blocklist if v.status == VerifyStatus::NotReproduced => advice.push(format!(
            "{ip} is not listed now{}: the listing has expired or been removed. Retry; if the receiver still refuses, its resolver may cache the old answer, so send its postmaster the rejection and the time.",
            named.map(|z| format!(" on {}", z.zone)).unwrap_or_default()
        )),
        Cause::Blocklist if v.status == VerifyStatus::Confirmed => advice.push(
            "Find the cause before asking for removal (a compromised account or host, an open relay, a spam run), or the listing comes back.".into(),
        ),
        _ => {}
    }
    for d in &v.details {
        match d {
            Detail::Spf(s) if matches!(s.result, SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral) => {
                let mech = if s.ip.contains(':') { format!("ip6:{}", s.ip) } else { format!("ip4:{}", s.ip) };
                let budget = crate::spf::MAX_DNS_LOOKUPS.saturating_sub(s.dns_lookups);
                advice.push(format!(
                    "Authorise {} in the SPF record of {}: add {mech} before {} (the record already uses {} of {} DNS lookups; {budget} left, and ip4/ip6 cost none).",
                    s.ip,
                    s.domain,
                    s.mechanism.as_deref().unwrap_or("the end of the record"),
                    s.dns_lookups,
                    crate::spf::MAX_DNS_LOOKUPS
                ));
            }
            Detail::Spf(s) if s.result == SpfResult::PermError => advice.push(format!(
                "Fix the SPF record of {}: it gives permerror, which many receivers treat as fail ({}).",
                s.domain,
                s.lint.join("; ")
            )),
            Detail::Dmarc(d) if facts.cause == Cause::Dmarc => advice.push(format!(
                "Make DMARC pass for {}: send with a MAIL FROM domain under {} whose SPF authorises {ip}, or sign with DKIM as d={} (policy p={}{}).",
                facts.sender_domain.as_deref().unwrap_or("the From domain"),
                d.org_domain,
                facts.sender_domain.as_deref().unwrap_or("the From domain"),
                d.policy.map(Policy::as_str).unwrap_or("?"),
                d.pct.map(|p| format!(", pct={p}")).unwrap_or_default()
            )),
            Detail::Rdns(r) if r.fcrdns != Fcrdns::Pass => advice.push(format!(
                "Fix reverse DNS for {ip}: {} Ask whoever holds the address block for a PTR record naming a host under your domain that resolves back to {ip}.",
                r.detail.clone().unwrap_or_default()
            )),
            Detail::Rdns(r) => {
                for n in r.names.iter().filter(|n| n.generic.is_some()) {
                    advice.push(format!(
                        "The PTR name {} looks generic ({}): large receivers treat such names as end-user addresses. Use a name like mail.<your domain>.",
                        n.name,
                        n.generic.as_deref().unwrap_or("")
                    ));
                }
            }
            _ => {}
        }
    }
    match facts.cause {
        Cause::ReputationOther => advice.push(match facts.provider {
            Some("microsoft") => "Microsoft's own block list: request delisting at https://sender.office.com/ and watch the IP in Microsoft SNDS.".into(),
            Some("gmail") => "Gmail's own reputation: check Google Postmaster Tools, authenticate with SPF, DKIM and DMARC, and cut complaint rates and volume spikes.".into(),
            Some("yahoo") => "Yahoo's own reputation (deferral): slow down, remove inactive recipients, and see https://senders.yahooinc.com/.".into(),
            Some("proofpoint") => format!("Proofpoint's own list: check {ip} at https://ipcheck.proofpoint.com/ and request removal there."),
            _ => "The receiver's own reputation system blocked the mail: no public list names it. Ask its postmaster, with the full rejection, what to fix.".into(),
        }),
        Cause::Relay => advice.push("The server refused to relay: it is not the destination of this recipient, or it needs you to authenticate. Check the recipient domain's MX and your outgoing server (smarthost) settings.".into()),
        Cause::AuthRequired => advice.push("Authenticate before sending: SMTP AUTH over STARTTLS (usually port 587) with your mail account.".into()),
        Cause::Unknown | Cause::PolicyOther if advice.is_empty() => advice.push(
            "Send the receiver's postmaster the full rejection, the time and the sending IP, and ask which policy refused it.".into(),
        ),
        _ => {}
    }
    if v.status == VerifyStatus::NotReproduced && !matches!(facts.cause, Cause::Blocklist) {
        advice.push("Nothing is visible now: if the rejection persists, ask the receiver's postmaster with the full text and the time.".into());
    }
    advice
}
