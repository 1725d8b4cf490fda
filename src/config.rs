//! Validated settings shared by every command, built once from the command
//! line. The library never sees clap: the binary turns its arguments into a
//! [`Config`] (and a command) with the parsers here, each
//! of which names what is wrong in one line.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::dns::ResolverSettings;

/// Default number of queries in flight. A burst of a few hundred back-to-back
/// UDP queries overflows a server's receive buffer on a small machine.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Everything a run needs besides the command itself.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where and how to query.
    pub resolver: ResolverSettings,
    /// Concurrency and rate.
    pub engine: EngineOptions,
    /// Output format.
    pub format: Format,
    /// Colour and decoration for human output.
    pub style: Style,
    /// Zones answered in-process from local data (rbldnsd files).
    pub local: Vec<crate::zonedata::Zone>,
    /// Nagios WARNING and CRITICAL levels (`--format nagios`).
    pub thresholds: Thresholds,
}

/// How hard to push.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Lookups in flight at once (at least 1).
    pub concurrency: usize,
    /// Global cap in queries per second.
    pub rate: Option<u32>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            concurrency: DEFAULT_CONCURRENCY,
            rate: None,
        }
    }
}

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables for people.
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Nagios/Icinga plugin status line with perfdata (`check` only).
    Nagios,
    /// The Prometheus text exposition format (`check` only).
    Prometheus,
}

/// How to decorate human output.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

/// The listing counts that make a target WARNING or CRITICAL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// WARNING at this many listings (none by default).
    pub warning: Option<u32>,
    /// CRITICAL at this many listings (1 by default).
    pub critical: u32,
}

impl Default for Thresholds {
    /// Any listing is CRITICAL.
    fn default() -> Self {
        Thresholds {
            warning: None,
            critical: 1,
        }
    }
}

/// A threshold that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// 0 would make every target an alert.
    #[error("--{0} must be at least 1 (it counts block-list listings)")]
    Zero(&'static str),
    /// The warning level would never be seen.
    #[error("--warning {warning} is above --critical {critical}")]
    WarningAboveCritical {
        /// The warning level.
        warning: u32,
        /// The critical level.
        critical: u32,
    },
}

impl Thresholds {
    /// Alert at `warning` or more listings (WARNING) and at `critical` or
    /// more (CRITICAL; default 1).
    pub fn new(warning: Option<u32>, critical: Option<u32>) -> Result<Thresholds, ThresholdError> {
        let critical = critical.unwrap_or(1);
        if critical == 0 {
            return Err(ThresholdError::Zero("critical"));
        }
        match warning {
            Some(0) => Err(ThresholdError::Zero("warning")),
            Some(w) if w > critical => Err(ThresholdError::WarningAboveCritical {
                warning: w,
                critical,
            }),
            _ => Ok(Thresholds { warning, critical }),
        }
    }
}

/// A command-line value that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(String);

/// Parses a duration such as `2s`, `500ms`, `1.5s` or `1m` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, InvalidValue> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| InvalidValue(format!("'{s}' is not a duration (e.g. 2s, 500ms)")))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(InvalidValue(format!("'{s}' must be more than zero")));
    }
    let secs = value * scale;
    if secs > 300.0 {
        return Err(InvalidValue(format!(
            "'{s}' is longer than the 5 minute maximum"
        )));
    }
    if secs < 0.001 {
        return Err(InvalidValue(format!("'{s}' is shorter than 1ms")));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a nameserver: `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address (port 53).
pub fn parse_resolver(s: &str) -> Result<SocketAddr, InvalidValue> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
        && let Ok(ip) = inner.parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    match s.parse::<SocketAddr>() {
        Ok(addr) if addr.port() == 0 => Err(InvalidValue(format!(
            "'{s}': port 0 is not a nameserver port"
        ))),
        Ok(addr) => Ok(addr),
        Err(_) => Err(InvalidValue(format!(
            "'{s}' is not a nameserver address (IP, IP:PORT or [IPv6]:PORT; names are not accepted)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        for bad in ["", "abc", "0s", "-1s", "2h", "10m", "NaNs", "0.1ms"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolvers() {
        assert_eq!(
            parse_resolver("127.0.0.1"),
            Ok("127.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353"),
            Ok("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(parse_resolver("::1"), Ok("[::1]:53".parse().unwrap()));
        assert_eq!(parse_resolver("[::1]"), Ok("[::1]:53".parse().unwrap()));
        assert_eq!(
            parse_resolver("[2001:db8::1]:5353"),
            Ok("[2001:db8::1]:5353".parse().unwrap())
        );
        for bad in ["dns.google", "1.2.3.4:0", "1.2.3.4:99999", "300.1.1.1", ""] {
            assert!(parse_resolver(bad).is_err(), "{bad}");
        }
    }
}
