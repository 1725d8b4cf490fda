//! The binary against misbehaving servers: whatever the fault, every
//! `not_listed` is an NXDOMAIN from a server that proved the zone in that
//! run, and every reply that does not answer the question is an error.

use std::net::Ipv4Addr;

use crate::common::hostile::{Act, Hostile};
use crate::common::{Run, TestServer, blocklens, ndjson, result, test_catalog};

const ZONE: &str = "h.test";
const LISTED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A catalog with the one zone the hostile server serves.
fn catalog() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.toml");
    std::fs::write(
        &path,
        "[[zone]]\nzone = \"h.test\"\nname = \"Hostile\"\ntargets = \"ip\"\ntxt = false\n[zone.codes]\n\"127.0.0.2\" = \"listed\"\n",
    )
    .unwrap();
    (dir, path)
}

/// A hostile server that answers the zone's test points truthfully (so the
/// zone proves itself) and lists 192.0.2.10.
fn hostile(act_for_targets: Act) -> Hostile {
    let h = Hostile::start();
    h.a(&format!("2.0.0.127.{ZONE}"), LISTED)
        .a(&format!("10.2.0.192.{ZONE}"), LISTED);
    h.on(&format!("2.0.192.{ZONE}"), act_for_targets);
    h
}

fn run_with(resolvers: &[String], catalog: &std::path::Path, args: &[&str]) -> Run {
    let mut cmd = blocklens();
    for r in resolvers {
        cmd.args(["--resolver", r]);
    }
    cmd.args(["--lists", catalog.to_str().unwrap()])
        .args(["--timeout", "300ms", "--attempts", "2"])
        .args(args)
        .output()
        .unwrap()
        .into()
}

#[test]
fn replies_that_do_not_answer_the_question_are_errors_never_verdicts() {
    let (_dir, cat) = catalog();
    for act in [
        Act::WrongOwner,
        Act::NxWithA,
        Act::CnameLoop,
        Act::AaaaOnly,
        Act::WrongQuestion,
        Act::Truncated,
        Act::Rcode(4),
        Act::Rcode(1),
        Act::Rcode(2),
        Act::Rcode(5),
        Act::Silent,
        Act::Late(std::time::Duration::from_millis(900)),
    ] {
        let h = hostile(act);
        let r = run_with(
            &[h.addr().to_string()],
            &cat,
            &["check", "192.0.2.10", "192.0.2.99", "--json"],
        );
        assert_eq!(r.code, 3, "{act:?}: {r:?}");
        for report in r.json().as_array().unwrap() {
            let z = result(report, ZONE);
            assert_eq!(z["status"], "error", "{act:?}: {z}");
        }
    }
}

#[test]
fn a_resolver_that_hides_blocklists_never_makes_a_listed_address_clean() {
    let (_dir, cat) = catalog();
    let good = hostile(Act::Answer);
    let hiding = Hostile::start();
    hiding.set(Act::NxAll);
    let (good, hiding) = (good.addr().to_string(), hiding.addr().to_string());
    for order in [[&hiding, &good], [&good, &hiding]] {
        let resolvers = [order[0].clone(), order[1].clone()];
        let r = run_with(
            &resolvers,
            &cat,
            &["check", "192.0.2.10", "192.0.2.99", "--json"],
        );
        assert_eq!(r.code, 1, "{order:?}: {r:?}");
        let reports = r.json();
        let listed = result(&reports[0], ZONE);
        assert_eq!(listed["status"], "listed", "{order:?}");
        let clean = result(&reports[1], ZONE);
        assert_eq!(clean["status"], "not_listed", "{order:?}");
        assert_eq!(
            clean["resolver"], *good,
            "NXDOMAIN is trusted only from the server that proved the zone"
        );
        let r = run_with(
            &resolvers,
            &cat,
            &["scan", "192.0.2.0/28", "--format", "ndjson", "-q"],
        );
        assert_eq!(r.code, 1, "{order:?}: {r:?}");
        for report in ndjson(&r.stdout) {
            let z = result(&report, ZONE);
            let want = if report["target"] == "192.0.2.10" {
                "listed"
            } else {
                "not_listed"
            };
            assert_eq!(z["status"], want, "{order:?}: {report}");
            assert_eq!(z["resolver"], *good, "{order:?}: {report}");
        }
    }
    // Only the hiding resolver: nothing proved, nothing clean.
    let r = run_with(&[hiding], &cat, &["check", "192.0.2.99", "--json"]);
    assert_eq!(r.code, 3);
    assert_eq!(result(&r.json()[0], ZONE)["status"], "unusable");
}

#[test]
fn a_server_killed_mid_scan_gives_errors_from_then_on_never_not_listed() {
    let (_dir, cat) = catalog();
    let h = hostile(Act::Answer);
    h.stop_after(40);
    let r = run_with(
        &[h.addr().to_string()],
        &cat,
        &[
            "scan",
            "192.0.2.0/24",
            "--format",
            "ndjson",
            "-q",
            "--concurrency",
            "4",
        ],
    );
    assert_eq!(
        r.code, 1,
        "192.0.2.10 was listed before the server stopped: {r:?}"
    );
    let reports = ndjson(&r.stdout);
    assert_eq!(reports.len(), 256);
    let statuses: Vec<String> = reports
        .iter()
        .map(|rep| result(rep, ZONE)["status"].as_str().unwrap().to_string())
        .collect();
    let answered = statuses.iter().filter(|s| *s != "error").count();
    assert!(
        answered < 60,
        "{answered} answered after the server stopped"
    );
    assert!(statuses[200..].iter().all(|s| s == "error"));
}

/// Scans 192.0.2.0/24 through a server that drops `loss`% of queries,
/// with `attempts` tries per query and the extra flags `more`; asserts the
/// server dropped some and returns the reports.
fn lossy_scan(loss: u64, attempts: &str, more: &[&str]) -> (Vec<serde_json::Value>, String) {
    let (_dir, cat) = catalog();
    let h = hostile(Act::Answer);
    h.loss(loss);
    let mut args = vec![
        "scan",
        "192.0.2.0/24",
        "--format",
        "ndjson",
        "-q",
        "--attempts",
        attempts,
    ];
    args.extend_from_slice(more);
    let r = run_with(&[h.addr().to_string()], &cat, &args);
    assert!(h.dropped() > 0, "the server dropped nothing");
    (ndjson(&r.stdout), r.stderr)
}

#[test]
fn lost_packets_are_retried_and_nothing_is_lost() {
    let (reports, stderr) = lossy_scan(10, "4", &[]);
    assert_eq!(reports.len(), 256);
    let errors = reports
        .iter()
        .filter(|rep| result(rep, ZONE)["status"] == "error")
        .count();
    let listed: Vec<&serde_json::Value> = reports
        .iter()
        .filter(|rep| result(rep, ZONE)["status"] == "listed")
        .collect();
    assert_eq!(errors, 0, "{stderr}");
    assert_eq!(listed.len(), 1);
}

#[test]
fn nothing_answering_is_one_line_naming_the_server() {
    let silent = Hostile::start();
    silent.set(Act::Silent);
    let r: Run = blocklens()
        .args(["--resolver", &silent.addr().to_string()])
        .args(["--lists", test_catalog().to_str().unwrap()])
        .args(["--timeout", "200ms", "--attempts", "1"])
        .args([
            "check",
            "192.0.2.10",
            "--zone",
            "bl.test",
            "--zone",
            "v4only.test",
            "--zone",
            "allow.test",
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 3, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(lines.len(), 1, "one line for every list: {}", r.stdout);
    assert!(lines[0].contains("all 3 lists"), "{}", r.stdout);
    let _ = TestServer::shared();
}

/// With a small ceiling the scan's order buffer starts at a few targets and
/// grows after the first timeout, moving the targets in flight: every
/// report must still come out once, in input order, with its answer.
#[test]
fn a_buffer_grown_under_loss_keeps_every_report_in_order() {
    let (reports, stderr) = lossy_scan(15, "6", &["--concurrency", "2"]);
    let targets: Vec<String> = reports
        .iter()
        .map(|rep| rep["target"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..=255).map(|i| format!("192.0.2.{i}")).collect();
    assert_eq!(targets, expected, "{stderr}");
    for rep in &reports {
        let want = if rep["target"] == "192.0.2.10" {
            "listed"
        } else {
            "not_listed"
        };
        assert_eq!(result(rep, ZONE)["status"], want, "{rep}");
    }
}
