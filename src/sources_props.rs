//! Property tests for scan sources: no string or file content panics the
//! parser, errors name the source (or `file:line`) on one line, CIDRs and
//! ranges cover exactly the addresses they say, and `--max-targets` refuses
//! a scan as soon as the count passes it, with the documented message.

use super::*;
use proptest::prelude::*;

/// Strings made mostly of characters that matter to the parser.
fn source_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("."),
            Just(":"),
            Just("/"),
            Just("-"),
            Just(" "),
            Just("0"),
            Just("1"),
            Just("255"),
            Just("256"),
            Just("33"),
            Just("128"),
            Just("ff"),
            Just("::"),
            Just("#"),
            Just("x"),
        ],
        0..20,
    )
    .prop_map(|parts| parts.concat())
}

/// A v4 CIDR: address, prefix length.
fn cidr4() -> impl Strategy<Value = (Ipv4Addr, u8)> {
    (any::<Ipv4Addr>(), 0u8..=32)
}

fn mask4(a: Ipv4Addr, len: u8) -> u32 {
    let m = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(a) & m
}

/// A line of a sources file and what it should give.
#[derive(Clone, Debug)]
enum Line {
    Blank,
    Comment(String),
    Source(String, u128),
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        Just(Line::Blank),
        "[ -~]{0,30}".prop_map(|c| Line::Comment(format!("  # {c}"))),
        (cidr4(), "[ \t]{0,2}", proptest::option::of("[ -~]{0,10}")).prop_map(
            |((a, l), pad, comment)| {
                let l = l.max(22);
                let text = match comment {
                    Some(c) => format!("{pad}{a}/{l}{pad}#{c}"),
                    None => format!("{pad}{a}/{l}{pad}"),
                };
                Line::Source(text, 1u128 << (32 - l))
            }
        ),
        (any::<u32>(), 0u32..300).prop_map(|(a, n)| {
            let a = a.min(u32::MAX - n);
            Line::Source(
                format!("{}-{}", Ipv4Addr::from(a), Ipv4Addr::from(a + n)),
                u128::from(n) + 1,
            )
        }),
        any::<Ipv6Addr>().prop_map(|a| Line::Source(format!("{a}\r"), 1)),
    ]
}

fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    for l in lines {
        match l {
            Line::Blank => {}
            Line::Comment(c) => out.push_str(c),
            Line::Source(s, _) => out.push_str(s),
        }
        out.push('\n');
    }
    out
}

/// Reads a sources file the way `@FILE` and `-` do.
fn tally(text: &[u8], name: &str, max: u64) -> Result<Vec<Block>, SourceError> {
    let mut t = Tally {
        blocks: Vec::new(),
        total: 0,
        max,
    };
    t.file(&mut &text[..], name)?;
    Ok(t.blocks)
}

fn check_invalid(input: &str, err: &SourceError) -> Result<(), TestCaseError> {
    let msg = err.to_string();
    match err {
        SourceError::Invalid(reason) => {
            prop_assert_eq!(&msg, reason);
            prop_assert!(
                msg.contains(input.trim()),
                "{:?} does not name {:?}",
                msg,
                input
            );
            if !input.contains(['\n', '\r']) {
                prop_assert!(!msg.contains(['\n', '\r']), "{:?}", msg);
            }
        }
        other => prop_assert!(false, "not Invalid: {:?}", other),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_sources_parse_or_give_an_error_naming_them(
        input in prop_oneof![any::<String>(), source_like()],
    ) {
        match parse_block(&input) {
            Ok(b) => {
                let t = input.trim();
                match t.parse::<IpAddr>() {
                    Ok(ip) => {
                        prop_assert_eq!(b.len(), 1);
                        prop_assert_eq!(b.iter().next(), Some(ip));
                    }
                    Err(_) => prop_assert!(t.contains(['/', '-']), "{:?} gave {:?}", t, b),
                }
            }
            Err(e) => check_invalid(&input, &e)?,
        }
    }

    #[test]
    fn a_v4_cidr_covers_2_to_the_32_minus_len_addresses((a, len) in cidr4(), max in any::<u64>()) {
        let s = format!("{a}/{len}");
        let b = parse_block(&s).unwrap();
        let first = mask4(a, len);
        let size = 1u128 << (32 - len);
        prop_assert_eq!(b, Block::V4(first, (u128::from(first) + size - 1) as u32));
        prop_assert_eq!(b.len(), size);
        if len >= 20 {
            prop_assert_eq!(b.iter().count() as u128, size);
        }
        prop_assert_eq!(b.iter().next(), Some(IpAddr::V4(Ipv4Addr::from(first))));
        let max = max % (1 << 33);
        match parse_sources(std::slice::from_ref(&s), max) {
            Ok(blocks) => {
                prop_assert!(size <= u128::from(max));
                prop_assert_eq!(count(&blocks), size as u64);
            }
            Err(e) => {
                prop_assert!(size > u128::from(max));
                let msg = e.to_string();
                prop_assert!(matches!(e, SourceError::TooMany(_)));
                prop_assert_eq!(
                    msg,
                    format!("the scan covers {size} addresses or more, more than --max-targets {max}; narrow it or raise the limit with --max-targets {size}")
                );
            }
        }
    }

    #[test]
    fn a_v6_cidr_covers_2_to_the_128_minus_len_addresses(a in any::<Ipv6Addr>(), len in 0u8..=128) {
        let s = format!("{a}/{len}");
        let b = parse_block(&s).unwrap();
        let size = if len == 0 { u128::MAX } else { 1u128 << (128 - len) };
        prop_assert_eq!(b.len(), size);
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
        prop_assert_eq!(b.iter().next(), Some(IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))));
        let result = parse_sources(&[s], DEFAULT_MAX_TARGETS);
        if size <= u128::from(DEFAULT_MAX_TARGETS) {
            prop_assert_eq!(count(&result.unwrap()), size as u64);
        } else {
            let e = result.unwrap_err();
            let msg = e.to_string();
            prop_assert!(matches!(e, SourceError::TooMany(_)));
            prop_assert!(msg.contains(&size.to_string()), "{}", msg);
            if size > u128::from(u64::MAX) {
                // No limit can allow it: the message suggests a /112.
                prop_assert!(msg.contains("/112"), "{}", msg);
            } else {
                prop_assert!(msg.contains(&format!("--max-targets {size}")), "{}", msg);
            }
        }
    }

    #[test]
    fn a_range_covers_first_to_last_or_is_refused(
        a in any::<u32>(), b in any::<u32>(), pad in "[ ]{0,2}",
    ) {
        let s = format!("{}{pad}-{pad}{}", Ipv4Addr::from(a), Ipv4Addr::from(b));
        match parse_block(&s) {
            Ok(block) => {
                prop_assert!(a <= b);
                prop_assert_eq!(block, Block::V4(a, b));
                prop_assert_eq!(block.len(), u128::from(b - a) + 1);
            }
            Err(e) => {
                prop_assert!(a > b);
                check_invalid(&s, &e)?;
                prop_assert!(e.to_string().ends_with("ends before it starts"));
            }
        }
    }

    #[test]
    fn files_give_their_sources_in_order_and_name_a_bad_line(
        lines in proptest::collection::vec(line(), 0..30),
        bad in proptest::option::of((any::<prop::sample::Index>(), "[g-z]{1,8}")),
    ) {
        let mut lines = lines;
        let mut bad_at = None;
        if let Some((i, word)) = bad {
            let at = i.index(lines.len() + 1);
            lines.insert(at, Line::Source(word, 0));
            bad_at = Some(at as u64 + 1);
        }
        let text = render(&lines);
        let result = tally(text.as_bytes(), "ranges.txt", u64::MAX);
        match bad_at {
            Some(n) => {
                let e = result.unwrap_err();
                let msg = e.to_string();
                prop_assert!(matches!(e, SourceError::Line { line, .. } if line == n), "{:?}", e);
                let prefix = format!("ranges.txt:{n}: ");
                prop_assert!(msg.starts_with(&prefix), "{}", msg);
                prop_assert!(!msg.contains('\n'), "{}", msg);
            }
            None => {
                let blocks = result.unwrap();
                let want: Vec<u128> = lines
                    .iter()
                    .filter_map(|l| match l { Line::Source(_, n) => Some(*n), _ => None })
                    .collect();
                let got: Vec<u128> = blocks.iter().map(Block::len).collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn max_targets_stops_a_file_at_the_line_that_passes_it(
        sizes in proptest::collection::vec(22u8..=32, 1..40),
        max in 0u64..20_000,
    ) {
        let text: String = sizes.iter().map(|l| format!("10.0.0.0/{l}\n")).collect();
        let mut total = 0u128;
        let mut passed = None;
        for l in &sizes {
            total += 1u128 << (32 - l);
            if total > u128::from(max) {
                passed = Some(total);
                break;
            }
        }
        match (tally(text.as_bytes(), "f", max), passed) {
            (Ok(blocks), None) => prop_assert_eq!(blocks.len(), sizes.len()),
            (Err(SourceError::TooMany(msg)), Some(total)) => {
                let want = format!("the scan covers {total} addresses or more, more than --max-targets {max}");
                prop_assert!(msg.starts_with(&want), "{}", msg);
            }
            (other, want) => prop_assert!(false, "{:?}, expected to pass at {:?}", other, want),
        }
    }

    #[test]
    fn lines_over_4_kib_are_refused(len in (MAX_LINE - 40)..(MAX_LINE + 40), pre in 0usize..3) {
        // `pre` good lines, then one of `len` bytes (an address padded with blanks).
        let addr = "192.0.2.1";
        let long = format!("{}{addr}", " ".repeat(len - addr.len()));
        let text = format!("{}{long}\n192.0.2.2\n", "192.0.2.3\n".repeat(pre));
        let result = tally(text.as_bytes(), "big.txt", u64::MAX);
        if len > MAX_LINE {
            let msg = result.unwrap_err().to_string();
            let want = format!("big.txt:{}: longer than {MAX_LINE} bytes", pre + 1);
            prop_assert!(msg.starts_with(&want), "{}", msg);
        } else {
            prop_assert_eq!(result.unwrap().len(), pre + 2);
        }
    }

    #[test]
    fn arbitrary_file_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..6000),
        max in any::<u64>(),
    ) {
        let lines = bytes.split(|b| *b == b'\n').count() as u64;
        match tally(&bytes, "in", max) {
            Ok(blocks) => prop_assert!(count(&blocks) <= max),
            Err(SourceError::Line { name, line, reason }) => {
                prop_assert_eq!(name, "in");
                prop_assert!(line >= 1 && line <= lines, "line {} of {}", line, lines);
                prop_assert!(!reason.is_empty());
            }
            Err(SourceError::TooMany(msg)) => prop_assert!(msg.contains("--max-targets")),
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn at_file_sources_read_the_file(lines in proptest::collection::vec(line(), 0..10)) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, render(&lines).as_bytes()).unwrap();
        let path = f.path().to_str().unwrap().to_string();
        let want: u128 = lines
            .iter()
            .map(|l| match l { Line::Source(_, n) => *n, _ => 0 })
            .sum();
        match parse_sources(&[format!("@{path}")], u64::MAX) {
            Ok(blocks) => prop_assert_eq!(u128::from(count(&blocks)), want),
            Err(e) => {
                prop_assert_eq!(want, 0);
                prop_assert_eq!(e, SourceError::Empty);
            }
        }
        let missing = format!("{path}.missing");
        let e = parse_sources(&[format!("@{missing}")], u64::MAX).unwrap_err();
        let msg = e.to_string();
        prop_assert!(matches!(e, SourceError::Read { .. }), "{:?}", e);
        prop_assert!(msg.starts_with(&format!("{missing}: cannot open")), "{}", msg);
    }

    #[test]
    fn shards_parse_or_are_refused_and_split_exactly(s in "[0-9 /x]{0,8}", total in 0u64..10_000) {
        match s.parse::<Shard>() {
            Ok(shard) => {
                let in_range = (1..=shard.count).contains(&shard.index);
                prop_assert!(in_range, "{:?}", shard);
                if shard.count <= 64 {
                    let sum: u64 = (1..=shard.count)
                        .map(|index| Shard { index, count: shard.count }.share(total))
                        .sum();
                    prop_assert_eq!(sum, total);
                }
            }
            Err(e) => check_invalid(&s, &e)?,
        }
    }
}
