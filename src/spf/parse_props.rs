//! Property tests for the SPF record parser (RFC 7208 §4.6, §5, §6): no
//! text panics it, a syntax error is one line giving the byte position of
//! the offending term (which is really there), and records generated from
//! mechanism and modifier strategies parse back to the terms they were
//! made from.

use super::*;
use proptest::prelude::*;

/// A fully qualified domain, or one ending in a macro.
fn domain_spec() -> impl Strategy<Value = String> {
    let plain = "[a-z0-9_]{1,10}(\\.[a-z0-9-]{1,10}){0,3}\\.[a-z]{2,6}\\.?";
    prop_oneof![
        4 => proptest::string::string_regex(plain).unwrap(),
        1 => prop_oneof![
            Just("%{d}".to_string()),
            Just("%{ir}.%{v}._spf.%{d2}".to_string()),
            Just("%{l1r-}.lp._spf.%{d2}".to_string()),
            Just("%{i}.x.example.org".to_string()),
            Just("%{h}.%{o}".to_string()),
        ],
    ]
}

fn qualifier() -> impl Strategy<Value = (Option<char>, Qualifier)> {
    prop_oneof![
        Just((None, Qualifier::Pass)),
        Just((Some('+'), Qualifier::Pass)),
        Just((Some('-'), Qualifier::Fail)),
        Just((Some('~'), Qualifier::SoftFail)),
        Just((Some('?'), Qualifier::Neutral)),
    ]
}

/// A mechanism and its text (name in random case).
fn mechanism() -> impl Strategy<Value = (String, Mechanism)> {
    let cidrs = (
        proptest::option::of(0u8..=32),
        proptest::option::of(0u8..=128),
    );
    let dual = |(c4, c6): (Option<u8>, Option<u8>)| {
        let mut s = String::new();
        if let Some(c) = c4 {
            s.push_str(&format!("/{c}"));
        }
        if let Some(c) = c6 {
            s.push_str(&format!("//{c}"));
        }
        (s, c4.unwrap_or(32), c6.unwrap_or(128))
    };
    prop_oneof![
        Just(("all".to_string(), Mechanism::All)),
        domain_spec().prop_map(|d| (format!("include:{d}"), Mechanism::Include(d))),
        domain_spec().prop_map(|d| (format!("exists:{d}"), Mechanism::Exists(d))),
        (proptest::option::of(domain_spec()), cidrs.clone()).prop_map(move |(d, c)| {
            let (tail, c4, c6) = dual(c);
            let spec = d.as_ref().map(|d| format!(":{d}")).unwrap_or_default();
            (format!("a{spec}{tail}"), Mechanism::A(d, c4, c6))
        }),
        (proptest::option::of(domain_spec()), cidrs).prop_map(move |(d, c)| {
            let (tail, c4, c6) = dual(c);
            let spec = d.as_ref().map(|d| format!(":{d}")).unwrap_or_default();
            (format!("mx{spec}{tail}"), Mechanism::Mx(d, c4, c6))
        }),
        proptest::option::of(domain_spec()).prop_map(|d| match &d {
            Some(s) => (format!("ptr:{s}"), Mechanism::Ptr(d.clone())),
            None => ("ptr".to_string(), Mechanism::Ptr(None)),
        }),
        (any::<Ipv4Addr>(), proptest::option::of(0u8..=32)).prop_map(|(a, c)| match c {
            Some(c) => (format!("ip4:{a}/{c}"), Mechanism::Ip4(a, c)),
            None => (format!("ip4:{a}"), Mechanism::Ip4(a, 32)),
        }),
        (any::<Ipv6Addr>(), proptest::option::of(0u8..=128)).prop_map(|(a, c)| match c {
            Some(c) => (format!("ip6:{a}/{c}"), Mechanism::Ip6(a, c)),
            None => (format!("ip6:{a}"), Mechanism::Ip6(a, 128)),
        }),
    ]
}

/// Upper-cases the mechanism name (before the first ':' or '/') when `upper`.
fn name_case(text: &str, upper: bool) -> String {
    if !upper {
        return text.to_string();
    }
    let end = text.find([':', '/']).unwrap_or(text.len());
    format!("{}{}", text[..end].to_ascii_uppercase(), &text[end..])
}

fn directive() -> impl Strategy<Value = (String, Qualifier, Mechanism)> {
    (qualifier(), mechanism(), any::<bool>()).prop_map(|((q, qual), (text, m), upper)| {
        let text = name_case(&text, upper);
        let text = match q {
            Some(c) => format!("{c}{text}"),
            None => text,
        };
        (text, qual, m)
    })
}

/// Strings made of the pieces records are made of.
fn record_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("v=spf1"),
            Just(" "),
            Just("-all"),
            Just("a"),
            Just("mx"),
            Just(":"),
            Just("/"),
            Just("//"),
            Just("33"),
            Just("ip4:"),
            Just("ip6:"),
            Just("1.2.3.4"),
            Just("::1"),
            Just("include:"),
            Just("exists:"),
            Just("redirect="),
            Just("exp="),
            Just("%{"),
            Just("}"),
            Just("%"),
            Just("ir"),
            Just("example.org"),
            Just("."),
            Just("é"),
            Just("\t"),
        ],
        0..20,
    )
    .prop_map(|parts| parts.concat())
}

/// The documented shape of a syntax error in `txt`.
fn check_error(txt: &str, e: &ParseError) -> Result<(), TestCaseError> {
    prop_assert!(e.position <= txt.len(), "{:?}", e);
    prop_assert!(
        txt.get(e.position..)
            .is_some_and(|rest| rest.starts_with(&e.term)),
        "term {:?} is not at {} in {:?}",
        e.term,
        e.position,
        txt
    );
    prop_assert!(!e.reason.is_empty());
    let msg = e.to_string();
    prop_assert!(!msg.contains(['\n', '\r']), "{:?}", msg);
    let head = format!("syntax error at position {} in term '", e.position + 1);
    prop_assert!(msg.starts_with(&head), "{}", msg);
    if e.position == 0 {
        prop_assert!(!is_spf_record(txt));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_parses_or_gives_a_positioned_error(
        txt in prop_oneof![any::<String>(), record_like(), record_like().prop_map(|s| format!("v=spf1 {s}"))],
    ) {
        match parse_record(&txt) {
            Ok(r) => {
                prop_assert!(is_spf_record(&txt));
                // Every directive is a term of the record, in order.
                let terms: Vec<&str> = txt[6..].split(' ').filter(|t| !t.is_empty()).collect();
                let mut at = 0;
                for d in &r.directives {
                    let found = terms[at..].iter().position(|t| *t == d.text);
                    prop_assert!(found.is_some(), "{:?} not in {:?}", d.text, txt);
                    at += found.unwrap() + 1;
                }
            }
            Err(e) => check_error(&txt, &e)?,
        }
    }

    #[test]
    fn generated_records_parse_to_their_terms(
        directives in proptest::collection::vec(directive(), 0..12),
        redirect in proptest::option::of(domain_spec()),
        exp in proptest::option::of(domain_spec()),
        unknown in proptest::collection::vec(("[a-z][a-z0-9_.-]{0,8}", "[a-z0-9.]{0,10}(%\\{d\\})?"), 0..3),
        version in prop_oneof![Just("v=spf1"), Just("V=SPF1"), Just("v=Spf1")],
        gaps in proptest::collection::vec(1usize..3, 20),
    ) {
        prop_assume!(unknown.iter().all(|(n, _)| n != "redirect" && n != "exp"));
        let mut terms: Vec<String> = directives.iter().map(|(t, _, _)| t.clone()).collect();
        if let Some(r) = &redirect {
            terms.push(format!("redirect={r}"));
        }
        if let Some(e) = &exp {
            terms.insert(terms.len() / 2, format!("exp={e}"));
        }
        for (n, v) in &unknown {
            terms.push(format!("{n}={v}"));
        }
        let mut txt = version.to_string();
        for (i, t) in terms.iter().enumerate() {
            txt.push_str(&" ".repeat(gaps[i % gaps.len()]));
            txt.push_str(t);
        }
        let r = parse_record(&txt).map_err(|e| TestCaseError::fail(format!("{txt:?}: {e}")))?;
        prop_assert_eq!(r.directives.len(), directives.len(), "{}", txt);
        for (got, (text, q, m)) in r.directives.iter().zip(&directives) {
            prop_assert_eq!(&got.text, text);
            prop_assert_eq!(got.qualifier, *q, "{}", text);
            prop_assert_eq!(&got.mechanism, m, "{}", text);
        }
        prop_assert_eq!(r.redirect, redirect);
        prop_assert_eq!(r.exp, exp);
        prop_assert_eq!(r.unknown, unknown);
    }

    #[test]
    fn a_bad_term_is_reported_at_its_position(
        before in proptest::collection::vec(directive(), 0..6),
        after in proptest::collection::vec(directive(), 0..6),
        bad in prop_oneof![
            Just("foo"),
            Just("-"),
            Just("all:x"),
            Just("include"),
            Just("include:"),
            Just("a:foo"),
            Just("a:foo.1"),
            Just("a/33"),
            Just("mx//129"),
            Just("a/024"),
            Just("ip4:192.0.2.256"),
            Just("ip4:192.0.2.01"),
            Just("ip4:192.0.2.0/"),
            Just("ip6:2001:db8::/129"),
            Just("ip6:192.0.2.1"),
            Just("exists:%{x}.example.com"),
            Just("exists:%{i"),
            Just("exists:100%.example.com"),
            Just("ptr:%{d0}"),
            Just("x=%"),
        ],
    ) {
        let mut txt = "v=spf1".to_string();
        for (t, _, _) in &before {
            txt.push(' ');
            txt.push_str(t);
        }
        txt.push(' ');
        let position = txt.len();
        txt.push_str(bad);
        for (t, _, _) in &after {
            txt.push(' ');
            txt.push_str(t);
        }
        let e = parse_record(&txt).unwrap_err();
        check_error(&txt, &e)?;
        prop_assert_eq!(e.position, position, "{}: {}", txt, e);
        prop_assert_eq!(e.term.as_str(), bad);
    }

    #[test]
    fn a_second_redirect_or_exp_is_refused(
        which in prop_oneof![Just("redirect"), Just("exp")],
        a in domain_spec(),
        b in domain_spec(),
        middle in proptest::collection::vec(directive(), 0..4),
    ) {
        let mut txt = format!("v=spf1 {which}={a}");
        for (t, _, _) in &middle {
            txt.push(' ');
            txt.push_str(t);
        }
        txt.push(' ');
        let position = txt.len();
        txt.push_str(&format!("{which}={b}"));
        let e = parse_record(&txt).unwrap_err();
        check_error(&txt, &e)?;
        prop_assert_eq!(e.position, position);
        prop_assert_eq!(e.reason, format!("{which}= appears more than once"));
    }

    #[test]
    fn a_non_printable_character_is_named(
        before in proptest::collection::vec(directive(), 0..4),
        c in any::<char>().prop_filter("not graphic ASCII", |c| !c.is_ascii_graphic() && *c != ' '),
    ) {
        let mut txt = "v=spf1".to_string();
        for (t, _, _) in &before {
            txt.push(' ');
            txt.push_str(t);
        }
        txt.push_str(" a");
        let position = txt.len() - 1;
        txt.push(c);
        let e = parse_record(&txt).unwrap_err();
        check_error(&txt, &e)?;
        prop_assert_eq!(e.position, position);
        let named = format!("character {c:?} is not allowed");
        prop_assert!(e.reason.starts_with(&named), "{}", e.reason);
    }
}
