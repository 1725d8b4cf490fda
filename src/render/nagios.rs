//! The Nagios/Icinga plugin format: one status line with perfdata, then a
//! line per listing or failed lookup (`check` only).

use std::io::{self, Write};

use crate::catalog::Zone;
use crate::explain::{ExplainSummary, Explanation};
use crate::monitor::nagios::{Thresholds, evaluate};
use crate::report::{HealthReport, Report, ScanSummary};
use crate::spf::SpfOutput;

use super::{Exporter, unsupported};

/// Writes `check` reports as a plugin's output.
pub struct NagiosExporter<'a> {
    out: &'a mut dyn Write,
    thresholds: Thresholds,
}

impl<'a> NagiosExporter<'a> {
    /// With the WARNING and CRITICAL levels.
    pub fn new(out: &'a mut dyn Write, thresholds: Thresholds) -> NagiosExporter<'a> {
        NagiosExporter { out, thresholds }
    }
}

impl Exporter for NagiosExporter<'_> {
    fn check(&mut self, reports: &[Report]) -> io::Result<()> {
        self.out
            .write_all(evaluate(reports, &self.thresholds).text.as_bytes())?;
        self.out.flush()
    }

    fn scan_begin(&mut self) -> io::Result<()> {
        Err(unsupported("nagios", "scan reports"))
    }

    fn scan_report(&mut self, _: &Report) -> io::Result<()> {
        Err(unsupported("nagios", "scan reports"))
    }

    fn scan_end(&mut self, _: &ScanSummary) -> io::Result<()> {
        Err(unsupported("nagios", "scan reports"))
    }

    fn spf(&mut self, _: &SpfOutput) -> io::Result<()> {
        Err(unsupported("nagios", "SPF results"))
    }

    fn explain_begin(&mut self, _: bool) -> io::Result<()> {
        Err(unsupported("nagios", "explanations"))
    }

    fn explanation(&mut self, _: &Explanation) -> io::Result<()> {
        Err(unsupported("nagios", "explanations"))
    }

    fn explain_end(&mut self, _: &ExplainSummary) -> io::Result<()> {
        Err(unsupported("nagios", "explanations"))
    }

    fn zones(&mut self, _: &[Zone]) -> io::Result<()> {
        Err(unsupported("nagios", "the catalog"))
    }

    fn health(&mut self, _: &[HealthReport]) -> io::Result<()> {
        Err(unsupported("nagios", "zone health"))
    }
}
