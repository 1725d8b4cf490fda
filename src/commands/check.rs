//! `check`: targets against the selected zones, and with `--sender` the
//! sender side (SPF, DMARC, reverse DNS, domain lists) of each IP.

use std::io::Write;
use std::sync::Arc;

use futures::StreamExt;

use crate::catalog::Zone;
use crate::config::{Config, EngineOptions};
use crate::dns::Dns;
use crate::engine;
use crate::render;
use crate::report::{ExitStatus, Report, SenderReport};
use crate::target::Target;

use super::{Lookups, RunError};

/// `check`'s inputs.
#[derive(Clone, Debug)]
pub struct Check {
    /// IPs and domains, in input order.
    pub targets: Vec<Target>,
    /// The zones to query.
    pub zones: Vec<Zone>,
    /// `--sender DOMAIN`: also check SPF, DMARC, reverse DNS and domain lists.
    pub sender: Option<String>,
    /// `--helo NAME`, for SPF's `%{h}`.
    pub helo: Option<String>,
}

impl Check {
    /// Checks, writes the reports, and returns the exit status.
    pub async fn run(&self, config: &Config, out: &mut dyn Write) -> Result<ExitStatus, RunError> {
        let lookups = Lookups::resolver(&self.zones, config)?;
        let dns = lookups.dns;
        let mut reports =
            engine::check(Arc::clone(&dns), &self.zones, &self.targets, &config.engine).await;
        if let Some(domain) = &self.sender {
            senders(
                dns,
                &self.zones,
                &mut reports,
                &self.targets,
                domain,
                self.helo.as_deref(),
                &config.engine,
            )
            .await;
        }
        render::exporter(config.format, config.style, out).check(&reports)?;
        Ok(ExitStatus::from_reports(&reports))
    }
}

/// Fills the `sender` object of every IP report: SPF for `domain` and the
/// IP, DMARC policy and alignment, reverse DNS, and the domain lists' results
/// for `domain` (queried once).
async fn senders(
    dns: Arc<dyn Dns>,
    zones: &[Zone],
    reports: &mut [Report],
    targets: &[Target],
    domain: &str,
    helo: Option<&str>,
    opts: &EngineOptions,
) {
    let domain_target = Target::Domain(domain.to_string());
    let domain_results = engine::check(
        Arc::clone(&dns),
        zones,
        std::slice::from_ref(&domain_target),
        opts,
    )
    .await
    .pop()
    .map(|r| r.results)
    .unwrap_or_default();
    let ips: Vec<(usize, std::net::IpAddr)> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Target::Ip(ip) => Some((i, *ip)),
            Target::Domain(_) => None,
        })
        .collect();
    let done: Vec<(usize, SenderReport)> = futures::stream::iter(ips)
        .map(|(i, ip)| {
            let dns = Arc::clone(&dns);
            let results = domain_results.clone();
            async move {
                let req = crate::spf::Request::for_domain(ip, domain, None, helo);
                let (spf, rdns) = futures::join!(
                    crate::spf::check_host(dns.as_ref(), &req),
                    crate::rdns::check(dns.as_ref(), ip)
                );
                let pass_domain = (spf.result == crate::spf::SpfResult::Pass).then_some(domain);
                let dmarc = crate::dmarc::check(dns.as_ref(), domain, pass_domain).await;
                (
                    i,
                    SenderReport::new(
                        domain.to_string(),
                        helo.map(str::to_string),
                        spf,
                        dmarc,
                        rdns,
                        results,
                    ),
                )
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    for (i, sender) in done {
        reports[i].sender = Some(sender);
    }
}
