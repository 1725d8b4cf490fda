//! `explain`: bounces and rejection texts to diagnoses, each checked live,
//! with the steps that fix them; several inputs end with a summary.

use std::io::Write;

use crate::catalog::{Catalog, Zone};
use crate::config::Config;
use crate::explain::{self, ExplainSummary, Overrides, Verifier};
use crate::render;
use crate::report::ExitStatus;

use super::{Lookups, RunError};

/// One input: a bounce message or a pasted text.
#[derive(Clone, Debug)]
pub struct Input {
    /// Where it came from (a file, `file#N` in an mbox); None for stdin.
    pub name: Option<String>,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// `explain`'s inputs.
#[derive(Clone, Debug)]
pub struct Explain {
    /// The bounces or texts, in order.
    pub inputs: Vec<Input>,
    /// Facts supplied on the command line.
    pub overrides: Overrides,
    /// The catalog (to find a named zone).
    pub catalog: Catalog,
    /// The zones to check besides the named one.
    pub zones: Vec<Zone>,
}

impl Explain {
    /// Explains every input, streaming each to the exporter, and returns the
    /// exit status: 1 when a cause was confirmed live, 3 when some check
    /// failed for lack of DNS answers, 0 otherwise. One unreadable input
    /// (empty, too large) is an error; among several it is counted.
    pub async fn run(&self, config: &Config, out: &mut dyn Write) -> Result<ExitStatus, RunError> {
        let many = self.inputs.len() > 1;
        if let [only] = self.inputs.as_slice()
            && let Err(e) = crate::bounce::parse(&only.bytes)
        {
            return Err(RunError::Input(e.to_string()));
        }
        // --offline needs no resolver (and must work without one).
        let dns = if self.overrides.offline {
            None
        } else {
            Some(Lookups::resolver(&self.zones, config)?.dns)
        };
        let mut verifier = Verifier::new(
            dns,
            &self.catalog,
            &self.zones,
            &config.engine,
            self.overrides.helo.clone(),
        );
        let mut exporter = render::exporter(config, out);
        exporter.explain_begin(many)?;
        let mut summary = ExplainSummary::default();
        for input in &self.inputs {
            match explain::explain(
                &mut verifier,
                input.name.clone(),
                &input.bytes,
                &self.overrides,
            )
            .await
            {
                Ok(e) => {
                    summary.add(&e);
                    exporter.explanation(&e)?;
                }
                Err(e) => summary
                    .unreadable
                    .push(format!("{}: {e}", input.name.as_deref().unwrap_or("stdin"))),
            }
        }
        exporter.explain_end(&summary)?;
        Ok(summary.exit_status())
    }
}
