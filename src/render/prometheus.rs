//! The Prometheus text exposition format of a `check` round (for
//! node_exporter's textfile collector), written with prometheus-client.

use std::io::{self, Write};

use crate::catalog::Zone;
use crate::explain::{ExplainSummary, Explanation};
use crate::monitor::state::Listing;
use crate::monitor::{Round, metrics};
use crate::report::{HealthReport, Report, ScanSummary};
use crate::spf::SpfOutput;

use super::{Exporter, unsupported};

/// Writes a `check` round as metrics.
pub struct PrometheusExporter<'a> {
    out: &'a mut dyn Write,
}

impl<'a> PrometheusExporter<'a> {
    /// Writes to `out`.
    pub fn new(out: &'a mut dyn Write) -> PrometheusExporter<'a> {
        PrometheusExporter { out }
    }
}

impl Exporter for PrometheusExporter<'_> {
    fn check(&mut self, _: &[Report]) -> io::Result<()> {
        Err(unsupported("prometheus", "reports without their round"))
    }

    fn round(&mut self, round: &Round, listings: &[Listing]) -> io::Result<()> {
        self.out
            .write_all(metrics::render(Some(round), listings, None).as_bytes())?;
        self.out.flush()
    }

    fn scan_begin(&mut self) -> io::Result<()> {
        Err(unsupported("prometheus", "scan reports"))
    }

    fn scan_report(&mut self, _: &Report) -> io::Result<()> {
        Err(unsupported("prometheus", "scan reports"))
    }

    fn scan_end(&mut self, _: &ScanSummary) -> io::Result<()> {
        Err(unsupported("prometheus", "scan reports"))
    }

    fn spf(&mut self, _: &SpfOutput) -> io::Result<()> {
        Err(unsupported("prometheus", "SPF results"))
    }

    fn explain_begin(&mut self, _: bool) -> io::Result<()> {
        Err(unsupported("prometheus", "explanations"))
    }

    fn explanation(&mut self, _: &Explanation) -> io::Result<()> {
        Err(unsupported("prometheus", "explanations"))
    }

    fn explain_end(&mut self, _: &ExplainSummary) -> io::Result<()> {
        Err(unsupported("prometheus", "explanations"))
    }

    fn zones(&mut self, _: &[Zone]) -> io::Result<()> {
        Err(unsupported("prometheus", "the catalog"))
    }

    fn health(&mut self, _: &[HealthReport]) -> io::Result<()> {
        Err(unsupported("prometheus", "zone health"))
    }
}
