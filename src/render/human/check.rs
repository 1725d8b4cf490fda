//! Human output of `check`: per target a table, listed first, then a summary.

use std::io::{self, Write};

use crate::catalog::Role;
use crate::report::{Report, SenderReport, Status, Verdict};
use crate::spf::SpfResult;

use super::{BOLD, DIM, GREEN, RED, Style, YELLOW, sanitize, status_word};

/// Writes the `check` reports: per target a table, then a summary.
pub fn render_check(out: &mut dyn Write, reports: &[Report], style: Style) -> io::Result<()> {
    for (i, report) in reports.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        render_report(out, report, style)?;
    }
    let count = |v: Verdict| reports.iter().filter(|r| r.verdict == v).count();
    let unusable = reports
        .iter()
        .flat_map(|r| &r.results)
        .any(|r| r.status == Status::Unusable);
    if unusable {
        writeln!(out)?;
        writeln!(
            out,
            "{} unusable means the list did not tell: it refused, or this resolver hides its answers. {}",
            style.paint(YELLOW, "Hint:"),
            crate::dnsbl::RESOLVER_ADVICE
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Summary: {} target{} checked: {} listed, {} incomplete, {} clean.",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        count(Verdict::Listed),
        count(Verdict::Incomplete),
        count(Verdict::Clean)
    )
}

fn render_report(out: &mut dyn Write, report: &Report, style: Style) -> io::Result<()> {
    let blocking = report
        .results
        .iter()
        .filter(|r| r.status == Status::Listed && r.role == Role::Block)
        .count();
    let unknown = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Unusable | Status::Error))
        .count();
    let headline = match report.verdict {
        Verdict::Listed => style.paint(
            RED,
            &format!(
                "LISTED on {blocking} block list{}",
                if blocking == 1 { "" } else { "s" }
            ),
        ),
        Verdict::Incomplete if report.results.is_empty() => style.paint(
            YELLOW,
            "INCOMPLETE: no selected list checks this kind of target",
        ),
        Verdict::Incomplete => style.paint(
            YELLOW,
            &format!(
                "INCOMPLETE: not listed where asked, but {unknown} list{} gave no usable answer",
                if unknown == 1 { "" } else { "s" }
            ),
        ),
        Verdict::Clean => style.paint(
            GREEN,
            &format!("clean: not listed on any of {} lists", report.results.len()),
        ),
    };
    writeln!(out, "{}  {headline}", style.paint(BOLD, &report.target))?;
    let width = report
        .results
        .iter()
        .filter(|r| r.status != Status::NotListed)
        .map(|r| r.zone.len())
        .max()
        .unwrap_or(0);
    let mut not_listed = Vec::new();
    for r in &report.results {
        if r.status == Status::NotListed {
            not_listed.push(r.zone.as_str());
            continue;
        }
        let (word, color) = status_word(r.status, r.role);
        let padded = format!("{word:<12}");
        let answers = if r.answers.is_empty() {
            String::new()
        } else {
            format!("  {}", r.answers.join(", "))
        };
        writeln!(
            out,
            "  {} {:<width$}  {}{answers}",
            style.paint(color, &padded),
            r.zone,
            sanitize(&r.name),
        )?;
        let indent = " ".repeat(15);
        if r.status == Status::Listed {
            for m in &r.meanings {
                writeln!(out, "{indent}{}", sanitize(m))?;
            }
        }
        if let Some(d) = &r.detail {
            writeln!(out, "{indent}{}", sanitize(d))?;
        }
        for t in &r.txt {
            writeln!(out, "{indent}txt: {}", sanitize(t))?;
        }
        if r.status == Status::Listed
            && let Some(u) = &r.lookup_url
        {
            writeln!(out, "{indent}lookup: {}", sanitize(u))?;
        }
    }
    if !not_listed.is_empty() {
        writeln!(
            out,
            "  {} {}",
            style.paint(DIM, &format!("{:<12}", "not listed")),
            not_listed.join(", ")
        )?;
    }
    if let Some(sender) = &report.sender {
        render_sender(out, sender, style)?;
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn render_sender(out: &mut dyn Write, s: &SenderReport, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "  {}",
        style.paint(BOLD, &format!("sender domain {}", s.domain))
    )?;
    let spf = &s.spf;
    let color = match spf.result {
        SpfResult::Pass => GREEN,
        SpfResult::Fail => RED,
        _ => YELLOW,
    };
    let decided = spf
        .mechanism
        .as_ref()
        .map(|m| format!(" (decided by {})", sanitize(m)))
        .unwrap_or_default();
    writeln!(
        out,
        "    SPF    {}{decided}",
        style.paint(color, spf.result.as_str())
    )?;
    if let Some(r) = &spf.record {
        writeln!(out, "           record: {}", sanitize(r))?;
    }
    if let Some(e) = &spf.explanation {
        writeln!(out, "           explanation: {}", sanitize(e))?;
    }
    for lint in &spf.lint {
        writeln!(out, "           warning: {}", sanitize(lint))?;
    }
    match &s.dmarc {
        None => writeln!(
            out,
            "    DMARC  no record at _dmarc.{} or its organisational domain",
            s.domain
        )?,
        Some(d) => match (&d.policy, &d.error) {
            (_, Some(e)) => writeln!(
                out,
                "    DMARC  {} ({})",
                style.paint(YELLOW, "unusable"),
                sanitize(&e.to_string())
            )?,
            (Some(p), None) => writeln!(
                out,
                "    DMARC  p={p} sp={} pct={} aspf={} at {}; SPF aligned: {}",
                d.subdomain_policy.map_or("?", |p| p.as_str()),
                d.pct.unwrap_or(100),
                d.aspf.map_or("r", |a| a.as_str()),
                d.name,
                yes_no(d.aligned)
            )?,
            (None, None) => {}
        },
    }
    let r = &s.rdns;
    let color = if r.fcrdns == crate::rdns::Fcrdns::Pass {
        GREEN
    } else {
        YELLOW
    };
    writeln!(
        out,
        "    rDNS   {} {}",
        style.paint(color, &format!("fcrdns {}", r.fcrdns)),
        sanitize(&r.ptr.join(", "))
    )?;
    if let Some(d) = &r.detail {
        writeln!(out, "           {}", sanitize(d))?;
    }
    for n in r.names.iter().filter(|n| n.generic.is_some()) {
        writeln!(
            out,
            "           {} looks generic: {}",
            sanitize(&n.name),
            n.generic.as_deref().unwrap_or("")
        )?;
    }
    for z in &s.results {
        if z.status == Status::NotListed {
            continue;
        }
        let (word, color) = status_word(z.status, z.role);
        let what = if z.status == Status::Listed {
            z.meanings.join("; ")
        } else {
            z.detail.clone().unwrap_or_default()
        };
        writeln!(
            out,
            "    domain {} {} {}",
            style.paint(color, word),
            z.zone,
            sanitize(&what)
        )?;
    }
    let clean: Vec<&str> = s
        .results
        .iter()
        .filter(|z| z.status == Status::NotListed)
        .map(|z| z.zone.as_str())
        .collect();
    if !clean.is_empty() {
        writeln!(out, "    domain not listed on {}", clean.join(", "))?;
    }
    Ok(())
}
