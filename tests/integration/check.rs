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
    assert_eq!(z["txt"], serde_json::json!(["Listed in XBL, see https://lists.example/q/192.0.2.10"]));
    assert_eq!(z["lookup_url"], "https://lists.example/lookup?ip=192.0.2.10");
    assert_eq!(z["role"], "block");
    assert!(report["sender"].is_null());
}
