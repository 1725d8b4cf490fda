//! The human-readable part of a bounce (or a pasted text): where the
//! returned message starts, which recipient each diagnostic belongs to, the
//! diagnostic itself (found by structure: `host X said:`, Exim's `SMTP error
//! from remote mail server after ...:`, qmail's `Remote host said:`, a
//! Sendmail transcript, Exchange's `Remote Server returned '...'`, Gmail's
//! `The response was:`), the SMTP stage and the remote host.

use std::sync::LazyLock;

use regex::Regex;

use super::dsn;
use super::knowledge::Stage;

/// A diagnostic found in the text, with what belongs to it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    /// Recipients it is for (may be empty).
    pub recipients: Vec<String>,
    /// The receiver's text, cleaned (empty when none was found).
    pub diagnostic: String,
    /// The SMTP stage it came at.
    pub stage: Option<Stage>,
    /// The receiving host named around it.
    pub remote_mta: Option<String>,
    /// The text around it (for facts the diagnostic does not hold).
    pub context: String,
}

/// What the human-readable text holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Human {
    /// Diagnostics per recipient block, in order.
    pub blocks: Vec<Block>,
    /// A diagnostic not tied to a recipient block (first found).
    pub global: Option<Block>,
    /// Recipients named without a diagnostic of their own.
    pub pending: Vec<String>,
    /// The text before the returned message.
    pub text: String,
    /// The inline copy of the returned message, if any.
    pub returned: Option<String>,
    /// The envelope sender the transcript shows (`MAIL FROM:<...>`).
    pub envelope_sender: Option<String>,
}

fn re(s: &str) -> Regex {
    Regex::new(s).expect("valid regex")
}

/// A line that starts the returned message (inline copy).
static RETURNED_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^[\s\-=_*|>#]*(?:(?:this is a |here is a |below (?:this line )?is a |enclosed is a |included is a |attached is a |following is a )?copy of (?:the |your )?(?:original )?message|original message(?: headers?| follows| info| text)?(?-u:\b)\s*[-:=]*\s*$|original message (?:follows|headers?|info)|original mail info|message headers? follows?|the header of the original message|headers of the original message|returned message|message text follows|undelivered message headers|unsent message below|the text you sent follows|your message reads)",
    )
});

/// Reply codes where a line starts (after `<<<`, `#` or indentation).
static LINE_REPLY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^[ \t]*(?:<<<[ \t]*|#)?([45][0-5]\d)(?:[ -]\S|[ \t]*$)"));

/// Reply codes inside a line: after a separator, and followed by an
/// enhanced status, a word, or a repeated code.
static INLINE_REPLY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:^|[\s;:(\['"<>#=])([45][0-5]\d)(?:[\s-]+[245]\.\d{1,3}\.\d{1,3}(?-u:\b)|[ -]+[A-Za-z<\["'#(]|[ -]+[45]\d\d[ -])"#,
    )
});

/// Phrases that introduce the receiver's text.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:the error that the other server returned was:|the response (?:from the remote server )?was:|technical details of (?:permanent|temporary) failure:|for the following reason:|remote host said:|remote server returned|generated response:|failure reasons|-+\s*server message|error message from the remote server:?|the following error was returned:?|(?-u:\b)reason:)",
    )
});

static RECIPIENT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)^\s*(?:(?:recipient(?:\s+address)?|original-recipient|failed\s+recipient|rcpt|address)\s*:\s*)?[<"]?([^\s<>()\[\]@,;:"']+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)[>"]?(?:\s*<mailto:[^>\s]*>)?(?:\s*\((?:expanded|generated)\s+from[^)]*\))?\s*(?:(?::|\.\.\.)\s*(.*)|\[(.*)\])?\s*$"#,
    )
});

static SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:[-=_*|]{3,}|-{2,}\s.*\s-{2,}\s*$)"));

static STAGES: LazyLock<Vec<(Regex, Option<Stage>)>> = LazyLock::new(|| {
    vec![
        (
            re(
                r"(?i)in reply to (rcpt to|mail from|end of data|data|helo|ehlo|starttls|auth|xforward)(?-u:\b)",
            ),
            None,
        ),
        (
            re(
                r"(?i)(?-u:\b)after (rcpt to|mail from|end of data|data|initial connection|ehlo|helo|starttls)(?-u:\b)",
            ),
            None,
        ),
        (
            re(r"(?i)did not like our (rcpt to|mail from|data|ehlo|helo)(?-u:\b)"),
            None,
        ),
        (
            re(r"(?i)(?-u:\b)for (text|rcpt|mail|data) command(?-u:\b)"),
            None,
        ),
        (re(r"\[(RCPT_TO|MAIL_FROM|DATA)\]"), None),
        (re(r"(?i)refused to talk to me"), Some(Stage::Connect)),
        (re(r"(?i)does not like recipient"), Some(Stage::Rcpt)),
        (re(r"(?i)does not like sender"), Some(Stage::Mail)),
        (
            re(r"(?i)failed after I sent the message"),
            Some(Stage::Data),
        ),
        (
            re(r"(?i)smtp command\s*\n\s*(data|rcpt to|mail from)(?-u:\b)"),
            None,
        ),
    ]
});

static REMOTE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)(?-u:\b)host\s+([a-z0-9][a-z0-9.-]*\.[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})\s*\[[0-9a-f:.]+\]",
        r"(?i)while talking to ([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\.?:",
        r"(?i)(?-u:\b)host:\s*([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\s*\(",
        r"(?im)^\s*([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\s*\[[0-9a-f:.]+\]\s+did not like",
        r"(?i)(?:^|\s)(\d{1,3}(?:\.\d{1,3}){3}) (?:does not like|failed after)",
        r"(?i)(?-u:\b)connected to (\d{1,3}(?:\.\d{1,3}){3}) but",
        r"(?i)([a-z0-9][a-z0-9.-]*\.[a-z]{2,}) (?:rejected your message|gave this error)",
        r"(?im)^\s*([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\s*\n\s*remote server returned",
    ]
    .iter()
    .map(|r| re(r))
    .collect()
});

fn stage_word(w: &str) -> Option<Stage> {
    let w = w.to_ascii_lowercase().replace('_', " ");
    Some(match w.as_str() {
        "rcpt to" | "rcpt" => Stage::Rcpt,
        "mail from" | "mail" => Stage::Mail,
        "end of data" | "data" | "text" => Stage::Data,
        "helo" | "ehlo" | "starttls" | "auth" | "xforward" => Stage::Helo,
        "initial connection" => Stage::Connect,
        _ => return None,
    })
}

/// The SMTP stage the text shows.
pub fn stage(text: &str) -> Option<Stage> {
    if let Some(s) = transcript_stage(text) {
        return Some(s);
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    STAGES.iter().find_map(|(re, fixed)| {
        let c = re.captures(&collapsed)?;
        fixed.or_else(|| c.get(1).and_then(|m| stage_word(m.as_str())))
    })
}

/// A Sendmail-style transcript: the last `>>> COMMAND` before the first
/// `<<< 4xx/5xx`; none at all means the greeting itself was the refusal.
fn transcript_stage(text: &str) -> Option<Stage> {
    let mut last: Option<Stage> = None;
    let mut saw_command = false;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(cmd) = t.strip_prefix(">>>") {
            saw_command = true;
            let cmd = cmd.trim_start().to_ascii_uppercase();
            last = ["RCPT", "MAIL", "DATA", "EHLO", "HELO", "STARTTLS"]
                .iter()
                .find(|c| cmd.starts_with(*c))
                .and_then(|c| stage_word(c));
        } else if let Some(reply) = t.strip_prefix("<<<") {
            let reply = reply.trim_start();
            if reply.starts_with('4') || reply.starts_with('5') {
                return if saw_command {
                    last
                } else {
                    Some(Stage::Connect)
                };
            }
        }
    }
    None
}

/// The receiving host the text names.
pub fn remote_host(text: &str) -> Option<String> {
    REMOTE.iter().find_map(|re| {
        re.captures(text)
            .map(|c| c[1].trim_end_matches('.').to_ascii_lowercase())
    })
}

/// Where the first 4xx/5xx reply starts in `text`.
pub(crate) fn reply_start(text: &str) -> Option<usize> {
    let line = LINE_REPLY
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.start());
    let inline = INLINE_REPLY
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.start());
    match (line, inline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The text of the first reply in `text`, if any.
fn first_reply(text: &str) -> Option<String> {
    let pos = reply_start(text)?;
    // A transcript line (`<<< 550 ...`) is read from its prefix.
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let prefix = text[line_start..pos].trim();
    let from = if prefix == "<<<" { line_start } else { pos };
    Some(reply_text(&text[from..]))
}

/// A diagnostic that starts with the sending MTA's own words before the
/// receiver's reply (`host mx.example[192.0.2.1] said: 550 ...`,
/// `delivery temporarily suspended: ... refused to talk to me: 421 ...`):
/// the reply onwards. None when the text starts with the reply, or holds none.
pub fn reply_after_prefix(text: &str) -> Option<String> {
    static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)(?-u:\b)(?:said|refused to talk to me|did not like our [^:]*|host \S+ \[[^\]]*\]):\s*$",
        )
    });
    let pos = reply_start(text)?;
    (pos > 0 && PREFIX.is_match(&text[..pos])).then(|| clean(&text[pos..]))
}

/// Splits off the returned message: (the text before it, the copy).
pub fn cut_returned(text: &str) -> (&str, Option<&str>) {
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        if RETURNED_MARKER.is_match(line.trim_end()) {
            return (&text[..off], Some(&text[off + line.len()..]));
        }
        off += line.len();
    }
    (text, None)
}

/// Removes delivery-status field lines (and their continuations).
fn without_dsn_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_field = false;
    for line in text.lines() {
        if dsn::is_field_line(line) {
            in_field = true;
            continue;
        }
        if in_field && line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            continue;
        }
        in_field = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A recipient line: the address and the rest of the line.
fn recipient_line(line: &str) -> Option<(String, String)> {
    if line.len() > 1000 {
        return None;
    }
    let c = RECIPIENT_LINE.captures(line)?;
    let addr = c[1].trim_end_matches('.').to_string();
    let rest = c
        .get(2)
        .or(c.get(3))
        .map(|m| m.as_str().trim().to_string())
        .unwrap_or_default();
    Some((addr, rest))
}

/// Reads the human-readable text.
pub fn read(text: &str) -> Human {
    let (before, returned) = cut_returned(text);
    let body = without_dsn_fields(before);
    let mut human = Human {
        text: body.clone(),
        returned: returned.map(str::to_string),
        envelope_sender: envelope_sender(&body),
        ..Human::default()
    };
    let lines: Vec<&str> = body.lines().collect();
    let mut i = 0;
    while i < lines.len() && human.blocks.len() + human.pending.len() < super::MAX_FAILURES {
        let Some((addr, rest)) = recipient_line(lines[i]) else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < lines.len()
            && !lines[j].trim().is_empty()
            && !SEPARATOR.is_match(lines[j])
            && recipient_line(lines[j]).is_none()
        {
            j += 1;
        }
        let mut block_text = rest;
        for l in &lines[i + 1..j] {
            block_text.push('\n');
            block_text.push_str(l);
        }
        match block(&block_text) {
            Some(mut b) => {
                b.recipients.push(addr);
                human.blocks.push(b);
            }
            None => human.pending.push(addr),
        }
        i = j.max(i + 1);
    }
    human.pending.retain(|p| {
        !human
            .blocks
            .iter()
            .any(|b| b.recipients.iter().any(|r| r.eq_ignore_ascii_case(p)))
    });
    human.pending.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    human.global = global(&body);
    human
}

/// The diagnostic of one recipient block.
fn block(text: &str) -> Option<Block> {
    let diagnostic = match first_reply(text) {
        Some(reply) => reply,
        None => clean(&strip_block_noise(text)),
    };
    if diagnostic.is_empty() {
        return None;
    }
    Some(Block {
        recipients: Vec::new(),
        diagnostic,
        stage: stage(text),
        remote_mta: remote_host(text),
        context: text.to_string(),
    })
}

/// Block lines that describe the delivery attempt rather than the refusal.
fn strip_block_noise(text: &str) -> String {
    static NOISE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)^\s*(?:host\s+\S+\s*\[[^\]]*\]:?\s*$|\((?:expanded|generated) from[^)]*\)\s*$|smtp error from remote (?:mail )?server (?:after|for) [^:]*:?\s*$|giving up on\b)",
        )
    });
    text.lines()
        .filter(|l| !NOISE.is_match(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of a reply starting at `text`: a `<<<` transcript reply is its
/// `<<<` lines; otherwise up to the paragraph's end.
fn reply_text(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    if text.trim_start().starts_with("<<<") || first.is_empty() {
        let lines: Vec<&str> = text
            .lines()
            .take_while(|l| l.trim_start().starts_with("<<<"))
            .collect();
        if !lines.is_empty() {
            return clean(&lines.join("\n"));
        }
    }
    let para: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty() && !SEPARATOR.is_match(l))
        .collect();
    clean(&para.join("\n"))
}

/// A diagnostic not tied to a recipient: after a marker phrase, else the
/// first reply in the text.
fn global(text: &str) -> Option<Block> {
    // A transcript's `<<<` lines are the receiver's own reply, in full (the
    // summary lines above a Sendmail transcript keep only its first line).
    static TRANSCRIPT: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^[ \t]*<<<[ \t]*[45]\d\d"));
    if let Some(m) = TRANSCRIPT.find(text)
        && let Some(reply) = first_reply(&text[m.start()..])
    {
        return Some(Block {
            recipients: Vec::new(),
            diagnostic: reply,
            stage: stage(text),
            remote_mta: remote_host(text),
            context: text.to_string(),
        });
    }
    let marker = MARKER.find(text);
    let candidate = match marker {
        Some(m) => {
            let rest = &text[m.end()..];
            let rest = rest.trim_start_matches([' ', '\t', ':', '\'', '"']);
            let rest = if rest.lines().next().is_some_and(|l| l.trim().is_empty()) {
                rest.trim_start()
            } else {
                rest
            };
            let para: Vec<&str> = rest
                .lines()
                .take_while(|l| !l.trim().is_empty() && !SEPARATOR.is_match(l))
                .collect();
            let para = para.join("\n");
            first_reply(&para).unwrap_or_else(|| clean(&para))
        }
        None => String::new(),
    };
    let candidate = if candidate.is_empty() {
        first_reply(text)?
    } else {
        candidate
    };
    if candidate.is_empty() {
        return None;
    }
    Some(Block {
        recipients: Vec::new(),
        diagnostic: candidate,
        stage: stage(text),
        remote_mta: remote_host(text),
        context: text.to_string(),
    })
}

fn envelope_sender(text: &str) -> Option<String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)MAIL FROM:\s*<([^<>\s@]+@[^<>\s@]+)>"));
    RE.captures(text).map(|c| c[1].to_string())
}

/// Cleans a diagnostic: `<<<` and `#` prefixes dropped, a multi-line reply's
/// repeated `550-5.7.1` prefixes removed (also where a mail system refolded
/// them into the middle of a line), white space collapsed, and trailers
/// such as `(in reply to RCPT TO command)` removed.
pub fn clean(text: &str) -> String {
    static FIRST: LazyLock<Regex> =
        LazyLock::new(|| re(r"^([45]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})\s)?"));
    static CONT: LazyLock<Regex> =
        LazyLock::new(|| re(r"^([45]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})(?:\s+|$))?"));
    static INNER: LazyLock<Regex> = LazyLock::new(|| {
        re(r"\s([45]\d\d)(?:-([245]\.\d{1,3}\.\d{1,3})|\s([245]\.\d{1,3}\.\d{1,3}))\s")
    });
    static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
        re(r"(?i)\s*\(in\s+reply\s+to\s+[^)]*\)\s*$|\s*##.*$|\s*\bgiving up on\b.*$")
    });
    let mut code: Option<String> = None;
    let mut status: Option<String> = None;
    let mut parts: Vec<String> = Vec::new();
    for line in text.lines() {
        let l = line.trim().trim_start_matches("<<<").trim_start();
        let l = l.strip_prefix('#').unwrap_or(l).trim();
        if l.is_empty() {
            continue;
        }
        let l = match (&code, CONT.captures(l)) {
            (Some(c), Some(cap)) if &cap[1] == c.as_str() => {
                l[cap.get(0).map_or(0, |m| m.end())..].trim().to_string()
            }
            (None, _) => match FIRST.captures(l) {
                Some(cap) => {
                    code = Some(cap[1].to_string());
                    status = cap.get(2).map(|m| m.as_str().to_string());
                    // `550-5.7.1 text` (a multi-line reply's first line) reads as `550 5.7.1 text`.
                    format!("{} {}", &cap[1], &l[4..])
                }
                None => l.to_string(),
            },
            _ => l.to_string(),
        };
        if !l.is_empty() {
            parts.push(l);
        }
    }
    let joined = parts.join(" ");
    let mut out = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(c) = &code {
        // Only the first code's own continuation prefixes are removed.
        out = INNER
            .replace_all(&out, |cap: &regex::Captures| {
                let same_code = &cap[1] == c.as_str();
                let hyphen = cap.get(2).is_some();
                let same_status = cap.get(3).map(|m| m.as_str()) == status.as_deref();
                if same_code && (hyphen || same_status) {
                    " ".to_string()
                } else {
                    cap[0].to_string()
                }
            })
            .into_owned();
    }
    let out = TRAILER.replace(&out, "");
    out.trim()
        .trim_matches(|c| c == '\'' || c == '"')
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postfix_blocks_and_refolded_replies() {
        let h = read(
            "This is the mail system at host mail.example.jp.\n\n<a@example.com>: host gmail-smtp-in.l.google.com[64.233.189.27] said:\n    550-5.7.26 Unauthenticated email from example.org is not accepted due to\n    550-5.7.26 domain's DMARC policy. Please\n    visit 550-5.7.26  https://support.google.com/mail/answer/2451690 to learn\n    about the 550 5.7.26 DMARC initiative. - gsmtp (in reply\n    to end of DATA command)\n\n<b@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 <b@example.net>:\n    Recipient address rejected: User unknown (in reply to RCPT TO command)\n",
        );
        assert_eq!(h.blocks.len(), 2);
        let b = &h.blocks[0];
        assert_eq!(b.recipients, ["a@example.com"]);
        assert_eq!(
            b.diagnostic,
            "550 5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy. Please visit https://support.google.com/mail/answer/2451690 to learn about the DMARC initiative. - gsmtp"
        );
        assert_eq!(b.stage, Some(Stage::Data));
        assert_eq!(b.remote_mta.as_deref(), Some("gmail-smtp-in.l.google.com"));
        assert_eq!(h.blocks[1].stage, Some(Stage::Rcpt));
    }

    #[test]
    fn exim_qmail_and_the_returned_copy() {
        let h = read(
            "The following address(es) failed:\n\n  kijitora@example.net\n    host relay.example.net [192.0.2.222]\n    SMTP error from remote mail server after initial connection:\n    571 No PTR Record found.\n\n------ This is a copy of the message, including all the headers. ------\nFrom: a@example.org\nSubject: DMARC test\n",
        );
        assert_eq!(h.blocks[0].diagnostic, "571 No PTR Record found.");
        assert_eq!(h.blocks[0].stage, Some(Stage::Connect));
        assert!(h.returned.as_deref().unwrap().contains("DMARC test"));
        assert!(!h.text.contains("DMARC"));
        let h = read(
            "<n@example.co.jp>:\n203.0.113.225 does not like recipient.\nRemote host said: 550 5.7.606 Access denied, banned sending IP [192.0.2.225].\nGiving up on 203.0.113.225.\n\n--- Below this line is a copy of the message.\n",
        );
        assert_eq!(
            h.blocks[0].diagnostic,
            "550 5.7.606 Access denied, banned sending IP [192.0.2.225]."
        );
        assert_eq!(h.blocks[0].remote_mta.as_deref(), Some("203.0.113.225"));
        assert_eq!(h.blocks[0].stage, Some(Stage::Rcpt));
    }

    #[test]
    fn sendmail_transcripts_exchange_and_gmail_notices() {
        let h = read(
            "   ----- The following addresses had permanent fatal errors -----\n<k@example.org>\n\n   ----- Transcript of session follows -----\n... while talking to mx1.example.org.:\n<<< 554 mx1.example.org ESMTP not accepting connections\n>>> QUIT\n",
        );
        assert_eq!(h.pending, ["k@example.org"]);
        let g = h.global.unwrap();
        assert_eq!(
            g.diagnostic,
            "554 mx1.example.org ESMTP not accepting connections"
        );
        assert_eq!(g.stage, Some(Stage::Connect));
        assert_eq!(g.remote_mta.as_deref(), Some("mx1.example.org"));
        let h = read(
            "Delivery has failed to these recipients or groups:\n\nn@example.jp<mailto:n@example.jp>\nYour message can't be delivered.\n\nDiagnostic information for administrators:\n\nn@example.jp\nmx.example.jp\nRemote Server returned '550 5.7.1 Unfortunately, messages from [198.51.100.22] weren't sent.'\n",
        );
        assert_eq!(h.blocks.len(), 2);
        assert_eq!(
            h.blocks[1].diagnostic,
            "550 5.7.1 Unfortunately, messages from [198.51.100.22] weren't sent."
        );
        assert_eq!(h.blocks[1].remote_mta.as_deref(), Some("mx.example.jp"));
        let h = read(
            "** Address not found **\n\nThe response was:\n\nDNS Error: 1234 DNS type 'mx' lookup of example.org responded with code NOERROR\nThe domain example.org doesn't receive email: returned Null MX\n\n",
        );
        assert!(h.global.unwrap().diagnostic.starts_with("DNS Error: 1234"));
    }

    #[test]
    fn reply_starts_are_not_numbers_in_dates_or_sizes() {
        assert_eq!(reply_start("Date: Thu, 29 Apr 2015 23:34:45 +0900"), None);
        assert_eq!(reply_start("after MAIL FROM:<a@b.example> SIZE=222:"), None);
        assert_eq!(reply_start("<<< 250 2.1.0 ok\n<<< 550 5.7.1 no"), Some(21));
        assert_eq!(reply_start("was: 554 554 5.7.0 Header error"), Some(5));
        assert_eq!(
            clean("550-5.7.1 a\n550-5.7.1 b\n550 5.7.1 c"),
            "550 5.7.1 a b c"
        );
        assert_eq!(
            clean("#550 5.7.1 RESOLVER.RST.AuthRequired; authentication required ##rfc822;x@y"),
            "550 5.7.1 RESOLVER.RST.AuthRequired; authentication required"
        );
    }
}
