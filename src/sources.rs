//! Scan sources: CIDRs, ranges, single IPs, `@FILE` and `-` (stdin), parsed
//! up front (so a malformed line is reported before any query) and iterated
//! lazily (a /16 is never materialised).

use std::io::{BufRead, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Default `--max-targets`.
pub const DEFAULT_MAX_TARGETS: u64 = 65_536;

/// A block of consecutive addresses, as integers of one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// IPv4 addresses `first..=last`.
    V4(u32, u32),
    /// IPv6 addresses `first..=last`.
    V6(u128, u128),
}

impl Block {
    /// Number of addresses (saturating: `::/0` counts as u128::MAX).
    pub fn len(&self) -> u128 {
        match *self {
            Block::V4(a, b) => u128::from(b - a) + 1,
            Block::V6(a, b) => (b - a).saturating_add(1),
        }
    }

    /// Never empty (first <= last is checked on parse); for clippy's sake.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The addresses, lazily.
    pub fn iter(self) -> Box<dyn Iterator<Item = IpAddr> + Send> {
        match self {
            Block::V4(a, b) => Box::new((a..=b).map(|n| IpAddr::V4(Ipv4Addr::from(n)))),
            Block::V6(a, b) => Box::new((a..=b).map(|n| IpAddr::V6(Ipv6Addr::from(n)))),
        }
    }
}

/// Parses one source: a CIDR, `first-last`, or an IP.
pub fn parse_block(s: &str) -> Result<Block, SourceError> {
    parse_block_inner(s).map_err(SourceError::Invalid)
}

fn parse_block_inner(s: &str) -> Result<Block, String> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (a.trim(), b.trim());
        let first: IpAddr = a
            .parse()
            .map_err(|_| format!("'{a}' in range '{s}' is not an IP address"))?;
        let last: IpAddr = b
            .parse()
            .map_err(|_| format!("'{b}' in range '{s}' is not an IP address"))?;
        return match (first, last) {
            (IpAddr::V4(x), IpAddr::V4(y)) if u32::from(x) <= u32::from(y) => {
                Ok(Block::V4(x.into(), y.into()))
            }
            (IpAddr::V6(x), IpAddr::V6(y)) if u128::from(x) <= u128::from(y) => {
                Ok(Block::V6(x.into(), y.into()))
            }
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                Err(format!("range '{s}' ends before it starts"))
            }
            _ => Err(format!("range '{s}' mixes IPv4 and IPv6")),
        };
    }
    if s.contains('/') {
        let net: IpNet = s
            .parse()
            .map_err(|_| format!("'{s}' is not a CIDR (e.g. 192.0.2.0/24, 2001:db8::/120)"))?;
        return Ok(match net.trunc() {
            IpNet::V4(n) => Block::V4(n.network().into(), n.broadcast().into()),
            IpNet::V6(n) => Block::V6(n.network().into(), n.broadcast().into()),
        });
    }
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => Ok(Block::V4(a.into(), a.into())),
        Ok(IpAddr::V6(a)) => Ok(Block::V6(a.into(), a.into())),
        Err(_) => Err(format!("'{s}' is not an IP address, CIDR or range")),
    }
}

/// The longest line a source file may have.
pub const MAX_LINE: usize = 4096;
/// The most a source file (or stdin) may hold.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Why the sources of a scan (or the targets of a check) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// A source is not an address, CIDR or range.
    #[error("{0}")]
    Invalid(String),
    /// A line of a file is wrong (`name:line: reason`).
    #[error("{name}:{line}: {reason}")]
    Line {
        /// The file (or `<stdin>`).
        name: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file cannot be read.
    #[error("{name}: {reason}")]
    Read {
        /// The file (or `<stdin>`).
        name: String,
        /// Why.
        reason: String,
    },
    /// Nothing to scan.
    #[error("no addresses to scan")]
    Empty,
    /// More addresses than `--max-targets`.
    #[error("{0}")]
    TooMany(String),
}

/// Reads `reader` line by line (comments after `#` and surrounding blanks
/// removed, blank lines skipped), calling `each(line_number, content)`.
/// Lines longer than [`MAX_LINE`], input over [`MAX_FILE_BYTES`] and
/// non-UTF-8 text are errors, so memory stays flat whatever the input.
pub fn read_lines(
    reader: impl BufRead,
    name: &str,
    mut each: impl FnMut(u64, &str) -> Result<(), SourceError>,
) -> Result<(), SourceError> {
    let mut reader = reader.take(MAX_FILE_BYTES + 1);
    let mut buf = Vec::with_capacity(256);
    let mut number = 0u64;
    let mut read = 0u64;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| SourceError::Read {
                name: name.to_string(),
                reason: format!("cannot read: {e}"),
            })?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        read += n as u64;
        let line_err = |reason: String| SourceError::Line {
            name: name.to_string(),
            line: number,
            reason,
        };
        if read > MAX_FILE_BYTES {
            return Err(SourceError::Read {
                name: name.to_string(),
                reason: format!("larger than {} MiB", MAX_FILE_BYTES >> 20),
            });
        }
        if n > MAX_LINE && buf.last() != Some(&b'\n') {
            return Err(line_err(format!(
                "longer than {MAX_LINE} bytes: not one address, CIDR or range per line"
            )));
        }
        let text = std::str::from_utf8(&buf).map_err(|_| line_err("not UTF-8 text".to_string()))?;
        let content = text.split('#').next().unwrap_or("").trim();
        if !content.is_empty() {
            each(number, content)?;
        }
    }
}

/// Sources being added up against `--max-targets`.
struct Tally {
    blocks: Vec<Block>,
    total: u128,
    max: u64,
}

impl Tally {
    /// Adds a block, failing as soon as the total passes the limit (so a
    /// huge input is refused without being read to its end).
    fn push(&mut self, block: Block) -> Result<(), SourceError> {
        self.total = self.total.saturating_add(block.len());
        if self.total > u128::from(self.max) {
            return Err(SourceError::TooMany(too_many(self.total, self.max)));
        }
        self.blocks.push(block);
        Ok(())
    }

    /// Adds every line of a file.
    fn file(&mut self, reader: &mut dyn BufRead, name: &str) -> Result<(), SourceError> {
        read_lines(reader, name, |line, content| {
            let block = parse_block_inner(content).map_err(|reason| SourceError::Line {
                name: name.to_string(),
                line,
                reason,
            })?;
            self.push(block)
        })
    }
}

fn too_many(total: u128, max: u64) -> String {
    if total > u128::from(u64::MAX) {
        return format!(
            "the scan covers {total} addresses or more, more than --max-targets can allow (at most {}); scan the part in use, e.g. a /112 of it (65536 addresses)",
            u64::MAX
        );
    }
    format!(
        "the scan covers {total} addresses or more, more than --max-targets {max}; narrow it or raise the limit with --max-targets {total}"
    )
}

/// Parses command-line sources (`@FILE`, `-` for stdin, or a source),
/// stopping as soon as they cover more than `max_targets` addresses.
pub fn parse_sources(sources: &[String], max_targets: u64) -> Result<Vec<Block>, SourceError> {
    let mut tally = Tally {
        blocks: Vec::new(),
        total: 0,
        max: max_targets,
    };
    for s in sources {
        if s == "-" {
            tally.file(&mut std::io::stdin().lock(), "<stdin>")?;
        } else if let Some(path) = s.strip_prefix('@') {
            let f = std::fs::File::open(path).map_err(|e| SourceError::Read {
                name: path.to_string(),
                reason: format!("cannot open: {e}"),
            })?;
            tally.file(&mut std::io::BufReader::new(f), path)?;
        } else {
            let block = parse_block(s)?;
            tally.push(block)?;
        }
    }
    if tally.total == 0 {
        return Err(SourceError::Empty);
    }
    Ok(tally.blocks)
}

/// One of N disjoint parts of a scan (`--shard I/N`): the addresses whose
/// position in the input, counted from 0, is `I-1` modulo `N`. N processes
/// with shards 1/N to N/N cover the input exactly once, each in input order,
/// with no coordination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Default for Shard {
    fn default() -> Shard {
        Shard { index: 1, count: 1 }
    }
}

impl std::str::FromStr for Shard {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<Shard, SourceError> {
        let bad = || {
            SourceError::Invalid(format!(
                "'{s}' is not a shard: use I/N, e.g. 2/4 (the second of four parts)"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// How many of `total` addresses fall in this shard.
    pub fn share(&self, total: u64) -> u64 {
        let i = self.index - 1;
        if total <= i {
            0
        } else {
            (total - i).div_ceil(self.count)
        }
    }
}

/// The addresses of `blocks` in this shard, in input order, lazily.
pub fn addresses(blocks: &[Block], shard: Shard) -> impl Iterator<Item = IpAddr> + '_ {
    blocks
        .iter()
        .flat_map(|b| b.iter())
        .enumerate()
        .filter(move |(i, _)| (*i as u64) % shard.count == shard.index - 1)
        .map(|(_, a)| a)
}

/// The total number of addresses.
pub fn count(blocks: &[Block]) -> u64 {
    blocks
        .iter()
        .map(Block::len)
        .fold(0u128, u128::saturating_add)
        .min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_ranges_and_single_addresses() {
        assert_eq!(parse_block("192.0.2.0/24").unwrap().len(), 256);
        assert_eq!(
            parse_block("192.0.2.77/24").unwrap(),
            parse_block("192.0.2.0/24").unwrap()
        );
        assert_eq!(parse_block("192.0.2.10-192.0.2.50").unwrap().len(), 41);
        assert_eq!(parse_block("192.0.2.9").unwrap().len(), 1);
        assert_eq!(parse_block("2001:db8::/120").unwrap().len(), 256);
        assert_eq!(parse_block("2001:db8::1 - 2001:db8::3").unwrap().len(), 3);
        assert_eq!(parse_block("0.0.0.0/0").unwrap().len(), 1 << 32);
        assert_eq!(parse_block("::/0").unwrap().len(), u128::MAX);
    }

    #[test]
    fn iteration_is_lazy_and_in_order() {
        let b = parse_block("2001:db8::/64").unwrap();
        let first: Vec<IpAddr> = b.iter().take(3).collect();
        assert_eq!(first[2], "2001:db8::2".parse::<IpAddr>().unwrap());
        let all: Vec<String> = parse_block("192.0.2.254-192.0.3.1")
            .unwrap()
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            all,
            ["192.0.2.254", "192.0.2.255", "192.0.3.0", "192.0.3.1"]
        );
    }

    #[test]
    fn bad_sources() {
        for (bad, want) in [
            ("192.0.2.0/33", "not a CIDR"),
            ("192.0.2.50-192.0.2.10", "ends before"),
            ("192.0.2.1-2001:db8::1", "mixes"),
            ("192.0.2.1-x", "'x'"),
            ("example.org", "not an IP address"),
        ] {
            let e = parse_block(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    fn parse_lines(text: &[u8], name: &str) -> Result<Vec<Block>, SourceError> {
        let mut out = Vec::new();
        read_lines(text, name, |line, content| {
            out.push(
                parse_block_inner(content).map_err(|reason| SourceError::Line {
                    name: name.into(),
                    line,
                    reason,
                })?,
            );
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn files_with_comments_and_line_numbers() {
        let text = "# hosting range\n192.0.2.0/30  # first\n\n198.51.100.7\n";
        let blocks = parse_lines(text.as_bytes(), "ranges.txt").unwrap();
        assert_eq!(count(&blocks), 5);
        let e = parse_lines("192.0.2.1\n\n192.0.2.999\n".as_bytes(), "ranges.txt")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("ranges.txt:3: "), "{e}");
    }

    #[test]
    fn long_lines_and_binary_are_refused_without_reading_on() {
        let long = vec![b'1'; MAX_LINE * 4];
        let e = parse_lines(&long, "big.txt").unwrap_err().to_string();
        assert!(e.starts_with("big.txt:1: longer than 4096 bytes"), "{e}");
        let e = parse_lines(b"192.0.2.1\n\xff\xfe\n", "bin")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "bin:2: not UTF-8 text");
        // A last line without a newline is fine.
        assert_eq!(count(&parse_lines(b"192.0.2.1", "x").unwrap()), 1);
    }

    #[test]
    fn shards_split_the_input_exactly_once_in_order() {
        let blocks = parse_sources(&["192.0.2.0/29".into(), "198.51.100.1".into()], 100).unwrap();
        let all: Vec<IpAddr> = addresses(&blocks, Shard::default()).collect();
        assert_eq!(all.len(), 9);
        let mut union = Vec::new();
        for index in 1..=4 {
            let shard = Shard { index, count: 4 };
            let part: Vec<IpAddr> = addresses(&blocks, shard).collect();
            assert_eq!(part.len() as u64, shard.share(9), "{shard:?}");
            // Each shard keeps input order.
            assert!(
                part.windows(2)
                    .all(|w| all.iter().position(|a| *a == w[0])
                        < all.iter().position(|a| *a == w[1]))
            );
            union.extend(part);
        }
        union.sort();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(union, sorted);
        for bad in ["0/4", "5/4", "1/0", "x/2", "3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
    }

    #[test]
    fn the_guard_refuses_big_scans() {
        let e = parse_sources(&["10.0.0.0/15".into()], DEFAULT_MAX_TARGETS)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("131072") && e.contains("--max-targets 131072"),
            "{e}"
        );
        let e = parse_sources(&["2001:db8::/64".into()], DEFAULT_MAX_TARGETS)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("18446744073709551616") && e.contains("/112"),
            "{e}"
        );
        assert_eq!(
            count(&parse_sources(&["192.0.0.0/16".into()], DEFAULT_MAX_TARGETS).unwrap()),
            65_536
        );
    }
}

#[cfg(test)]
#[path = "sources_props.rs"]
mod props;
