//! Watching addresses over time: the building blocks of `serve`, `--state`,
//! `history`, `--notify`, `--format nagios|prometheus` and `--config`.
//!
//! A [`Round`] is one complete check of every watched target (the reports
//! and what each zone's RFC 5782 test points showed). From a round:
//! [`state::Store`] records it in SQLite and says what changed;
//! [`nagios`] turns it into a plugin status line; [`metrics`] into the
//! Prometheus text format; [`notify`] posts the changes to a webhook; and
//! [`serve`] repeats rounds on an interval behind an HTTP `/metrics`
//! endpoint. [`config_file`] reads the TOML file that sets all of this up.
//!
//! Unknown is never clean here either: a zone result that is `unusable` or
//! `error` is never a delisting, never `blocklens_listed 0`, and never a
//! Nagios OK.

pub mod config_file;
pub mod metrics;
pub mod nagios;
pub mod notify;
pub mod serve;
pub mod state;
#[cfg(test)]
pub(crate) mod testkit;

use std::sync::Arc;

use std::time::{Duration, SystemTime};

use crate::catalog::Zone;
use crate::config::EngineOptions;
use crate::dns::Dns;
use crate::dnsbl::Probe;
use crate::report::{Health, Report};
use crate::target::{Family, Target};

pub use state::{Change, ChangeKind, Event, EventKind, StateError, Store};

/// One complete check of every watched target.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    /// One report per target, in the order the targets were given.
    pub reports: Vec<Report>,
    /// What each zone's test points showed, per family.
    pub zones: Vec<ZoneHealth>,
    /// When the round began.
    pub started: SystemTime,
    /// How long it took.
    pub duration: Duration,
}

impl Round {
    /// When the round completed.
    pub fn finished(&self) -> SystemTime {
        self.started + self.duration
    }
}

/// One zone's test-point health in one family.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneHealth {
    /// The zone.
    pub zone: String,
    /// ipv4, ipv6 or domain.
    pub family: Family,
    /// What the test points showed.
    pub health: Health,
}

impl ZoneHealth {
    /// Whether the zone's answers can be trusted in this family (it lists
    /// its positive test point and not its negative one).
    pub fn usable(&self) -> bool {
        self.health == Health::Healthy
    }

    /// From the output of [`crate::engine::health`].
    pub fn from_probes(zones: &[Zone], probes: &[(usize, Family, Probe)]) -> Vec<ZoneHealth> {
        probes
            .iter()
            .filter_map(|(zi, family, probe)| {
                zones.get(*zi).map(|z| ZoneHealth {
                    zone: z.zone.clone(),
                    family: *family,
                    health: probe.health().0,
                })
            })
            .collect()
    }
}

/// Runs one round: every target against every zone that applies, and every
/// zone's test points, concurrently. The future is `Send`, so it can be a
/// [`serve::RoundFn`].
pub async fn run_round(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    targets: &[Target],
    opts: &EngineOptions,
) -> Round {
    let started = SystemTime::now();
    let clock = std::time::Instant::now();
    let (reports, probes) = crate::engine::check_round(dns, zones, targets, opts).await;
    Round {
        reports,
        zones: ZoneHealth::from_probes(zones, &probes),
        started,
        duration: clock.elapsed(),
    }
}

/// Seconds since the Unix epoch (0 for a time before it).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The time `secs` seconds after the Unix epoch (the epoch for a negative value).
pub(crate) fn from_unix_seconds(secs: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// RFC 3339 in UTC, to the second (`2026-11-28T09:15:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}
