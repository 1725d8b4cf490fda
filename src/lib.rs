//! blocklens explains SMTP 5.7.1 rejections: which DNS blocklists list a
//! sending IP or domain, what each answer means, where to look it up, and
//! which lists could not be asked.
//!
//! Data flows one way: a validated [`Config`] and [`Command`] -> the
//! command's module in [`commands`] -> the [`engine`] (lookups through the
//! [`dns::Dns`] trait) -> the [`report`] model -> the format's
//! [`render::Exporter`] -> the writer given to [`run`]. The library never
//! prints on its own and never sees clap.
//!
//! Unknown is never clean: a timeout, SERVFAIL, REFUSED or an error code is
//! never `not_listed`, and a zone's NXDOMAIN is trusted only after it has
//! listed its RFC 5782 test point through the same resolver in the same run.

#![deny(missing_docs)]

pub mod bounce;
pub mod catalog;
pub mod commands;
pub mod config;
pub mod dmarc;
pub mod dns;
pub mod dnsbl;
pub mod engine;
pub mod explain;
pub mod infra;
pub mod monitor;
pub mod rdns;
pub mod render;
pub mod report;
pub mod sources;
pub mod spf;
pub mod target;
mod words;
pub mod zonedata;

use std::io::Write;

pub use commands::{Command, RunError};
pub use config::Config;
pub use report::ExitStatus;

/// Runs `command` with `config`, writing its output to `out` (and a scan's
/// progress and summary to `err`).
pub async fn run(
    config: &Config,
    command: &Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, RunError> {
    command.run(config, out, err).await
}
