//! The [`Dns`] implementation on hickory-resolver 0.26.

use std::net::SocketAddr;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType as HRecordType};

use super::{Dns, Failure, Outcome, Record, RecordType};

/// Where and how to send queries.
#[derive(Clone, Debug)]
pub struct ResolverSettings {
    /// Nameservers to ask; empty means the system configuration (/etc/resolv.conf).
    pub servers: Vec<SocketAddr>,
    /// Time to wait for one answer.
    pub timeout: Duration,
    /// Tries per query (at least 1).
    pub attempts: usize,
}

/// Queries through hickory-resolver.
pub struct HickoryDns {
    resolver: TokioResolver,
    description: String,
}

/// Why the resolver could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the system resolver configuration: {0} (pass --resolver IP)")]
pub struct SetupError(String);

/// hickory's record type for ours.
pub(super) fn to_hickory(rtype: RecordType) -> HRecordType {
    match rtype {
        RecordType::A => HRecordType::A,
        RecordType::Aaaa => HRecordType::AAAA,
        RecordType::Txt => HRecordType::TXT,
        RecordType::Mx => HRecordType::MX,
        RecordType::Ptr => HRecordType::PTR,
    }
}

/// The nameservers of the system configuration (/etc/resolv.conf).
pub fn system_servers() -> Result<Vec<SocketAddr>, SetupError> {
    let (config, _opts) =
        hickory_resolver::system_conf::read_system_conf().map_err(|e| SetupError(e.to_string()))?;
    let servers: Vec<SocketAddr> = config
        .name_servers()
        .iter()
        .map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map_or(53, |c| c.port)))
        .collect();
    if servers.is_empty() {
        return Err(SetupError("no nameserver in /etc/resolv.conf".into()));
    }
    Ok(servers)
}

impl HickoryDns {
    /// Builds a resolver: the given servers, or the system's.
    pub fn new(settings: &ResolverSettings) -> Result<HickoryDns, SetupError> {
        let (config, description) = if settings.servers.is_empty() {
            let (config, _opts) = hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| SetupError(e.to_string()))?;
            let servers: Vec<String> = config
                .name_servers()
                .iter()
                .map(|ns| ns.ip.to_string())
                .collect();
            if servers.is_empty() {
                return Err(SetupError("no nameserver in /etc/resolv.conf".into()));
            }
            (
                config,
                format!("the system resolver ({})", servers.join(", ")),
            )
        } else {
            let servers = settings
                .servers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                })
                .collect();
            let description = settings
                .servers
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            (ResolverConfig::from_name_servers(servers), description)
        };
        let mut opts = ResolverOpts::default();
        opts.timeout = settings.timeout;
        // hickory counts retries after the first try.
        opts.attempts = settings.attempts.saturating_sub(1);
        opts.ndots = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.try_tcp_on_error = false;
        opts.preserve_intermediates = false;
        opts.cache_size = 1024;
        let resolver = hickory_resolver::Resolver::builder_with_config(
            config,
            TokioRuntimeProvider::default(),
        )
        .with_options(opts)
        .build()
        .map_err(|e| SetupError(e.to_string()))?;
        Ok(HickoryDns {
            resolver,
            description,
        })
    }

    async fn query(&self, name: &str, rtype: RecordType) -> Outcome {
        let name = match wire_name(name) {
            Ok(n) => n,
            Err(e) => return Outcome::Failed(Failure::Other(e)),
        };
        let htype = to_hickory(rtype);
        match self.resolver.lookup(name, htype).await {
            Ok(lookup) => from_answers(lookup.answers(), rtype),
            Err(e) => classify(e),
        }
    }
}

/// Builds a query name from raw labels. Unlike `Name::from_ascii`, this
/// keeps labels a hostname may not have but DNS allows (SPF macros produce
/// `foo:bar/baz` or spaces); empty or over-long labels are refused.
pub fn wire_name(name: &str) -> Result<Name, String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        return Err("empty name".into());
    }
    if let Some(bad) = trimmed.split('.').find(|l| l.is_empty() || l.len() > 63) {
        return Err(format!(
            "invalid name {trimmed}: label '{bad}' is empty or longer than 63 bytes"
        ));
    }
    let mut n = Name::from_labels(trimmed.split('.').map(str::as_bytes))
        .map_err(|e| format!("invalid name {trimmed}: {e}"))?;
    n.set_fqdn(true);
    Ok(n)
}

/// A name from an answer as raw labels joined by dots (no trailing dot, no
/// escaping), so it can be queried again exactly as received.
fn strip_dot(name: &Name) -> String {
    name.iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join(".")
}

/// The answers of a NOERROR response, filtered to `rtype` (resolvers return
/// CNAME chains too): records, or NODATA when none is of that type.
pub(super) fn from_answers(
    answers: &[hickory_resolver::proto::rr::Record],
    rtype: RecordType,
) -> Outcome {
    let records: Vec<Record> = answers
        .iter()
        .filter_map(|r| convert(&r.data, rtype))
        .collect();
    if records.is_empty() {
        Outcome::NoData
    } else {
        Outcome::Records(records)
    }
}

fn convert(data: &RData, want: RecordType) -> Option<Record> {
    match (data, want) {
        (RData::A(a), RecordType::A) => Some(Record::A(a.0)),
        (RData::AAAA(a), RecordType::Aaaa) => Some(Record::Aaaa(a.0)),
        (RData::TXT(t), RecordType::Txt) => {
            let mut s = String::new();
            for part in t.txt_data.iter() {
                s.push_str(&String::from_utf8_lossy(part));
            }
            Some(Record::Txt(s))
        }
        (RData::MX(mx), RecordType::Mx) => Some(Record::Mx(mx.preference, strip_dot(&mx.exchange))),
        (RData::PTR(p), RecordType::Ptr) => Some(Record::Ptr(strip_dot(&p.0))),
        _ => None,
    }
}

fn classify(err: NetError) -> Outcome {
    match err {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => {
            if nr.response_code == ResponseCode::NXDomain {
                Outcome::NxDomain
            } else {
                Outcome::NoData
            }
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => {
            Outcome::Failed(Failure::ServFail)
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => {
            Outcome::Failed(Failure::Refused)
        }
        NetError::Timeout => Outcome::Failed(Failure::Timeout),
        other => Outcome::Failed(Failure::Other(other.to_string())),
    }
}

impl Dns for HickoryDns {
    fn lookup<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Outcome> {
        self.query(name, rtype).boxed()
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}
