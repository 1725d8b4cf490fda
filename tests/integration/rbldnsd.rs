//! End to end against rbldnsd, the server real blocklists run on.
//!
//! Skipped (with a message) when rbldnsd is not installed, unless
//! BLOCKLENS_REQUIRE_RBLDNSD=1 is set, in which case a missing rbldnsd fails
//! the test. `.ci/run` installs it and sets the variable.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{Run, blocklens, has_result, result};

const IP_DATA: &str = "\
$SOA 60 ns.rbl.test hostmaster.rbl.test 0 600 300 86400 60
$NS 60 ns.rbl.test
:127.0.0.2:Listed by the test RBL, see https://rbl.example/?ip=$
127.0.0.2
192.0.2.10
:127.0.0.4:Exploited host $
198.51.100.0/24
!198.51.100.77
";

const IP6_DATA: &str = "\
:127.0.0.2:IPv6 listed, see https://rbl.example/?ip=$
::ffff:127.0.0.2/128
2001:db8:bad::/48
";

const DOMAIN_DATA: &str = "\
$SOA 60 ns.rbl.test hostmaster.rbl.test 0 600 300 86400 60
$NS 60 ns.rbl.test
:127.0.1.2:Spam domain $
test
.spam.example
";

const CATALOG: &str = r#"
[[zone]]
zone = "bl.rbl.test"
name = "rbldnsd IP list"
targets = "ip"
ipv6 = true
lookup_url = "https://rbl.example/?ip={target}"
notes = "served by rbldnsd in the test"
[zone.codes]
"127.0.0.2" = "spam source"
"127.0.0.4" = "exploited host"

[[zone]]
zone = "dbl.rbl.test"
name = "rbldnsd domain list"
targets = "domain"
lookup_url = "https://rbl.example/?d={target}"
notes = "served by rbldnsd in the test"
[zone.codes]
"127.0.1.2" = "spam domain"
"#;

pub(crate) fn find_rbldnsd() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("rbldnsd"))
        .find(|p| p.is_file())
}

pub(crate) struct Rbldnsd {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Rbldnsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn write_world_readable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

fn start(dir: &Path, exe: &Path) -> Rbldnsd {
    // rbldnsd drops to user rbldns when started as root: its files must be readable.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ip = dir.join("ip.txt");
    let ip6 = dir.join("ip6.txt");
    let dom = dir.join("domains.txt");
    write_world_readable(&ip, IP_DATA);
    write_world_readable(&ip6, IP6_DATA);
    write_world_readable(&dom, DOMAIN_DATA);
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(exe)
        .arg("-n")
        .arg("-b")
        .arg(format!("127.0.0.1/{port}"))
        .arg(format!("bl.rbl.test:ip4set:{}", ip.display()))
        .arg(format!("bl.rbl.test:ip6trie:{}", ip6.display()))
        .arg(format!("dbl.rbl.test:dnset:{}", dom.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rbldnsd starts");
    Rbldnsd { child, port }
}

fn run(server: &Rbldnsd, catalog: &Path, args: &[&str]) -> Run {
    blocklens()
        .arg("--resolver")
        .arg(format!("127.0.0.1:{}", server.port))
        .arg("--lists")
        .arg(catalog)
        .arg("--timeout")
        .arg("500ms")
        .args(args)
        .output()
        .unwrap()
        .into()
}

#[test]
fn end_to_end_against_rbldnsd() {
    let Some(exe) = find_rbldnsd() else {
        if std::env::var("BLOCKLENS_REQUIRE_RBLDNSD").as_deref() == Ok("1") {
            panic!(
                "rbldnsd is not installed but BLOCKLENS_REQUIRE_RBLDNSD=1 (apt-get install rbldnsd)"
            );
        }
        eprintln!(
            "SKIPPED end_to_end_against_rbldnsd: rbldnsd is not installed (apt-get install rbldnsd)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(&catalog, CATALOG).unwrap();
    let server = start(dir.path(), &exe);

    // Wait until rbldnsd has loaded its data: its test points answer.
    let mut health = None;
    for _ in 0..50 {
        let r = run(&server, &catalog, &["zones", "--health", "--json"]);
        if r.code == 0 {
            health = Some(r);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let health = health.expect("rbldnsd's zones become healthy (all test points answer)");
    assert_eq!(
        health.json().as_array().unwrap().len(),
        3,
        "ipv4, ipv6 and domain test points"
    );

    let r = run(
        &server,
        &catalog,
        &[
            "check",
            "192.0.2.10",
            "198.51.100.5",
            "198.51.100.77",
            "192.0.2.99",
            "2001:db8:bad::1",
            "2001:db8:900d::1",
            "www.spam.example",
            "ham.example",
            "--json",
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let reports = r.json();
    let status = |i: usize, zone: &str| {
        result(&reports[i], zone)["status"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let listed = result(&reports[0], "bl.rbl.test");
    assert_eq!(listed["status"], "listed");
    assert_eq!(listed["meanings"], serde_json::json!(["spam source"]));
    assert_eq!(
        listed["txt"],
        serde_json::json!(["Listed by the test RBL, see https://rbl.example/?ip=192.0.2.10"])
    );
    let cidr = result(&reports[1], "bl.rbl.test");
    assert_eq!(cidr["meanings"], serde_json::json!(["exploited host"]));
    assert_eq!(status(2, "bl.rbl.test"), "not_listed", "excluded with !");
    assert_eq!(status(3, "bl.rbl.test"), "not_listed");
    assert_eq!(reports[3]["verdict"], "clean");
    assert_eq!(status(4, "bl.rbl.test"), "listed", "IPv6 /48");
    assert_eq!(status(5, "bl.rbl.test"), "not_listed");
    assert_eq!(status(6, "dbl.rbl.test"), "listed");
    assert!(!has_result(&reports[6], "bl.rbl.test"));
    assert_eq!(status(7, "dbl.rbl.test"), "not_listed");
}
