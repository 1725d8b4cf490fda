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
//! ARCHITECTURE.md in the repository describes the modules and where to add
//! a list, a format or a command.
//!
//! # From Rust
//!
//! A [`Command`] is built from plain values and [`run`] writes its output in
//! the configured format; here a check of one address and a scan of a /24,
//! both as JSON, against the built-in catalog's default zones:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use blocklens::catalog::{Catalog, Selection};
//! use blocklens::commands::{check::Check, scan::Scan};
//! use blocklens::config::{EngineOptions, Format, Style, Thresholds};
//! use blocklens::dns::ResolverSettings;
//! use blocklens::sources::{Shard, parse_block};
//! use blocklens::target::Target;
//! use blocklens::{Command, Config, ExitStatus};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let zones = Catalog::builtin().select(&Selection::default())?;
//! let config = Config {
//!     resolver: ResolverSettings {
//!         // A resolver that answers blocklist queries (not a public one).
//!         servers: vec!["127.0.0.1:53".parse()?],
//!         timeout: Duration::from_secs(2),
//!         attempts: 2,
//!     },
//!     engine: EngineOptions::default(),
//!     format: Format::Json,
//!     style: Style::default(),
//!     local: Vec::new(),
//!     thresholds: Thresholds::default(),
//! };
//!
//! let check = Command::Check(Check {
//!     targets: vec![Target::parse("192.0.2.10")?],
//!     zones: zones.clone(),
//!     sender: None,
//!     helo: None,
//!     infra: None,
//!     state: None,
//!     notify: None,
//!     only_changes: false,
//! });
//! let (mut out, mut err) = (Vec::new(), Vec::new());
//! let status = blocklens::run(&config, &check, &mut out, &mut err).await?;
//! // 0: nothing listed, every zone answered; 1: listed; 3: some lookup had no usable answer.
//! println!("{} -> exit {}", String::from_utf8_lossy(&out), status.code());
//!
//! let scan = Command::Scan(Scan {
//!     blocks: vec![parse_block("192.0.2.0/24")?],
//!     zones,
//!     only_listed: true,
//!     progress: false,
//!     quiet: true,
//!     shard: Shard::default(),
//!     left_out: Vec::new(),
//! });
//! let mut ndjson = Vec::new();
//! let status: ExitStatus = blocklens::run(&config, &scan, &mut ndjson, &mut err).await?;
//! # let _ = status;
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod bounce;
pub mod catalog;
pub mod commands;
pub mod config;
pub(crate) mod dmarc;
pub mod dns;
pub(crate) mod dnsbl;
pub mod engine;
pub mod explain;
pub mod infra;
pub mod monitor;
#[cfg(test)]
mod prop_support;
pub(crate) mod rdns;
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
