//! A loaded dataset and what it answers for an address or a name.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::intervals::{IntervalMap, UNLISTED};
use super::text::{RawValue, first, name_text};
use super::{DatasetKind, LoadStats};

/// The longest TXT record rbldnsd sends after substitution.
const MAX_TXT: usize = 254;

/// The `$0`..`$9` substitution variables and the `$=` base template of a
/// dataset (the first assignment of each wins).
#[derive(Debug, Default)]
pub(crate) struct Substs {
    pub vars: [Option<Box<[u8]>>; 10],
    pub base: Option<Box<[u8]>>,
}

/// The names of a dnset: exact names and wildcard bases (wire form without
/// the root byte, lowercased), each with its group (`UNLISTED`: excluded).
#[derive(Debug, Default)]
pub(crate) struct NameSet {
    pub plain: HashMap<Box<[u8]>, u32>,
    pub wild: HashMap<Box<[u8]>, u32>,
}

/// The lookup structure of a dataset.
#[derive(Debug)]
pub(crate) enum Data {
    V4(IntervalMap<u32>),
    V6(IntervalMap<u128>),
    Names(NameSet),
}

/// One rbldnsd dataset (`type:file,file...`), loaded into memory.
///
/// Lookups answer exactly what rbldnsd's dataset would add to a reply: see
/// [`Dataset::lookup_v4`], [`Dataset::lookup_v6`] and
/// [`Dataset::lookup_name`]. A zone combines datasets ([`super::Zone`]).
#[derive(Debug)]
pub struct Dataset {
    pub(crate) kind: DatasetKind,
    pub(crate) data: Data,
    /// Every distinct (A, TXT template) value.
    pub(crate) values: Vec<RawValue>,
    /// Group `g` is `group_values[group_starts[g]..group_starts[g + 1]]`;
    /// group 0 is empty (not listed).
    pub(crate) group_starts: Vec<u32>,
    pub(crate) group_values: Vec<u32>,
    pub(crate) substs: Substs,
    /// `$TIMESTAMP` expiry (seconds since the epoch), if any.
    pub(crate) expires: Option<i64>,
    pub(crate) stats: LoadStats,
}

/// What a listing's `$` stands for in its TXT template.
#[derive(Clone, Copy, Debug)]
enum Subject<'a> {
    /// The queried IPv4 address.
    V4(u32),
    /// The queried IPv6 address.
    V6(u128),
    /// The dnset entry that matched (wire form without the root byte).
    Name(&'a [u8]),
}

/// A listing found in one dataset: its A records and TXT templates, with
/// what `$` stands for. Finding one allocates nothing; the TXT text is only
/// built when asked for.
#[derive(Clone, Copy, Debug)]
pub struct Hit<'a> {
    dataset: &'a Dataset,
    values: &'a [u32],
    subject: Subject<'a>,
}

impl Dataset {
    /// The dataset's type.
    pub fn kind(&self) -> DatasetKind {
        self.kind
    }

    /// What loading found: entries read, lines skipped and why.
    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }

    /// When the data expires (`$TIMESTAMP`), as seconds since the epoch.
    /// rbldnsd answers SERVFAIL for a zone with expired data.
    pub fn expires(&self) -> Option<i64> {
        self.expires
    }

    /// Approximate heap bytes of the lookup structures and values.
    pub fn heap_bytes(&self) -> usize {
        let data = match &self.data {
            Data::V4(m) => m.heap_bytes(),
            Data::V6(m) => m.heap_bytes(),
            Data::Names(n) => n
                .plain
                .keys()
                .chain(n.wild.keys())
                .map(|k| k.len() + 48)
                .sum(),
        };
        let values: usize = self.values.iter().map(|v| v.txt.len() + 24).sum();
        data + values + (self.group_starts.capacity() + self.group_values.capacity()) * 4
    }

    /// The listing of an IPv4 address (host order), for the IPv4 types;
    /// `None` if it is not listed, excluded, or this is not an IPv4 dataset.
    #[inline]
    pub fn lookup_v4(&self, ip: u32) -> Option<Hit<'_>> {
        match &self.data {
            Data::V4(map) => self.hit(map.get(ip), Subject::V4(ip)),
            _ => None,
        }
    }

    /// The listing of an IPv6 address, for the IPv6 types.
    pub fn lookup_v6(&self, ip: u128) -> Option<Hit<'_>> {
        match &self.data {
            Data::V6(map) => self.hit(map.get(ip), Subject::V6(ip)),
            _ => None,
        }
    }

    /// The listing of a domain name in wire form without the root byte
    /// (length-prefixed labels, lowercased), for dnset: the exact name,
    /// else the longest wildcard base above it. An exclusion found first
    /// ends the search.
    pub fn lookup_name(&self, wire: &[u8]) -> Option<Hit<'_>> {
        let Data::Names(names) = &self.data else {
            return None;
        };
        if wire.is_empty() {
            return None;
        }
        if let Some((name, &group)) = names.plain.get_key_value(wire) {
            return self.hit(group, Subject::Name(name));
        }
        let mut at = 0usize;
        loop {
            at += 1 + usize::from(first(&wire[at..]));
            if at >= wire.len() {
                return None;
            }
            if let Some((name, &group)) = names.wild.get_key_value(&wire[at..]) {
                return self.hit(group, Subject::Name(name));
            }
        }
    }

    #[inline]
    fn hit<'a>(&'a self, group: u32, subject: Subject<'a>) -> Option<Hit<'a>> {
        if group == UNLISTED {
            return None;
        }
        let g = group as usize;
        let range = self.group_starts[g] as usize..self.group_starts[g + 1] as usize;
        Some(Hit {
            dataset: self,
            values: &self.group_values[range],
            subject,
        })
    }
}

impl<'a> Hit<'a> {
    /// The A records, one per listing entry (duplicates possible; a reply
    /// carries each once).
    pub fn a_records(&self) -> impl Iterator<Item = Ipv4Addr> + 'a {
        let ds = self.dataset;
        self.values
            .iter()
            .map(move |&v| Ipv4Addr::from(ds.values[v as usize].a))
    }

    /// The TXT records after `$` substitution, as a reply carries them
    /// (raw bytes; empty templates give none).
    pub fn txt_bytes(&self) -> Vec<Vec<u8>> {
        let subject = self.subject_text();
        let ds = self.dataset;
        self.values
            .iter()
            .map(|&v| expand_txt(&ds.values[v as usize].txt, &subject, &ds.substs))
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// The TXT records as text (bytes that are not UTF-8 replaced, as the
    /// DNS client does).
    pub fn txt_records(&self) -> Vec<String> {
        self.txt_bytes()
            .into_iter()
            .map(|t| {
                String::from_utf8(t)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            })
            .collect()
    }

    fn subject_text(&self) -> Vec<u8> {
        match self.subject {
            Subject::V4(ip) => Ipv4Addr::from(ip).to_string().into_bytes(),
            Subject::V6(ip) => ip6_text(ip).into_bytes(),
            Subject::Name(name) => {
                let mut out = Vec::with_capacity(name.len() + 8);
                name_text(name, &mut out);
                out
            }
        }
    }
}

/// An IPv6 address as rbldnsd prints it: lowercase hex groups, the first
/// longest run of two or more zero groups as `::`, never dotted IPv4.
pub(crate) fn ip6_text(ip: u128) -> String {
    let words: Vec<u16> = (0..8).map(|i| (ip >> (112 - 16 * i)) as u16).collect();
    let (mut zstart, mut zlen) = (0usize, 0usize);
    let mut i = 0;
    while i < 8 {
        let run = words[i..].iter().take_while(|&&w| w == 0).count();
        if run > 1 && run > zlen {
            (zstart, zlen) = (i, run);
        }
        i += run.max(1);
    }
    let hex = |ws: &[u16]| {
        ws.iter()
            .map(|w| format!("{w:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if zlen == 0 {
        return hex(&words);
    }
    format!(
        "{}::{}",
        hex(&words[..zstart]),
        hex(&words[zstart + zlen..])
    )
}

fn push_capped(out: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_TXT.saturating_sub(out.len());
    out.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// A TXT template after substitution, as `txtsubst` makes it: `$` is the
/// subject, `$$` a dollar, `$0`..`$9` the dataset's variables (kept as
/// written when unset), `$=` the entry's own text inside the `$=` base
/// template; a template starting with `=` skips the base template. At most
/// 254 bytes.
pub(crate) fn expand_txt(template: &[u8], subject: &[u8], substs: &Substs) -> Vec<u8> {
    let base = substs.base.as_deref().filter(|b| !b.is_empty());
    let (mut txt, own): (&[u8], &[u8]) = if first(template) == b'=' {
        (&template[1..], &template[1..])
    } else if let Some(base) = base {
        (
            base,
            if template.is_empty() {
                subject
            } else {
                template
            },
        )
    } else {
        (template, template)
    };
    let mut out = Vec::with_capacity(txt.len() + subject.len());
    while out.len() < MAX_TXT {
        let Some(dollar) = txt.iter().position(|&c| c == b'$') else {
            push_capped(&mut out, txt);
            break;
        };
        push_capped(&mut out, &txt[..dollar]);
        let rest = &txt[dollar + 1..];
        let (with, used): (&[u8], usize) = match first(rest) {
            b'$' => (b"$", 1),
            d @ b'0'..=b'9' => match &substs.vars[usize::from(d - b'0')] {
                Some(v) => (v, 1),
                None => (&txt[dollar..dollar + 2], 1),
            },
            b'=' => (own, 1),
            _ => (subject, 0),
        };
        push_capped(&mut out, with);
        txt = &rest[used..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn substs(vars: &[(usize, &str)], base: Option<&str>) -> Substs {
        let mut s = Substs::default();
        for &(n, v) in vars {
            s.vars[n] = Some(v.as_bytes().into());
        }
        s.base = base.map(|b| b.as_bytes().into());
        s
    }

    fn expand(t: &str, subject: &str, s: &Substs) -> String {
        String::from_utf8(expand_txt(t.as_bytes(), subject.as_bytes(), s)).unwrap()
    }

    #[test]
    fn substitution_examples_from_the_manual() {
        let s = substs(
            &[(1, "See http://www.example.com/bl"), (2, "for details")],
            None,
        );
        assert_eq!(
            expand("$1/spammer/$ $2", "127.0.0.2", &s),
            "See http://www.example.com/bl/spammer/127.0.0.2 for details"
        );
        assert_eq!(
            expand("This spammer wants some $$$$.  $1/$", "127.0.0.4", &s),
            "This spammer wants some $$.  See http://www.example.com/bl/127.0.0.4"
        );
        let b = substs(
            &[],
            Some("See http://www.example.com/bl?$= ($) for details"),
        );
        assert_eq!(
            expand("r123", "127.0.0.2", &b),
            "See http://www.example.com/bl?r123 (127.0.0.2) for details"
        );
        assert_eq!(
            expand("", "127.0.0.3", &b),
            "See http://www.example.com/bl?127.0.0.3 (127.0.0.3) for details"
        );
        assert_eq!(
            expand("=See other blocklists for details about $", "127.0.0.4", &b),
            "See other blocklists for details about 127.0.0.4"
        );
    }

    #[test]
    fn substitution_edges() {
        let none = Substs::default();
        assert_eq!(expand("unset $7 stays", "x", &none), "unset $7 stays");
        assert_eq!(expand("ends with $", "1.2.3.4", &none), "ends with 1.2.3.4");
        assert_eq!(expand("", "1.2.3.4", &none), "");
        let long = "$ ".repeat(100);
        assert_eq!(expand(&long, "1.2.3.4", &none).len(), MAX_TXT);
    }

    #[test]
    fn ipv6_text_like_rbldnsd() {
        let t = |s: &str| ip6_text(u128::from(s.parse::<std::net::Ipv6Addr>().unwrap()));
        assert_eq!(t("::"), "::");
        assert_eq!(t("::1"), "::1");
        assert_eq!(t("1::"), "1::");
        assert_eq!(t("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(t("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
        assert_eq!(t("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
        assert_eq!(t("::ffff:127.0.0.2"), "::ffff:7f00:2");
    }
}
