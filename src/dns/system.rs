//! Where queries go: the settings given on the command line, or the
//! system's nameservers from /etc/resolv.conf (read with hickory-resolver,
//! which is used for nothing else).

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::proto::rr::Name;

/// Where and how to send queries.
#[derive(Clone, Debug)]
pub struct ResolverSettings {
    /// Nameservers to ask; empty means the system configuration (/etc/resolv.conf).
    pub servers: Vec<SocketAddr>,
    /// Time to wait for one answer.
    pub timeout: Duration,
    /// Tries per query (at least 1); a query fails after about timeout x attempts.
    pub attempts: usize,
}

/// Why the client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// /etc/resolv.conf is missing, unreadable or lists no nameserver.
    #[error("cannot use the system resolver configuration: {0} (pass --resolver IP)")]
    System(String),
    /// A socket for a nameserver could not be opened.
    #[error("cannot open a UDP socket for {server}: {error}")]
    Socket {
        /// The nameserver.
        server: SocketAddr,
        /// What the system said.
        error: String,
    },
}

/// The nameservers of the system configuration (/etc/resolv.conf).
pub fn system_servers() -> Result<Vec<SocketAddr>, SetupError> {
    let (config, _opts) = hickory_resolver::system_conf::read_system_conf()
        .map_err(|e| SetupError::System(e.to_string()))?;
    let servers: Vec<SocketAddr> = config
        .name_servers()
        .iter()
        .map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map_or(53, |c| c.port)))
        .collect();
    if servers.is_empty() {
        return Err(SetupError::System(
            "no nameserver in /etc/resolv.conf".into(),
        ));
    }
    Ok(servers)
}

/// Builds a hickory [`Name`] from raw labels, keeping labels a hostname may
/// not have but DNS allows (SPF macros produce `foo:bar/baz` or spaces);
/// empty or over-long labels are refused. For tests that serve such names.
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
