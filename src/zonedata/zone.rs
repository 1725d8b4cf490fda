//! A zone made of datasets, answering query names as rbldnsd does
//! (`findqzone`, `dntoip` and `replypacket` in `rbldnsd_packet.c`).

use std::net::Ipv4Addr;
#[cfg(test)]
use std::net::Ipv6Addr;
use std::sync::Arc;

use super::DatasetKind;
use super::dataset::{Dataset, Hit};
use super::text::wire_name;

/// What a zone lists for a name: the A records and TXT records of every
/// matching entry of every dataset, each once, in dataset order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// The A records (never empty for a listing).
    pub a: Vec<Ipv4Addr>,
    /// The TXT records after `$` substitution (empty when no entry has a
    /// TXT template).
    pub txt: Vec<String>,
}

impl Listing {
    fn add(&mut self, hit: &Hit<'_>) {
        for a in hit.a_records() {
            if !self.a.contains(&a) {
                self.a.push(a);
            }
        }
        for t in hit.txt_records() {
            if !self.txt.contains(&t) {
                self.txt.push(t);
            }
        }
    }
}

/// A zone's answer to a query name, whatever the record type asked for:
/// rbldnsd answers NXDOMAIN for a name no dataset lists, and otherwise
/// NOERROR with the records of the type asked for (none: NODATA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// No dataset lists the name (or an exclusion unlists it): NXDOMAIN.
    NxDomain,
    /// The zone's own name: it exists, with no A or TXT: NODATA.
    NoData,
    /// Listed.
    Listed(Listing),
    /// The zone's data has expired (`$TIMESTAMP`): rbldnsd answers SERVFAIL.
    ServFail,
    /// The name cannot be sent in a query (an empty label, a label over 63
    /// bytes, over 255 bytes in all).
    BadName(String),
}

/// A zone: a name and the datasets it is built from (rbldnsd's
/// `zone:type:file` given once per dataset).
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    datasets: Vec<Arc<Dataset>>,
    has_v4: bool,
    has_v6: bool,
    has_names: bool,
}

/// What a query name means to the datasets of a zone.
struct Query {
    ip4: Option<u32>,
    ip6: Option<u128>,
    /// The relative name in wire form without the root byte, built only
    /// when the zone has a dnset.
    name: Vec<u8>,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Four labels of one to three digits (three-digit ones at most 255), the
/// last octet first. Leading zeros are accepted, as rbldnsd does.
fn reversed_v4(labels: &[&[u8]]) -> Option<u32> {
    if labels.len() != 4 {
        return None;
    }
    let mut ip = 0u32;
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() || label.len() > 3 || !label.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = label
            .iter()
            .fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
        if v > 255 {
            return None;
        }
        ip |= v << (8 * i);
    }
    Some(ip)
}

/// Thirty-two one-character hex labels, the last nibble first.
fn reversed_v6(labels: &[&[u8]]) -> Option<u128> {
    if labels.len() != 32 {
        return None;
    }
    let mut ip = 0u128;
    for (i, label) in labels.iter().enumerate() {
        let [c] = label else { return None };
        let nibble = match c.to_ascii_lowercase() {
            d @ b'0'..=b'9' => d - b'0',
            h @ b'a'..=b'f' => h - b'a' + 10,
            _ => return None,
        };
        ip |= u128::from(nibble) << (4 * i);
    }
    Some(ip)
}

/// `labels` in wire form, lowercased, without the root byte.
fn wire_labels<'a>(labels: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut wire = Vec::new();
    for label in labels {
        wire.push(label.len() as u8);
        wire.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    wire
}

impl Zone {
    /// A zone named `name` (a domain, any case, trailing dot optional)
    /// built from `datasets`, in the order given.
    pub fn new(name: &str, datasets: Vec<Arc<Dataset>>) -> Result<Zone, String> {
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        match wire_name(name.as_bytes()) {
            Some(w) if w.len() > 1 && !name.contains("..") && !name.starts_with('.') => {}
            _ => return Err(format!("`{name}` is not a valid zone name")),
        }
        let has = |f: fn(DatasetKind) -> bool| datasets.iter().any(|d| f(d.kind()));
        Ok(Zone {
            has_v4: has(DatasetKind::is_ipv4),
            has_v6: has(DatasetKind::is_ipv6),
            has_names: has(|k| k == DatasetKind::Dnset),
            name,
            datasets,
        })
    }

    /// Adds datasets after the zone's own (a zone named twice).
    pub(crate) fn add_datasets(&mut self, more: &[Arc<Dataset>]) {
        self.datasets.extend(more.iter().cloned());
        let has = |f: fn(DatasetKind) -> bool| more.iter().any(|d| f(d.kind()));
        self.has_v4 |= has(DatasetKind::is_ipv4);
        self.has_v6 |= has(DatasetKind::is_ipv6);
        self.has_names |= has(|k| k == DatasetKind::Dnset);
    }

    /// The zone's name (lowercase, no trailing dot).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The datasets, in query order.
    pub fn datasets(&self) -> &[Arc<Dataset>] {
        &self.datasets
    }

    /// The earliest `$TIMESTAMP` expiry of the datasets (seconds since
    /// the epoch).
    pub fn expires(&self) -> Option<i64> {
        self.datasets.iter().filter_map(|d| d.expires()).min()
    }

    /// Whether the data has expired at `now` (seconds since the epoch).
    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expires().is_some_and(|e| e < now)
    }

    /// The part of `name` below this zone (`Some(b"")` for the zone
    /// itself), or `None` if `name` is not in the zone. Case-insensitive;
    /// one trailing dot is ignored.
    pub fn relative<'n>(&self, name: &'n str) -> Option<&'n [u8]> {
        let name = name.strip_suffix('.').unwrap_or(name).as_bytes();
        let zone = self.name.as_bytes();
        if name.len() == zone.len() {
            return name.eq_ignore_ascii_case(zone).then_some(&name[..0]);
        }
        let cut = name.len().checked_sub(zone.len() + 1)?;
        (name[cut] == b'.' && name[cut + 1..].eq_ignore_ascii_case(zone)).then_some(&name[..cut])
    }

    /// The answer for a name below the zone, given as the part below it
    /// (`b"2.0.0.127"`, `b""` for the zone itself), now.
    pub fn answer(&self, relative: &[u8]) -> Answer {
        self.answer_at(relative, now_secs())
    }

    /// [`Zone::answer`] at a given time (seconds since the epoch).
    pub(crate) fn answer_at(&self, relative: &[u8], now: i64) -> Answer {
        if self.is_expired_at(now) {
            return Answer::ServFail;
        }
        if relative.is_empty() {
            return Answer::NoData;
        }
        let labels: Vec<&[u8]> = relative.split(|&c| c == b'.').collect();
        if labels.iter().any(|l| l.is_empty() || l.len() > 63)
            || relative.len() + self.name.len() + 3 > 255
        {
            return Answer::BadName(format!(
                "invalid name {}.{}",
                String::from_utf8_lossy(relative),
                self.name
            ));
        }
        let query = self.query(&labels);
        match self.listing(&query) {
            Some(listing) => Answer::Listed(listing),
            None => Answer::NxDomain,
        }
    }

    /// The answer for an IPv4 address (its reversed name), now.
    #[cfg(test)]
    fn answer_v4(&self, ip: Ipv4Addr) -> Answer {
        let o = ip.octets();
        self.answer(format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0]).as_bytes())
    }

    /// The answer for an IPv6 address (its 32 reversed nibbles), now. In a
    /// zone with IPv4 data, rbldnsd looks up IPv4-mapped addresses
    /// (`::ffff:a.b.c.d`) in the IPv4 data only and 6to4 addresses
    /// (`2002:aabb:ccdd::/48`) in both.
    #[cfg(test)]
    fn answer_v6(&self, ip: Ipv6Addr) -> Answer {
        let v = u128::from(ip);
        let name: Vec<String> = (0..32)
            .map(|i| format!("{:x}", (v >> (4 * i)) & 0xf))
            .collect();
        self.answer(name.join(".").as_bytes())
    }

    /// The fast path for scans: the listing of an IPv4 address (host
    /// order) in this zone, exactly as [`Zone::answer_v4`] would give it,
    /// but without the expiry check (see [`Zone::is_expired_at`]).
    /// Nothing is allocated when the address is not listed, unless the
    /// zone has a dnset (which rbldnsd asks for the reversed name too).
    pub fn listing_v4(&self, ip: u32) -> Option<Listing> {
        if !self.has_names && !self.datasets.iter().any(|d| d.lookup_v4(ip).is_some()) {
            return None;
        }
        let query = Query {
            ip4: Some(ip),
            ip6: None,
            name: self.reversed_v4_wire(ip),
        };
        self.listing(&query)
    }

    /// Whether an IPv4 address is listed (no allocation without a dnset).
    #[inline]
    pub fn is_listed_v4(&self, ip: u32) -> bool {
        if self.has_names {
            return self.listing_v4(ip).is_some();
        }
        self.datasets.iter().any(|d| d.lookup_v4(ip).is_some())
    }

    fn reversed_v4_wire(&self, ip: u32) -> Vec<u8> {
        if !self.has_names {
            return Vec::new();
        }
        let text: Vec<String> = (0..4)
            .map(|i| ((ip >> (8 * i)) & 255).to_string())
            .collect();
        wire_labels(text.iter().map(|t| t.as_bytes()))
    }

    /// What the datasets see of a relative name (`dntoip`).
    fn query(&self, labels: &[&[u8]]) -> Query {
        let mut q = Query {
            ip4: None,
            ip6: None,
            name: if self.has_names {
                wire_labels(labels.iter().copied())
            } else {
                Vec::new()
            },
        };
        if !(self.has_v4 || self.has_v6) {
            return q;
        }
        q.ip4 = reversed_v4(labels);
        if q.ip4.is_some() {
            return q;
        }
        q.ip6 = reversed_v6(labels);
        if let (Some(ip6), true) = (q.ip6, self.has_v4) {
            if ip6 >> 112 == 0x2002 {
                // 6to4 (RFC 3056): the IPv4 address is bits 16..48.
                q.ip4 = Some((ip6 >> 80) as u32);
            } else if ip6 >> 32 == 0xffff {
                // IPv4-mapped: looked up as IPv4 only.
                q.ip4 = Some(ip6 as u32);
                q.ip6 = None;
            }
        }
        q
    }

    fn listing(&self, q: &Query) -> Option<Listing> {
        let mut listing: Option<Listing> = None;
        for ds in &self.datasets {
            let hit = match ds.kind() {
                k if k.is_ipv4() => q.ip4.and_then(|ip| ds.lookup_v4(ip)),
                k if k.is_ipv6() => q.ip6.and_then(|ip| ds.lookup_v6(ip)),
                _ => ds.lookup_name(&q.name),
            };
            if let Some(hit) = hit {
                listing.get_or_insert_with(Listing::default).add(&hit);
            }
        }
        listing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zonedata::LoadOptions;

    fn zone(specs: &[(DatasetKind, &str)]) -> Zone {
        let datasets = specs
            .iter()
            .map(|(k, text)| {
                Arc::new(
                    Dataset::parse(*k, &[("t", text.as_bytes())], &LoadOptions::strict()).unwrap(),
                )
            })
            .collect();
        Zone::new("bl.Example.", datasets).unwrap()
    }

    fn a(answer: Answer) -> Vec<String> {
        match answer {
            Answer::Listed(l) => l.a.iter().map(|a| a.to_string()).collect(),
            other => vec![format!("{other:?}")],
        }
    }

    #[test]
    fn query_names_as_rbldnsd_reads_them() {
        let z = zone(&[(DatasetKind::Ip4Set, "127.0.0.2\n:3:\n10.0.0.0/8\n")]);
        assert_eq!(z.relative("2.0.0.127.BL.example."), Some(&b"2.0.0.127"[..]));
        assert_eq!(z.relative("bl.example"), Some(&b""[..]));
        assert_eq!(z.relative("xbl.example"), None);
        assert_eq!(a(z.answer(b"2.0.0.127")), ["127.0.0.2"]);
        assert_eq!(a(z.answer(b"002.00.0.127")), ["127.0.0.2"], "leading zeros");
        assert_eq!(a(z.answer(b"256.0.0.127")), ["NxDomain"]);
        assert_eq!(a(z.answer(b"1.0.0.127")), ["NxDomain"]);
        assert_eq!(a(z.answer(b"x.2.0.0.127")), ["NxDomain"]);
        assert_eq!(a(z.answer(b"")), ["NoData"]);
        assert!(matches!(z.answer(b"a..b"), Answer::BadName(_)));
        assert_eq!(a(z.answer_v4("10.1.2.3".parse().unwrap())), ["127.0.0.3"]);
        assert!(z.is_listed_v4(0x0a01_0203) && !z.is_listed_v4(0x0b00_0000));
    }

    #[test]
    fn mapped_and_6to4_addresses_go_to_ipv4_data() {
        let z = zone(&[
            (DatasetKind::Ip4Set, "127.0.0.2\n"),
            (DatasetKind::Ip6Trie, ":5:\n::ffff:0:0/96\n2002::/16\n"),
        ]);
        // Mapped: IPv4 data only (the ip6trie /96 is not asked).
        assert_eq!(
            a(z.answer_v6("::ffff:127.0.0.2".parse().unwrap())),
            ["127.0.0.2"]
        );
        assert_eq!(
            a(z.answer_v6("::ffff:127.0.0.3".parse().unwrap())),
            ["NxDomain"]
        );
        // 6to4: both.
        assert_eq!(
            a(z.answer_v6("2002:7f00:2::1".parse().unwrap())),
            ["127.0.0.2", "127.0.0.5"]
        );
        let v6only = zone(&[(DatasetKind::Ip6Trie, ":5:\n::ffff:0:0/96\n")]);
        assert_eq!(
            a(v6only.answer_v6("::ffff:127.0.0.3".parse().unwrap())),
            ["127.0.0.5"]
        );
    }

    #[test]
    fn expired_data_is_servfail() {
        let z = zone(&[(
            DatasetKind::Ip4Set,
            "$TIMESTAMP 2020:01:01 2020:01:02\n127.0.0.2\n",
        )]);
        assert_eq!(z.expires(), Some(1_577_923_200));
        assert_eq!(
            z.answer_at(b"2.0.0.127", 1_577_923_200),
            a_listed("127.0.0.2")
        );
        assert_eq!(z.answer_at(b"2.0.0.127", 1_577_923_201), Answer::ServFail);
    }

    fn a_listed(ip: &str) -> Answer {
        Answer::Listed(Listing {
            a: vec![ip.parse().unwrap()],
            txt: vec![],
        })
    }
}
