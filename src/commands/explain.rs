//! `explain`: a rejection text to a cause, live evidence and advice.

use std::io::Write;

use crate::catalog::{Catalog, Zone};
use crate::config::Config;
use crate::explain::{self, Overrides, VerifyStatus};
use crate::render;
use crate::report::ExitStatus;

use super::{Lookups, RunError};

/// `explain`'s inputs.
#[derive(Clone, Debug)]
pub struct Explain {
    /// The text (lossy UTF-8).
    pub text: String,
    /// Facts supplied on the command line.
    pub overrides: Overrides,
    /// The catalog (to find a named zone).
    pub catalog: Catalog,
    /// The zones to check besides the named one.
    pub zones: Vec<Zone>,
}

impl Explain {
    /// Explains, writes the explanation, and returns the exit status:
    /// confirmed live, diagnosed, or verification failed for lack of DNS.
    pub async fn run(&self, config: &Config, out: &mut dyn Write) -> Result<ExitStatus, RunError> {
        // --offline needs no resolver (and must work without one).
        let dns = if self.overrides.offline {
            None
        } else {
            Some(Lookups::resolver(&self.zones, config)?.dns)
        };
        let e = explain::explain(
            dns,
            &self.catalog,
            &self.zones,
            &self.text,
            &self.overrides,
            &config.engine,
        )
        .await;
        render::exporter(config.format, config.style, out).explanation(&e)?;
        Ok(match e.verification.status {
            VerifyStatus::Confirmed => ExitStatus::Listed,
            _ if e.verification.dns_failed => ExitStatus::Incomplete,
            _ => ExitStatus::Clean,
        })
    }
}
