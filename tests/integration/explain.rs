//! `blocklens explain` against the in-process server.

use std::io::Write;
use std::process::Stdio;

use crate::common::{Run, TestServer, blocklens, test_catalog};

fn explain(text: &[u8], args: &[&str]) -> Run {
    let server = TestServer::shared().addr().to_string();
    let mut child = blocklens()
        .args([
            "explain",
            "--resolver",
            &server,
            "--lists",
            test_catalog().to_str().unwrap(),
            "--timeout",
            "500ms",
            "--attempts",
            "1",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(text);
    drop(stdin);
    child.wait_with_output().unwrap().into()
}

#[test]
fn a_listed_ip_is_confirmed_with_removal_advice() {
    let r = explain(b"host mx.example.net[203.0.113.5] said: 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using bl.test (in reply to RCPT TO command)", &["--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let e = r.json();
    assert_eq!(e["cause"], "blocklist");
    assert_eq!(e["ip"], "192.0.2.10");
    assert_eq!(e["zone"], "bl.test");
    assert_eq!(e["list_name"], "Test BL");
    assert_eq!(e["reply_code"], 554);
    assert_eq!(e["status"], "5.7.1");
    assert_eq!(e["verification"]["status"], "confirmed");
    let details = e["verification"]["details"].as_array().unwrap();
    assert!(
        details
            .iter()
            .any(|d| d["kind"] == "zone" && d["zone"] == "bl.test" && d["status"] == "listed")
    );
    assert!(
        details
            .iter()
            .any(|d| d["kind"] == "rdns" && d["fcrdns"] == "pass")
    );
    assert!(
        e["advice"][0]
            .as_str()
            .unwrap()
            .contains("https://lists.example/lookup?ip=192.0.2.10"),
        "{e:#}"
    );
}

#[test]
fn an_unlisted_ip_is_not_reproduced() {
    let r = explain(
        b"554 5.7.1 Service unavailable; Client host [192.0.2.99] blocked using bl.test",
        &["--json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let e = r.json();
    assert_eq!(e["verification"]["status"], "not_reproduced");
    assert!(
        e["advice"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().contains("not listed now on bl.test"))
    );
}

#[test]
fn no_usable_answer_is_unverifiable_and_exit_3() {
    let r = explain(
        b"554 5.7.1 Client host [192.0.2.99] blocked using servfail.test",
        &["--json", "--zone", "bl.test"],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.json()["verification"]["status"], "unverifiable");
    // Without any IP there is nothing to check: diagnosed, exit 0.
    let r = explain(
        b"554 5.7.1 Service unavailable; blocked using bl.test",
        &["--json"],
    );
    assert_eq!(r.code, 0);
    assert_eq!(r.json()["verification"]["status"], "unverifiable");
}

#[test]
fn spf_fail_is_confirmed_with_the_mechanism_to_add() {
    let r = explain(b"550 5.7.23 SPF validation failed: sender.test does not designate 203.0.113.5 as permitted sender", &["--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let e = r.json();
    assert_eq!(e["cause"], "spf");
    assert_eq!(e["sender_domain"], "sender.test");
    assert_eq!(e["verification"]["status"], "confirmed");
    let spf = e["verification"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "spf")
        .unwrap()
        .clone();
    assert_eq!(spf["result"], "fail");
    assert!(spf["trace"].as_array().unwrap().len() > 3);
    assert!(
        e["advice"][0]
            .as_str()
            .unwrap()
            .contains("add ip4:203.0.113.5 before -all"),
        "{e:#}"
    );
    // SPF that passes now is not reproduced.
    let r = explain(
        b"550 5.7.23 SPF fail",
        &["--json", "--ip", "192.0.2.10", "--sender", "sender.test"],
    );
    assert_eq!(
        (r.code, r.json()["verification"]["status"].as_str()),
        (0, Some("not_reproduced"))
    );
}

#[test]
fn dmarc_and_reverse_dns_are_checked() {
    let r = explain(
        b"550-5.7.26 Unauthenticated email from sender.test is not accepted due to domain's\n550 5.7.26 DMARC policy. - gsmtp",
        &["--json", "--ip", "203.0.113.5"],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let e = r.json();
    assert_eq!(
        (e["cause"].as_str(), e["provider"].as_str()),
        (Some("dmarc"), Some("gmail"))
    );
    assert_eq!(e["verification"]["status"], "confirmed");
    let r = explain(b"550-5.7.25 [192.0.2.11] The IP address sending this message does not have a\n550 5.7.25 PTR record setup - gsmtp", &["--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let e = r.json();
    assert_eq!(e["cause"], "policy_other");
    assert_eq!(
        e["verification"]["status"], "confirmed",
        "its PTR name resolves to another address"
    );
}

#[test]
fn offline_dsn_file_and_dqs_key_masking() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bounce.eml");
    std::fs::write(
        &file,
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; out.example.org [192.0.2.3]\nRemote-MTA: dns; mx.example.net [203.0.113.9]\nStatus: 5.7.1\nDiagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host\n    [198.51.100.7] blocked using abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net\n--b--\n",
    )
    .unwrap();
    let r = explain(b"", &[file.to_str().unwrap(), "--offline", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let e = r.json();
    assert_eq!(e["ip"], "198.51.100.7");
    assert_eq!(e["zone"], "<key>.zen.dq.spamhaus.net");
    assert_eq!(e["reporting_mta"], "out.example.org");
    assert_eq!(e["remote_mta"], "mx.example.net");
    assert_eq!(e["verification"]["status"], "skipped");
    assert!(
        !r.stdout.contains("abcdefghijklmnopqrstuvwxyz"),
        "the DQS key must not be shown"
    );
}

#[test]
fn human_output_is_a_narrative() {
    let r = explain(
        b"554 5.7.1 Client host [192.0.2.10] blocked using bl.test \x1b[2J\x1b]0;owned\x07",
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .starts_with("Cause: blocklist (high confidence): \"blocked using bl.test\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Checked now: CONFIRMED: 192.0.2.10 is listed on bl.test now")
    );
    assert!(
        r.stdout
            .contains("What to do:\n  1. Request removal from Test BL")
    );
    assert!(
        !r.stdout.contains('\x1b') && !r.stdout.contains('\x07'),
        "{:?}",
        r.stdout
    );
}

#[test]
fn hostile_input() {
    // Over 10 MiB: refused before anything else.
    let huge = vec![b'a'; 10 * 1024 * 1024 + 1];
    let r = explain(&huge, &["--offline"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("larger than 10 MiB"), "{}", r.stderr);
    // Invalid UTF-8 and binary are tolerated.
    let mut bin =
        b"554 5.7.1 Client host [192.0.2.10] blocked using bl.test \xff\xfe\x00\x01".to_vec();
    bin.extend((0..=255u8).cycle().take(4096));
    let r = explain(&bin, &["--offline", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["ip"], "192.0.2.10");
    // Bad flags.
    let r = explain(b"x", &["--ip", "nope"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1);
}

#[test]
fn the_list_the_bounce_names_decides_and_others_are_only_also_listed() {
    // 192.0.2.11 is on bl.test, not on v4only.test, which the bounce names.
    let r = explain(
        b"554 5.7.1 Service unavailable; Client host [192.0.2.11] blocked using v4only.test",
        &["--json"],
    );
    assert_eq!(r.code, 0, "not reproduced on the named list: {r:?}");
    let e = r.json();
    assert_eq!(e["zone"], "v4only.test");
    assert_eq!(e["verification"]["status"], "not_reproduced");
    assert_eq!(e["verification"]["also_listed"][0], "bl.test");
    assert!(
        e["verification"]["summary"]
            .as_str()
            .unwrap()
            .contains("also listed on bl.test"),
        "{e}"
    );
    // The named list unreachable: unverifiable (exit 3), never confirmed by
    // another list, and its own page is given.
    let r = explain(
        b"554 5.7.1 Client host [192.0.2.10] blocked using servfail.test",
        &["--json"],
    );
    assert_eq!(r.code, 3, "{r:?}");
    let e = r.json();
    assert_eq!(e["verification"]["status"], "unverifiable");
    assert_eq!(e["verification"]["lookup_failed"], true);
}

#[test]
fn a_list_the_catalog_lacks_is_asked_by_its_name_with_test_points() {
    let r = explain(
        b"550 5.7.1 Client host [192.0.2.10] blocked using other.test",
        &["--json"],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let e = r.json();
    assert_eq!(e["zone"], "other.test");
    assert_eq!(e["list_name"], serde_json::Value::Null);
    assert_eq!(e["verification"]["status"], "confirmed");
    let z = e["verification"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "zone" && d["zone"] == "other.test")
        .unwrap()
        .clone();
    assert_eq!(z["meanings"][0], "undocumented code 127.0.0.3");
}

#[test]
fn a_refused_receiver_resolver_is_said_without_contradiction() {
    let r = explain(
        b"554 5.7.1 Service unavailable; Client host [192.0.2.99] blocked using bl.test; Error: open resolver; https://check.spamhaus.org/returnc/pub/203.0.113.1",
        &["--json"],
    );
    let e = r.json();
    assert_eq!(e["receiver_misconfigured"], true, "{e}");
    assert_eq!(e["verification"]["status"], "not_reproduced");
    let advice = e["advice"].to_string();
    assert!(advice.contains("resolver"), "{advice}");
    assert!(!advice.contains("expired"), "contradicts itself: {advice}");
}

const TWO_REASONS: &[u8] = b"From: MAILER-DAEMON@out.example.org
To: alice@sender.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"

--B
Content-Type: text/plain

Delivery to the following recipients failed.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; out.example.org

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.7.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using bl.test

Final-Recipient: rfc822; carol@example.net
Action: failed
Status: 5.7.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using bl.test

Final-Recipient: rfc822; dave@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <dave@example.net>: Recipient address rejected: User unknown in virtual mailbox table

--B
Content-Type: text/rfc822-headers

From: Alice <alice@sender.test>
Return-Path: <bounces@sender.test>
DKIM-Signature: v=1; a=rsa-sha256; d=sender.test; s=sel; h=from; bh=x; b=y
Subject: DMARC test: SPF fail, blocked using zen.spamhaus.org
Received-SPF: fail (example.net: domain of sender.test does not designate 203.0.113.9)

--B--
";

#[test]
fn one_diagnosis_per_distinct_reason_and_the_returned_message_is_only_facts() {
    let r = explain(TWO_REASONS, &["--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let e = r.json();
    let d = e["diagnoses"].as_array().unwrap();
    assert_eq!(d.len(), 2, "{e:#}");
    assert_eq!(
        d[0]["recipients"],
        serde_json::json!(["bob@example.net", "carol@example.net"])
    );
    assert_eq!(d[0]["cause"], "blocklist");
    assert_eq!(d[0]["zone"], "bl.test");
    assert_eq!(d[1]["recipients"], serde_json::json!(["dave@example.net"]));
    assert_eq!(d[1]["cause"], "not_policy");
    assert_eq!(d[1]["reason"], "user_unknown");
    // The returned message's Subject and Received-SPF never decide; it
    // gives the original's facts, with its DKIM key checked.
    assert_eq!(e["original"]["from_domain"], "sender.test");
    assert_eq!(e["original"]["return_path_domain"], "sender.test");
    assert_eq!(e["original"]["dkim"][0]["key"], "published");
    // The top-level fields are the first diagnosis'.
    assert_eq!(e["cause"], "blocklist");
    assert_eq!(e["reporting_mta"], "out.example.org");
    // NDJSON: one line per diagnosis.
    let r = explain(TWO_REASONS, &["--format", "ndjson", "--offline"]);
    let lines = crate::common::ndjson(&r.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["cause"], "not_policy");
}

#[test]
fn many_bounces_at_once_end_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("bounces.mbox");
    let mut text = Vec::new();
    for (i, body) in [
        &b"554 5.7.1 Client host [192.0.2.10] blocked using bl.test\n"[..],
        b"550 5.7.23 SPF validation failed: sender.test does not designate 203.0.113.5 as permitted sender\n",
        b"554 5.7.1 Client host [192.0.2.10] blocked using bl.test\n",
    ]
    .iter()
    .enumerate()
    {
        text.extend_from_slice(format!("From MAILER-DAEMON Sat Nov 28 1{i}:00:00 2026\n").as_bytes());
        text.extend_from_slice(b"Subject: bounce\n\n");
        text.extend_from_slice(body);
        text.push(b'\n');
    }
    std::fs::write(&mbox, &text).unwrap();
    let empty = dir.path().join("empty.eml");
    std::fs::write(&empty, "").unwrap();
    let path = mbox.to_str().unwrap();
    let r = explain(b"", &[path, empty.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains(&format!("== {path}#1")), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Summary: 3 diagnoses in 3 bounces (1 unreadable)."),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("causes       2 blocklist, 1 spf"),
        "{}",
        r.stdout
    );
    let r = explain(b"", &[path, "--json"]);
    assert_eq!(r.json().as_array().unwrap().len(), 3);
    // One empty input alone is bad input.
    let r = explain(b"  \n", &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1);
    assert!(r.stderr.contains("empty"), "{}", r.stderr);
}
