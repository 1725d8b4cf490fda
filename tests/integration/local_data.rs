//! Zones answered from local rbldnsd data files (`--zone-data`, a catalog
//! zone's `data`): the same reports, byte for byte, as rbldnsd serving the
//! same files over DNS, and no query sent for them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{Run, blocklens, ndjson, result};
use crate::rbldnsd::{Rbldnsd, find_rbldnsd, write_world_readable};

const CATALOG: &str = r#"
[[zone]]
zone = "bl.local.test"
name = "Local IP list"
targets = "ip"
ipv6 = true
lookup_url = "https://rbl.example/?ip={target}"
[zone.codes]
"127.0.0.2" = "spam source"
"127.0.0.3" = "snowshoe range"
"127.0.0.4" = "exploited host"

[[zone]]
zone = "nopoint.local.test"
name = "List without its test point"
targets = "ip"
txt = false
[zone.codes]
"127.0.0.2" = "listed"
"#;

/// Ranges, CIDRs, exclusions, per-entry values and `$` in TXT.
const IP4SET: &str = "\
:127.0.0.2:Listed, see https://rbl.example/?ip=$
127.0.0.2
198.51.100.7
198.51.100.16/28
!198.51.100.20
198.51.100.40-198.51.100.60
198.51.100.90 :127.0.0.4:Exploited host $ (per entry)
:127.0.0.3:Snowshoe range
198.51.100.128/26
!198.51.100.130
198.51.100.250
";

const IP6TRIE: &str = "\
:127.0.0.2:IPv6 listed, see https://rbl.example/?ip=$
::ffff:127.0.0.2/128
2001:db8:bad::/48
";

const NO_TEST_POINT: &str = "198.51.100.7\n";

struct Files {
    _dir: tempfile::TempDir,
    catalog: std::path::PathBuf,
    ip4: String,
    ip6: String,
    nopoint: String,
    dir: std::path::PathBuf,
}

fn files() -> Files {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let p = |n: &str| dir.path().join(n);
    write_world_readable(&p("ip4.txt"), IP4SET);
    write_world_readable(&p("ip6.txt"), IP6TRIE);
    write_world_readable(&p("nopoint.txt"), NO_TEST_POINT);
    std::fs::write(p("catalog.toml"), CATALOG).unwrap();
    Files {
        catalog: p("catalog.toml"),
        ip4: p("ip4.txt").display().to_string(),
        ip6: p("ip6.txt").display().to_string(),
        nopoint: p("nopoint.txt").display().to_string(),
        dir: dir.path().to_path_buf(),
        _dir: dir,
    }
}

fn start_rbldnsd(exe: &Path, f: &Files) -> Rbldnsd {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(exe)
        .args(["-n", "-b", &format!("127.0.0.1/{port}")])
        .arg(format!("bl.local.test:ip4set:{}", f.ip4))
        .arg(format!("bl.local.test:ip6trie:{}", f.ip6))
        .arg(format!("nopoint.local.test:ip4set:{}", f.nopoint))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rbldnsd starts");
    Rbldnsd { child, port }
}

fn blocklens_run(f: &Files, resolver: &str, args: &[&str]) -> Run {
    blocklens()
        .args([
            "--resolver",
            resolver,
            "--lists",
            f.catalog.to_str().unwrap(),
        ])
        .args(["--timeout", "500ms"])
        .args(args)
        .output()
        .unwrap()
        .into()
}

/// The same arguments, answered from local data. The resolver is a port
/// where nothing listens: a query sent for these zones would time out.
fn local_args(f: &Files) -> Vec<String> {
    vec![
        "--zone-data".into(),
        format!("bl.local.test:ip4set:{}", f.ip4),
        "--zone-data".into(),
        format!("bl.local.test:ip6trie:{}", f.ip6),
        "--zone-data".into(),
        format!("nopoint.local.test:ip4set:{}", f.nopoint),
    ]
}

/// Output with the one thing that differs by design, where the answers came
/// from ("through 127.0.0.1:PORT" or "through local data ..."), made equal.
fn same_resolver(out: &str) -> String {
    out.lines()
        .map(|line| {
            let mut s = line.to_string();
            let mut from = 0;
            while let Some(start) = s[from..].find("through ").map(|i| i + from) {
                let Some(len) = s[start..].find(": the resolver") else {
                    break;
                };
                s.replace_range(start..start + len, "via RESOLVER");
                from = start + 1;
            }
            // The nameserver that answered, or none for local data.
            s = s.replace("\"resolver\": ", "\"resolver\":");
            while let Some(start) = s.find("\"resolver\":\"") {
                let from = start + 12;
                let end = s[from..].find('"').map_or(s.len(), |e| from + e + 1);
                s.replace_range(start..end, "\"resolver\":null");
            }
            s + "\n"
        })
        .collect()
}

fn rbldnsd_or_skip() -> Option<std::path::PathBuf> {
    let exe = find_rbldnsd();
    if exe.is_none() {
        assert_ne!(
            std::env::var("BLOCKLENS_REQUIRE_RBLDNSD").as_deref(),
            Ok("1"),
            "rbldnsd is not installed but BLOCKLENS_REQUIRE_RBLDNSD=1"
        );
        eprintln!("SKIPPED local data against rbldnsd: rbldnsd is not installed");
    }
    exe
}

#[test]
fn local_data_gives_the_reports_rbldnsd_gives_over_dns() {
    let Some(exe) = rbldnsd_or_skip() else {
        return;
    };
    let f = files();
    let server = start_rbldnsd(&exe, &f);
    let via_dns = format!("127.0.0.1:{}", server.port);
    let nowhere = "127.0.0.1:1";
    for _ in 0..50 {
        let r = blocklens_run(
            &f,
            &via_dns,
            &["zones", "--health", "--zone", "bl.local.test"],
        );
        if r.code == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let local = local_args(&f);
    let local: Vec<&str> = local.iter().map(String::as_str).collect();
    let zones = ["--zone", "bl.local.test", "--zone", "nopoint.local.test"];
    // A whole /24 (the scan's local path) and IPv4 and IPv6 checks.
    let scan = ["scan", "198.51.100.0/24", "--format", "ndjson", "-q"];
    let check = [
        "check",
        "198.51.100.7",
        "198.51.100.20",
        "198.51.100.90",
        "198.51.100.131",
        "2001:db8:bad::1",
        "2001:db8:600d::1",
        "--json",
    ];
    for args in [&scan[..], &check[..]] {
        let dns = blocklens_run(&f, &via_dns, &[args, &zones[..]].concat());
        let mem = blocklens_run(&f, nowhere, &[args, &zones[..], &local[..]].concat());
        assert_eq!(dns.code, mem.code, "{args:?}\n{dns:?}\n{mem:?}");
        assert!(!dns.stdout.is_empty());
        let (dns_out, mem_out) = (same_resolver(&dns.stdout), same_resolver(&mem.stdout));
        for (a, b) in dns_out.lines().zip(mem_out.lines()) {
            assert_eq!(a, b, "{args:?}: local data and rbldnsd disagree");
        }
        assert_eq!(dns_out.lines().count(), mem_out.lines().count());
        assert!(
            mem.stderr
                .contains("bl.local.test is answered from local data: "),
            "{}",
            mem.stderr
        );
    }
    // The answers are the data's: codes, meanings, per-entry values, `$`.
    let mem = blocklens_run(&f, nowhere, &[&check[..], &zones[..], &local[..]].concat());
    let reports = mem.json();
    let z = result(&reports[2], "bl.local.test");
    assert_eq!(z["answers"][0], "127.0.0.4");
    assert_eq!(z["meanings"][0], "exploited host");
    assert_eq!(z["txt"][0], "Exploited host 198.51.100.90 (per entry)");
    assert_eq!(
        result(&reports[1], "bl.local.test")["status"],
        "not_listed",
        "excluded"
    );
    // A zone whose data lacks 127.0.0.2 has not proved its NXDOMAIN.
    assert_eq!(
        result(&reports[3], "nopoint.local.test")["status"],
        "unusable"
    );
}

#[test]
fn a_catalog_zone_can_point_at_its_data_and_bad_data_is_reported() {
    let f = files();
    let catalog = f.dir.join("with-data.toml");
    // A relative path is relative to the catalog file.
    std::fs::write(
        &catalog,
        CATALOG.replace(
            "name = \"Local IP list\"",
            "name = \"Local IP list\"\ndata = \"ip4set:ip4.txt\"",
        ),
    )
    .unwrap();
    let r: Run = blocklens()
        .args([
            "--resolver",
            "127.0.0.1:1",
            "--timeout",
            "300ms",
            "--attempts",
            "1",
        ])
        .args(["--lists", catalog.to_str().unwrap()])
        .args([
            "scan",
            "198.51.100.0/26",
            "--zone",
            "bl.local.test",
            "--format",
            "ndjson",
            "--only-listed",
            "-q",
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{r:?}");
    let listed: Vec<String> = ndjson(&r.stdout)
        .iter()
        .map(|rep| rep["target"].as_str().unwrap().to_string())
        .collect();
    let mut expected = vec!["198.51.100.7".to_string()];
    expected.extend(
        (16..32)
            .filter(|i| *i != 20)
            .map(|i| format!("198.51.100.{i}")),
    );
    expected.extend((40..=60).map(|i| format!("198.51.100.{i}")));
    assert_eq!(listed, expected);
    // A bad line is skipped, as rbldnsd does, and said with file:line.
    let bad = f.dir.join("bad.txt");
    std::fs::write(&bad, "127.0.0.2\n198.51.100.7\n198.51.100.999\n").unwrap();
    let r = blocklens_run(
        &f,
        "127.0.0.1:1",
        &[
            "check",
            "198.51.100.7",
            "--zone-data",
            &format!("bl.local.test:ip4set:{}", bad.display()),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("bad.txt:3"), "{}", r.stderr);
    // A missing file or an unknown type is exit 2, one line.
    for spec in [
        "bl.local.test:ip4set:/nonexistent/x.txt",
        "bl.local.test:ip9set:/tmp/x",
    ] {
        let r = blocklens_run(
            &f,
            "127.0.0.1:1",
            &["check", "198.51.100.7", "--zone-data", spec],
        );
        assert_eq!(r.code, 2, "{spec}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
}
