//! `zones`: the catalog, and with `--health` each zone's RFC 5782 test points.

use std::io::Write;

use crate::catalog::Zone;
use crate::config::Config;
use crate::engine;
use crate::render;
use crate::report::{ExitStatus, Health, HealthReport};

use super::{Lookups, RunError};

/// `zones`' inputs.
#[derive(Clone, Debug)]
pub struct Zones {
    /// The zones to show or probe.
    pub zones: Vec<Zone>,
    /// Probe the RFC 5782 test points.
    pub health: bool,
}

impl Zones {
    /// Lists (no DNS) or probes the zones; the exit status says whether
    /// every probed zone is healthy.
    pub async fn run(&self, config: &Config, out: &mut dyn Write) -> Result<ExitStatus, RunError> {
        let mut exporter = render::exporter(config, out);
        if !self.health {
            exporter.zones(&self.zones)?;
            return Ok(ExitStatus::Clean);
        }
        let lookups = Lookups::resolver(&self.zones, config)?;
        let probes = engine::health(lookups.dns, &self.zones, &config.engine).await;
        let reports: Vec<HealthReport> = probes
            .into_iter()
            .map(|(zi, family, probe)| {
                let (health, detail) = probe.health();
                let detail = detail.to_string();
                HealthReport {
                    zone: self.zones[zi].zone.clone(),
                    name: self.zones[zi].name.clone(),
                    family,
                    health,
                    detail,
                    resolver: probe.server.map(|s| s.to_string()),
                    positive: probe.positive,
                    negative: probe.negative,
                }
            })
            .collect();
        exporter.health(&reports)?;
        let all_healthy = reports.iter().all(|r| r.health == Health::Healthy);
        Ok(if all_healthy && !reports.is_empty() {
            ExitStatus::Clean
        } else {
            ExitStatus::Incomplete
        })
    }
}
