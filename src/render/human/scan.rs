//! Human output of `scan`: a row per listed or incomplete target, then a summary.

use std::io::{self, Write};

use crate::report::{Report, Status, Verdict};

use super::{GREEN, RED, Style, YELLOW, column_width, plural, sanitize};

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
    summary: &crate::report::ScanSummary,
    style: Style,
) -> io::Result<()> {
    let (stats, queries, elapsed) = (&summary.stats, summary.queries, summary.elapsed);
    writeln!(out)?;
    if stats.interrupted {
        writeln!(
            out,
            "{}",
            style.paint(
                YELLOW,
                "Interrupted (Ctrl-C): every report written is complete; the remaining addresses were not scanned."
            )
        )?;
    }
    let secs = elapsed.as_secs_f64();
    writeln!(
        out,
        "Scanned {}: {} listed, {} incomplete, {} clean. {queries} queries in {secs:.2} s ({:.0} queries/s).",
        plural(stats.targets as usize, "target"),
        stats.listed,
        stats.incomplete,
        stats.clean,
        queries as f64 / secs.max(0.001)
    )?;
    let width = column_width(stats.zones.iter().map(|z| z.zone.as_str()), 4);
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
