//! Property tests for target parsing and RFC 5782 query names: no string
//! panics `Target::parse`, errors are the documented kind with a one-line
//! message naming the input, addresses reverse to the right query name, and
//! valid domains come back normalised.

use super::*;
use proptest::prelude::*;

/// A DNS label of the characters `normalize_domain` accepts.
fn label(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9_-]{{1,{max}}}")).unwrap()
}

/// A domain `normalize_domain` must accept: 2 to 5 labels of at most 63
/// characters, a last label with a letter, at most 253 characters.
fn valid_domain() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(label(63), 1..5),
        proptest::string::string_regex("[a-zA-Z][a-zA-Z0-9-]{0,20}").unwrap(),
    )
        .prop_map(|(mut labels, tld)| {
            labels.push(tld);
            labels.join(".")
        })
        .prop_filter("at most 253 characters", |d| d.len() <= 253)
}

/// Strings made mostly of characters that matter to the parser.
fn target_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("."),
            Just(":"),
            Just("/"),
            Just("["),
            Just("]"),
            Just("-"),
            Just("0"),
            Just("255"),
            Just("ff"),
            Just("a"),
            Just("ü"),
            Just(" "),
            Just("xn--"),
            Just("::ffff:"),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

/// The documented shape of a parse error: the right variant for the input,
/// and a message that is one line (when the input is) naming the input.
fn check_error(input: &str, err: &TargetError) -> Result<(), TestCaseError> {
    let msg = err.to_string();
    prop_assert!(!msg.is_empty());
    if !input.contains(['\n', '\r']) {
        prop_assert!(!msg.contains(['\n', '\r']), "{:?}", msg);
    }
    match err {
        TargetError::Empty => prop_assert!(input.trim().is_empty()),
        TargetError::Range(s) => {
            prop_assert_eq!(s.as_str(), input.trim());
            prop_assert!(s.parse::<ipnet::IpNet>().is_ok());
            prop_assert!(msg.contains(s.as_str()));
        }
        TargetError::Invalid { input: named, .. } => {
            prop_assert_eq!(named.as_str(), input);
            prop_assert!(msg.contains(input));
        }
    }
    Ok(())
}

/// What a parsed domain must be: lowercase ASCII, no trailing dot, RFC 1035
/// lengths, allowed characters, two labels or more, a non-numeric TLD.
fn check_domain(d: &str) -> Result<(), TestCaseError> {
    prop_assert!(d.is_ascii());
    prop_assert_eq!(d.to_ascii_lowercase(), d);
    prop_assert!(!d.ends_with('.'));
    prop_assert!(check_lengths(d).is_ok(), "{}", d);
    prop_assert!(
        d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    );
    let labels: Vec<&str> = d.split('.').collect();
    prop_assert!(labels.len() >= 2);
    prop_assert!(!labels.last().unwrap().chars().all(|c| c.is_ascii_digit()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_strings_parse_or_give_the_documented_error(
        input in prop_oneof![any::<String>(), target_like()],
    ) {
        match Target::parse(&input) {
            Ok(Target::Ip(ip)) => {
                let s = input.trim();
                let s = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
                prop_assert_eq!(s.parse::<IpAddr>().ok(), Some(ip));
            }
            Ok(Target::Domain(d)) => {
                check_domain(&d)?;
                // Normalising is idempotent.
                prop_assert_eq!(Target::parse(&d), Ok(Target::Domain(d.clone())));
            }
            Err(e) => check_error(&input, &e)?,
        }
    }

    #[test]
    fn ipv4_query_names_are_the_reversed_octets(ip in any::<Ipv4Addr>(), zone in valid_domain()) {
        let t = Target::parse(&ip.to_string()).unwrap();
        prop_assert_eq!(&t, &Target::Ip(IpAddr::V4(ip)));
        prop_assert_eq!(t.kind(), TargetKind::Ip);
        prop_assert!(!t.is_ipv6());
        let prefix = t.query_prefix();
        let octets: Vec<u8> = prefix.split('.').map(|o| o.parse().unwrap()).collect();
        let mut want = ip.octets().to_vec();
        want.reverse();
        prop_assert_eq!(octets, want);
        let name = t.query_name(&format!("{zone}."));
        prop_assert_eq!(&name, &format!("{prefix}.{zone}"));
        if zone.len() <= 253 - 16 {
            prop_assert!(check_lengths(&name).is_ok(), "{}", name);
        }
        prop_assert_eq!(reverse_name(IpAddr::V4(ip)), format!("{prefix}.in-addr.arpa"));
    }

    #[test]
    fn ipv6_query_names_are_32_reversed_nibbles(
        ip in any::<Ipv6Addr>(),
        bracketed in any::<bool>(),
        upper in any::<bool>(),
        zone in valid_domain(),
    ) {
        let mut text = ip.to_string();
        if upper {
            text = text.to_ascii_uppercase();
        }
        if bracketed {
            text = format!("[{text}]");
        }
        let t = Target::parse(&text).unwrap();
        prop_assert_eq!(&t, &Target::Ip(IpAddr::V6(ip)));
        prop_assert!(t.is_ipv6());
        let prefix = t.query_prefix();
        prop_assert_eq!(prefix.len(), 63);
        let nibbles: Vec<&str> = prefix.split('.').collect();
        prop_assert_eq!(nibbles.len(), 32);
        prop_assert!(nibbles.iter().all(|n| n.len() == 1
            && n.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))));
        let forward: String = nibbles.iter().rev().copied().collect();
        prop_assert_eq!(forward, format!("{:032x}", u128::from(ip)));
        let name = t.query_name(&zone);
        if zone.len() <= 253 - 64 {
            prop_assert!(check_lengths(&name).is_ok(), "{}", name);
        }
        prop_assert!(check_lengths(&reverse_name(IpAddr::V6(ip))).is_ok());
    }

    #[test]
    fn valid_domains_parse_lowercased_without_the_trailing_dot(
        d in valid_domain(),
        dot in any::<bool>(),
        pad in "[ \t]{0,2}",
    ) {
        let input = format!("{pad}{d}{}{pad}", if dot { "." } else { "" });
        let t = Target::parse(&input).unwrap();
        prop_assert_eq!(t.kind(), TargetKind::Domain);
        let want = d.to_ascii_lowercase();
        prop_assert_eq!(&t, &Target::Domain(want.clone()));
        prop_assert_eq!(t.query_name("dbl.example."), format!("{want}.dbl.example"));
        prop_assert_eq!(t.to_string(), want);
    }

    #[test]
    fn a_label_over_63_characters_is_named(
        before in valid_domain(),
        long in label(200).prop_filter("over 63", |l| l.len() > 63),
    ) {
        let input = format!("{long}.{before}");
        match Target::parse(&input) {
            Err(TargetError::Invalid { input: named, reason }) => {
                prop_assert_eq!(named, input.clone());
                if input.len() > 253 {
                    prop_assert_eq!(reason, NameError::TooLong);
                } else {
                    prop_assert_eq!(reason, NameError::LabelTooLong(long.to_ascii_lowercase()));
                }
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn names_over_253_characters_are_refused(
        labels in proptest::collection::vec("[a-zA-Z0-9_-]{50,63}", 5..12),
    ) {
        // At least 5 labels of 50: always over 253 characters.
        let name = format!("{}.org", labels.join("."));
        prop_assert_eq!(check_lengths(&name), Err(NameError::TooLong));
        let too_long = matches!(
            Target::parse(&name),
            Err(TargetError::Invalid { reason: NameError::TooLong, .. })
        );
        prop_assert!(too_long, "{}", name);
    }

    #[test]
    fn check_lengths_follows_rfc_1035(name in "[a.]{0,300}") {
        let bare = name.strip_suffix('.').unwrap_or(&name);
        let ok = !bare.is_empty()
            && bare.len() <= 253
            && bare.split('.').all(|l| (1..=63).contains(&l.len()));
        prop_assert_eq!(check_lengths(&name).is_ok(), ok, "{}", name);
    }

    #[test]
    fn cidrs_are_refused_as_ranges(net in any::<(u32, u8)>().prop_map(|(a, l)| {
        ipnet::IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::from(a), l % 33).unwrap())
    })) {
        let s = net.to_string();
        let err = Target::parse(&s).unwrap_err();
        prop_assert_eq!(&err, &TargetError::Range(s.clone()));
        let hint = format!("blocklens scan {s}");
        prop_assert!(err.to_string().contains(&hint), "{}", err);
    }

    #[test]
    fn test_points_never_panic(custom in proptest::option::of(any::<String>())) {
        for family in [Family::V4, Family::V6, Family::Domain] {
            let positive = family.positive(custom.as_deref());
            prop_assert_eq!(Family::of(&positive), family);
            prop_assert_eq!(Family::of(&family.negative()), family);
        }
    }
}
