//! Property tests for SPF macros (RFC 7208 §7): no string panics the checker
//! or the expander, both agree on what is valid, generated macro strings
//! expand as §7.3 says (split on delimiters, reverse, keep the rightmost N,
//! join with dots, URL-escape for upper-case letters) and, cut as the
//! evaluator cuts them (§7.3), to names of at most 253 octets; invalid ones
//! give the documented error.

use super::*;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn context() -> impl Strategy<Value = MacroContext> {
    let name = "[a-z0-9-]{1,20}(\\.[a-z0-9-]{1,63}){0,5}";
    (
        "[a-z0-9+._-]{0,40}",
        proptest::string::string_regex(name).unwrap(),
        proptest::string::string_regex(name).unwrap(),
        prop_oneof![
            any::<Ipv4Addr>().prop_map(IpAddr::V4),
            any::<Ipv6Addr>().prop_map(IpAddr::V6)
        ],
        proptest::string::string_regex(name).unwrap(),
        proptest::option::of(proptest::string::string_regex(name).unwrap()),
        any::<u64>(),
    )
        .prop_map(
            |(local, sender_domain, domain, ip, helo, validated, timestamp)| {
                let local = if local.is_empty() {
                    "postmaster".to_string()
                } else {
                    local
                };
                MacroContext {
                    sender: format!("{local}@{sender_domain}"),
                    local,
                    sender_domain,
                    domain,
                    ip,
                    helo,
                    validated,
                    receiver: "receiver.example".into(),
                    timestamp,
                }
            },
        )
}

/// A piece of a macro string: its text, and whether it is a `%{p}`.
#[derive(Clone, Debug)]
enum Piece {
    Literal(String),
    Escape(&'static str),
    Macro {
        letter: char,
        digits: Option<usize>,
        reverse: bool,
        delimiters: String,
    },
}

impl Piece {
    fn text(&self) -> String {
        match self {
            Piece::Literal(l) => l.clone(),
            Piece::Escape(e) => e.to_string(),
            Piece::Macro {
                letter,
                digits,
                reverse,
                delimiters,
            } => format!(
                "%{{{letter}{}{}{delimiters}}}",
                digits.map(|d| d.to_string()).unwrap_or_default(),
                if *reverse { "r" } else { "" }
            ),
        }
    }
}

fn piece(letters: &'static str) -> impl Strategy<Value = Piece> {
    let letters: Vec<char> = letters
        .chars()
        .flat_map(|c| [c, c.to_ascii_uppercase()])
        .collect();
    prop_oneof![
        1 => "[a-zA-Z0-9._-]{1,12}".prop_map(Piece::Literal),
        1 => prop_oneof![Just("%%"), Just("%_"), Just("%-")].prop_map(Piece::Escape),
        3 => (
            proptest::sample::select(letters),
            proptest::option::of(1usize..12),
            any::<bool>(),
            "[.+,/_=-]{0,3}",
        )
            .prop_map(|(letter, digits, reverse, delimiters)| Piece::Macro {
                letter,
                digits,
                reverse,
                delimiters,
            }),
    ]
}

/// RFC 7208 §7.3, written out for the test.
fn model(pieces: &[Piece], ctx: &MacroContext) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Literal(l) => out.push_str(l),
            Piece::Escape("%%") => out.push('%'),
            Piece::Escape("%_") => out.push(' '),
            Piece::Escape(_) => out.push_str("%20"),
            Piece::Macro {
                letter,
                digits,
                reverse,
                delimiters,
            } => {
                let value = match letter.to_ascii_lowercase() {
                    's' => ctx.sender.clone(),
                    'l' => ctx.local.clone(),
                    'o' => ctx.sender_domain.clone(),
                    'd' => ctx.domain.clone(),
                    'i' => match ctx.ip {
                        IpAddr::V4(a) => a.to_string(),
                        IpAddr::V6(a) => format!("{:032x}", u128::from(a))
                            .chars()
                            .map(String::from)
                            .collect::<Vec<_>>()
                            .join("."),
                    },
                    'p' => ctx.validated.clone().unwrap_or("unknown".into()),
                    'h' => ctx.helo.clone(),
                    'c' => ctx.ip.to_string(),
                    'r' => ctx.receiver.clone(),
                    't' => ctx.timestamp.to_string(),
                    _ => (if ctx.ip.is_ipv4() { "in-addr" } else { "ip6" }).to_string(),
                };
                let delims = if delimiters.is_empty() {
                    "."
                } else {
                    delimiters
                };
                let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
                if *reverse {
                    parts.reverse();
                }
                if let Some(n) = digits {
                    let skip = parts.len().saturating_sub(*n);
                    parts = parts[skip..].to_vec();
                }
                let joined = parts.join(".");
                if letter.is_ascii_uppercase() {
                    for b in joined.bytes() {
                        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                            out.push(b as char);
                        } else {
                            out.push_str(&format!("%{b:02X}"));
                        }
                    }
                } else {
                    out.push_str(&joined);
                }
            }
        }
    }
    out
}

/// Strings made of the pieces macro strings are made of.
fn macro_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("%"),
            Just("{"),
            Just("}"),
            Just("%{"),
            Just("d"),
            Just("i"),
            Just("c"),
            Just("x"),
            Just("r"),
            Just("0"),
            Just("9"),
            Just("99999999999999999999999"),
            Just("."),
            Just("-"),
            Just("_"),
            Just("!"),
            Just(" "),
            Just("é"),
            Just("\n"),
        ],
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

/// The documented reasons, each one line for printable input.
fn check_error(s: &str, reason: &str) -> Result<(), TestCaseError> {
    let known = reason.starts_with("character ")
        && reason.ends_with("is not allowed in a macro string")
        || reason == "unterminated macro '%{'"
        || reason == "'%' must be followed by '{', '%', '_' or '-'"
        || reason == "empty macro '%{}'"
        || reason.starts_with("unknown macro letter '")
        || reason == "macro digit transformer out of range"
        || reason == "macro digit transformer 0 is not allowed"
        || reason.ends_with("is not a macro delimiter");
    prop_assert!(known, "undocumented reason {:?} for {:?}", reason, s);
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        prop_assert!(!reason.contains(['\n', '\r']), "{:?}", reason);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_strings_check_and_expand_alike(
        s in prop_oneof![any::<String>(), macro_like()],
        exp in any::<bool>(),
        ctx in context(),
    ) {
        let checked = check_macro_string(&s, exp);
        let expanded = expand(&s, &ctx, exp);
        prop_assert_eq!(checked.is_ok(), expanded.is_ok(), "{:?}", s);
        if let Err(reason) = &checked {
            prop_assert_eq!(Some(reason), expanded.as_ref().err());
            check_error(&s, reason)?;
        }
        // What is valid outside exp= is valid in it.
        if check_macro_string(&s, false).is_ok() {
            prop_assert!(check_macro_string(&s, true).is_ok());
        }
        let _ = uses_p(&s);
    }

    #[test]
    fn generated_domain_specs_expand_as_section_7_3_says(
        pieces in proptest::collection::vec(piece("slodiphv"), 0..8),
        ctx in context(),
    ) {
        let s: String = pieces.iter().map(Piece::text).collect();
        prop_assert!(check_macro_string(&s, false).is_ok(), "{}", s);
        let got = expand(&s, &ctx, false).unwrap();
        prop_assert_eq!(&got, &model(&pieces, &ctx), "{}", s);
        let p = pieces.iter().any(|p| matches!(p, Piece::Macro { letter, .. } if letter.eq_ignore_ascii_case(&'p')));
        prop_assert_eq!(uses_p(&s), p, "{}", s);
        // Cut as the evaluator cuts (§7.3): at most 253 octets, whole labels
        // dropped from the left, unless a single label is longer than that.
        let name = super::super::eval::truncate_name(got.clone());
        let whole = got.trim_end_matches('.');
        prop_assert!(whole.ends_with(&name));
        prop_assert!(name.len() == whole.len() || whole[..whole.len() - name.len()].ends_with('.'));
        if name.len() > 253 {
            prop_assert!(!name.contains('.'), "{}", name);
        }
    }

    #[test]
    fn explanation_letters_only_in_exp(
        mut pieces in proptest::collection::vec(piece("slodiphv"), 0..5),
        at in any::<prop::sample::Index>(),
        letter in proptest::sample::select(vec!['c', 'r', 't', 'C', 'R', 'T']),
        ctx in context(),
    ) {
        pieces.insert(at.index(pieces.len() + 1), Piece::Macro { letter, digits: None, reverse: false, delimiters: String::new() });
        let s: String = pieces.iter().map(Piece::text).collect();
        let reason = check_macro_string(&s, false).unwrap_err();
        let want = format!("unknown macro letter '{letter}' in '%{{{letter}}}'");
        prop_assert_eq!(reason, want);
        prop_assert_eq!(expand(&s, &ctx, true).unwrap(), model(&pieces, &ctx));
    }

    #[test]
    fn an_invalid_piece_gives_the_documented_error(
        before in proptest::collection::vec(piece("slodiphv"), 0..4),
        after in proptest::collection::vec(piece("slodiphv"), 0..4),
        bad in prop_oneof![
            Just(("%{x}", "unknown macro letter 'x' in '%{x}'")),
            Just(("%{}", "empty macro '%{}'")),
            Just(("%{d0}", "macro digit transformer 0 is not allowed")),
            Just(("%{d99999999999999999999999}", "macro digit transformer out of range")),
            Just(("%{d2r!}", "'!' is not a macro delimiter")),
            Just(("%{ir.;}", "';' is not a macro delimiter")),
            Just(("%a", "'%' must be followed by '{', '%', '_' or '-'")),
            Just(("a b", "character ' ' is not allowed in a macro string")),
        ],
    ) {
        let (bad, want) = bad;
        let s = format!(
            "{}{bad}{}",
            before.iter().map(Piece::text).collect::<String>(),
            after.iter().map(Piece::text).collect::<String>()
        );
        prop_assert_eq!(check_macro_string(&s, false), Err(want.to_string()), "{}", s);
    }

    #[test]
    fn an_unterminated_macro_or_trailing_percent_is_refused(
        before in proptest::collection::vec(piece("slodiphv"), 0..4),
        tail in prop_oneof![Just("%"), Just("%{"), Just("%{d"), Just("%{ir.")],
    ) {
        let s = format!("{}{tail}", before.iter().map(Piece::text).collect::<String>());
        let want = if tail == "%" {
            "'%' must be followed by '{', '%', '_' or '-'"
        } else {
            "unterminated macro '%{'"
        };
        prop_assert_eq!(check_macro_string(&s, true), Err(want.to_string()), "{}", s);
    }
}
