//! A [`Dns`] that answers names under local zones from memory.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::zone::{Answer, Zone};
use crate::dns::{self, Dns, Failure, Outcome, Record, RecordType};

/// Answers A and TXT (and NODATA or NXDOMAIN for the other types) for names
/// under its zones from their data, exactly as rbldnsd serving the same
/// files would; every other name goes to the inner [`Dns`].
pub struct LocalZones {
    /// Most labels first, so the most specific zone answers.
    zones: Vec<Zone>,
    inner: Arc<dyn Dns>,
}

impl LocalZones {
    /// Local zones in front of `inner`. A zone given twice answers from
    /// the datasets of both.
    pub fn new(zones: Vec<Zone>, inner: Arc<dyn Dns>) -> LocalZones {
        let mut merged: Vec<Zone> = Vec::new();
        for zone in zones {
            match merged.iter_mut().find(|z| z.name() == zone.name()) {
                Some(z) => z.add_datasets(zone.datasets()),
                None => merged.push(zone),
            }
        }
        merged.sort_by_key(|z| std::cmp::Reverse(z.name().split('.').count()));
        LocalZones {
            zones: merged,
            inner,
        }
    }

    /// The zones, most specific first.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The local answer for `name`, or `None` if no local zone holds it.
    pub fn answer(&self, name: &str, rtype: RecordType) -> Option<Outcome> {
        let (zone, relative) = self
            .zones
            .iter()
            .find_map(|z| z.relative(name).map(|r| (z, r)))?;
        Some(match zone.answer(relative) {
            Answer::NxDomain => Outcome::NxDomain,
            Answer::NoData => Outcome::NoData,
            Answer::ServFail => Outcome::Failed(Failure::ServFail),
            Answer::BadName(why) => Outcome::Failed(Failure::Other(why)),
            Answer::Listed(listing) => {
                let records: Vec<Record> = match rtype {
                    RecordType::A => listing.a.into_iter().map(Record::A).collect(),
                    RecordType::Txt => listing.txt.into_iter().map(Record::Txt).collect(),
                    _ => Vec::new(),
                };
                if records.is_empty() {
                    Outcome::NoData
                } else {
                    Outcome::Records(records)
                }
            }
        })
    }
}

impl Dns for LocalZones {
    fn lookup<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, Outcome> {
        match self.answer(name, rtype) {
            Some(outcome) => futures::future::ready(outcome).boxed(),
            None => self.inner.lookup(name, rtype),
        }
    }

    fn lookup_any<'a>(&'a self, name: &'a str, rtype: RecordType) -> BoxFuture<'a, dns::Answer> {
        match self.answer(name, rtype) {
            Some(outcome) => futures::future::ready(dns::Answer {
                outcome,
                server: None,
            })
            .boxed(),
            None => self.inner.lookup_any(name, rtype),
        }
    }

    /// A local name is answered from memory whichever server is asked.
    fn lookup_on<'a>(
        &'a self,
        server: std::net::SocketAddr,
        name: &'a str,
        rtype: RecordType,
    ) -> BoxFuture<'a, dns::Answer> {
        match self.answer(name, rtype) {
            Some(outcome) => futures::future::ready(dns::Answer {
                outcome,
                server: None,
            })
            .boxed(),
            None => self.inner.lookup_on(server, name, rtype),
        }
    }

    fn servers(&self) -> Vec<std::net::SocketAddr> {
        self.inner.servers()
    }

    fn server_health(&self) -> Vec<crate::dns::ServerHealth> {
        self.inner.server_health()
    }

    fn describe(&self) -> String {
        let names: Vec<&str> = self.zones.iter().map(Zone::name).collect();
        format!(
            "local data for {}, else {}",
            names.join(", "),
            self.inner.describe()
        )
    }
}
