//! `blocklens scan` against the in-process server.

use std::io::Write;
use std::process::Stdio;

use crate::common::{TestServer, blocklens, ndjson, result, run, test_catalog};

#[test]
fn a_slash_24_yields_exactly_the_expected_listed_set_in_input_order() {
    let r = run(&[
        "scan",
        "192.0.2.0/24",
        "--zone",
        "bl.test",
        "--format",
        "ndjson",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let reports = ndjson(&r.stdout);
    assert_eq!(reports.len(), 256);
    let targets: Vec<String> = reports
        .iter()
        .map(|r| r["target"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..=255).map(|i| format!("192.0.2.{i}")).collect();
    assert_eq!(targets, expected, "input order");
    let with = |verdict: &str| -> Vec<String> {
        reports
            .iter()
            .filter(|r| r["verdict"] == verdict)
            .map(|r| r["target"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        with("listed"),
        [
            "192.0.2.10",
            "192.0.2.11",
            "192.0.2.12",
            "192.0.2.15",
            "192.0.2.16"
        ]
    );
    assert_eq!(
        with("incomplete"),
        ["192.0.2.13", "192.0.2.14"],
        "error code and outside-127/8 answers"
    );
    assert_eq!(with("clean").len(), 249);
    // 192.0.2.16's TXT does not fit a UDP reply: the bulk path must hand the
    // truncated reply to the resolver, which retries over TCP.
    let txt = reports[16]["results"][0]["txt"].as_array().unwrap();
    assert_eq!(txt.len(), 12, "{}", reports[16]);
    // The summary goes to stderr; stdout holds only reports; no progress bar off a terminal.
    assert!(
        r.stderr
            .contains("Scanned 256 targets: 5 listed, 2 incomplete, 249 clean."),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("ETA") && !r.stderr.contains('\r'),
        "{:?}",
        r.stderr
    );
}

#[test]
fn only_listed_keeps_listed_and_incomplete() {
    let r = run(&[
        "scan",
        "192.0.2.0/27",
        "--zone",
        "bl.test",
        "--format",
        "ndjson",
        "--only-listed",
        "--quiet",
    ]);
    let targets: Vec<String> = ndjson(&r.stdout)
        .iter()
        .map(|r| r["target"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        targets,
        [
            "192.0.2.10",
            "192.0.2.11",
            "192.0.2.12",
            "192.0.2.13",
            "192.0.2.14",
            "192.0.2.15",
            "192.0.2.16"
        ]
    );
    assert!(r.stderr.is_empty(), "--quiet: {:?}", r.stderr);
}

#[test]
fn json_is_one_valid_array_and_human_is_a_table_and_summary() {
    let r = run(&[
        "scan",
        "192.0.2.8-192.0.2.12",
        "--zone",
        "bl.test",
        "--json",
        "-q",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
    let r = run(&["scan", "192.0.2.8-192.0.2.14", "--zone", "bl.test"]);
    assert!(r.stdout.contains("192.0.2.10"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("192.0.2.9 "),
        "clean targets are not in the table"
    );
    assert!(
        r.stdout
            .contains("Scanned 7 targets: 3 listed, 2 incomplete, 2 clean."),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("bl.test"));
}

#[test]
fn stdin_and_files_with_comments() {
    let server = TestServer::shared().addr().to_string();
    let mut child = blocklens()
        .args([
            "scan",
            "-",
            "--resolver",
            &server,
            "--lists",
            test_catalog().to_str().unwrap(),
            "--zone",
            "bl.test",
            "--format",
            "ndjson",
            "-q",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"# our range\n192.0.2.10\n\n192.0.2.98-192.0.2.99  # two more\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let targets: Vec<String> = ndjson(&String::from_utf8(out.stdout).unwrap())
        .iter()
        .map(|r| r["target"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(targets, ["192.0.2.10", "192.0.2.98", "192.0.2.99"]);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ranges.txt");
    std::fs::write(&file, "192.0.2.0/30\n# fine\n192.0.2.300\n").unwrap();
    let arg = format!("@{}", file.display());
    let r = run(&["scan", &arg, "--zone", "bl.test"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("ranges.txt:3:") && r.stderr.contains("192.0.2.300"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_guard_refuses_big_scans_before_any_query() {
    for (source, count) in [
        ("10.0.0.0/15", "131072"),
        ("2001:db8::/64", "18446744073709551616"),
    ] {
        let r = run(&["scan", source]);
        assert_eq!(r.code, 2);
        assert!(r.stdout.is_empty());
        assert!(
            r.stderr.contains(count) && r.stderr.contains("--max-targets"),
            "{}",
            r.stderr
        );
    }
    // An IPv6 /64 cannot be allowed by any --max-targets: the advice is a
    // narrower block, not a limit the option would refuse.
    let r = run(&["scan", "2001:db8::/64"]);
    assert!(r.stderr.contains("a /112"), "{}", r.stderr);
    assert!(!r.stderr.contains("--max-targets 18446744073709551616"));
    let r = run(&[
        "scan",
        "192.0.2.0/30",
        "--max-targets",
        "3",
        "--zone",
        "bl.test",
    ]);
    assert_eq!(r.code, 2);
    let r = run(&[
        "scan",
        "192.0.2.0/30",
        "--max-targets",
        "4",
        "--zone",
        "bl.test",
        "-q",
    ]);
    assert_eq!(r.code, 0);
}

#[test]
fn a_zone_that_never_answers_is_error_never_not_listed() {
    let r = run(&[
        "scan",
        "192.0.2.96/29",
        "--zone",
        "silent.test",
        "--zone",
        "bl.test",
        "--timeout",
        "200ms",
        "--attempts",
        "1",
        "--format",
        "ndjson",
        "-q",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    let reports = ndjson(&r.stdout);
    assert_eq!(reports.len(), 8);
    for rep in &reports {
        let results = rep["results"].as_array().unwrap();
        let silent = results.iter().find(|z| z["zone"] == "silent.test").unwrap();
        assert_eq!(silent["status"], "error", "{rep}");
        let bl = results.iter().find(|z| z["zone"] == "bl.test").unwrap();
        assert_eq!(bl["status"], "not_listed", "the other zone still answers");
        assert_eq!(rep["verdict"], "incomplete");
    }
}

#[test]
fn ipv6_ranges_and_domain_zones_are_skipped() {
    let r = run(&[
        "scan",
        "2001:db8::f-2001:db8::11",
        "--zone",
        "bl.test",
        "--zone",
        "dom.test",
        "--format",
        "ndjson",
        "-q",
    ]);
    let reports = ndjson(&r.stdout);
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[1]["target"], "2001:db8::10");
    assert_eq!(reports[1]["verdict"], "listed");
    assert!(reports.iter().all(|r| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|z| z["zone"] == "bl.test")
    }));
}

#[test]
fn ndjson_lines_reach_a_pipe_as_soon_as_they_are_ready() {
    use std::io::BufRead;
    // slow.test allows 2 queries per second: 8 addresses take about 4 s, and
    // the first report is ready after the test points and one query.
    let server = crate::common::TestServer::shared();
    let mut child = crate::common::blocklens()
        .arg("--resolver")
        .arg(server.addr().to_string())
        .arg("--lists")
        .arg(crate::common::test_catalog())
        .args(["scan", "192.0.2.10-192.0.2.17", "--zone", "slow.test"])
        .args(["--format", "ndjson", "-q"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a line").expect("readable");
    assert!(first.contains("\"192.0.2.10\""), "{first}");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first line arrived only when the scan ended"
    );
    assert_eq!(lines.count(), 7);
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn shards_cover_the_input_exactly_once() {
    let full = run(&[
        "scan",
        "192.0.2.0/28",
        "--zone",
        "bl.test",
        "--format",
        "ndjson",
        "-q",
    ]);
    assert_eq!(full.code, 1, "{full:?}");
    let mut union: Vec<String> = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let r = run(&[
            "scan",
            "192.0.2.0/28",
            "--zone",
            "bl.test",
            "--format",
            "ndjson",
            "-q",
            "--shard",
            shard,
        ]);
        assert!(r.code == 0 || r.code == 1 || r.code == 3, "{r:?}");
        union.extend(r.stdout.lines().map(str::to_string));
    }
    let mut expected: Vec<String> = full.stdout.lines().map(str::to_string).collect();
    assert_eq!(expected.len(), 16);
    expected.sort();
    union.sort();
    assert_eq!(union, expected);
    let r = run(&["scan", "192.0.2.0/28", "--shard", "4/3"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a shard"), "{}", r.stderr);
}

#[test]
fn rate_capped_zones_are_left_out_of_the_default_set_and_the_cost_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("capped.toml");
    std::fs::write(
        &catalog,
        "[[zone]]\nzone = \"bl.test\"\nname = \"BL\"\ntargets = \"ip\"\n\n\
         [[zone]]\nzone = \"slow.test\"\nname = \"Slow\"\ntargets = \"ip\"\nrate = 2\n",
    )
    .unwrap();
    let server = crate::common::TestServer::shared();
    let r: crate::common::Run = crate::common::blocklens()
        .args([
            "--resolver",
            &server.addr().to_string(),
            "--lists",
            catalog.to_str().unwrap(),
        ])
        .args(["scan", "192.0.2.0/24", "--format", "ndjson"])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "slow.test allows 2 queries/s: this scan would take about 2 min with it; it is left out, name it with --zone to include it"
        ),
        "{}",
        r.stderr
    );
    let reports = crate::common::ndjson(&r.stdout);
    assert_eq!(reports.len(), 256);
    assert!(
        reports
            .iter()
            .all(|rep| !crate::common::has_result(rep, "slow.test"))
    );
}

#[test]
fn a_zone_that_stops_answering_is_given_up_on_not_waited_for_per_address() {
    // 256 addresses, one zone silent: after a few timeouts the zone is given
    // up on and its remaining lookups fail at once (with the reason), while
    // the other zone keeps answering. Every silent result is an error.
    let r = run(&[
        "scan",
        "192.0.2.0/24",
        "--zone",
        "silent.test",
        "--zone",
        "bl.test",
        "--timeout",
        "200ms",
        "--attempts",
        "1",
        "--concurrency",
        "8",
        "--format",
        "ndjson",
        "-q",
    ]);
    assert_eq!(r.code, 1, "bl.test lists some: {r:?}");
    let reports = ndjson(&r.stdout);
    assert_eq!(reports.len(), 256);
    let silent: Vec<&serde_json::Value> = reports
        .iter()
        .map(|rep| result(rep, "silent.test"))
        .collect();
    assert!(silent.iter().all(|z| z["status"] == "error"));
    let given_up = silent
        .iter()
        .filter(|z| z["detail"].as_str().unwrap().contains("stopped answering"))
        .count();
    assert!(given_up > 200, "only {given_up} lookups were cut short");
    // bl.test answers every address (192.0.2.14 is an error by its data:
    // an answer outside 127/8), and is never given up on.
    for rep in &reports {
        let bl = result(rep, "bl.test");
        let detail = bl["detail"].as_str().unwrap_or("");
        assert!(
            !detail.contains("stopped answering") && !detail.contains("timeout"),
            "{bl}"
        );
    }
}
