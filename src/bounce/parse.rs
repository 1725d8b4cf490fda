//! Facts in a receiver's text: reply and status codes, the rejected client
//! IP, the sender domain, and DQS-key masking.

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
                && let (Some(h), Some(l)) = ((*h as char).to_digit(16), (*l as char).to_digit(16))
            {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The SMTP reply code: three digits at the start of a reply, not part of
/// an address or a version number. A refusal is a 4xx or 5xx reply, so one
/// of those wins over a 2xx that comes before it (a greeting such as
/// `220-host 421 4.2.1 Service refused`, or a `250 OK` earlier in a
/// transcript).
pub fn reply_code(text: &str) -> Option<u16> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r##"(?m)(?:^|[\s;:(\[<'"#=])([245][0-5]\d)(?:[\s-]+[245]\.\d{1,3}\.\d{1,3}\b|[ -][A-Za-z<\["'#(]|[ -][245]\d\d[ -]|-\d)"##).expect("valid regex")
    });
    let mut codes = RE
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .filter(|m| {
            let before = text[..m.start()].chars().last();
            !matches!(before, Some('.') | Some('/'))
        })
        .filter_map(|m| m.as_str().parse::<u16>().ok());
    let first = codes.next()?;
    if first >= 400 {
        return Some(first);
    }
    Some(codes.find(|&c| c >= 400).unwrap_or(first))
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

/// Where a rejection names the client IP, most telling first; the last
/// `WEAK_PATTERNS` are weak (an address in brackets, or bare).
const CONTEXT_PATTERNS: &[&str] = &[
    r"(?i)client host \[?([0-9a-f:.]+[0-9a-f])",
    r"\[([0-9a-f:.]+[0-9a-f])\s+\d{1,3}\]",
    r"(?i)rcpt from [^\s\[]*\[([0-9a-f:.]+)\]",
    r"(?i)ruleset=check_[a-z_]+,[^\n]*?\brelay=[^\s,\[]*\s*\[([0-9a-f:.]+)\]",
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
    // Weak contexts from here on: an address in brackets, or bare.
    r"\[([0-9a-f:.]+)\]",
    r"<([0-9a-f:.]+[0-9a-f])>",
    r"\(([0-9a-f:.]+[0-9a-f])\)",
    r"\?([0-9a-f:.]+[0-9a-f])\b",
    r"(?i)\bfrom \[?([0-9a-f]{1,4}(?:[:.][0-9a-f]{0,4}){3,7})\b",
    r"(?:^|[^0-9.])(\d{1,3}(?:\.\d{1,3}){3})(?:[^0-9.]|\.(?:\s|$)|$)",
];
const WEAK_PATTERNS: usize = 6;

/// The rejected client's IP. Addresses of the receiving side (`host
/// mx.example[IP] said:`, `Remote-MTA`, `Reporting-MTA`) and return codes in
/// 127.0.0.0/8 are never taken.
pub fn client_ip(text: &str) -> Option<IpAddr> {
    static CONTEXTS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        CONTEXT_PATTERNS
            .iter()
            .map(|r| Regex::new(r).expect("valid regex"))
            .collect()
    });
    find_ip(text, &CONTEXTS)
}

/// The client IP from the strong contexts only (no bare or bracketed
/// address): for text around a diagnostic, which also names other hosts.
pub fn client_ip_strong(text: &str) -> Option<IpAddr> {
    static STRONG: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        CONTEXT_PATTERNS[..CONTEXT_PATTERNS.len() - WEAK_PATTERNS]
            .iter()
            .map(|r| Regex::new(r).expect("valid regex"))
            .collect()
    });
    find_ip(text, &STRONG)
}

fn find_ip(text: &str, patterns: &[Regex]) -> Option<IpAddr> {
    let receiving: Vec<IpAddr> = receiving_side(text);
    for re in patterns {
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
            r"(?i)\bhost\s+[^\s\[]+\s+\[([0-9a-f:.]+)\]",
            r"(?i)(?:^|\s)([0-9a-f:.]+) (?:does not like|failed after|did not like)",
            r"(?i)\b(?:giving up on|connected to) \[?([0-9a-f:.]+[0-9a-f])",
            r"(?i)\bhost:\s*[^\s(]+\s*\(([0-9a-f:.]+)\)",
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

/// The sender's domain as the receiver's text gives it: `from=<...>`,
/// `MAIL FROM:<...>`, `F=<...>`, DSN and provider wordings (never a
/// bounce's own MAILER-DAEMON address).
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

/// Masks the keys of keyed zones (`<key>.zen.dq.spamhaus.net`, Abusix's
/// `<key>.combined.mail.abusix.zone`, any keyed zone of the built-in catalog)
/// anywhere in `text`: a key in a bounce is the receiver's secret.
pub fn mask_dqs(text: &str) -> String {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        let mut suffixes: Vec<String> = crate::catalog::Catalog::builtin()
            .zones
            .iter()
            .filter_map(|z| z.zone.strip_prefix(crate::catalog::KEY_PLACEHOLDER))
            .map(regex::escape)
            .collect();
        // Any Spamhaus DQS zone, listed in the catalog or not.
        suffixes.push(r"\.[a-z0-9-]+\.dq\.spamhaus\.net".into());
        // No word boundary after the suffix: a key is masked even when
        // the zone runs into other text ("...spamhaus.netand").
        Regex::new(&format!(
            r"(?i)(?-u:\b)[a-z0-9-]{{1,63}}((?:{}))",
            suffixes.join("|")
        ))
        .expect("valid regex")
    });
    RE.replace_all(text, "<key>$1").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_is_decoded() {
        assert_eq!(
            decode_qp("blocked using zen.spam=\nhaus.org=3B see ?ip=3D192.0.2.10 =E2=80=94"),
            "blocked using zen.spamhaus.org; see ?ip=192.0.2.10 \u{2014}"
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
        // A greeting before the refusal is not the reply that refused.
        assert_eq!(
            reply_code("220-mx.example.org 421 4.2.1 Service refused, please try later"),
            Some(421)
        );
        assert_eq!(reply_code("250 2.1.0 Sender OK"), Some(250));
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
    fn sender_domains_and_dqs_keys() {
        assert_eq!(
            sender_domain(
                "NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 ...; from=<alice@Example.ORG> to=<b@example.net>"
            ),
            Some("example.org".into())
        );
        assert_eq!(
            sender_domain("From: MAILER-DAEMON@mx.example.net\nFrom: Bob <bob@shop.example>"),
            None,
            "a returned message's From: is not the receiver's word"
        );
        assert_eq!(
            mask_dqs("abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net"),
            "<key>.zen.dq.spamhaus.net"
        );
        assert_eq!(
            mask_dqs("using SGVsbG8gd29ybGQabcdefghijklmnopqrstuvwxyz.ZEN.dq.spamhaus.net;"),
            "using <key>.ZEN.dq.spamhaus.net;"
        );
        assert_eq!(
            mask_dqs("k3y-1.combined.mail.abusix.zone and zen.spamhaus.org"),
            "<key>.combined.mail.abusix.zone and zen.spamhaus.org"
        );
        assert_eq!(mask_dqs("zen.dq.spamhaus.net"), "zen.dq.spamhaus.net");
    }
}
