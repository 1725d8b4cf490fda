//! The scan engine on the bulk DNS path (`engine::BulkScan`) against the
//! in-process servers: the same reports as the future-per-target path, in
//! input order, a rate-capped zone never holding back the others' queries,
//! Ctrl-C and a failing writer stopping after complete reports, and zones
//! with local data answered from memory in a scan that also asks DNS.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use blocklens::catalog::{Catalog, Zone};
use blocklens::config::EngineOptions;
use blocklens::dns::{Answer, BulkQuery, Client, Dns, Feed, Next, RecordType, ResolverSettings};
use blocklens::engine::{self, BulkScan, ScanError, ScanOutput};
use blocklens::report::{Report, ScanStats};
use blocklens::sources::{Block, Shard, parse_block};

use crate::common::hostile::{Act, Hostile};
use crate::common::{Run, TestServer, blocklens, ndjson, result, test_catalog};

fn client(servers: &[SocketAddr]) -> Client {
    Client::new(&ResolverSettings {
        servers: servers.to_vec(),
        timeout: Duration::from_secs(1),
        attempts: 2,
    })
    .expect("sockets on loopback")
}

/// The test catalog's zones named `names`, in catalog order.
fn zones(names: &[&str]) -> Vec<Zone> {
    Catalog::load(&test_catalog())
        .expect("the test catalog loads")
        .zones
        .into_iter()
        .filter(|z| names.contains(&z.zone.as_str()))
        .collect()
}

fn blocks(sources: &[&str]) -> Vec<Block> {
    sources.iter().map(|s| parse_block(s).unwrap()).collect()
}

fn opts(concurrency: usize) -> EngineOptions {
    EngineOptions {
        concurrency,
        rate: None,
    }
}

/// What a bulk scan emitted, and what it returned.
#[derive(Default)]
struct Scanned {
    reports: Vec<Report>,
    /// Queries the scan had sent when each report was emitted.
    sent_at_emit: Vec<u64>,
    /// Reports emitted when the scan paused (its output would flush).
    pauses: Vec<usize>,
    sent: Arc<AtomicU64>,
    cancel_after: Option<usize>,
    cancel: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ScanOutput for &mut Scanned {
    fn report(&mut self, report: Report, _: &ScanStats) -> std::io::Result<()> {
        self.reports.push(report);
        self.sent_at_emit.push(self.sent.load(Ordering::Relaxed));
        if self.cancel_after == Some(self.reports.len()) {
            self.cancel.take().map(|tx| tx.send(()));
        }
        Ok(())
    }

    fn pause(&mut self) -> std::io::Result<()> {
        self.pauses.push(self.reports.len());
        Ok(())
    }
}

async fn bulk_scan(
    client: &Client,
    zones: &[Zone],
    blocks: &[Block],
    opts: &EngineOptions,
    cancel_after: Option<usize>,
) -> (Scanned, Result<ScanStats, ScanError>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut got = Scanned {
        cancel_after,
        cancel: Some(tx),
        ..Scanned::default()
    };
    let scan = BulkScan {
        client,
        probes: Arc::new(client_like(client)) as Arc<dyn Dns>,
        local: None,
        zones,
        opts,
        budget: Duration::from_secs(2),
        sent: Arc::clone(&got.sent),
    };
    let cancel = async move {
        if rx.await.is_err() {
            futures::future::pending::<()>().await;
        }
    };
    let outcome = scan.run(blocks, Shard::default(), cancel, &mut got).await;
    (got, outcome)
}

/// A second client to the same servers, for the test points (the scan
/// binary sends them through the run's layers over the same client).
fn client_like(c: &Client) -> Client {
    client(c.server_list())
}

async fn future_scan(dns: Arc<dyn Dns>, zones: &[Zone], blocks: &[Block]) -> Vec<Report> {
    let mut reports = Vec::new();
    engine::scan(
        dns,
        zones,
        blocks,
        Shard::default(),
        &opts(64),
        futures::future::pending::<()>(),
        |report, _| {
            reports.push(report);
            Ok(())
        },
    )
    .await
    .unwrap();
    reports
}

#[tokio::test]
async fn the_bulk_path_gives_the_reports_of_the_future_path() {
    let server = TestServer::shared().addr();
    let zones = zones(&[
        "bl.test",
        "v4only.test",
        "hidden.test",
        "refusing.test",
        "wild.test",
        "servfail.test",
        "refused.test",
        "allow.test",
    ]);
    let blocks = blocks(&["192.0.2.0/26", "2001:db8::e-2001:db8::11", "192.0.2.98"]);
    let hiding = Hostile::start();
    hiding.set(Act::NxAll);
    // One server; then a resolver that hides the lists first, so every
    // zone is proved by (and its lookups pinned to) the second server.
    for servers in [vec![server], vec![hiding.addr(), server]] {
        let expected = future_scan(Arc::new(client(&servers)), &zones, &blocks).await;
        assert_eq!(expected.len(), 64 + 4 + 1);
        for concurrency in [1, 64, 1024] {
            let (got, outcome) =
                bulk_scan(&client(&servers), &zones, &blocks, &opts(concurrency), None).await;
            let stats = outcome.expect("the scan completes");
            assert_eq!(stats.targets, 69);
            assert!(!stats.interrupted);
            assert_eq!(got.reports.len(), expected.len());
            for (g, e) in got.reports.iter().zip(&expected) {
                assert_eq!(g, e, "{servers:?}, --concurrency {concurrency}");
            }
        }
    }
    // The comparison is not vacuous: listings with their TXT, IPv6, the
    // resolver that answered, and results judged by the test points.
    let (got, _) = bulk_scan(
        &client(&[hiding.addr(), server]),
        &zones,
        &blocks,
        &opts(64),
        None,
    )
    .await;
    let listed = &got.reports[10];
    assert_eq!(listed.target, "192.0.2.10");
    let bl = listed.results.iter().find(|r| r.zone == "bl.test").unwrap();
    assert_eq!(bl.status.as_str(), "listed");
    assert!(!bl.txt.is_empty(), "{bl:?}");
    assert_eq!(bl.resolver, Some(server.to_string()));
    assert_eq!(got.reports[66].target, "2001:db8::10");
    assert_eq!(got.reports[66].verdict.as_str(), "listed");
    let hidden = got.reports[0]
        .results
        .iter()
        .find(|r| r.zone == "hidden.test");
    assert_eq!(hidden.unwrap().status.as_str(), "unusable");
}

#[tokio::test]
async fn a_rate_capped_zone_does_not_hold_back_the_other_zones() {
    // slow.test allows 2 queries per second. Every bl.test query of the
    // buffered targets goes out at once; slow.test's go one per slot.
    let server = TestServer::shared().addr();
    let zones = zones(&["bl.test", "slow.test"]);
    assert_eq!(zones[1].rate, Some(2));
    let blocks = blocks(&["192.0.2.8-192.0.2.13"]);
    let (got, outcome) = bulk_scan(&client(&[server]), &zones, &blocks, &opts(64), None).await;
    outcome.expect("the scan completes");
    let targets: Vec<&str> = got.reports.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "192.0.2.8",
            "192.0.2.9",
            "192.0.2.10",
            "192.0.2.11",
            "192.0.2.12",
            "192.0.2.13"
        ]
    );
    // When the first report is out (one slow.test answer), the six bl.test
    // queries, their TXT for 192.0.2.10-12, and that slow.test query were sent.
    assert!(
        got.sent_at_emit[0] > 6,
        "bl.test waited for slow.test: {:?}",
        got.sent_at_emit
    );
    assert_eq!(got.sent_at_emit[5], 6 + 3 + 6);
    // While it waits for slow.test's slots, the output is told to flush
    // what it has: each report reaches a reader long before the scan ends.
    for n in 1..6 {
        assert!(
            got.pauses.contains(&n),
            "no pause after {n}: {:?}",
            got.pauses
        );
    }
    let slow = got.reports[2]
        .results
        .iter()
        .find(|r| r.zone == "slow.test");
    assert_eq!(slow.unwrap().status.as_str(), "listed");
}

#[tokio::test]
async fn cancelling_stops_after_complete_reports_in_input_order() {
    let server = TestServer::shared().addr();
    let zones = zones(&["bl.test", "v4only.test"]);
    let blocks = blocks(&["192.0.2.0/24"]);
    let (got, outcome) = bulk_scan(&client(&[server]), &zones, &blocks, &opts(4), Some(10)).await;
    let stats = outcome.expect("cancelled, not failed");
    assert!(stats.interrupted);
    let n = got.reports.len();
    assert!((10..256).contains(&n), "{n} reports");
    assert_eq!(stats.targets, n as u64);
    for (i, r) in got.reports.iter().enumerate() {
        assert_eq!(r.target, format!("192.0.2.{i}"));
        assert_eq!(r.results.len(), 2, "complete: {r:?}");
    }
}

#[tokio::test]
async fn a_failing_writer_stops_the_scan_with_its_error() {
    let server = TestServer::shared().addr();
    let c = client(&[server]);
    let zones = zones(&["bl.test"]);
    let blocks = blocks(&["192.0.2.0/24"]);
    let scan = BulkScan {
        client: &c,
        probes: Arc::new(client(&[server])),
        local: None,
        zones: &zones,
        opts: &opts(64),
        budget: Duration::from_secs(2),
        sent: Arc::new(AtomicU64::new(0)),
    };
    let mut calls = 0;
    let outcome = scan
        .run(
            &blocks,
            Shard::default(),
            futures::future::pending(),
            |_: Report, _: &ScanStats| {
                calls += 1;
                if calls > 5 {
                    return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "gone"));
                }
                Ok(())
            },
        )
        .await;
    assert!(
        matches!(&outcome, Err(ScanError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe),
        "{outcome:?}"
    );
    assert_eq!(calls, 6, "nothing is written after the error");
}

#[tokio::test]
async fn a_feed_waiting_for_a_slot_is_asked_again_when_an_answer_arrives() {
    /// Sends one query, then waits an hour for its next slot; once the
    /// answer is in, it is done.
    struct Patient {
        sent: bool,
        answered: bool,
    }
    impl Feed for Patient {
        fn next(&mut self, now: Instant) -> Next<'_> {
            if self.answered {
                Next::Done
            } else if self.sent {
                Next::Wait(Some(now + Duration::from_secs(3600)))
            } else {
                self.sent = true;
                Next::Query(BulkQuery {
                    token: 0,
                    name: "2.0.0.127.bl.test",
                    rtype: RecordType::A,
                    server: None,
                })
            }
        }
        fn deliver(&mut self, _: u64, _: Answer) {
            self.answered = true;
        }
    }
    let c = client(&[TestServer::shared().addr()]);
    let mut feed = Patient {
        sent: false,
        answered: false,
    };
    let run = tokio::time::timeout(Duration::from_secs(30), c.bulk(&mut feed, 8)).await;
    assert!(run.is_ok(), "the feed was not asked again before its hour");
    assert!(feed.answered);
}

/// A catalog with h.test (served by a hostile server that tells the truth)
/// and loc.test (local data only).
const MIXED: &str = r#"
[[zone]]
zone = "h.test"
name = "Over DNS"
targets = "ip"
txt = false
[zone.codes]
"127.0.0.2" = "listed"

[[zone]]
zone = "loc.test"
name = "From memory"
targets = "ip"
ipv6 = true
[zone.codes]
"127.0.0.2" = "listed"
"#;

#[test]
fn local_zones_are_answered_from_memory_in_a_scan_that_asks_dns() {
    let h = Hostile::start();
    h.a("2.0.0.127.h.test", Ipv4Addr::new(127, 0, 0, 2))
        .a("5.2.0.192.h.test", Ipv4Addr::new(127, 0, 0, 2));
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("mixed.toml");
    std::fs::write(&catalog, MIXED).unwrap();
    let data = dir.path().join("loc.txt");
    std::fs::write(&data, ":127.0.0.2:Local $\n127.0.0.2\n192.0.2.3\n").unwrap();
    let data6 = dir.path().join("loc6.txt");
    std::fs::write(&data6, "::ffff:127.0.0.2/128\n2001:db8::1/128\n").unwrap();
    let r: Run = blocklens()
        .args(["--resolver", &h.addr().to_string()])
        .args(["--lists", catalog.to_str().unwrap()])
        .args(["scan", "192.0.2.0/28", "2001:db8::/126"])
        .args(["--zone", "h.test", "--zone", "loc.test"])
        .arg("--zone-data")
        .arg(format!("loc.test:ip4set:{}", data.display()))
        .arg("--zone-data")
        .arg(format!("loc.test:ip6trie:{}", data6.display()))
        .args(["--format", "ndjson", "-q"])
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{r:?}");
    let reports = ndjson(&r.stdout);
    assert_eq!(reports.len(), 20);
    for (i, rep) in reports.iter().take(16).enumerate() {
        assert_eq!(rep["target"], format!("192.0.2.{i}"));
        let h = result(rep, "h.test");
        let loc = result(rep, "loc.test");
        let (h_want, loc_want) = (
            if i == 5 { "listed" } else { "not_listed" },
            if i == 3 { "listed" } else { "not_listed" },
        );
        assert_eq!(
            (h["status"].as_str(), loc["status"].as_str()),
            (Some(h_want), Some(loc_want)),
            "{rep}"
        );
        assert_eq!(
            loc["resolver"],
            serde_json::Value::Null,
            "answered from memory"
        );
    }
    assert_eq!(result(&reports[3], "loc.test")["txt"][0], "Local 192.0.2.3");
    assert_eq!(result(&reports[17], "loc.test")["status"], "listed");
    assert_eq!(reports[17]["target"], "2001:db8::1");
    // The server heard h.test's two test points and its 16 lookups, and
    // nothing for loc.test (h.test does not apply to IPv6 targets).
    assert_eq!(h.received(), 2 + 16);
}

#[test]
fn ndjson_lines_are_flushed_while_the_scan_waits_not_at_its_end() {
    use std::io::BufRead;
    // slow.test allows 2 queries per second: 8 addresses take about 4 s.
    // Killed (no chance to flush) after its first line, the scan has
    // written only the lines that were ready: had they been held until
    // the end, the first line would have come with all the others.
    let server = TestServer::shared();
    let mut child = blocklens()
        .args(["--resolver", &server.addr().to_string()])
        .arg("--lists")
        .arg(test_catalog())
        .args(["scan", "192.0.2.10-192.0.2.17", "--zone", "slow.test"])
        .args(["--format", "ndjson", "-q"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a line").expect("readable");
    assert!(first.contains("\"192.0.2.10\""), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    let rest = lines.count();
    assert!(rest < 7, "all {} lines came at once", rest + 1);
}
