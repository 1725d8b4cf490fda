//! The state database under a crash mid-write and two runs at once.

use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, SystemTime};

use blocklens::catalog::Role;
use blocklens::monitor::Store;
use blocklens::report::{Report, Status, ZoneResult};
use blocklens::target::TargetKind;

const TARGETS: usize = 400;
const ZONES: usize = 10;
const CRASH_DB: &str = "BLOCKLENS_TEST_CRASH_DB";

/// Round `i`: every target on every zone, listed in odd rounds.
fn round(i: u64, prefix: &str) -> Vec<Report> {
    let status = if i % 2 == 1 {
        Status::Listed
    } else {
        Status::NotListed
    };
    (0..TARGETS)
        .map(|t| {
            let results = (0..ZONES)
                .map(|z| ZoneResult {
                    zone: format!("z{z}.test"),
                    name: format!("Z{z}"),
                    role: Role::Block,
                    query: String::new(),
                    status,
                    answers: vec!["127.0.0.2".into()],
                    meanings: vec![],
                    txt: vec![],
                    detail: None,
                    lookup_url: None,
                    resolver: None,
                    listed_since: None,
                    change: None,
                })
                .collect();
            Report::new(format!("{prefix}{t}"), TargetKind::Domain, results)
        })
        .collect()
}

fn at(i: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + i)
}

/// (rounds recorded, listing rows, distinct last_seen values, events).
fn census(path: &Path) -> (i64, i64, i64, i64) {
    let c = rusqlite::Connection::open(path).unwrap();
    let one = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        one("SELECT count(*) FROM round"),
        one("SELECT count(*) FROM listing"),
        one("SELECT count(DISTINCT last_seen) FROM listing"),
        one("SELECT count(*) FROM event"),
    )
}

/// The writer the crash test kills: with BLOCKLENS_TEST_CRASH_DB set it
/// records rounds until it is killed, saying after each commit; run by the
/// test harness alone it records two rounds and checks them.
#[test]
fn crash_writer() {
    if let Some(path) = std::env::var_os(CRASH_DB) {
        let mut store = Store::open(Path::new(&path)).unwrap();
        // Bounded, in case the test that kills it does not.
        for i in 0..200 {
            store.record_round(at(i), &round(i, "t")).unwrap();
            println!("<committed {}>", i + 1);
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut store = Store::open(&path).unwrap();
    for i in 0..2 {
        store.record_round(at(i), &round(i, "t")).unwrap();
    }
    let n = (TARGETS * ZONES) as i64;
    assert_eq!(census(&path), (2, n, 1, n));
}

#[test]
fn a_crash_mid_write_leaves_the_last_complete_round() {
    let dir = tempfile::tempdir().unwrap();
    let n = (TARGETS * ZONES) as i64;
    for kill_after in [1u64, 2, 3] {
        let path = dir.path().join(format!("state-{kill_after}.db"));
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "state::crash_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_DB, &path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        // libtest may print its "test ... " prefix on the same line.
        let want = format!("<committed {kill_after}>");
        for line in stdout.lines() {
            if line.unwrap().contains(&want) {
                break;
            }
        }
        // SIGKILL while the next round is being written.
        std::thread::sleep(Duration::from_millis(5 * kill_after));
        child.kill().unwrap();
        child.wait().unwrap();
        // The file opens, passes SQLite's check, and holds whole rounds only:
        // every row was written by the same round.
        drop(Store::open(&path).expect("the database survives the crash"));
        let (rounds, rows, distinct, events) = census(&path);
        assert!(rounds >= kill_after as i64, "{rounds}");
        assert_eq!((rows, distinct), (n, 1), "a partial round is visible");
        // Rounds alternate not listed / listed: every round after the first
        // is one listed or delisted event per row, and nothing of a partial one.
        assert_eq!(events, n * (rounds - 1));
    }
}

#[test]
fn two_runs_at_once_wait_for_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let runs: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|prefix| {
            let path = path.clone();
            std::thread::spawn(move || {
                // Each run opens the (new) file itself, as two cron jobs would.
                let mut store = Store::open(&path).unwrap();
                for i in 0..6 {
                    store.record_round(at(i), &round(i, prefix)).unwrap();
                }
            })
        })
        .collect();
    for r in runs {
        r.join().expect("no run failed with 'database is locked'");
    }
    let (rounds, rows, _, _) = census(&path);
    assert_eq!((rounds, rows), (12, 2 * (TARGETS * ZONES) as i64));
}
