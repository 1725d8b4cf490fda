//! Nagios/Icinga plugin output (`--format nagios`), after the Monitoring
//! Plugins development guidelines: one line `BLOCKLENS STATE - text | perfdata`,
//! then one line per listing and per failed lookup, and the exit code
//! 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
//!
//! The state counts block-list listings per target (allow and info lists
//! never count). A target listed on at least `--critical N` block lists is
//! CRITICAL, on at least `--warning N` WARNING; by default any listing is
//! CRITICAL and there is no warning level. Listings at or over a threshold
//! win: they are facts even when other lists gave no answer. Otherwise, any
//! zone that was `unusable` or `error` for any target (or a target no zone
//! applied to) makes it UNKNOWN: a list that could not be asked is never OK.
//! Bad input is UNKNOWN too ([`bad_input`]).
//!
//! Perfdata, per target: `'listings_TARGET'=N;WARN;CRIT;0;ZONES` where N is
//! the number of block lists listing it and ZONES the number of block lists
//! asked; then `listed_targets`, `lookup_errors` and `targets`. WARN and CRIT
//! are Nagios ranges: "alert at N or more" is written `N-1` (alert above it).

use std::fmt::Write;

use crate::catalog::Role;
use crate::report::{Report, Status};

crate::words::words! {
    /// A plugin state.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub enum PluginState {
        /// Nothing listed, every list answered.
        Ok = "OK",
        /// Listed on at least the warning number of block lists.
        Warning = "WARNING",
        /// Listed on at least the critical number of block lists.
        Critical = "CRITICAL",
        /// Not checked honestly: lists unusable or in error, or bad input.
        Unknown = "UNKNOWN",
    }
}

impl PluginState {
    /// The plugin's exit code.
    pub fn exit_code(self) -> i32 {
        match self {
            PluginState::Ok => 0,
            PluginState::Warning => 1,
            PluginState::Critical => 2,
            PluginState::Unknown => 3,
        }
    }
}

pub use crate::config::{ThresholdError, Thresholds};

/// The state `listings` block-list listings are worth.
fn state(t: &Thresholds, listings: u32) -> PluginState {
    if listings >= t.critical {
        PluginState::Critical
    } else if t.warning.is_some_and(|w| listings >= w) {
        PluginState::Warning
    } else {
        PluginState::Ok
    }
}

/// What the plugin prints and how it exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginOutput {
    /// The state (its exit code is [`PluginState::exit_code`]).
    pub state: PluginState,
    /// The whole output: the status line with perfdata, then detail lines,
    /// each ending in a newline.
    pub text: String,
}

/// One target's counts.
struct Tally<'a> {
    report: &'a Report,
    listings: Vec<&'a str>,
    block_zones: usize,
    failures: usize,
}

impl<'a> Tally<'a> {
    fn of(report: &'a Report) -> Tally<'a> {
        let block = || report.results.iter().filter(|r| r.role == Role::Block);
        Tally {
            report,
            listings: block()
                .filter(|r| r.status == Status::Listed)
                .map(|r| r.zone.as_str())
                .collect(),
            block_zones: block().count(),
            failures: report
                .results
                .iter()
                .filter(|r| matches!(r.status, Status::Unusable | Status::Error))
                .count(),
        }
    }

    fn count(&self) -> u32 {
        u32::try_from(self.listings.len()).unwrap_or(u32::MAX)
    }

    fn incomplete(&self) -> bool {
        self.failures > 0 || self.report.results.is_empty()
    }
}

/// The plugin output for a set of reports.
pub fn evaluate(reports: &[Report], thresholds: &Thresholds) -> PluginOutput {
    let tallies: Vec<Tally> = reports.iter().map(Tally::of).collect();
    let worst = tallies
        .iter()
        .map(|t| state(thresholds, t.count()))
        .max()
        .unwrap_or(PluginState::Ok);
    let incomplete = reports.is_empty() || tallies.iter().any(Tally::incomplete);
    let state = if worst == PluginState::Ok && incomplete {
        PluginState::Unknown
    } else {
        worst
    };
    let mut text = format!("BLOCKLENS {state} - {}", summary(&tallies, state));
    text.push_str(" |");
    for t in &tallies {
        let _ = write!(
            text,
            " {}={};{};{};0;{}",
            label(&format!("listings_{}", t.report.target)),
            t.count(),
            thresholds
                .warning
                .map(|w| (w - 1).to_string())
                .unwrap_or_default(),
            thresholds.critical - 1,
            t.block_zones
        );
    }
    let listed = tallies.iter().filter(|t| t.count() > 0).count();
    let failures: usize = tallies.iter().map(|t| t.failures).sum();
    let lookups: usize = reports.iter().map(|r| r.results.len()).sum();
    let _ = writeln!(
        text,
        " listed_targets={listed};;;0;{n} lookup_errors={failures};;;0;{lookups} targets={n};;;0",
        n = reports.len()
    );
    details(&mut text, reports);
    PluginOutput { state, text }
}

/// The status line's text (before the perfdata).
fn summary(tallies: &[Tally], state: PluginState) -> String {
    let n = tallies.len();
    let failures: usize = tallies.iter().map(|t| t.failures).sum();
    let unknown_note = if failures > 0 {
        format!(
            "; {failures} lookup{} gave no usable answer",
            if failures == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let listed: Vec<String> = tallies
        .iter()
        .filter(|t| t.count() > 0)
        .map(|t| {
            format!(
                "{} listed on {} of {} block list{} ({})",
                clean(&t.report.target),
                t.count(),
                t.block_zones,
                if t.block_zones == 1 { "" } else { "s" },
                clean(&t.listings.join(", "))
            )
        })
        .collect();
    match state {
        _ if n == 0 => "no targets were checked".to_string(),
        PluginState::Ok if listed.is_empty() => format!(
            "{n} target{} not listed on any block list",
            if n == 1 { "" } else { "s" }
        ),
        PluginState::Unknown if listed.is_empty() => {
            let empty = tallies
                .iter()
                .filter(|t| t.report.results.is_empty())
                .count();
            let mut s =
                format!("not listed where asked, but the check is incomplete{unknown_note}");
            if empty > 0 {
                let _ = write!(s, "; {empty} target(s) had no list that applies");
            }
            s
        }
        _ => format!("{}{unknown_note}", listed.join("; ")),
    }
}

/// One line per listing and per failed lookup.
fn details(text: &mut String, reports: &[Report]) {
    for report in reports {
        for r in &report.results {
            let line = match r.status {
                Status::Listed => format!(
                    "{} LISTED on {} ({}): {} {}",
                    report.target,
                    r.zone,
                    r.role,
                    r.answers.join(", "),
                    r.meanings.join("; ")
                ),
                Status::Unusable | Status::Error => format!(
                    "{} {} on {}: {}",
                    report.target,
                    r.status,
                    r.zone,
                    r.detail.as_deref().unwrap_or("no usable answer")
                ),
                Status::NotListed => continue,
            };
            let _ = writeln!(text, "{}", clean(line.trim_end()));
        }
    }
}

/// The output for input that could not be used: UNKNOWN, with the reason.
pub fn bad_input(message: &str) -> PluginOutput {
    PluginOutput {
        state: PluginState::Unknown,
        text: format!("BLOCKLENS UNKNOWN - bad input: {}\n", clean(message)),
    }
}

/// Plugin text may not contain `|` (it starts perfdata) or line breaks;
/// control characters are dropped.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c == '|' { '/' } else { c })
        .filter(|c| !c.is_control())
        .collect()
}

/// A perfdata label, quoted when it holds anything but letters, digits, `_`,
/// `.` and `-` (an IPv6 address's colons); `'` and `=` are not allowed in it.
fn label(s: &str) -> String {
    let s: String = s.chars().filter(|c| !matches!(c, '\'' | '=')).collect();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        s
    } else {
        format!("'{s}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetKind;

    fn report(target: &str, results: &[(&str, Role, Status)]) -> Report {
        let results = results
            .iter()
            .map(|(z, r, s)| crate::monitor::testkit::result(z, *r, *s))
            .collect();
        Report::new(target.into(), TargetKind::Ip, results)
    }

    /// Splits plugin output per the guidelines and checks every perfdata
    /// item is `label=value;warn;crit;min;max`; returns (status line text,
    /// perfdata items as (label, fields)).
    fn parse(out: &PluginOutput) -> (String, Vec<(String, Vec<String>)>) {
        let first = out.text.lines().next().unwrap();
        let (text, perf) = first.split_once(" | ").expect("a | before perfdata");
        assert!(!text.contains('|'));
        let word = out.state.as_str();
        assert!(text.starts_with(&format!("BLOCKLENS {word} - ")), "{text}");
        let item = regex::Regex::new(
            r"^('[^'=]+'|[^ '=]+)=(-?[0-9]+(?:\.[0-9]+)?)((?:;[0-9:@~.-]*){0,4})$",
        )
        .unwrap();
        let mut items = Vec::new();
        // Quoted labels hold no spaces here, so a space separates items.
        for p in perf.split(' ') {
            let c = item
                .captures(p)
                .unwrap_or_else(|| panic!("bad perfdata item {p:?}"));
            let mut fields = vec![c[2].to_string()];
            fields.extend(c[3].split(';').skip(1).map(str::to_string));
            items.push((c[1].trim_matches('\'').to_string(), fields));
        }
        for line in out.text.lines().skip(1) {
            assert!(!line.contains('|'), "{line}");
        }
        (text.to_string(), items)
    }

    fn item<'a>(items: &'a [(String, Vec<String>)], label: &str) -> &'a [String] {
        &items
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("{label}"))
            .1
    }

    #[test]
    fn any_block_listing_is_critical_by_default() {
        let reports = [
            report(
                "192.0.2.10",
                &[
                    ("bl.test", Role::Block, Status::Listed),
                    ("b.test", Role::Block, Status::NotListed),
                ],
            ),
            report(
                "2001:db8::25",
                &[("bl.test", Role::Block, Status::NotListed)],
            ),
        ];
        let out = evaluate(&reports, &Thresholds::default());
        assert_eq!(
            (out.state, out.state.exit_code()),
            (PluginState::Critical, 2)
        );
        let (text, items) = parse(&out);
        assert!(
            text.contains("192.0.2.10 listed on 1 of 2 block lists (bl.test)"),
            "{text}"
        );
        assert_eq!(
            item(&items, "listings_192.0.2.10"),
            ["1", "", "0", "0", "2"]
        );
        assert_eq!(
            item(&items, "listings_2001:db8::25"),
            ["0", "", "0", "0", "1"]
        );
        assert_eq!(item(&items, "listed_targets")[0], "1");
        assert!(
            out.text
                .contains("\n192.0.2.10 LISTED on bl.test (block): 127.0.0.2")
        );
    }

    #[test]
    fn allow_and_info_listings_never_count() {
        let reports = [report(
            "192.0.2.10",
            &[
                ("wl.test", Role::Allow, Status::Listed),
                ("rep.test", Role::Info, Status::Listed),
                ("bl.test", Role::Block, Status::NotListed),
            ],
        )];
        let out = evaluate(&reports, &Thresholds::default());
        assert_eq!(out.state, PluginState::Ok);
        let (text, items) = parse(&out);
        assert!(
            text.ends_with("1 target not listed on any block list"),
            "{text}"
        );
        assert_eq!(item(&items, "listings_192.0.2.10")[0], "0");
    }

    #[test]
    fn an_unanswered_list_is_unknown_never_ok() {
        let mut reports = [report(
            "192.0.2.10",
            &[
                ("bl.test", Role::Block, Status::NotListed),
                ("silent.test", Role::Block, Status::Error),
            ],
        )];
        // Listed first, then unusable, error, not_listed.
        reports[0].results[0].detail = Some("no usable answer: timeout | x".into());
        let out = evaluate(&reports, &Thresholds::default());
        assert_eq!(
            (out.state, out.state.exit_code()),
            (PluginState::Unknown, 3)
        );
        let (text, items) = parse(&out);
        assert!(text.contains("1 lookup gave no usable answer"), "{text}");
        assert_eq!(item(&items, "lookup_errors")[0], "1");
        // The detail line names the zone; its '|' cannot start perfdata.
        assert!(
            out.text
                .contains("192.0.2.10 error on silent.test: no usable answer: timeout / x"),
            "{}",
            out.text
        );
        // An unusable allow list counts too: that list could not be asked.
        let r = [report(
            "192.0.2.10",
            &[
                ("wl.test", Role::Allow, Status::Unusable),
                ("bl.test", Role::Block, Status::NotListed),
            ],
        )];
        assert_eq!(
            evaluate(&r, &Thresholds::default()).state,
            PluginState::Unknown
        );
        // No zone applied at all, or nothing checked.
        assert_eq!(
            evaluate(&[report("192.0.2.10", &[])], &Thresholds::default()).state,
            PluginState::Unknown
        );
        assert_eq!(
            evaluate(&[], &Thresholds::default()).state,
            PluginState::Unknown
        );
    }

    #[test]
    fn listings_over_a_threshold_win_over_unknown() {
        let reports = [report(
            "192.0.2.10",
            &[
                ("bl.test", Role::Block, Status::Listed),
                ("silent.test", Role::Block, Status::Error),
            ],
        )];
        let out = evaluate(&reports, &Thresholds::default());
        assert_eq!(out.state, PluginState::Critical);
        assert!(parse(&out).0.contains("; 1 lookup gave no usable answer"));
        // Under the warning level, the failure makes it UNKNOWN.
        let t = Thresholds::new(Some(2), Some(3)).unwrap();
        assert_eq!(evaluate(&reports, &t).state, PluginState::Unknown);
    }

    #[test]
    fn warning_and_critical_levels() {
        let t = Thresholds::new(Some(1), Some(3)).unwrap();
        let listed = |n: usize| {
            let zones = ["a.test", "b.test", "c.test", "d.test"];
            let rs: Vec<_> = zones
                .iter()
                .enumerate()
                .map(|(i, z)| {
                    (
                        *z,
                        Role::Block,
                        if i < n {
                            Status::Listed
                        } else {
                            Status::NotListed
                        },
                    )
                })
                .collect();
            evaluate(&[report("192.0.2.10", &rs)], &t)
        };
        assert_eq!(listed(0).state, PluginState::Ok);
        assert_eq!(listed(1).state, PluginState::Warning);
        assert_eq!(listed(2).state, PluginState::Warning);
        assert_eq!(listed(3).state, PluginState::Critical);
        let out = listed(2);
        assert_eq!(
            item(&parse(&out).1, "listings_192.0.2.10"),
            ["2", "0", "2", "0", "4"]
        );
    }

    #[test]
    fn nonsense_thresholds_and_bad_input_are_refused() {
        assert_eq!(
            Thresholds::new(None, Some(0)),
            Err(ThresholdError::Zero("critical"))
        );
        assert_eq!(
            Thresholds::new(Some(0), None),
            Err(ThresholdError::Zero("warning"))
        );
        assert!(Thresholds::new(Some(3), Some(2)).is_err());
        let out = bad_input("'300.1.2.3' is not an IP address or domain\n|x");
        assert_eq!(
            (out.state.exit_code(), out.text.as_str()),
            (
                3,
                "BLOCKLENS UNKNOWN - bad input: '300.1.2.3' is not an IP address or domain/x\n"
            )
        );
    }
}
