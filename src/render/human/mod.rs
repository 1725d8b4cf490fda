//! Human output: short tables, listed first, colour only when asked for.
//! One file per command; this one holds what they share.

mod check;
mod explain;
mod scan;
mod spf;
mod zones;

use std::io::Write;

use crate::catalog::Role;
use crate::config::Style;
use crate::report::Status;

use super::sanitize;

pub use check::render_check;
pub use explain::{render_explain_summary, render_explanation};
pub use scan::{render_scan_row, render_scan_summary};
pub use spf::render_spf;
pub use zones::{render_health, render_zones};

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

/// `1 target`, `2 targets`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The widest a padded table column gets; longer values overflow it.
const MAX_COLUMN: usize = 48;

/// The width of a table column holding `values` (at least `min`, at most
/// [`MAX_COLUMN`]).
fn column_width<'a>(values: impl Iterator<Item = &'a str>, min: usize) -> usize {
    values
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(min, MAX_COLUMN.max(min))
}

/// A writer that drops the spaces padding leaves at the end of lines.
struct TrimLines<'a> {
    inner: &'a mut dyn std::io::Write,
    line: Vec<u8>,
}

impl std::io::Write for TrimLines<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let end = self
                    .line
                    .iter()
                    .rposition(|c| *c != b' ')
                    .map_or(0, |i| i + 1);
                self.inner.write_all(&self.line[..end])?;
                self.inner.write_all(b"\n")?;
                self.line.clear();
            } else {
                self.line.push(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.write_all(&self.line)?;
        self.line.clear();
        self.inner.flush()
    }
}

/// Tables for people.
pub struct HumanExporter<'a> {
    out: TrimLines<'a>,
    style: Style,
    /// Explaining several inputs: each gets a header, and a summary ends them.
    many: bool,
    /// Explanations written so far.
    written: u64,
}

impl<'a> HumanExporter<'a> {
    /// Writes to `out` with `style`.
    pub fn new(out: &'a mut dyn std::io::Write, style: Style) -> HumanExporter<'a> {
        HumanExporter {
            out: TrimLines {
                inner: out,
                line: Vec::new(),
            },
            style,
            many: false,
            written: 0,
        }
    }
}

impl super::Exporter for HumanExporter<'_> {
    fn check(&mut self, reports: &[crate::report::Report]) -> std::io::Result<()> {
        render_check(&mut self.out, reports, self.style)?;
        self.out.flush()
    }

    fn scan_begin(&mut self) -> std::io::Result<()> {
        Ok(())
    }

    fn scan_report(&mut self, report: &crate::report::Report) -> std::io::Result<()> {
        if report.verdict == crate::report::Verdict::Clean {
            return Ok(());
        }
        render_scan_row(&mut self.out, report, self.style)?;
        self.out.flush()
    }

    fn scan_end(&mut self, summary: &crate::report::ScanSummary) -> std::io::Result<()> {
        render_scan_summary(&mut self.out, summary, self.style)?;
        self.out.flush()
    }

    fn spf(&mut self, spf: &crate::spf::SpfOutput) -> std::io::Result<()> {
        render_spf(&mut self.out, spf, self.style)?;
        self.out.flush()
    }

    fn explain_begin(&mut self, many: bool) -> std::io::Result<()> {
        self.many = many;
        Ok(())
    }

    fn explanation(&mut self, e: &crate::explain::Explanation) -> std::io::Result<()> {
        if self.written > 0 {
            writeln!(self.out)?;
        }
        self.written += 1;
        render_explanation(&mut self.out, e, self.many, self.style)?;
        self.out.flush()
    }

    fn explain_end(&mut self, summary: &crate::explain::ExplainSummary) -> std::io::Result<()> {
        if self.many {
            render_explain_summary(&mut self.out, summary, self.style)?;
        }
        self.out.flush()
    }

    fn zones(&mut self, zones: &[crate::catalog::Zone]) -> std::io::Result<()> {
        render_zones(&mut self.out, zones, self.style)?;
        self.out.flush()
    }

    fn health(&mut self, reports: &[crate::report::HealthReport]) -> std::io::Result<()> {
        render_health(&mut self.out, reports, self.style)?;
        self.out.flush()
    }
}
