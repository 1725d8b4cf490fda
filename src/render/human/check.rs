//! Human output of `check`: per target a table, listed first, then a summary.

use std::io::{self, Write};

use crate::catalog::Role;
use crate::report::{Report, SenderReport, SenderVerdict, Status, Verdict, ZoneResult};
use crate::spf::{SpfOutput, SpfResult, TraceEvent};

use super::{BOLD, DIM, GREEN, RED, Style, YELLOW, column_width, plural, sanitize, status_word};

/// Where detail lines start (under the zone column).
const INDENT: &str = "               ";

/// Writes the `check` reports: per target a table, then a summary.
pub fn render_check(out: &mut dyn Write, reports: &[Report], style: Style) -> io::Result<()> {
    for (i, report) in reports.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        render_report(out, report, style)?;
    }
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
    writeln!(out, "{}", summary(reports))
}

/// `Summary: 2 targets checked: ...`, with the sender side when checked.
fn summary(reports: &[Report]) -> String {
    let count = |v: Verdict| reports.iter().filter(|r| r.verdict == v).count();
    let mut line = format!(
        "Summary: {} checked: {} listed, {} incomplete, {} clean.",
        plural(reports.len(), "target"),
        count(Verdict::Listed),
        count(Verdict::Incomplete),
        count(Verdict::Clean)
    );
    let senders: Vec<SenderVerdict> = reports
        .iter()
        .filter_map(|r| r.sender.as_ref().map(|s| s.verdict))
        .collect();
    if !senders.is_empty() {
        let n = |v: SenderVerdict| senders.iter().filter(|s| **s == v).count();
        line.push_str(&format!(
            " Sender side: {} refused, {} incomplete, {} ok.",
            n(SenderVerdict::Refused),
            n(SenderVerdict::Incomplete),
            n(SenderVerdict::Ok)
        ));
    }
    line
}

/// The target's headline: its verdict in words.
fn headline(report: &Report, style: Style) -> String {
    let count = |f: &dyn Fn(&ZoneResult) -> bool| report.results.iter().filter(|r| f(r)).count();
    let blocking = count(&|r| r.status == Status::Listed && r.role == Role::Block);
    let unknown = count(&|r| matches!(r.status, Status::Unusable | Status::Error));
    let total = report.results.len();
    match report.verdict {
        Verdict::Listed => style.paint(
            RED,
            &format!("LISTED on {}", plural(blocking, "block list")),
        ),
        Verdict::Incomplete if total == 0 => style.paint(
            YELLOW,
            "INCOMPLETE: no selected list checks this kind of target",
        ),
        Verdict::Incomplete if unknown == total => style.paint(
            YELLOW,
            &format!(
                "INCOMPLETE: none of the {} gave a usable answer",
                plural(total, "list")
            ),
        ),
        Verdict::Incomplete => style.paint(
            YELLOW,
            &format!(
                "INCOMPLETE: not listed on the {} that answered; {} gave no usable answer",
                plural(total - unknown, "list"),
                unknown
            ),
        ),
        Verdict::Clean => style.paint(
            GREEN,
            &format!("clean: not listed on any of {}", plural(total, "list")),
        ),
    }
}

fn render_report(out: &mut dyn Write, report: &Report, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{}  {}",
        style.paint(BOLD, &report.target),
        headline(report, style)
    )?;
    if !report.sources.is_empty() {
        writeln!(out, "  from: {}", sanitize(&report.sources.join("; ")))?;
    }
    let width = column_width(
        report
            .results
            .iter()
            .filter(|r| r.status != Status::NotListed)
            .map(|r| r.zone.as_str()),
        0,
    );
    for r in report.results.iter().filter(|r| r.status == Status::Listed) {
        render_listing(out, r, width, style)?;
    }
    render_failures(out, &report.results, width, style)?;
    let not_listed: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.status == Status::NotListed)
        .map(|r| r.zone.as_str())
        .collect();
    if !not_listed.is_empty() {
        writeln!(
            out,
            "  {} {}",
            style.paint(DIM, &format!("{:<12}", "not listed")),
            not_listed.join(", ")
        )?;
    }
    for r in report
        .results
        .iter()
        .filter(|r| r.change == Some(crate::monitor::ChangeKind::Delisted))
    {
        writeln!(
            out,
            "  {} {} (since the last run)",
            style.paint(GREEN, &format!("{:<12}", "delisted")),
            r.zone
        )?;
    }
    if let Some(sender) = &report.sender {
        render_sender(out, sender, style)?;
    }
    Ok(())
}

/// A listing: the zone, its codes, their meanings, TXT and lookup page.
fn render_listing(
    out: &mut dyn Write,
    r: &ZoneResult,
    width: usize,
    style: Style,
) -> io::Result<()> {
    let (word, color) = status_word(r.status, r.role);
    writeln!(
        out,
        "  {} {:<width$}  {}  {}",
        style.paint(color, &format!("{word:<12}")),
        r.zone,
        sanitize(&r.name),
        r.answers.join(", ")
    )?;
    for m in &r.meanings {
        writeln!(out, "{INDENT}{}", sanitize(m))?;
    }
    if let Some(d) = &r.detail {
        writeln!(out, "{INDENT}{}", sanitize(d))?;
    }
    for t in &r.txt {
        writeln!(out, "{INDENT}txt: {}", sanitize(t))?;
    }
    if let Some(u) = &r.lookup_url {
        writeln!(out, "{INDENT}lookup: {}", sanitize(u))?;
    }
    if let Some(since) = &r.listed_since {
        let new = if r.change == Some(crate::monitor::ChangeKind::Listed) {
            style.paint(RED, " (new since the last run)")
        } else {
            String::new()
        };
        writeln!(out, "{INDENT}listed since {since}{new}")?;
    }
    Ok(())
}

/// Unusable and error results. Zones that failed for the same reason share
/// one line (a resolver that hides every list is one line, not one block per
/// list); a lone failure gets its own row with the reason beneath.
fn render_failures(
    out: &mut dyn Write,
    results: &[ZoneResult],
    width: usize,
    style: Style,
) -> io::Result<()> {
    let failed: Vec<&ZoneResult> = results
        .iter()
        .filter(|r| matches!(r.status, Status::Unusable | Status::Error))
        .collect();
    let mut groups: Vec<(Status, &str, Vec<&ZoneResult>)> = Vec::new();
    for r in &failed {
        let detail = r.detail.as_deref().unwrap_or("");
        match groups
            .iter_mut()
            .find(|(s, d, _)| *s == r.status && *d == detail)
        {
            Some((_, _, members)) => members.push(r),
            None => groups.push((r.status, detail, vec![r])),
        }
    }
    for (status, detail, members) in groups {
        let (word, color) = status_word(status, members[0].role);
        let word = style.paint(color, &format!("{word:<12}"));
        if let [r] = members.as_slice() {
            let answers = r.answers.join(", ");
            let name = sanitize(&r.name);
            writeln!(out, "  {word} {:<width$}  {name}  {answers}", r.zone)?;
            if !detail.is_empty() {
                writeln!(out, "{INDENT}{}", sanitize(detail))?;
            }
            continue;
        }
        let zones = if members.len() == results.len() {
            format!("all {} lists", members.len())
        } else {
            members
                .iter()
                .map(|r| r.zone.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(out, "  {word} {zones}: {}", sanitize(detail))?;
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Why an SPF evaluation ended in an error, from its trace.
fn spf_error(spf: &SpfOutput) -> Option<&str> {
    spf.trace
        .iter()
        .rev()
        .find(|s| matches!(s.event, TraceEvent::Error | TraceEvent::Limit))
        .map(|s| s.text.as_str())
}

fn render_sender(out: &mut dyn Write, s: &SenderReport, style: Style) -> io::Result<()> {
    let (word, color) = match s.verdict {
        SenderVerdict::Refused => ("REFUSED", RED),
        SenderVerdict::Incomplete => ("INCOMPLETE", YELLOW),
        SenderVerdict::Ok => ("ok", GREEN),
    };
    let helo = s
        .helo
        .as_deref()
        .map(|h| format!(" (HELO {})", sanitize(h)))
        .unwrap_or_default();
    writeln!(
        out,
        "  {}{helo}  {}",
        style.paint(BOLD, &format!("sender domain {}", s.domain)),
        style.paint(color, word)
    )?;
    render_spf_lines(out, &s.spf, style)?;
    render_dmarc_line(out, s, style)?;
    render_rdns_lines(out, s, style)?;
    render_domain_lists(out, &s.results, style)
}

fn render_spf_lines(out: &mut dyn Write, spf: &SpfOutput, style: Style) -> io::Result<()> {
    let color = match spf.result {
        SpfResult::Pass => GREEN,
        SpfResult::Fail => RED,
        _ => YELLOW,
    };
    let why = match (&spf.mechanism, spf.result) {
        (Some(m), _) => format!(" (decided by {})", sanitize(m)),
        (None, SpfResult::TempError | SpfResult::PermError) => spf_error(spf)
            .map(|e| format!(" ({})", sanitize(e)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    writeln!(
        out,
        "    SPF    {}{why}",
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
    Ok(())
}

fn render_dmarc_line(out: &mut dyn Write, s: &SenderReport, style: Style) -> io::Result<()> {
    let Some(d) = &s.dmarc else {
        return writeln!(
            out,
            "    DMARC  no record at _dmarc.{} or its organisational domain",
            s.domain
        );
    };
    match (&d.policy, &d.error) {
        (_, Some(e)) => writeln!(
            out,
            "    DMARC  {} ({})",
            style.paint(YELLOW, "unusable"),
            sanitize(&e.to_string())
        ),
        (Some(p), None) => writeln!(
            out,
            "    DMARC  p={p} sp={} pct={} aspf={} at {}; SPF aligned: {}",
            d.subdomain_policy.map_or("?", |p| p.as_str()),
            d.pct.unwrap_or(100),
            d.aspf.map_or("r", |a| a.as_str()),
            d.name,
            yes_no(d.aligned)
        ),
        (None, None) => Ok(()),
    }
}

fn render_rdns_lines(out: &mut dyn Write, s: &SenderReport, style: Style) -> io::Result<()> {
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
    Ok(())
}

fn render_domain_lists(
    out: &mut dyn Write,
    results: &[ZoneResult],
    style: Style,
) -> io::Result<()> {
    for z in results.iter().filter(|z| z.status != Status::NotListed) {
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
    let clean: Vec<&str> = results
        .iter()
        .filter(|z| z.status == Status::NotListed)
        .map(|z| z.zone.as_str())
        .collect();
    if !clean.is_empty() {
        writeln!(out, "    domain not listed on {}", clean.join(", "))?;
    }
    Ok(())
}
