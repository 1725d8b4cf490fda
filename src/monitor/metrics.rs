//! Prometheus metrics of a round, in the Prometheus text exposition format
//! (version 0.0.4), encoded by the `prometheus-client` crate. The same text
//! serves `--format prometheus` (for node_exporter's textfile collector) and
//! `serve`'s `/metrics`.
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `blocklens_listed` | gauge | `target`, `zone`, `role` | 1 listed, 0 not listed. Only for conclusive answers: an unusable or failed lookup has no sample here |
//! | `blocklens_lookup_error` | gauge | `target`, `zone`, `role` | 1 when the lookup was `unusable` or `error` (no usable answer), else 0 |
//! | `blocklens_listed_since_timestamp_seconds` | gauge | `target`, `zone`, `role` | when the current listing was first seen (only with a state database) |
//! | `blocklens_target_listings` | gauge | `target` | block lists that list the target |
//! | `blocklens_target_lookup_errors` | gauge | `target` | zones that gave no usable answer for the target |
//! | `blocklens_zone_usable` | gauge | `zone`, `family` | 1 when the zone lists its RFC 5782 positive test point and not its negative one through this resolver (`family`: ipv4, ipv6, domain) |
//! | `blocklens_targets` | gauge | | targets in the round |
//! | `blocklens_round_duration_seconds` | gauge | | how long the last completed round took |
//! | `blocklens_last_round_timestamp_seconds` | gauge | | when the last completed round finished |
//! | `blocklens_rounds_total` | counter | | rounds completed since `serve` started |
//! | `blocklens_lookup_errors_total` | counter | | lookups without a usable answer since `serve` started |
//! | `blocklens_state_errors_total` | counter | | rounds the state database could not record |
//! | `blocklens_webhook_events_total` | counter | `outcome` | webhook events `sent`, `failed` or `dropped` (queue full) |
//!
//! Counters are written by `serve` only. Before `serve`'s first round there
//! are no round samples, only `blocklens_rounds_total 0`.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::time::SystemTime;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::Round;
use super::notify::NotifyStats;
use super::state::Listing;
use crate::catalog::Role;
use crate::report::Status;

/// The HTTP `Content-Type` of the text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Cumulative figures of a long-running `serve`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Rounds completed.
    pub rounds: u64,
    /// Lookups without a usable answer, over all rounds.
    pub lookup_errors: u64,
    /// Rounds the state database could not record.
    pub state_errors: u64,
    /// The webhook's figures, when one is configured.
    pub webhook: Option<NotifyStats>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    target: String,
    zone: String,
    role: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ZoneLabels {
    zone: String,
    family: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type Float = Gauge<f64, AtomicU64>;

/// The exposition text for `round` (None before the first one), with the
/// start of each current listing from `listings` and `serve`'s `totals`.
pub fn render(round: Option<&Round>, listings: &[Listing], totals: Option<&Totals>) -> String {
    let mut registry = Registry::default();
    if let Some(round) = round {
        register_results(&mut registry, round, listings);
        register_round(&mut registry, round);
    }
    if let Some(totals) = totals {
        register_totals(&mut registry, totals);
    }
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &registry);
    text
}

fn register_results(registry: &mut Registry, round: &Round, listings: &[Listing]) {
    let listed = Family::<ResultLabels, Gauge>::default();
    let error = Family::<ResultLabels, Gauge>::default();
    let since = Family::<ResultLabels, Float>::default();
    let target_listings = Family::<TargetLabels, Gauge>::default();
    let target_errors = Family::<TargetLabels, Gauge>::default();
    let starts: HashMap<(&str, &str), SystemTime> = listings
        .iter()
        .map(|l| ((l.target.as_str(), l.zone.as_str()), l.since))
        .collect();
    for report in &round.reports {
        let (mut listings_n, mut errors_n) = (0, 0);
        for r in &report.results {
            let labels = ResultLabels {
                target: report.target.clone(),
                zone: r.zone.clone(),
                role: r.role.as_str(),
            };
            let failed = matches!(r.status, Status::Unusable | Status::Error);
            error.get_or_create(&labels).set(i64::from(failed));
            if failed {
                errors_n += 1;
                continue;
            }
            let is_listed = r.status == Status::Listed;
            listed.get_or_create(&labels).set(i64::from(is_listed));
            if is_listed && r.role == Role::Block {
                listings_n += 1;
            }
            let start = starts.get(&(report.target.as_str(), r.zone.as_str()));
            if let (true, Some(t)) = (is_listed, start) {
                since.get_or_create(&labels).set(seconds(*t));
            }
        }
        let t = TargetLabels {
            target: report.target.clone(),
        };
        target_listings.get_or_create(&t).set(listings_n);
        target_errors.get_or_create(&t).set(errors_n);
    }
    registry.register(
        "blocklens_listed",
        "1 when the zone lists the target, 0 when it answered that it does not; absent when it gave no usable answer",
        listed,
    );
    registry.register(
        "blocklens_lookup_error",
        "1 when the zone gave no usable answer for the target (unusable or error), else 0",
        error,
    );
    registry.register(
        "blocklens_listed_since_timestamp_seconds",
        "When the current listing was first seen (Unix time)",
        since,
    );
    registry.register(
        "blocklens_target_listings",
        "Block lists that list the target",
        target_listings,
    );
    registry.register(
        "blocklens_target_lookup_errors",
        "Zones that gave no usable answer for the target",
        target_errors,
    );
}

fn register_round(registry: &mut Registry, round: &Round) {
    let usable = Family::<ZoneLabels, Gauge>::default();
    for z in &round.zones {
        usable
            .get_or_create(&ZoneLabels {
                zone: z.zone.clone(),
                family: z.family.as_str(),
            })
            .set(i64::from(z.usable()));
    }
    registry.register(
        "blocklens_zone_usable",
        "1 when the zone lists its RFC 5782 positive test point and not its negative one through this resolver",
        usable,
    );
    let targets = Gauge::<i64>::default();
    targets.set(i64::try_from(round.reports.len()).unwrap_or(i64::MAX));
    registry.register("blocklens_targets", "Targets in the round", targets);
    let duration = Float::default();
    duration.set(round.duration.as_secs_f64());
    registry.register(
        "blocklens_round_duration_seconds",
        "How long the last completed round took",
        duration,
    );
    let last = Float::default();
    last.set(seconds(round.finished()));
    registry.register(
        "blocklens_last_round_timestamp_seconds",
        "When the last completed round finished (Unix time)",
        last,
    );
}

fn register_totals(registry: &mut Registry, totals: &Totals) {
    let counter = |n: u64| {
        let c = Counter::<u64>::default();
        c.inc_by(n);
        c
    };
    registry.register(
        "blocklens_rounds",
        "Rounds completed since start",
        counter(totals.rounds),
    );
    registry.register(
        "blocklens_lookup_errors",
        "Lookups without a usable answer since start",
        counter(totals.lookup_errors),
    );
    registry.register(
        "blocklens_state_errors",
        "Rounds the state database could not record",
        counter(totals.state_errors),
    );
    if let Some(w) = totals.webhook {
        let events = Family::<OutcomeLabels, Counter>::default();
        for (outcome, n) in [
            ("sent", w.sent),
            ("failed", w.failed),
            ("dropped", w.dropped),
        ] {
            events.get_or_create(&OutcomeLabels { outcome }).inc_by(n);
        }
        registry.register(
            "blocklens_webhook_events",
            "Webhook events by outcome",
            events,
        );
    }
}

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::ZoneHealth;
    use crate::monitor::testkit::{parse_metrics, report, result, sample};
    use crate::report::Health;
    use crate::target::Family as AddrFamily;
    use std::time::Duration;

    fn round() -> Round {
        let mut listed = report(
            "192.0.2.10",
            &[
                ("bl.test", Status::Listed),
                ("v4only.test", Status::NotListed),
                ("silent.test", Status::Error),
                ("refusing.test", Status::Unusable),
            ],
        );
        listed
            .results
            .push(result("wl.test", Role::Allow, Status::Listed));
        let clean = report("2001:db8::25", &[("bl.test", Status::NotListed)]);
        Round {
            reports: vec![listed, clean],
            zones: vec![
                ZoneHealth {
                    zone: "bl.test".into(),
                    family: AddrFamily::V4,
                    health: Health::Healthy,
                },
                ZoneHealth {
                    zone: "silent.test".into(),
                    family: AddrFamily::V4,
                    health: Health::NotAnswering,
                },
            ],
            started: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            duration: Duration::from_millis(1500),
        }
    }

    #[test]
    fn conclusive_results_only_are_listed_samples() {
        let since = SystemTime::UNIX_EPOCH + Duration::from_secs(1_799_990_000);
        let listings = [Listing {
            target: "192.0.2.10".into(),
            zone: "bl.test".into(),
            role: Role::Block,
            since,
            last_seen: since,
            answers: vec![],
            meanings: vec![],
        }];
        let text = render(Some(&round()), &listings, None);
        let m = parse_metrics(&text);
        let t = ("target", "192.0.2.10");
        let listed = |zone| sample(&m, "blocklens_listed", &[t, ("zone", zone)]);
        let error = |zone| sample(&m, "blocklens_lookup_error", &[t, ("zone", zone)]);
        assert_eq!(listed("bl.test"), Some(1.0));
        assert_eq!(listed("v4only.test"), Some(0.0));
        // Unknown is never "0 = not listed": no sample at all, and an error.
        assert_eq!(listed("silent.test"), None);
        assert_eq!(listed("refusing.test"), None);
        assert_eq!(error("silent.test"), Some(1.0));
        assert_eq!(error("refusing.test"), Some(1.0));
        assert_eq!(error("bl.test"), Some(0.0));
        assert_eq!(
            sample(
                &m,
                "blocklens_listed",
                &[t, ("zone", "wl.test"), ("role", "allow")]
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &m,
                "blocklens_listed_since_timestamp_seconds",
                &[t, ("zone", "bl.test")]
            ),
            Some(1_799_990_000.0)
        );
        // The allow-list listing does not count.
        assert_eq!(sample(&m, "blocklens_target_listings", &[t]), Some(1.0));
        assert_eq!(
            sample(&m, "blocklens_target_lookup_errors", &[t]),
            Some(2.0)
        );
        let v6 = [("target", "2001:db8::25"), ("zone", "bl.test")];
        assert_eq!(sample(&m, "blocklens_listed", &v6), Some(0.0));
        let z = |zone| {
            sample(
                &m,
                "blocklens_zone_usable",
                &[("zone", zone), ("family", "ipv4")],
            )
        };
        assert_eq!((z("bl.test"), z("silent.test")), (Some(1.0), Some(0.0)));
        assert_eq!(sample(&m, "blocklens_targets", &[]), Some(2.0));
        assert_eq!(
            sample(&m, "blocklens_round_duration_seconds", &[]),
            Some(1.5)
        );
        assert_eq!(
            sample(&m, "blocklens_last_round_timestamp_seconds", &[]),
            Some(1_800_000_001.5)
        );
        assert_eq!(sample(&m, "blocklens_rounds_total", &[]), None);
    }

    #[test]
    fn totals_are_counters() {
        let totals = Totals {
            rounds: 3,
            lookup_errors: 7,
            state_errors: 0,
            webhook: Some(NotifyStats {
                sent: 2,
                dropped: 1,
                ..Default::default()
            }),
        };
        let text = render(None, &[], Some(&totals));
        assert!(
            text.contains("# TYPE blocklens_rounds_total counter\n"),
            "{text}"
        );
        let m = parse_metrics(&text);
        assert_eq!(sample(&m, "blocklens_rounds_total", &[]), Some(3.0));
        assert_eq!(sample(&m, "blocklens_lookup_errors_total", &[]), Some(7.0));
        let w = |o| sample(&m, "blocklens_webhook_events_total", &[("outcome", o)]);
        assert_eq!(
            (w("sent"), w("failed"), w("dropped")),
            (Some(2.0), Some(0.0), Some(1.0))
        );
        // No round yet: no round samples.
        assert_eq!(
            sample(&m, "blocklens_last_round_timestamp_seconds", &[]),
            None
        );
    }
}
