//! Facts about the original mail, read from the returned message (a
//! `message/rfc822` or `text/rfc822-headers` part, or an inline copy after a
//! marker). These are facts about what was sent, never evidence of why it
//! was refused.

use std::sync::LazyLock;

use mail_parser::{Message, MessageParser};
use regex::Regex;
use serde::Serialize;

/// A DKIM signature on the original mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DkimSignature {
    /// `d=`: the signing domain.
    pub domain: String,
    /// `s=`: the selector.
    pub selector: String,
}

/// What the returned message shows about the original mail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Original {
    /// The From: domain (what DMARC judges).
    pub from_domain: Option<String>,
    /// The Return-Path domain (the envelope sender SPF judges).
    pub return_path_domain: Option<String>,
    /// DKIM-Signature `d=` and `s=` pairs.
    pub dkim: Vec<DkimSignature>,
    /// Message-ID, without angle brackets.
    pub message_id: Option<String>,
}

impl Original {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        *self == Original::default()
    }

    /// Fills what `self` lacks from `other`.
    pub fn merge(&mut self, other: Original) {
        self.from_domain = self.from_domain.take().or(other.from_domain);
        self.return_path_domain = self.return_path_domain.take().or(other.return_path_domain);
        if self.dkim.is_empty() {
            self.dkim = other.dkim;
        }
        self.message_id = self.message_id.take().or(other.message_id);
    }
}

/// The domain of the (last) address in a header value such as
/// `Name <user@Example.ORG>` or `<user@example.org>`.
pub fn address_domain(value: &str) -> Option<String> {
    static ADDR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[^\s<>()\[\],;:@]+@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)")
            .expect("valid regex")
    });
    // Prefer the address in angle brackets; else the last address.
    let inner = value
        .rfind('<')
        .and_then(|s| value[s..].find('>').map(|e| &value[s + 1..s + e]))
        .filter(|s| s.contains('@'))
        .unwrap_or(value);
    ADDR.captures_iter(inner)
        .last()
        .map(|c| c[1].trim_end_matches('.').to_ascii_lowercase())
}

fn dkim(value: &str) -> Option<DkimSignature> {
    let mut domain = None;
    let mut selector = None;
    for tag in value.split(';') {
        let Some((k, v)) = tag.split_once('=') else {
            continue;
        };
        let v: String = v.split_whitespace().collect();
        match k.trim() {
            "d" if !v.is_empty() => domain = Some(v.to_ascii_lowercase()),
            "s" if !v.is_empty() => selector = Some(v),
            _ => {}
        }
    }
    Some(DkimSignature {
        domain: domain?,
        selector: selector?,
    })
}

/// Facts from a parsed message's own headers.
pub fn from_message(msg: &Message<'_>) -> Original {
    let mut o = Original::default();
    let Some(root) = msg.parts.first() else {
        return o;
    };
    let raw = msg.raw_message.as_ref();
    for h in &root.headers {
        let value = raw
            .get(h.offset_start as usize..h.offset_end as usize)
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match h.name().to_ascii_lowercase().as_str() {
            "from" if o.from_domain.is_none() => o.from_domain = address_domain(&value),
            "return-path" if o.return_path_domain.is_none() => {
                o.return_path_domain = address_domain(&value)
            }
            "dkim-signature" => o.dkim.extend(dkim(&value)),
            "message-id" if o.message_id.is_none() => {
                let id = value.trim().trim_start_matches('<').trim_end_matches('>');
                if !id.is_empty() {
                    o.message_id = Some(id.to_string());
                }
            }
            _ => {}
        }
    }
    o
}

/// Facts from header text (a `text/rfc822-headers` part or an inline copy).
pub fn from_text(text: &str) -> Original {
    // Headers start at the first line that looks like one.
    let start = text
        .lines()
        .scan(0usize, |off, l| {
            let here = *off;
            *off += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| {
            l.split_once(':').is_some_and(|(n, _)| {
                !n.is_empty()
                    && n.len() < 60
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        })
        .map(|(off, _)| off)
        .unwrap_or(text.len());
    let slice = text.get(start..).unwrap_or("");
    match MessageParser::new().parse_headers(slice.as_bytes()) {
        Some(m) => from_message(&m),
        None => Original::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_return_path_dkim_and_message_id() {
        let o = from_text(
            "\n\nReturn-Path: <bounce@mail.Example.ORG>\nDKIM-Signature: v=1; a=rsa-sha256; d=example.org;\n s=sel1; h=from:to; bh=x; b=y\nDKIM-Signature: v=1; d=esp.example; s=k2; b=z\nFrom: \"Alice, A.\" <alice@Example.org>\nMessage-ID: <abc@example.org>\nSubject: DMARC test\n\nbody\n",
        );
        assert_eq!(o.from_domain.as_deref(), Some("example.org"));
        assert_eq!(o.return_path_domain.as_deref(), Some("mail.example.org"));
        assert_eq!(
            o.dkim,
            vec![
                DkimSignature {
                    domain: "example.org".into(),
                    selector: "sel1".into()
                },
                DkimSignature {
                    domain: "esp.example".into(),
                    selector: "k2".into()
                }
            ]
        );
        assert_eq!(o.message_id.as_deref(), Some("abc@example.org"));
        assert!(from_text("no headers here").is_empty());
        assert_eq!(
            address_domain("x@a.example, Bob <bob@b.example>").as_deref(),
            Some("b.example")
        );
    }
}
