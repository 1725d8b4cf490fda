//! JSON output: serde applied to the report model. `--format json` writes one
//! document (an array for lists of reports), `--format ndjson` one object per
//! line.

use std::io::{self, Write};

use serde::Serialize;

use crate::catalog::Zone;
use crate::explain::{ExplainSummary, Explanation};
use crate::report::{HealthReport, Report, ScanSummary};
use crate::spf::SpfOutput;

use super::Exporter;

/// JSON or NDJSON.
pub struct JsonExporter<'a> {
    out: &'a mut dyn Write,
    lines: bool,
    /// Scan reports (or explanations) written so far (for the array's commas).
    written: u64,
    /// Explanations go into an array (several inputs, `--format json`).
    array: bool,
    /// One item serialised here first, then written in one call (serde
    /// writes many small pieces; a scan writes one line per target).
    buf: Vec<u8>,
}

impl<'a> JsonExporter<'a> {
    /// NDJSON when `lines`, else JSON.
    pub fn new(out: &'a mut dyn Write, lines: bool) -> JsonExporter<'a> {
        JsonExporter {
            out,
            lines,
            written: 0,
            array: false,
            buf: Vec::with_capacity(1024),
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
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, item)?;
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)
    }

    /// One item of a stream: an NDJSON line (flushed, so a reader on a pipe
    /// gets it when it is ready), or an element of a JSON array.
    fn item<T: Serialize>(&mut self, item: &T) -> io::Result<()> {
        if self.lines {
            self.line(item)?;
            self.out.flush()?;
        } else {
            self.buf.clear();
            self.buf
                .extend_from_slice(if self.written == 0 { b"\n" } else { b",\n" });
            serde_json::to_writer(&mut self.buf, item)?;
            self.out.write_all(&self.buf)?;
        }
        self.written += 1;
        Ok(())
    }

    /// Closes a streamed JSON array.
    fn end_array(&mut self) -> io::Result<()> {
        if !self.lines {
            writeln!(self.out, "{}]", if self.written == 0 { "" } else { "\n" })?;
        }
        self.out.flush()
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
        self.item(report)
    }

    fn scan_end(&mut self, _summary: &ScanSummary) -> io::Result<()> {
        self.end_array()
    }

    fn spf(&mut self, spf: &SpfOutput) -> io::Result<()> {
        self.single(spf)
    }

    fn explain_begin(&mut self, many: bool) -> io::Result<()> {
        self.array = many && !self.lines;
        if self.array {
            write!(self.out, "[")?;
        }
        Ok(())
    }

    fn explanation(&mut self, e: &Explanation) -> io::Result<()> {
        if self.lines {
            // One line per diagnosis.
            for i in 0..e.diagnoses.len() {
                self.item(&e.only(i))?;
            }
            return Ok(());
        }
        if self.array {
            return self.item(e);
        }
        self.single(e)
    }

    fn explain_end(&mut self, _summary: &ExplainSummary) -> io::Result<()> {
        if self.array {
            return self.end_array();
        }
        self.out.flush()
    }

    fn zones(&mut self, zones: &[Zone]) -> io::Result<()> {
        self.list(zones)
    }

    fn health(&mut self, reports: &[HealthReport]) -> io::Result<()> {
        self.list(reports)
    }
}
