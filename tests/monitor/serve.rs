//! serve stops gracefully on SIGTERM and Ctrl-C (SIGINT): a child process
//! (this test binary, re-run on one test) serves until it gets the signal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use blocklens::monitor::Round;
use blocklens::monitor::serve::{RoundFn, ServeOptions, bind, serve, shutdown_signal};
use blocklens::report::Report;
use blocklens::target::TargetKind;

const CHILD: &str = "BLOCKLENS_TEST_SERVE_CHILD";

/// With BLOCKLENS_TEST_SERVE_CHILD set: serves until SIGTERM or SIGINT, then
/// says it stopped. Run alone by the harness: checks that the shutdown
/// signal does not fire by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signal_child() {
    if std::env::var_os(CHILD).is_none() {
        let fired = tokio::time::timeout(Duration::from_millis(200), shutdown_signal()).await;
        assert!(fired.is_err(), "shutdown_signal resolved without a signal");
        return;
    }
    let round: RoundFn = Arc::new(|| {
        Box::pin(async {
            Round {
                reports: vec![Report::new("192.0.2.10".into(), TargetKind::Ip, vec![])],
                zones: vec![],
                started: SystemTime::now(),
                duration: Duration::from_millis(1),
            }
        })
    });
    let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    println!("<listening {}>", listener.local_addr().unwrap());
    let opts = ServeOptions {
        interval: Duration::from_secs(3600),
        store: None,
        notifier: None,
        log: None,
    };
    serve(listener, round, opts, shutdown_signal())
        .await
        .unwrap();
    println!("<stopped cleanly>");
}

#[test]
fn sigterm_and_ctrl_c_stop_serve_cleanly() {
    for signal in ["-TERM", "-INT"] {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "serve::signal_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                let rest = &l[l.find("<listening ")? + 11..];
                Some(rest.trim_end_matches('>').to_string())
            })
            .expect("the child listens");
        // Once a round has completed, it is really serving.
        let url = format!("http://{addr}/healthz");
        let ready = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(25));
            http_status(&url) == Some(200)
        });
        assert!(ready, "{url} never became ready");
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("serve did not stop within 10 s of {signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        assert!(status.success(), "{signal}: {status:?} {rest:?}");
        assert!(
            rest.iter().any(|l| l.contains("<stopped cleanly>")),
            "{signal}: {rest:?}"
        );
        assert_eq!(http_status(&url), None, "still serving after {signal}");
    }
}

/// A blocking GET's status; None when nothing answers.
fn http_status(url: &str) -> Option<u16> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { Some(reqwest::get(url).await.ok()?.status().as_u16()) })
}
