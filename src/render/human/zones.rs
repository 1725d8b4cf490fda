//! Human output of `zones` and `zones --health`.

use std::io::{self, Write};

use crate::catalog::{Zone, ZoneStatus};
use crate::report::HealthReport;
use crate::target::TargetKind;

use super::{BOLD, DIM, GREEN, Style, YELLOW, column_width, sanitize};

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
    let width = column_width(zones.iter().map(|z| z.zone.as_str()), 4);
    let name_width = column_width(zones.iter().map(|z| z.name.as_str()), 4);
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
    let width = column_width(reports.iter().map(|r| r.zone.as_str()), 4);
    writeln!(
        out,
        "{}",
        style.paint(
            BOLD,
            &format!(
                "{:<width$}  {:<6}  {:<18}  DETAIL",
                "ZONE", "FAMILY", "HEALTH"
            )
        )
    )?;
    for r in reports {
        let color = if r.health == crate::report::Health::Healthy {
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
        .filter(|r| r.health == crate::report::Health::Healthy)
        .count();
    writeln!(out)?;
    writeln!(
        out,
        "Summary: {healthy} of {} test point checks healthy.",
        reports.len()
    )
}
