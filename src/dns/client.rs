//! [`Client`]: the one transport for every lookup (check, spf, dmarc, rdns,
//! explain, scan).
//!
//! Single lookups go to one driver task per client, started on first use,
//! that owns a long-lived UDP socket per server; each lookup hands it a
//! request and waits for its answer. Scans run their own driver inside the
//! caller's task with [`Client::bulk`] (no task and no channel per query).
//! Both share the servers' health, so a server marked down by one is down
//! for the other.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::bulk::{BulkError, Feed, FeedSource};
use super::core::{Core, Counters, Limits, Link, Req};
use super::driver::{Driver, Source};
use super::health::{Health, ServerHealth};
use super::system::{ResolverSettings, SetupError, system_servers};
use super::{Answer, Dns, Failure, Outcome, RecordType, io};

/// Most single lookups in flight per server (the engine bounds them too).
pub const DEFAULT_SHARED_CEILING: usize = 1024;

struct Job {
    name: String,
    rtype: RecordType,
    pin: Option<SocketAddr>,
    reply: oneshot::Sender<Answer>,
}

/// The one DNS transport (see the module documentation).
pub struct Client {
    servers: Vec<SocketAddr>,
    description: String,
    timeout: Duration,
    attempts: u32,
    health: Arc<Health>,
    /// The shared driver's sockets, opened at once so errors show at setup.
    sockets: Mutex<Option<Vec<std::net::UdpSocket>>>,
    shared: OnceLock<Result<mpsc::UnboundedSender<Job>, String>>,
    totals: Arc<Totals>,
}

impl Client {
    /// A client for the given servers, or the system's when none are given.
    pub fn new(settings: &ResolverSettings) -> Result<Client, SetupError> {
        let (servers, description) = if settings.servers.is_empty() {
            let servers = system_servers()?;
            let ips: Vec<String> = servers.iter().map(|s| s.ip().to_string()).collect();
            let description = format!("the system resolver ({})", ips.join(", "));
            (servers, description)
        } else {
            let list: Vec<String> = settings.servers.iter().map(ToString::to_string).collect();
            (settings.servers.clone(), list.join(", "))
        };
        let sockets = servers
            .iter()
            .map(|&server| {
                io::connected(server).map_err(|e| SetupError::Socket {
                    server,
                    error: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Client {
            health: Arc::new(Health::new(&servers, settings.timeout)),
            servers,
            description,
            timeout: settings.timeout,
            attempts: u32::try_from(settings.attempts.max(1)).unwrap_or(u32::MAX),
            sockets: Mutex::new(Some(sockets)),
            shared: OnceLock::new(),
            totals: Arc::new(Totals::default()),
        })
    }

    /// The servers, in order of preference.
    pub fn server_list(&self) -> &[SocketAddr] {
        &self.servers
    }

    /// What every driver of this client did so far.
    pub fn counters(&self) -> Counters {
        self.totals.get()
    }

    fn limits(&self, ceiling: usize) -> Limits {
        Limits {
            timeout: self.timeout,
            attempts: self.attempts,
            ceiling,
        }
    }

    /// Runs a bulk feed to the end (see [`Feed`] for the contract) with at
    /// most `ceiling` queries in flight per server, on sockets of its own.
    /// Returns what this run did.
    pub async fn bulk<F: Feed>(&self, feed: &mut F, ceiling: usize) -> Result<Counters, BulkError> {
        let mut links = Vec::with_capacity(self.servers.len());
        for &server in &self.servers {
            let socket = io::connected(server)
                .and_then(UdpSocket::from_std)
                .map_err(|e| BulkError::Socket {
                    server,
                    error: e.to_string(),
                })?;
            links.push(Link::new(server, socket, ceiling));
        }
        let core = Core::new(
            links,
            Arc::clone(&self.health),
            self.limits(ceiling),
            seed(),
        );
        let mut driver = Driver::new(core);
        let mut src = FeedSource::new(feed);
        let result = std::future::poll_fn(|cx| driver.poll_run(cx, &mut src)).await;
        let counters = driver.core.counters;
        self.totals.add(&counters);
        result.map_err(|_| BulkError::Stalled)?;
        Ok(counters)
    }

    /// The shared driver's request channel, starting the driver on first use.
    fn driver(&self) -> Result<&mpsc::UnboundedSender<Job>, String> {
        self.shared
            .get_or_init(|| self.spawn_shared())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn spawn_shared(&self) -> Result<mpsc::UnboundedSender<Job>, String> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| "no tokio runtime to run the DNS client on".to_string())?;
        let sockets = self
            .sockets
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .ok_or_else(|| "the DNS client's sockets are gone".to_string())?;
        let mut links = Vec::with_capacity(sockets.len());
        for (&server, socket) in self.servers.iter().zip(sockets) {
            let socket = UdpSocket::from_std(socket).map_err(|e| e.to_string())?;
            links.push(Link::new(server, socket, DEFAULT_SHARED_CEILING));
        }
        let limits = self.limits(DEFAULT_SHARED_CEILING);
        let core = Core::new(links, Arc::clone(&self.health), limits, seed());
        let (tx, rx) = mpsc::unbounded_channel();
        let totals = Arc::clone(&self.totals);
        runtime.spawn(async move {
            let mut driver = Driver::new(core);
            let mut src = ChannelSource::new(rx);
            let _ = std::future::poll_fn(|cx| {
                let turn = driver.poll_run(cx, &mut src);
                totals.add(&driver.core.counters);
                driver.core.counters = Counters::default();
                turn
            })
            .await;
        });
        Ok(tx)
    }

    async fn ask(&self, name: &str, rtype: RecordType, pin: Option<SocketAddr>) -> Answer {
        let stopped = |why: String| Answer {
            outcome: Outcome::Failed(Failure::Other(why)),
            server: pin,
        };
        let tx = match self.driver() {
            Ok(tx) => tx,
            Err(e) => return stopped(e),
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            name: name.to_string(),
            rtype,
            pin,
            reply,
        };
        if tx.send(job).is_err() {
            return stopped("the DNS client has stopped".into());
        }
        answer
            .await
            .unwrap_or_else(|_| stopped("the DNS client has stopped".into()))
    }
}

impl Dns for Client {
    fn lookup<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Outcome> {
        Box::pin(async move { self.ask(name, rtype, None).await.outcome })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn servers(&self) -> Vec<SocketAddr> {
        self.servers.clone()
    }

    fn lookup_any<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Answer> {
        Box::pin(self.ask(name, rtype, None))
    }

    fn lookup_on<'a>(
        &'a self,
        server: SocketAddr,
        name: &'a str,
        rtype: RecordType,
    ) -> BoxFuture<'a, Answer> {
        Box::pin(self.ask(name, rtype, Some(server)))
    }

    fn server_health(&self) -> Vec<ServerHealth> {
        self.health.snapshot()
    }
}

/// A seed for query IDs from the OS-keyed hasher.
fn seed() -> u64 {
    RandomState::new().hash_one(0u8)
}

/// Requests from [`Client::ask`] as a driver source.
struct ChannelSource {
    rx: mpsc::UnboundedReceiver<Job>,
    name: String,
    waiting: Vec<Option<oneshot::Sender<Answer>>>,
    free: Vec<usize>,
}

impl ChannelSource {
    fn new(rx: mpsc::UnboundedReceiver<Job>) -> ChannelSource {
        ChannelSource {
            rx,
            name: String::new(),
            waiting: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl Source for ChannelSource {
    fn poll_next(&mut self, cx: &mut Context<'_>, _now: Instant) -> Poll<Option<Req<'_>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(job)) => {
                let token = match self.free.pop() {
                    Some(t) => {
                        self.waiting[t] = Some(job.reply);
                        t
                    }
                    None => {
                        self.waiting.push(Some(job.reply));
                        self.waiting.len() - 1
                    }
                };
                self.name = job.name;
                Poll::Ready(Some(Req {
                    token: token as u64,
                    name: &self.name,
                    rtype: job.rtype,
                    pin: job.pin,
                }))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn deliver(&mut self, token: u64, answer: Answer) {
        let Ok(t) = usize::try_from(token) else {
            return;
        };
        if let Some(reply) = self.waiting.get_mut(t).and_then(Option::take) {
            // The caller may have given up (its future dropped): nothing to do.
            let _ = reply.send(answer);
            self.free.push(t);
        }
    }
}

/// Counters summed over every driver of a client.
#[derive(Default)]
struct Totals {
    queries: AtomicU64,
    transmissions: AtomicU64,
    replies: AtomicU64,
    ignored: AtomicU64,
    timeouts: AtomicU64,
    tcp: AtomicU64,
}

impl Totals {
    fn pairs(&self) -> [&AtomicU64; 6] {
        [
            &self.queries,
            &self.transmissions,
            &self.replies,
            &self.ignored,
            &self.timeouts,
            &self.tcp,
        ]
    }

    fn add(&self, c: &Counters) {
        let values = [
            c.queries,
            c.transmissions,
            c.replies,
            c.ignored,
            c.timeouts,
            c.tcp,
        ];
        for (total, v) in self.pairs().into_iter().zip(values) {
            if v > 0 {
                total.fetch_add(v, Ordering::Relaxed);
            }
        }
    }

    fn get(&self) -> Counters {
        let [queries, transmissions, replies, ignored, timeouts, tcp] =
            self.pairs().map(|a| a.load(Ordering::Relaxed));
        Counters {
            queries,
            transmissions,
            replies,
            ignored,
            timeouts,
            tcp,
        }
    }
}
