//! `blocklens spf` and `check --sender` against the in-process server.

use crate::common::run;

fn spf_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["spf"];
    all.extend_from_slice(args);
    all.push("--json");
    let r = run(&all);
    (r.code, r.json())
}

#[test]
fn spf_pass_by_ip4_and_by_a() {
    let (code, out) = spf_json(&["sender.test", "192.0.2.10"]);
    assert_eq!(code, 0);
    assert_eq!(out["result"], "pass");
    assert_eq!(out["mechanism"], "ip4:192.0.2.10");
    assert_eq!(out["domain"], "sender.test");
    assert_eq!(out["ip"], "192.0.2.10");
    assert_eq!(
        out["record"],
        "v=spf1 ip4:192.0.2.10 a:mail.sender.test include:_spf.sender.test exp=exp.sender.test -all"
    );
    assert_eq!(out["dns_lookups"], 0);
    let (_, out) = spf_json(&["sender.test", "192.0.2.20"]);
    assert_eq!(out["result"], "pass");
    assert_eq!(out["mechanism"], "a:mail.sender.test");
    assert_eq!(out["dns_lookups"], 1);
}

#[test]
fn spf_pass_through_include_is_traced_with_depth() {
    let (_, out) = spf_json(&["sender.test", "198.51.100.7"]);
    assert_eq!(out["result"], "pass");
    assert_eq!(out["mechanism"], "include:_spf.sender.test");
    assert_eq!(out["dns_lookups"], 2);
    let trace = out["trace"].as_array().unwrap();
    let inner = trace
        .iter()
        .find(|s| s["event"] == "term" && s["text"] == "ip4:198.51.100.0/24")
        .expect("the included record's term is in the trace");
    assert_eq!(inner["depth"], 1);
    assert_eq!(inner["matched"], true);
    assert_eq!(inner["domain"], "_spf.sender.test");
    let events: Vec<&str> = trace.iter().map(|s| s["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"record"));
    assert_eq!(events.last(), Some(&"result"));
    assert!(events.contains(&"include"));
}

#[test]
fn spf_fail_with_explanation() {
    let (code, out) = spf_json(&["sender.test", "203.0.113.5"]);
    assert_eq!(code, 0, "an evaluated fail is exit 0 for `spf`");
    assert_eq!(out["result"], "fail");
    assert_eq!(out["mechanism"], "-all");
    assert_eq!(
        out["explanation"],
        "203.0.113.5 is not one of the sender.test mail servers"
    );
}

#[test]
fn spf_permerror_and_lint() {
    let (_, out) = spf_json(&["broken.sender.test", "192.0.2.10"]);
    assert_eq!(out["result"], "permerror");
    let lint = out["lint"][0].as_str().unwrap();
    assert!(
        lint.contains("position 23") && lint.contains("192.0.2.300"),
        "{lint}"
    );
    let (_, out) = spf_json(&["twice.sender.test", "192.0.2.10"]);
    assert_eq!(out["result"], "permerror");
    assert!(out["lint"][0].as_str().unwrap().contains("2 SPF records"));
    let (_, out) = spf_json(&["sub.sender.test", "203.0.113.5"]);
    assert_eq!(out["result"], "fail", "redirect to sender.test");
}

#[test]
fn spf_none_and_temperror() {
    let (code, out) = spf_json(&["spam.example.dom.test", "192.0.2.10"]);
    assert_eq!((code, out["result"].as_str()), (0, Some("none")));
    let r = run(&[
        "spf",
        "x.silent.test",
        "192.0.2.10",
        "--timeout",
        "300ms",
        "--attempts",
        "1",
        "--json",
    ]);
    assert_eq!(r.code, 3, "temperror is exit 3");
    assert_eq!(r.json()["result"], "temperror");
}

#[test]
fn spf_human_output_shows_the_trace_tree() {
    let r = run(&["spf", "sender.test", "203.0.113.5"]);
    assert_eq!(r.code, 0);
    let out = &r.stdout;
    assert!(
        out.starts_with("SPF FAIL for sender.test from 203.0.113.5\n"),
        "{out}"
    );
    assert!(out.contains("decided by:  -all"));
    assert!(out.contains("explanation: 203.0.113.5 is not one of the sender.test mail servers"));
    assert!(out.contains("Trace:"));
    // The included record's term is indented one level deeper.
    assert!(out.contains("\n    no match ip4:198.51.100.0/24"), "{out}");
    assert!(out.contains("\n  match    -all"), "{out}");
}

#[test]
fn spf_bad_input() {
    for args in [
        vec!["spf", "sender.test", "not-an-ip"],
        vec!["spf", "bad domain", "192.0.2.1"],
        vec!["spf", "sender.test", "192.0.2.1", "--sender", "nobody"],
        vec!["spf", "sender.test"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr.lines().count(), 1, "{:?}", r.stderr);
    }
}

#[test]
fn check_sender_fills_spf_dmarc_rdns_and_domain_lists() {
    let r = run(&[
        "check",
        "192.0.2.10",
        "--zone",
        "bl.test",
        "--zone",
        "dom.test",
        "--sender",
        "sender.test",
        "--json",
    ]);
    let report = &r.json()[0];
    let s = &report["sender"];
    assert_eq!(s["domain"], "sender.test");
    assert_eq!(s["spf"]["result"], "pass");
    assert_eq!(s["spf"]["mechanism"], "ip4:192.0.2.10");
    assert_eq!(
        s["dmarc"]["record"],
        "v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:dmarc@sender.test"
    );
    assert_eq!(s["dmarc"]["policy"], "reject");
    assert_eq!(s["dmarc"]["subdomain_policy"], "quarantine");
    assert_eq!(s["dmarc"]["pct"], 50);
    assert_eq!(s["dmarc"]["org_domain"], "sender.test");
    assert_eq!(s["dmarc"]["aligned"], true);
    assert_eq!(s["rdns"]["ptr"], serde_json::json!(["mx.sender.test"]));
    assert_eq!(s["rdns"]["fcrdns"], "pass");
    assert_eq!(s["results"][0]["zone"], "dom.test");
    assert_eq!(s["results"][0]["status"], "not_listed");
    // 192.0.2.10 is on bl.test, so exit 1 regardless of the sender side.
    assert_eq!(r.code, 1);
}

#[test]
fn check_sender_spf_fail_is_exit_1_even_when_not_listed() {
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "bl.test",
        "--sender",
        "sender.test",
        "--json",
    ]);
    let report = &r.json()[0];
    assert_eq!(report["verdict"], "clean");
    assert_eq!(report["sender"]["spf"]["result"], "fail");
    assert_eq!(report["sender"]["dmarc"]["aligned"], false);
    assert_eq!(report["sender"]["rdns"]["fcrdns"], "none");
    assert_eq!(report["sender"]["verdict"], "refused");
    assert_eq!(r.code, 1);
}

#[test]
fn check_sender_reverse_dns_mismatch_and_generic_names() {
    let r = run(&[
        "check",
        "192.0.2.11",
        "192.0.2.12",
        "--zone",
        "bl.test",
        "--sender",
        "sub.sender.test",
        "--json",
    ]);
    let reports = r.json();
    let rdns = &reports[0]["sender"]["rdns"];
    assert_eq!(rdns["ptr"], serde_json::json!(["wrong.sender.test"]));
    assert_eq!(
        rdns["fcrdns"], "fail",
        "the PTR name's A record is 192.0.2.99"
    );
    assert_eq!(
        rdns["names"][0]["addresses"],
        serde_json::json!(["192.0.2.99"])
    );
    let rdns = &reports[1]["sender"]["rdns"];
    assert_eq!(rdns["fcrdns"], "pass");
    assert!(
        rdns["names"][0]["generic"]
            .as_str()
            .unwrap()
            .contains("IP address")
    );
    // sub.sender.test has no DMARC record of its own: the organisational domain's applies.
    let dmarc = &reports[0]["sender"]["dmarc"];
    assert_eq!(dmarc["name"], "_dmarc.sender.test");
    assert_eq!(dmarc["applies_subdomain_policy"], true);
}

#[test]
fn check_sender_domain_listing_is_exit_1_and_human_output_shows_it() {
    // 192.0.2.99 is listed nowhere; only the sender domain is.
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "v4only.test",
        "--zone",
        "dom.test",
        "--sender",
        "sub.sender.test",
    ]);
    assert_eq!(r.code, 1, "the sender domain is listed: {r:?}");
    assert!(r.stdout.contains("clean"), "{}", r.stdout);
    assert!(
        r.stdout.contains("sender domain sub.sender.test"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("SPF    fail (decided by -all)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("domain LISTED dom.test spam domain"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "DMARC  p=reject sp=quarantine pct=50 aspf=r at _dmarc.sender.test; SPF aligned: no"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn check_sender_incomplete_is_exit_3_and_says_so_where_the_verdict_is() {
    // SPF of a domain whose TXT lookup fails is temperror: the blocklists
    // say clean, the sender side says incomplete, and so does the exit code.
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "bl.test",
        "--sender",
        "x.servfail.test",
        "--json",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    let report = &r.json()[0];
    assert_eq!(report["verdict"], "clean");
    assert_eq!(report["sender"]["verdict"], "incomplete");
    assert_eq!(report["sender"]["spf"]["result"], "temperror");
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "bl.test",
        "--sender",
        "x.servfail.test",
        "--helo",
        "mail.example.org",
    ]);
    assert_eq!(r.code, 3);
    let out = &r.stdout;
    assert!(
        out.contains("sender domain x.servfail.test (HELO mail.example.org)  INCOMPLETE"),
        "{out}"
    );
    assert!(
        out.contains("SPF    temperror (TXT lookup for x.servfail.test failed: SERVFAIL)"),
        "{out}"
    );
    assert!(
        out.contains("Sender side: 0 refused, 1 incomplete, 0 ok."),
        "{out}"
    );
}
