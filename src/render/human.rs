//! Human output: short tables, listed first, colour only when asked for.

use std::io::{self, Write};

use crate::catalog::{Role, Zone, ZoneStatus};
use crate::report::{HealthReport, Report, SenderReport, Status, Verdict};
use crate::spf::{SpfOutput, SpfResult};
use crate::target::TargetKind;

use super::sanitize;

/// How to decorate human output.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Style {
    fn paint(&self, color: &str, text: &str) -> String {
        if self.color {
            format!("{color}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

fn status_word(status: Status, role: Role) -> (&'static str, &'static str) {
    match (status, role) {
        (Status::Listed, Role::Block) => ("LISTED", RED),
        (Status::Listed, Role::Allow) => ("allow-listed", GREEN),
        (Status::Listed, Role::Info) => ("info", BOLD),
        (Status::Unusable, _) => ("unusable", YELLOW),
        (Status::Error, _) => ("error", YELLOW),
        (Status::NotListed, _) => ("not listed", DIM),
    }
}

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
                sanitize(e)
            )?,
            (Some(p), None) => writeln!(
                out,
                "    DMARC  p={p} sp={} pct={} aspf={} at {}; SPF aligned: {}",
                d.subdomain_policy.as_deref().unwrap_or("?"),
                d.pct.unwrap_or(100),
                d.aspf.as_deref().unwrap_or("r"),
                d.name,
                yes_no(d.aligned)
            )?,
            (None, None) => {}
        },
    }
    let r = &s.rdns;
    let color = if r.fcrdns == "pass" { GREEN } else { YELLOW };
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

/// Writes the `spf` command's result: verdict, record, counters, lint, trace tree.
pub fn render_spf(out: &mut dyn Write, spf: &SpfOutput, style: Style) -> io::Result<()> {
    let color = match spf.result {
        SpfResult::Pass => GREEN,
        SpfResult::Fail => RED,
        _ => YELLOW,
    };
    writeln!(
        out,
        "SPF {} for {} from {}",
        style.paint(color, &spf.result.as_str().to_uppercase()),
        sanitize(&spf.domain),
        spf.ip
    )?;
    match (&spf.mechanism, spf.result) {
        (Some(m), _) => writeln!(out, "  decided by:  {}", sanitize(m))?,
        (None, SpfResult::Neutral) => writeln!(
            out,
            "  decided by:  nothing matched (the default is neutral)"
        )?,
        (None, _) => {}
    }
    if let Some(e) = &spf.explanation {
        writeln!(out, "  explanation: {}", sanitize(e))?;
    }
    writeln!(
        out,
        "  record:      {}",
        spf.record
            .as_deref()
            .map(sanitize)
            .unwrap_or_else(|| "(none)".into())
    )?;
    writeln!(
        out,
        "  lookups:     {} of {} DNS-querying terms, {} of {} void lookups",
        spf.dns_lookups,
        crate::spf::MAX_DNS_LOOKUPS,
        spf.void_lookups,
        crate::spf::MAX_VOID_LOOKUPS
    )?;
    if !spf.lint.is_empty() {
        writeln!(out, "Warnings:")?;
        for l in &spf.lint {
            writeln!(out, "  - {}", sanitize(l))?;
        }
    }
    writeln!(out, "Trace:")?;
    for step in &spf.trace {
        let indent = "  ".repeat(step.depth as usize + 1);
        let mark = match step.matched {
            Some(true) => style.paint(GREEN, "match    "),
            Some(false) => style.paint(DIM, "no match "),
            None => format!("{:<9}", step.event),
        };
        let note = step
            .note
            .as_deref()
            .map(|n| format!("  ({})", sanitize(n)))
            .unwrap_or_default();
        writeln!(out, "{indent}{mark}{}{note}", sanitize(&step.text))?;
    }
    Ok(())
}

fn targets_label(z: &Zone) -> &'static str {
    match (z.targets, z.ipv4, z.ipv6) {
        (TargetKind::Domain, _, _) => "domain",
        (TargetKind::Ip, true, true) => "ip+v6",
        (TargetKind::Ip, false, true) => "ipv6",
        (TargetKind::Ip, _, false) => "ipv4",
    }
}

/// Writes the catalog as a table (`zones`).
pub fn render_zones(out: &mut dyn Write, zones: &[Zone], style: Style) -> io::Result<()> {
    let width = zones.iter().map(|z| z.zone.len()).max().unwrap_or(4).max(4);
    let name_width = zones.iter().map(|z| z.name.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "{}",
        style.paint(
            BOLD,
            &format!(
                "{:<width$}  {:<name_width$}  {:<7} {:<6} DEFAULT",
                "ZONE", "NAME", "TARGETS", "ROLE"
            )
        )
    )?;
    for z in zones {
        let default = if z.status == ZoneStatus::Dead {
            "dead"
        } else if z.needs_key() {
            "needs key"
        } else if z.default {
            "yes"
        } else {
            "no"
        };
        writeln!(
            out,
            "{:<width$}  {:<name_width$}  {:<7} {:<6} {default}",
            z.zone,
            sanitize(&z.name),
            targets_label(z),
            z.role.to_string(),
        )?;
        if let Some(n) = &z.notes {
            writeln!(out, "    {}", style.paint(DIM, &sanitize(n)))?;
        }
    }
    let on = zones
        .iter()
        .filter(|z| z.default && z.status == ZoneStatus::Active && !z.needs_key())
        .count();
    writeln!(out)?;
    writeln!(
        out,
        "{} zones, {on} queried by default. --all-zones adds the others (not dead ones); --zone ZONE picks any.",
        zones.len()
    )
}

/// Writes `zones --health` results.
pub fn render_health(
    out: &mut dyn Write,
    reports: &[HealthReport],
    style: Style,
) -> io::Result<()> {
    let width = reports.iter().map(|r| r.zone.len()).max().unwrap_or(4);
    for r in reports {
        let color = if r.health == crate::dnsbl::Health::Healthy {
            GREEN
        } else {
            YELLOW
        };
        writeln!(
            out,
            "{:<width$}  {:<6}  {}  {}",
            r.zone,
            r.family,
            style.paint(color, &format!("{:<18}", r.health.as_str())),
            sanitize(&r.detail)
        )?;
    }
    let healthy = reports
        .iter()
        .filter(|r| r.health == crate::dnsbl::Health::Healthy)
        .count();
    writeln!(out)?;
    writeln!(
        out,
        "Summary: {healthy} of {} test point checks healthy.",
        reports.len()
    )
}

/// One line (plus detail lines) for a listed or incomplete target of a scan.
pub fn render_scan_row(out: &mut dyn Write, report: &Report, style: Style) -> io::Result<()> {
    let (word, color) = match report.verdict {
        Verdict::Listed => ("LISTED", RED),
        Verdict::Incomplete => ("INCOMPLETE", YELLOW),
        Verdict::Clean => ("clean", GREEN),
    };
    let parts: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.status != Status::NotListed)
        .map(|r| match r.status {
            Status::Listed => format!("{} ({})", r.zone, sanitize(&r.meanings.join("; "))),
            other => format!("{} {}", r.zone, other.as_str()),
        })
        .collect();
    writeln!(
        out,
        "{:<39} {}  {}",
        report.target,
        style.paint(color, &format!("{word:<10}")),
        parts.join(", ")
    )
}

/// The end-of-scan summary.
pub fn render_scan_summary(
    out: &mut dyn Write,
    stats: &crate::engine::ScanStats,
    queries: u64,
    elapsed: std::time::Duration,
    style: Style,
) -> io::Result<()> {
    writeln!(out)?;
    if stats.interrupted {
        writeln!(
            out,
            "{}",
            style.paint(
                YELLOW,
                "Interrupted: the reports above are complete, the rest were not scanned."
            )
        )?;
    }
    let secs = elapsed.as_secs_f64();
    writeln!(
        out,
        "Scanned {} targets: {} listed, {} incomplete, {} clean. {queries} queries in {secs:.2} s ({:.0} queries/s).",
        stats.targets,
        stats.listed,
        stats.incomplete,
        stats.clean,
        queries as f64 / secs.max(0.001)
    )?;
    let width = stats
        .zones
        .iter()
        .map(|z| z.zone.len())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "{:<width$}  {:>8}  {:>8}  {:>8}",
        "ZONE", "LISTED", "UNUSABLE", "FAILED"
    )?;
    for z in &stats.zones {
        writeln!(
            out,
            "{:<width$}  {:>8}  {:>8}  {:>8}",
            z.zone, z.listed, z.unusable, z.error
        )?;
    }
    Ok(())
}

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
                d.record
                    .as_deref()
                    .map(sanitize)
                    .unwrap_or_else(|| d.error.clone().unwrap_or_default()),
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
