//! Monitoring on the command line: the configuration file and
//! `BLOCKLENS_RESOLVER` filling what the options leave unset, and the inputs
//! of `check`'s watch options, `serve` and `history`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};

use blocklens::monitor::config_file::{
    ConfigFile, RESOLVER_ENV, find_default, parse_interval, resolvers_from_env,
};
use blocklens::monitor::nagios::Thresholds;
use blocklens::monitor::notify::NotifyOptions;
use blocklens::target::Target;

use super::{DnsArgs, ListArgs, LoadArgs, WatchArgs};

/// Where `serve` listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9319";
/// `serve`'s default interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// The configuration file: `--config`, else the first default that exists.
pub fn config_file(watch: &WatchArgs) -> anyhow::Result<Option<ConfigFile>> {
    let path = match &watch.config {
        Some(p) => Some(p.clone()),
        None => find_default(),
    };
    path.map(|p| ConfigFile::load(&p).map_err(anyhow::Error::from))
        .transpose()
}

/// `BLOCKLENS_RESOLVER` when no `--resolver` is given.
pub fn apply_env(dns: &mut DnsArgs) -> anyhow::Result<()> {
    if dns.resolver.is_empty()
        && let Ok(value) = std::env::var(RESOLVER_ENV)
    {
        dns.resolver = resolvers_from_env(&value).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// What the file sets and the options (and the environment) leave unset.
pub fn apply_file(file: &ConfigFile, dns: &mut DnsArgs, lists: &mut ListArgs, load: &mut LoadArgs) {
    if dns.resolver.is_empty() {
        dns.resolver = file.resolvers.clone();
    }
    dns.timeout = dns.timeout.or(file.timeout);
    dns.attempts = dns.attempts.or(file.attempts.map(|a| a as u32));
    load.concurrency = load.concurrency.or(file.concurrency.map(|c| c as u32));
    load.rate = load.rate.or(file.rate);
    if lists.lists.is_none() {
        lists.lists = file.lists.clone();
    }
    if lists.zone.is_empty() {
        lists.zone = file.zones.clone();
    }
    lists.all_zones |= file.all_zones.unwrap_or(false);
}

/// The webhook: `--notify`, else the file's.
pub fn notify(
    watch: &WatchArgs,
    file: Option<&ConfigFile>,
) -> anyhow::Result<Option<NotifyOptions>> {
    match &watch.notify {
        Some(url) => Ok(Some(NotifyOptions::new(url)?)),
        None => Ok(file.and_then(|f| f.notify.clone())),
    }
}

/// The Nagios levels: options, else the file's.
pub fn thresholds(
    warning: Option<u32>,
    critical: Option<u32>,
    file: Option<&ConfigFile>,
) -> anyhow::Result<Thresholds> {
    let warning = warning.or(file.and_then(|f| f.warning));
    let critical = critical.or(file.and_then(|f| f.critical));
    Ok(Thresholds::new(warning, critical)?)
}

/// `serve`'s targets: `--targets FILE`, else the file's.
pub fn serve_targets(arg: Option<&str>, file: Option<&ConfigFile>) -> anyhow::Result<Vec<Target>> {
    let targets = match arg {
        Some(path) if path == "-" || path.starts_with('@') => {
            super::build::check_targets(&[path.to_string()])?
        }
        Some(path) => super::build::check_targets(&[format!("@{path}")])?,
        None => file.map(|f| f.targets.clone()).unwrap_or_default(),
    };
    if targets.is_empty() {
        bail!("no target to watch: give --targets FILE, or targets in the configuration file");
    }
    Ok(targets)
}

/// `serve`'s address and interval: options, else the file's, else the defaults.
pub fn serve_timing(
    listen: Option<SocketAddr>,
    interval: Option<&str>,
    file: Option<&ConfigFile>,
) -> anyhow::Result<(SocketAddr, Duration)> {
    let listen = listen
        .or(file.and_then(|f| f.listen))
        .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("a valid address"));
    let interval = match interval {
        Some(i) => parse_interval(i)
            .map_err(anyhow::Error::msg)
            .context("invalid --interval")?,
        None => file.and_then(|f| f.interval).unwrap_or(DEFAULT_INTERVAL),
    };
    Ok((listen, interval))
}
