//! The bulk path for `scan`: DNS messages (hickory-proto) over a few
//! long-lived UDP sockets, replies matched by ID and question. hickory's
//! resolver opens a new socket per query, which caps a scan at about a fifth
//! of what the wire allows; this path reuses sockets. A truncated reply is
//! retried through the resolver, which falls back to TCP.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use hickory_resolver::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_resolver::proto::rr::RecordType as HRecordType;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use super::hickory::{from_answers, to_hickory, wire_name};
use super::{Dns, Failure, Outcome, RecordType};

/// Sockets per nameserver.
pub const SOCKETS_PER_SERVER: usize = 4;
/// The EDNS payload size offered (the DNS Flag Day 2020 value).
const EDNS_PAYLOAD: u16 = 1232;

type Pending = Mutex<HashMap<u16, (String, HRecordType, oneshot::Sender<Message>)>>;

struct Channel {
    socket: Arc<UdpSocket>,
    pending: Arc<Pending>,
}

/// Bulk DNS over long-lived UDP sockets.
pub struct BulkUdp {
    channels: Vec<Channel>,
    next_channel: AtomicUsize,
    next_id: AtomicU64,
    id_keys: std::collections::hash_map::RandomState,
    timeout: Duration,
    attempts: usize,
    fallback: Arc<dyn Dns>,
}

impl BulkUdp {
    /// Opens the sockets (must run inside a tokio runtime). `fallback`
    /// answers truncated replies.
    pub async fn new(
        servers: &[SocketAddr],
        timeout: Duration,
        attempts: usize,
        fallback: Arc<dyn Dns>,
    ) -> std::io::Result<BulkUdp> {
        let mut channels = Vec::new();
        for server in servers {
            for _ in 0..SOCKETS_PER_SERVER {
                let bind: SocketAddr = if server.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                }
                .parse()
                .expect("valid address");
                let socket = Arc::new(UdpSocket::bind(bind).await?);
                socket.connect(server).await?;
                let pending: Arc<Pending> = Arc::new(Mutex::new(HashMap::new()));
                tokio::spawn(receive(Arc::clone(&socket), Arc::clone(&pending)));
                channels.push(Channel { socket, pending });
            }
        }
        Ok(BulkUdp {
            channels,
            next_channel: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            id_keys: std::collections::hash_map::RandomState::new(),
            timeout,
            attempts: attempts.max(1),
            fallback,
        })
    }

    async fn query(&self, name: &str, rtype: RecordType) -> Outcome {
        let qname = match wire_name(name) {
            Ok(n) => n,
            Err(e) => return Outcome::Failed(Failure::Other(e)),
        };
        let key = qname.to_ascii().to_ascii_lowercase();
        let qtype = to_hickory(rtype);
        for _ in 0..self.attempts {
            let channel = &self.channels
                [self.next_channel.fetch_add(1, Ordering::Relaxed) % self.channels.len()];
            let (tx, rx) = oneshot::channel();
            // An unpredictable ID not in flight on this socket.
            let id = {
                let mut pending = channel.pending.lock().expect("not poisoned");
                let mut id;
                loop {
                    let n = self.next_id.fetch_add(1, Ordering::Relaxed);
                    id = self.id_keys.hash_one(n) as u16;
                    if !pending.contains_key(&id) {
                        break;
                    }
                }
                pending.insert(id, (key.clone(), qtype, tx));
                id
            };
            let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
            msg.metadata.recursion_desired = true;
            msg.add_query(Query::query(qname.clone(), qtype));
            let mut edns = Edns::new();
            edns.set_max_payload(EDNS_PAYLOAD);
            msg.set_edns(edns);
            let sent = match msg.to_vec() {
                Ok(bytes) => channel.socket.send(&bytes).await.map(|_| ()),
                Err(e) => return Outcome::Failed(Failure::Other(e.to_string())),
            };
            if let Err(e) = sent {
                channel.pending.lock().expect("not poisoned").remove(&id);
                return Outcome::Failed(Failure::Other(format!("cannot send: {e}")));
            }
            match tokio::time::timeout(self.timeout, rx).await {
                Ok(Ok(reply)) => {
                    if reply.metadata.truncation {
                        return self.fallback.lookup(name, rtype).await;
                    }
                    return classify(&reply, rtype);
                }
                _ => {
                    channel.pending.lock().expect("not poisoned").remove(&id);
                }
            }
        }
        Outcome::Failed(Failure::Timeout)
    }
}

fn classify(reply: &Message, rtype: RecordType) -> Outcome {
    match reply.metadata.response_code {
        ResponseCode::NoError => from_answers(&reply.answers, rtype),
        ResponseCode::NXDomain => Outcome::NxDomain,
        ResponseCode::ServFail => Outcome::Failed(Failure::ServFail),
        ResponseCode::Refused => Outcome::Failed(Failure::Refused),
        other => Outcome::Failed(Failure::Other(format!("response code {other}"))),
    }
}

/// Reads replies and hands each to the query with its ID and question.
async fn receive(socket: Arc<UdpSocket>, pending: Arc<Pending>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            // ICMP errors (port unreachable) surface here; the query times out.
            Err(_) => continue,
        };
        let Ok(reply) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        if reply.metadata.message_type != MessageType::Response {
            continue;
        }
        let mut map = pending.lock().expect("not poisoned");
        let matches = map.get(&reply.metadata.id).is_some_and(|(name, qtype, _)| {
            reply.queries.first().is_some_and(|q| {
                q.query_type() == *qtype && q.name().to_ascii().eq_ignore_ascii_case(name)
            })
        });
        if matches && let Some((_, _, tx)) = map.remove(&reply.metadata.id) {
            let _ = tx.send(reply);
        }
    }
}

impl Dns for BulkUdp {
    fn lookup<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Outcome> {
        self.query(name, rtype).boxed()
    }

    fn describe(&self) -> String {
        self.fallback.describe()
    }
}
