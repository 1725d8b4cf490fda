//! Property tests for catalog files (`lists/*.toml`, `--lists`,
//! `--add-lists`): no text panics the loader, every error is
//! `file[:line]: message` with a line that exists, generated valid zones load
//! as written, and a zone with one invalid key is refused naming a line of
//! that zone (the key's own line for code and bit keys) and the reason.

use super::*;
use proptest::prelude::*;

const FILE: &str = "lists/t.toml";

fn load(text: &str) -> Result<Catalog, CatalogError> {
    let mut c = Catalog::default();
    c.add_file(Path::new(FILE), text)?;
    Ok(c)
}

/// The documented shape of a catalog error for `text`.
fn check_error(text: &str, e: &CatalogError) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.file.as_path(), Path::new(FILE));
    crate::prop_support::file_error_shape(FILE, text, e.line, &e.message, &e.to_string())
}

/// A generated zone, as the catalog should load it.
#[derive(Clone, Debug)]
struct Gen {
    zone: String,
    name: String,
    domain: bool,
    ipv4: bool,
    ipv6: bool,
    role: Role,
    rate: Option<u32>,
    codes: BTreeMap<u8, String>,
    bits: BTreeMap<u8, String>,
    aliases: Vec<String>,
    trailing_dot: bool,
    upper: bool,
}

fn gen_zone() -> impl Strategy<Value = Gen> {
    (
        "[a-z][a-z0-9-]{0,10}\\.[a-z]{2,5}",
        "[A-Za-z0-9 ]{1,20}",
        any::<bool>(),
        prop_oneof![Just((true, false)), Just((true, true)), Just((false, true))],
        prop_oneof![Just(Role::Block), Just(Role::Allow), Just(Role::Info)],
        proptest::option::of(1u32..1000),
        proptest::collection::btree_map(any::<u8>(), "[a-z ]{1,10}[a-z]", 0..4),
        proptest::collection::btree_map(0u8..8, "[a-z]{1,10}", 0..4),
        proptest::collection::vec("[a-z]{2,8}", 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(zone, name, domain, (ipv4, ipv6), role, rate, codes, bits, aliases, dot, upper)| {
                let mut aliases = aliases;
                aliases.sort();
                aliases.dedup();
                let bits = if codes.is_empty() {
                    bits
                } else {
                    BTreeMap::new()
                };
                Gen {
                    zone,
                    name: if name.trim().is_empty() {
                        "A".into()
                    } else {
                        name
                    },
                    domain,
                    ipv4: ipv4 || domain,
                    ipv6: ipv6 && !domain,
                    role,
                    rate,
                    codes,
                    bits,
                    aliases,
                    trailing_dot: dot,
                    upper,
                }
            },
        )
}

fn render(z: &Gen) -> Vec<String> {
    let mut zone = if z.upper {
        z.zone.to_ascii_uppercase()
    } else {
        z.zone.clone()
    };
    if z.trailing_dot {
        zone.push('.');
    }
    let mut out = vec![
        "[[zone]]".to_string(),
        format!("zone = \"{zone}\""),
        format!("name = \"{}\"", z.name),
        format!("targets = \"{}\"", if z.domain { "domain" } else { "ip" }),
        format!("ipv4 = {}", z.ipv4),
        format!("ipv6 = {}", z.ipv6),
        format!("role = \"{}\"", z.role.as_str()),
    ];
    if let Some(r) = z.rate {
        out.push(format!("rate = {r}"));
    }
    if !z.aliases.is_empty() {
        let a: Vec<String> = z.aliases.iter().map(|a| format!("\"{a}\"")).collect();
        out.push(format!("aliases = [{}]", a.join(", ")));
    }
    if !z.codes.is_empty() {
        out.push("[zone.codes]".into());
        for (o, m) in &z.codes {
            out.push(format!("\"127.0.0.{o}\" = \"{m}\""));
        }
    }
    if !z.bits.is_empty() {
        out.push("[zone.bits]".into());
        for (b, m) in &z.bits {
            out.push(format!("\"{}\" = \"{m}\"", 1u16 << b));
        }
    }
    out
}

fn zones() -> impl Strategy<Value = Vec<Gen>> {
    proptest::collection::vec(gen_zone(), 1..6).prop_map(|mut zs| {
        let mut seen = HashSet::new();
        zs.retain(|z| seen.insert(z.zone.clone()));
        zs
    })
}

/// One invalid key put into a zone: the line to add (or replace), and a
/// piece of the documented reason.
#[derive(Clone, Debug)]
enum Bad {
    /// Replace the `zone =` line.
    ZoneName(&'static str),
    /// Replace the `name =` line.
    Name(&'static str),
    /// Add a line after the `role =` line.
    Key(&'static str, &'static str),
    /// Add a `[zone.codes]` or `[zone.bits]` entry (table, key).
    Table(&'static str, &'static str, &'static str),
    /// Repeat an earlier zone's name.
    Duplicate,
}

fn bad() -> impl Strategy<Value = Bad> {
    prop_oneof![
        Just(Bad::ZoneName("exa mple.org")),
        Just(Bad::ZoneName("localhost")),
        Just(Bad::ZoneName("a..b.org")),
        Just(Bad::ZoneName("1.2.3.4")),
        Just(Bad::Name("  ")),
        Just(Bad::Key(
            "lookup_url = \"ftp://x.example/{target}\"",
            "lookup_url must start with"
        )),
        Just(Bad::Key("rate = 0", "rate must be at least 1")),
        Just(Bad::Key("rate = -1", "")),
        Just(Bad::Key("colour = \"red\"", "colour")),
        Just(Bad::Key("data = \"nosuchtype:/x\"", "data: ")),
        Just(Bad::Key("data = \"ip4set:\"", "data must be type:file")),
        Just(Bad::Key(
            "test_point = \"not an address\"",
            "test_point \"not an address\" is not a valid"
        )),
        Just(Bad::Key(
            "public = \"zen.spamhaus.org\"",
            "public only applies"
        )),
        Just(Bad::Key("aliases = [\"!!\"]", "must be a word or phrase")),
        Just(Bad::Key("aliases = [\"Zen\", \"zen\"]", "is listed twice")),
        Just(Bad::Key("status = \"asleep\"", "")),
        Just(Bad::Table(
            "codes",
            "\"10.0.0.2\"",
            "is not an address or CIDR inside 127.0.0.0/8"
        )),
        Just(Bad::Table(
            "codes",
            "\"127.0.0.5/30\"",
            "is not an address or CIDR inside 127.0.0.0/8"
        )),
        Just(Bad::Table(
            "codes",
            "\"127.0.0.250\"",
            "has an empty meaning"
        )),
        Just(Bad::Table(
            "errors",
            "\"127.0.0.x\"",
            "is not an address or CIDR inside 127.0.0.0/8"
        )),
        Just(Bad::Table("bits", "\"3\"", "is not a single bit value")),
        Just(Bad::Duplicate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_loads_or_names_file_and_line(
        text in prop_oneof![
            any::<String>(),
            proptest::collection::vec(
                prop_oneof![
                    Just("[[zone]]\n"), Just("[zone.codes]\n"), Just("[zone.bits]\n"),
                    Just("zone = \"a.example\"\n"), Just("zone = \"{key}.b.example\"\n"),
                    Just("name = \"A\"\n"), Just("targets = \"ip\"\n"), Just("targets = \"domain\"\n"),
                    Just("ipv6 = true\n"), Just("ipv4 = false\n"), Just("\"127.0.0.2\" = \"x\"\n"),
                    Just("\"4\" = \"y\"\n"), Just("public = \"c.example\"\n"), Just("rate = 0\n"),
                    Just("=\n"), Just("\""), Just("[\n"), Just("é"), Just("\n"), Just("#"),
                ],
                0..30,
            ).prop_map(|p| p.concat()),
        ],
    ) {
        match load(&text) {
            Ok(c) => {
                for z in &c.zones {
                    prop_assert_eq!(z.zone.to_ascii_lowercase(), z.zone.clone());
                    prop_assert!(!z.zone.ends_with('.'));
                    prop_assert!(!z.name.trim().is_empty());
                    prop_assert!(z.ipv4 || z.ipv6 || z.targets == TargetKind::Domain);
                }
                let mut names: Vec<&str> = c.zones.iter().map(|z| z.zone.as_str()).collect();
                names.sort();
                names.dedup();
                prop_assert_eq!(names.len(), c.zones.len());
            }
            Err(e) => check_error(&text, &e)?,
        }
    }

    #[test]
    fn generated_zones_load_as_written(zs in zones()) {
        let text: String = zs.iter().flat_map(render).map(|l| l + "\n").collect();
        let c = load(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(c.zones.len(), zs.len());
        for (z, g) in c.zones.iter().zip(&zs) {
            prop_assert_eq!(&z.zone, &g.zone);
            prop_assert_eq!(&z.name, &g.name);
            prop_assert_eq!(z.targets, if g.domain { TargetKind::Domain } else { TargetKind::Ip });
            prop_assert_eq!((z.ipv4, z.ipv6), (g.ipv4, g.ipv6));
            prop_assert_eq!(z.role, g.role);
            prop_assert_eq!(z.rate, g.rate);
            prop_assert_eq!(&z.aliases, &g.aliases);
            let codes: Vec<(Ipv4Net, String)> = g
                .codes
                .iter()
                .map(|(o, m)| (Ipv4Net::from(Ipv4Addr::new(127, 0, 0, *o)), m.clone()))
                .collect();
            let mut got_codes = z.codes.clone();
            got_codes.sort_by_key(|(n, _)| *n);
            prop_assert_eq!(got_codes, codes);
            let bits: Vec<(u8, String)> = g.bits.iter().map(|(b, m)| (1u8 << b, m.clone())).collect();
            prop_assert_eq!(&z.bits, &bits);
        }
    }

    #[test]
    fn one_invalid_key_is_refused_with_a_line_of_its_zone(
        zs in zones(),
        at in any::<prop::sample::Index>(),
        bad in bad(),
    ) {
        let k = at.index(zs.len());
        prop_assume!(!matches!(bad, Bad::Duplicate) || k > 0);
        let mut lines: Vec<String> = Vec::new();
        let mut section = 0..0;
        let mut exact = None;
        for (i, z) in zs.iter().enumerate() {
            let mut zl = render(z);
            if i == k {
                match &bad {
                    Bad::ZoneName(n) => zl[1] = format!("zone = \"{n}\""),
                    Bad::Name(n) => zl[2] = format!("name = \"{n}\""),
                    Bad::Key(line, _) => {
                        let key = format!("{} =", line.split('=').next().unwrap_or("").trim());
                        zl.retain(|l| !l.starts_with(&key));
                        zl.insert(7, line.to_string());
                    }
                    Bad::Table(table, key, _) => {
                        // Its own table at the end (codes and bits of the
                        // generated zone dropped, so that "bits" does not
                        // meet "codes").
                        zl.retain(|l| !l.starts_with('[') || l == "[[zone]]");
                        zl.retain(|l| !l.starts_with('"'));
                        zl.push(format!("[zone.{table}]"));
                        let meaning = if key.contains("250") { "  " } else { "x" };
                        zl.push(format!("{key} = \"{meaning}\""));
                        exact = Some(lines.len() + zl.len());
                    }
                    Bad::Duplicate => {
                        zl[1] = format!("zone = \"{}\"", zs[0].zone);
                        exact = Some(lines.len() + 2);
                    }
                }
                section = lines.len() + 1..lines.len() + zl.len() + 1;
            }
            lines.extend(zl);
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let e = load(&text).map(|c| c.zones.len()).unwrap_err();
        check_error(&text, &e)?;
        let line = e.line.unwrap_or(0);
        prop_assert!(section.contains(&line), "line {} not in {:?}: {}\n{}", line, section, e, text);
        if let Some(want) = exact {
            prop_assert_eq!(line, want, "{}\n{}", e, text);
        }
        let want = match &bad {
            Bad::ZoneName(_) => "is not a valid DNS zone",
            Bad::Name(_) => "has an empty name",
            Bad::Key(_, w) | Bad::Table(_, _, w) => w,
            Bad::Duplicate => "is defined twice",
        };
        prop_assert!(e.message.contains(want), "{:?} lacks {:?}", e.message, want);
    }
}
