//! Property tests: no input makes the bounce reader panic, whether arbitrary
//! bytes, MIME-shaped text assembled from bounce fragments, deep nesting or
//! very long lines. (Time against input size is measured by bench/bounce.sh,
//! not asserted here.)

use blocklens::bounce::{self, Reader};
use blocklens::catalog::Catalog;
use proptest::prelude::*;

fn read_all(bytes: &[u8]) {
    static CATALOG: std::sync::LazyLock<Catalog> = std::sync::LazyLock::new(Catalog::builtin);
    let reader = Reader::new(&CATALOG);
    match bounce::parse(bytes) {
        Ok(b) => {
            let r = reader.diagnose(&b);
            // Every diagnosis is serialisable and never shows a DQS key.
            let json = serde_json::to_string(&r).unwrap();
            assert!(!json.contains("abcdefghijklmnopqrstuvwxyz"), "{json}");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let _ = bounce::read(&String::from_utf8_lossy(bytes));
}

/// Lines bounces are made of, to shuffle into MIME-shaped text.
const FRAGMENTS: &[&str] = &[
    "From: MAILER-DAEMON@mx.example.org",
    "Subject: Undelivered Mail Returned to Sender",
    "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"",
    "Content-Type: multipart/mixed; boundary=\"C\"",
    "Content-Type: message/delivery-status",
    "Content-Type: message/rfc822",
    "Content-Type: text/rfc822-headers",
    "Content-Type: text/plain; charset=iso-2022-jp",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "Content-Transfer-Encoding: quoted-printable",
    "--B",
    "--B--",
    "--C",
    "--C--",
    "",
    "",
    "Reporting-MTA: dns; mx.example.org",
    "Final-Recipient: rfc822; b@example.net",
    "Action: failed",
    "Status: 5.7.1",
    "Remote-MTA: dns; mx.example.net [203.0.113.5]",
    "Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host",
    "    [192.0.2.10] blocked using zen.spamhaus.org",
    "<b@example.net>: host mx.example.net[203.0.113.5] said: 550-5.7.26 Unauthenticated",
    "    550-5.7.26 email from example.org (in reply to RCPT TO command)",
    "  b@example.net",
    "    SMTP error from remote mail server after RCPT TO:<b@example.net>:",
    ">>> RCPT To:<b@example.net>",
    "<<< 550 5.1.1 user unknown",
    "Remote host said: 550 5.7.606 Access denied, banned sending IP [192.0.2.225]",
    "Remote Server returned '550 5.7.1 RESOLVER.RST.AuthRequired'",
    "------ This is a copy of the message, including all the headers. ------",
    "--- Below this line is a copy of the message.",
    "The response was:",
    "=E3=81=82=\r",
    "SGVsbG8gd29ybGQ=",
    "\u{fffd}\u{0}\u{7}\u{1b}[2J",
    "x@y@z <<<>>> [[[ ]]] ((( )))",
    "550-",
    "550 5.7.",
    "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        read_all(&bytes);
    }

    #[test]
    fn mime_shaped_text_never_panics(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..120),
        crlf in any::<bool>(),
        junk in "[ -~\t]{0,40}",
    ) {
        let sep = if crlf { "\r\n" } else { "\n" };
        let mut text: String = picks.iter().map(|i| FRAGMENTS[*i]).collect::<Vec<_>>().join(sep);
        text.push_str(&junk);
        read_all(text.as_bytes());
    }
}

#[test]
fn deep_nesting_long_lines_and_big_inputs_do_not_panic() {
    // 5,000 nested multiparts.
    let mut m =
        String::from("From: a@example.org\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n");
    for i in 0..5000 {
        m.push_str(&format!(
            "--b{i}\nContent-Type: multipart/mixed; boundary=\"b{}\"\n\n",
            i + 1
        ));
    }
    m.push_str("--b5000\nContent-Type: text/plain\n\n550 5.7.1 Relay access denied\n");
    read_all(m.as_bytes());
    // Nested message/rfc822 parts.
    let mut m = String::new();
    for _ in 0..200 {
        m.push_str("From: a@example.org\nContent-Type: message/rfc822\n\n");
    }
    read_all(m.as_bytes());
    // A 1 MiB line, and the largest accepted input.
    let line = "550 5.7.1 ".to_string() + &"a".repeat(1024 * 1024);
    read_all(line.as_bytes());
    let mut big = Vec::with_capacity(bounce::MAX_INPUT);
    while big.len() + 80 < bounce::MAX_INPUT {
        big.extend_from_slice(
            b"<b@example.net>: host mx.example.net[203.0.113.5] said: 550 5.1.1 x\n",
        );
    }
    read_all(&big);
    let dots = "a.".repeat(bounce::MAX_INPUT / 2 - 8);
    read_all(dots.as_bytes());
}
