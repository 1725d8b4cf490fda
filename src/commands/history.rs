//! `history`: a target's timeline from the state database.

use std::io::Write;
use std::path::PathBuf;

use crate::config::{Config, Format};
use crate::monitor::{Event, Store, rfc3339};
use crate::render::sanitize;
use crate::report::ExitStatus;

use super::RunError;

/// `history`'s inputs.
#[derive(Clone, Debug)]
pub struct History {
    /// The target, as checked (canonical IP or ASCII domain).
    pub target: String,
    /// The state database.
    pub state: PathBuf,
}

impl History {
    /// Writes the timeline, oldest first: 0 when the target has one, 3 when
    /// the database knows nothing of it.
    pub fn run(&self, config: &Config, out: &mut dyn Write) -> Result<ExitStatus, RunError> {
        if !self.state.is_file() {
            return Err(RunError::Input(format!(
                "{}: no state database there (create one with check --state)",
                self.state.display()
            )));
        }
        let store = Store::open(&self.state).map_err(|e| RunError::Input(e.to_string()))?;
        let events = store
            .history(&self.target)
            .map_err(|e| RunError::Input(e.to_string()))?;
        match config.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &events).map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
            Format::Ndjson => {
                for e in &events {
                    serde_json::to_writer(&mut *out, e).map_err(std::io::Error::from)?;
                    writeln!(out)?;
                }
            }
            _ => human(out, &self.target, &events)?,
        }
        out.flush()?;
        Ok(if events.is_empty() {
            ExitStatus::Incomplete
        } else {
            ExitStatus::Clean
        })
    }
}

fn human(out: &mut dyn Write, target: &str, events: &[Event]) -> std::io::Result<()> {
    if events.is_empty() {
        return writeln!(
            out,
            "{target}: no history (never checked with this state database)"
        );
    }
    writeln!(out, "History of {}", sanitize(target))?;
    for e in events {
        let what = match (&e.detail, e.answers.is_empty()) {
            (Some(d), _) => d.clone(),
            (None, false) => format!("{} {}", e.answers.join(", "), e.meanings.join("; ")),
            (None, true) => String::new(),
        };
        writeln!(
            out,
            "  {}  {:<16} {}  {}",
            rfc3339(e.at),
            e.kind.as_str(),
            e.zone,
            sanitize(&what)
        )?;
    }
    Ok(())
}
