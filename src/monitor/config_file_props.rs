//! Property tests for the configuration file: no text panics the parser,
//! every error is `file[:line]: message` with a line that exists, generated
//! valid files parse to the values written, and one bad value is refused
//! naming its own line.

use super::*;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

const PATH: &str = "/etc/blocklens/config.toml";

fn parse(text: &str) -> Result<ConfigFile, ConfigFileError> {
    ConfigFile::parse(Path::new(PATH), text)
}

fn check_error(text: &str, e: &ConfigFileError) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.path.as_path(), Path::new(PATH));
    crate::prop_support::file_error_shape(PATH, text, e.line, &e.message, &e.to_string())
}

/// A generated file: its lines, and what each key should parse to.
#[derive(Clone, Debug, Default)]
struct Gen {
    lines: Vec<String>,
    targets: Vec<Target>,
    resolvers: Vec<SocketAddr>,
    timeout_s: Option<u64>,
    interval_s: Option<u64>,
    attempts: Option<usize>,
    concurrency: Option<usize>,
    rate: Option<u32>,
    warning: Option<u32>,
    critical: Option<u32>,
    listen: Option<SocketAddr>,
    zones: Vec<String>,
    all_zones: Option<bool>,
}

fn target() -> impl Strategy<Value = (String, Target)> {
    prop_oneof![
        any::<Ipv4Addr>().prop_map(|a| (a.to_string(), Target::Ip(IpAddr::V4(a)))),
        any::<std::net::Ipv6Addr>().prop_map(|a| (a.to_string(), Target::Ip(IpAddr::V6(a)))),
        "[a-z]{1,10}\\.[a-z]{2,5}".prop_map(|d| (d.clone(), Target::Domain(d))),
    ]
}

fn resolver() -> impl Strategy<Value = (String, SocketAddr)> {
    (any::<Ipv4Addr>(), proptest::option::of(1u16..)).prop_map(|(a, p)| match p {
        Some(p) => (format!("{a}:{p}"), SocketAddr::new(a.into(), p)),
        None => (a.to_string(), SocketAddr::new(a.into(), 53)),
    })
}

fn gen_file() -> impl Strategy<Value = Gen> {
    (
        proptest::collection::vec(target(), 0..4),
        proptest::collection::vec(resolver(), 0..3),
        proptest::option::of(1u64..=300),
        proptest::option::of(10u64..=86_400),
        (
            proptest::option::of(1usize..=10),
            proptest::option::of(1usize..=4096),
            proptest::option::of(1u32..=1_000_000),
        ),
        (
            proptest::option::of(1u32..=1000),
            proptest::option::of(1u32..=1000),
        ),
        proptest::option::of((any::<Ipv4Addr>(), any::<u16>())),
        proptest::collection::vec("[a-z]{1,8}\\.[a-z]{2,4}", 0..3),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(
                targets,
                resolvers,
                timeout,
                interval,
                (attempts, concurrency, rate),
                (warning, critical),
                listen,
                zones,
                all_zones,
            )| {
                let mut g = Gen::default();
                let quoted = |v: &[String]| {
                    v.iter()
                        .map(|s| format!("\"{s}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if !targets.is_empty() {
                    let t: Vec<String> = targets.iter().map(|(s, _)| s.clone()).collect();
                    g.lines.push(format!("targets = [{}]", quoted(&t)));
                    g.targets = targets.into_iter().map(|(_, t)| t).collect();
                }
                if !resolvers.is_empty() {
                    let r: Vec<String> = resolvers.iter().map(|(s, _)| s.clone()).collect();
                    g.lines.push(format!("resolvers = [{}]", quoted(&r)));
                    g.resolvers = resolvers.into_iter().map(|(_, r)| r).collect();
                }
                if let Some(ms) = timeout {
                    g.lines.push(format!("timeout = \"{ms}s\""));
                    g.timeout_s = Some(ms);
                }
                if let Some(s) = interval {
                    g.lines.push(format!("interval = \"{s}s\""));
                    g.interval_s = Some(s);
                }
                for (key, v) in [("attempts", attempts), ("concurrency", concurrency)] {
                    if let Some(v) = v {
                        g.lines.push(format!("{key} = {v}"));
                    }
                }
                g.attempts = attempts;
                g.concurrency = concurrency;
                for (key, v) in [("rate", rate), ("warning", warning), ("critical", critical)] {
                    if let Some(v) = v {
                        g.lines.push(format!("{key} = {v}"));
                    }
                }
                (g.rate, g.warning, g.critical) = (rate, warning, critical);
                if let Some((a, p)) = listen {
                    g.lines.push(format!("listen = \"{a}:{p}\""));
                    g.listen = Some(SocketAddr::new(a.into(), p));
                }
                if !zones.is_empty() {
                    g.lines.push(format!("zones = [{}]", quoted(&zones)));
                    g.zones = zones;
                }
                if let Some(b) = all_zones {
                    g.lines.push(format!("all_zones = {b}"));
                    g.all_zones = Some(b);
                }
                g
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_parses_or_names_file_and_line(
        text in prop_oneof![
            any::<String>(),
            proptest::collection::vec(
                prop_oneof![
                    Just("targets = [\"192.0.2.1\", \"x\"]\n"), Just("resolvers = [\"::1\"]\n"),
                    Just("timeout = \"2s\"\n"), Just("timeout = \"0s\"\n"), Just("attempts = 99\n"),
                    Just("interval = \"1s\"\n"), Just("listen = \"x\"\n"), Just("notify = \"https://h.example\"\n"),
                    Just("notify = \"ftp://h\"\n"), Just("notify_timeout = \"1s\"\n"), Just("rate = -1\n"),
                    Just("colour = 1\n"), Just("=\n"), Just("\""), Just("[\n"), Just("é"), Just("\n"), Just("#"),
                ],
                0..20,
            ).prop_map(|p| p.concat()),
        ],
    ) {
        match parse(&text) {
            Ok(c) => {
                prop_assert_eq!(c.path, PathBuf::from(PATH));
                prop_assert!(c.attempts.is_none_or(|n| (1..=10).contains(&n)));
                prop_assert!(c.interval.is_none_or(|d| d >= Duration::from_secs(10) && d <= Duration::from_secs(86_400)));
            }
            Err(e) => check_error(&text, &e)?,
        }
    }

    #[test]
    fn generated_files_parse_to_their_values(g in gen_file(), lists in proptest::option::of("[a-z]{1,8}")) {
        let mut lines = g.lines.clone();
        if let Some(l) = &lists {
            lines.push(format!("lists = \"{l}\""));
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let c = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&c.targets, &g.targets);
        prop_assert_eq!(&c.resolvers, &g.resolvers);
        prop_assert_eq!(c.timeout, g.timeout_s.map(Duration::from_secs));
        prop_assert_eq!(c.interval, g.interval_s.map(Duration::from_secs));
        prop_assert_eq!(c.attempts, g.attempts);
        prop_assert_eq!(c.concurrency, g.concurrency);
        prop_assert_eq!((c.rate, c.warning, c.critical), (g.rate, g.warning, g.critical));
        prop_assert_eq!(c.listen, g.listen);
        prop_assert_eq!(&c.zones, &g.zones);
        prop_assert_eq!(c.all_zones, g.all_zones);
        // Relative paths are relative to the file's directory.
        prop_assert_eq!(c.lists, lists.map(|l| PathBuf::from("/etc/blocklens").join(l)));
    }

    #[test]
    fn one_bad_value_is_refused_naming_its_line(
        g in gen_file(),
        at in any::<prop::sample::Index>(),
        bad in prop_oneof![
            Just(("attempts = 0", "out of range (1 to 10)")),
            Just(("attempts = 11", "out of range (1 to 10)")),
            Just(("concurrency = 5000", "out of range (1 to 4096)")),
            Just(("rate = -3", "out of range")),
            Just(("warning = 1001", "out of range (1 to 1000)")),
            Just(("critical = 0", "out of range (1 to 1000)")),
            Just(("targets = [\"exa mple.org\"]", "neither an IP address nor a valid domain name")),
            Just(("targets = [\"192.0.2.0/24\"]", "network range")),
            Just(("resolvers = [\"not-a-resolver\"]", "")),
            Just(("timeout = \"0s\"", "must be more than zero")),
            Just(("timeout = \"10m\"", "5 minute maximum")),
            Just(("timeout = \"soon\"", "is not a duration")),
            Just(("interval = \"5s\"", "out of range (10s to 24h)")),
            Just(("interval = \"2days\"", "out of range (10s to 24h)")),
            Just(("interval = \"often\"", "is not a duration")),
            Just(("listen = \"nowhere\"", "is not an address and port")),
            Just(("notify = \"ftp://hooks.example/x\"", "http:// or https://")),
            Just(("notify_timeout = \"3s\"", "notify_timeout is set but notify is not")),
            Just(("attempts = \"2\"", "")),
            Just(("colour = \"red\"", "colour")),
        ],
    ) {
        let (bad, want) = bad;
        let key = format!("{} =", bad.split('=').next().unwrap().trim());
        let mut lines: Vec<String> = g.lines.into_iter().filter(|l| !l.starts_with(&key)).collect();
        let k = at.index(lines.len() + 1);
        lines.insert(k, bad.to_string());
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let e = parse(&text).unwrap_err();
        check_error(&text, &e)?;
        prop_assert_eq!(e.line, Some(k + 1), "{}\n{}", e, text);
        prop_assert!(e.message.contains(want), "{:?} lacks {:?}", e.message, want);
    }
}
