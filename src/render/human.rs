//! Human output: short tables, listed first, colour only when asked for.

use std::io::{self, Write};

use crate::catalog::{Role, Zone, ZoneStatus};
use crate::report::{HealthReport, Report, Status, Verdict};
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
