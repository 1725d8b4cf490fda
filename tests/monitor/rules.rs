//! The alert rules in README.md ("### Alert rules"), checked and unit-tested with
//! `promtool test rules` (skipped with a message when promtool is missing).

use std::process::Command;

const PROMTOOL: &str = "/usr/bin/promtool";

/// The YAML block under "### Alert rules".
fn documented_rules() -> String {
    let doc =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let section = &doc[doc.find("### Alert rules").expect("the section exists")..];
    let start = section.find("```yaml\n").expect("a yaml block") + 8;
    let len = section[start..].find("```").unwrap();
    section[start..start + len].to_string()
}

const TESTS: &str = r#"
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # listed from minute 2
      - series: 'blocklens_listed{target="192.0.2.10",zone="bl.test",role="block"}'
        values: '0 0 1 1 1'
      # an allow list listing is good news
      - series: 'blocklens_listed{target="192.0.2.10",zone="wl.test",role="allow"}'
        values: '1 1 1 1 1'
      # a list that stopped answering: no listed sample, an error
      - series: 'blocklens_lookup_error{target="192.0.2.11",zone="silent.test",role="block"}'
        values: '1x40'
      - series: 'blocklens_zone_usable{zone="silent.test",family="ipv4"}'
        values: '0x40'
      # serve is up but its rounds stop after minute 2
      - series: 'blocklens_last_round_timestamp_seconds'
        values: '0 60 120 120x40'
      # the exporter is down from minute 10
      - series: 'up{job="blocklens",instance="127.0.0.1:9319"}'
        values: '1x9 0x30'
    alert_rule_test:
      - eval_time: 1m
        alertname: BlocklistListed
        exp_alerts: []
      - eval_time: 3m
        alertname: BlocklistListed
        exp_alerts:
          - exp_labels: {severity: critical, target: 192.0.2.10, zone: bl.test, role: block}
            exp_annotations: {summary: "192.0.2.10 is listed on bl.test"}
      - eval_time: 20m
        alertname: BlocklistLookupFailing
        exp_alerts: []
      - eval_time: 35m
        alertname: BlocklistLookupFailing
        exp_alerts:
          - exp_labels: {severity: warning, target: 192.0.2.11, zone: silent.test, role: block}
            exp_annotations: {summary: "silent.test gives no usable answer for 192.0.2.11: its listing state is unknown"}
      - eval_time: 35m
        alertname: BlocklistZoneUnusable
        exp_alerts:
          - exp_labels: {severity: warning, zone: silent.test, family: ipv4}
            exp_annotations: {summary: "silent.test (ipv4) fails its RFC 5782 test points through this resolver"}
      - eval_time: 10m
        alertname: BlocklensStale
        exp_alerts: []
      - eval_time: 25m
        alertname: BlocklensStale
        exp_alerts:
          - exp_labels: {severity: warning}
            exp_annotations: {summary: "blocklens has not completed a round for 15 minutes"}
      - eval_time: 12m
        alertname: BlocklensDown
        exp_alerts: []
      - eval_time: 16m
        alertname: BlocklensDown
        exp_alerts:
          - exp_labels: {severity: warning, job: blocklens, instance: "127.0.0.1:9319"}
            exp_annotations: {summary: "Prometheus cannot scrape blocklens at 127.0.0.1:9319"}
"#;

#[test]
fn documented_alert_rules_fire_as_described() {
    if !std::path::Path::new(PROMTOOL).is_file() {
        eprintln!("skipped: {PROMTOOL} is not installed, the alert rules were not checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), documented_rules()).unwrap();
    std::fs::write(dir.path().join("tests.yml"), TESTS).unwrap();
    for args in [
        &["check", "rules", "rules.yml"][..],
        &["test", "rules", "tests.yml"],
    ] {
        let out = Command::new(PROMTOOL)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
