//! Reading rbldnsd data files: lines, specials, and each type's entries,
//! as `rbldnsd_zones.c` and the `rbldnsd_*.c` dataset readers do.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::read::MultiGzDecoder;

use super::dataset::{Data, Dataset, NameSet, Substs};
use super::intervals::{Block, IntervalMap, Key, UNLISTED};
use super::text::{
    RawValue, a_txt, dn_word, ends_entry, first, ip4_cidr, ip4_mask, ip4_prefix, ip4_range,
    ip6_cidr, ip6_clear_host, ip6_prefix, is_comment, is_space, skip_space, time_word,
    timestamp_word, uint32_word,
};
use super::zone::Zone;
use super::{DatasetKind, LineIssue, LoadError, LoadOptions, LoadStats, MAX_ISSUES_KEPT, ZoneSpec};

/// How much of a line is read; the rest of a longer line is skipped with a
/// note. rbldnsd reads lines through a 64 KiB buffer and cuts long ones
/// after 32 KiB or more, so both read the same entry from such a line (its
/// TXT is cut to 255 bytes anyway).
pub const MAX_LINE: usize = 32 * 1024;

/// The value marking an exclusion (`!entry`) before grouping.
const EXCLUDED: u32 = u32::MAX;

/// Entries as read, per type, before they are grouped and indexed.
enum Builder {
    Ip4Set(Vec<Run>),
    Ip4Tset(Vec<u32>),
    Ip4Trie(HashMap<(u32, u32), u32>),
    Ip6Tset(Vec<u64>, Vec<u128>),
    Ip6Trie(HashMap<(u128, u32), u32>),
    Dnset(Vec<(Box<[u8]>, u32)>, Vec<(Box<[u8]>, u32)>),
}

/// Part of an ip4set entry at one of rbldnsd's levels (0: /32 entries,
/// 1: /24, 2: /16, 3: /8): the addresses `first..=last`, whole units of the
/// level, all inside one unit of the level above. rbldnsd stores each unit
/// as an entry; keeping the run whole gives the same answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Run {
    level: u8,
    first: u32,
    last: u32,
    value: u32,
}

/// Distinct values, numbered in the order first seen.
#[derive(Default)]
struct Values {
    list: Vec<RawValue>,
    ids: HashMap<RawValue, u32>,
}

impl Values {
    fn intern(&mut self, value: RawValue) -> u32 {
        let next = self.list.len() as u32;
        *self.ids.entry(value).or_insert_with_key(|v| {
            self.list.push(v.clone());
            next
        })
    }
}

/// Distinct sets of values; group 0 is the empty set (not listed).
struct Groups {
    starts: Vec<u32>,
    values: Vec<u32>,
    ids: HashMap<Vec<u32>, u32>,
}

impl Groups {
    fn new() -> Groups {
        Groups {
            starts: vec![0, 0],
            values: Vec::new(),
            ids: HashMap::new(),
        }
    }

    /// The group of `values` (sorted, no repeats), or `UNLISTED` if one of
    /// them is an exclusion.
    fn intern(&mut self, values: &[u32]) -> u32 {
        if values.is_empty() || values.contains(&EXCLUDED) {
            return UNLISTED;
        }
        if let Some(&id) = self.ids.get(values) {
            return id;
        }
        let id = (self.starts.len() - 1) as u32;
        self.values.extend_from_slice(values);
        self.starts.push(self.values.len() as u32);
        self.ids.insert(values.to_vec(), id);
        id
    }

    /// ip4set runs to blocks: at each level, where runs overlap their
    /// values are pooled (an exclusion among them unlists the addresses);
    /// the deeper level lies inside the shallower.
    fn pool_runs(&mut self, mut runs: Vec<Run>) -> Vec<Block<u32>> {
        runs.sort_unstable();
        let mut out = Vec::with_capacity(runs.len());
        for level in runs.chunk_by(|x, y| x.level == y.level) {
            self.sweep(level, 3 - level[0].level, &mut out);
        }
        out
    }

    /// Cuts the runs of one level (sorted by start) into disjoint blocks,
    /// each with the group of the runs covering it.
    fn sweep(&mut self, runs: &[Run], depth: u8, out: &mut Vec<Block<u32>>) {
        // The runs covering the current position: (last, value), soonest end first.
        let mut active: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::new();
        let mut pos = 0u64;
        let mut emit = |groups: &mut Groups,
                        active: &BinaryHeap<Reverse<(u32, u32)>>,
                        first: u64,
                        last: u64| {
            let mut values: Vec<u32> = active.iter().map(|r| r.0.1).collect();
            values.sort_unstable();
            values.dedup();
            let group = groups.intern(&values);
            out.push(Block {
                first: first as u32,
                last: last as u32,
                depth,
                group,
            });
        };
        for run in runs.iter().map(Some).chain([None]) {
            let next = run.map_or(1u64 << 32, |r| u64::from(r.first));
            while let Some(&Reverse((last, _))) = active.peek() {
                let last = u64::from(last);
                if last >= next {
                    break;
                }
                emit(self, &active, pos, last);
                pos = last + 1;
                while active.peek().is_some_and(|r| u64::from(r.0.0) == last) {
                    active.pop();
                }
            }
            if !active.is_empty() && pos < next {
                emit(self, &active, pos, next - 1);
            }
            if let Some(r) = run {
                pos = u64::from(r.first);
                active.push(Reverse((r.last, r.value)));
            }
        }
    }

    /// Names with one value each to a map from name to group.
    fn pool_names(&mut self, mut names: Vec<(Box<[u8]>, u32)>) -> HashMap<Box<[u8]>, u32> {
        names.sort_unstable();
        let mut out = HashMap::with_capacity(names.len());
        let mut pooled = Vec::new();
        for run in names.chunk_by(|x, y| x.0 == y.0) {
            pooled.clear();
            pooled.extend(run.iter().map(|n| n.1));
            pooled.dedup();
            out.insert(run[0].0.clone(), self.intern(&pooled));
        }
        out
    }
}

/// The state of one dataset being read, across its files.
struct Loader<'o> {
    kind: DatasetKind,
    opts: &'o LoadOptions,
    /// Seconds since the epoch, for `$TIMESTAMP`.
    now: i64,
    builder: Builder,
    values: Values,
    /// The value of entries without one (reset at each file for the types
    /// whose `:` line holds "up to the end of the file").
    default: u32,
    /// ip4tset and ip6tset: the dataset's one value, from its first `:` line.
    tset_default: Option<u32>,
    substs: Substs,
    expires: Option<i64>,
    /// `$MAXRANGE4`: ranges this large or larger are skipped (0: no limit).
    maxrange4: u32,
    has_soa: bool,
    has_ns: bool,
    file: Arc<str>,
    line: u64,
    stats: LoadStats,
}

/// rbldnsd's value for entries without one: 127.0.0.2, no TXT.
fn global_default() -> RawValue {
    RawValue {
        a: 0x7f00_0002,
        txt: Box::default(),
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Dataset {
    /// Loads a dataset from its files, read as one (rbldnsd's
    /// `type:file,file,...`). Gzip-compressed files are read too.
    pub fn load<P: AsRef<Path>>(
        kind: DatasetKind,
        files: &[P],
        opts: &LoadOptions,
    ) -> Result<Dataset, LoadError> {
        let mut loader = Loader::new(kind, opts, now_secs());
        for path in files {
            let path = path.as_ref();
            let io_err = |source: io::Error| LoadError::Io {
                path: path.to_path_buf(),
                source,
            };
            let file = File::open(path).map_err(io_err)?;
            loader.read_source(&path.display().to_string(), file, io_err)?;
        }
        Ok(loader.finish())
    }

    /// Loads a dataset from files already in memory: `(name, contents)`,
    /// the name used in notes.
    pub fn parse(
        kind: DatasetKind,
        sources: &[(&str, &[u8])],
        opts: &LoadOptions,
    ) -> Result<Dataset, LoadError> {
        Dataset::parse_at(kind, sources, opts, now_secs())
    }

    /// [`Dataset::parse`] at a given time (seconds since the epoch).
    pub(crate) fn parse_at(
        kind: DatasetKind,
        sources: &[(&str, &[u8])],
        opts: &LoadOptions,
        now: i64,
    ) -> Result<Dataset, LoadError> {
        let mut loader = Loader::new(kind, opts, now);
        for (name, bytes) in sources {
            let io_err = |source: io::Error| LoadError::Io {
                path: std::path::PathBuf::from(*name),
                source,
            };
            loader.read_source(name, *bytes, io_err)?;
        }
        Ok(loader.finish())
    }
}

/// Loads every zone of rbldnsd-style specifications. Repeating a zone adds
/// datasets to it; a dataset named twice (same type and files) is read once
/// and shared, as rbldnsd does.
pub fn load_zones(specs: &[ZoneSpec], opts: &LoadOptions) -> Result<Vec<Zone>, LoadError> {
    let mut loaded: Vec<(DatasetKind, &[std::path::PathBuf], Arc<Dataset>)> = Vec::new();
    let mut zones: Vec<(String, Vec<Arc<Dataset>>)> = Vec::new();
    for spec in specs {
        let found = loaded
            .iter()
            .find(|(k, f, _)| *k == spec.kind && *f == spec.files.as_slice())
            .map(|l| Arc::clone(&l.2));
        let dataset = match found {
            Some(d) => d,
            None => {
                let d = Arc::new(Dataset::load(spec.kind, &spec.files, opts)?);
                loaded.push((spec.kind, &spec.files, Arc::clone(&d)));
                d
            }
        };
        let key = spec.zone.trim_end_matches('.').to_ascii_lowercase();
        match zones.iter_mut().find(|z| z.0 == key) {
            Some(z) => z.1.push(dataset),
            None => zones.push((key, vec![dataset])),
        }
    }
    zones
        .into_iter()
        .map(|(name, datasets)| {
            Zone::new(&name, datasets).map_err(|reason| LoadError::Spec {
                spec: name.clone(),
                reason,
            })
        })
        .collect()
}

/// Reads one line into `buf` (without the newline), keeping at most `max`
/// bytes of it. `None` at the end; `Some(false)` if the line was longer
/// (the rest of it is skipped).
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<bool>> {
    buf.clear();
    let (mut any, mut fits) = (false, true);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(fits));
        }
        any = true;
        let newline = chunk.iter().position(|&c| c == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        let room = max - buf.len();
        if part.len() > room {
            fits = false;
        }
        buf.extend_from_slice(&part[..part.len().min(room)]);
        let used = newline.map_or(chunk.len(), |n| n + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(Some(fits));
        }
    }
}

/// A line as rbldnsd sees it: leading and trailing blanks removed, and
/// ending at a NUL byte (it reads lines as C strings).
fn trim_line(raw: &[u8]) -> &[u8] {
    let s = skip_space(raw);
    let end = s.iter().rposition(|&c| !is_space(c)).map_or(0, |i| i + 1);
    let s = &s[..end];
    &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())]
}

/// `line` without a leading `!` (and the blanks after it), and whether it had one.
fn exclusion(s: &[u8]) -> (bool, &[u8]) {
    if first(s) == b'!' {
        (true, skip_space(&s[1..]))
    } else {
        (false, s)
    }
}

/// The word `word` (lowercase) at the start of `line`, in any case and
/// followed by a blank: the rest after the blanks.
fn keyword<'a>(line: &'a [u8], word: &str) -> Option<&'a [u8]> {
    let n = word.len();
    let head = line.get(..n)?;
    (head.eq_ignore_ascii_case(word.as_bytes()) && line.get(n).is_some_and(|&c| is_space(c)))
        .then(|| skip_space(&line[n + 1..]))
}

/// Splits an IPv4 range into rbldnsd's aligned /32, /24, /16 and /8 blocks
/// (`ip4range_expand_octet`): the level a block lands on decides which
/// entries answer for an address.
fn split_ip4_range(mut a: u32, mut b: u32, add: &mut dyn FnMut(u8, u32, u32)) {
    // Units `from..=to` of 2^shift addresses (always inside one unit of the
    // level above), as one run.
    let mut units = |shift: u32, from: u32, to: u32| {
        if from <= to {
            add(
                (shift / 8) as u8,
                from << shift,
                (to << shift) | ((1u32 << shift) - 1),
            );
        }
    };
    for shift in [0u32, 8, 16] {
        if (a | 255) >= b {
            if b.wrapping_sub(a) == 255 {
                units(shift + 8, a >> 8, a >> 8);
            } else {
                units(shift, a, b);
            }
            return;
        }
        if a & 255 != 0 {
            units(shift, a, a | 255);
            a = (a >> 8) + 1;
        } else {
            a >>= 8;
        }
        if b & 255 != 255 {
            units(shift, b & !255, b);
            b = (b >> 8).wrapping_sub(1);
        } else {
            b >>= 8;
        }
    }
    units(24, a, b);
}

impl<'o> Loader<'o> {
    fn new(kind: DatasetKind, opts: &'o LoadOptions, now: i64) -> Loader<'o> {
        let builder = match kind {
            DatasetKind::Ip4Set => Builder::Ip4Set(Vec::new()),
            DatasetKind::Ip4Tset => Builder::Ip4Tset(Vec::new()),
            DatasetKind::Ip4Trie => Builder::Ip4Trie(HashMap::new()),
            DatasetKind::Ip6Tset => Builder::Ip6Tset(Vec::new(), Vec::new()),
            DatasetKind::Ip6Trie => Builder::Ip6Trie(HashMap::new()),
            DatasetKind::Dnset => Builder::Dnset(Vec::new(), Vec::new()),
        };
        let mut values = Values::default();
        let default = values.intern(global_default());
        Loader {
            kind,
            opts,
            now,
            builder,
            values,
            default,
            tset_default: None,
            substs: Substs::default(),
            expires: None,
            maxrange4: 0,
            has_soa: false,
            has_ns: false,
            file: Arc::from(""),
            line: 0,
            stats: LoadStats::default(),
        }
    }

    /// Reads one file (gzip or plain) into the dataset.
    fn read_source(
        &mut self,
        name: &str,
        source: impl Read,
        io_err: impl Fn(io::Error) -> LoadError,
    ) -> Result<(), LoadError> {
        self.file = Arc::from(name);
        self.line = 0;
        self.default = 0;
        let mut reader = BufReader::with_capacity(1 << 16, source);
        let gzip = reader
            .fill_buf()
            .map_err(&io_err)?
            .starts_with(&[0x1f, 0x8b]);
        if gzip {
            self.read_lines(BufReader::new(MultiGzDecoder::new(reader)), io_err)
        } else {
            self.read_lines(reader, io_err)
        }
    }

    fn read_lines(
        &mut self,
        mut reader: impl BufRead,
        io_err: impl Fn(io::Error) -> LoadError,
    ) -> Result<(), LoadError> {
        let mut buf = Vec::new();
        while let Some(fits) = read_line(&mut reader, &mut buf, MAX_LINE).map_err(&io_err)? {
            self.line += 1;
            self.stats.lines += 1;
            if !fits {
                self.note(format!("long line (truncated to {MAX_LINE} bytes)"));
            }
            self.handle_line(&buf)?;
            if self.opts.strict
                && let Some(issue) = self.stats.issues.first()
            {
                return Err(LoadError::Line(issue.clone()));
            }
        }
        Ok(())
    }

    /// Records a line rbldnsd skips or reads in part.
    fn note(&mut self, reason: impl Into<String>) {
        self.stats.issue_count += 1;
        if self.stats.issues.len() < MAX_ISSUES_KEPT {
            self.stats.issues.push(LineIssue {
                file: self.file.to_string(),
                line: self.line,
                reason: reason.into(),
            });
        }
    }

    fn handle_line(&mut self, raw: &[u8]) -> Result<(), LoadError> {
        let s = trim_line(raw);
        let c0 = first(s);
        if c0 == b'$' {
            return self.special(&s[1..]);
        }
        if (is_comment(c0) || c0 == b':') && s.get(1) == Some(&b'$') {
            return self.special(&s[2..]);
        }
        if !s.is_empty() && !is_comment(c0) {
            match self.kind {
                DatasetKind::Ip4Set => self.ip4set_line(s),
                DatasetKind::Ip4Tset => self.ip4tset_line(s),
                DatasetKind::Ip4Trie => self.ip4trie_line(s),
                DatasetKind::Ip6Tset => self.ip6tset_line(s),
                DatasetKind::Ip6Trie => self.ip6trie_line(s),
                DatasetKind::Dnset => self.dnset_line(s),
            }
        }
        Ok(())
    }

    /// A `$` line (`$SOA`, `$NS`, `$TTL`, `$MAXRANGE4`, `$TIMESTAMP`, `$0`..`$9`,
    /// `$=`); `$DATASET` belongs to the combined type and is skipped here.
    fn special(&mut self, w: &[u8]) -> Result<(), LoadError> {
        let ok = if let Some(rest) = keyword(w, "soa") {
            self.has_soa || {
                self.has_soa = soa_ok(rest);
                self.has_soa
            }
        } else if let Some(rest) = keyword(w, "ns").or_else(|| keyword(w, "nameserver")) {
            self.has_ns || {
                self.has_ns = ns_ok(rest);
                self.has_ns
            }
        } else if let Some(rest) = keyword(w, "ttl") {
            time_word(rest).is_some_and(|(_, r)| r.is_empty())
        } else if let Some(rest) = keyword(w, "maxrange4") {
            self.maxrange(rest)
        } else if let Some(rest) = keyword(w, "timestamp") {
            self.timestamp(rest)?
        } else if (first(w).is_ascii_digit() || first(w) == b'=')
            && w.get(1).is_some_and(|&c| is_space(c))
        {
            self.subst_var(w)
        } else {
            false
        };
        if !ok {
            self.note("invalid or unrecognized special entry");
        }
        Ok(())
    }

    fn maxrange(&mut self, rest: &[u8]) -> bool {
        let (cidr, rest) = match rest.strip_prefix(b"/") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let Some((mut r, tail)) = uint32_word(rest) else {
            return false;
        };
        if !tail.is_empty() || r == 0 || (cidr && r > 32) {
            return false;
        }
        if cidr {
            r = (!ip4_mask(r)).wrapping_add(1);
        }
        if self.maxrange4 != 0 && self.maxrange4 < r {
            let current = self.maxrange4;
            self.note(format!(
                "ignoring attempt to increase $MAXRANGE4 from {current} to {r}"
            ));
        } else {
            self.maxrange4 = r;
        }
        true
    }

    fn timestamp(&mut self, rest: &[u8]) -> Result<bool, LoadError> {
        let Some((stamp, rest)) = timestamp_word(rest) else {
            return Ok(false);
        };
        let expires = if rest.is_empty() {
            0
        } else if let Some(rel) = rest.strip_prefix(b"+") {
            match time_word(rel) {
                Some((n, r)) if r.is_empty() && stamp != 0 && n != 0 => stamp + i64::from(n),
                _ => return Ok(false),
            }
        } else {
            match timestamp_word(rest) {
                Some((e, [])) => e,
                _ => return Ok(false),
            }
        };
        if stamp != 0 && stamp > self.now {
            return Err(LoadError::FutureTimestamp {
                file: self.file.to_string(),
                line: self.line,
                seconds: stamp - self.now,
            });
        }
        if expires != 0 {
            self.expires = Some(self.expires.map_or(expires, |e| e.min(expires)));
        }
        Ok(true)
    }

    fn subst_var(&mut self, w: &[u8]) -> bool {
        let slot = match w[0] {
            b'=' => &mut self.substs.base,
            d => &mut self.substs.vars[usize::from(d - b'0')],
        };
        if slot.is_some() {
            return true;
        }
        let text = skip_space(&w[2..]);
        if text.is_empty() {
            return false;
        }
        *slot = Some(text.into());
        true
    }

    /// A `:` line: the default value for the entries after it (ip4tset and
    /// ip6tset: the value of the whole dataset, from its first `:` line).
    fn default_line(&mut self, s: &[u8]) {
        let tset = matches!(self.kind, DatasetKind::Ip4Tset | DatasetKind::Ip6Tset);
        if tset && self.tset_default.is_some() {
            return;
        }
        match a_txt(s, &global_default()) {
            Ok((value, cut)) => {
                if cut {
                    self.note("TXT RR truncated to 255 bytes");
                }
                let id = self.values.intern(value);
                if tset {
                    self.tset_default = Some(id);
                } else {
                    self.default = id;
                }
            }
            Err(reason) => self.note(reason),
        }
    }

    /// The value after an entry: its own, the default, or `None` (noted)
    /// when it cannot be read.
    fn entry_value(&mut self, rest: &[u8]) -> Option<u32> {
        let rest = skip_space(rest);
        if rest.is_empty() || is_comment(rest[0]) {
            return Some(self.default);
        }
        let default = self.values.list[self.default as usize].clone();
        match a_txt(rest, &default) {
            Ok((value, cut)) => {
                if cut {
                    self.note("TXT RR truncated to 255 bytes");
                }
                Some(self.values.intern(value))
            }
            Err(reason) => {
                self.note(reason);
                None
            }
        }
    }

    /// The value of an entry, or `EXCLUDED`.
    fn value_or_exclusion(&mut self, excluded: bool, rest: &[u8]) -> Option<u32> {
        if excluded {
            Some(EXCLUDED)
        } else {
            self.entry_value(rest)
        }
    }

    /// Checks (or with `accept_in_cidr` clears) the host bits of a CIDR.
    fn host_bits_ok(&mut self, addr: &mut u32, bits: u32) -> bool {
        if self.opts.accept_in_cidr {
            *addr &= ip4_mask(bits);
        } else if *addr & !ip4_mask(bits) != 0 {
            self.note("invalid range (non-zero host part)");
            return false;
        }
        true
    }

    fn ip4set_line(&mut self, s: &[u8]) {
        if first(s) == b':' {
            return self.default_line(s);
        }
        let (excluded, s) = exclusion(s);
        let Some((bits, mut a, b, rest)) = ip4_range(s).filter(|r| r.0 > 0 && ends_entry(r.3))
        else {
            return self.note("invalid address");
        };
        if !self.host_bits_ok(&mut a, bits) {
            return;
        }
        if self.maxrange4 != 0 && self.maxrange4 <= b - a {
            let (size, max) = ((b - a).wrapping_add(1), self.maxrange4);
            return self.note(format!("too large range ({size}) ignored ({max} max)"));
        }
        let Some(value) = self.value_or_exclusion(excluded, rest) else {
            return;
        };
        if let Builder::Ip4Set(runs) = &mut self.builder {
            split_ip4_range(a, b, &mut |level, first, last| {
                runs.push(Run {
                    level,
                    first,
                    last,
                    value,
                })
            });
        }
        self.stats.entries += 1;
    }

    fn ip4tset_line(&mut self, s: &[u8]) {
        if first(s) == b':' {
            return self.default_line(s);
        }
        let Some((_, a, _)) = ip4_prefix(s).filter(|p| p.0 == 32 && ends_entry(p.2)) else {
            return self.note("invalid address");
        };
        if let Builder::Ip4Tset(addrs) = &mut self.builder {
            addrs.push(a);
        }
        self.stats.entries += 1;
    }

    fn ip4trie_line(&mut self, s: &[u8]) {
        if first(s) == b':' {
            return self.default_line(s);
        }
        let (excluded, s) = exclusion(s);
        let Some((bits, mut a, rest)) = ip4_cidr(s).filter(|c| ends_entry(c.2)) else {
            return self.note("invalid address");
        };
        if !self.host_bits_ok(&mut a, bits) {
            return;
        }
        let span = !ip4_mask(bits);
        if self.maxrange4 != 0 && self.maxrange4 <= span {
            let (size, max) = (span.wrapping_add(1), self.maxrange4);
            return self.note(format!("too large range ({size}) ignored ({max} max)"));
        }
        let Some(value) = self.value_or_exclusion(excluded, rest) else {
            return;
        };
        let fresh = match &mut self.builder {
            Builder::Ip4Trie(prefixes) => insert_new(prefixes, (a, bits), value),
            _ => false,
        };
        self.count_prefix(fresh, || format!("{}/{bits}", std::net::Ipv4Addr::from(a)));
    }

    fn ip6tset_line(&mut self, s: &[u8]) {
        if first(s) == b':' {
            return self.default_line(s);
        }
        let (excluded, s) = exclusion(s);
        let (bits, addr, rest) = ip6_prefix(s);
        if bits < 0 || !ends_entry(rest) {
            return self.note("invalid address");
        }
        let want = if excluded { 128 } else { 64 };
        if bits != want {
            let what = if excluded {
                "exclusion"
            } else {
                "regular entry"
            };
            return self.note(format!(
                "invalid address for {what} (should be {want} bits)"
            ));
        }
        let addr = u128::from_be_bytes(addr);
        if let Builder::Ip6Tset(halves, exclusions) = &mut self.builder {
            if excluded {
                exclusions.push(addr);
            } else {
                halves.push((addr >> 64) as u64);
            }
        }
        self.stats.entries += 1;
    }

    fn ip6trie_line(&mut self, s: &[u8]) {
        // "::1" is an address, not a default line.
        if first(s) == b':' && s.get(1) != Some(&b':') {
            return self.default_line(s);
        }
        let (excluded, s) = exclusion(s);
        let (bits, addr, rest) = ip6_cidr(s);
        if bits < 0 || !ends_entry(rest) {
            return self.note("invalid address");
        }
        let bits = bits as u32;
        let mut addr = u128::from_be_bytes(addr);
        if ip6_clear_host(&mut addr, bits) && !self.opts.accept_in_cidr {
            return self.note("invalid range (non-zero host part)");
        }
        let Some(value) = self.value_or_exclusion(excluded, rest) else {
            return;
        };
        let fresh = match &mut self.builder {
            Builder::Ip6Trie(prefixes) => insert_new(prefixes, (addr, bits), value),
            _ => false,
        };
        self.count_prefix(fresh, || {
            format!("{}/{bits}", super::dataset::ip6_text(addr))
        });
    }

    /// Counts a new trie prefix, or notes a repeated one (the first stays).
    fn count_prefix(&mut self, fresh: bool, prefix: impl FnOnce() -> String) {
        if fresh {
            self.stats.entries += 1;
        } else {
            self.note(format!("duplicated entry for {}", prefix()));
        }
    }

    fn dnset_line(&mut self, s: &[u8]) {
        if first(s) == b':' {
            return self.default_line(s);
        }
        let (excluded, s) = exclusion(s);
        let (wild, plain, s) = if first(s) == b'.' {
            (true, true, &s[1..])
        } else if s.starts_with(b"*.") {
            (true, false, &s[2..])
        } else {
            (false, true, s)
        };
        let Some((mut dn, rest)) = dn_word(s).filter(|(dn, _)| dn.len() > 1) else {
            return self.note("invalid domain name");
        };
        dn.make_ascii_lowercase();
        dn.pop(); // the root byte: names are kept as their labels
        let Some(value) = self.value_or_exclusion(excluded, rest) else {
            return;
        };
        let name: Box<[u8]> = dn.into();
        if let Builder::Dnset(plains, wilds) = &mut self.builder {
            if plain {
                plains.push((name.clone(), value));
            }
            if wild {
                wilds.push((name, value));
            }
        }
        self.stats.entries += 1;
    }

    fn finish(mut self) -> Dataset {
        let mut groups = Groups::new();
        let tset_group = |groups: &mut Groups, v: Option<u32>| groups.intern(&[v.unwrap_or(0)]);
        let data = match std::mem::replace(&mut self.builder, Builder::Ip4Tset(Vec::new())) {
            Builder::Ip4Set(runs) => Data::V4(IntervalMap::from_blocks(groups.pool_runs(runs))),
            Builder::Ip4Tset(mut addrs) => {
                addrs.sort_unstable();
                addrs.dedup();
                let g = tset_group(&mut groups, self.tset_default);
                let blocks = addrs.into_iter().map(|a| Block::new(a, a, g)).collect();
                Data::V4(IntervalMap::from_blocks(blocks))
            }
            Builder::Ip4Trie(prefixes) => {
                let blocks = trie_blocks(prefixes, &mut groups, |a, bits| a | !ip4_mask(bits));
                Data::V4(IntervalMap::from_blocks(blocks))
            }
            Builder::Ip6Tset(halves, exclusions) => {
                let g = tset_group(&mut groups, self.tset_default);
                Data::V6(IntervalMap::from_blocks(ip6tset_blocks(
                    halves, exclusions, g,
                )))
            }
            Builder::Ip6Trie(prefixes) => {
                let blocks = trie_blocks(prefixes, &mut groups, |a, bits| {
                    a | u128::MAX.checked_shr(bits).unwrap_or(0)
                });
                Data::V6(IntervalMap::from_blocks(blocks))
            }
            Builder::Dnset(plain, wild) => Data::Names(NameSet {
                plain: groups.pool_names(plain),
                wild: groups.pool_names(wild),
            }),
        };
        self.stats.keys = match &data {
            Data::V4(m) => m.len() as u64,
            Data::V6(m) => m.len() as u64,
            Data::Names(n) => (n.plain.len() + n.wild.len()) as u64,
        };
        Dataset {
            kind: self.kind,
            data,
            values: self.values.list,
            group_starts: groups.starts,
            group_values: groups.values,
            substs: self.substs,
            expires: self.expires,
            stats: self.stats,
        }
    }
}

/// Trie prefixes (distinct) as blocks; `last` gives a prefix's last address.
fn trie_blocks<K: Key>(
    prefixes: HashMap<(K, u32), u32>,
    groups: &mut Groups,
    last: impl Fn(K, u32) -> K,
) -> Vec<Block<K>> {
    prefixes
        .into_iter()
        .map(|((a, bits), v)| Block::new(a, last(a, bits), groups.intern(&[v])))
        .collect()
}

/// Inserts a trie prefix unless it is there already (the first one wins).
fn insert_new<K: std::hash::Hash + Eq>(prefixes: &mut HashMap<K, u32>, key: K, value: u32) -> bool {
    match prefixes.entry(key) {
        Entry::Vacant(v) => {
            v.insert(value);
            true
        }
        Entry::Occupied(_) => false,
    }
}

/// ip6tset: each listed /64 is a block; an excluded /128 inside a listed
/// /64 is a block that lists nothing (outside one it changes nothing).
fn ip6tset_blocks(mut halves: Vec<u64>, mut exclusions: Vec<u128>, group: u32) -> Vec<Block<u128>> {
    halves.sort_unstable();
    halves.dedup();
    exclusions.sort_unstable();
    exclusions.dedup();
    let mut blocks: Vec<Block<u128>> = halves
        .iter()
        .map(|&h| {
            let base = u128::from(h) << 64;
            Block::new(base, base | u128::from(u64::MAX), group)
        })
        .collect();
    blocks.extend(
        exclusions
            .into_iter()
            .filter(|x| halves.binary_search(&((x >> 64) as u64)).is_ok())
            .map(|x| Block::new(x, x, UNLISTED)),
    );
    blocks
}

/// `$SOA ttl origin person serial refresh retry expire minttl`.
fn soa_ok(w: &[u8]) -> bool {
    let Some((_, w)) = time_word(w) else {
        return false;
    };
    let Some((_, w)) = dn_word(w) else {
        return false;
    };
    let Some((_, w)) = dn_word(w) else {
        return false;
    };
    let Some((_, mut w)) = uint32_word(w) else {
        return false;
    };
    for _ in 0..4 {
        match time_word(w) {
            Some((_, rest)) => w = rest,
            None => return false,
        }
    }
    w.is_empty()
}

/// `$NS ttl name...` (a name starting with `-` is skipped).
fn ns_ok(w: &[u8]) -> bool {
    let Some((_, mut w)) = time_word(w) else {
        return false;
    };
    loop {
        if first(w) == b'-' {
            let end = w.iter().position(|&c| is_space(c)).unwrap_or(w.len());
            w = skip_space(&w[end..]);
        } else {
            match dn_word(w) {
                Some((_, rest)) => w = rest,
                None => return false,
            }
        }
        if w.is_empty() {
            return true;
        }
    }
}

#[cfg(test)]
mod tests;
