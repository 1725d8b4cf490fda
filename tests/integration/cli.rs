//! The command line: per-command help, options before or after the
//! command, targets from files, catalog additions, completions and man page.

use crate::common::{blocklens, run, run_bare, test_catalog};

fn help(command: &str) -> String {
    let r = run_bare(&[command, "--help"]);
    assert_eq!(r.code, 0, "{r:?}");
    r.stdout
}

#[test]
fn each_command_help_lists_only_its_options_and_its_exit_codes() {
    let spf = help("spf");
    for own in [
        "--resolver",
        "--timeout",
        "--helo",
        "--sender",
        "--json",
        "Exit codes:",
    ] {
        assert!(spf.contains(own), "spf --help lacks {own}:\n{spf}");
    }
    for foreign in [
        "--zone",
        "--lists",
        "--concurrency",
        "--max-targets",
        "--only-listed",
    ] {
        assert!(!spf.contains(foreign), "spf --help shows {foreign}:\n{spf}");
    }
    let scan = help("scan");
    for own in [
        "--max-targets",
        "--only-listed",
        "--concurrency",
        "--exclude-zone",
        "Exit codes:",
    ] {
        assert!(scan.contains(own), "scan --help lacks {own}");
    }
    assert!(!scan.contains("--sender"), "{scan}");
    let zones = help("zones");
    assert!(
        zones.contains("Exit codes:") && !zones.contains("--sender"),
        "{zones}"
    );
    let check = help("check");
    assert!(
        check.contains("@FILE") && check.contains("Exit codes:"),
        "{check}"
    );
}

#[test]
fn options_before_the_command_apply_or_are_dropped_and_errors_point_to_its_help() {
    // --json and --resolver act on spf; --concurrency and --zone do not.
    let r = run(&[
        "--json",
        "--concurrency",
        "8",
        "--zone",
        "bl.test",
        "spf",
        "sender.test",
        "192.0.2.10",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.trim_start().starts_with('{'), "{}", r.stdout);
    // An option written after the command overrides the one before it.
    let r = run(&[
        "--format",
        "json",
        "check",
        "192.0.2.10",
        "--zone",
        "bl.test",
        "--format",
        "ndjson",
    ]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    let r = run_bare(&["scan", "192.0.2.0/30", "--frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("(see blocklens scan --help)"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_reads_targets_from_files_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ips.txt");
    std::fs::write(
        &path,
        "# outbound relays\n192.0.2.10   # mx1\n\n192.0.2.99\n",
    )
    .unwrap();
    let r = run(&[
        "check",
        &format!("@{}", path.display()),
        "--zone",
        "bl.test",
        "--json",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    let targets: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(targets, ["192.0.2.10", "192.0.2.99"]);
    std::fs::write(&path, "192.0.2.10\nnot a target\n").unwrap();
    let r = run(&[
        "check",
        &format!("@{}", path.display()),
        "--zone",
        "bl.test",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ips.txt:2:"), "{}", r.stderr);
    let server = crate::common::TestServer::shared();
    let out = blocklens()
        .args([
            "--resolver",
            &server.addr().to_string(),
            "--lists",
            test_catalog().to_str().unwrap(),
        ])
        .args(["check", "-", "--zone", "bl.test", "--format", "ndjson"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"192.0.2.99\n192.0.2.10\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}

#[test]
fn sender_with_a_domain_target_is_an_error_not_ignored() {
    let r = run(&["check", "example.org", "--sender", "example.org"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("'example.org' is a domain"),
        "{}",
        r.stderr
    );
}

#[test]
fn add_lists_extends_the_catalog_and_exclude_zone_drops_a_zone() {
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.toml");
    std::fs::write(
        &extra,
        "[[zone]]\nzone = \"v4only.test\"\nname = \"Added\"\ntargets = \"ip\"\n[zone.codes]\n\"127.0.0.2\" = \"listed\"\n",
    )
    .unwrap();
    let server = crate::common::TestServer::shared();
    // The built-in catalog plus the added zone: the added zone is usable by name.
    let r: crate::common::Run = blocklens()
        .args(["--resolver", &server.addr().to_string()])
        .args([
            "check",
            "192.0.2.10",
            "--add-lists",
            extra.to_str().unwrap(),
            "--zone",
            "v4only.test",
            "--json",
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{r:?}");
    let r: crate::common::Run = blocklens()
        .args(["zones", "--add-lists", extra.to_str().unwrap(), "--json"])
        .output()
        .unwrap()
        .into();
    let zones = r.json();
    assert!(
        zones
            .as_array()
            .unwrap()
            .iter()
            .any(|z| z["zone"] == "zen.spamhaus.org")
    );
    assert!(
        zones
            .as_array()
            .unwrap()
            .iter()
            .any(|z| z["zone"] == "v4only.test")
    );
    // An unknown zone points to --add-lists, not to --lists (which replaces).
    let r = run_bare(&["check", "192.0.2.10", "--zone", "nosuch.example"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--add-lists") && !r.stderr.contains("--lists FILE"),
        "{}",
        r.stderr
    );
    // --exclude-zone leaves a zone out.
    let r = run(&[
        "check",
        "192.0.2.10",
        "--zone",
        "bl.test",
        "--zone",
        "v4only.test",
        "--exclude-zone",
        "bl.test",
        "--json",
    ]);
    let results = r.json()[0]["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["zone"], "v4only.test");
}

#[test]
fn completions_and_man_page_are_generated_from_the_definitions() {
    let r = run_bare(&["completions", "bash"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("blocklens") && r.stdout.contains("--max-targets"));
    let r = run_bare(&["completions", "zsh"]);
    assert!(r.stdout.contains("#compdef blocklens"), "{}", r.stdout);
    let r = run_bare(&["man"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with(".ie") || r.stdout.contains(".TH blocklens"),
        "{}",
        &r.stdout[..200.min(r.stdout.len())]
    );
    assert_eq!(run_bare(&["completions", "tcsh"]).code, 2);
}
