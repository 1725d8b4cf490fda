//! The labelled corpus of rejection texts (tests/bounces/corpus.toml): every
//! case's cause, client IP, zone, sender domain and status code must match.

use crate::common::tests_dir;

#[derive(serde::Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    id: String,
    text: String,
    cause: String,
    ip: String,
    zone: String,
    sender_domain: String,
    status: String,
}

#[test]
fn every_corpus_case_is_read_correctly() {
    let text = std::fs::read_to_string(tests_dir().join("bounces/corpus.toml")).unwrap();
    let corpus: Corpus = toml::from_str(&text).unwrap();
    assert!(corpus.case.len() >= 80, "{} cases", corpus.case.len());
    let mut wrong = Vec::new();
    for c in &corpus.case {
        let f = blocklens::bounce::read(&c.text);
        let got = [
            ("cause", f.cause.as_str().to_string(), c.cause.clone()),
            (
                "ip",
                f.ip.map(|i| i.to_string()).unwrap_or_default(),
                c.ip.clone(),
            ),
            ("zone", f.zone.clone().unwrap_or_default(), c.zone.clone()),
            (
                "sender_domain",
                f.sender_domain.clone().unwrap_or_default(),
                c.sender_domain.clone(),
            ),
            (
                "status",
                f.status.clone().unwrap_or_default(),
                c.status.clone(),
            ),
        ];
        for (field, got, want) in got {
            if got != want {
                wrong.push(format!(
                    "{}: {field} = {got:?}, expected {want:?} (matched {:?})",
                    c.id, f.matched
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches in {} cases:\n{}",
        wrong.len(),
        corpus.case.len(),
        wrong.join("\n")
    );
}
