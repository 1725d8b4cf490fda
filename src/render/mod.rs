//! Output: one [`Exporter`] per format, all from the report model. Nothing
//! else in the crate formats output. A command hands its results to the
//! exporter of the chosen format; adding a format is one file implementing
//! [`Exporter`] plus its entry in [`exporter`].

mod human;
mod json;
mod nagios;
mod progress;
mod prometheus;
mod sanitize;

use std::io::{self, Write};

use crate::catalog::Zone;
use crate::config::{Config, Format};
use crate::explain::{ExplainSummary, Explanation};
use crate::monitor::Round;
use crate::monitor::state::Listing;
use crate::report::{HealthReport, Report, ScanSummary};
use crate::spf::SpfOutput;

pub use human::HumanExporter;
pub use json::JsonExporter;
pub use progress::Progress;
pub use sanitize::sanitize;

/// Writes one format. Scans stream: `scan_begin`, `scan_report` per target
/// (in input order), `scan_end`.
pub trait Exporter {
    /// `check` reports, in input order.
    fn check(&mut self, reports: &[Report]) -> io::Result<()>;
    /// A `check` round: its reports, what each zone's test points showed,
    /// and (with a state database) when each current listing began.
    fn round(&mut self, round: &Round, _listings: &[Listing]) -> io::Result<()> {
        self.check(&round.reports)
    }
    /// Before the first scan report.
    fn scan_begin(&mut self) -> io::Result<()>;
    /// One scanned target (the command has already applied `--only-listed`).
    fn scan_report(&mut self, report: &Report) -> io::Result<()>;
    /// After the last scan report.
    fn scan_end(&mut self, summary: &ScanSummary) -> io::Result<()>;
    /// The `spf` result.
    fn spf(&mut self, spf: &SpfOutput) -> io::Result<()>;
    /// Before the first explained input (`many`: more than one input).
    fn explain_begin(&mut self, many: bool) -> io::Result<()>;
    /// One explained input.
    fn explanation(&mut self, e: &Explanation) -> io::Result<()>;
    /// After the last explained input.
    fn explain_end(&mut self, summary: &ExplainSummary) -> io::Result<()>;
    /// The catalog (`zones`).
    fn zones(&mut self, zones: &[Zone]) -> io::Result<()>;
    /// The test-point checks (`zones --health`).
    fn health(&mut self, reports: &[HealthReport]) -> io::Result<()>;
}

/// The exporter for `format`, writing to `out`.
pub fn exporter<'a>(config: &Config, out: &'a mut dyn Write) -> Box<dyn Exporter + 'a> {
    match config.format {
        Format::Human => Box::new(HumanExporter::new(out, config.style)),
        Format::Json => Box::new(JsonExporter::new(out, false)),
        Format::Ndjson => Box::new(JsonExporter::new(out, true)),
        Format::Nagios => Box::new(nagios::NagiosExporter::new(out, config.thresholds)),
        Format::Prometheus => Box::new(prometheus::PrometheusExporter::new(out)),
    }
}

/// The error of a format asked for a result it does not write (the command
/// line refuses such combinations before any query).
fn unsupported(format: &str, what: &str) -> io::Error {
    io::Error::other(format!("--format {format} does not write {what}"))
}
