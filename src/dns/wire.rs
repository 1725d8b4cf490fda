//! The DNS wire format, as far as blocklens needs it (RFC 1035 §4, RFC 6891
//! for the OPT record): query packets built from a fixed template, and the
//! low-level readers the decoder uses. Nothing here allocates on the path of
//! an ordinary reply; every read is bounds-checked and returns a [`Bad`]
//! instead of panicking.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Record, RecordType};

/// Length of the fixed DNS header.
pub(crate) const HEADER_LEN: usize = 12;
/// Longest name in wire form, root label included (RFC 1035 §2.3.4).
const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;
/// The EDNS payload size offered (the DNS Flag Day 2020 value).
pub const EDNS_PAYLOAD: u16 = 1232;
/// Longest query packet: header, the longest name, type and class, OPT.
pub(crate) const MAX_QUERY_LEN: usize = HEADER_LEN + MAX_NAME_LEN + 4 + OPT_RR.len();

pub(crate) const TYPE_A: u16 = 1;
pub(crate) const TYPE_NS: u16 = 2;
pub(crate) const TYPE_CNAME: u16 = 5;
pub(crate) const TYPE_SOA: u16 = 6;
pub(crate) const TYPE_PTR: u16 = 12;
pub(crate) const TYPE_MX: u16 = 15;
pub(crate) const TYPE_TXT: u16 = 16;
pub(crate) const TYPE_AAAA: u16 = 28;
pub(crate) const TYPE_DNAME: u16 = 39;
pub(crate) const TYPE_OPT: u16 = 41;
pub(crate) const TYPE_RRSIG: u16 = 46;
pub(crate) const CLASS_IN: u16 = 1;

/// Header bytes 2..12 of every query: RD set, one question, one additional
/// record (the OPT). Bytes 0..2 are the ID, written per transmission.
const HEADER_TEMPLATE: [u8; 10] = [0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1];
/// The OPT record of every query: root owner, type 41, payload size 1232,
/// extended RCODE 0, version 0, no flags, empty RDATA.
const OPT_RR: [u8; 11] = [
    0,
    0,
    TYPE_OPT as u8,
    (EDNS_PAYLOAD >> 8) as u8,
    (EDNS_PAYLOAD & 0xff) as u8,
    0,
    0,
    0,
    0,
    0,
    0,
];

impl RecordType {
    /// The RR type code.
    pub(crate) fn code(self) -> u16 {
        match self {
            RecordType::A => TYPE_A,
            RecordType::Aaaa => TYPE_AAAA,
            RecordType::Txt => TYPE_TXT,
            RecordType::Mx => TYPE_MX,
            RecordType::Ptr => TYPE_PTR,
        }
    }
}

/// Why part of a reply could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad(pub &'static str);

impl fmt::Display for Bad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Appends `name` (dot-separated, trailing dot optional) in uncompressed
/// wire form. Labels may hold any byte but a dot (SPF macros produce `:` or
/// spaces); empty, over-long labels and over-long names are refused.
pub(crate) fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        return Err("empty name".into());
    }
    let start = out.len();
    for label in trimmed.as_bytes().split(|&b| b == b'.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            out.truncate(start);
            let label = String::from_utf8_lossy(label);
            return Err(format!(
                "invalid name {trimmed}: label '{label}' is empty or longer than 63 bytes"
            ));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
    if out.len() - start > MAX_NAME_LEN {
        out.truncate(start);
        return Err(format!("invalid name {trimmed}: longer than 255 bytes"));
    }
    Ok(())
}

/// Writes a complete query for the wire-form `qname` into `out` (cleared
/// first), with ID 0: set it per transmission with [`set_id`].
pub(crate) fn write_query(out: &mut Vec<u8>, qname: &[u8], qtype: u16) {
    out.clear();
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&HEADER_TEMPLATE);
    out.extend_from_slice(qname);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&OPT_RR);
}

/// Removes the OPT record from a query built by [`write_query`], for a
/// server that answers FORMERR to EDNS (RFC 6891 §7). False if it had none.
pub(crate) fn strip_edns(packet: &mut Vec<u8>) -> bool {
    if packet.len() < HEADER_LEN + OPT_RR.len() || !packet.ends_with(&OPT_RR) || packet[11] != 1 {
        return false;
    }
    packet.truncate(packet.len() - OPT_RR.len());
    packet[11] = 0;
    true
}

/// Sets the ID of a query packet.
pub(crate) fn set_id(packet: &mut [u8], id: u16) {
    if let Some(head) = packet.get_mut(..2) {
        head.copy_from_slice(&id.to_be_bytes());
    }
}

pub(crate) fn u16_at(msg: &[u8], pos: usize) -> Result<u16, Bad> {
    match msg.get(pos..pos + 2) {
        Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
        None => Err(Bad("reply ends in the middle of a field")),
    }
}

fn u32_at(msg: &[u8], pos: usize) -> Result<u32, Bad> {
    match msg.get(pos..pos + 4) {
        Some(b) => Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(Bad("reply ends in the middle of a field")),
    }
}

/// The labels of a possibly compressed name in a message. A compression
/// pointer must point below every position read so far, so a hostile
/// message cannot make the walk loop; the name may not exceed 255 bytes.
pub(crate) struct Labels<'a> {
    msg: &'a [u8],
    pos: usize,
    /// Pointers must go below this.
    floor: usize,
    /// Where the name's own encoding ends (set at the first pointer or the root).
    end: Option<usize>,
    total: usize,
    done: bool,
}

impl<'a> Labels<'a> {
    pub(crate) fn new(msg: &'a [u8], pos: usize) -> Labels<'a> {
        Labels {
            msg,
            pos,
            floor: pos,
            end: None,
            total: 0,
            done: false,
        }
    }

    /// The next label, `None` after the root.
    pub(crate) fn next_label(&mut self) -> Result<Option<&'a [u8]>, Bad> {
        loop {
            if self.done {
                return Ok(None);
            }
            let len = *self
                .msg
                .get(self.pos)
                .ok_or(Bad("a name runs past the end of the reply"))?;
            match len & 0xc0 {
                0x00 => {
                    self.total += usize::from(len) + 1;
                    if self.total > MAX_NAME_LEN {
                        return Err(Bad("a name is longer than 255 bytes"));
                    }
                    if len == 0 {
                        self.done = true;
                        self.end.get_or_insert(self.pos + 1);
                        return Ok(None);
                    }
                    let start = self.pos + 1;
                    let label = self
                        .msg
                        .get(start..start + usize::from(len))
                        .ok_or(Bad("a label runs past the end of the reply"))?;
                    self.pos = start + usize::from(len);
                    return Ok(Some(label));
                }
                0xc0 => {
                    let target = usize::from(u16_at(self.msg, self.pos)? & 0x3fff);
                    if target >= self.floor {
                        return Err(Bad("a compression pointer does not point backwards"));
                    }
                    self.end.get_or_insert(self.pos + 2);
                    self.floor = target;
                    self.pos = target;
                }
                _ => return Err(Bad("a label of an unknown type")),
            }
        }
    }

    /// Reads to the end of the name; returns where its encoding ends.
    pub(crate) fn finish(mut self) -> Result<usize, Bad> {
        while self.next_label()?.is_some() {}
        self.end.ok_or(Bad("a name without an end"))
    }
}

/// Where the name at `pos` ends (validating all of it).
pub(crate) fn skip_name(msg: &[u8], pos: usize) -> Result<usize, Bad> {
    Labels::new(msg, pos).finish()
}

/// Whether the name at `pos` equals the uncompressed wire name `wire`,
/// ignoring ASCII case.
pub(crate) fn name_eq(msg: &[u8], pos: usize, wire: &[u8]) -> Result<bool, Bad> {
    let mut ours = Labels::new(msg, pos);
    let mut theirs = WireLabels(wire);
    loop {
        match (ours.next_label()?, theirs.next()) {
            (None, None) => return Ok(true),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            _ => return Ok(false),
        }
    }
}

/// Copies the name at `pos` into `out` in uncompressed wire form; returns
/// where its encoding ends.
pub(crate) fn read_name(msg: &[u8], pos: usize, out: &mut Vec<u8>) -> Result<usize, Bad> {
    let mut labels = Labels::new(msg, pos);
    while let Some(l) = labels.next_label()? {
        out.push(l.len() as u8);
        out.extend_from_slice(l);
    }
    out.push(0);
    labels.finish()
}

/// The name at `pos` as text: raw labels joined by dots, no trailing dot
/// (so it can be queried again exactly as received); the root is "".
fn name_text(msg: &[u8], pos: usize) -> Result<(String, usize), Bad> {
    let mut labels = Labels::new(msg, pos);
    let mut s = String::new();
    while let Some(l) = labels.next_label()? {
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str(&String::from_utf8_lossy(l));
    }
    Ok((s, labels.finish()?))
}

/// The labels of an uncompressed wire name (trusted: built or checked here).
pub(crate) struct WireLabels<'a>(pub &'a [u8]);

impl<'a> Iterator for WireLabels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.0.split_first()?;
        if len == 0 {
            self.0 = &[];
            return None;
        }
        let (label, rest) = rest.split_at_checked(usize::from(len))?;
        self.0 = rest;
        Some(label)
    }
}

/// Whether two uncompressed wire names are equal, ignoring ASCII case.
pub(crate) fn wire_eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A wire name in presentation form for messages: labels joined by dots,
/// bytes that are not printable ASCII (and dots and backslashes inside a
/// label) escaped as `\DDD`.
pub(crate) fn display_wire(wire: &[u8]) -> String {
    let mut s = String::new();
    for label in WireLabels(wire) {
        for &b in label {
            if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                s.push(char::from(b));
            } else {
                s.push_str(&format!("\\{b:03}"));
            }
        }
        s.push('.');
    }
    if s.is_empty() {
        s.push('.');
    }
    s
}

/// The name at `pos` in presentation form, for messages (never fails: a
/// broken name shows as `<malformed name>`).
pub(crate) fn display_at(msg: &[u8], pos: usize) -> String {
    let mut wire = Vec::new();
    match read_name(msg, pos, &mut wire) {
        Ok(_) => display_wire(&wire),
        Err(_) => "<malformed name>".into(),
    }
}

/// The mnemonic of an RR type, for messages.
pub(crate) fn type_name(code: u16) -> String {
    match code {
        TYPE_A => "A".into(),
        TYPE_NS => "NS".into(),
        TYPE_CNAME => "CNAME".into(),
        TYPE_SOA => "SOA".into(),
        TYPE_PTR => "PTR".into(),
        TYPE_MX => "MX".into(),
        TYPE_TXT => "TXT".into(),
        TYPE_AAAA => "AAAA".into(),
        TYPE_DNAME => "DNAME".into(),
        TYPE_OPT => "OPT".into(),
        TYPE_RRSIG => "RRSIG".into(),
        n => format!("TYPE{n}"),
    }
}

/// One resource record's fixed fields; `rdata` is the offset of its RDATA.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rr {
    pub owner: usize,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata: usize,
    pub rdlen: usize,
}

/// Reads the record at `pos`; returns it and where the next one starts.
pub(crate) fn read_rr(msg: &[u8], pos: usize) -> Result<(Rr, usize), Bad> {
    let after_name = skip_name(msg, pos)?;
    let rtype = u16_at(msg, after_name)?;
    let class = u16_at(msg, after_name + 2)?;
    let ttl = u32_at(msg, after_name + 4)?;
    let rdlen = usize::from(u16_at(msg, after_name + 8)?);
    let rdata = after_name + 10;
    if rdata + rdlen > msg.len() {
        return Err(Bad("a record's data runs past the end of the reply"));
    }
    let rr = Rr {
        owner: pos,
        rtype,
        class,
        ttl,
        rdata,
        rdlen,
    };
    Ok((rr, rdata + rdlen))
}

/// A name that must fill a record's RDATA exactly from `pos`.
fn rdata_name(msg: &[u8], rr: &Rr, pos: usize) -> Result<String, Bad> {
    let (name, end) = name_text(msg, pos)?;
    if end != rr.rdata + rr.rdlen {
        return Err(Bad("a name does not fill its record's data"));
    }
    Ok(name)
}

/// The uncompressed target of a CNAME or DNAME record, which must fill its RDATA.
pub(crate) fn target_name(msg: &[u8], rr: &Rr) -> Result<Vec<u8>, Bad> {
    let mut out = Vec::new();
    let end = read_name(msg, rr.rdata, &mut out)?;
    if end != rr.rdata + rr.rdlen {
        return Err(Bad("a name does not fill its record's data"));
    }
    Ok(out)
}

/// The RDATA of a record of one of the types blocklens asks for.
pub(crate) fn record(msg: &[u8], rr: &Rr, rtype: RecordType) -> Result<Record, Bad> {
    let data = &msg[rr.rdata..rr.rdata + rr.rdlen];
    match rtype {
        RecordType::A => match <[u8; 4]>::try_from(data) {
            Ok(b) => Ok(Record::A(Ipv4Addr::from(b))),
            Err(_) => Err(Bad("an A record that is not 4 bytes long")),
        },
        RecordType::Aaaa => match <[u8; 16]>::try_from(data) {
            Ok(b) => Ok(Record::Aaaa(Ipv6Addr::from(b))),
            Err(_) => Err(Bad("an AAAA record that is not 16 bytes long")),
        },
        RecordType::Txt => txt(data).map(Record::Txt),
        RecordType::Mx => {
            if rr.rdlen < 3 {
                return Err(Bad("an MX record too short for a preference and a name"));
            }
            let pref = u16_at(msg, rr.rdata)?;
            Ok(Record::Mx(pref, rdata_name(msg, rr, rr.rdata + 2)?))
        }
        RecordType::Ptr => Ok(Record::Ptr(rdata_name(msg, rr, rr.rdata)?)),
    }
}

/// A TXT record's character-strings, concatenated (RFC 7208 §3.3).
fn txt(mut data: &[u8]) -> Result<String, Bad> {
    let mut bytes = Vec::with_capacity(data.len());
    while let Some((&len, rest)) = data.split_first() {
        let (part, rest) = rest
            .split_at_checked(usize::from(len))
            .ok_or(Bad("a TXT string runs past the end of its record"))?;
        bytes.extend_from_slice(part);
        data = rest;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_and_refused_like_before() {
        let mut out = Vec::new();
        encode_name("2.0.0.127.zen.Spamhaus.org.", &mut out).unwrap();
        assert_eq!(&out[..4], b"\x012\x010");
        assert_eq!(out.last(), Some(&0));
        assert_eq!(display_wire(&out), "2.0.0.127.zen.Spamhaus.org.");
        out.clear();
        encode_name("a:b/c d.example", &mut out).unwrap();
        assert_eq!(display_wire(&out), "a:b/c\\032d.example.");
        for bad in ["", ".", "a..b", &"x".repeat(64), &"abcdefghi.".repeat(26)] {
            let mut out = vec![7];
            assert!(encode_name(bad, &mut out).is_err(), "{bad}");
            assert_eq!(out, [7], "nothing left behind for {bad}");
        }
    }

    #[test]
    fn queries_come_from_the_template() {
        let mut name = Vec::new();
        encode_name("x.test", &mut name).unwrap();
        let mut q = Vec::new();
        write_query(&mut q, &name, TYPE_TXT);
        set_id(&mut q, 0xbeef);
        assert_eq!(&q[..4], &[0xbe, 0xef, 0x01, 0x00]);
        assert_eq!(u16_at(&q, 4), Ok(1), "one question");
        assert_eq!(u16_at(&q, 10), Ok(1), "one additional: OPT");
        let (rr, end) = read_rr(&q, 12 + name.len() + 4).unwrap();
        assert_eq!((rr.rtype, rr.class, end), (TYPE_OPT, EDNS_PAYLOAD, q.len()));
        assert!(q.len() <= MAX_QUERY_LEN);
        let with_edns = q.clone();
        assert!(strip_edns(&mut q));
        assert_eq!(q.len(), with_edns.len() - OPT_RR.len());
        assert_eq!(u16_at(&q, 10), Ok(0), "no additional record left");
        assert!(!strip_edns(&mut q), "only once");
    }

    #[test]
    fn compression_pointers_must_point_backwards() {
        // A name at 12 made of a label and a pointer to itself.
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(&[1, b'a', 0xc0, 12]);
        assert!(skip_name(&msg, 12).is_err());
        // A pointer to an earlier name is fine.
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(&[1, b'a', 0, 1, b'b', 0xc0, 12]);
        let mut out = Vec::new();
        assert_eq!(read_name(&msg, 15, &mut out), Ok(19));
        assert_eq!(display_wire(&out), "b.a.");
        assert_eq!(name_eq(&msg, 15, b"\x01B\x01A\x00"), Ok(true));
        assert_eq!(name_eq(&msg, 15, b"\x01B\x00"), Ok(false));
    }
}
