//! Bad input: exit 2, nothing on stdout, one line on stderr naming the problem.

use crate::common::{Run, run, run_bare, tests_dir};

fn assert_usage_error(r: &Run, needle: &str) {
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty(), "stdout must be empty: {:?}", r.stdout);
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one line on stderr: {:?}",
        r.stderr
    );
    assert!(
        r.stderr.contains(needle),
        "stderr should mention {needle:?}: {:?}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked") && !r.stderr.contains("backtrace"));
}

#[test]
fn invalid_targets() {
    assert_usage_error(&run(&["check", "192.0.2.300"]), "192.0.2.300");
    assert_usage_error(
        &run(&["check", "192.0.2.1", "exa mple.org"]),
        "exa mple.org",
    );
    assert_usage_error(&run(&["check", "192.0.2.0/24"]), "blocklens scan");
    assert_usage_error(&run(&["check", ""]), "empty target");
}

#[test]
fn missing_target_and_unknown_flag() {
    assert_usage_error(&run_bare(&["check"]), "TARGET");
    assert_usage_error(
        &run_bare(&["check", "192.0.2.1", "--frobnicate"]),
        "--frobnicate",
    );
    let r = run_bare(&[]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("Usage: blocklens"), "{:?}", r.stderr);
}

#[test]
fn invalid_flag_values() {
    assert_usage_error(
        &run(&["check", "192.0.2.1", "--timeout", "soon"]),
        "--timeout",
    );
    assert_usage_error(
        &run(&["check", "192.0.2.1", "--timeout", "0s"]),
        "--timeout",
    );
    assert_usage_error(
        &run_bare(&["check", "192.0.2.1", "--resolver", "dns.google"]),
        "--resolver",
    );
    assert_usage_error(
        &run_bare(&["check", "192.0.2.1", "--resolver", "127.0.0.1:0"]),
        "--resolver",
    );
    assert_usage_error(
        &run(&["check", "192.0.2.1", "--attempts", "0"]),
        "--attempts",
    );
    assert_usage_error(
        &run(&["check", "192.0.2.1", "--concurrency", "0"]),
        "--concurrency",
    );
    assert_usage_error(&run(&["check", "192.0.2.1", "--format", "xml"]), "--format");
    assert_usage_error(&run(&["check", "192.0.2.1", "--rate", "0"]), "--rate");
}

#[test]
fn unknown_or_keyless_zone() {
    assert_usage_error(
        &run(&["check", "192.0.2.1", "--zone", "nope.test"]),
        "unknown zone 'nope.test'",
    );
    assert_usage_error(
        &run_bare(&[
            "check",
            "192.0.2.1",
            "--resolver",
            "127.0.0.1:9",
            "--zone",
            "{key}.zen.dq.spamhaus.net",
        ]),
        "YOURKEY.zen.dq.spamhaus.net",
    );
}

#[test]
fn broken_catalog_files_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[zone]]\nzone = \"x.test\"\nname = \"X\"\ntargets = \"ip\"\n[zone.codes]\n\"127.0.0.2\" = \"ok\"\n\"127.0.0.999\" = \"bad\"\n",
    )
    .unwrap();
    let r = run_bare(&["check", "192.0.2.1", "--lists", bad.to_str().unwrap()]);
    assert_usage_error(&r, "bad.toml:7:");
    assert!(r.stderr.contains("127.0.0.999"));

    std::fs::write(&bad, "[[zone]]\nzone = \"x.test\"\nname = \"X\"\n").unwrap();
    assert_usage_error(
        &run_bare(&["check", "192.0.2.1", "--lists", bad.to_str().unwrap()]),
        "targets",
    );

    let missing = dir.path().join("missing.toml");
    assert_usage_error(
        &run_bare(&["check", "192.0.2.1", "--lists", missing.to_str().unwrap()]),
        "missing.toml",
    );

    // A directory of files: a duplicate across files is caught too.
    let d = dir.path().join("lists");
    std::fs::create_dir(&d).unwrap();
    let one = "[[zone]]\nzone = \"x.test\"\nname = \"X\"\ntargets = \"ip\"\n";
    std::fs::write(d.join("a.toml"), one).unwrap();
    std::fs::write(d.join("b.toml"), one).unwrap();
    assert_usage_error(
        &run_bare(&["check", "192.0.2.1", "--lists", d.to_str().unwrap()]),
        "b.toml:2: zone 'x.test' is defined twice",
    );
}

#[test]
fn the_test_catalog_itself_is_valid() {
    // Guards the fixtures: if this fails, other tests fail for the wrong reason.
    let r = run_bare(&[
        "zones",
        "--lists",
        tests_dir().join("lists/test.toml").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

/// Runs the binary with `stdin` as its standard input.
fn run_with_stdin(args: &[&str], stdin: std::fs::File) -> Run {
    let server = crate::common::TestServer::shared();
    crate::common::blocklens()
        .arg("--resolver")
        .arg(server.addr().to_string())
        .arg("--lists")
        .arg(crate::common::test_catalog())
        .args(args)
        .stdin(stdin)
        .output()
        .expect("the binary runs")
        .into()
}

#[test]
fn endless_or_oversized_input_is_refused_without_reading_it_all() {
    // /dev/zero is one endless line: refused at the line-length cap.
    let zero = || std::fs::File::open("/dev/zero").unwrap();
    assert_usage_error(
        &run_with_stdin(&["scan", "-", "--zone", "bl.test"], zero()),
        "<stdin>:1: longer than 4096 bytes",
    );
    assert_usage_error(&run_bare(&["zones", "--lists", "/dev/zero"]), "/dev/zero");
    // A file of more addresses than --max-targets is refused as soon as the
    // count passes the limit, naming the limit.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.txt");
    let lines: String = (0..70_000u32)
        .map(|i| format!("{}\n", std::net::Ipv4Addr::from(0x0a00_0000 + i)))
        .collect();
    std::fs::write(&path, lines).unwrap();
    assert_usage_error(
        &run(&["scan", &format!("@{}", path.display()), "--zone", "bl.test"]),
        "--max-targets 65537",
    );
}
