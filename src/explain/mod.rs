//! `explain`: from a bounce or a rejection text to one diagnosis per failed
//! recipient, each checked live against the claim the bounce makes, with the
//! steps that fix it.
//!
//! Reading (structure, causes, named lists) is `bounce`'s; this module
//! verifies ([`verify`]) and advises ([`advice`]). Many bounces (files, a
//! Maildir, an mbox) share one [`Verifier`], so each distinct (IP, list),
//! SPF, DMARC or reverse-DNS question is asked once.

mod advice;
mod verify;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::bounce::{self, Cause, Confidence, Form, Stage};

pub use verify::{Detail, DkimCheck, DkimKey, Verification, Verifier, VerifyStatus};

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

/// One diagnosis: the failed recipients that share a diagnostic, what the
/// receiver said, what it means, what was checked, and what to do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnosed {
    /// The failed recipients (empty when the text names none).
    pub recipients: Vec<String>,
    /// The DSN Action (`failed`, `delayed`).
    pub action: Option<String>,
    /// The enhanced status code.
    pub status: Option<String>,
    /// The SMTP reply code.
    pub reply_code: Option<u16>,
    /// The receiver's host that refused.
    pub remote_mta: Option<String>,
    /// The SMTP stage of the refusal.
    pub stage: Option<Stage>,
    /// The receiver's own words (DQS keys masked).
    pub diagnostic: String,
    /// The cause.
    pub cause: Cause,
    /// A finer reason from the rejection knowledge (`user_unknown`, `reverse_dns`...).
    pub reason: Option<String>,
    /// How sure the classification is.
    pub confidence: Confidence,
    /// The phrase that decided.
    pub matched: Option<String>,
    /// The rule of `lists/rejections/` that decided.
    pub rule: Option<String>,
    /// What the rejection means, in plain words.
    pub meaning: Option<String>,
    /// The receiver's own help, lookup or delisting page.
    pub link: Option<String>,
    /// The receiving provider or filter.
    pub provider: Option<String>,
    /// The rejected client IP.
    pub ip: Option<String>,
    /// The list the text names (DQS keys masked).
    pub zone: Option<String>,
    /// The list's name from the catalog.
    pub list_name: Option<String>,
    /// The sender domain checked (the receiver's word, else the returned
    /// message's Return-Path for SPF, From: for the rest).
    pub sender_domain: Option<String>,
    /// The text shows the receiver's own resolver was refused by the list.
    pub receiver_misconfigured: bool,
    /// What was checked live.
    pub verification: Verification,
    /// Steps, most effective first.
    pub advice: Vec<String>,
}

/// One input (a bounce message or a pasted rejection), explained. The
/// fields before `form` are those of its first diagnosis, so a script that
/// reads one rejection needs nothing else.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// Where the input came from (a file, `file#N` in an mbox); null for stdin.
    pub source: Option<String>,
    /// The first diagnosis' cause.
    pub cause: Cause,
    /// Its confidence.
    pub confidence: Confidence,
    /// Its deciding phrase.
    pub matched: Option<String>,
    /// Its reply code.
    pub reply_code: Option<u16>,
    /// Its enhanced status code.
    pub status: Option<String>,
    /// Its client IP.
    pub ip: Option<String>,
    /// Its named list.
    pub zone: Option<String>,
    /// Its list's name.
    pub list_name: Option<String>,
    /// Its sender domain.
    pub sender_domain: Option<String>,
    /// The receiving provider.
    pub provider: Option<String>,
    /// The MTA that wrote the bounce.
    pub reporting_mta: Option<String>,
    /// The first diagnosis' remote MTA.
    pub remote_mta: Option<String>,
    /// The first diagnosis' resolver flag.
    pub receiver_misconfigured: bool,
    /// The first diagnosis' verification.
    pub verification: Verification,
    /// The first diagnosis' advice.
    pub advice: Vec<String>,
    /// How the receiver's text was found: `dsn`, `bounce` or `text`.
    pub form: Form,
    /// The DSN's Arrival-Date.
    pub arrival_date: Option<String>,
    /// Facts about the original mail, from the returned message.
    pub original: OriginalReport,
    /// Every diagnosis, one per distinct diagnostic.
    pub diagnoses: Vec<Diagnosed>,
}

/// What the returned message shows about the original mail, with its DKIM
/// keys checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OriginalReport {
    /// The From: domain (what DMARC judges).
    pub from_domain: Option<String>,
    /// The Return-Path domain (what SPF judges).
    pub return_path_domain: Option<String>,
    /// Message-ID.
    pub message_id: Option<String>,
    /// Each DKIM-Signature's domain and selector, and whether its key is published.
    pub dkim: Vec<DkimCheck>,
}

/// Reads and explains one input. `Err` when it is empty or too large.
pub async fn explain(
    verifier: &mut Verifier<'_>,
    source: Option<String>,
    bytes: &[u8],
    over: &Overrides,
) -> Result<Explanation, bounce::BounceError> {
    let parsed = bounce::parse(bytes)?;
    let report = bounce::Reader::new(verifier.catalog()).diagnose(&parsed);
    let dkim = verifier.dkim_keys(&report.original.dkim).await;
    let mut diagnoses = Vec::new();
    for d in &report.diagnoses {
        diagnoses.push(diagnosed(verifier, &report, d, over).await);
    }
    let o = &report.original;
    let original = OriginalReport {
        from_domain: o.from_domain.clone(),
        return_path_domain: o.return_path_domain.clone(),
        message_id: o.message_id.clone(),
        dkim,
    };
    Ok(Explanation::new(source, &report, original, diagnoses))
}

/// Verifies and advises one diagnosis.
async fn diagnosed(
    verifier: &mut Verifier<'_>,
    report: &bounce::Report,
    d: &bounce::Diagnosis,
    over: &Overrides,
) -> Diagnosed {
    let mut d = d.clone();
    if over.ip.is_some() {
        d.ip = over.ip;
    }
    let sender = over.sender.clone().or_else(|| report.sender_domain_for(&d));
    let verification = verifier.verify(&d, sender.as_deref(), report).await;
    let advice = advice::advise(&d, sender.as_deref(), &verification);
    let named = d.list.as_ref();
    Diagnosed {
        recipients: d.recipients.clone(),
        action: d.action.clone(),
        status: d.status.clone(),
        reply_code: d.reply_code,
        remote_mta: d.remote_mta.clone(),
        stage: d.stage,
        diagnostic: d.diagnostic.clone(),
        cause: d.cause,
        reason: d.reason.clone(),
        confidence: d.confidence,
        matched: d.matched.clone(),
        rule: d.rule.clone(),
        meaning: d.meaning.clone(),
        link: d.link.clone(),
        provider: d.provider.clone(),
        ip: d.ip.map(|i| i.to_string()),
        zone: named.map(|l| bounce::mask_dqs(&l.name)),
        list_name: named.and_then(|l| l.list_name.clone()),
        sender_domain: sender,
        receiver_misconfigured: d.receiver_misconfigured,
        verification,
        advice,
    }
}

impl Explanation {
    fn new(
        source: Option<String>,
        report: &bounce::Report,
        original: OriginalReport,
        diagnoses: Vec<Diagnosed>,
    ) -> Explanation {
        let first = diagnoses.first();
        let get = |f: fn(&Diagnosed) -> Option<String>| first.and_then(f);
        Explanation {
            source,
            cause: first.map_or(Cause::Unknown, |d| d.cause),
            confidence: first.map_or(Confidence::Low, |d| d.confidence),
            matched: get(|d| d.matched.clone()),
            reply_code: first.and_then(|d| d.reply_code),
            status: get(|d| d.status.clone()),
            ip: get(|d| d.ip.clone()),
            zone: get(|d| d.zone.clone()),
            list_name: get(|d| d.list_name.clone()),
            sender_domain: get(|d| d.sender_domain.clone()),
            provider: report.provider.clone().or(get(|d| d.provider.clone())),
            reporting_mta: report.reporting_mta.clone(),
            remote_mta: get(|d| d.remote_mta.clone()),
            receiver_misconfigured: first.is_some_and(|d| d.receiver_misconfigured),
            verification: first.map_or_else(Verification::nothing, |d| d.verification.clone()),
            advice: first.map(|d| d.advice.clone()).unwrap_or_default(),
            form: report.form,
            arrival_date: report.arrival_date.clone(),
            original,
            diagnoses,
        }
    }

    /// This explanation cut to one of its diagnoses (an NDJSON line).
    pub fn only(&self, i: usize) -> Explanation {
        let d = self.diagnoses[i].clone();
        Explanation {
            cause: d.cause,
            confidence: d.confidence,
            matched: d.matched.clone(),
            reply_code: d.reply_code,
            status: d.status.clone(),
            ip: d.ip.clone(),
            zone: d.zone.clone(),
            list_name: d.list_name.clone(),
            sender_domain: d.sender_domain.clone(),
            provider: d.provider.clone().or(self.provider.clone()),
            remote_mta: d.remote_mta.clone(),
            receiver_misconfigured: d.receiver_misconfigured,
            verification: d.verification.clone(),
            advice: d.advice.clone(),
            diagnoses: vec![d],
            ..self.clone()
        }
    }
}

/// What many explanations add up to: counts per cause, per list, per
/// receiving provider, and per verification status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExplainSummary {
    /// Inputs explained.
    pub inputs: u64,
    /// Inputs that could not be read (empty, too large), with why.
    pub unreadable: Vec<String>,
    /// Diagnoses in all.
    pub diagnoses: u64,
    /// Diagnoses per cause (with the reason for not_policy).
    pub causes: BTreeMap<String, u64>,
    /// Diagnoses per named list.
    pub lists: BTreeMap<String, u64>,
    /// Diagnoses per receiving provider.
    pub providers: BTreeMap<String, u64>,
    /// Diagnoses per verification status.
    pub verified: BTreeMap<String, u64>,
    /// Whether some verification failed for lack of DNS answers.
    pub lookup_failed: bool,
}

impl ExplainSummary {
    /// Counts an explanation.
    pub fn add(&mut self, e: &Explanation) {
        self.inputs += 1;
        for d in &e.diagnoses {
            self.diagnoses += 1;
            let cause = match (&d.cause, &d.reason) {
                (Cause::NotPolicy, Some(r)) => format!("not_policy ({r})"),
                (c, _) => c.as_str().to_string(),
            };
            *self.causes.entry(cause).or_default() += 1;
            if let Some(l) = d.list_name.clone().or(d.zone.clone()) {
                *self.lists.entry(l).or_default() += 1;
            }
            let provider = d.provider.clone().or(e.provider.clone());
            *self
                .providers
                .entry(provider.unwrap_or_else(|| "unknown".into()))
                .or_default() += 1;
            *self
                .verified
                .entry(d.verification.status.as_str().to_string())
                .or_default() += 1;
            self.lookup_failed |= d.verification.lookup_failed;
        }
    }

    /// The exit status: 1 when a cause was confirmed live, 3 when some
    /// verification failed for lack of DNS answers, else 0.
    pub fn exit_status(&self) -> crate::report::ExitStatus {
        use crate::report::ExitStatus;
        if self.verified.contains_key(VerifyStatus::Confirmed.as_str()) {
            ExitStatus::Listed
        } else if self.lookup_failed {
            ExitStatus::Incomplete
        } else {
            ExitStatus::Clean
        }
    }
}
