//! The scan progress bar (indicatif, on stderr). Hidden unless stderr is a
//! terminal and the user did not ask for quiet.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of a scan: targets done of total, listed so far, queries per second, ETA.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` targets; drawn only when `visible`.
    pub fn new(total: u64, visible: bool) -> Progress {
        let bar = if visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} targets  {msg}  ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Progress { bar }
    }

    /// Updates the counters.
    pub fn update(&self, done: u64, listed: u64, queries: u64, elapsed: Duration) {
        self.bar.set_position(done);
        if done.is_multiple_of(64) || done == self.bar.length().unwrap_or(0) {
            let qps = queries as f64 / elapsed.as_secs_f64().max(0.001);
            self.bar
                .set_message(format!("{listed} listed  {qps:.0} q/s"));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
