//! The in-process authoritative DNS server.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::op::{Header, HeaderCounts, MessageType, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::TXT;
use hickory_server::proto::rr::{LowerName, Name, RData, Record};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};

/// A running server; it lives until the test process ends.
pub struct TestServer {
    addr: SocketAddr,
}

struct Handler {
    catalog: Catalog,
}

fn ends_with(name: &LowerName, suffix: &str) -> bool {
    let s = name.to_string();
    s.ends_with(suffix)
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let name = request.queries.queries().first().map(|q| q.name().clone());
        let bad = name.as_ref().and_then(|n| {
            if ends_with(n, "silent.test.") || n.to_string() == "1.0.0.127.negquiet.test." {
                Some(None)
            } else if ends_with(n, "servfail.test.") {
                Some(Some(ResponseCode::ServFail))
            } else if ends_with(n, "refused.test.") {
                Some(Some(ResponseCode::Refused))
            } else {
                None
            }
        });
        match bad {
            None => {
                self.catalog
                    .handle_request::<R, T>(request, response_handle)
                    .await
            }
            Some(None) => {
                // Never answer: the client must time out.
                let mut metadata = Metadata::new(
                    request.metadata.id,
                    MessageType::Response,
                    request.metadata.op_code,
                );
                metadata.response_code = ResponseCode::ServFail;
                ResponseInfo::from(Header {
                    metadata,
                    counts: HeaderCounts::default(),
                })
            }
            Some(Some(code)) => {
                let response = MessageResponseBuilder::new(&request.queries, None)
                    .error_msg(&request.metadata, code);
                response_handle
                    .send_response(response)
                    .await
                    .expect("the test server can send")
            }
        }
    }
}

fn load_catalog(zones_dir: &Path) -> Catalog {
    let mut catalog = Catalog::new();
    let mut files: Vec<_> = std::fs::read_dir(zones_dir)
        .expect("tests/zones exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .collect();
    files.sort();
    for path in files {
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let origin = Name::from_ascii(format!("{stem}.")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let (origin, records) = Parser::new(text, Some(path.clone()), Some(origin))
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut zone = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
            origin.clone(),
            records,
            ZoneType::Primary,
            AxfrPolicy::Deny,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if stem == "bl.test" {
            // Zone-file \DDD escapes do not survive hickory's parser, so the
            // hostile TXT (escape sequences, BEL, a bidi override) is added here.
            let name = Name::from_ascii("15.2.0.192.bl.test.").unwrap();
            let txt = TXT::from_bytes(vec![b"evil\x1b[2J\x1b]0;owned\x07 \xe2\x80\xaegnp.exe"]);
            zone.upsert_mut(Record::from_rdata(name, 60, RData::TXT(txt)), 2);
            // 192.0.2.16: a TXT answer too big for UDP (over 1232 bytes), so
            // the server truncates it and the client must retry over TCP.
            let name = Name::from_ascii("16.2.0.192.bl.test.").unwrap();
            let a = RData::A("127.0.0.2".parse::<std::net::Ipv4Addr>().unwrap().into());
            zone.upsert_mut(Record::from_rdata(name.clone(), 60, a), 2);
            for i in 0..12 {
                let line = format!("part {i:02} {}", "x".repeat(190));
                let txt = TXT::new(vec![line]);
                zone.upsert_mut(Record::from_rdata(name.clone(), 60, RData::TXT(txt)), 2);
            }
        }
        catalog.upsert(origin.into(), vec![Arc::new(zone)]);
    }
    catalog
}

impl TestServer {
    /// The server shared by every test of this process, serving tests/zones.
    pub fn shared() -> &'static TestServer {
        static SERVER: OnceLock<TestServer> = OnceLock::new();
        SERVER.get_or_init(|| TestServer::start(&super::tests_dir().join("zones")))
    }

    /// Starts a server for the zone files in `dir` on a thread of its own.
    pub fn start(dir: &Path) -> TestServer {
        TestServer {
            addr: spawn(Handler {
                catalog: load_catalog(dir),
            }),
        }
    }

    /// Where the server listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Runs `handler` as a DNS server on 127.0.0.1 (UDP and TCP on one ephemeral
/// port) on a thread of its own, for the rest of the test process.
pub fn spawn<H: RequestHandler>(handler: H) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let addr = udp.local_addr().unwrap();
            let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
            let mut server = Server::new(handler);
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(5), 65_535);
            tx.send(addr).unwrap();
            let _ = server.block_until_done().await;
        });
    });
    rx.recv().expect("the test server started")
}
