//! Turning what a mail administrator pastes (an SMTP reply, a log line, a
//! whole DSN with MIME parts, quoted-printable and folded lines) into one
//! plain text, and extracting the facts in it.

use std::net::IpAddr;
use std::sync::LazyLock;

use regex::Regex;

/// Input over this size is refused.
pub const MAX_INPUT: usize = 10 * 1024 * 1024;

/// Decodes quoted-printable: `=XX` escapes and `=` soft line breaks.
pub fn decode_qp(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let (Some(h), Some(l)) = (b.get(i + 1), b.get(i + 2))
                && let Ok(v) = u8::from_str_radix(&format!("{}{}", *h as char, *l as char), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

static REPLY_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*([245]\d\d)([- ])(.*)$").expect("valid regex"));

/// Normalises pasted text: CRLF to LF, quoted-printable decoded when the
/// text says so, folded header lines unfolded, and multi-line SMTP replies
/// (`550-5.7.1 ...` continuations) joined into one line.
pub fn normalize(input: &str) -> String {
    let mut text = input.replace("\r\n", "\n");
    if text.to_ascii_lowercase().contains("quoted-printable") || text.contains("=\n") {
        text = decode_qp(&text);
    }
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let folded = line.starts_with(' ') || line.starts_with('\t');
        let prev_is_header = lines
            .last()
            .is_some_and(|p| header_name(p).is_some() || p.ends_with(':'));
        if folded && prev_is_header && !line.trim().is_empty() {
            let last = lines.last_mut().expect("checked");
            last.push(' ');
            last.push_str(line.trim());
            continue;
        }
        lines.push(line.to_string());
    }
    // Join "550-5.7.1 a" / "550 5.7.1 b" into "550 5.7.1 a b".
    let mut out: Vec<String> = Vec::new();
    let mut pending: Option<(String, String)> = None;
    for line in lines {
        if let Some(c) = REPLY_LINE.captures(&line) {
            let code = c[1].to_string();
            let rest = c[3].trim().to_string();
            let last = &c[2] == " ";
            match &mut pending {
                Some((pcode, text)) if *pcode == code => {
                    let rest = strip_status(&rest);
                    text.push(' ');
                    text.push_str(rest);
                }
                _ => {
                    if let Some((pc, t)) = pending.take() {
                        out.push(format!("{pc} {t}"));
                    }
                    pending = Some((code, rest));
                }
            }
            if last && let Some((pc, t)) = pending.take() {
                out.push(format!("{pc} {t}"));
            }
        } else {
            if let Some((pc, t)) = pending.take() {
                out.push(format!("{pc} {t}"));
            }
            out.push(line);
        }
    }
    if let Some((pc, t)) = pending.take() {
        out.push(format!("{pc} {t}"));
    }
    out.join("\n")
}

fn strip_status(s: &str) -> &str {
    static STATUS_PREFIX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[245]\.\d{1,3}\.\d{1,3}\s+").expect("valid regex"));
    match STATUS_PREFIX.find(s) {
        Some(m) => &s[m.end()..],
        None => s,
    }
}

fn header_name(line: &str) -> Option<&str> {
    let (name, _) = line.split_once(':')?;
    (!name.is_empty()
        && name.len() < 40
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    .then_some(name)
}

/// The SMTP reply code: three digits at the start of a reply, not part of
/// an address or a version number.
pub fn reply_code(text: &str) -> Option<u16> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)(?:^|[\s;:(\[<])([245][0-5]\d)(?:[\s-]+[245]\.\d{1,3}\.\d{1,3}\b|[ -][A-Za-z<\[])").expect("valid regex")
    });
    RE.captures_iter(text)
        .filter_map(|c| c.get(1))
        .find(|m| {
            let before = text[..m.start()].chars().last();
            !matches!(before, Some('.') | Some('/'))
        })
        .and_then(|m| m.as_str().parse().ok())
}

/// The enhanced status code (RFC 3463), not digits inside an IP address.
pub fn status_code(text: &str) -> Option<String> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b([245]\.\d{1,3}\.\d{1,3})\b").expect("valid regex"));
    RE.find_iter(text)
        .find(|m| {
            let before = &text[..m.start()];
            let after = &text[m.end()..];
            !before.ends_with('.')
                && !before.chars().last().is_some_and(|c| c.is_ascii_digit())
                && !after.starts_with('.')
                && !after.starts_with(|c: char| c.is_ascii_digit())
        })
        .map(|m| m.as_str().to_string())
}

/// The rejected client's IP. Addresses of the receiving side (`host
/// mx.example[IP] said:`, `Remote-MTA`, `Reporting-MTA`) and return codes in
/// 127.0.0.0/8 are never taken.
pub fn client_ip(text: &str) -> Option<IpAddr> {
    static CONTEXTS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?i)client host \[([0-9a-f:.]+)\]",
            r"(?i)rcpt from [^\s\[]*\[([0-9a-f:.]+)\]",
            r"(?i)connect from [^\s\[]*\[([0-9a-f:.]+)\]",
            r"(?i)\bfrom [^\s\[]*\[([0-9a-f:.]+)\](?::\d+)?\s*(?:rejected|refused|blocked|is|was|listed|not)",
            r"(?i)\[([0-9a-f:.]+)\] (?:is |was )?(?:blocked|listed|rejected|refused|blacklisted|blocklisted)",
            r"(?i)\(([0-9a-f:.]+)\) (?:is |was )?(?:blocked|listed|rejected|refused|blacklisted|blocklisted)",
            r"(?i)your (?:ip|ip address|address|sending ip|server)(?: address)?(?:,)?(?: is| \(|:| of)?\s*\[?\(?([0-9a-f:.]+[0-9a-f])",
            r"(?i)(?:client[_ ]ip|client-ip|sending ip|source ip|connecting ip|ip address|\bip)\s*[=:]?\s*\[?([0-9a-f:.]+[0-9a-f])",
            r"(?i)messages from \[?([0-9a-f:.]+[0-9a-f])",
            r"(?i)designate \[?([0-9a-f:.]+[0-9a-f])\]? as permitted",
            r"(?i)(?:accepted|refused|rejected) from \[?([0-9a-f:.]+[0-9a-f])",
            r"(?i)\bcomcast \[?([0-9a-f:.]+[0-9a-f])\b",
            r"(?i)\b([0-9a-f:.]+[0-9a-f]) (?:is |was )?(?:in (?:a|an|the) |found on )",
            r"(?i)\breturned [0-9.]+ for \[?([0-9a-f:.]+[0-9a-f])",
            r"(?i)[?&](?:ip|query|q|target)=([0-9a-f:.]+[0-9a-f])",
            r"(?i)\b([0-9a-f:.]+[0-9a-f]) (?:is |was |has been )?(?:blocked|listed|blacklisted|blocklisted|rejected)",
            r"(?i)(?:blocked|listed|rejected)[^\n]{0,40}?\[([0-9a-f:.]+)\]",
            r"\[([0-9a-f:.]+)\]",
            r"(?i)\bfrom \[?([0-9a-f]{1,4}(?:[:.][0-9a-f]{0,4}){3,7})\b",
        ]
        .iter()
        .map(|r| Regex::new(r).expect("valid regex"))
        .collect()
    });
    let receiving: Vec<IpAddr> = receiving_side(text);
    for re in CONTEXTS.iter() {
        for c in re.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            let Ok(ip) = m.as_str().trim_end_matches('.').parse::<IpAddr>() else {
                continue;
            };
            if is_client_candidate(ip) && !receiving.contains(&ip) {
                return Some(ip);
            }
        }
    }
    None
}

fn is_client_candidate(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_unspecified() || v4.is_broadcast()),
        IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}

/// Addresses of the receiving MX or the reporting MTA.
fn receiving_side(text: &str) -> Vec<IpAddr> {
    static RE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?i)host [^\s\[]+\[([0-9a-f:.]+)\] said",
            r"(?i)(?:remote|reporting)-mta:[^\n]*?\[?([0-9a-f]{1,4}(?:[:.][0-9a-f]{0,4}){3,7})\]?",
            r"(?i)connect to [^\s\[]+\[([0-9a-f:.]+)\]",
            r"(?i)relay=[^\s\[]+\[([0-9a-f:.]+)\]",
        ]
        .iter()
        .map(|r| Regex::new(r).expect("valid regex"))
        .collect()
    });
    RE.iter()
        .flat_map(|re| {
            re.captures_iter(text)
                .filter_map(|c| c.get(1)?.as_str().parse().ok())
                .collect::<Vec<IpAddr>>()
        })
        .collect()
}

/// The sender's domain: `from=<...>`, `MAIL FROM:<...>`, envelope headers,
/// or the From: of the returned message (not the bounce's own MAILER-DAEMON).
pub fn sender_domain(text: &str) -> Option<String> {
    static RE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?i)\bfrom=<[^@>\s]*@([a-z0-9.-]+\.[a-z]{2,})>",
            r"(?i)mail from:\s*<[^@>\s]*@([a-z0-9.-]+\.[a-z]{2,})>",
            r"(?i)(?:envelope-from|smtp\.mailfrom|x-original-sender|return-path)[=:]\s*<?[^@>\s]*@([a-z0-9.-]+\.[a-z]{2,})",
            r"(?i)sender (?:domain |address )?(?:is )?<?[^@>\s]*@([a-z0-9.-]+\.[a-z]{2,})",
            r"(?i)\bF=<[^@>\s]*@([a-z0-9.-]+\.[a-z]{2,})>",
            r"(?i)email from ([a-z0-9.-]+\.[a-z]{2,}) is not accepted",
            r"(?i)administrator of ([a-z0-9.-]+\.[a-z]{2,}) domain",
            r"(?i)\bSPF \[([a-z0-9.-]+\.[a-z]{2,})\]",
            r"(?i)sending domain ([a-z0-9.-]+\.[a-z]{2,})",
            r"(?i)sender's domain ([a-z0-9.-]+\.[a-z]{2,})",
            r"(?i)\b([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}) does not (?:designate|pass)",
            r"(?i)(?:dmarc policy|policy) (?:reject )?for ([a-z0-9.-]+\.[a-z]{2,})",
            r"(?i)for domain ([a-z0-9.-]+\.[a-z]{2,})",
            r"(?i)spoofing policy: [^@\s]+@([a-z0-9.-]+\.[a-z]{2,})",
            r"(?im)^from:[^\n]*?[^@<\s]+@([a-z0-9.-]+\.[a-z]{2,})",
            r"(?i)\b(?:spf|dmarc)[^\n]{0,60}?(?:domain|for) (?:of )?<?(?:[^@>\s]*@)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})",
        ]
        .iter()
        .map(|r| Regex::new(r).expect("valid regex"))
        .collect()
    });
    for re in RE.iter() {
        for c in re.captures_iter(text) {
            let d = c[1].trim_end_matches('.').to_ascii_lowercase();
            let whole = c
                .get(0)
                .map(|m| m.as_str().to_ascii_lowercase())
                .unwrap_or_default();
            if whole.contains("mailer-daemon")
                || whole.contains("postmaster@") && whole.starts_with("from:")
            {
                continue;
            }
            return Some(d);
        }
    }
    None
}

/// The reporting MTA (the one that wrote the bounce) and the remote MTA
/// (the receiver that refused), from DSN fields or `host X[IP] said:`.
pub fn mtas(text: &str) -> (Option<String>, Option<String>) {
    static REPORTING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?im)^reporting-mta:\s*(?:dns;\s*)?([a-z0-9.-]+)").expect("valid regex")
    });
    static REMOTE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?im)^remote-mta:\s*(?:dns;\s*)?([a-z0-9.-]+)",
            r"(?i)host ([a-z0-9.-]+\.[a-z]{2,})\s*\[[0-9a-f:.]+\] said",
            r"(?i)\bhost ([a-z0-9.-]+\.[a-z]{2,}) \[[0-9a-f:.]+\]",
        ]
        .iter()
        .map(|r| Regex::new(r).expect("valid regex"))
        .collect()
    });
    let reporting = REPORTING.captures(text).map(|c| c[1].to_ascii_lowercase());
    let remote = REMOTE
        .iter()
        .find_map(|re| re.captures(text).map(|c| c[1].to_ascii_lowercase()));
    (reporting, remote)
}

/// Masks Spamhaus DQS keys (`<key>.zen.dq.spamhaus.net`) anywhere in `text`:
/// a key in a bounce is the receiver's secret.
pub fn mask_dqs(text: &str) -> String {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b[a-z0-9]{20,40}\.((?:[a-z0-9-]+\.)?dq\.spamhaus\.net)\b")
            .expect("valid regex")
    });
    RE.replace_all(text, "<key>.$1").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_replies_are_joined() {
        let t = normalize(
            "550-5.7.1 [192.0.2.10] The IP you're using\r\n550-5.7.1 to send mail is not authorized\r\n550 5.7.1 to send email directly. gsmtp\r\n",
        );
        assert_eq!(
            t,
            "550 5.7.1 [192.0.2.10] The IP you're using to send mail is not authorized to send email directly. gsmtp"
        );
    }

    #[test]
    fn folded_headers_and_quoted_printable() {
        let t = normalize(
            "Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host\n    [192.0.2.10] blocked using zen.spamhaus.org\n",
        );
        assert!(t.contains("Client host [192.0.2.10] blocked using"), "{t}");
        let t = normalize(
            "Content-Transfer-Encoding: quoted-printable\n\n554 5.7.1 blocked using zen.spam=\nhaus.org=3B see https://x.example/?ip=3D192.0.2.10\n",
        );
        assert!(
            t.contains("zen.spamhaus.org; see https://x.example/?ip=192.0.2.10"),
            "{t}"
        );
    }

    #[test]
    fn codes_are_not_taken_from_addresses() {
        let t = "host mx.example.org[203.0.113.5] said: 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked";
        assert_eq!(reply_code(t), Some(554));
        assert_eq!(status_code(t), Some("5.7.1".into()));
        assert_eq!(status_code("client 192.5.7.1 rejected"), None);
        assert_eq!(
            status_code("connect from [10.2.5.1]: 550 5.7.1 x"),
            Some("5.7.1".into())
        );
        assert_eq!(
            reply_code("Postfix 3.5.1 rejected 550 5.7.1 blocked"),
            Some(550)
        );
    }

    #[test]
    fn the_client_ip_is_never_the_receiving_mx() {
        let t = "host mx.example.org[203.0.113.5] said: 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org";
        assert_eq!(client_ip(t), Some("192.0.2.10".parse().unwrap()));
        let t = "Remote-MTA: dns; mx.example.org [203.0.113.5]\nDiagnostic-Code: smtp; 550 5.7.1 rejected because 198.51.100.7 is listed";
        assert_eq!(client_ip(t), Some("198.51.100.7".parse().unwrap()));
        let t = "550 5.7.1 Blocked - see https://www.spamcop.net/bl.shtml?198.51.100.23";
        assert_eq!(
            client_ip(&format!("{t} x?ip=198.51.100.23")),
            Some("198.51.100.23".parse().unwrap())
        );
        assert_eq!(client_ip("554 returned 127.0.0.2 for the query"), None);
    }

    #[test]
    fn reporting_and_remote_mta() {
        let t = "Reporting-MTA: dns; out.example.org\nRemote-MTA: dns; mx.example.net\n";
        assert_eq!(
            mtas(t),
            (
                Some("out.example.org".into()),
                Some("mx.example.net".into())
            )
        );
        let t = "<b@example.net>: host mx.example.net[203.0.113.5] said: 554 5.7.1 x";
        assert_eq!(mtas(t), (None, Some("mx.example.net".into())));
    }

    #[test]
    fn sender_domains_and_dqs_keys() {
        assert_eq!(
            sender_domain(
                "NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 ...; from=<alice@Example.ORG> to=<b@example.net>"
            ),
            Some("example.org".into())
        );
        assert_eq!(
            sender_domain("From: MAILER-DAEMON@mx.example.net\nFrom: Bob <bob@shop.example>"),
            Some("shop.example".into())
        );
        assert_eq!(
            mask_dqs("abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net"),
            "<key>.zen.dq.spamhaus.net"
        );
    }
}
