//! `blocklens zones` and `zones --health`.

use crate::common::{run, run_bare};

#[test]
fn zones_lists_the_builtin_catalog() {
    let r = run_bare(&["zones"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("zen.spamhaus.org"));
    assert!(r.stdout.contains("dnsbl.sorbs.net") && r.stdout.contains("dead"));
    assert!(r.stdout.contains("{key}.zen.dq.spamhaus.net") && r.stdout.contains("needs key"));
    let r = run_bare(&["zones", "--json"]);
    let zones = r.json();
    let zen = zones
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zone"] == "zen.spamhaus.org")
        .unwrap();
    assert_eq!(
        zen["codes"]["127.0.0.2"],
        "SBL: direct spam source or spam operation"
    );
    assert_eq!(
        zen["errors"]["127.255.255.254"]
            .as_str()
            .map(|s| s.contains("public")),
        Some(true)
    );
    assert_eq!(zen["targets"], "ip");
    assert_eq!(zen["default"], true);
    assert!(zones.as_array().unwrap().len() >= 25);
}

fn health_of(zones: &serde_json::Value, zone: &str, family: &str) -> String {
    zones
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["zone"] == zone && h["family"] == family)
        .unwrap_or_else(|| panic!("no {zone}/{family} in {zones:#}"))["health"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn health_classifies_every_kind_of_zone() {
    let r = run(&[
        "zones",
        "--health",
        "--all-zones",
        "--timeout",
        "300ms",
        "--attempts",
        "1",
        "--json",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    let h = r.json();
    assert_eq!(health_of(&h, "bl.test", "ipv4"), "healthy");
    assert_eq!(health_of(&h, "bl.test", "ipv6"), "healthy");
    assert_eq!(health_of(&h, "dom.test", "domain"), "healthy");
    assert_eq!(health_of(&h, "multi.test", "domain"), "healthy");
    assert_eq!(health_of(&h, "allow.test", "ipv4"), "healthy");
    assert_eq!(health_of(&h, "wild.test", "ipv4"), "lists_everything");
    assert_eq!(health_of(&h, "refusing.test", "ipv4"), "refuses");
    assert_eq!(health_of(&h, "servfail.test", "ipv4"), "not_answering");
    assert_eq!(health_of(&h, "refused.test", "ipv4"), "not_answering");
    assert_eq!(health_of(&h, "silent.test", "ipv4"), "not_answering");
    assert_eq!(health_of(&h, "hidden.test", "ipv4"), "test_point_missing");
    // A listed positive test point is not enough: the negative one must
    // answer NXDOMAIN too.
    assert_eq!(health_of(&h, "negquiet.test", "ipv4"), "not_answering");
}

#[test]
fn health_exits_zero_when_all_selected_zones_are_healthy() {
    let r = run(&[
        "zones", "--health", "--zone", "bl.test", "--zone", "dom.test",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("healthy"));
    assert!(
        r.stdout
            .contains("Summary: 3 of 3 test point checks healthy."),
        "{}",
        r.stdout
    );
}

#[test]
fn health_explains_what_to_do_about_a_refusing_list() {
    let r = run(&["zones", "--health", "--zone", "refusing.test"]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.contains("refuses"));
    assert!(r.stdout.contains("public resolver"), "{}", r.stdout);
}
