//! Property tests for DMARC records (RFC 7489 §6.3): no text panics the
//! parser, a malformed record is `DmarcError::Malformed` with a one-line
//! reason naming the bad tag, and generated records parse back to the
//! policy, pct, alignment and report addresses they were made from.

use super::*;
use proptest::prelude::*;

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::None),
        Just(Policy::Quarantine),
        Just(Policy::Reject)
    ]
}

fn alignment() -> impl Strategy<Value = Alignment> {
    prop_oneof![Just(Alignment::Relaxed), Just(Alignment::Strict)]
}

/// A word in random case (tag names and policy words are case-insensitive).
fn any_case(word: &str, mask: u64) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn uris() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("mailto:[a-z0-9.]{1,10}@[a-z]{1,8}\\.example(!10m)?", 1..4)
}

/// The tags of a record, as generated.
#[derive(Clone, Debug)]
struct Tags {
    p: Option<Policy>,
    sp: Option<Policy>,
    pct: Option<u8>,
    adkim: Option<Alignment>,
    aspf: Option<Alignment>,
    rua: Option<Vec<String>>,
    ruf: Option<Vec<String>>,
}

fn tags() -> impl Strategy<Value = Tags> {
    (
        proptest::option::of(policy()),
        proptest::option::of(policy()),
        proptest::option::of(0u8..=100),
        proptest::option::of(alignment()),
        proptest::option::of(alignment()),
        proptest::option::of(uris()),
        proptest::option::of(uris()),
    )
        .prop_map(|(p, sp, pct, adkim, aspf, rua, ruf)| Tags {
            p,
            sp,
            pct,
            adkim,
            aspf,
            rua,
            ruf,
        })
        // A record needs p=, or a rua= to stand in for it (§6.6.3).
        .prop_filter("p or rua", |t| t.p.is_some() || t.rua.is_some())
}

/// Renders tags as a record: `v=DMARC1` first, the rest shuffled, names and
/// words in random case, blanks around `;` and `=`, maybe a trailing `;`.
fn render(t: &Tags, order: &[usize], mask: u64, blank: &str, trailing: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |name: &str, value: String| {
        parts.push(format!("{}{blank}={blank}{value}", any_case(name, mask)));
    };
    if let Some(p) = t.p {
        add("p", any_case(p.as_str(), mask.rotate_left(7)));
    }
    if let Some(sp) = t.sp {
        add("sp", any_case(sp.as_str(), mask.rotate_left(13)));
    }
    if let Some(pct) = t.pct {
        add("pct", pct.to_string());
    }
    if let Some(a) = t.adkim {
        add("adkim", any_case(a.as_str(), mask.rotate_left(17)));
    }
    if let Some(a) = t.aspf {
        add("aspf", any_case(a.as_str(), mask.rotate_left(19)));
    }
    if let Some(r) = &t.rua {
        add("rua", r.join(&format!(",{blank}")));
    }
    if let Some(r) = &t.ruf {
        add("ruf", r.join(","));
    }
    let mut shuffled: Vec<String> = Vec::new();
    for &i in order {
        if i < parts.len() && !shuffled.contains(&parts[i]) {
            shuffled.push(parts[i].clone());
        }
    }
    for p in parts {
        if !shuffled.contains(&p) {
            shuffled.push(p);
        }
    }
    let mut out = format!("v{blank}={blank}DMARC1");
    for p in shuffled {
        out.push_str(&format!("{blank};{blank}{p}"));
    }
    if trailing {
        out.push(';');
    }
    out
}

/// Strings made of the pieces DMARC records are made of.
fn record_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("v=DMARC1"),
            Just(";"),
            Just("="),
            Just(" "),
            Just("p"),
            Just("sp"),
            Just("pct"),
            Just("adkim"),
            Just("aspf"),
            Just("rua"),
            Just("ruf"),
            Just("reject"),
            Just("none"),
            Just("quarantine"),
            Just("r"),
            Just("s"),
            Just("101"),
            Just("50"),
            Just("-1"),
            Just("mailto:a@b"),
            Just(","),
            Just("é"),
        ],
        0..20,
    )
    .prop_map(|parts| parts.concat())
}

/// The reasons `parse` gives, as documented by its messages.
fn check_error(text: &str, e: &DmarcError) -> Result<(), TestCaseError> {
    let DmarcError::Malformed(reason) = e else {
        return Err(TestCaseError::fail(format!("not Malformed: {e:?}")));
    };
    prop_assert_eq!(&e.to_string(), reason);
    if !text.contains(['\n', '\r']) {
        prop_assert!(!reason.contains(['\n', '\r']), "{:?}", reason);
    }
    let known = reason == "the record must start with v=DMARC1"
        || reason == "the required p= tag is missing"
        || reason.ends_with("is not a tag=value pair")
        || (reason.starts_with("p=") || reason.starts_with("sp="))
            && reason.ends_with("is not none, quarantine or reject")
        || reason.starts_with("pct=") && reason.ends_with("is not a number from 0 to 100")
        || (reason.starts_with("adkim=") || reason.starts_with("aspf="))
            && reason.ends_with("is not r or s");
    prop_assert!(known, "undocumented reason {:?} for {:?}", reason, text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_parses_or_says_why(text in prop_oneof![any::<String>(), record_like()]) {
        match parse(&text) {
            Ok(r) => {
                prop_assert!(r.pct <= 100);
                let first = text.split(';').map(str::trim).find(|p| !p.is_empty());
                let key = first.and_then(|p| p.split_once('=')).map(|(k, _)| k.trim().to_ascii_lowercase());
                prop_assert_eq!(key.as_deref(), Some("v"), "{:?}", text);
                prop_assert!(r.rua.iter().chain(&r.ruf).all(|u| !u.is_empty() && u.trim() == u));
            }
            Err(e) => check_error(&text, &e)?,
        }
    }

    #[test]
    fn generated_records_parse_to_their_tags(
        t in tags(),
        order in proptest::collection::vec(0usize..7, 0..7),
        mask in any::<u64>(),
        blank in "[ \t]{0,2}",
        trailing in any::<bool>(),
    ) {
        let text = render(&t, &order, mask, &blank, trailing);
        let r = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        let p = t.p.unwrap_or(Policy::None);
        prop_assert_eq!(r.policy, p, "{}", text);
        prop_assert_eq!(r.subdomain_policy, t.sp.unwrap_or(p), "{}", text);
        prop_assert_eq!(r.pct, t.pct.unwrap_or(100), "{}", text);
        prop_assert_eq!(r.adkim, t.adkim.unwrap_or(Alignment::Relaxed), "{}", text);
        prop_assert_eq!(r.aspf, t.aspf.unwrap_or(Alignment::Relaxed), "{}", text);
        prop_assert_eq!(r.rua, t.rua.unwrap_or_default(), "{}", text);
        prop_assert_eq!(r.ruf, t.ruf.unwrap_or_default(), "{}", text);
    }

    #[test]
    fn a_bad_value_is_named(
        t in tags(),
        which in 0usize..5,
        bad in "[a-z0-9]{1,8}",
    ) {
        let (name, valid): (&str, &[&str]) = match which {
            0 => ("p", &["none", "quarantine", "reject"]),
            1 => ("sp", &["none", "quarantine", "reject"]),
            2 => ("pct", &[]),
            3 => ("adkim", &["r", "s"]),
            _ => ("aspf", &["r", "s"]),
        };
        prop_assume!(!valid.contains(&bad.as_str()));
        prop_assume!(name != "pct" || bad.parse::<u8>().map_or(true, |n| n > 100));
        // An invalid p with a rua is p=none (§6.6.3), not an error.
        let t = Tags { rua: if name == "p" { None } else { t.rua }, p: t.p.or(Some(Policy::Reject)), ..t };
        let good = render(&t, &[], 0, "", false);
        let text = format!("{good}; {name}={bad}");
        // The first occurrence of a tag counts: drop the generated one.
        let text: String = text
            .split(';')
            .filter(|part| {
                let k = part.split('=').next().unwrap_or("").trim();
                k != name || part.trim() == format!("{name}={bad}")
            })
            .collect::<Vec<_>>()
            .join(";");
        let e = parse(&text).unwrap_err();
        check_error(&text, &e)?;
        let want = format!("{name}={bad} is not");
        prop_assert!(e.to_string().starts_with(&want), "{}: {}", text, e);
    }

    #[test]
    fn an_invalid_p_with_a_rua_is_p_none(bad in "[a-z]{1,8}", rua in uris()) {
        prop_assume!(Policy::from_word(&bad).is_none());
        let text = format!("v=DMARC1; p={bad}; rua={}", rua.join(","));
        let r = parse(&text).unwrap();
        prop_assert_eq!(r.policy, Policy::None);
        prop_assert_eq!(r.rua, rua);
    }

    #[test]
    fn a_record_must_start_with_v_dmarc1(t in tags(), first in "[a-uw-z]{1,5}=[A-Z0-9]{1,6}") {
        let good = render(&t, &[], 0, " ", false);
        for text in [format!("{first}; {good}"), good.replacen("DMARC1", "DMARC2", 1), good.replacen("DMARC1", "dmarc1", 1)] {
            let e = parse(&text).unwrap_err();
            prop_assert_eq!(e, DmarcError::Malformed("the record must start with v=DMARC1".into()));
        }
    }

    #[test]
    fn alignment_never_panics_and_strict_implies_relaxed(a in "[a-zA-Z0-9.\\-]{0,30}", b in "[a-zA-Z0-9.\\-]{0,30}") {
        prop_assert!(aligned(&a, &a, true));
        prop_assert!(aligned(&a, &a.to_ascii_uppercase(), false));
        if aligned(&a, &b, true) {
            prop_assert!(aligned(&a, &b, false));
        }
        prop_assert_eq!(aligned(&a, &b, false), aligned(&b, &a, false));
        let org = org_domain(&a);
        prop_assert_eq!(org_domain(&org), org.clone());
    }
}
