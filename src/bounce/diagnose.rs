//! From a read bounce to diagnoses: one per distinct diagnostic (the
//! recipients that share it grouped), each with its cause, the rule and
//! phrase that decided, the list named, and the facts to verify it with.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::LazyLock;

use serde::Serialize;

use super::knowledge::{Cause, Confidence, Knowledge, Stage};
use super::lists::{ListIndex, NamedList};
use super::matcher::{Query, RuleMatch};
use super::original::{DkimSignature, Original, address_domain};
use super::parse::mask_dqs;
use super::{Bounce, Failure, Form};
use crate::catalog::Catalog;

/// The reason a rule gives when the receiver's own resolver was refused by
/// the list (so the sender is probably not listed at all).
const RESOLVER_REFUSED: &str = "receiver_resolver_refused";

/// One diagnosis: a cause for one or more failed recipients.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnosis {
    /// The recipients this diagnostic is for.
    pub recipients: Vec<String>,
    /// The DSN Action.
    pub action: Option<String>,
    /// The enhanced status code.
    pub status: Option<String>,
    /// The basic reply code.
    pub reply_code: Option<u16>,
    /// The receiver's host.
    pub remote_mta: Option<String>,
    /// The SMTP stage of the refusal.
    pub stage: Option<Stage>,
    /// The receiver's text (DQS keys masked).
    pub diagnostic: String,
    /// The cause.
    pub cause: Cause,
    /// A finer reason (`not_policy` always has one).
    pub reason: Option<String>,
    /// How sure.
    pub confidence: Confidence,
    /// The phrase or code that decided (DQS keys masked).
    pub matched: Option<String>,
    /// The rule that decided (None for a list named, or nothing matched).
    pub rule: Option<String>,
    /// What the rejection means.
    pub meaning: Option<String>,
    /// The provider's or list's page, with the IP or domain filled in.
    pub link: Option<String>,
    /// What to do.
    pub advice: Option<String>,
    /// Where the knowledge comes from.
    pub source: Option<String>,
    /// The receiving provider (id), when detected.
    pub provider: Option<String>,
    /// The provider's name.
    pub provider_name: Option<String>,
    /// The rejected client IP.
    pub ip: Option<IpAddr>,
    /// The DNS list the text names.
    pub list: Option<NamedList>,
    /// The sender's domain as the receiver's text gives it.
    pub sender_domain: Option<String>,
    /// The text shows the receiver's own resolver was refused by the list.
    pub receiver_misconfigured: bool,
}

/// Everything read from one bounce: message facts once, then diagnoses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The MTA that wrote the bounce.
    pub reporting_mta: Option<String>,
    /// The DSN's Arrival-Date.
    pub arrival_date: Option<String>,
    /// The envelope sender's domain (X-Postfix-Sender, the transcript's MAIL FROM).
    pub envelope_sender_domain: Option<String>,
    /// Facts about the original mail (From: domain, Return-Path, DKIM).
    pub original: Original,
    /// How the receiver's text was found.
    pub form: Form,
    /// The receiving provider, when every diagnosis agrees on one.
    pub provider: Option<String>,
    /// One per distinct diagnostic.
    pub diagnoses: Vec<Diagnosis>,
}

impl Report {
    /// The domain to verify a diagnosis with: the receiver's own word
    /// first; then for SPF the envelope sender (Return-Path), for DMARC
    /// and the rest the From: domain.
    pub fn sender_domain_for(&self, d: &Diagnosis) -> Option<String> {
        let envelope = self
            .envelope_sender_domain
            .clone()
            .or(self.original.return_path_domain.clone());
        let from = self.original.from_domain.clone();
        d.sender_domain.clone().or(match d.cause {
            Cause::Spf => envelope.or(from),
            _ => from.or(envelope),
        })
    }
}

/// Reads diagnoses with a catalog and rejection knowledge.
#[derive(Debug)]
pub struct Reader<'a> {
    knowledge: &'a Knowledge,
    lists: ListIndex<'a>,
}

impl<'a> Reader<'a> {
    /// A reader with the built-in rejection knowledge.
    pub fn new(catalog: &'a Catalog) -> Reader<'a> {
        Reader::with_knowledge(catalog, Knowledge::builtin())
    }

    /// A reader with other rejection knowledge.
    pub(crate) fn with_knowledge(catalog: &'a Catalog, knowledge: &'a Knowledge) -> Reader<'a> {
        Reader {
            knowledge,
            lists: ListIndex::new(catalog),
        }
    }

    /// The diagnoses of a bounce: failures with the same diagnostic text and
    /// status are classified once and listed as one diagnosis.
    pub fn diagnose(&self, bounce: &Bounce) -> Report {
        let mut diagnoses: Vec<Diagnosis> = Vec::new();
        let mut index: HashMap<(&str, Option<&str>), usize> = HashMap::new();
        let mut seen: Vec<HashSet<String>> = Vec::new();
        for f in &bounce.failures {
            let key = (f.diagnostic.as_str(), f.status.as_deref());
            let i = match index.get(&key) {
                Some(i) => *i,
                None => {
                    let mut d = self.classify(f);
                    d.recipients.clear();
                    diagnoses.push(d);
                    seen.push(HashSet::new());
                    index.insert(key, diagnoses.len() - 1);
                    diagnoses.len() - 1
                }
            };
            for r in &f.recipients {
                if seen[i].insert(r.to_ascii_lowercase()) {
                    diagnoses[i].recipients.push(mask_dqs(r));
                }
            }
        }
        let provider = match diagnoses.first().and_then(|d| d.provider.clone()) {
            Some(p) if diagnoses.iter().all(|d| d.provider.as_deref() == Some(&p)) => Some(p),
            _ => None,
        };
        let o = &bounce.original;
        Report {
            reporting_mta: mask_opt(&bounce.reporting_mta),
            arrival_date: bounce.arrival_date.clone(),
            envelope_sender_domain: mask_opt(
                &bounce.envelope_sender.as_deref().and_then(address_domain),
            ),
            original: Original {
                from_domain: mask_opt(&o.from_domain),
                return_path_domain: mask_opt(&o.return_path_domain),
                dkim: o
                    .dkim
                    .iter()
                    .map(|k| DkimSignature {
                        domain: mask_dqs(&k.domain),
                        selector: k.selector.clone(),
                    })
                    .collect(),
                message_id: mask_opt(&o.message_id),
            },
            form: bounce.form,
            provider,
            diagnoses,
        }
    }

    /// The diagnosis of one failure.
    pub fn classify(&self, f: &Failure) -> Diagnosis {
        let text = f.diagnostic.as_str();
        let hosts: Vec<&str> = f.remote_mta.iter().map(String::as_str).collect();
        let detected = self.knowledge.detect(text, &hosts);
        let q = Query {
            text,
            status: f.status.as_deref(),
            reply: f.reply_code,
            stage: f.stage,
            hosts,
        };
        let best = self.knowledge.best_match(&q, &detected);
        let list = self.lists.find(text);
        let mut d = Diagnosis {
            recipients: f.recipients.iter().map(|r| mask_dqs(r)).collect(),
            action: f.action.clone(),
            status: f.status.clone(),
            reply_code: f.reply_code,
            remote_mta: mask_opt(&f.remote_mta),
            stage: f.stage,
            diagnostic: mask_dqs(text),
            cause: Cause::Unknown,
            reason: None,
            confidence: Confidence::Low,
            matched: None,
            rule: None,
            meaning: None,
            link: None,
            advice: None,
            source: None,
            provider: detected.first().map(|p| p.id.clone()),
            provider_name: detected.first().map(|p| p.name.clone()),
            ip: f.client_ip,
            list: None,
            sender_domain: mask_opt(&f.sender_domain),
            receiver_misconfigured: false,
        };
        // A provider's own rule, or a blocklist rule, keeps its verdict; any
        // other rule gives way to a list the text names.
        let rule_first = best
            .as_ref()
            .is_some_and(|m| m.provider_detected || m.rule.cause == Cause::Blocklist);
        match (best, &list) {
            (Some(m), None) => self.apply_rule(&mut d, &m),
            (Some(m), Some(_)) if rule_first => self.apply_rule(&mut d, &m),
            (_, Some(l)) => self.apply_list(&mut d, l),
            (None, None) => {}
        }
        d.receiver_misconfigured = d.cause == Cause::Blocklist
            && self.knowledge.rules.iter().any(|r| {
                r.reason.as_deref() == Some(RESOLVER_REFUSED)
                    && r.pattern.as_ref().is_some_and(|p| p.is_match(text))
            });
        d.list = list;
        d
    }

    fn apply_rule(&self, d: &mut Diagnosis, m: &RuleMatch<'_>) {
        let r = m.rule;
        d.cause = r.cause;
        d.reason = r.reason.clone();
        d.confidence = r.confidence;
        d.matched = Some(mask_dqs(&m.matched));
        d.rule = Some(r.id.clone());
        d.meaning = Some(r.meaning.clone());
        d.link = r
            .link
            .as_deref()
            .map(|l| fill(l, d.ip, d.sender_domain.as_deref()));
        d.advice = Some(r.advice.clone());
        d.source = Some(r.source.clone());
        // A provider's own wording names the provider, detected or not.
        if let Some(p) = r
            .provider
            .as_deref()
            .and_then(|p| self.knowledge.provider(p))
        {
            d.provider = Some(p.id.clone());
            d.provider_name = Some(p.name.clone());
        }
    }

    fn apply_list(&self, d: &mut Diagnosis, l: &NamedList) {
        let name = l.list_name.clone().unwrap_or_else(|| mask_dqs(&l.name));
        d.cause = Cause::Blocklist;
        d.reason = Some("dnsbl_listed".into());
        d.confidence = Confidence::High;
        d.matched = Some(mask_dqs(&l.matched));
        d.meaning = Some(format!(
            "The receiver refused the mail because the DNS list {name} lists the sending IP or domain."
        ));
        d.link = l
            .query
            .as_deref()
            .and_then(|q| self.lists.lookup_url(q))
            .map(|u| u.replace("{target}", &d.ip.map(|i| i.to_string()).unwrap_or_default()));
        d.advice = Some(format!(
            "Look the IP up on {name}, fix what got it listed (a compromised account or host, an open relay, a spam run), then request removal there."
        ));
        d.source = Some("the zone catalog (lists/*.toml)".into());
    }
}

/// A DQS key is the receiver's secret: masked in everything a report shows.
fn mask_opt(v: &Option<String>) -> Option<String> {
    v.as_deref().map(mask_dqs)
}

/// Fills `{ip}` and `{domain}` in a link.
fn fill(link: &str, ip: Option<IpAddr>, domain: Option<&str>) -> String {
    link.replace("{ip}", &ip.map(|i| i.to_string()).unwrap_or_default())
        .replace("{domain}", domain.unwrap_or(""))
}

/// The diagnoses of a bounce, with the built-in rejection knowledge.
pub fn diagnose(bounce: &Bounce, catalog: &Catalog) -> Report {
    Reader::new(catalog).diagnose(bounce)
}

/// What `explain` reads from a rejection: the first diagnosis, with the
/// message's facts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Facts {
    /// The cause.
    pub cause: Cause,
    /// How sure.
    pub confidence: Confidence,
    /// The phrase that decided.
    pub matched: Option<String>,
    /// The SMTP reply code.
    pub reply_code: Option<u16>,
    /// The enhanced status code.
    pub status: Option<String>,
    /// The rejected client IP.
    pub ip: Option<IpAddr>,
    /// The blocklist zone named (DQS keys kept; mask before output).
    pub zone: Option<String>,
    /// The sender's domain.
    pub sender_domain: Option<String>,
    /// The receiving provider or MTA.
    pub provider: Option<&'static str>,
    /// The MTA that wrote the bounce.
    pub reporting_mta: Option<String>,
    /// The receiver's MTA that refused.
    pub remote_mta: Option<String>,
    /// The receiver's text shows its own resolver was refused by the list.
    pub receiver_misconfigured: bool,
}

impl Facts {
    fn unknown() -> Facts {
        Facts {
            cause: Cause::Unknown,
            confidence: Confidence::Low,
            matched: None,
            reply_code: None,
            status: None,
            ip: None,
            zone: None,
            sender_domain: None,
            provider: None,
            reporting_mta: None,
            remote_mta: None,
            receiver_misconfigured: false,
        }
    }
}

/// Reads a rejection text with the built-in catalog.
pub fn read(input: &str) -> Facts {
    static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);
    static READER: LazyLock<Reader<'static>> = LazyLock::new(|| Reader::new(&CATALOG));
    facts(input, &READER)
}

/// Reads a rejection text: the first diagnosis and the message's facts.
/// Empty or oversized input gives `unknown`.
pub fn read_with(input: &str, catalog: &Catalog) -> Facts {
    facts(input, &Reader::new(catalog))
}

fn facts(input: &str, reader: &Reader<'_>) -> Facts {
    let Ok(bounce) = super::parse(input.as_bytes()) else {
        return Facts::unknown();
    };
    let report = reader.diagnose(&bounce);
    let Some(d) = report.diagnoses.first() else {
        return Facts {
            reporting_mta: report.reporting_mta.clone(),
            ..Facts::unknown()
        };
    };
    let knowledge = Knowledge::builtin();
    Facts {
        cause: d.cause,
        confidence: d.confidence,
        matched: d.matched.clone(),
        reply_code: d.reply_code,
        status: d.status.clone(),
        ip: d.ip,
        zone: (d.cause == Cause::Blocklist)
            .then(|| d.list.as_ref().map(|l| l.name.clone()))
            .flatten(),
        sender_domain: report.sender_domain_for(d),
        provider: d
            .provider
            .as_deref()
            .and_then(|p| knowledge.provider(p))
            .map(|p| p.id.as_str()),
        reporting_mta: report.reporting_mta.clone(),
        remote_mta: d.remote_mta.clone(),
        receiver_misconfigured: d.receiver_misconfigured,
    }
}
