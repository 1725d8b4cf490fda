//! Human output of `spf`: verdict, record, counters, lint, trace tree.

use std::io::{self, Write};

use crate::spf::{SpfOutput, SpfResult};

use super::{DIM, GREEN, RED, Style, YELLOW, sanitize};

/// Writes the `spf` command's result: verdict, record, counters, lint, trace tree.
pub fn render_spf(out: &mut dyn Write, spf: &SpfOutput, style: Style) -> io::Result<()> {
    let color = match spf.result {
        SpfResult::Pass => GREEN,
        SpfResult::Fail => RED,
        _ => YELLOW,
    };
    writeln!(
        out,
        "SPF {} for {} from {}",
        style.paint(color, &spf.result.as_str().to_uppercase()),
        sanitize(&spf.domain),
        spf.ip
    )?;
    match (&spf.mechanism, spf.result) {
        (Some(m), _) => writeln!(out, "  decided by:  {}", sanitize(m))?,
        (None, SpfResult::Neutral) => writeln!(
            out,
            "  decided by:  nothing matched (the default is neutral)"
        )?,
        (None, _) => {}
    }
    if let Some(e) = &spf.explanation {
        writeln!(out, "  explanation: {}", sanitize(e))?;
    }
    writeln!(
        out,
        "  record:      {}",
        spf.record
            .as_deref()
            .map(sanitize)
            .unwrap_or_else(|| "(none)".into())
    )?;
    writeln!(
        out,
        "  lookups:     {} of {} DNS-querying terms, {} of {} void lookups",
        spf.dns_lookups,
        crate::spf::MAX_DNS_LOOKUPS,
        spf.void_lookups,
        crate::spf::MAX_VOID_LOOKUPS
    )?;
    if !spf.lint.is_empty() {
        writeln!(out, "Warnings:")?;
        for l in &spf.lint {
            writeln!(out, "  - {}", sanitize(l))?;
        }
    }
    writeln!(out, "Trace:")?;
    for step in &spf.trace {
        let indent = "  ".repeat(step.depth as usize + 1);
        let mark = match step.matched {
            Some(true) => style.paint(GREEN, "match    "),
            Some(false) => style.paint(DIM, "no match "),
            None => format!("{:<9}", step.event),
        };
        let note = step
            .note
            .as_deref()
            .map(|n| format!("  ({})", sanitize(n)))
            .unwrap_or_default();
        writeln!(out, "{indent}{mark}{}{note}", sanitize(&step.text))?;
    }
    Ok(())
}
