//! Renderers: human tables and JSON/NDJSON, all from the report model.
//! Nothing else in the crate formats output for people.

mod human;
mod progress;
mod sanitize;

use std::io::{self, Write};

use serde::Serialize;

pub use human::{
    Style, render_check, render_explanation, render_health, render_scan_row, render_scan_summary,
    render_spf, render_zones,
};
pub use progress::Progress;
pub use sanitize::sanitize;

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables for people.
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Ndjson,
}

/// Writes `items` as one pretty JSON array.
pub fn json_array<T: Serialize>(out: &mut dyn Write, items: &[T]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, items)?;
    writeln!(out)
}

/// Writes one compact JSON object and a newline (one NDJSON line).
pub fn json_line<T: Serialize>(out: &mut dyn Write, item: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, item)?;
    writeln!(out)
}
