//! Watching over time from the command line: Nagios and Prometheus output,
//! the state database (listed since, changes, history), the webhook, a
//! domain's infrastructure, the configuration file, and `serve`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Run, TestServer, blocklens, result, run, run_bare, test_catalog};

/// A sample of `name` with `labels` in Prometheus text, parsed by a real parser.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let scrape =
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parses");
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

#[test]
fn nagios_states_thresholds_and_bad_input() {
    let r = run(&[
        "check",
        "192.0.2.10",
        "--zone",
        "bl.test",
        "--format",
        "nagios",
    ]);
    assert_eq!(r.code, 2, "any listing is CRITICAL: {r:?}");
    assert!(
        r.stdout.starts_with("BLOCKLENS CRITICAL - "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().next().unwrap().contains(" | "),
        "perfdata: {}",
        r.stdout
    );
    let r = run(&[
        "check",
        "192.0.2.10",
        "--zone",
        "bl.test",
        "--zone",
        "v4only.test",
        "--format",
        "nagios",
        "--warning",
        "1",
        "--critical",
        "3",
    ]);
    assert_eq!(r.code, 1, "2 listings: WARNING: {r:?}");
    let r = run(&[
        "check",
        "192.0.2.99",
        "--zone",
        "bl.test",
        "--zone",
        "silent.test",
        "--format",
        "nagios",
        "--timeout",
        "200ms",
        "--attempts",
        "1",
    ]);
    assert_eq!(
        r.code, 3,
        "a list that did not answer is UNKNOWN, never OK: {r:?}"
    );
    assert!(r.stdout.starts_with("BLOCKLENS UNKNOWN"), "{}", r.stdout);
    let r = run(&["check", "192.0.2.999", "--format", "nagios"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout.starts_with("BLOCKLENS UNKNOWN - bad input: "),
        "{}",
        r.stdout
    );
    let r = run(&["scan", "192.0.2.0/30", "--format", "nagios"]);
    assert_eq!(r.code, 3, "bad input in plugin mode is UNKNOWN: {r:?}");
}

#[test]
fn prometheus_text_has_samples_only_for_conclusive_answers() {
    let r = run(&[
        "check",
        "192.0.2.10",
        "--zone",
        "bl.test",
        "--zone",
        "silent.test",
        "--format",
        "prometheus",
        "--timeout",
        "200ms",
        "--attempts",
        "1",
    ]);
    let text = &r.stdout;
    fn l(zone: &str) -> [(&str, &str); 2] {
        [("target", "192.0.2.10"), ("zone", zone)]
    }
    assert_eq!(
        sample(text, "blocklens_listed", &l("bl.test")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(text, "blocklens_listed", &l("silent.test")),
        None,
        "{text}"
    );
    assert_eq!(
        sample(text, "blocklens_lookup_error", &l("silent.test")),
        Some(1.0)
    );
    assert_eq!(
        sample(text, "blocklens_zone_usable", &[("zone", "bl.test")]),
        Some(1.0)
    );
    assert_eq!(
        sample(text, "blocklens_zone_usable", &[("zone", "silent.test")]),
        Some(0.0)
    );
    if Path::new("/usr/bin/promtool").exists() {
        let mut child = std::process::Command::new("/usr/bin/promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "promtool check metrics");
    }
}

/// An HTTP receiver on 127.0.0.1 that answers 200 and keeps every body.
fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            kept.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned());
            let mut s = stream;
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, bodies)
}

#[test]
fn state_history_changes_and_one_webhook_per_change() {
    let dir = tempfile::tempdir().unwrap();
    let (quiet, listing) = (dir.path().join("quiet.txt"), dir.path().join("listing.txt"));
    std::fs::write(&quiet, "127.0.0.2\n").unwrap();
    std::fs::write(&listing, "127.0.0.2\n192.0.2.99\n").unwrap();
    let state = dir.path().join("state.db");
    let (url, bodies) = receiver();
    // Local data stands in for a list whose data changes between rounds.
    let round = |data: &Path, extra: &[&str]| {
        let spec = format!("bl.test:ip4set:{}", data.display());
        let mut args = vec![
            "check",
            "192.0.2.99",
            "--zone",
            "bl.test",
            "--zone-data",
            &spec,
        ];
        args.extend(["--state", state.to_str().unwrap(), "--notify", &url]);
        args.extend(extra);
        run(&args)
    };
    assert_eq!(round(&quiet, &[]).code, 0);
    let r = round(&listing, &["--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let z = result(&r.json()[0], "bl.test").clone();
    assert_eq!(z["change"], "listed");
    assert!(z["listed_since"].as_str().unwrap().ends_with('Z'), "{z}");
    // Still listed: nothing changed, so --only-changes says nothing, exit 0.
    let r = round(&listing, &["--only-changes"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    let r = round(&quiet, &["--only-changes"]);
    assert!(r.stdout.contains("delisted"), "{}", r.stdout);
    let bodies = bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2, "one event per change: {bodies:?}");
    assert!(
        bodies[0].contains("\"kind\":\"listed\"") && bodies[1].contains("\"kind\":\"delisted\"")
    );
    let r = run_bare(&["history", "192.0.2.99", "--state", state.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let listed = r.stdout.find("listed ").expect("a listed event");
    let delisted = r.stdout.find("delisted").expect("a delisted event");
    assert!(listed < delisted, "{}", r.stdout);
    let r = run_bare(&["history", "192.0.2.99", "--state", "/nonexistent/state.db"]);
    assert_eq!(r.code, 2);
}

#[test]
fn infra_checks_every_address_a_domain_sends_from_with_where_it_came_from() {
    let r = run(&[
        "check",
        "--infra",
        "infra.test",
        "--zone",
        "bl.test",
        "--zone",
        "dom.test",
        "--json",
    ]);
    let reports = r.json();
    let mx1 = reports
        .as_array()
        .unwrap()
        .iter()
        .find(|rep| rep["target"] == "192.0.2.25")
        .expect("mx1's address is checked");
    assert!(
        mx1["sources"].to_string().contains("MX mx1.infra.test"),
        "{mx1}"
    );
    assert!(
        reports
            .as_array()
            .unwrap()
            .iter()
            .any(|rep| rep["target"] == "infra.test")
    );
    assert!(
        r.stderr.contains("203.0.113.0/24") && r.stderr.contains("blocklens scan"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_configuration_file_and_blocklens_resolver_fill_what_options_leave_out() {
    let server = TestServer::shared().addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        format!(
            "targets = [\"192.0.2.10\"]\nresolvers = [\"{server}\"]\nlists = \"{}\"\nzones = [\"bl.test\"]\n",
            test_catalog().display()
        ),
    )
    .unwrap();
    let r = run_bare(&["check", "--config", file.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()[0]["target"], "192.0.2.10");
    std::fs::write(&file, "targtes = [\"192.0.2.10\"]\n").unwrap();
    let r = run_bare(&["check", "--config", file.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("config.toml:1"), "{}", r.stderr);
    let r: Run = blocklens()
        .env("BLOCKLENS_RESOLVER", &server)
        .args(["--lists", test_catalog().to_str().unwrap()])
        .args(["check", "192.0.2.10", "--zone", "bl.test", "--json"])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{r:?}");
}

fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((code, body))
}

#[test]
fn serve_answers_metrics_from_its_last_round_and_stops_on_sigterm() {
    let server = TestServer::shared().addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets.txt");
    std::fs::write(&targets, "192.0.2.10\n192.0.2.99\n").unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = blocklens()
        .args([
            "serve",
            "--resolver",
            &server,
            "--lists",
            test_catalog().to_str().unwrap(),
        ])
        .args(["--zone", "bl.test", "--targets", targets.to_str().unwrap()])
        .args(["--listen", &listen, "--interval", "10s"])
        .spawn()
        .unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if http_get(&listen, "/healthz").is_some_and(|(c, _)| c == 200) {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "serve completed a round");
    let (code, body) = http_get(&listen, "/metrics").unwrap();
    assert_eq!(code, 200);
    let l = [("target", "192.0.2.10"), ("zone", "bl.test")];
    assert_eq!(sample(&body, "blocklens_listed", &l), Some(1.0), "{body}");
    let l = [("target", "192.0.2.99"), ("zone", "bl.test")];
    assert_eq!(sample(&body, "blocklens_listed", &l), Some(0.0));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a clean stop");
}
