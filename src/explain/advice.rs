//! What to do about a diagnosis, most effective first: the receiver's own
//! advice from the rejection knowledge, then what the live checks showed
//! (removal pages with the IP filled in, the SPF mechanism to add, DMARC
//! alignment, reverse DNS), then what to ask the receiver.

use crate::bounce::{self, Cause};
use crate::catalog::Role;
use crate::dmarc::Policy;
use crate::rdns::Fcrdns;
use crate::report::Status;
use crate::spf::{self, SpfResult};

use super::verify::{Detail, DkimKey, Verification, VerifyStatus};

/// The steps for `d`, given what verification found.
pub(super) fn advise(d: &bounce::Diagnosis, sender: Option<&str>, v: &Verification) -> Vec<String> {
    let ip =
        d.ip.map(|i| i.to_string())
            .unwrap_or_else(|| "the sending IP".into());
    let mut advice = Vec::new();
    if d.receiver_misconfigured {
        advice.push(format!(
            "The receiver's own DNS resolver is refused by the list (Spamhaus answers 127.255.255.254 'open resolver' to public resolvers): the rejection does not show that {ip} is listed. Ask the receiver's postmaster to query through their own resolver or a Spamhaus DQS key."
        ));
    }
    advice.extend(list_steps(d, &ip, v));
    for detail in &v.details {
        advice.extend(detail_step(d.cause, detail, &ip, sender));
    }
    if let Some(a) = &d.advice {
        let link = d
            .link
            .as_deref()
            .map(|l| format!(" (see {l})"))
            .unwrap_or_default();
        advice.push(format!("{a}{link}"));
    }
    advice.extend(fallback(d, v, advice.is_empty()));
    advice
}

/// Removal pages for the lists that list the IP; what a clean or
/// unreachable named list means.
fn list_steps(d: &bounce::Diagnosis, ip: &str, v: &Verification) -> Vec<String> {
    let mut steps = Vec::new();
    for detail in &v.details {
        let Detail::Zone(z) = detail else { continue };
        let page = z.lookup_url.as_deref().unwrap_or("the list's website");
        if z.status == Status::Listed && z.role == Role::Block {
            steps.push(format!(
                "Request removal from {} ({}) at {page}, after fixing what got {ip} listed: {}",
                z.name,
                z.zone,
                z.meanings.join("; ")
            ));
        }
    }
    if d.cause != Cause::Blocklist {
        return steps;
    }
    let named = d.list.as_ref().map(|l| bounce::mask_dqs(&l.name));
    match v.status {
        VerifyStatus::Confirmed => steps.push(
            "Find the cause before asking for removal (a compromised account or host, an open relay, a spam run), or the listing comes back.".into(),
        ),
        VerifyStatus::NotReproduced if !d.receiver_misconfigured => steps.push(format!(
            "{ip} is not listed now{}: the listing has expired or been removed. Retry; if the receiver still refuses, its resolver may cache the old answer, so send its postmaster the rejection and the time.",
            named.as_deref().map(|n| format!(" on {n}")).unwrap_or_default()
        )),
        VerifyStatus::Unverifiable if v.lookup_failed => {
            if let (Some(n), Some(link)) = (&named, &d.link) {
                steps.push(format!("{n} could not be asked from here: look {ip} up at {link} and request removal there if it is listed."));
            }
        }
        _ => {}
    }
    steps
}

/// A step from one piece of evidence.
fn detail_step(cause: Cause, detail: &Detail, ip: &str, sender: Option<&str>) -> Option<String> {
    match detail {
        Detail::Spf(s) if matches!(s.result, SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral) => {
            let mech = if s.ip.contains(':') { format!("ip6:{}", s.ip) } else { format!("ip4:{}", s.ip) };
            let budget = spf::MAX_DNS_LOOKUPS.saturating_sub(s.dns_lookups);
            Some(format!(
                "Authorise {} in the SPF record of {}: add {mech} before {} (the record already uses {} of {} DNS lookups; {budget} left, and ip4/ip6 cost none).",
                s.ip,
                s.domain,
                s.mechanism.as_deref().unwrap_or("the end of the record"),
                s.dns_lookups,
                spf::MAX_DNS_LOOKUPS
            ))
        }
        Detail::Spf(s) if s.result == SpfResult::PermError => Some(format!(
            "Fix the SPF record of {}: it gives permerror, which many receivers treat as fail ({}).",
            s.domain,
            s.lint.join("; ")
        )),
        Detail::Dmarc(d) if cause == Cause::Dmarc => {
            let from = sender.unwrap_or("the From domain");
            Some(format!(
                "Make DMARC pass for {from}: send with a MAIL FROM domain under {} whose SPF authorises {ip}, or sign with DKIM as d={from} (policy p={}{}).",
                d.org_domain,
                d.policy.map_or("?", Policy::as_str),
                d.pct.map(|p| format!(", pct={p}")).unwrap_or_default()
            ))
        }
        Detail::Dkim(k) if cause == Cause::Dmarc && k.key != DkimKey::Published && k.key != DkimKey::Unchecked => Some(format!(
            "The original was signed with DKIM as d={} s={}, but that key is {}: publish it at {}._domainkey.{}.",
            k.domain,
            k.selector,
            k.key,
            k.selector,
            k.domain
        )),
        Detail::Rdns(r) if r.fcrdns != Fcrdns::Pass && r.fcrdns != Fcrdns::Error => Some(format!(
            "Fix reverse DNS for {ip}: {} Ask whoever holds the address block for a PTR record naming a host under your domain that resolves back to {ip}.",
            r.detail.clone().unwrap_or_default()
        )),
        Detail::Rdns(r) => r.names.iter().find(|n| n.generic.is_some()).map(|n| format!(
            "The PTR name {} looks generic ({}): large receivers treat such names as end-user addresses. Use a name like mail.<your domain>.",
            n.name,
            n.generic.as_deref().unwrap_or("")
        )),
        _ => None,
    }
}

/// What to do when nothing more specific applies.
fn fallback(d: &bounce::Diagnosis, v: &Verification, nothing_yet: bool) -> Option<String> {
    match d.cause {
        Cause::NotPolicy if nothing_yet => Some(
            "This is not a policy rejection: no list, SPF or reputation problem to fix. Check the recipient address, or retry later if the receiver's side is at fault.".into(),
        ),
        Cause::Relay if nothing_yet => Some("The server refused to relay: it is not the destination of this recipient, or it needs you to authenticate. Check the recipient domain's MX and your outgoing server (smarthost) settings.".into()),
        Cause::AuthRequired if nothing_yet => Some("Authenticate before sending: SMTP AUTH over STARTTLS (usually port 587) with your mail account.".into()),
        Cause::ReputationOther if nothing_yet => Some("The receiver's own reputation system blocked the mail: no public list names it. Ask its postmaster, with the full rejection, what to fix.".into()),
        Cause::Unknown | Cause::PolicyOther if nothing_yet => Some(
            "Send the receiver's postmaster the full rejection, the time and the sending IP, and ask which policy refused it.".into(),
        ),
        Cause::Blocklist | Cause::NotPolicy => None,
        _ if v.status == VerifyStatus::NotReproduced => Some("Nothing is visible now: if the rejection persists, ask the receiver's postmaster with the full text and the time.".into()),
        _ => None,
    }
}
