//! Whole real bounces, labelled with the cause `explain` should give, read
//! offline by the library: the development set the rules were written
//! against (tests/bounces/sisimai) and a held-out set they were not
//! (tests/bounces/heldout, tests/bounces/heldout2). Each test prints its
//! confusion table.

use std::collections::BTreeMap;
use std::path::Path;

use blocklens::bounce::{self, Cause};
use blocklens::catalog::Catalog;

use crate::common::tests_dir;

#[derive(serde::Deserialize)]
struct Label {
    file: String,
    expected_cause: Option<String>,
}

/// How a set was read.
struct Score {
    total: usize,
    right: usize,
    null_total: usize,
    false_alarms: usize,
    /// (expected, got) -> count.
    table: BTreeMap<(String, String), usize>,
    wrong: Vec<String>,
}

fn measure(dir: &Path) -> Score {
    let catalog = Catalog::builtin();
    let reader = bounce::Reader::new(&catalog);
    let labels = std::fs::read_to_string(dir.join("labels.jsonl")).unwrap();
    let mut s = Score {
        total: 0,
        right: 0,
        null_total: 0,
        false_alarms: 0,
        table: BTreeMap::new(),
        wrong: Vec::new(),
    };
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let label: Label = serde_json::from_str(line).unwrap();
        let bytes = std::fs::read(dir.join(&label.file)).unwrap();
        let report = reader.diagnose(&bounce::parse(&bytes).unwrap());
        let d = report.diagnoses.first();
        let got = d.map_or(Cause::Unknown, |d| d.cause);
        let expected = label
            .expected_cause
            .clone()
            .unwrap_or_else(|| "null".into());
        let right = match &label.expected_cause {
            None => !got.is_policy(),
            Some(e) => got.as_str() == e,
        };
        s.total += 1;
        s.right += usize::from(right);
        if label.expected_cause.is_none() {
            s.null_total += 1;
            s.false_alarms += usize::from(got.is_policy());
        }
        *s.table
            .entry((expected.clone(), got.as_str().to_string()))
            .or_default() += 1;
        if !right {
            s.wrong.push(format!(
                "{}: expected {expected}, got {} (rule {:?}, matched {:?}; diagnostic {:?})",
                label.file,
                got.as_str(),
                d.and_then(|d| d.rule.clone()),
                d.and_then(|d| d.matched.clone()),
                d.map(|d| d.diagnostic.chars().take(160).collect::<String>()),
            ));
        }
    }
    s
}

fn print(name: &str, s: &Score) {
    let causes: Vec<String> = s
        .table
        .keys()
        .map(|(_, g)| g.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    println!("\n{name}: confusion table (rows: expected, columns: got)");
    print!("{:>18}", "");
    for c in &causes {
        print!("{:>8.7}", c);
    }
    println!();
    let expected: std::collections::BTreeSet<&String> = s.table.keys().map(|(e, _)| e).collect();
    for e in expected {
        print!("{:>18}", e);
        for c in &causes {
            let n = s.table.get(&(e.clone(), c.clone())).copied().unwrap_or(0);
            print!(
                "{:>8}",
                if n == 0 {
                    ".".to_string()
                } else {
                    n.to_string()
                }
            );
        }
        println!();
    }
    println!(
        "{name}: {}/{} causes right ({:.1}%), {} false alarms on {} non-policy bounces ({:.1}%)",
        s.right,
        s.total,
        100.0 * s.right as f64 / s.total as f64,
        s.false_alarms,
        s.null_total,
        100.0 * s.false_alarms as f64 / s.null_total.max(1) as f64
    );
    for w in &s.wrong {
        println!("  wrong: {w}");
    }
}

/// Reads the set in `dir` and fails when it has fewer than `files` files,
/// fewer than `right_pct`% of causes right, or more than `alarm_pct`% of
/// its non-policy bounces given a policy cause.
fn judge(dir: &str, files: usize, right_pct: usize, alarm_pct: usize) {
    let s = measure(&tests_dir().join(dir));
    print(&format!("tests/{dir}"), &s);
    assert!(s.total >= files, "{} files", s.total);
    assert!(
        s.right * 100 >= s.total * right_pct,
        "{}/{} right: below {right_pct}%",
        s.right,
        s.total
    );
    assert!(
        s.false_alarms * 100 <= s.null_total * alarm_pct,
        "{} false alarms on {} non-policy bounces: above {alarm_pct}%",
        s.false_alarms,
        s.null_total
    );
}

/// The development set: the rules were written looking at it.
#[test]
fn sisimai_development_set() {
    judge("bounces/sisimai", 98, 90, 5);
}

/// The first held-out set. Its misses were later used to write rules, so
/// it is a development figure now; thresholds as fixed before its first run.
#[test]
fn heldout_set() {
    judge("bounces/heldout", 40, 75, 25);
}

/// The second held-out set (tests/bounces/heldout2), assembled and labelled
/// by someone who did not write rules, while the rules were written without
/// it; measured once after they were frozen. Thresholds fixed before that
/// run: at least 75% of causes right, at most a quarter of the non-policy
/// bounces given a policy cause.
#[test]
fn heldout2_set() {
    judge("bounces/heldout2", 30, 75, 25);
}

#[derive(serde::Deserialize)]
struct Documented {
    case: Vec<DocumentedCase>,
}

#[derive(serde::Deserialize)]
struct DocumentedCase {
    text: String,
    cause: String,
    reason: Option<String>,
    provider: Option<String>,
    ip: Option<String>,
}

/// Rejection lines as receivers document them (tests/bounces/documented.toml,
/// researched with the provider files): the cause, reason, provider and
/// client IP read from each. The rules were written from these wordings, so
/// this checks that reader and data agree, not accuracy on unseen text.
#[test]
fn documented_wordings() {
    let text = std::fs::read_to_string(tests_dir().join("bounces/documented.toml")).unwrap();
    let doc: Documented = toml::from_str(&text).unwrap();
    let catalog = Catalog::builtin();
    let reader = bounce::Reader::new(&catalog);
    let (mut cause, mut provider, mut reason, mut reasons, mut ip, mut ips) = (0, 0, 0, 0, 0, 0);
    let mut wrong = Vec::new();
    for c in &doc.case {
        let report = reader.diagnose(&bounce::parse(c.text.as_bytes()).unwrap());
        let d = &report.diagnoses[0];
        if d.cause.as_str() == c.cause {
            cause += 1;
        } else {
            wrong.push(format!(
                "{} read as {} ({:?}): {}",
                c.cause,
                d.cause.as_str(),
                d.rule,
                c.text
            ));
        }
        provider += usize::from(c.provider.is_none() || d.provider == c.provider);
        if let Some(r) = &c.reason {
            reasons += 1;
            reason += usize::from(d.reason.as_ref() == Some(r));
        }
        if let Some(want) = &c.ip {
            ips += 1;
            ip += usize::from(d.ip.map(|i| i.to_string()).as_ref() == Some(want));
        }
    }
    let n = doc.case.len();
    println!(
        "documented wordings: cause {cause}/{n}, provider {provider}/{n}, reason {reason}/{reasons}, client IP {ip}/{ips}"
    );
    for w in &wrong {
        println!("  wrong: {w}");
    }
    assert!(n >= 100, "{n} cases");
    assert!(cause * 100 >= n * 90, "cause right on {cause}/{n}");
    assert!(
        reason * 100 >= reasons * 90,
        "reason right on {reason}/{reasons}"
    );
    assert!(ip * 100 >= ips * 90, "client IP right on {ip}/{ips}");
}
