//! The scan progress bar (indicatif, on stderr). Hidden unless stderr is a
//! terminal and the user did not ask for quiet. It shows done of total,
//! listed so far, queries per second and the ETA from the first moment: a
//! ticker redraws it while the first window of lookups is still out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the bar shows, shared with the ticker.
#[derive(Default)]
struct Counters {
    done: AtomicU64,
    listed: AtomicU64,
}

/// Progress of a scan: targets done of total, listed so far, queries per second, ETA.
pub struct Progress {
    bar: ProgressBar,
    counters: Arc<Counters>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// A bar for `total` targets; drawn only when `visible`. `queries`
    /// reads the number of queries sent so far. Needs a tokio runtime when
    /// visible.
    pub fn new(
        total: u64,
        visible: bool,
        queries: impl Fn() -> u64 + Send + Sync + 'static,
    ) -> Progress {
        let bar = if visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} targets  {msg}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let counters = Arc::new(Counters::default());
        let ticker = visible.then(|| {
            let (bar, counters) = (bar.clone(), Arc::clone(&counters));
            let start = Instant::now();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(250));
                loop {
                    every.tick().await;
                    let qps = queries() as f64 / start.elapsed().as_secs_f64().max(0.001);
                    bar.set_position(counters.done.load(Ordering::Relaxed));
                    let listed = counters.listed.load(Ordering::Relaxed);
                    bar.set_message(format!("{listed} listed  {qps:.0} q/s"));
                }
            })
        });
        Progress {
            bar,
            counters,
            ticker,
        }
    }

    /// Records the counters after a report (the ticker draws them).
    pub fn update(&self, done: u64, listed: u64) {
        self.counters.done.store(done, Ordering::Relaxed);
        self.counters.listed.store(listed, Ordering::Relaxed);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(t) = &self.ticker {
            t.abort();
        }
        self.bar.finish_and_clear();
    }
}
