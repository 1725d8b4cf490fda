//! How much to have in flight at one server, and how long to wait for one
//! transmission: an AIMD window and an RFC 6298 retransmission timer.
//!
//! The window starts small and grows by one per answer (doubling every
//! round trip) until the first loss, then by about one per round trip; a
//! transmission that times out halves it (once per round trip: losses among
//! queries sent before the last cut do not cut again). `--concurrency` is
//! the ceiling, never a burst. A loss is only noticed when its timer fires,
//! so the timer follows the measured round trip instead of waiting out the
//! whole `--timeout`.

use std::time::Duration;

use tokio::time::Instant;

/// Queries in flight to a server before the first answers come back.
pub const INITIAL_WINDOW: usize = 32;
/// The window never shrinks below this (or the ceiling, if lower): far
/// below the burst a small server absorbs (rbldnsd: about 150), and high
/// enough that random loss, which AIMD cannot tell from congestion, does
/// not throttle a scan to a trickle (measured: 10% loss on loopback took
/// 3.7 s for a /16 with a floor of 8, 2.0 s with 32).
pub const MIN_WINDOW: usize = 32;
/// The highest ceiling (IDs are 16 bits per socket; keep most of them free).
pub const MAX_WINDOW: usize = 16_384;
/// Retransmission timer before any round trip was measured (RFC 6298 §2.1).
pub const INITIAL_RTO: Duration = Duration::from_secs(1);
/// The shortest retransmission timer. Below this, scheduling noise on a
/// busy machine looks like loss.
pub const MIN_RTO: Duration = Duration::from_millis(10);

/// An AIMD congestion window.
#[derive(Debug)]
pub(crate) struct Window {
    cwnd: f64,
    ssthresh: f64,
    floor: f64,
    ceiling: f64,
    last_cut: Option<Instant>,
}

impl Window {
    pub(crate) fn new(ceiling: usize) -> Window {
        let ceiling = ceiling.clamp(1, MAX_WINDOW) as f64;
        Window {
            cwnd: (INITIAL_WINDOW as f64).min(ceiling),
            ssthresh: ceiling,
            floor: (MIN_WINDOW as f64).min(ceiling),
            ceiling,
            last_cut: None,
        }
    }

    /// Queries allowed in flight now.
    pub(crate) fn limit(&self) -> usize {
        self.cwnd as usize
    }

    /// An answer came back on time.
    pub(crate) fn on_answer(&mut self) {
        if self.cwnd < self.ssthresh {
            self.cwnd += 1.0;
        } else {
            self.cwnd += 1.0 / self.cwnd;
        }
        self.cwnd = self.cwnd.min(self.ceiling);
    }

    /// A transmission sent at `sent` timed out at `now`.
    pub(crate) fn on_loss(&mut self, sent: Instant, now: Instant) {
        if self.last_cut.is_some_and(|cut| sent <= cut) {
            return;
        }
        self.ssthresh = (self.cwnd / 2.0).max(self.floor);
        self.cwnd = self.ssthresh;
        self.last_cut = Some(now);
    }
}

/// The shortest time before a query is presumed lost ([`Rtt::late_after`]).
pub const MIN_LATE: Duration = Duration::from_millis(1);

/// Smoothed round-trip time and its variation (RFC 6298).
#[derive(Debug, Default)]
pub(crate) struct Rtt {
    srtt: Option<Duration>,
    rttvar: Duration,
}

impl Rtt {
    /// A round trip measured on a query sent once (Karn's rule).
    pub(crate) fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                let diff = s.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + diff / 4;
                self.srtt = Some(s * 7 / 8 + r / 8);
            }
        }
    }

    /// How long an answer may take before the query is presumed lost and
    /// stops counting against the window (its timer still runs): the
    /// retransmission timer without its floor, at least [`MIN_LATE`]. None
    /// before a round trip was measured. Loss can only be seen when a timer
    /// fires, and the timer's floor is many round trips on a fast path: a
    /// lost query would otherwise hold its place in the window that long,
    /// and random loss would throttle the scan far below what the path
    /// delivers (as TCP takes segments presumed lost out of the pipe).
    pub(crate) fn late_after(&self) -> Option<Duration> {
        self.srtt.map(|s| (s + self.rttvar * 4).max(MIN_LATE))
    }

    /// The retransmission timer, never above `timeout`.
    pub(crate) fn rto(&self, timeout: Duration) -> Duration {
        let rto = match self.srtt {
            None => INITIAL_RTO,
            Some(s) => (s + self.rttvar * 4).max(MIN_RTO),
        };
        rto.min(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_then_halving_once_per_round_trip() {
        let t0 = Instant::now();
        let mut w = Window::new(1024);
        assert_eq!(w.limit(), INITIAL_WINDOW);
        for _ in 0..100 {
            w.on_answer();
        }
        assert_eq!(w.limit(), INITIAL_WINDOW + 100);
        w.on_loss(t0, t0 + Duration::from_millis(5));
        assert_eq!(w.limit(), 66);
        // A second loss among queries sent before the cut does not cut again.
        w.on_loss(t0 + Duration::from_millis(1), t0 + Duration::from_millis(6));
        assert_eq!(w.limit(), 66);
        w.on_loss(
            t0 + Duration::from_millis(7),
            t0 + Duration::from_millis(20),
        );
        assert_eq!(w.limit(), 33);
        // Congestion avoidance: about one more per window of answers.
        for _ in 0..34 {
            w.on_answer();
        }
        assert_eq!(w.limit(), 34);
        for i in 0..20 {
            w.on_loss(
                t0 + Duration::from_secs(i + 1),
                t0 + Duration::from_secs(i + 1),
            );
        }
        assert_eq!(w.limit(), MIN_WINDOW, "never below the floor");
    }

    #[test]
    fn the_ceiling_caps_the_window() {
        let mut w = Window::new(3);
        assert_eq!(w.limit(), 3);
        for _ in 0..10 {
            w.on_answer();
        }
        assert_eq!(w.limit(), 3);
        assert_eq!(Window::new(0).limit(), 1);
    }

    #[test]
    fn rto_follows_the_round_trip_within_bounds() {
        let timeout = Duration::from_secs(2);
        let mut r = Rtt::default();
        assert_eq!(r.rto(timeout), INITIAL_RTO);
        assert_eq!(
            r.rto(Duration::from_millis(300)),
            Duration::from_millis(300)
        );
        assert_eq!(r.late_after(), None, "nothing measured: only the timer");
        r.sample(Duration::from_micros(100));
        assert_eq!(r.rto(timeout), MIN_RTO);
        assert_eq!(r.late_after(), Some(MIN_LATE), "a fast path: 1 ms, not 10");
        r.sample(Duration::from_micros(400));
        // srtt 137.5 us, rttvar 112.5 us: 587.5 us, floored to 1 ms.
        assert_eq!(r.late_after(), Some(MIN_LATE));
        r.sample(Duration::from_millis(100));
        // Presumed lost after the same time as the timer, far above its floor.
        assert_eq!(r.late_after(), Some(r.rto(timeout)));
        // srtt 12.6 ms, rttvar 24.8 ms: 112 ms.
        let rto = r.rto(timeout);
        assert!(
            rto > Duration::from_millis(100) && rto < Duration::from_millis(120),
            "{rto:?}"
        );
    }
}
