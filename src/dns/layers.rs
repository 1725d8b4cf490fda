//! Layers around a [`Dns`]: counting and rate limiting. Each wraps another
//! `Dns` and is one itself, so every lookup of a run (blocklist queries,
//! test points, TXT reasons, SPF, DMARC and reverse DNS) is counted and
//! limited the same way, whatever asked for it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::Mutex;
use tokio::time::Instant;

use std::net::SocketAddr;

use super::{Answer, Dns, Outcome, RecordType, ServerHealth};

/// A lookup a layer passes on: to any server (failover allowed) or to one.
#[derive(Clone, Copy)]
enum To {
    Any,
    Server(SocketAddr),
}

impl To {
    fn send<'a>(self, dns: &'a dyn Dns, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Answer> {
        match self {
            To::Any => dns.lookup_any(name, rtype),
            To::Server(s) => dns.lookup_on(s, name, rtype),
        }
    }

    fn server(self) -> Option<SocketAddr> {
        match self {
            To::Any => None,
            To::Server(s) => Some(s),
        }
    }
}

/// The `Dns` methods of a layer, from its one `pass` method (what the layer
/// does with a lookup going to `To`); servers and health come from `inner`.
macro_rules! layer_dns {
    ($ty:ty) => {
        impl Dns for $ty {
            fn lookup<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Outcome> {
                async move { self.pass(To::Any, name, rtype).await.outcome }.boxed()
            }

            fn lookup_any<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Answer> {
                self.pass(To::Any, name, rtype)
            }

            fn lookup_on<'a>(
                &'a self,
                server: SocketAddr,
                name: &'a str,
                rtype: RecordType,
            ) -> BoxFuture<'a, Answer> {
                self.pass(To::Server(server), name, rtype)
            }

            fn describe(&self) -> String {
                self.inner.describe()
            }

            fn servers(&self) -> Vec<SocketAddr> {
                self.inner.servers()
            }

            fn server_health(&self) -> Vec<ServerHealth> {
                self.inner.server_health()
            }
        }
    };
}

/// Counts the lookups that go through it.
pub struct Counted {
    inner: Arc<dyn Dns>,
    count: AtomicU64,
}

impl Counted {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Dns>) -> Counted {
        Counted {
            inner,
            count: AtomicU64::new(0),
        }
    }

    /// Lookups sent so far.
    pub fn queries(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl Counted {
    fn pass<'a>(&'a self, to: To, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Answer> {
        self.count.fetch_add(1, Ordering::Relaxed);
        to.send(self.inner.as_ref(), name, rtype)
    }
}

layer_dns!(Counted);

/// Spaces out events to at most `per_second` a second.
#[derive(Debug)]
pub struct RateLimiter {
    period: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `per_second` events a second (at least 1).
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            period: Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.period);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Caps the query rate: globally (`--rate`) and per zone (a catalog zone's
/// `rate`, matched on the query name's suffix).
pub struct RateLimited {
    inner: Arc<dyn Dns>,
    global: Option<RateLimiter>,
    per_zone: HashMap<String, RateLimiter>,
}

impl RateLimited {
    /// Wraps `inner` with a global cap and per-zone caps (zone name, queries per second).
    pub fn new(
        inner: Arc<dyn Dns>,
        global: Option<u32>,
        per_zone: impl IntoIterator<Item = (String, u32)>,
    ) -> RateLimited {
        RateLimited {
            inner,
            global: global.map(RateLimiter::new),
            per_zone: per_zone
                .into_iter()
                .map(|(z, r)| (z.to_ascii_lowercase(), RateLimiter::new(r)))
                .collect(),
        }
    }

    /// The limiter of the zone `name` lies in, if it has one.
    fn zone_limiter(&self, name: &str) -> Option<&RateLimiter> {
        if self.per_zone.is_empty() {
            return None;
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let mut rest = name.as_str();
        loop {
            if let Some(l) = self.per_zone.get(rest) {
                return Some(l);
            }
            rest = rest.split_once('.')?.1;
        }
    }

    async fn wait(&self, name: &str) {
        if let Some(l) = self.zone_limiter(name) {
            l.acquire().await;
        }
        if let Some(l) = &self.global {
            l.acquire().await;
        }
    }
}

impl RateLimited {
    fn pass<'a>(&'a self, to: To, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Answer> {
        async move {
            self.wait(name).await;
            to.send(self.inner.as_ref(), name, rtype).await
        }
        .boxed()
    }
}

layer_dns!(RateLimited);

/// After this many timeouts in a row from one zone, with nothing answered in
/// between, the zone is given up on for the rest of the run.
pub const GIVE_UP_AFTER: u32 = 8;

/// Gives up on a zone that stopped answering: after [`GIVE_UP_AFTER`]
/// consecutive timeouts for names under it (nothing answered in between),
/// its remaining lookups fail at once with the reason, instead of each
/// waiting out the timeout. They fail: they are never NXDOMAIN, so nothing
/// from such a zone is ever `not_listed`.
pub struct ZoneBreaker {
    inner: Arc<dyn Dns>,
    /// Per zone: consecutive timeouts, and when the zone was given up on.
    zones: HashMap<String, std::sync::Mutex<Streak>>,
}

#[derive(Default)]
struct Streak {
    timeouts: u32,
    since: Option<std::time::SystemTime>,
    given_up: bool,
}

impl ZoneBreaker {
    /// Watches the zones `zones` (names under other zones pass through).
    pub fn new(inner: Arc<dyn Dns>, zones: impl IntoIterator<Item = String>) -> ZoneBreaker {
        ZoneBreaker {
            inner,
            zones: zones
                .into_iter()
                .map(|z| {
                    (
                        z.to_ascii_lowercase(),
                        std::sync::Mutex::new(Streak::default()),
                    )
                })
                .collect(),
        }
    }

    /// The zone `name` lies in, if watched.
    fn zone_of(&self, name: &str) -> Option<(&str, &std::sync::Mutex<Streak>)> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let mut rest = name.as_str();
        loop {
            if let Some((z, s)) = self.zones.get_key_value(rest) {
                return Some((z.as_str(), s));
            }
            rest = rest.split_once('.')?.1;
        }
    }

    async fn watched(
        &self,
        zone: &str,
        streak: &std::sync::Mutex<Streak>,
        to: To,
        name: &str,
        rtype: RecordType,
    ) -> Answer {
        if streak.lock().map(|s| s.given_up).unwrap_or(false) {
            let outcome = Outcome::Failed(super::Failure::Other(format!(
                "{zone} stopped answering ({GIVE_UP_AFTER} timeouts in a row): not asked again in this run"
            )));
            return Answer {
                outcome,
                server: to.server(),
            };
        }
        let answer = to.send(self.inner.as_ref(), name, rtype).await;
        if let Ok(mut s) = streak.lock() {
            match &answer.outcome {
                Outcome::Failed(super::Failure::Timeout) => {
                    s.timeouts += 1;
                    s.since.get_or_insert_with(std::time::SystemTime::now);
                    if s.timeouts >= GIVE_UP_AFTER {
                        s.given_up = true;
                    }
                }
                Outcome::Failed(_) => {}
                _ => *s = Streak::default(),
            }
        }
        answer
    }

    fn pass<'a>(&'a self, to: To, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Answer> {
        match self.zone_of(name) {
            Some((zone, streak)) => self.watched(zone, streak, to, name, rtype).boxed(),
            None => to.send(self.inner.as_ref(), name, rtype),
        }
    }
}

layer_dns!(ZoneBreaker);

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;

    impl Dns for Nothing {
        fn lookup<'a>(&'a self, _: &'a str, _: RecordType) -> BoxFuture<'a, Outcome> {
            async { Outcome::NxDomain }.boxed()
        }
        fn describe(&self) -> String {
            "nothing".into()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limiter_spaces_events() {
        let l = RateLimiter::new(10);
        let start = Instant::now();
        for _ in 0..5 {
            l.acquire().await;
        }
        // 5 events at 10/s: the first is immediate, the fifth at 400 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn zone_caps_apply_to_names_under_the_zone_only() {
        let dns = RateLimited::new(Arc::new(Nothing), None, [("slow.example".to_string(), 2)]);
        let start = Instant::now();
        for _ in 0..3 {
            dns.lookup("2.0.0.127.fast.example", RecordType::A).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..3 {
            dns.lookup("2.0.0.127.SLOW.example", RecordType::A).await;
        }
        // 3 events at 2/s: the third at 1 s.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    /// Times out for names under `dead.example`, answers NXDOMAIN elsewhere.
    struct Silent(std::sync::atomic::AtomicU32);

    impl Dns for Silent {
        fn lookup<'a>(&'a self, name: &'a str, _: RecordType) -> BoxFuture<'a, Outcome> {
            let dead = name.ends_with("dead.example");
            if dead {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
            async move {
                if dead {
                    Outcome::Failed(super::super::Failure::Timeout)
                } else {
                    Outcome::NxDomain
                }
            }
            .boxed()
        }
        fn describe(&self) -> String {
            "silent".into()
        }
    }

    #[tokio::test]
    async fn a_zone_that_stops_answering_is_given_up_on_and_never_not_listed() {
        let inner = Arc::new(Silent(std::sync::atomic::AtomicU32::new(0)));
        let dns = ZoneBreaker::new(
            Arc::clone(&inner) as Arc<dyn Dns>,
            ["dead.example".to_string(), "live.example".to_string()],
        );
        for i in 0..100 {
            let o = dns
                .lookup(&format!("{i}.dead.example"), RecordType::A)
                .await;
            assert!(matches!(o, Outcome::Failed(_)), "{o:?}");
        }
        // Only the first GIVE_UP_AFTER lookups were sent.
        assert_eq!(inner.0.load(Ordering::Relaxed), GIVE_UP_AFTER);
        let o = dns.lookup("1.dead.example", RecordType::A).await;
        assert!(format!("{o:?}").contains("stopped answering"), "{o:?}");
        // Other zones are untouched.
        assert_eq!(
            dns.lookup("1.live.example", RecordType::A).await,
            Outcome::NxDomain
        );
    }

    #[tokio::test]
    async fn counting_counts_every_lookup() {
        let dns = Counted::new(Arc::new(Nothing));
        dns.lookup("a.example", RecordType::A).await;
        dns.lookup("b.example", RecordType::Txt).await;
        assert_eq!(dns.queries(), 2);
    }
}
