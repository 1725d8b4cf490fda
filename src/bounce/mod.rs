//! Reading bounces and rejections: whole bounce messages (RFC 6522
//! multipart/report with RFC 3464 delivery-status, and the bounces that are
//! not: qmail, Exim, Sendmail, Exchange, Gmail, Lotus, plain text), pasted
//! replies and MTA log lines.
//!
//! Structure comes before words: the receiver's text is found by the
//! bounce's structure (the delivery-status `Diagnostic-Code`, `host X said:`,
//! a transcript), per failed recipient, and the returned message is never
//! read as evidence of the cause, only for facts about the original mail
//! (its From: domain, Return-Path, DKIM signatures). The cause comes from
//! rejection knowledge kept as data (`lists/rejections/*.toml`), and the list
//! a bounce names from the zone catalog (`aliases`).

mod diagnose;
mod dsn;
mod human;
mod knowledge;
mod lists;
mod mailbox;
mod matcher;
mod message;
mod original;
mod parse;

use std::net::IpAddr;

use serde::Serialize;

pub use diagnose::{Diagnosis, Facts, Reader, Report, diagnose, read, read_with};
pub use knowledge::{
    BUILTIN_FILES as KNOWLEDGE_FILES, Cause, Confidence, Knowledge, KnowledgeError,
    NOT_POLICY_REASONS, Provider, Rule, Stage,
};
pub use lists::{ListIndex, NamedList};
pub use mailbox::{read_maildir, read_paths, split_mbox};
pub use matcher::{Query, RuleMatch};
pub use original::{DkimSignature, Original};
pub use parse::{MAX_INPUT, client_ip, mask_dqs, reply_code, sender_domain, status_code};

/// At most this many failures are read from one bounce (MTAs take at most
/// a few hundred recipients per message).
pub const MAX_FAILURES: usize = 1000;

/// A diagnostic is matched on at most this many bytes (real ones are a few
/// hundred): rules then cost the same on any input.
const MAX_DIAGNOSTIC: usize = 32 * 1024;

/// Why an input is not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BounceError {
    /// Nothing but white space.
    #[error("the input is empty: paste the rejection or the bounce")]
    Empty,
    /// Over `MAX_INPUT`.
    #[error("the input is larger than {} MiB: paste the rejection or the bounce, not a mailbox", MAX_INPUT / 1024 / 1024)]
    TooLarge,
}

/// How the receiver's text was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// RFC 3464 delivery-status fields (per recipient).
    Dsn,
    /// A bounce's human-readable structure (recipient blocks, transcripts, markers).
    Bounce,
    /// Pasted text: a reply, a log line, a ticket.
    Text,
}

/// One failed recipient (or several that share a block), as read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    /// The recipients (may be empty: a pasted reply names none).
    pub recipients: Vec<String>,
    /// The DSN Action (`failed`, `delayed`).
    pub action: Option<String>,
    /// The enhanced status code: the diagnostic's own, else the DSN's Status.
    pub status: Option<String>,
    /// The receiver's host.
    pub remote_mta: Option<String>,
    /// The receiver's text, cleaned (DQS keys kept: mask before output).
    pub diagnostic: String,
    /// The basic reply code.
    pub reply_code: Option<u16>,
    /// The SMTP stage the refusal came at.
    pub stage: Option<Stage>,
    /// The rejected client IP.
    pub client_ip: Option<IpAddr>,
    /// A DNS zone the text names explicitly (`blocked using ZONE`, `listed at ZONE`).
    pub zone: Option<String>,
    /// The sender's domain as the receiver's text gives it.
    pub sender_domain: Option<String>,
    /// Text around the diagnostic (not evidence; for facts only).
    #[serde(skip)]
    pub context: String,
}

/// A bounce (or a pasted rejection), read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bounce {
    /// The MTA that wrote the bounce.
    pub reporting_mta: Option<String>,
    /// The DSN's Arrival-Date.
    pub arrival_date: Option<String>,
    /// The envelope sender (X-Postfix-Sender, `MAIL FROM:<...>` in a transcript).
    pub envelope_sender: Option<String>,
    /// Facts about the original mail, from the returned message.
    pub original: Original,
    /// How the receiver's text was found.
    pub form: Form,
    /// The failures, one per recipient (or block).
    pub failures: Vec<Failure>,
}

/// Reads a bounce message or a pasted text (any bytes; invalid UTF-8 is
/// tolerated). Refuses empty input and input over `MAX_INPUT`.
pub fn parse(bytes: &[u8]) -> Result<Bounce, BounceError> {
    if bytes.len() > MAX_INPUT {
        return Err(BounceError::TooLarge);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(BounceError::Empty);
    }
    if message::looks_like_message(bytes)
        && let Some(parts) = message::read(bytes)
    {
        let human: Vec<String> = parts
            .human
            .iter()
            .map(|h| h.replace("\r\n", "\n"))
            .collect();
        let dsn_text = parts.dsn.join("\n\n").replace("\r\n", "\n");
        let mut b = build(&human.join("\n\n"), &dsn_text, false);
        b.original.merge(parts.original);
        if b.failures.iter().any(|f| !f.diagnostic.is_empty()) {
            return Ok(b);
        }
        // The MIME structure gave nothing (a broken boundary, say): read the
        // body as text, headers left out.
        let mut plain = build(&plain_text(body_after_headers(bytes)), "", false);
        if plain.failures.iter().any(|f| !f.diagnostic.is_empty()) {
            plain.original.merge(b.original);
            return Ok(plain);
        }
        return Ok(b);
    }
    Ok(build(&plain_text(bytes), "", true))
}

/// Pasted bytes as text: CRLF made LF, quoted-printable decoded when the
/// text shows it.
fn plain_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    if text.contains("=\n") || text.to_ascii_lowercase().contains("quoted-printable") {
        parse::decode_qp(&text)
    } else {
        text
    }
}

/// A message's bytes after its header block.
fn body_after_headers(bytes: &[u8]) -> &[u8] {
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4);
    let start = match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(bytes.len()),
    };
    &bytes[start..]
}

/// Builds a bounce from its human-readable text and delivery-status text.
fn build(human_text: &str, dsn_text: &str, pasted: bool) -> Bounce {
    let human = human::read(human_text);
    let mut fields = dsn::parse(dsn_text);
    if fields.recipients.is_empty() {
        let (before, _) = human::cut_returned(human_text);
        if dsn::has_fields(before) {
            let inline = dsn::parse(before);
            fields.recipients = inline.recipients;
            if fields.message == dsn::DsnMessage::default() {
                fields.message = inline.message;
            }
        }
    }
    let original = human
        .returned
        .as_deref()
        .map(original::from_text)
        .unwrap_or_default();
    let (form, mut failures) = failures(&fields, &human, pasted);
    failures.truncate(MAX_FAILURES);
    Bounce {
        reporting_mta: fields.message.reporting_mta.clone(),
        arrival_date: fields.message.arrival_date.clone(),
        envelope_sender: fields
            .message
            .envelope_sender
            .clone()
            .or(human.envelope_sender.clone()),
        original,
        form,
        failures,
    }
}

/// The human block for a DSN recipient: the one naming it, else the only
/// one, else the diagnostic not tied to a block.
fn block_for<'h>(
    human: &'h human::Human,
    recipient: Option<&str>,
    single: bool,
) -> Option<&'h human::Block> {
    let named = recipient.and_then(|r| {
        human
            .blocks
            .iter()
            .find(|b| b.recipients.iter().any(|x| x.eq_ignore_ascii_case(r)))
    });
    named
        .or_else(|| (human.blocks.len() == 1).then(|| &human.blocks[0]))
        .or_else(|| single.then_some(human.global.as_ref()).flatten())
}

fn failures(fields: &dsn::Dsn, human: &human::Human, pasted: bool) -> (Form, Vec<Failure>) {
    let global_stage = human.global.as_ref().and_then(|g| g.stage);
    if !fields.recipients.is_empty() {
        let failed: Vec<&dsn::DsnRecipient> =
            fields.recipients.iter().filter(|r| r.failed()).collect();
        let single = failed.len() == 1;
        let out = failed
            .iter()
            .map(|r| {
                let block = block_for(human, r.recipient(), single);
                let diagnostic = r
                    .diagnostic
                    .as_deref()
                    .map(human::clean)
                    .filter(|d| !d.is_empty())
                    .map(|d| completed(d, [block, human.global.as_ref()]))
                    .or_else(|| block.map(|b| b.diagnostic.clone()))
                    .or_else(|| r.status_comment.clone())
                    .unwrap_or_default();
                let src = Source {
                    block,
                    dsn: r,
                    context: &human.text,
                    raw: r.diagnostic.as_deref().unwrap_or(""),
                    global_stage,
                };
                failure(
                    r.recipient().map(str::to_string).into_iter().collect(),
                    diagnostic,
                    &src,
                )
            })
            .collect();
        return (Form::Dsn, out);
    }
    let none = dsn::DsnRecipient::default();
    let mut out: Vec<Failure> = human
        .blocks
        .iter()
        .map(|b| {
            let src = Source {
                block: Some(b),
                dsn: &none,
                context: &b.context,
                raw: "",
                global_stage,
            };
            failure(b.recipients.clone(), b.diagnostic.clone(), &src)
        })
        .collect();
    if !human.pending.is_empty() || out.is_empty() {
        let g = human.global.as_ref();
        let diagnostic = match g {
            Some(g) => g.diagnostic.clone(),
            None if human.pending.is_empty() => whole_text(&human.text),
            None => String::new(),
        };
        if !diagnostic.is_empty() || !human.pending.is_empty() {
            let src = Source {
                block: g,
                dsn: &none,
                context: &human.text,
                raw: "",
                global_stage,
            };
            out.push(failure(human.pending.clone(), diagnostic, &src));
        }
    }
    let form = if pasted && human.blocks.is_empty() && human.pending.is_empty() {
        Form::Text
    } else {
        Form::Bounce
    };
    (form, out)
}

/// A DSN's Diagnostic-Code is sometimes only the first line of a multi-line
/// reply: when the human-readable text holds the same reply in full (it
/// starts with the same words and goes on), that is the diagnostic.
fn completed(dsn: String, human: [Option<&human::Block>; 2]) -> String {
    let key = dsn.to_ascii_lowercase();
    human
        .into_iter()
        .flatten()
        .map(|b| &b.diagnostic)
        .filter(|h| h.len() > dsn.len() && h.to_ascii_lowercase().starts_with(&key))
        .max_by_key(|h| h.len())
        .cloned()
        .unwrap_or(dsn)
}

/// The first `max` bytes of `text` (at a character boundary).
fn prefix(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The whole text as the receiver's text (a pasted line, a ticket).
fn whole_text(text: &str) -> String {
    prefix(text, MAX_DIAGNOSTIC)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a failure's facts come from besides its diagnostic.
struct Source<'a> {
    /// The human-readable block it was found in.
    block: Option<&'a human::Block>,
    /// Its delivery-status fields (empty when there are none).
    dsn: &'a dsn::DsnRecipient,
    /// The text around it.
    context: &'a str,
    /// The diagnostic as written (a DSN's Diagnostic-Code before cleaning,
    /// which still says `(in reply to DATA command)`).
    raw: &'a str,
    /// The stage the bounce's text shows as a whole.
    global_stage: Option<Stage>,
}

fn failure(recipients: Vec<String>, mut diagnostic: String, src: &Source<'_>) -> Failure {
    if diagnostic.len() > MAX_DIAGNOSTIC {
        diagnostic = whole_text(&diagnostic);
    }
    // `host X said: 550 ...` (Postfix's X-Postfix diagnostics): the facts
    // around the reply are read from the whole, the reply is the diagnostic.
    let stage = src
        .block
        .and_then(|b| b.stage)
        .or_else(|| human::stage(src.raw))
        .or_else(|| human::stage(&diagnostic))
        .or(src.global_stage);
    let remote_from_text = human::remote_host(src.raw).or_else(|| human::remote_host(&diagnostic));
    if let Some(reply) = human::reply_after_prefix(&diagnostic) {
        diagnostic = reply;
    }
    let block = src.block;
    let context = prefix(
        block.map_or(src.context, |b| b.context.as_str()),
        MAX_DIAGNOSTIC,
    )
    .to_string();
    let client_ip = client_ip(&diagnostic).or_else(|| parse::client_ip_strong(&context));
    Failure {
        recipients,
        action: src.dsn.action.clone(),
        status: status_code(&diagnostic).or(src.dsn.status.clone()),
        remote_mta: src
            .dsn
            .remote_mta
            .clone()
            .or_else(|| block.and_then(|b| b.remote_mta.clone()))
            .or(remote_from_text),
        reply_code: reply_code(&diagnostic),
        stage,
        client_ip,
        zone: lists::explicit_zone(&diagnostic),
        sender_domain: sender_domain(&diagnostic),
        diagnostic,
        context,
    }
}

#[cfg(test)]
mod tests;
