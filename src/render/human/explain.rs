//! Human output of `explain`: a short narrative (cause, evidence, what to do),
//! then the details.

use std::io::{self, Write};

use crate::report::Status;

use super::{BOLD, DIM, GREEN, RED, Style, YELLOW, sanitize, status_word};

/// Writes an `explain` report: a short narrative (cause, evidence, what to
/// do), then the details.
pub fn render_explanation(
    out: &mut dyn Write,
    e: &crate::explain::Explanation,
    style: Style,
) -> io::Result<()> {
    use crate::explain::{Detail, VerifyStatus};
    let confidence = match e.confidence {
        crate::bounce::Confidence::High => "high",
        crate::bounce::Confidence::Medium => "medium",
        crate::bounce::Confidence::Low => "low",
    };
    writeln!(
        out,
        "{} {} ({confidence} confidence){}",
        style.paint(BOLD, "Cause:"),
        style.paint(RED, e.cause.as_str()),
        e.matched
            .as_deref()
            .map(|m| format!(": \"{}\"", sanitize(m)))
            .unwrap_or_default()
    )?;
    let mut facts = Vec::new();
    if let (Some(c), s) = (e.reply_code, &e.status) {
        facts.push(format!(
            "reply {c}{}",
            s.as_deref().map(|s| format!(" {s}")).unwrap_or_default()
        ));
    } else if let Some(s) = &e.status {
        facts.push(format!("status {s}"));
    }
    if let Some(ip) = &e.ip {
        facts.push(format!("client {ip}"));
    }
    if let Some(z) = &e.zone {
        facts.push(format!(
            "list {}{}",
            sanitize(z),
            e.list_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ));
    }
    if let Some(d) = &e.sender_domain {
        facts.push(format!("sender domain {}", sanitize(d)));
    }
    if let Some(p) = &e.provider {
        facts.push(format!("receiver {p}"));
    }
    if !facts.is_empty() {
        writeln!(out, "{} {}", style.paint(BOLD, "Read:"), facts.join(", "))?;
    }
    let (word, color) = match e.verification.status {
        VerifyStatus::Confirmed => ("CONFIRMED", RED),
        VerifyStatus::NotReproduced => ("not reproduced", GREEN),
        VerifyStatus::Unverifiable => ("unverifiable", YELLOW),
        VerifyStatus::Skipped => ("skipped", DIM),
    };
    writeln!(
        out,
        "{} {}: {}",
        style.paint(BOLD, "Checked now:"),
        style.paint(color, word),
        sanitize(&e.verification.summary)
    )?;
    if !e.advice.is_empty() {
        writeln!(out, "{}", style.paint(BOLD, "What to do:"))?;
        for (i, a) in e.advice.iter().enumerate() {
            writeln!(out, "  {}. {}", i + 1, sanitize(a))?;
        }
    }
    if !e.verification.details.is_empty() {
        writeln!(out, "{}", style.paint(BOLD, "Details:"))?;
    }
    for d in &e.verification.details {
        match d {
            Detail::Zone(z) => {
                let (w, c) = status_word(z.status, z.role);
                let extra = if z.status == Status::Listed {
                    z.meanings.join("; ")
                } else {
                    z.detail.clone().unwrap_or_default()
                };
                writeln!(
                    out,
                    "  {} {} {}",
                    style.paint(c, &format!("{w:<12}")),
                    z.zone,
                    sanitize(&extra)
                )?;
            }
            Detail::Spf(s) => writeln!(
                out,
                "  SPF {} for {} from {}{}",
                s.result,
                sanitize(&s.domain),
                s.ip,
                s.mechanism
                    .as_deref()
                    .map(|m| format!(" (decided by {})", sanitize(m)))
                    .unwrap_or_default()
            )?,
            Detail::Dmarc(d) => writeln!(
                out,
                "  DMARC {} at {}",
                d.record.as_deref().map(sanitize).unwrap_or_else(|| d
                    .error
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()),
                d.name
            )?,
            Detail::Rdns(r) => writeln!(
                out,
                "  rDNS fcrdns {} {}",
                r.fcrdns,
                sanitize(&r.ptr.join(", "))
            )?,
        }
    }
    Ok(())
}
