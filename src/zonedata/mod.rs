//! Blocklist zones answered from rbldnsd data files, in process.
//!
//! Operators who mirror a blocklist (rsync from Spamhaus, PSBL, UCEPROTECT,
//! DNSWL, Mailspike) get rbldnsd data files. This module reads the same
//! files and answers the same questions rbldnsd would, from memory:
//!
//! - [`Dataset::load`] reads one dataset (`ip4set`, `ip4tset`, `ip4trie`,
//!   `ip6tset`, `ip6trie`, `dnset`) from one or more files, with rbldnsd's
//!   syntax and quirks (abbreviated ranges, `!` exclusions, `:A:TXT`
//!   values, `:` default lines, `$` specials, gzip-compressed files). Bad
//!   lines are skipped with a `file:line: reason` note as rbldnsd does, or
//!   refused with [`LoadOptions::strict`].
//! - [`Zone`] combines datasets as rbldnsd's `zone:type:file,...` does and
//!   answers a query name with NXDOMAIN, NODATA or the listing's A and TXT
//!   records; [`Zone::listing_v4`] is the allocation-free path for scans.
//! - [`LocalZones`] is a [`crate::dns::Dns`] that answers names under its
//!   zones from memory and passes every other name on.
//!
//! What rbldnsd does, and so what this does: an ip4set holds its entries at
//! four levels (/32, /24, /16, /8 blocks, ranges split into them); the most
//! specific level holding an address answers with every entry there, unless
//! one of them is an exclusion. Tries answer with the longest prefix. A
//! zone's answer is the union of its datasets'; a name no dataset lists is
//! NXDOMAIN whatever the type, a listed name has A (and TXT if a template
//! gives one) and NODATA for other types. The RFC 5782 test points get no
//! special treatment: 127.0.0.2 is listed only if the data lists it.

mod dataset;
mod intervals;
mod load;
mod local;
mod text;
mod zone;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use dataset::{Dataset, Hit};
pub use load::load_zones;
pub use local::LocalZones;
pub use zone::{Answer, Listing, Zone};

/// The rbldnsd dataset types this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    /// IPv4 addresses, CIDRs and ranges, each with its own value.
    Ip4Set,
    /// Single IPv4 addresses sharing one value.
    Ip4Tset,
    /// IPv4 CIDRs, longest prefix wins.
    Ip4Trie,
    /// IPv6 /64s sharing one value, with /128 exclusions.
    Ip6Tset,
    /// IPv6 CIDRs, longest prefix wins.
    Ip6Trie,
    /// Domain names, exact or wildcard.
    Dnset,
}

impl DatasetKind {
    /// Every type, in rbldnsd's order.
    pub const ALL: [DatasetKind; 6] = [
        DatasetKind::Ip4Set,
        DatasetKind::Ip4Tset,
        DatasetKind::Ip4Trie,
        DatasetKind::Ip6Tset,
        DatasetKind::Ip6Trie,
        DatasetKind::Dnset,
    ];

    /// The name rbldnsd uses.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Ip4Set => "ip4set",
            DatasetKind::Ip4Tset => "ip4tset",
            DatasetKind::Ip4Trie => "ip4trie",
            DatasetKind::Ip6Tset => "ip6tset",
            DatasetKind::Ip6Trie => "ip6trie",
            DatasetKind::Dnset => "dnset",
        }
    }

    /// True for the types queried by reversed IPv4 octets.
    pub fn is_ipv4(self) -> bool {
        matches!(
            self,
            DatasetKind::Ip4Set | DatasetKind::Ip4Tset | DatasetKind::Ip4Trie
        )
    }

    /// True for the types queried by reversed IPv6 nibbles.
    pub fn is_ipv6(self) -> bool {
        matches!(self, DatasetKind::Ip6Tset | DatasetKind::Ip6Trie)
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = LoadError;

    fn from_str(s: &str) -> Result<DatasetKind, LoadError> {
        DatasetKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| LoadError::UnknownKind(s.to_string()))
    }
}

/// How to load data files.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Refuse the data at the first line rbldnsd would skip (with a note),
    /// instead of skipping it as rbldnsd does.
    pub strict: bool,
    /// Accept CIDRs with host bits set, clearing them (rbldnsd's `-e`).
    pub accept_in_cidr: bool,
}

impl LoadOptions {
    /// Options that refuse any line rbldnsd would skip.
    pub fn strict() -> LoadOptions {
        LoadOptions {
            strict: true,
            ..LoadOptions::default()
        }
    }
}

/// A line rbldnsd skips (or reads only in part), with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIssue {
    /// The file, as given.
    pub file: String,
    /// The line number, from 1.
    pub line: u64,
    /// What is wrong, in rbldnsd's words where it has them.
    pub reason: String,
}

impl fmt::Display for LineIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// The most line issues kept per dataset; the rest are only counted.
pub const MAX_ISSUES_KEPT: usize = 100;

/// What loading a dataset read.
#[derive(Clone, Debug, Default)]
pub struct LoadStats {
    /// Entry lines accepted (listings and exclusions), duplicates included.
    pub entries: u64,
    /// Lines read, in all files.
    pub lines: u64,
    /// Lines skipped or read in part, the first [`MAX_ISSUES_KEPT`].
    pub issues: Vec<LineIssue>,
    /// How many issues there were in all.
    pub issue_count: u64,
    /// Address intervals (IP types) or names (dnset) held for lookups.
    pub keys: u64,
}

/// Why data could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file could not be read (or is a broken gzip stream).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A bad line, with [`LoadOptions::strict`].
    #[error("{0}")]
    Line(LineIssue),
    /// `$TIMESTAMP` says the data was made in the future; rbldnsd refuses
    /// to load such data.
    #[error(
        "{file}:{line}: data timestamp is {seconds} s in the future; rbldnsd refuses to load it"
    )]
    FutureTimestamp {
        /// The file.
        file: String,
        /// The line.
        line: u64,
        /// How far in the future.
        seconds: i64,
    },
    /// A dataset type rbldnsd has but this module does not read, or none.
    #[error(
        "unknown dataset type `{0}` (expected ip4set, ip4tset, ip4trie, ip6tset, ip6trie or dnset)"
    )]
    UnknownKind(String),
    /// A zone specification that is not `zone:type:file[,file...]`.
    #[error("invalid zone data specification `{spec}`: {reason}")]
    Spec {
        /// The specification.
        spec: String,
        /// What is wrong.
        reason: String,
    },
}

/// One zone data specification as rbldnsd takes it on its command line:
/// `zone:type:file[,file...]` (files separated by `,` or `:`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSpec {
    /// The zone, e.g. `bl.example.org`.
    pub zone: String,
    /// The dataset type.
    pub kind: DatasetKind,
    /// The files, read as one.
    pub files: Vec<PathBuf>,
}

impl FromStr for ZoneSpec {
    type Err = LoadError;

    fn from_str(spec: &str) -> Result<ZoneSpec, LoadError> {
        let bad = |reason: &str| LoadError::Spec {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let (zone, rest) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected zone:type:file"))?;
        let (kind, files) = rest
            .split_once(':')
            .ok_or_else(|| bad("expected zone:type:file"))?;
        if zone.trim_matches('.').is_empty() {
            return Err(bad("missing zone name"));
        }
        let kind: DatasetKind = kind.parse()?;
        let files: Vec<PathBuf> = files
            .split([',', ':'])
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .collect();
        if files.is_empty() {
            return Err(bad("missing file names"));
        }
        Ok(ZoneSpec {
            zone: zone.to_string(),
            kind,
            files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_specs_like_rbldnsd() {
        let spec: ZoneSpec = "bl.example:ip4set:a.txt,b.txt:c.txt".parse().unwrap();
        assert_eq!(spec.zone, "bl.example");
        assert_eq!(spec.kind, DatasetKind::Ip4Set);
        assert_eq!(spec.files, ["a.txt", "b.txt", "c.txt"].map(PathBuf::from));
        for bad in [
            "bl.example",
            "bl.example:ip4set",
            "bl.example:ip4set:",
            ":ip4set:a",
            "x:combined:a",
        ] {
            let err = bad.parse::<ZoneSpec>().unwrap_err().to_string();
            assert!(!err.is_empty() && !err.contains('\n'), "{bad}: {err}");
        }
        assert!(
            matches!("x:generic:a".parse::<ZoneSpec>(), Err(LoadError::UnknownKind(k)) if k == "generic")
        );
    }
}
