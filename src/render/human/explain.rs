//! Human output of `explain`: per diagnosis a short narrative (cause, what it
//! means, what was read, what was checked, what to do), then the evidence in
//! aligned columns; several bounces end with a summary.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::explain::{Detail, Diagnosed, ExplainSummary, Explanation, VerifyStatus};
use crate::report::Status;

use super::{BOLD, DIM, GREEN, RED, Style, YELLOW, column_width, plural, sanitize, status_word};

/// Writes one explained input (`header`: name it, when there are several).
pub fn render_explanation(
    out: &mut dyn Write,
    e: &Explanation,
    header: bool,
    style: Style,
) -> io::Result<()> {
    if header {
        let name = e.source.as_deref().unwrap_or("stdin");
        writeln!(
            out,
            "{}",
            style.paint(BOLD, &format!("== {}", sanitize(name)))
        )?;
    }
    let many = e.diagnoses.len() > 1;
    if many {
        writeln!(
            out,
            "{} for {}",
            plural(e.diagnoses.len(), "diagnosis").replace("diagnosiss", "diagnoses"),
            plural(
                e.diagnoses.iter().map(|d| d.recipients.len().max(1)).sum(),
                "recipient"
            )
        )?;
    }
    for (i, d) in e.diagnoses.iter().enumerate() {
        if many {
            writeln!(out)?;
            let who = if d.recipients.is_empty() {
                String::new()
            } else {
                format!(": {}", sanitize(&d.recipients.join(", ")))
            };
            writeln!(out, "{}", style.paint(BOLD, &format!("[{}]{who}", i + 1)))?;
        }
        render_diagnosis(out, e, d, style)?;
    }
    Ok(())
}

fn render_diagnosis(
    out: &mut dyn Write,
    e: &Explanation,
    d: &Diagnosed,
    style: Style,
) -> io::Result<()> {
    let cause = match &d.reason {
        Some(r) if d.cause == crate::bounce::Cause::NotPolicy => {
            format!("{} ({r})", d.cause.as_str())
        }
        _ => d.cause.as_str().to_string(),
    };
    writeln!(
        out,
        "{} {} ({} confidence){}",
        style.paint(BOLD, "Cause:"),
        style.paint(RED, &cause),
        d.confidence.as_str(),
        d.matched
            .as_deref()
            .map(|m| format!(": \"{}\"", sanitize(m)))
            .unwrap_or_default()
    )?;
    if let Some(m) = &d.meaning {
        writeln!(out, "{} {}", style.paint(BOLD, "Meaning:"), sanitize(m))?;
    }
    let facts = read_facts(e, d);
    if !facts.is_empty() {
        writeln!(out, "{} {}", style.paint(BOLD, "Read:"), facts.join(", "))?;
    }
    let v = &d.verification;
    let (word, color) = match v.status {
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
        sanitize(&v.summary)
    )?;
    if !d.advice.is_empty() {
        writeln!(out, "{}", style.paint(BOLD, "What to do:"))?;
        for (i, a) in d.advice.iter().enumerate() {
            writeln!(out, "  {}. {}", i + 1, sanitize(a))?;
        }
    }
    render_details(out, &v.details, style)
}

/// The facts read from the text, in a line.
fn read_facts(e: &Explanation, d: &Diagnosed) -> Vec<String> {
    let mut facts = Vec::new();
    match (d.reply_code, &d.status) {
        (Some(c), s) => facts.push(format!(
            "reply {c}{}",
            s.as_deref().map(|s| format!(" {s}")).unwrap_or_default()
        )),
        (None, Some(s)) => facts.push(format!("status {s}")),
        (None, None) => {}
    }
    if let Some(ip) = &d.ip {
        facts.push(format!("client {ip}"));
    }
    if let Some(z) = &d.zone {
        facts.push(format!(
            "list {}{}",
            sanitize(z),
            d.list_name
                .as_deref()
                .map(|n| format!(" ({})", sanitize(n)))
                .unwrap_or_default()
        ));
    }
    if let Some(s) = &d.sender_domain {
        facts.push(format!("sender domain {}", sanitize(s)));
    }
    if let Some(p) = d.provider.as_deref().or(e.provider.as_deref()) {
        facts.push(format!("receiver {}", sanitize(p)));
    }
    if let Some(m) = &d.remote_mta {
        facts.push(format!("remote MTA {}", sanitize(m)));
    }
    facts
}

/// The evidence: one aligned row per zone, SPF, DMARC, DKIM key, rDNS.
fn render_details(out: &mut dyn Write, details: &[Detail], style: Style) -> io::Result<()> {
    if details.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", style.paint(BOLD, "Details:"))?;
    let rows: Vec<(String, &str, String, String)> = details.iter().map(detail_row).collect();
    let width = column_width(rows.iter().map(|r| r.2.as_str()), 4);
    for (word, color, what, extra) in rows {
        writeln!(
            out,
            "  {} {what:<width$}  {}",
            style.paint(color, &format!("{word:<14}")),
            sanitize(&extra)
        )?;
    }
    Ok(())
}

fn detail_row(d: &Detail) -> (String, &'static str, String, String) {
    match d {
        Detail::Zone(z) => {
            let (w, c) = status_word(z.status, z.role);
            let extra = if z.status == Status::Listed {
                z.meanings.join("; ")
            } else {
                z.detail.clone().unwrap_or_default()
            };
            (w.to_string(), c, z.zone.clone(), extra)
        }
        Detail::Spf(s) => (
            format!("SPF {}", s.result),
            YELLOW,
            s.domain.clone(),
            s.mechanism
                .as_deref()
                .map(|m| format!("decided by {m}"))
                .unwrap_or_default(),
        ),
        Detail::Dmarc(d) => (
            "DMARC".into(),
            DIM,
            d.name.clone(),
            d.record.clone().unwrap_or_else(|| {
                d.error
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            }),
        ),
        Detail::Dkim(k) => (
            format!("DKIM key {}", k.key),
            DIM,
            format!("{}._domainkey.{}", k.selector, k.domain),
            "the signature itself cannot be verified from a bounce".into(),
        ),
        Detail::Rdns(r) => (
            format!("rDNS {}", r.fcrdns),
            DIM,
            if r.ptr.is_empty() {
                "(no PTR)".into()
            } else {
                r.ptr.join(", ")
            },
            r.detail.clone().unwrap_or_default(),
        ),
    }
}

/// The end of many bounces: counts per cause, list, provider and check.
pub fn render_explain_summary(
    out: &mut dyn Write,
    s: &ExplainSummary,
    style: Style,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{} {} in {}{}.",
        style.paint(BOLD, "Summary:"),
        plural(s.diagnoses as usize, "diagnosis").replace("diagnosiss", "diagnoses"),
        plural(s.inputs as usize, "bounce"),
        if s.unreadable.is_empty() {
            String::new()
        } else {
            format!(" ({} unreadable)", s.unreadable.len())
        }
    )?;
    for (title, counts) in [
        ("causes", &s.causes),
        ("lists", &s.lists),
        ("receivers", &s.providers),
        ("checked now", &s.verified),
    ] {
        if !counts.is_empty() {
            writeln!(out, "  {title:<12} {}", counted(counts))?;
        }
    }
    for u in &s.unreadable {
        writeln!(out, "  unreadable   {}", sanitize(u))?;
    }
    Ok(())
}

/// `412 blocklist, 30 spf`, most first.
fn counted(counts: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{n} {}", sanitize(k)))
        .collect::<Vec<_>>()
        .join(", ")
}
