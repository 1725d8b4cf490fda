//! RFC 3464 delivery-status fields: the per-message group (Reporting-MTA,
//! Arrival-Date, ...) and one group per recipient (Final-Recipient, Action,
//! Status, Remote-MTA, Diagnostic-Code), read from a `message/delivery-status`
//! part or from field lines pasted as text.

use std::sync::LazyLock;

use regex::Regex;

/// The per-message fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DsnMessage {
    /// Reporting-MTA (the host name).
    pub reporting_mta: Option<String>,
    /// Arrival-Date.
    pub arrival_date: Option<String>,
    /// X-Postfix-Sender and similar: the envelope sender.
    pub envelope_sender: Option<String>,
}

/// One recipient's fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DsnRecipient {
    /// Final-Recipient (the address).
    pub final_recipient: Option<String>,
    /// Original-Recipient (the address).
    pub original_recipient: Option<String>,
    /// Action, lowercase.
    pub action: Option<String>,
    /// Status (the code, without a comment).
    pub status: Option<String>,
    /// A comment after the status code, e.g. `5.1.10 (host/domain does not accept mail)`.
    pub status_comment: Option<String>,
    /// Remote-MTA (the host name or address).
    pub remote_mta: Option<String>,
    /// Diagnostic-Code, without its type (`smtp;`), lines joined.
    pub diagnostic: Option<String>,
}

impl DsnRecipient {
    /// The recipient address: Final-Recipient, else Original-Recipient.
    pub fn recipient(&self) -> Option<&str> {
        self.final_recipient
            .as_deref()
            .or(self.original_recipient.as_deref())
    }

    /// Whether this group reports a failure (or a delay), not a delivery.
    pub fn failed(&self) -> bool {
        match self.action.as_deref() {
            Some(a) => a.starts_with("failed") || a.starts_with("delayed"),
            None => self
                .status
                .as_deref()
                .is_none_or(|s| s.starts_with('4') || s.starts_with('5')),
        }
    }

    fn is_empty(&self) -> bool {
        *self == DsnRecipient::default()
    }
}

/// Everything read from delivery-status fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dsn {
    /// The per-message fields.
    pub message: DsnMessage,
    /// One entry per recipient group, in order.
    pub recipients: Vec<DsnRecipient>,
}

/// The fields this reader knows, lowercase.
const FIELDS: &[&str] = &[
    "reporting-mta",
    "arrival-date",
    "received-from-mta",
    "original-envelope-id",
    "x-postfix-sender",
    "x-original-message-id",
    "dsn-gateway",
    "final-recipient",
    "original-recipient",
    "action",
    "status",
    "remote-mta",
    "diagnostic-code",
    "last-attempt-date",
    "will-retry-until",
    "final-log-id",
    "x-actual-recipient",
];

/// Whether `line` starts a delivery-status field this reader knows.
pub fn is_field_line(line: &str) -> bool {
    field_name(line).is_some()
}

fn field_name(line: &str) -> Option<(&'static str, &str)> {
    let (name, value) = line.split_once(':')?;
    let lower = name.trim_end().to_ascii_lowercase();
    FIELDS
        .iter()
        .find(|f| **f == lower)
        .map(|f| (*f, value.trim()))
}

/// Whether the text holds delivery-status fields worth reading: a recipient
/// field, a diagnostic, or a status with a reporting or remote MTA.
pub fn has_fields(text: &str) -> bool {
    let mut names = Vec::new();
    for line in text.lines() {
        if let Some((name, _)) = field_name(line) {
            names.push(name);
        }
    }
    names.iter().any(|n| {
        matches!(
            *n,
            "final-recipient" | "original-recipient" | "diagnostic-code"
        )
    }) || (names.contains(&"status")
        && names
            .iter()
            .any(|n| matches!(*n, "reporting-mta" | "remote-mta" | "action")))
}

/// Strips an address type (`rfc822;`, `dns;`, `smtp;`) and angle brackets.
fn typed_value(v: &str) -> String {
    let v = match v.split_once(';') {
        Some((ty, rest)) if ty.len() <= 20 && !ty.contains(' ') && !ty.contains('@') => rest,
        _ => v,
    };
    v.trim().to_string()
}

fn address(v: &str) -> Option<String> {
    let v = typed_value(v);
    let v = v.trim_matches(|c| c == '<' || c == '>' || c == '"').trim();
    (v.contains('@') && !v.is_empty()).then(|| v.to_string())
}

/// A host name (or address) from `dns; host.example [192.0.2.1]`.
pub fn host(v: &str) -> Option<String> {
    static HOST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\[?([A-Za-z0-9](?:[A-Za-z0-9.:-]*[A-Za-z0-9])?)\]?").expect("valid regex")
    });
    let v = typed_value(v);
    HOST.captures(&v)
        .map(|c| c[1].trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| h.len() > 1)
}

fn status(v: &str) -> (Option<String>, Option<String>) {
    static STATUS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([245]\.\d{1,3}\.\d{1,3})\s*(.*)$").expect("valid regex"));
    match STATUS.captures(v.trim()) {
        Some(c) => {
            let comment = c[2]
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim();
            (
                Some(c[1].to_string()),
                (!comment.is_empty()).then(|| comment.to_string()),
            )
        }
        None => (None, None),
    }
}

/// Reads the fields of `text` (one field per line, continuation lines
/// start with white space; groups are separated by blank lines, or start
/// again when a recipient field repeats).
pub fn parse(text: &str) -> Dsn {
    let mut dsn = Dsn::default();
    let mut current = DsnRecipient::default();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut last: Option<(&'static str, String)> = None;
    let flush_field = |dsn: &mut Dsn, current: &mut DsnRecipient, field: Option<(&str, String)>| {
        if let Some((name, value)) = field {
            set(dsn, current, name, &value);
        }
    };
    for line in text.lines() {
        if line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            if let Some((_, v)) = &mut last {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        flush_field(&mut dsn, &mut current, last.take());
        if line.trim().is_empty() {
            if !current.is_empty() {
                dsn.recipients.push(std::mem::take(&mut current));
            }
            seen.clear();
            continue;
        }
        let Some((name, value)) = field_name(line) else {
            continue;
        };
        let per_recipient = FIELDS.iter().position(|f| *f == name)
            >= FIELDS.iter().position(|f| *f == "final-recipient");
        if per_recipient && seen.contains(&name) && !current.is_empty() {
            dsn.recipients.push(std::mem::take(&mut current));
            seen.clear();
        }
        if per_recipient {
            seen.push(name);
        }
        last = Some((name, value.to_string()));
    }
    flush_field(&mut dsn, &mut current, last.take());
    if !current.is_empty() {
        dsn.recipients.push(current);
    }
    dsn
}

fn set(dsn: &mut Dsn, r: &mut DsnRecipient, name: &str, value: &str) {
    let value = value.trim();
    match name {
        "reporting-mta" => {
            dsn.message.reporting_mta = dsn.message.reporting_mta.take().or(host(value))
        }
        "arrival-date" => dsn.message.arrival_date = Some(value.to_string()),
        "x-postfix-sender" => dsn.message.envelope_sender = address(value),
        "final-recipient" => r.final_recipient = address(value),
        "original-recipient" => r.original_recipient = address(value),
        "action" => r.action = Some(value.to_ascii_lowercase()),
        "status" => (r.status, r.status_comment) = status(value),
        "remote-mta" => r.remote_mta = host(value),
        "diagnostic-code" => {
            let d = typed_value(value);
            if !d.is_empty() {
                r.diagnostic = Some(d);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_message_and_per_recipient_groups() {
        let d = parse(
            "Reporting-MTA: dns; mx.example.org\nArrival-Date: Fri, 27 Nov 2026 10:00:00 +0000\nX-Postfix-Sender: rfc822; alice@example.org\n\nFinal-Recipient: rfc822; bob@example.net\nOriginal-Recipient: rfc822;bob@example.net\nAction: failed\nStatus: 5.7.1\nRemote-MTA: dns; mx.example.net [203.0.113.5]\nDiagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host\n    [192.0.2.10] blocked using zen.spamhaus.org\n\nFinal-Recipient: rfc822; carol@example.net\nAction: delivered\nStatus: 2.0.0\n",
        );
        assert_eq!(d.message.reporting_mta.as_deref(), Some("mx.example.org"));
        assert_eq!(
            d.message.envelope_sender.as_deref(),
            Some("alice@example.org")
        );
        assert_eq!(d.recipients.len(), 2);
        let r = &d.recipients[0];
        assert_eq!(r.recipient(), Some("bob@example.net"));
        assert_eq!(r.remote_mta.as_deref(), Some("mx.example.net"));
        assert_eq!(
            r.diagnostic.as_deref(),
            Some(
                "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org"
            )
        );
        assert!(r.failed());
        assert!(!d.recipients[1].failed());
    }

    #[test]
    fn groups_without_blank_lines_and_status_comments() {
        let d = parse(
            "Reporting-MTA: dns; a.example\nFinal-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.10 (host/domain does not accept mail)\nFinal-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 4.4.7\n",
        );
        assert_eq!(d.recipients.len(), 2);
        assert_eq!(d.recipients[0].status.as_deref(), Some("5.1.10"));
        assert_eq!(
            d.recipients[0].status_comment.as_deref(),
            Some("host/domain does not accept mail")
        );
        assert_eq!(d.recipients[1].recipient(), Some("b@example.net"));
        assert!(has_fields("Status: 5.7.1\nRemote-MTA: dns; x.example\n"));
        assert!(!has_fields("Status: ok\nSubject: hello\n"));
        assert_eq!(host("dns;[192.0.2.1]").as_deref(), Some("192.0.2.1"));
        assert_eq!(
            host("DNS; Mx.Example.NET.").as_deref(),
            Some("mx.example.net")
        );
    }
}
