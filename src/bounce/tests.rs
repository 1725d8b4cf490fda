//! Tests of reading whole bounces: structure, one diagnosis per recipient,
//! the returned message as facts only, and the edges of the issue.

use super::*;
use crate::catalog::Catalog;

fn report(text: &str) -> Report {
    let catalog = Catalog::builtin();
    diagnose(&parse(text.as_bytes()).unwrap(), &catalog)
}

const THREE_RECIPIENTS: &str = "From: MAILER-DAEMON@mx.example.org
To: alice@example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"

--B
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Sender: rfc822; bounces@mail.example.org
Arrival-Date: Fri, 27 Nov 2026 10:00:00 +0000

Final-Recipient: rfc822; a@one.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.one.example
Diagnostic-Code: smtp; 550 5.1.1 <a@one.example>: Recipient address rejected: User unknown

Final-Recipient: rfc822; b@two.example
Action: failed
Status: 5.7.1
Remote-MTA: dns; mx.two.example
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked
    using zen.spamhaus.org

Final-Recipient: rfc822; c@three.example
Action: failed
Status: 5.2.2
Remote-MTA: dns; mx.three.example
Diagnostic-Code: smtp; 552 5.2.2 <c@three.example>: Recipient address rejected: Mailbox full

Final-Recipient: rfc822; d@two.example
Action: failed
Status: 5.7.1
Remote-MTA: dns; mx.two.example
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked
    using zen.spamhaus.org

Final-Recipient: rfc822; e@four.example
Action: delivered
Status: 2.0.0

--B
Content-Type: message/rfc822

Return-Path: <bounces@mail.example.org>
Received-SPF: fail (example.org: 192.0.2.10 is not permitted)
Authentication-Results: mx.example.org; spf=fail; dkim=fail; dmarc=fail header.from=example.org
X-Virus-Scanned: infected
DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel2026; h=from; bh=x; b=y
From: Alice <alice@example.org>
Message-ID: <m1@example.org>
Subject: DMARC test, SPF fail, virus, relay access denied

body
--B--
";

#[test]
fn one_diagnosis_per_distinct_reason_with_recipients_grouped() {
    let r = report(THREE_RECIPIENTS);
    assert_eq!(r.form, Form::Dsn);
    assert_eq!(r.diagnoses.len(), 3, "{:#?}", r.diagnoses);
    let by_cause: Vec<(Cause, Option<&str>, Vec<&str>)> = r
        .diagnoses
        .iter()
        .map(|d| {
            (
                d.cause,
                d.reason.as_deref(),
                d.recipients.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        by_cause,
        vec![
            (
                Cause::NotPolicy,
                Some("user_unknown"),
                vec!["a@one.example"]
            ),
            (
                Cause::Blocklist,
                Some("dnsbl_listed"),
                vec!["b@two.example", "d@two.example"]
            ),
            (
                Cause::NotPolicy,
                Some("mailbox_full"),
                vec!["c@three.example"]
            ),
        ]
    );
    let bl = &r.diagnoses[1];
    assert_eq!(bl.ip, Some("192.0.2.10".parse().unwrap()));
    assert_eq!(
        bl.list.as_ref().unwrap().zone.as_deref(),
        Some("zen.spamhaus.org")
    );
    assert_eq!(bl.remote_mta.as_deref(), Some("mx.two.example"));
    // Message-level facts sit once.
    assert_eq!(r.reporting_mta.as_deref(), Some("mx.example.org"));
    assert_eq!(
        r.envelope_sender_domain.as_deref(),
        Some("mail.example.org")
    );
    assert_eq!(r.original.from_domain.as_deref(), Some("example.org"));
    assert_eq!(
        r.original.return_path_domain.as_deref(),
        Some("mail.example.org")
    );
    assert_eq!(
        r.original.dkim,
        vec![DkimSignature {
            domain: "example.org".into(),
            selector: "sel2026".into()
        }]
    );
    assert_eq!(r.original.message_id.as_deref(), Some("m1@example.org"));
}

#[test]
fn the_returned_message_is_never_evidence() {
    // Nothing but the returned message mentions DMARC, SPF, viruses or relaying.
    let r = report(THREE_RECIPIENTS);
    for d in &r.diagnoses {
        assert!(
            !matches!(d.cause, Cause::Dmarc | Cause::Spf | Cause::Relay),
            "{d:#?}"
        );
    }
    // An inline copy after a marker is cut off too.
    let text = "Hi. This is the qmail-send program at mx.example.org.\n\n<b@example.net>:\n192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 <b@example.net>: No such user\nGiving up on 192.0.2.1.\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <a@example.org>\nAuthentication-Results: x; dmarc=fail\nFrom: a@example.org\nSubject: DMARC test\n\nrelay access denied\n";
    let r = report(text);
    assert_eq!(r.diagnoses.len(), 1);
    assert_eq!(r.diagnoses[0].cause, Cause::NotPolicy);
    assert_eq!(r.original.from_domain.as_deref(), Some("example.org"));
}

#[test]
fn edges_of_the_issue() {
    // Gmail's `[IP      NN]` client format.
    let r = report(
        "550-5.7.1 [192.0.2.22      18] Our system has detected that this message is\n550 5.7.1 likely suspicious due to the very low reputation of the sending IP address. - gsmtp",
    );
    assert_eq!(r.diagnoses[0].ip, Some("192.0.2.22".parse().unwrap()));
    assert_eq!(r.diagnoses[0].cause, Cause::ReputationOther);
    // Exchange's `Remote Server returned '...'` gives its reply code.
    let r = report(
        "Delivery has failed to these recipients or groups:\n\nb@example.net\n\nDiagnostic information for administrators:\n\nb@example.net\nmx.example.net\nRemote Server returned '550 5.7.1 Unfortunately, messages from [198.51.100.22] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).'\n",
    );
    let d = &r.diagnoses[0];
    assert_eq!(d.reply_code, Some(550));
    assert_eq!(d.status.as_deref(), Some("5.7.1"));
    assert_eq!(d.recipients, ["b@example.net"]);
    assert_eq!(d.cause, Cause::ReputationOther);
    // 5.7.27 is a null MX (RFC 7505), not SPF.
    let r = report("550 5.7.27 Sender address has null MX");
    assert_eq!(r.diagnoses[0].cause, Cause::NotPolicy);
    assert_eq!(r.diagnoses[0].reason.as_deref(), Some("null_mx"));
    // Plain wordings the issue lists.
    for (text, cause) in [
        (
            "550 Unauthenticated senders not allowed",
            Cause::AuthRequired,
        ),
        (
            "554 5.7.1 This system is not configured to relay mail",
            Cause::Relay,
        ),
        (
            "421 4.7.0 rate limited due to IP reputation",
            Cause::ReputationOther,
        ),
        ("550 5.7.1 Message scored as spam", Cause::PolicyOther),
        ("550 Denied by policy", Cause::PolicyOther),
        (
            "550 5.7.1 Recipient address rejected: Mailbox full",
            Cause::NotPolicy,
        ),
    ] {
        assert_eq!(report(text).diagnoses[0].cause, cause, "{text}");
    }
}

#[test]
fn empty_and_oversized_input_are_errors() {
    assert_eq!(parse(b"").unwrap_err(), BounceError::Empty);
    assert_eq!(parse(b" \r\n\t ").unwrap_err(), BounceError::Empty);
    let big = vec![b'a'; MAX_INPUT + 1];
    assert_eq!(parse(&big).unwrap_err(), BounceError::TooLarge);
    assert!(BounceError::Empty.to_string().contains("empty"));
}

#[test]
fn pasted_lines_keep_working() {
    let b = parse(b"NOQUEUE: reject: RCPT from mail.example.org[192.0.2.10]: 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; from=<alice@example.org> to=<bob@example.net>").unwrap();
    assert_eq!(b.form, Form::Text);
    let f = &b.failures[0];
    assert_eq!(f.reply_code, Some(554));
    assert_eq!(f.status.as_deref(), Some("5.7.1"));
    assert_eq!(f.zone.as_deref(), Some("zen.spamhaus.org"));
    assert_eq!(f.sender_domain.as_deref(), Some("example.org"));
    let facts = read("250 ok");
    assert_eq!(facts.cause, Cause::Unknown);
}

#[test]
fn dqs_keys_are_masked_in_diagnoses() {
    let r = report(
        "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net",
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("abcdefghijklmnopqrstuvwxyz"), "{json}");
    assert!(json.contains("<key>.zen.dq.spamhaus.net"), "{json}");
    let l = r.diagnoses[0].list.as_ref().unwrap();
    assert_eq!(l.query.as_deref(), Some("zen.spamhaus.org"));
}

#[test]
fn a_bounce_with_a_broken_boundary_is_read_as_text() {
    let m = "From: MAILER-DAEMON@mx.example.org\nContent-Type: multipart/report; boundary=\"declared\"\n\n--actual\nContent-Type: text/plain\n\n<b@example.net>: host mx.example.net[203.0.113.5] refused to talk to me: 554 5.7.1 Client host blocked using bl.spamcop.net\n\n--actual\nContent-Type: message/rfc822\n\nFrom: a@example.org\nSubject: relay access denied\n\n--actual--\n";
    let r = report(m);
    assert_eq!(r.diagnoses[0].cause, Cause::Blocklist);
    assert_eq!(r.diagnoses[0].stage, Some(Stage::Connect));
}

#[test]
fn a_truncated_diagnostic_code_is_completed_from_the_transcript() {
    let m = "From: MAILER-DAEMON@mx.example.jp\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\n\n   ----- The following addresses had permanent fatal errors -----\n<b@example.net>\n    (reason: 550-5.7.1 Unauthenticated email from example.org is not accepted due to domain's)\n\n   ----- Transcript of session follows -----\n... while talking to mx.example.net.:\n>>> DATA\n<<< 550-5.7.1 Unauthenticated email from example.org is not accepted due to domain's\n<<< 550 5.7.1 DMARC policy. - gsmtp\n554 5.0.0 Service unavailable\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.jp\n\nFinal-Recipient: RFC822; b@example.net\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: SMTP; 550-5.7.1 Unauthenticated email from example.org is not accepted due to domain's\n\n--B--\n";
    let r = report(m);
    let d = &r.diagnoses[0];
    assert_eq!(
        d.diagnostic,
        "550 5.7.1 Unauthenticated email from example.org is not accepted due to domain's DMARC policy. - gsmtp"
    );
    assert_eq!(d.cause, Cause::Dmarc);
    assert_eq!(d.stage, Some(Stage::Data));
    // Postfix's own words before the reply are not the diagnostic.
    let m = "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Postfix; host mx.example.net[192.0.2.24] said: 550\n    Protocol violation (in reply to DATA command)\n";
    let r = report(m);
    assert_eq!(r.diagnoses[0].diagnostic, "550 Protocol violation");
    assert_eq!(r.diagnoses[0].stage, Some(Stage::Data));
    assert_eq!(r.diagnoses[0].remote_mta.as_deref(), Some("mx.example.net"));
}

/// The rule families of generic.toml read the usual wordings of each, and
/// the non-policy wordings near them stay non-policy.
#[test]
fn generic_rule_families() {
    let cases: &[(&str, Cause)] = &[
        // Vague refusal at the greeting: the client's IP was judged.
        (
            "SMTP error from remote mail server after initial connection: 554 Access denied",
            Cause::ReputationOther,
        ),
        (
            "host mx.example.org[192.0.2.1] refused to talk to me: 220-mx.example.org 421 4.2.1 Service refused, please try later",
            Cause::ReputationOther,
        ),
        // A system status at the greeting is the receiver's own trouble.
        (
            "SMTP error from remote mail server after initial connection: 421 4.3.2 System shutting down",
            Cause::NotPolicy,
        ),
        (
            "550 5.7.1 <c.example[198.51.100.2]>: Client host rejected: Access denied",
            Cause::ReputationOther,
        ),
        (
            "450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.2]",
            Cause::PolicyOther,
        ),
        (
            "550 5.7.1 Your IP 198.51.100.2 is a dynamic address, use the SMTP server of your ISP",
            Cause::ReputationOther,
        ),
        (
            "550 5.7.1 Mail from 198.51.100.2 refused: hostname mail.c.example does not resolve to 198.51.100.2",
            Cause::PolicyOther,
        ),
        ("550 Unroutable sender address", Cause::PolicyOther),
        (
            "550-Verification failed for <s@c.example> 550-Unrouteable address 550 Sender verify failed",
            Cause::PolicyOther,
        ),
        ("550 Protocol violation", Cause::PolicyOther),
        (
            "503 5.5.0 Improper use of SMTP command pipelining",
            Cause::PolicyOther,
        ),
        (
            "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: s@c.example",
            Cause::Relay,
        ),
        (
            "550 message sending for this account is disabled",
            Cause::ReputationOther,
        ),
        (
            "550 5.7.1 Sorry, your remotehost looks suspiciously like spammer",
            Cause::ReputationOther,
        ),
        // Not policy: the recipient, its mailbox, its own filter, a loop.
        (
            "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in local recipient table",
            Cause::NotPolicy,
        ),
        ("550 Unrouteable address", Cause::NotPolicy),
        (
            "554 5.7.1 <a@b.example>: Recipient address rejected: This mailbox is not accepting any mail",
            Cause::NotPolicy,
        ),
        (
            "554 5.7.1 Recipient address rejected: the recipient's inbox is full",
            Cause::NotPolicy,
        ),
        (
            "554 5.7.1 Message rejected: Mail-loop detected",
            Cause::NotPolicy,
        ),
        (
            "connect to mx.b.example[192.0.2.1]:25: Connection refused",
            Cause::NotPolicy,
        ),
        (
            "MX host mx.b.example does not resolve to an IP address",
            Cause::Unknown,
        ),
    ];
    for (text, want) in cases {
        let r = report(text);
        let d = &r.diagnoses[0];
        assert_eq!(d.cause, *want, "{text}: rule {:?}", d.rule);
    }
}
