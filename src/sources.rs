//! Scan sources: CIDRs, ranges, single IPs, `@FILE` and `-` (stdin), parsed
//! up front (so a malformed line is reported before any query) and iterated
//! lazily (a /16 is never materialised).

use std::io::BufRead;
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
pub fn parse_block(s: &str) -> Result<Block, String> {
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

/// Parses the lines of a source file: one source per line, blank lines and
/// `#` comments ignored. Errors name `name:line`.
pub fn parse_lines(reader: impl BufRead, name: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{name}: cannot read: {e}"))?;
        let content = line.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        out.push(parse_block(content).map_err(|e| format!("{name}:{}: {e}", i + 1))?);
    }
    Ok(out)
}

/// Parses command-line sources (`@FILE`, `-` for stdin, or a source) and
/// checks the total against `max_targets`.
pub fn parse_sources(sources: &[String], max_targets: u64) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    for s in sources {
        if s == "-" {
            blocks.extend(parse_lines(std::io::stdin().lock(), "<stdin>")?);
        } else if let Some(path) = s.strip_prefix('@') {
            let f = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
            blocks.extend(parse_lines(std::io::BufReader::new(f), path)?);
        } else {
            blocks.push(parse_block(s)?);
        }
    }
    let total: u128 = blocks
        .iter()
        .map(Block::len)
        .fold(0u128, u128::saturating_add);
    if total == 0 {
        return Err("no addresses to scan".into());
    }
    if total > u128::from(max_targets) {
        return Err(format!(
            "the scan covers {total} addresses, more than --max-targets {max_targets}; narrow it or raise the limit with --max-targets {total}"
        ));
    }
    Ok(blocks)
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
            let e = parse_block(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn files_with_comments_and_line_numbers() {
        let text = "# hosting range\n192.0.2.0/30  # first\n\n198.51.100.7\n";
        let blocks = parse_lines(text.as_bytes(), "ranges.txt").unwrap();
        assert_eq!(count(&blocks), 5);
        let e = parse_lines("192.0.2.1\n\n192.0.2.999\n".as_bytes(), "ranges.txt").unwrap_err();
        assert!(e.starts_with("ranges.txt:3: "), "{e}");
    }

    #[test]
    fn the_guard_refuses_big_scans() {
        let e = parse_sources(&["10.0.0.0/15".into()], DEFAULT_MAX_TARGETS).unwrap_err();
        assert!(e.contains("131072") && e.contains("--max-targets"), "{e}");
        let e = parse_sources(&["2001:db8::/64".into()], DEFAULT_MAX_TARGETS).unwrap_err();
        assert!(e.contains("18446744073709551616"), "{e}");
        assert_eq!(
            count(&parse_sources(&["192.0.0.0/16".into()], DEFAULT_MAX_TARGETS).unwrap()),
            65_536
        );
    }
}
