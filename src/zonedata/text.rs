//! The textual forms rbldnsd reads, parsed exactly as rbldnsd 1.0 does
//! (`ip4parse.c`, `ip6addr.c`, `dns_ptodn.c`, `rbldnsd_util.c`), including
//! its quirks: `127.0.0.1-255` is a range, `127.0.0` a /24, a bare `127` is
//! refused, `1.2::3::4` stops at the second `::`.
//!
//! Every function takes bytes and returns what it parsed and the rest of the
//! input, or `None`; nothing here can panic on any input. A line is treated
//! like a C string: where rbldnsd tests `*s`, these functions test
//! [`first`], which is 0 at the end.

/// rbldnsd's whitespace: space and tab only (a CR is not whitespace).
pub(crate) fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// The two comment characters.
pub(crate) fn is_comment(c: u8) -> bool {
    c == b'#' || c == b';'
}

/// The first byte, or 0 at the end (a C string's terminator).
pub(crate) fn first(s: &[u8]) -> u8 {
    s.first().copied().unwrap_or(0)
}

/// `s` without its leading spaces and tabs.
pub(crate) fn skip_space(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| is_space(c)).count();
    &s[n..]
}

/// What may follow an address on an entry line: nothing, whitespace, a
/// comment or the `:` of a value.
pub(crate) fn ends_entry(s: &[u8]) -> bool {
    let c = first(s);
    c == 0 || is_space(c) || is_comment(c) || c == b':'
}

/// The network mask of a prefix length (0..=32).
pub(crate) fn ip4_mask(bits: u32) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    }
}

/// Digits as a number no larger than `max`.
fn number(s: &[u8], max: u32) -> Option<(u32, &[u8])> {
    if !first(s).is_ascii_digit() {
        return None;
    }
    let mut n = 0u64;
    let mut i = 0;
    while let Some(&c) = s.get(i).filter(|c| c.is_ascii_digit()) {
        n = n * 10 + u64::from(c - b'0');
        if n > u64::from(max) {
            return None;
        }
        i += 1;
    }
    Some((n as u32, &s[i..]))
}

/// Initial octets of an IPv4 address (`127`, `127.0`, `127.0.0`,
/// `127.0.0.1`): the number of bits they give (8, 16, 24 or 32), the
/// address with the missing octets zero, and the rest.
pub(crate) fn ip4_prefix(mut s: &[u8]) -> Option<(u32, u32, &[u8])> {
    let mut addr = 0u32;
    for (i, shift) in [24u32, 16, 8, 0].into_iter().enumerate() {
        let (octet, rest) = number(s, 255)?;
        addr |= octet << shift;
        s = rest;
        if i == 3 || first(s) != b'.' {
            return Some((8 * (i as u32 + 1), addr, s));
        }
        s = &s[1..];
    }
    None
}

/// `/bits` after the slash: 0..=32.
fn mask_bits(s: &[u8]) -> Option<(u32, &[u8])> {
    number(s, 32)
}

/// An IPv4 CIDR as the ip4trie dataset reads it: `a.b.c.d/n`, or a prefix
/// of 2 to 4 octets (its own length). A bare number is refused. The host
/// part is returned as written.
pub(crate) fn ip4_cidr(s: &[u8]) -> Option<(u32, u32, &[u8])> {
    let (bits, addr, s) = ip4_prefix(s)?;
    if first(s) == b'/' {
        let (bits, s) = mask_bits(&s[1..])?;
        Some((bits, addr, s))
    } else if bits == 8 {
        None
    } else {
        Some((bits, addr, s))
    }
}

/// An IPv4 range as the ip4set dataset reads it: a CIDR or prefix (its
/// prefix length is returned) or `a-b` with either side abbreviated
/// (`127.0.0.1-255`, `127.16-31`, `127.16.0.0-127.31.255.255`; 32 is
/// returned). Gives `(bits, first, last, rest)`; `first` may have host bits.
pub(crate) fn ip4_range(s: &[u8]) -> Option<(u32, u32, u32, &[u8])> {
    let (bits, a, s) = ip4_prefix(s)?;
    if first(s) == b'-' {
        let (bbits, mut b, s) = ip4_prefix(&s[1..])?;
        if bbits == 8 {
            // `127.0.0.1-2`: the single number replaces the last given octet.
            b = (b >> (bits - 8)) | (a & ip4_mask(bits - 8));
        } else if bbits != bits {
            return None;
        }
        // The last boundary is completed with all-ones.
        b |= !ip4_mask(bits);
        if a > b {
            return None;
        }
        return Some((32, a, b, s));
    }
    let (bits, s) = if first(s) == b'/' {
        mask_bits(&s[1..])?
    } else if bits == 8 {
        return None;
    } else {
        (bits, s)
    };
    Some((bits, a, a | !ip4_mask(bits), s))
}

/// An address the way inet_aton reads it (`127.2` is 127.0.0.2, `2` is
/// 0.0.0.2): the prefix length given and the address.
pub(crate) fn ip4_addr(s: &[u8]) -> Option<(u32, u32, &[u8])> {
    let (bits, a, s) = ip4_prefix(s)?;
    let a = match bits {
        8 => a >> 24,
        16 => (a & 0xff00_0000) | ((a >> 16) & 255),
        24 => (a & 0xffff_0000) | ((a >> 8) & 255),
        _ => a,
    };
    Some((bits, a, s))
}

fn hex_value(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

/// An IPv6 address or leading part of one, 16 bits per group, `::` allowed:
/// `(bits, address, rest)` where bits is 16, 32, ... for a partial address,
/// 128 with `::`, or negative when nothing valid was read. The rest is
/// returned even on error, as rbldnsd checks it afterwards.
pub(crate) fn ip6_prefix(mut s: &[u8]) -> (i32, [u8; 16], &[u8]) {
    let mut ap = [0u8; 16];
    let mut bytes = 0usize;
    let mut zstart = None;
    let mut ret = -1;
    if s.starts_with(b"::") {
        zstart = Some(0);
        s = &s[2..];
    }
    loop {
        let mut v = 0u32;
        let before = s.len();
        while let Some(n) = hex_value(first(s)) {
            v = (v << 4) + n;
            if v > 0xffff {
                break;
            }
            s = &s[1..];
        }
        if s.len() == before || v > 0xffff {
            break;
        }
        ap[bytes] = (v >> 8) as u8;
        ap[bytes + 1] = v as u8;
        bytes += 2;
        if first(s) != b':' || bytes + 2 > 16 {
            ret = (bytes * 8) as i32;
            break;
        }
        s = &s[1..];
        if zstart.is_none() && first(s) == b':' {
            zstart = Some(bytes);
            s = &s[1..];
        }
    }
    if let Some(z) = zstart {
        let zeros = 16 - bytes;
        if zeros == 0 {
            ret = -1;
        } else {
            ap.copy_within(z..bytes, z + zeros);
            ap[z..z + zeros].fill(0);
            ret = 128;
        }
    }
    (ret, ap, s)
}

/// An IPv6 CIDR as ip6trie reads it: an address or leading groups, with an
/// optional `/bits` (0..=128). A single bare group is refused.
pub(crate) fn ip6_cidr(s: &[u8]) -> (i32, [u8; 16], &[u8]) {
    let (mut bits, ap, mut s) = ip6_prefix(s);
    if bits >= 0 && first(s) == b'/' {
        s = &s[1..];
        if !first(s).is_ascii_digit() {
            bits = -1;
        } else {
            bits = i32::from(s[0] - b'0');
            s = &s[1..];
            while first(s).is_ascii_digit() {
                bits = bits * 10 + i32::from(s[0] - b'0');
                s = &s[1..];
                if bits > 128 {
                    bits = -1;
                    break;
                }
            }
        }
    } else if bits == 16 {
        bits = -1;
    }
    (bits, ap, s)
}

/// Clears the host bits of `addr` beyond `bits`; true if any was set.
pub(crate) fn ip6_clear_host(addr: &mut u128, bits: u32) -> bool {
    let host = if bits >= 128 { 0 } else { u128::MAX >> bits };
    let had = *addr & host != 0;
    *addr &= !host;
    had
}

/// The longest allowed domain name in wire form, with its root byte.
const MAX_DN: usize = 255;
/// The longest label.
const MAX_LABEL: usize = 63;

/// A dotted name in wire form (length-prefixed labels, ending with the
/// root's 0), as `dns_ptodn` makes it: empty labels are skipped, `\X` and
/// `\DDD` escapes are decoded. `None` if a label or the name is too long.
pub(crate) fn wire_name(name: &[u8]) -> Option<Vec<u8>> {
    let mut dn = vec![0u8];
    let mut label = 1usize;
    let mut i = 0;
    while i < name.len() {
        let mut c = name[i];
        i += 1;
        if c == b'.' {
            let len = dn.len() - label;
            if len != 0 {
                if len > MAX_LABEL {
                    return None;
                }
                dn[label - 1] = len as u8;
                dn.push(0);
                label = dn.len();
            }
            continue;
        }
        if c == b'\\' {
            let Some(&e) = name.get(i) else { break };
            i += 1;
            c = e;
            if e.is_ascii_digit() {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match name.get(i) {
                        Some(d) if d.is_ascii_digit() => {
                            v = v * 10 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                c = u8::try_from(v).ok()?;
            }
        }
        if dn.len() >= MAX_DN - 1 {
            return None;
        }
        dn.push(c);
    }
    let len = dn.len() - label;
    if len > MAX_LABEL {
        return None;
    }
    dn[label - 1] = len as u8;
    if len != 0 {
        dn.push(0);
    }
    Some(dn)
}

/// A wire-form name as text the way `dns_dntop` prints it (zone-file
/// escapes for `". ; \ @ $`, `\DDD` for other bytes outside 0x21..0x7e).
pub(crate) fn name_text(dn: &[u8], out: &mut Vec<u8>) {
    if first(dn) == 0 {
        out.push(b'.');
        return;
    }
    let mut i = 0;
    while let Some(&len) = dn.get(i).filter(|&&l| l != 0) {
        if i != 0 {
            out.push(b'.');
        }
        let label = dn.get(i + 1..i + 1 + usize::from(len)).unwrap_or(&[]);
        for &c in label {
            match c {
                b'"' | b'.' | b';' | b'\\' | b'@' | b'$' => out.extend_from_slice(&[b'\\', c]),
                0..=0x20 | 0x7f.. => out.extend_from_slice(&[
                    b'\\',
                    b'0' + c / 100,
                    b'0' + c / 10 % 10,
                    b'0' + c % 10,
                ]),
                _ => out.push(c),
            }
        }
        i += 1 + usize::from(len);
    }
}

/// A domain name word of an entry line: the name in wire form and the rest
/// after the whitespace that ends it.
pub(crate) fn dn_word(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let end = s.iter().position(|&c| is_space(c)).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let dn = wire_name(&s[..end])?;
    Some((dn, skip_space(s.get(end + 1..).unwrap_or(&[]))))
}

/// The longest TXT template rbldnsd keeps from a data line.
pub(crate) const MAX_TXT_TEMPLATE: usize = 255;

/// An A value and TXT template (`:127.0.0.2:text`), as read by
/// `parse_a_txt`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RawValue {
    /// The A record, as a host-order IPv4 address.
    pub a: u32,
    /// The TXT template, at most [`MAX_TXT_TEMPLATE`] bytes.
    pub txt: Box<[u8]>,
}

/// Why a value could not be read.
pub(crate) const INVALID_A: &str = "invalid A RR";
/// A value with text after the A part but no second colon.
pub(crate) const UNRECOGNIZED_VALUE: &str = "unrecognized value for an entry";

/// Reads a value: `:A:TXT`, `:A:` (no TXT), `:A` (the default's TXT) or
/// `TXT` (the default's A). `:2` means 127.0.0.2. Gives the value and
/// whether the TXT was cut to 255 bytes.
pub(crate) fn a_txt(s: &[u8], default: &RawValue) -> Result<(RawValue, bool), &'static str> {
    let (a, txt) = if first(s) == b':' {
        let (bits, mut a, rest) = ip4_addr(&s[1..]).ok_or(INVALID_A)?;
        if a == 0 {
            return Err(INVALID_A);
        }
        if bits == 8 {
            a |= 0x7f00_0000;
        }
        let rest = skip_space(rest);
        if first(rest) == b':' {
            (a, skip_space(&rest[1..]))
        } else if !rest.is_empty() {
            return Err(UNRECOGNIZED_VALUE);
        } else {
            let txt = default.txt.clone();
            return Ok((RawValue { a, txt }, false));
        }
    } else {
        (default.a, s)
    };
    let cut = txt.len() > MAX_TXT_TEMPLATE;
    let txt = txt[..txt.len().min(MAX_TXT_TEMPLATE)].into();
    Ok((RawValue { a, txt }, cut))
}

/// Digits as a u32 (no overflow).
fn uint32(s: &[u8]) -> Option<(u32, &[u8])> {
    number(s, u32::MAX)
}

/// `parse_uint32`: a number, then the end or whitespace (skipped).
pub(crate) fn uint32_word(s: &[u8]) -> Option<(u32, &[u8])> {
    let (n, s) = uint32(s)?;
    if s.is_empty() {
        return Some((n, s));
    }
    is_space(s[0]).then(|| (n, skip_space(&s[1..])))
}

/// `parse_time`: a number with an optional unit (s, m, h, d, w), then the
/// end, a colon (kept) or whitespace (skipped).
pub(crate) fn time_word(s: &[u8]) -> Option<(u32, &[u8])> {
    let (n, mut s) = uint32(s)?;
    let mult: u32 = match first(s).to_ascii_lowercase() {
        b'w' => 7 * 24 * 3600,
        b'd' => 24 * 3600,
        b'h' => 3600,
        b'm' => 60,
        b's' => 1,
        _ => 0,
    };
    let n = if mult == 0 {
        n
    } else {
        s = &s[1..];
        n.checked_mul(mult)?
    };
    if s.is_empty() || s[0] == b':' {
        return Some((n, s));
    }
    is_space(s[0]).then(|| (n, skip_space(&s[1..])))
}

/// One field of a `$TIMESTAMP`: up to `width` digits within `lo..=hi`,
/// then an optional `:` or `-`.
fn stamp_field(s: &[u8], lo: u32, hi: u32, width: usize) -> Option<(u32, &[u8])> {
    if !first(s).is_ascii_digit() {
        return None;
    }
    let digits = s
        .iter()
        .take(width)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let n = s[..digits]
        .iter()
        .fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    if n < lo || n > hi {
        return None;
    }
    let s = &s[digits..];
    Some((
        n,
        if matches!(first(s), b':' | b'-') {
            &s[1..]
        } else {
            s
        },
    ))
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// `parse_timestamp`: `yyyy:mm:dd[:hh[:mi[:ss]]]` (delimiters `:`/`-` or
/// none) as seconds since the epoch, or `0`/`-` for "not given" (0).
pub(crate) fn timestamp_word(s: &[u8]) -> Option<(i64, &[u8])> {
    if matches!(first(s), b'0' | b'-' | b':') && (s.len() == 1 || is_space(s[1])) {
        return Some((0, skip_space(&s[1..])));
    }
    let (year, s) = stamp_field(s, 1970, 2038, 4)?;
    let (month, s) = stamp_field(s, 1, 12, 2)?;
    const MDAY: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let last = if month == 2 && is_leap(year) {
        29
    } else {
        MDAY[month as usize - 1]
    };
    let (day, mut s) = stamp_field(s, 1, last, 2)?;
    let mut hms = [0u32; 3];
    for (field, hi) in hms.iter_mut().zip([23, 59, 59]) {
        if s.is_empty() || is_space(s[0]) {
            break;
        }
        let (v, rest) = stamp_field(s, 0, hi, 2)?;
        *field = v;
        s = rest;
    }
    if !s.is_empty() {
        if !is_space(s[0]) {
            return None;
        }
        s = skip_space(&s[1..]);
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = i64::from(hms[0]) * 3600 + i64::from(hms[1]) * 60 + i64::from(hms[2]);
    Some((days * 86_400 + secs, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    #[test]
    fn every_form_of_127_0_0_0_24_from_the_manual() {
        for form in [
            "127.0.0.0/24",
            "127.0.0",
            "127/24",
            "127.0.0.0-127.0.0.255",
            "127.0.0.1-255",
        ] {
            let (_, a, b, rest) = ip4_range(form.as_bytes()).unwrap_or_else(|| panic!("{form}"));
            let first = if form == "127.0.0.1-255" {
                "127.0.0.1"
            } else {
                "127.0.0.0"
            };
            assert_eq!(
                (a, b, rest),
                (v4(first), v4("127.0.0.255"), &b""[..]),
                "{form}"
            );
        }
        // The manual's `127-127.0.0` is refused by rbldnsd itself (checked with
        // rbldnsd 1.0: "invalid address"): the two sides differ in length.
        assert_eq!(ip4_range(b"127-127.0.0"), None);
    }

    #[test]
    fn every_form_of_127_16_0_0_12_from_the_manual() {
        for form in [
            "127.16.0.0-127.31.255.255",
            "127.16.0-127.31.255",
            "127.16-127.31",
            "127.16-31",
            "127.16.0.0/12",
            "127.16.0/12",
            "127.16/12",
        ] {
            let (_, a, b, _) = ip4_range(form.as_bytes()).unwrap_or_else(|| panic!("{form}"));
            assert_eq!((a, b), (v4("127.16.0.0"), v4("127.31.255.255")), "{form}");
        }
        let (_, a, b, _) = ip4_range(b"127.16.0-31").unwrap();
        assert_eq!((a, b), (v4("127.16.0.0"), v4("127.16.31.255")));
    }

    #[test]
    fn ranges_and_cidrs_rbldnsd_refuses() {
        for bad in [
            "127",
            "10.0.0.1-10.0.0",
            "10.0.0.5-10.0.0.1",
            "256.0.0.0/8",
            "10.0.0.0/33",
            "10.0.0.0/",
            "",
            "x",
            "1.2.3.",
        ] {
            assert_eq!(ip4_range(bad.as_bytes()), None, "{bad}");
        }
        // A bare number is only refused without a mask; /0 is read here and
        // refused by the ip4set loader.
        assert_eq!(ip4_range(b"10/8").map(|r| r.0), Some(8));
        assert_eq!(ip4_range(b"0/0").map(|r| r.0), Some(0));
        assert_eq!(
            ip4_range(b"10-20").map(|r| (r.1, r.2)),
            Some((v4("10.0.0.0"), v4("20.255.255.255")))
        );
        assert_eq!(ip4_cidr(b"10"), None);
        assert_eq!(ip4_cidr(b"0.0.0.0/0").map(|r| r.0), Some(0));
    }

    #[test]
    fn ipv6_forms() {
        let p = |s: &str| {
            let (bits, a, rest) = ip6_prefix(s.as_bytes());
            (
                bits,
                u128::from_be_bytes(a),
                String::from_utf8_lossy(rest).into_owned(),
            )
        };
        let six = |s: &str| u128::from(s.parse::<std::net::Ipv6Addr>().unwrap());
        assert_eq!(p("2001:db8::1"), (128, six("2001:db8::1"), String::new()));
        assert_eq!(p("::1"), (128, 1, String::new()));
        assert_eq!(
            p("2001:21ab:def7:4242"),
            (64, six("2001:21ab:def7:4242::"), String::new())
        );
        assert_eq!(
            p("1:2:3:4:5:6:7:8:9"),
            (128, six("1:2:3:4:5:6:7:8"), ":9".into())
        );
        assert_eq!(p("1::2::3"), (128, six("1::2"), ":3".into()));
        assert_eq!(p("1:2:3:4:5:6:7::8").0, -1, "no room for the zeros");
        assert_eq!(p("12345").0, -1);
        assert_eq!(ip6_cidr(b"2001:21ab:c000/36").0, 36);
        assert_eq!(ip6_cidr(b"2001").0, -1, "a bare group");
        assert_eq!(ip6_cidr(b"2001::/129").0, -1);
    }

    #[test]
    fn wire_names() {
        assert_eq!(wire_name(b"a.example").unwrap(), b"\x01a\x07example\x00");
        assert_eq!(wire_name(b"a..example.").unwrap(), b"\x01a\x07example\x00");
        assert_eq!(wire_name(b"a\\.b.c").unwrap(), b"\x03a.b\x01c\x00");
        assert_eq!(wire_name(b"\\065").unwrap(), b"\x01A\x00");
        assert_eq!(wire_name(b"\\256"), None);
        assert_eq!(wire_name(b".").unwrap(), b"\x00");
        assert_eq!(wire_name(&[b'a'; 64]), None);
        let mut out = Vec::new();
        name_text(b"\x03a$b\x02c\x01\x00", &mut out);
        assert_eq!(out, b"a\\$b.c\\001");
    }

    #[test]
    fn values_as_the_manual_describes() {
        let def = RawValue {
            a: v4("127.0.0.2"),
            txt: b"IP address $ is listed".as_slice().into(),
        };
        let val = |s: &str| a_txt(s.as_bytes(), &def).map(|(v, _)| v);
        assert_eq!(
            val(":5").unwrap(),
            RawValue {
                a: v4("127.0.0.5"),
                txt: def.txt.clone()
            }
        );
        assert_eq!(
            val(":6:").unwrap(),
            RawValue {
                a: v4("127.0.0.6"),
                txt: b"".as_slice().into()
            }
        );
        assert_eq!(val("open relay").unwrap().a, def.a);
        assert_eq!(val(":127.0.0.9: spaced").unwrap().txt.as_ref(), b"spaced");
        assert_eq!(val(":10.1.2:x").unwrap().a, v4("10.1.0.2"));
        assert_eq!(val(":0:x"), Err(INVALID_A));
        assert_eq!(val(":x"), Err(INVALID_A));
        assert_eq!(val(":3 x"), Err(UNRECOGNIZED_VALUE));
        let long = format!(":2:{}", "x".repeat(300));
        let (v, cut) = a_txt(long.as_bytes(), &def).unwrap();
        assert!(cut);
        assert_eq!(v.txt.len(), 255);
    }

    #[test]
    fn times_and_timestamps() {
        assert_eq!(time_word(b"2h"), Some((7200, &b""[..])));
        assert_eq!(time_word(b"1w rest"), Some((604_800, &b"rest"[..])));
        assert_eq!(time_word(b"35m:1"), Some((2100, &b":1"[..])));
        assert_eq!(time_word(b"5x"), None);
        assert_eq!(
            timestamp_word(b"2005:01:02"),
            Some((1_104_624_000, &b""[..]))
        );
        assert_eq!(
            timestamp_word(b"20050102 +1d"),
            Some((1_104_624_000, &b"+1d"[..]))
        );
        assert_eq!(
            timestamp_word(b"2024-02-29-12:30:15"),
            Some((1_709_209_815, &b""[..]))
        );
        assert_eq!(timestamp_word(b"2023-02-29"), None);
        assert_eq!(timestamp_word(b"- 0"), Some((0, &b"0"[..])));
    }
}
