//! Reading SMTP rejections and bounces (RFC 5321 replies, RFC 3464 DSNs,
//! MTA log lines): normalising the text, extracting facts, classifying.

mod classify;
mod parse;

use std::net::IpAddr;

use serde::Serialize;

pub use classify::{Cause, Confidence, classify, provider, receiver_resolver_refused, zone};
pub use parse::{
    MAX_INPUT, client_ip, mask_dqs, mtas, normalize, reply_code, sender_domain, status_code,
};

/// Everything read from a rejection text.
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

/// Reads a rejection text.
pub fn read(input: &str) -> Facts {
    let text = normalize(input);
    let (cause, confidence, matched) = classify(&text);
    let (reporting_mta, remote_mta) = mtas(&text);
    let misconfigured = cause == Cause::Blocklist && receiver_resolver_refused(&text);
    Facts {
        cause,
        confidence,
        matched,
        reply_code: reply_code(&text),
        status: status_code(&text),
        ip: client_ip(&text),
        zone: if matches!(cause, Cause::Blocklist) {
            zone(&text)
        } else {
            None
        },
        sender_domain: sender_domain(&text),
        provider: provider(&text),
        reporting_mta,
        remote_mta,
        receiver_misconfigured: misconfigured,
    }
}
