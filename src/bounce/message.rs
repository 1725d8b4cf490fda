//! A bounce that is a whole message: its MIME parts sorted into the
//! human-readable text, the delivery-status fields and the returned message
//! (multipart/report, RFC 6522), with transfer encodings and charsets
//! decoded by mail-parser.

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::original::{self, Original};

/// MIME parts deeper than this are not read.
const MAX_DEPTH: usize = 12;
/// At most this many parts are looked at.
const MAX_PARTS: usize = 500;

/// A message's parts, sorted.
#[derive(Clone, Debug, Default)]
pub struct Parts {
    /// text/plain parts (or text/html with the markup removed when there is no plain text).
    pub human: Vec<String>,
    /// message/delivery-status bodies.
    pub dsn: Vec<String>,
    /// Facts from the returned message.
    pub original: Original,
    /// Whether a returned message (part) was seen.
    pub has_returned: bool,
}

/// Whether `bytes` start like a message (a header block with headers a
/// message has), rather than a pasted reply or DSN fields.
pub fn looks_like_message(bytes: &[u8]) -> bool {
    const HEADERS: &[&str] = &[
        "from",
        "to",
        "subject",
        "date",
        "received",
        "return-path",
        "message-id",
        "mime-version",
        "content-type",
        "delivery-date",
        "envelope-to",
        "x-failed-recipients",
        "auto-submitted",
        "delivered-to",
    ];
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty()).peekable();
    if lines.peek().is_some_and(|l| l.starts_with("From ")) {
        lines.next();
    }
    let mut known = false;
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || name.len() > 76 || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return false;
        }
        known |= HEADERS.contains(&name.to_ascii_lowercase().as_str());
    }
    known
}

/// Parses a message and sorts its parts. None when mail-parser finds no
/// message (or fails).
pub fn read(bytes: &[u8]) -> Option<Parts> {
    // A defence in depth: a parser bug must not take the caller down.
    let parsed = std::panic::catch_unwind(|| {
        let msg = MessageParser::new().parse(bytes)?;
        Some(sort(&msg))
    });
    parsed.ok().flatten()
}

fn sort(msg: &Message<'_>) -> Parts {
    let mut parts = Parts::default();
    let mut html = Vec::new();
    let mut seen = 0usize;
    walk(msg, 0, 0, &mut parts, &mut html, &mut seen);
    if parts.human.iter().all(|h| h.trim().is_empty()) {
        parts.human = html.iter().map(|h| strip_html(h)).collect();
    }
    parts
}

fn walk(
    msg: &Message<'_>,
    id: usize,
    depth: usize,
    out: &mut Parts,
    html: &mut Vec<String>,
    seen: &mut usize,
) {
    *seen += 1;
    if depth > MAX_DEPTH || *seen > MAX_PARTS {
        return;
    }
    let Some(part) = msg.parts.get(id) else {
        return;
    };
    let (ctype, subtype) = content_type(part);
    match &part.body {
        PartType::Multipart(children) => {
            for child in children {
                walk(msg, *child as usize, depth + 1, out, html, seen);
            }
        }
        PartType::Text(text) => match (ctype.as_str(), subtype.as_str()) {
            ("text", "rfc822-headers")
            | ("message", "rfc822-headers")
            | ("text", "global-headers") => {
                out.has_returned = true;
                out.original.merge(original::from_text(text));
            }
            ("message", "delivery-status") | ("message", "global-delivery-status") => {
                out.dsn.push(text.to_string())
            }
            ("text", "plain") | ("", "") => out.human.push(text.to_string()),
            _ => {}
        },
        PartType::Html(text) => html.push(text.to_string()),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            match (ctype.as_str(), subtype.as_str()) {
                ("message", "delivery-status") | ("message", "global-delivery-status") => {
                    out.dsn.push(String::from_utf8_lossy(bytes).into_owned())
                }
                ("message", "rfc822")
                | ("message", "global")
                | ("message", "rfc822-headers")
                | ("text", "rfc822-headers") => {
                    out.has_returned = true;
                    out.original
                        .merge(original::from_text(&String::from_utf8_lossy(bytes)));
                }
                _ => {}
            }
        }
        PartType::Message(inner) => {
            out.has_returned = true;
            out.original.merge(original::from_message(inner));
        }
    }
}

fn content_type(part: &MessagePart<'_>) -> (String, String) {
    match part.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("").to_ascii_lowercase(),
        ),
        None => (String::new(), String::new()),
    }
}

/// Text from HTML: tags and style/script blocks removed, common entities decoded.
pub(crate) fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        let lower: String = after
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let skip_to = if lower.starts_with("<style") || lower.starts_with("<script") {
            let close = if lower.starts_with("<style") {
                "</style"
            } else {
                "</script"
            };
            after
                .to_ascii_lowercase()
                .find(close)
                .map(|p| p + close.len())
        } else {
            Some(0)
        };
        let from = skip_to.unwrap_or(after.len());
        match after[from..].find('>') {
            Some(gt) => {
                let tag = &after[..from + gt];
                if tag.len() > 1
                    && tag[1..]
                        .to_ascii_lowercase()
                        .starts_with(['b', 'p', 't', 'd', 'h', '/'])
                {
                    out.push('\n');
                }
                rest = &after[from + gt + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_sorted_and_the_returned_message_is_only_facts() {
        let m = "From: MAILER-DAEMON@mx.example.org\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nNTUwIDUuNy4xIHRleHQgPD4gd2l0aCDDqQ==\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.7.1\n--B\nContent-Type: message/rfc822\n\nFrom: Alice <alice@example.org>\nReceived-SPF: fail\nSubject: DMARC test\n\nhello\n--B--\n";
        assert!(looks_like_message(m.as_bytes()));
        let p = read(m.as_bytes()).unwrap();
        assert_eq!(p.human, ["550 5.7.1 text <> with \u{e9}"]);
        assert!(p.dsn[0].contains("Final-Recipient: rfc822; b@example.net"));
        assert_eq!(p.original.from_domain.as_deref(), Some("example.org"));
        assert!(p.has_returned);
        assert!(!looks_like_message(b"550 5.7.1 blocked\n"));
        assert!(!looks_like_message(
            b"Reporting-MTA: dns; a\nStatus: 5.7.1\n"
        ));
        assert_eq!(
            strip_html("<style>p{}</style><p>A &amp; B</p><br>C"),
            "\nA & B\n\nC"
        );
    }
}
