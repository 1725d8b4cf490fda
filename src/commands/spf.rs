//! `spf`: RFC 7208 `check_host()` for a domain and an IP, with a trace.

use std::io::Write;
use std::net::IpAddr;

use crate::config::Config;
use crate::render;
use crate::report::ExitStatus;
use crate::spf::{self, SpfResult};

use super::{Lookups, RunError};

/// `spf`'s inputs.
#[derive(Clone, Debug)]
pub struct Spf {
    /// The domain whose policy is checked.
    pub domain: String,
    /// The client IP.
    pub ip: IpAddr,
    /// The HELO name.
    pub helo: Option<String>,
    /// The full MAIL FROM (`local@domain`).
    pub sender: Option<String>,
}

impl Spf {
    /// Evaluates, writes the result, and returns the exit status: evaluated
    /// (whatever the result) or temperror.
    pub async fn run(&self, config: &Config, out: &mut dyn Write) -> Result<ExitStatus, RunError> {
        let lookups = Lookups::resolver(&[], config)?;
        let req = spf::Request::for_domain(
            self.ip,
            &self.domain,
            self.sender.as_deref(),
            self.helo.as_deref(),
        );
        let output = spf::check_host(lookups.dns.as_ref(), &req).await;
        render::exporter(config, out).spf(&output)?;
        Ok(if output.result == SpfResult::TempError {
            ExitStatus::Incomplete
        } else {
            ExitStatus::Clean
        })
    }
}
