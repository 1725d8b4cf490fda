//! Output formats, terminal hygiene and option placement.

use crate::common::{TestServer, blocklens, ndjson, run, test_catalog};

#[test]
fn human_output_lists_first_with_meanings_txt_url_and_summary() {
    let r = run(&[
        "check",
        "192.0.2.10",
        "--zone",
        "bl.test",
        "--zone",
        "v4only.test",
        "--zone",
        "servfail.test",
    ]);
    assert_eq!(r.code, 1);
    let out = &r.stdout;
    assert!(
        out.starts_with("192.0.2.10  LISTED on 2 block lists\n"),
        "{out}"
    );
    let listed = out.find("LISTED       bl.test").expect("bl.test row");
    let error = out
        .find("error        servfail.test")
        .expect("servfail row");
    assert!(listed < error, "listed rows come first:\n{out}");
    assert!(out.contains("XBL: exploited host"));
    assert!(out.contains("txt: Listed in XBL, see https://lists.example/q/192.0.2.10"));
    assert!(out.contains("lookup: https://lists.example/lookup?ip=192.0.2.10"));
    assert!(out.contains("no usable answer: SERVFAIL"));
    assert!(
        out.contains("Summary: 1 target checked: 1 listed, 0 incomplete, 0 clean."),
        "{out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn human_output_shows_not_listed_compactly_and_hints_on_unusable() {
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "bl.test",
        "--zone",
        "v4only.test",
        "--zone",
        "hidden.test",
    ]);
    assert_eq!(r.code, 3);
    assert!(
        r.stdout.contains("not listed   bl.test, v4only.test"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Hint: unusable means"), "{}", r.stdout);
    assert!(r.stdout.contains("INCOMPLETE"));
}

#[test]
fn hostile_txt_is_sanitised_for_the_terminal_and_escaped_in_json() {
    let r = run(&["check", "192.0.2.15", "--zone", "bl.test"]);
    assert!(
        !r.stdout.contains('\x1b') && !r.stdout.contains('\x07'),
        "{:?}",
        r.stdout
    );
    assert!(!r.stdout.contains('\u{202e}'));
    assert!(
        r.stdout
            .contains("evil\\u{1b}[2J\\u{1b}]0;owned\\u{7} \\u{202e}gnp.exe"),
        "{}",
        r.stdout
    );
    let r = run(&["check", "192.0.2.15", "--zone", "bl.test", "--json"]);
    assert!(
        !r.stdout.contains('\x1b'),
        "JSON escapes control characters"
    );
    let txt = &r.json()[0]["results"][0]["txt"][0];
    assert_eq!(txt, "evil\u{1b}[2J\u{1b}]0;owned\u{7} \u{202e}gnp.exe");
}

#[test]
fn ndjson_is_one_report_per_line() {
    let r = run(&[
        "check",
        "192.0.2.10",
        "192.0.2.99",
        "spam.example",
        "--zone",
        "bl.test",
        "--zone",
        "dom.test",
        "--format",
        "ndjson",
    ]);
    assert_eq!(r.code, 1);
    let reports = ndjson(&r.stdout);
    assert_eq!(reports.len(), 3, "{}", r.stdout);
    let targets: Vec<&str> = reports
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["192.0.2.10", "192.0.2.99", "spam.example"]);
}

#[test]
fn json_report_has_exactly_the_documented_fields() {
    let r = run(&["check", "192.0.2.10", "--zone", "bl.test", "--json"]);
    let report = &r.json()[0];
    let mut keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["kind", "results", "sender", "target", "verdict"]);
    let mut keys: Vec<&String> = report["results"][0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "answers",
            "detail",
            "lookup_url",
            "meanings",
            "name",
            "query",
            "resolver",
            "role",
            "status",
            "txt",
            "zone"
        ]
    );
}

#[test]
fn global_options_work_before_and_after_the_subcommand() {
    let server = TestServer::shared().addr().to_string();
    let catalog = test_catalog();
    let catalog = catalog.to_str().unwrap();
    let before = blocklens()
        .args([
            "--json",
            "--resolver",
            &server,
            "--lists",
            catalog,
            "--zone",
            "bl.test",
            "check",
            "192.0.2.10",
        ])
        .output()
        .unwrap();
    let after = blocklens()
        .args([
            "check",
            "--json",
            "192.0.2.10",
            "--resolver",
            &server,
            "--lists",
            catalog,
            "--zone",
            "bl.test",
        ])
        .output()
        .unwrap();
    assert_eq!(before.status.code(), Some(1));
    assert_eq!(before.stdout, after.stdout);
    assert_eq!(before.status.code(), after.status.code());
}

#[test]
fn no_color_env_and_flag_are_accepted() {
    let server = TestServer::shared().addr().to_string();
    let out = blocklens()
        .env("NO_COLOR", "1")
        .args([
            "check",
            "192.0.2.10",
            "--no-color",
            "--resolver",
            &server,
            "--lists",
            test_catalog().to_str().unwrap(),
            "--zone",
            "bl.test",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\x1b'));
}

#[test]
fn api_keys_in_zone_names_are_masked_in_every_format() {
    let key = "secretkey0123456789abc";
    let zone = format!("{key}.dq.test");
    for format in ["human", "json", "ndjson"] {
        let r = run(&["check", "192.0.2.10", "--zone", &zone, "--format", format]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(!r.stdout.contains(key), "{format}: {}", r.stdout);
        assert!(!r.stderr.contains(key), "{format}: {}", r.stderr);
        assert!(r.stdout.contains("<key>.dq.test"), "{format}: {}", r.stdout);
    }
    let r = run(&["zones", "--health", "--zone", &zone, "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stdout.contains(key), "{}", r.stdout);
}

#[test]
fn identical_failures_share_one_line_and_the_headline_says_nothing_answered() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("two.toml");
    std::fs::write(
        &catalog,
        "[[zone]]\nzone = \"a.refused.test\"\nname = \"A\"\ntargets = \"ip\"\n\n\
         [[zone]]\nzone = \"b.refused.test\"\nname = \"B\"\ntargets = \"ip\"\n",
    )
    .unwrap();
    let server = TestServer::shared();
    let r: crate::common::Run = blocklens()
        .args(["--resolver", &server.addr().to_string()])
        .args(["--lists", catalog.to_str().unwrap()])
        .args(["check", "192.0.2.99"])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout
            .starts_with("192.0.2.99  INCOMPLETE: none of the 2 lists gave a usable answer\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("  error        all 2 lists: no usable answer: REFUSED\n"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.lines().any(|l| l.ends_with(' ')),
        "no trailing spaces: {:?}",
        r.stdout
    );
}
