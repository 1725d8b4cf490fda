//! `blocklens check` against the in-process server.

use crate::common::{has_result, result, run};

#[test]
fn listed_with_code_meaning_txt_and_lookup_url() {
    let r = run(&["check", "192.0.2.10", "--zone", "bl.test", "--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let reports = r.json();
    let report = &reports[0];
    assert_eq!(report["target"], "192.0.2.10");
    assert_eq!(report["kind"], "ip");
    assert_eq!(report["verdict"], "listed");
    let z = result(report, "bl.test");
    assert_eq!(z["status"], "listed");
    assert_eq!(z["query"], "10.2.0.192.bl.test");
    assert_eq!(z["answers"], serde_json::json!(["127.0.0.4"]));
    assert_eq!(z["meanings"], serde_json::json!(["XBL: exploited host"]));
    assert_eq!(
        z["txt"],
        serde_json::json!(["Listed in XBL, see https://lists.example/q/192.0.2.10"])
    );
    assert_eq!(
        z["lookup_url"],
        "https://lists.example/lookup?ip=192.0.2.10"
    );
    assert_eq!(z["role"], "block");
    assert!(report["sender"].is_null());
}

#[test]
fn not_listed_on_a_zone_that_proved_it_answers_is_clean() {
    let r = run(&["check", "192.0.2.99", "--zone", "bl.test", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let report = &r.json()[0];
    assert_eq!(report["verdict"], "clean");
    let z = result(report, "bl.test");
    assert_eq!(z["status"], "not_listed");
    assert_eq!(z["answers"], serde_json::json!([]));
    assert!(z["detail"].is_null());
}

#[test]
fn several_codes_in_one_answer_are_all_decoded() {
    let r = run(&["check", "192.0.2.11", "--zone", "bl.test", "--json"]);
    assert_eq!(r.code, 1);
    let z = result(&r.json()[0], "bl.test").clone();
    let mut answers: Vec<String> = serde_json::from_value(z["answers"].clone()).unwrap();
    answers.sort();
    assert_eq!(answers, ["127.0.0.10", "127.0.0.2", "127.0.0.4"]);
    let mut meanings: Vec<String> = serde_json::from_value(z["meanings"].clone()).unwrap();
    meanings.sort();
    assert_eq!(
        meanings,
        [
            "PBL: end-user range",
            "SBL: direct spam source",
            "XBL: exploited host"
        ]
    );
}

#[test]
fn undocumented_code_is_listed_and_says_so() {
    let r = run(&["check", "192.0.2.12", "--zone", "bl.test", "--json"]);
    assert_eq!(r.code, 1);
    let z = result(&r.json()[0], "bl.test").clone();
    assert_eq!(z["status"], "listed");
    assert_eq!(
        z["meanings"],
        serde_json::json!(["undocumented code 127.0.0.99"])
    );
}

#[test]
fn error_code_is_unusable_never_listed() {
    let r = run(&["check", "192.0.2.13", "--zone", "bl.test", "--json"]);
    assert_eq!(r.code, 3, "{r:?}");
    let report = &r.json()[0];
    assert_eq!(report["verdict"], "incomplete");
    let z = result(report, "bl.test");
    assert_eq!(z["status"], "unusable");
    assert_eq!(z["answers"], serde_json::json!(["127.255.255.254"]));
    assert_eq!(
        z["meanings"],
        serde_json::json!(["refused: query via a public resolver"])
    );
    assert!(z["detail"].as_str().unwrap().contains("refused"));
}

#[test]
fn answer_outside_loopback_is_an_error() {
    let r = run(&["check", "192.0.2.14", "--zone", "bl.test", "--json"]);
    assert_eq!(r.code, 3);
    let z = result(&r.json()[0], "bl.test").clone();
    assert_eq!(z["status"], "error");
    assert_eq!(z["answers"], serde_json::json!(["198.51.100.7"]));
    assert!(
        z["detail"]
            .as_str()
            .unwrap()
            .contains("outside 127.0.0.0/8")
    );
}

#[test]
fn servfail_refused_and_timeout_are_errors_not_clean() {
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "servfail.test",
        "--zone",
        "refused.test",
        "--zone",
        "silent.test",
        "--timeout",
        "300ms",
        "--attempts",
        "1",
        "--json",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    let report = &r.json()[0];
    assert_eq!(report["verdict"], "incomplete");
    for (zone, word) in [
        ("servfail.test", "SERVFAIL"),
        ("refused.test", "REFUSED"),
        ("silent.test", "timeout"),
    ] {
        let z = result(report, zone);
        assert_eq!(z["status"], "error", "{zone}");
        let detail = z["detail"].as_str().unwrap();
        assert!(detail.contains(word), "{zone}: {detail}");
    }
}

#[test]
fn a_zone_whose_test_point_is_missing_is_unusable_but_its_listings_count() {
    // 192.0.2.99 is NXDOMAIN on hidden.test, which does not list 127.0.0.2:
    // its silence is not evidence.
    let r = run(&[
        "check",
        "192.0.2.99",
        "192.0.2.10",
        "--zone",
        "hidden.test",
        "--json",
    ]);
    assert_eq!(r.code, 1);
    let reports = r.json();
    let z = result(&reports[0], "hidden.test");
    assert_eq!(z["status"], "unusable");
    let detail = z["detail"].as_str().unwrap();
    assert!(
        detail.contains("127.0.0.2") && detail.contains("not listed through"),
        "{detail}"
    );
    assert_eq!(reports[0]["verdict"], "incomplete");
    // A listing is still a listing.
    assert_eq!(result(&reports[1], "hidden.test")["status"], "listed");
    assert_eq!(reports[1]["verdict"], "listed");
}

#[test]
fn a_zone_that_refuses_its_test_point_makes_nxdomain_unusable() {
    let r = run(&[
        "check",
        "192.0.2.99",
        "192.0.2.10",
        "--zone",
        "refusing.test",
        "--json",
    ]);
    let reports = r.json();
    let z = result(&reports[0], "refusing.test");
    assert_eq!(z["status"], "unusable");
    assert!(z["detail"].as_str().unwrap().contains("refuses"), "{z}");
    assert_eq!(result(&reports[1], "refusing.test")["status"], "listed");
}

#[test]
fn a_wildcarded_zone_lists_nothing() {
    let r = run(&["check", "192.0.2.99", "--zone", "wild.test", "--json"]);
    assert_eq!(r.code, 3, "{r:?}");
    let z = result(&r.json()[0], "wild.test").clone();
    assert_eq!(z["status"], "error");
    assert!(
        z["detail"]
            .as_str()
            .unwrap()
            .contains("negative test point"),
        "{z}"
    );
}

#[test]
fn a_zone_whose_negative_test_point_goes_unanswered_has_no_trusted_listings() {
    // negquiet.test lists 127.0.0.2 and 192.0.2.10, but 127.0.0.1 never
    // answers: it has not shown that it does not list everything.
    let r = run(&[
        "check",
        "192.0.2.10",
        "192.0.2.99",
        "--zone",
        "negquiet.test",
        "--timeout",
        "300ms",
        "--attempts",
        "1",
        "--json",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    let reports = r.json();
    let listed = result(&reports[0], "negquiet.test");
    assert_eq!(listed["status"], "unusable", "{listed}");
    assert!(
        listed["detail"]
            .as_str()
            .unwrap()
            .contains("listing not trusted"),
        "{listed}"
    );
    assert_eq!(reports[0]["verdict"], "incomplete");
    // Its NXDOMAIN is still evidence: the positive test point was listed.
    assert_eq!(result(&reports[1], "negquiet.test")["status"], "not_listed");
}

#[test]
fn ipv6_targets_use_nibbles_and_only_ipv6_zones() {
    let r = run(&[
        "check",
        "2001:db8::10",
        "--zone",
        "bl.test",
        "--zone",
        "v4only.test",
        "--json",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = &r.json()[0];
    let z = result(report, "bl.test");
    assert_eq!(z["status"], "listed");
    assert_eq!(
        z["query"],
        "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test"
    );
    assert_eq!(z["txt"], serde_json::json!(["IPv6 listing"]));
    assert!(
        !has_result(report, "v4only.test"),
        "an IPv4-only zone was queried for IPv6"
    );
}

#[test]
fn ipv4_mapped_ipv6_is_not_turned_into_ipv4() {
    // 192.0.2.10 is listed on bl.test; its mapped form must be queried as 32
    // nibbles (not listed there), never as 10.2.0.192.
    let r = run(&[
        "check",
        "::ffff:192.0.2.10",
        "--zone",
        "bl.test",
        "--zone",
        "v4only.test",
        "--json",
    ]);
    let report = &r.json()[0];
    let z = result(report, "bl.test");
    assert_eq!(
        z["query"],
        "a.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test"
    );
    assert_eq!(z["status"], "not_listed");
    assert!(!has_result(report, "v4only.test"));
    assert_eq!(r.code, 0);
}

#[test]
fn domain_lists_and_idn() {
    let r = run(&[
        "check",
        "Spam.Example.",
        "bücher.example",
        "clean.example",
        "--zone",
        "dom.test",
        "--json",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    let reports = r.json();
    assert_eq!(reports[0]["target"], "spam.example");
    assert_eq!(reports[0]["kind"], "domain");
    let z = result(&reports[0], "dom.test");
    assert_eq!(z["query"], "spam.example.dom.test");
    assert_eq!(z["meanings"], serde_json::json!(["spam domain"]));
    assert_eq!(z["txt"], serde_json::json!(["spam domain"]));
    assert_eq!(z["lookup_url"], "https://dom.example/?d=spam.example");
    assert_eq!(reports[1]["target"], "xn--bcher-kva.example");
    assert_eq!(
        result(&reports[1], "dom.test")["meanings"],
        serde_json::json!(["malware domain"])
    );
    assert_eq!(reports[2]["verdict"], "clean");
}

#[test]
fn ip_and_domain_targets_only_meet_their_own_zones() {
    let r = run(&[
        "check",
        "192.0.2.99",
        "clean.example",
        "--zone",
        "bl.test",
        "--zone",
        "dom.test",
        "--json",
    ]);
    let reports = r.json();
    assert!(has_result(&reports[0], "bl.test") && !has_result(&reports[0], "dom.test"));
    assert!(has_result(&reports[1], "dom.test") && !has_result(&reports[1], "bl.test"));
}

#[test]
fn bitmask_lists_name_every_bit_and_bit_one_is_a_refusal() {
    let r = run(&[
        "check",
        "spam.example",
        "refused.example",
        "--zone",
        "multi.test",
        "--json",
    ]);
    let reports = r.json();
    let z = result(&reports[0], "multi.test");
    assert_eq!(z["status"], "listed");
    assert_eq!(z["meanings"], serde_json::json!(["black", "grey"]));
    let z = result(&reports[1], "multi.test");
    assert_eq!(z["status"], "unusable");
    assert_eq!(z["meanings"], serde_json::json!(["query refused"]));
    assert_eq!(r.code, 1);
}

#[test]
fn allow_lists_never_make_a_target_listed() {
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "allow.test",
        "--zone",
        "bl.test",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let report = &r.json()[0];
    assert_eq!(report["verdict"], "clean");
    let z = result(report, "allow.test");
    assert_eq!(z["status"], "listed");
    assert_eq!(z["role"], "allow");
    assert_eq!(
        z["meanings"],
        serde_json::json!(["allow-listed: service provider"])
    );
}

#[test]
fn results_are_ordered_listed_first_and_targets_keep_input_order() {
    let r = run(&[
        "check",
        "192.0.2.99",
        "192.0.2.10",
        "192.0.2.13",
        "--zone",
        "v4only.test",
        "--zone",
        "servfail.test",
        "--zone",
        "bl.test",
        "--json",
    ]);
    let reports = r.json();
    let targets: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["192.0.2.99", "192.0.2.10", "192.0.2.13"]);
    let statuses: Vec<&str> = reports[1]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["listed", "listed", "error"]);
    assert_eq!(r.code, 1);
}

#[test]
fn default_selection_uses_default_zones_only() {
    // silent.test is off by default in the test catalog: without --zone it is
    // not queried, so this finishes without a timeout and reports no silent.test.
    let r = run(&["check", "192.0.2.99", "--json"]);
    let report = &r.json()[0];
    assert!(!has_result(report, "silent.test"));
    assert!(has_result(report, "bl.test") && has_result(report, "servfail.test"));
    let r = run(&[
        "check",
        "192.0.2.99",
        "--all-zones",
        "--timeout",
        "200ms",
        "--attempts",
        "1",
        "--json",
    ]);
    assert!(has_result(&r.json()[0], "silent.test"));
}

#[test]
fn answers_too_big_for_udp_arrive_over_tcp() {
    // Twelve 198-byte TXT records do not fit a 1232-byte UDP answer: the
    // server truncates, and the client must fetch them over TCP.
    let r = run(&["check", "192.0.2.16", "--zone", "bl.test", "--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let z = result(&r.json()[0], "bl.test").clone();
    let mut txt: Vec<String> = serde_json::from_value(z["txt"].clone()).unwrap();
    txt.sort();
    assert_eq!(txt.len(), 12, "{txt:?}");
    assert!(txt[11].starts_with("part 11 xxx") && txt[11].len() == 198);
}
