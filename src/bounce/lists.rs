//! Which DNS list a rejection names, from the zone catalog itself: a zone
//! written out (`zen.spamhaus.org`, a keyed `<key>.zen.dq.spamhaus.net`),
//! an explicit `blocked using ZONE` / `listed at ZONE` for a zone the
//! catalog does not hold, or one of a zone's `aliases` ("Spamhaus",
//! "SpamCop", "Barracuda Reputation Block List"), matched case-insensitively
//! on word boundaries.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use serde::Serialize;

use super::parse::mask_dqs;
use crate::catalog::{Catalog, Role};

/// A list a rejection names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NamedList {
    /// The zone as the text names it (a DQS key masked when serialised).
    #[serde(serialize_with = "ser_masked")]
    pub name: String,
    /// The catalog zone it is (a keyed zone's template), if the catalog has it.
    pub zone: Option<String>,
    /// The zone to query for it now: the zone itself, or a keyed zone's public mirror.
    pub query: Option<String>,
    /// The catalog's name for the list.
    pub list_name: Option<String>,
    /// The words in the text that named it.
    #[serde(serialize_with = "ser_masked")]
    pub matched: String,
}

fn ser_masked<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&mask_dqs(v))
}

/// The catalog's zones and aliases, ready for matching.
#[derive(Debug)]
pub struct ListIndex<'c> {
    catalog: &'c Catalog,
    exact: HashMap<String, usize>,
    keyed: Vec<(String, usize)>,
    aliases: Option<Regex>,
    alias_zone: HashMap<String, usize>,
}

static DNS_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))+\b")
        .expect("valid regex")
});

static EXPLICIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:blocked using|(?:listed|found) (?:in|on|at|by)(?: the)?(?: (?:rbl|dnsbl|blocklist|blacklist))?)\s+([a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.[a-z]{2,})\b|\b([a-z0-9_-]+(?:\.[a-z0-9_-]+)+\.[a-z]{2,}) returned 127\.")
        .expect("valid regex")
});

/// A DNS zone the text names with an explicit phrase (`blocked using ZONE`,
/// `listed at ZONE`, `ZONE returned 127.0.0.2`), catalog or not.
pub fn explicit_zone(text: &str) -> Option<String> {
    EXPLICIT.captures_iter(text).find_map(|c| {
        let m = c
            .get(1)
            .or(c.get(2))?
            .as_str()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        (!m.starts_with("www.") && !m.ends_with(".html") && !m.ends_with(".shtml")).then_some(m)
    })
}

impl<'c> ListIndex<'c> {
    /// Indexes the catalog's zones (allow lists excluded: they never refuse mail).
    pub fn new(catalog: &'c Catalog) -> ListIndex<'c> {
        let mut exact = HashMap::new();
        let mut keyed = Vec::new();
        let mut alias_zone = HashMap::new();
        let mut words: Vec<String> = Vec::new();
        for (i, z) in catalog.zones.iter().enumerate() {
            if z.role == Role::Allow {
                continue;
            }
            match z.zone.strip_prefix(crate::catalog::KEY_PLACEHOLDER) {
                Some(suffix) => keyed.push((suffix.to_string(), i)),
                None => {
                    exact.entry(z.zone.clone()).or_insert(i);
                }
            }
            for a in &z.aliases {
                let key = a.to_lowercase();
                if let std::collections::hash_map::Entry::Vacant(e) = alias_zone.entry(key) {
                    e.insert(i);
                    words.push(a.clone());
                }
            }
        }
        // Longer aliases first, so "Spamhaus XBL" wins over "Spamhaus" where both start.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let aliases = (!words.is_empty()).then(|| {
            let alternation = words
                .iter()
                .map(|w| regex::escape(w))
                .collect::<Vec<_>>()
                .join("|");
            RegexBuilder::new(&format!(r"(?i)(?:^|\W)({alternation})(?:\W|$)"))
                .build()
                .expect("escaped aliases form a valid regex")
        });
        ListIndex {
            catalog,
            exact,
            keyed,
            aliases,
            alias_zone,
        }
    }

    fn zone_index(&self, name: &str) -> Option<usize> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(i) = self.exact.get(&name) {
            return Some(*i);
        }
        self.keyed
            .iter()
            .find(|(suffix, i)| {
                name.strip_suffix(suffix.as_str()).is_some()
                    && self.catalog.zones[*i].is_named_by(&name)
            })
            .map(|(_, i)| *i)
    }

    fn named(&self, name: &str, index: Option<usize>, matched: &str) -> NamedList {
        let zone = index.map(|i| &self.catalog.zones[i]);
        NamedList {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            zone: zone.map(|z| z.zone.clone()),
            query: zone.and_then(|z| {
                self.catalog
                    .public_zone_for(if z.needs_key() { name } else { &z.zone })
                    .map(|p| p.zone.clone())
            }),
            list_name: zone.map(|z| z.name.clone()),
            matched: matched.to_string(),
        }
    }

    /// The lookup URL template of a catalog zone.
    pub fn lookup_url(&self, zone: &str) -> Option<String> {
        self.catalog
            .zones
            .iter()
            .find(|z| z.zone == zone)?
            .lookup_url
            .clone()
    }

    /// The list `text` names: a catalog zone written out, else an explicit
    /// `blocked using ZONE` for any zone, else the longest alias.
    pub fn find(&self, text: &str) -> Option<NamedList> {
        for m in DNS_NAME.find_iter(text) {
            if let Some(i) = self.zone_index(m.as_str()) {
                return Some(self.named(m.as_str(), Some(i), m.as_str()));
            }
        }
        if let Some(zone) = explicit_zone(text) {
            return Some(self.named(&zone, None, &zone));
        }
        let re = self.aliases.as_ref()?;
        let best = re
            .captures_iter(text)
            .filter_map(|c| c.get(1))
            .max_by_key(|m| (m.len(), std::cmp::Reverse(m.start())))?;
        let i = *self.alias_zone.get(&best.as_str().to_lowercase())?;
        let z = &self.catalog.zones[i];
        Some(self.named(&z.zone, Some(i), best.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_explicit_names_and_aliases() {
        let c = Catalog::builtin();
        let idx = ListIndex::new(&c);
        let n = idx.find("Client host [192.0.2.1] blocked using zen.spamhaus.org; see https://www.spamhaus.org/").unwrap();
        assert_eq!(n.zone.as_deref(), Some("zen.spamhaus.org"));
        assert_eq!(n.query.as_deref(), Some("zen.spamhaus.org"));
        let n = idx
            .find("blocked using ABCDEFGHIJKLMNOPQRSTUVWXYZ.zen.dq.spamhaus.net")
            .unwrap();
        assert_eq!(n.name, "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net");
        assert_eq!(n.zone.as_deref(), Some("{key}.zen.dq.spamhaus.net"));
        assert_eq!(n.query.as_deref(), Some("zen.spamhaus.org"));
        assert_eq!(
            serde_json::to_value(&n).unwrap()["name"],
            "<key>.zen.dq.spamhaus.net"
        );
        let n = idx
            .find("Client host blocked using mail.example.org; see")
            .unwrap();
        assert_eq!(
            (n.name.as_str(), n.zone.as_deref()),
            ("mail.example.org", None)
        );
        let n = idx.find("on Spamhaus XBL; see the Spamhaus site").unwrap();
        assert_eq!(n.zone.as_deref(), Some("xbl.spamhaus.org"));
        assert_eq!(n.matched, "Spamhaus XBL");
        let n = idx.find("IP is UCEPROTECT-Level2 listed").unwrap();
        assert_eq!(n.zone.as_deref(), Some("dnsbl-2.uceprotect.net"));
        assert!(idx.find("rejected by our Barracuda appliance").is_none());
        assert!(
            idx.find("see https://www.spamcop.net/bl.shtml?192.0.2.1")
                .is_some()
        );
        assert!(idx.find("user unknown").is_none());
    }
}
