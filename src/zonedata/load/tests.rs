//! Loading and lookup semantics, checked against what rbldnsd 1.0 does.

use std::io::Write;
use std::net::Ipv4Addr;

use proptest::prelude::*;

use crate::zonedata::{Dataset, DatasetKind, LoadError, LoadOptions, MAX_ISSUES_KEPT};

fn load(kind: DatasetKind, text: &str) -> Dataset {
    Dataset::parse(kind, &[("t.txt", text.as_bytes())], &LoadOptions::default()).unwrap()
}

fn v4(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().unwrap())
}

/// The A records and TXT records of an IPv4 address, sorted; empty if not listed.
fn ask4(ds: &Dataset, ip: &str) -> (Vec<String>, Vec<String>) {
    ds.lookup_v4(v4(ip)).map_or_else(Default::default, |h| {
        let mut a: Vec<String> = h.a_records().map(|a| a.to_string()).collect();
        let mut t = h.txt_records();
        a.sort();
        a.dedup();
        t.sort();
        (a, t)
    })
}

fn a4(ds: &Dataset, ip: &str) -> Vec<String> {
    ask4(ds, ip).0
}

fn issues(ds: &Dataset) -> Vec<String> {
    ds.stats().issues.iter().map(ToString::to_string).collect()
}

#[test]
fn ip4set_most_specific_level_answers_with_all_its_entries() {
    let ds = load(
        DatasetKind::Ip4Set,
        "10.0.0.0/16 :3:sixteen\n10.0.0.0/24 :2:twenty-four\n10.0.0.0-10.0.0.255 :4:range\n\
         1.2.3.4 :2:a $\n1.2.3.4 :3:b $\n1.2.3.4 :3:b $\n",
    );
    assert_eq!(
        a4(&ds, "10.0.0.5"),
        ["127.0.0.2", "127.0.0.4"],
        "/24 level, not the /16"
    );
    assert_eq!(a4(&ds, "10.0.1.5"), ["127.0.0.3"]);
    assert_eq!(
        ask4(&ds, "1.2.3.4"),
        (
            vec!["127.0.0.2".into(), "127.0.0.3".into()],
            vec!["a 1.2.3.4".into(), "b 1.2.3.4".into()]
        )
    );
    assert_eq!(a4(&ds, "1.2.3.5"), Vec::<String>::new());
    assert_eq!(ds.stats().entries, 6);
}

#[test]
fn ip4set_exclusions_win_at_their_level_only() {
    let ds = load(
        DatasetKind::Ip4Set,
        "10.0.0.0/24\n!10.0.0.0/24\n10.1.0.0/16\n!10.1.0.5\n10.2.0.0/24\n!10.2.0.0/16\n10.3.0.7\n!10.3.0.0/24\n",
    );
    assert!(
        a4(&ds, "10.0.0.1").is_empty(),
        "same level: the exclusion wins"
    );
    assert!(a4(&ds, "10.1.0.5").is_empty());
    assert_eq!(a4(&ds, "10.1.0.6"), ["127.0.0.2"]);
    assert_eq!(
        a4(&ds, "10.2.0.9"),
        ["127.0.0.2"],
        "a /24 beats an excluded /16"
    );
    assert!(a4(&ds, "10.2.1.9").is_empty());
    assert_eq!(
        a4(&ds, "10.3.0.7"),
        ["127.0.0.2"],
        "a /32 beats an excluded /24"
    );
}

#[test]
fn ip4set_abbreviations_ranges_and_refusals() {
    let ds = load(
        DatasetKind::Ip4Set,
        "127.0.0.2\n10-11 :4\n192.0.2.1-3 :5\n0/0\n0.0.0.0-255.255.255.255 :9\n172.16.0.1/24\n1.1.1.1-1.1.1.300\n",
    );
    assert_eq!(
        a4(&ds, "11.255.255.255"),
        ["127.0.0.4", "127.0.0.9"],
        "both /8 blocks"
    );
    assert_eq!(a4(&ds, "192.0.2.3"), ["127.0.0.5"]);
    assert_eq!(a4(&ds, "192.0.2.4"), ["127.0.0.9"]);
    assert_eq!(a4(&ds, "127.0.0.2"), ["127.0.0.2"]);
    assert_eq!(
        issues(&ds),
        [
            "t.txt:4: invalid address",
            "t.txt:6: invalid range (non-zero host part)",
            "t.txt:7: invalid address"
        ]
    );
    let lenient = Dataset::parse(
        DatasetKind::Ip4Set,
        &[("t", b"172.16.0.1/24\n")],
        &LoadOptions {
            accept_in_cidr: true,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(a4(&lenient, "172.16.0.200"), ["127.0.0.2"]);
}

#[test]
fn defaults_hold_to_the_end_of_their_file() {
    let ds = Dataset::parse(
        DatasetKind::Ip4Set,
        &[
            (
                "one",
                b":5:first $\n1.1.1.1\n1.1.1.2 :6\n1.1.1.3 :7:\n1.1.1.4 own\n".as_slice(),
            ),
            ("two", b"2.2.2.2\n".as_slice()),
        ],
        &LoadOptions::strict(),
    )
    .unwrap();
    assert_eq!(
        ask4(&ds, "1.1.1.1"),
        (vec!["127.0.0.5".into()], vec!["first 1.1.1.1".into()])
    );
    assert_eq!(
        ask4(&ds, "1.1.1.2"),
        (vec!["127.0.0.6".into()], vec!["first 1.1.1.2".into()])
    );
    assert_eq!(ask4(&ds, "1.1.1.3"), (vec!["127.0.0.7".into()], vec![]));
    assert_eq!(
        ask4(&ds, "1.1.1.4"),
        (vec!["127.0.0.5".into()], vec!["own".into()])
    );
    assert_eq!(
        ask4(&ds, "2.2.2.2"),
        (vec!["127.0.0.2".into()], vec![]),
        "reset in the next file"
    );
}

#[test]
fn ip4tset_has_one_value_and_no_exclusions() {
    let ds = load(
        DatasetKind::Ip4Tset,
        "1.2.3.4 :9:ignored\n:3:first $\n:4:second\n1.2.3.5\n!1.2.3.4\n1.2.3\n1.2.3.4\n",
    );
    assert_eq!(
        ask4(&ds, "1.2.3.4"),
        (vec!["127.0.0.3".into()], vec!["first 1.2.3.4".into()])
    );
    assert_eq!(a4(&ds, "1.2.3.5"), ["127.0.0.3"]);
    assert_eq!(
        issues(&ds),
        ["t.txt:5: invalid address", "t.txt:6: invalid address"]
    );
}

#[test]
fn ip4trie_longest_prefix_and_first_duplicate_wins() {
    let ds = load(
        DatasetKind::Ip4Trie,
        "0.0.0.0/0 :9\n10.0.0.0/8 :3\n10.1.0.0/16 :4\n!10.1.2.0/24\n10.1.0.0/16 :5\n10.1.2.3 :6\n192.168\n",
    );
    assert_eq!(a4(&ds, "8.8.8.8"), ["127.0.0.9"]);
    assert_eq!(a4(&ds, "10.9.9.9"), ["127.0.0.3"]);
    assert_eq!(
        a4(&ds, "10.1.9.9"),
        ["127.0.0.4"],
        "the first of two equal prefixes"
    );
    assert!(a4(&ds, "10.1.2.4").is_empty(), "excluded");
    assert_eq!(
        a4(&ds, "10.1.2.3"),
        ["127.0.0.6"],
        "longer than the exclusion"
    );
    assert_eq!(
        a4(&ds, "192.168.255.1"),
        ["127.0.0.2"],
        "`192.168` is 192.168.0.0/16"
    );
    assert_eq!(issues(&ds), ["t.txt:5: duplicated entry for 10.1.0.0/16"]);
}

fn ask6(ds: &Dataset, ip: &str) -> Vec<String> {
    let ip = u128::from(ip.parse::<std::net::Ipv6Addr>().unwrap());
    ds.lookup_v6(ip).map_or_else(Vec::new, |h| {
        let mut out: Vec<String> = h.a_records().map(|a| a.to_string()).collect();
        out.extend(h.txt_records());
        out
    })
}

#[test]
fn ip6trie_forms_from_the_manual() {
    let ds = load(
        DatasetKind::Ip6Trie,
        ":127.0.1.2: Listed, see http://example.com/lookup?$\n2001:21ab:c000/36\n\
         2001:21ab:def7:4242 :127.0.1.3: This one smells funny\n2605:6001:42::/52\n::1\n!2605:6001:42::bead\n\
         2001:db8::1/64\n",
    );
    assert_eq!(
        ask6(&ds, "2001:21ab:c123::9"),
        [
            "127.0.1.2",
            "Listed, see http://example.com/lookup?2001:21ab:c123::9"
        ]
    );
    assert_eq!(ask6(&ds, "2001:21ab:def7:4242::1")[0], "127.0.1.3");
    assert_eq!(ask6(&ds, "::1")[0], "127.0.1.2");
    assert!(ask6(&ds, "2605:6001:42::bead").is_empty());
    assert_eq!(ask6(&ds, "2605:6001:42::beae")[0], "127.0.1.2");
    assert_eq!(issues(&ds), ["t.txt:7: invalid range (non-zero host part)"]);
}

#[test]
fn ip6tset_lists_64s_and_excludes_128s() {
    let ds = load(
        DatasetKind::Ip6Tset,
        ":3:v6 $\n2001:20fe:23:41ed\nabac:adab:ad00:42f\n!abac:adab:ad00:42f::2\n2001:db8::\n!2001:db8:1:2\n",
    );
    assert_eq!(
        ask6(&ds, "2001:20fe:23:41ed:1::"),
        ["127.0.0.3", "v6 2001:20fe:23:41ed:1::"]
    );
    assert!(ask6(&ds, "abac:adab:ad00:42f::2").is_empty());
    assert_eq!(ask6(&ds, "abac:adab:ad00:42f::3")[0], "127.0.0.3");
    assert_eq!(
        issues(&ds),
        [
            "t.txt:5: invalid address for regular entry (should be 64 bits)",
            "t.txt:6: invalid address for exclusion (should be 128 bits)"
        ]
    );
}

fn ask_name(ds: &Dataset, name: &str) -> Vec<String> {
    let mut wire = Vec::new();
    for label in name.split('.') {
        wire.push(label.len() as u8);
        wire.extend(label.bytes());
    }
    ds.lookup_name(&wire).map_or_else(Vec::new, |h| {
        let mut out: Vec<String> = h.a_records().map(|a| a.to_string()).collect();
        out.extend(h.txt_records());
        out
    })
}

#[test]
fn dnset_exact_wildcard_and_both() {
    let ds = load(
        DatasetKind::Dnset,
        ":2:name $\nExact.Example\n*.wild.example :3\n.both.example :4\n!*.no.both.example\n!not.both.example\n\
         *.a.example :5\n*.b.a.example :6\n.\nx.example:3:y\n",
    );
    assert_eq!(
        ask_name(&ds, "exact.example"),
        ["127.0.0.2", "name exact.example"]
    );
    assert!(ask_name(&ds, "www.exact.example").is_empty());
    assert!(ask_name(&ds, "wild.example").is_empty());
    assert_eq!(
        ask_name(&ds, "a.b.wild.example"),
        ["127.0.0.3", "name wild.example"]
    );
    assert_eq!(ask_name(&ds, "both.example")[0], "127.0.0.4");
    assert_eq!(ask_name(&ds, "x.both.example")[0], "127.0.0.4");
    assert!(
        ask_name(&ds, "not.both.example").is_empty(),
        "an exact exclusion stops the wildcards"
    );
    assert!(ask_name(&ds, "x.no.both.example").is_empty());
    assert_eq!(ask_name(&ds, "no.both.example")[0], "127.0.0.4");
    assert_eq!(
        ask_name(&ds, "c.b.a.example")[0],
        "127.0.0.6",
        "the longest wildcard"
    );
    assert_eq!(issues(&ds), ["t.txt:9: invalid domain name"]);
    // `x.example:3:y` is one name (no blank before the value).
    assert!(ask_name(&ds, "x.example").is_empty());
}

#[test]
fn specials() {
    let ds = load(
        DatasetKind::Ip4Set,
        "$SOA 1h ns.example. hostmaster.example. 0 2h 1h 1w 5m\n$SOA bad\n$NS 60 -old ns1 ns2\n$TTL 35m\n\
         $TTL x\n#$1 from a comment\n$1 second ignored\n$= [$=]\n$DATASET ip4set x @\n$FOO bar\n$NS 60\n\
         1.2.3.4 hello $1\n1.2.3.5 =plain $\n",
    );
    // The second $SOA is ignored (only the first counts), the bad $TTL and
    // the others are noted.
    assert_eq!(
        issues(&ds),
        [
            "t.txt:5: invalid or unrecognized special entry",
            "t.txt:9: invalid or unrecognized special entry",
            "t.txt:10: invalid or unrecognized special entry",
        ]
    );
    // `$=` is the entry's text as written: its own `$1` is not expanded.
    assert_eq!(ask4(&ds, "1.2.3.4").1, ["[hello $1]"]);
    assert_eq!(ask4(&ds, "1.2.3.5").1, ["plain 1.2.3.5"]);
    let bad_soa = load(DatasetKind::Ip4Set, "$SOA bad\n$NS\n");
    assert_eq!(bad_soa.stats().issue_count, 2);
}

#[test]
fn maxrange4_only_shrinks() {
    let ds = load(
        DatasetKind::Ip4Set,
        "$MAXRANGE4 /24\n10.0.0.0/23\n10.1.0.0/24\n$MAXRANGE4 65536\n10.2.0.0/23\n$MAXRANGE4 128\n10.3.0.0/24\n10.4.0.0/25\n",
    );
    assert!(a4(&ds, "10.0.0.1").is_empty());
    assert_eq!(a4(&ds, "10.1.0.1"), ["127.0.0.2"]);
    assert!(a4(&ds, "10.2.0.1").is_empty());
    assert!(a4(&ds, "10.3.0.1").is_empty());
    assert_eq!(a4(&ds, "10.4.0.1"), ["127.0.0.2"]);
    assert_eq!(
        issues(&ds),
        [
            "t.txt:2: too large range (512) ignored (256 max)",
            "t.txt:4: ignoring attempt to increase $MAXRANGE4 from 256 to 65536",
            "t.txt:5: too large range (512) ignored (256 max)",
            "t.txt:7: too large range (256) ignored (128 max)",
        ]
    );
}

#[test]
fn timestamps() {
    let future = Dataset::parse_at(
        DatasetKind::Ip4Set,
        &[("t", b"$TIMESTAMP 2030:01:01\n")],
        &LoadOptions::default(),
        0,
    );
    assert!(matches!(
        future,
        Err(LoadError::FutureTimestamp { line: 1, .. })
    ));
    let ds = Dataset::parse_at(
        DatasetKind::Ip4Set,
        &[(
            "t",
            b"$TIMESTAMP 2020:01:01 +1d\n$TIMESTAMP 0 2020:01:01:12\n$TIMESTAMP 0 +1d\n",
        )],
        &LoadOptions::default(),
        1_700_000_000,
    )
    .unwrap();
    assert_eq!(ds.expires(), Some(1_577_880_000));
    assert_eq!(issues(&ds), ["t:3: invalid or unrecognized special entry"]);
}

#[test]
fn lines_as_rbldnsd_reads_them() {
    // A CR is not blank (CRLF files do not load); a NUL ends the line; the
    // last line needs no newline; blanks around are ignored.
    let text = b"  1.1.1.1 \t\n2.2.2.2\r\n3.3.3.3\0garbage\n; c\n# c\n\n4.4.4.4";
    let ds = Dataset::parse(DatasetKind::Ip4Set, &[("t", text)], &LoadOptions::default()).unwrap();
    for (ip, listed) in [
        ("1.1.1.1", true),
        ("2.2.2.2", false),
        ("3.3.3.3", true),
        ("4.4.4.4", true),
    ] {
        assert_eq!(!a4(&ds, ip).is_empty(), listed, "{ip}");
    }
    assert_eq!(ds.stats().lines, 7);
    // A long line is read in part, as rbldnsd does (checked with rbldnsd 1.0
    // and a 70,000-byte line).
    let mut long = "9.9.9.9 :3:".to_string();
    long.push_str(&"x".repeat(2 * super::MAX_LINE));
    long.push_str("\n8.8.8.8\n");
    let ds = load(DatasetKind::Ip4Set, &long);
    assert_eq!(
        ask4(&ds, "9.9.9.9"),
        (vec!["127.0.0.3".into()], vec!["x".repeat(254)])
    );
    assert_eq!(a4(&ds, "8.8.8.8"), ["127.0.0.2"]);
    assert_eq!(
        issues(&ds),
        [
            format!(
                "t.txt:1: long line (truncated to {} bytes)",
                super::MAX_LINE
            ),
            "t.txt:1: TXT RR truncated to 255 bytes".to_string()
        ]
    );
}

#[test]
fn strict_mode_refuses_the_first_bad_line() {
    let err = Dataset::parse(
        DatasetKind::Ip4Set,
        &[("data.txt", b"1.2.3.4\nnonsense\n5.6.7.8\n")],
        &LoadOptions::strict(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "data.txt:2: invalid address");
}

#[test]
fn issues_are_counted_beyond_those_kept() {
    let ds = load(DatasetKind::Ip4Set, &"bad\n".repeat(MAX_ISSUES_KEPT + 5));
    assert_eq!(ds.stats().issues.len(), MAX_ISSUES_KEPT);
    assert_eq!(ds.stats().issue_count, MAX_ISSUES_KEPT as u64 + 5);
}

#[test]
fn gzip_files_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"192.0.2.0/24 :3:gz\n").unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let ds = Dataset::load(DatasetKind::Ip4Set, &[&path], &LoadOptions::strict()).unwrap();
    assert_eq!(
        ask4(&ds, "192.0.2.9"),
        (vec!["127.0.0.3".into()], vec!["gz".into()])
    );
    let missing = dir.path().join("missing.txt");
    let err = Dataset::load(DatasetKind::Ip4Set, &[&missing], &LoadOptions::default()).unwrap_err();
    assert!(
        err.to_string().starts_with(&missing.display().to_string()),
        "{err}"
    );
    let broken = dir.path().join("broken.gz");
    std::fs::write(&broken, [0x1f, 0x8b, 8, 0, 0]).unwrap();
    assert!(matches!(
        Dataset::load(DatasetKind::Ip4Set, &[&broken], &LoadOptions::default()),
        Err(LoadError::Io { .. })
    ));
}

/// What rbldnsd's ip4set answers for `q`, worked out from the entries
/// directly: an entry's level at `q` is the largest aligned block of 1,
/// 256, 65536 or 2^24 addresses around `q` inside its range; the entries at
/// the smallest such level answer, unless one of them is an exclusion.
fn naive_ip4set(entries: &[(u32, u32, Option<u8>)], q: u32) -> Vec<u8> {
    let level = |a: u32, b: u32| {
        (0..4u32)
            .rev()
            .find(|k| {
                let size = 1u64 << (8 * k);
                let start = u64::from(q) / size * size;
                start >= u64::from(a) && start + size - 1 <= u64::from(b)
            })
            .unwrap_or(0)
    };
    let covering: Vec<(u32, Option<u8>)> = entries
        .iter()
        .filter(|e| e.0 <= q && q <= e.1)
        .map(|e| (level(e.0, e.1), e.2))
        .collect();
    let Some(min) = covering.iter().map(|c| c.0).min() else {
        return Vec::new();
    };
    let at: Vec<Option<u8>> = covering
        .iter()
        .filter(|c| c.0 == min)
        .map(|c| c.1)
        .collect();
    if at.contains(&None) {
        return Vec::new();
    }
    let mut out: Vec<u8> = at.into_iter().flatten().collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn listed_codes(ds: &Dataset, q: u32) -> Vec<u8> {
    let mut out: Vec<u8> = ds
        .lookup_v4(q)
        .map(|h| h.a_records().map(|a| a.octets()[3]).collect())
        .unwrap_or_default();
    out.sort_unstable();
    out.dedup();
    out
}

/// An entry in 10.0.0.0/14: a CIDR or a range, listed with code 2..5 or excluded.
fn entry() -> impl Strategy<Value = (u32, u32, Option<u8>)> {
    let base = 0x0a00_0000u32;
    prop_oneof![
        (
            0u32..1 << 18,
            prop::sample::select(vec![8u32, 12, 14, 16, 20, 23, 24, 25, 28, 31, 32])
        )
            .prop_map(move |(off, bits)| {
                let mask = u32::MAX << (32 - bits);
                let a = (base + off) & mask;
                (a, a | !mask)
            }),
        (0u32..1 << 18, 0u32..70_000)
            .prop_map(move |(off, len)| (base + off, (base + off).saturating_add(len))),
    ]
    .prop_flat_map(|(a, b)| (Just(a), Just(b), prop::option::weighted(0.8, 2u8..6)))
}

fn ip4set_line(&(a, b, code): &(u32, u32, Option<u8>)) -> String {
    let range = format!("{}-{}", Ipv4Addr::from(a), Ipv4Addr::from(b));
    match code {
        Some(c) => format!("{range} :{c}:"),
        None => format!("!{range}"),
    }
}

proptest! {
    #[test]
    fn ip4set_answers_like_the_entries_say(
        entries in prop::collection::vec(entry(), 1..40),
        probes in prop::collection::vec(0x0a00_0000u32..0x0a04_0000, 0..100),
    ) {
        let text: String = entries.iter().map(|e| ip4set_line(e) + "\n").collect();
        let ds = Dataset::parse(DatasetKind::Ip4Set, &[("p", text.as_bytes())], &LoadOptions::strict()).unwrap();
        let edges = entries.iter().flat_map(|e| [e.0.wrapping_sub(1), e.0, e.1, e.1.wrapping_add(1)]);
        for q in probes.into_iter().chain(edges) {
            prop_assert_eq!(listed_codes(&ds, q), naive_ip4set(&entries, q), "{} in\n{}", Ipv4Addr::from(q), text);
        }
    }

    #[test]
    fn ip4trie_answers_like_a_longest_prefix_scan(
        cidrs in prop::collection::vec((0u32..1 << 18, 8u32..=32, prop::option::weighted(0.8, 2u8..6)), 1..40),
        probes in prop::collection::vec(0x0a00_0000u32..0x0a04_0000, 0..100),
    ) {
        let entries: Vec<(u32, u32, Option<u8>)> = cidrs
            .iter()
            .map(|&(off, bits, code)| {
                let mask = u32::MAX << (32 - bits);
                ((0x0a00_0000 + off) & mask, bits, code)
            })
            .collect();
        let text: String = entries
            .iter()
            .map(|&(a, bits, code)| match code {
                Some(c) => format!("{}/{bits} :{c}\n", Ipv4Addr::from(a)),
                None => format!("!{}/{bits}\n", Ipv4Addr::from(a)),
            })
            .collect();
        let ds = load(DatasetKind::Ip4Trie, &text);
        for q in probes.into_iter().chain(entries.iter().flat_map(|e| [e.0.wrapping_sub(1), e.0])) {
            // The longest prefix holding q; of equal ones, the first.
            let best = entries
                .iter()
                .filter(|&&(a, bits, _)| q & (u32::MAX << (32 - bits)) == a)
                .fold(None::<&(u32, u32, Option<u8>)>, |best, e| match best {
                    Some(b) if b.1 >= e.1 => Some(b),
                    _ => Some(e),
                });
            let want: Vec<u8> = best.and_then(|e| e.2).into_iter().collect();
            prop_assert_eq!(listed_codes(&ds, q), want, "{}", Ipv4Addr::from(q));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        lines in prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..40),
                prop::collection::vec(
                    prop::sample::select(vec![
                        "$", "!", ":", "::", "127.0.0.", "10", "/", "-", "*.", ".", "255", "999", "0", "ff",
                        "\t", " ", "#", ";", "\\", "\\256", "\0", "\r", "=", "$1", "$=", "SOA ", "TIMESTAMP ",
                        "MAXRANGE4 ", "a", "\u{e9}",
                    ]),
                    0..12,
                ).prop_map(|parts| parts.concat().into_bytes()),
            ],
            0..30,
        ),
        kind in prop::sample::select(DatasetKind::ALL.to_vec()),
    ) {
        let text = lines.join(&b'\n');
        if let Ok(ds) = Dataset::parse(kind, &[("fuzz", &text)], &LoadOptions::default()) {
            for ip in [0u32, 0x7f00_0002, 0x0a00_0000, u32::MAX] {
                if let Some(hit) = ds.lookup_v4(ip) {
                    let _ = hit.txt_records();
                }
            }
            for ip in [0u128, 1, u128::MAX] {
                if let Some(hit) = ds.lookup_v6(ip) {
                    let _ = hit.txt_records();
                }
            }
            if let Some(hit) = ds.lookup_name(b"\x01a\x07example") {
                let _ = hit.txt_records();
            }
        }
    }
}
