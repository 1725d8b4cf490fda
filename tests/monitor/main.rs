//! Monitoring building blocks against real servers on 127.0.0.1: infra
//! discovery, rounds that change between checks (metrics, Nagios state,
//! history, webhook), the state database under crashes and concurrent runs,
//! and the exposition checked by promtool.

// Tests may print (e.g. why a test was skipped); the library may not.
#![allow(clippy::print_stderr, clippy::print_stdout)]

#[path = "../integration/common/mod.rs"]
#[allow(dead_code)]
mod common;

mod infra;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use blocklens::dns::{Dns, HickoryDns, ResolverSettings};

/// A resolver that asks only `server`.
pub fn dns_at(server: SocketAddr, timeout: Duration) -> Arc<dyn Dns> {
    Arc::new(
        HickoryDns::new(&ResolverSettings {
            servers: vec![server],
            timeout,
            attempts: 1,
        })
        .expect("a resolver for 127.0.0.1"),
    )
}
