//! JSON output: serde applied to the report model. `--format json` writes one
//! document (an array for lists of reports), `--format ndjson` one object per
//! line.

use std::io::{self, Write};

use serde::Serialize;

use crate::catalog::Zone;
use crate::explain::Explanation;
use crate::report::{HealthReport, Report, ScanSummary};
use crate::spf::SpfOutput;

use super::Exporter;

/// JSON or NDJSON.
pub struct JsonExporter<'a> {
    out: &'a mut dyn Write,
    lines: bool,
    /// Scan reports written so far (for the array's commas).
    written: u64,
}

impl<'a> JsonExporter<'a> {
    /// NDJSON when `lines`, else JSON.
    pub fn new(out: &'a mut dyn Write, lines: bool) -> JsonExporter<'a> {
        JsonExporter {
            out,
            lines,
            written: 0,
        }
    }

    /// A list: one pretty array, or one line per item.
    fn list<T: Serialize>(&mut self, items: &[T]) -> io::Result<()> {
        if self.lines {
            for item in items {
                self.line(item)?;
            }
        } else {
            serde_json::to_writer_pretty(&mut *self.out, items)?;
            writeln!(self.out)?;
        }
        self.out.flush()
    }

    /// One compact object and a newline.
    fn line<T: Serialize>(&mut self, item: &T) -> io::Result<()> {
        serde_json::to_writer(&mut *self.out, item)?;
        writeln!(self.out)
    }

    /// A single object: one line in both formats.
    fn single<T: Serialize>(&mut self, item: &T) -> io::Result<()> {
        self.line(item)?;
        self.out.flush()
    }
}

impl Exporter for JsonExporter<'_> {
    fn check(&mut self, reports: &[Report]) -> io::Result<()> {
        self.list(reports)
    }

    fn scan_begin(&mut self) -> io::Result<()> {
        if !self.lines {
            write!(self.out, "[")?;
        }
        Ok(())
    }

    fn scan_report(&mut self, report: &Report) -> io::Result<()> {
        if self.lines {
            // A consumer reading line by line gets each report when it is
            // ready, not when a pipe buffer fills.
            self.line(report)?;
            self.out.flush()?;
        } else {
            writeln!(self.out, "{}", if self.written == 0 { "" } else { "," })?;
            serde_json::to_writer(&mut *self.out, report)?;
        }
        self.written += 1;
        Ok(())
    }

    fn scan_end(&mut self, _summary: &ScanSummary) -> io::Result<()> {
        if !self.lines {
            writeln!(self.out, "{}]", if self.written == 0 { "" } else { "\n" })?;
        }
        self.out.flush()
    }

    fn spf(&mut self, spf: &SpfOutput) -> io::Result<()> {
        self.single(spf)
    }

    fn explanation(&mut self, e: &Explanation) -> io::Result<()> {
        self.single(e)
    }

    fn zones(&mut self, zones: &[Zone]) -> io::Result<()> {
        self.list(zones)
    }

    fn health(&mut self, reports: &[HealthReport]) -> io::Result<()> {
        self.list(reports)
    }
}
