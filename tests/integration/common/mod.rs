//! Test support: an authoritative DNS server (hickory-server) running inside
//! the test process on 127.0.0.1 with an ephemeral port (UDP and TCP), fed by
//! the zone files under tests/zones/, and a runner for the real binary.
//!
//! Besides the zones, three names behave badly on purpose:
//! `*.servfail.test` answers SERVFAIL, `*.refused.test` REFUSED, and
//! `*.silent.test` never answers (a timeout).

pub mod hostile;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use server::TestServer;

/// The directory holding the tests' data.
pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// The test catalog.
pub fn test_catalog() -> PathBuf {
    tests_dir().join("lists/test.toml")
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("exited normally, not by a signal"),
            stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
        }
    }
}

/// The real binary, with no colour and no inherited NO_COLOR.
pub fn blocklens() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blocklens"));
    cmd.env_remove("NO_COLOR");
    // Hermetic: no configuration file or resolver from the machine running
    // the tests (a developer's ~/.config/blocklens/config.toml, say).
    let nowhere = std::env::temp_dir().join("blocklens-tests-no-home");
    cmd.env_remove("BLOCKLENS_CONFIG")
        .env_remove("BLOCKLENS_RESOLVER")
        .env("HOME", &nowhere)
        .env("XDG_CONFIG_HOME", &nowhere);
    cmd
}

/// Runs the binary against the shared test server with the test catalog.
pub fn run(args: &[&str]) -> Run {
    let server = TestServer::shared();
    let mut cmd = blocklens();
    cmd.arg("--resolver")
        .arg(server.addr().to_string())
        .arg("--lists")
        .arg(test_catalog())
        .arg("--timeout")
        .arg("1s")
        .args(args);
    cmd.output().expect("the binary runs").into()
}

/// Runs the binary with exactly these arguments (no resolver, no catalog).
pub fn run_bare(args: &[&str]) -> Run {
    blocklens()
        .args(args)
        .output()
        .expect("the binary runs")
        .into()
}

/// The result object for `zone` in a report.
pub fn result<'a>(report: &'a serde_json::Value, zone: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .expect("results is an array")
        .iter()
        .find(|r| r["zone"] == zone)
        .unwrap_or_else(|| panic!("no result for {zone} in {report:#}"))
}

/// True when the report has a result for `zone`.
pub fn has_result(report: &serde_json::Value, zone: &str) -> bool {
    report["results"]
        .as_array()
        .is_some_and(|rs| rs.iter().any(|r| r["zone"] == zone))
}

/// Parses NDJSON output: one JSON value per line.
pub fn ndjson(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON value"))
        .collect()
}
