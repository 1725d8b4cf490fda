//! The zone catalog: which blocklists exist, what their answers mean, and how
//! to look a listing up. The data lives in `lists/*.toml` (one file per list
//! operator) and is embedded in the binary; `--lists PATH` replaces it.
//!
//! A file that does not parse, repeats a zone or carries an invalid key is
//! rejected with the file, the line and the reason.

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::target::{Family, Target, TargetKind};

/// The catalog files built into the binary, as (file name, contents).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("spamhaus.toml", include_str!("../lists/spamhaus.toml")),
    ("spamcop.toml", include_str!("../lists/spamcop.toml")),
    ("mailspike.toml", include_str!("../lists/mailspike.toml")),
    (
        "spameatingmonkey.toml",
        include_str!("../lists/spameatingmonkey.toml"),
    ),
    ("psbl.toml", include_str!("../lists/psbl.toml")),
    ("dronebl.toml", include_str!("../lists/dronebl.toml")),
    ("nordspam.toml", include_str!("../lists/nordspam.toml")),
    ("s5h.toml", include_str!("../lists/s5h.toml")),
    (
        "blocklist-de.toml",
        include_str!("../lists/blocklist-de.toml"),
    ),
    ("uribl.toml", include_str!("../lists/uribl.toml")),
    ("surbl.toml", include_str!("../lists/surbl.toml")),
    ("dnswl.toml", include_str!("../lists/dnswl.toml")),
    ("uceprotect.toml", include_str!("../lists/uceprotect.toml")),
    (
        "backscatterer.toml",
        include_str!("../lists/backscatterer.toml"),
    ),
    ("spamrats.toml", include_str!("../lists/spamrats.toml")),
    ("barracuda.toml", include_str!("../lists/barracuda.toml")),
    ("abusix.toml", include_str!("../lists/abusix.toml")),
    ("others.toml", include_str!("../lists/others.toml")),
    ("dead.toml", include_str!("../lists/dead.toml")),
];

/// The placeholder label for an API key in a zone name (`{key}.zen.dq.spamhaus.net`).
pub const KEY_PLACEHOLDER: &str = "{key}";
/// How a key is shown in output: never in full.
pub(crate) const MASKED_KEY: &str = "<key>";

crate::words::words! {
    /// What a zone does with a listing.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Role {
        /// A block list: a listing is a reason to refuse mail.
        Block = "block",
        /// An allow list: a listing vouches for the sender. Never makes a verdict `listed`.
        Allow = "allow",
        /// Information only (reputation levels, neighbourhood lists). Never makes a verdict `listed`.
        Info = "info",
    }
}

crate::words::words! {
    /// Whether the list still works.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub enum ZoneStatus {
        /// Operating.
        #[default]
        Active = "active",
        /// Shut down: answers everything, nothing, or times out. Queried only
        /// when named with `--zone`.
        Dead = "dead",
    }
}

/// One blocklist zone, validated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Zone {
    /// The zone's name as shown: the DNS zone, with a keyed zone's API key
    /// masked as `<key>` (`<key>.zen.dq.spamhaus.net`); the catalog's
    /// templates start with the `{key}` placeholder label.
    pub zone: String,
    /// The DNS zone queried: `zone`, with the key of a keyed zone. Never
    /// printed.
    #[serde(skip)]
    pub query_zone: String,
    /// Human name.
    pub name: String,
    /// IP or domain list.
    pub targets: TargetKind,
    /// IP lists: queried for IPv4 targets (false for IPv6-only zones).
    pub ipv4: bool,
    /// IP lists: also queried for IPv6 targets.
    pub ipv6: bool,
    /// Block, allow or info.
    pub role: Role,
    /// Queried without `--zone` / `--all-zones`.
    pub default: bool,
    /// Only answers resolvers registered with the list's operator
    /// (Barracuda, SenderScore): never added by `--all-zones`, only when named.
    pub registration: bool,
    /// Fetch TXT for listed answers.
    pub txt: bool,
    /// Active or dead.
    pub status: ZoneStatus,
    /// URL template for looking up or delisting a target (`{target}` is replaced).
    pub lookup_url: Option<String>,
    /// Usage policy, caveats, why a list is off by default.
    pub notes: Option<String>,
    /// Queries per second the list's usage policy asks for (used by `scan`).
    pub rate: Option<u32>,
    /// A positive test point other than the RFC 5782 one (domain lists that do
    /// not list `test`, such as Spamhaus DBL's `dbltest.com`).
    pub test_point: Option<String>,
    /// Local data answering this zone in-process instead of DNS, as rbldnsd
    /// takes it: `type:file[,file...]` (`ip4set:/var/lib/rbldnsd/zen.txt`);
    /// relative paths are relative to the catalog file.
    pub data: Option<String>,
    /// Answer meanings: exact addresses or CIDRs in 127.0.0.0/8.
    #[serde(serialize_with = "ser_codes")]
    pub codes: Vec<(Ipv4Net, String)>,
    /// Bitmask lists: meaning of each bit of the last octet.
    #[serde(serialize_with = "ser_bits")]
    pub bits: Vec<(u8, String)>,
    /// Answers that mean the list refused to answer (checked first).
    #[serde(serialize_with = "ser_codes")]
    pub errors: Vec<(Ipv4Net, String)>,
    /// Names, words or phrases that name this list in rejection text
    /// (matched case-insensitively on word boundaries by `explain`).
    pub aliases: Vec<String>,
    /// Keyed zones: the public mirror to query instead (the key in a bounce
    /// is the receiver's, never ours to use).
    pub public: Option<String>,
}

impl Zone {
    /// A zone the catalog does not hold, as a rejection names it: an IP block
    /// list queried by its name with the usual test points; its codes are
    /// undocumented. None when the name is not a usable DNS zone.
    pub fn unlisted(name: &str) -> Option<Zone> {
        let zone = crate::target::normalize_domain(name).ok()?;
        Some(Zone {
            query_zone: zone.clone(),
            name: zone.clone(),
            zone,
            targets: TargetKind::Ip,
            ipv4: true,
            ipv6: true,
            role: Role::Block,
            default: false,
            registration: false,
            txt: true,
            status: ZoneStatus::Active,
            lookup_url: None,
            notes: Some("not in the catalog: named by a rejection".into()),
            rate: None,
            test_point: None,
            data: None,
            codes: Vec::new(),
            bits: Vec::new(),
            errors: Vec::new(),
            aliases: Vec::new(),
            public: None,
        })
    }

    /// The address families (or domains) this zone can be asked about.
    pub fn families(&self) -> Vec<Family> {
        match self.targets {
            TargetKind::Domain => vec![Family::Domain],
            TargetKind::Ip => [(self.ipv4, Family::V4), (self.ipv6, Family::V6)]
                .into_iter()
                .filter_map(|(on, f)| on.then_some(f))
                .collect(),
        }
    }

    /// This zone's positive test point in `family`.
    pub fn positive_point(&self, family: Family) -> Target {
        family.positive(self.test_point.as_deref())
    }

    /// Whether this zone is queried for `kind` targets (and for IPv6 ones).
    pub fn applies_to(&self, kind: TargetKind, ipv6: bool) -> bool {
        self.targets == kind
            && (kind == TargetKind::Domain || if ipv6 { self.ipv6 } else { self.ipv4 })
    }

    /// True when the zone name needs an API key (`{key}.` prefix).
    pub fn needs_key(&self) -> bool {
        self.zone.starts_with(KEY_PLACEHOLDER)
    }

    /// If `requested` is this zone, or this zone's template with a key filled
    /// in, the concrete zone name to query.
    fn instantiate(&self, requested: &str) -> Option<String> {
        if requested == self.zone {
            return (!self.needs_key()).then(|| self.zone.clone());
        }
        (self.needs_key() && self.is_named_by(requested)).then(|| requested.to_string())
    }

    /// Whether `name` (as written in a rejection) is this zone, or this
    /// zone's template with some key filled in.
    pub fn is_named_by(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name == self.zone {
            return true;
        }
        self.zone
            .strip_prefix(KEY_PLACEHOLDER)
            .and_then(|suffix| name.strip_suffix(suffix))
            .is_some_and(|key| {
                !key.is_empty()
                    && key.len() <= 63
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    }

    /// The lookup URL with the target filled in.
    pub fn lookup_url_for(&self, target: &str) -> Option<String> {
        self.lookup_url
            .as_ref()
            .map(|u| u.replace("{target}", target))
    }
}

/// A loaded, validated catalog.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Zones in file order (files sorted by name).
    pub zones: Vec<Zone>,
}

/// A catalog file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CatalogError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Why `--zone` could not be honoured.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The zone is not in the catalog.
    #[error(
        "unknown zone '{0}': it is not in the catalog (see `blocklens zones`); to query a list blocklens does not know, describe it in a TOML file (see the README, 'The catalog') and add it with --add-lists FILE"
    )]
    Unknown(String),
    /// The zone needs a key.
    #[error(
        "zone '{0}' needs an API key: pass it as --zone {example}",
        example = .0.replace(KEY_PLACEHOLDER, "YOURKEY")
    )]
    NeedsKey(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    zone: Vec<toml::Spanned<RawZone>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    zone: String,
    name: String,
    targets: TargetKind,
    #[serde(default = "yes")]
    ipv4: bool,
    #[serde(default)]
    ipv6: bool,
    #[serde(default = "default_role")]
    role: Role,
    #[serde(default = "yes")]
    default: bool,
    #[serde(default)]
    registration: bool,
    #[serde(default = "yes")]
    txt: bool,
    #[serde(default)]
    status: ZoneStatus,
    lookup_url: Option<String>,
    notes: Option<String>,
    rate: Option<u32>,
    test_point: Option<String>,
    data: Option<String>,
    #[serde(default)]
    codes: BTreeMap<String, String>,
    #[serde(default)]
    bits: BTreeMap<String, String>,
    #[serde(default)]
    errors: BTreeMap<String, String>,
    #[serde(default)]
    aliases: Vec<String>,
    public: Option<String>,
}

impl<'de> Deserialize<'de> for TargetKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "ip" => Ok(TargetKind::Ip),
            "domain" => Ok(TargetKind::Domain),
            other => Err(serde::de::Error::custom(format!(
                "targets must be \"ip\" or \"domain\", not {other:?}"
            ))),
        }
    }
}

fn default_role() -> Role {
    Role::Block
}

fn yes() -> bool {
    true
}

/// The most a catalog file may hold (the built-in files are a few KiB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// The longest a zone's name or notes may be.
const MAX_TEXT: usize = 1000;

/// Line numbers of byte offsets, found by binary search over the line
/// starts (finding each zone's line by counting from the top was quadratic).
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines(starts)
    }

    /// The 1-based line of `offset`.
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    Lines::new(text).of(offset.min(text.len()))
}

impl Catalog {
    /// The catalog built into the binary.
    pub fn builtin() -> Catalog {
        let mut catalog = Catalog::default();
        for (name, text) in BUILTIN_FILES {
            catalog
                .add_file(Path::new(&format!("<built-in>/lists/{name}")), text)
                .expect("the built-in catalog is valid (checked by its tests)");
        }
        catalog
    }

    /// Loads a catalog file, or every `*.toml` file of a directory (sorted by name).
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::default();
        catalog.add_path(path)?;
        Ok(catalog)
    }

    /// Adds the zones of a catalog file, or of every `*.toml` file of a
    /// directory, to this catalog (`--add-lists`); a zone already defined is
    /// an error naming the file and line.
    pub fn add_path(&mut self, path: &Path) -> Result<(), CatalogError> {
        let io_err = |e: std::io::Error| CatalogError {
            file: path.to_path_buf(),
            line: None,
            message: format!("cannot read: {e}"),
        };
        let mut files = Vec::new();
        if path.is_dir() {
            for entry in std::fs::read_dir(path).map_err(io_err)? {
                let p = entry.map_err(io_err)?.path();
                if p.extension().is_some_and(|e| e == "toml") {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(CatalogError {
                    file: path.to_path_buf(),
                    line: None,
                    message: "the directory holds no *.toml catalog file".into(),
                });
            }
        } else {
            files.push(path.to_path_buf());
        }
        let before = self.zones.len();
        for file in files {
            let text = read_limited(&file)?;
            self.add_file(&file, &text)?;
        }
        if self.zones.len() == before {
            return Err(CatalogError {
                file: path.to_path_buf(),
                line: None,
                message: "the catalog defines no [[zone]]".into(),
            });
        }
        Ok(())
    }

    /// Parses one file's text and appends its zones.
    pub fn add_file(&mut self, file: &Path, text: &str) -> Result<(), CatalogError> {
        let err = |line: Option<usize>, message: String| CatalogError {
            file: file.to_path_buf(),
            line,
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            err(line, e.message().trim().to_string())
        })?;
        let mut seen: HashSet<String> = self.zones.iter().map(|z| z.zone.clone()).collect();
        let lines = Lines::new(text);
        // A zone's span covers only its `[[zone]]` header: its section runs
        // to the next header.
        let starts: Vec<usize> = raw.zone.iter().map(|z| z.span().start).collect();
        for (i, spanned) in raw.zone.into_iter().enumerate() {
            let start = starts[i];
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            let span = start..end;
            let start_line = lines.of(start);
            let section = &text[span.clone()];
            // The line of `"key"` inside this [[zone]], for error messages.
            let key_line = |key: &str| {
                section
                    .find(&format!("\"{key}\""))
                    .or_else(|| section.find(key))
                    .map(|off| lines.of(span.start + off))
                    .unwrap_or(start_line)
            };
            let zone = validate(spanned.into_inner())
                .map_err(|(key, msg)| err(Some(key.map_or(start_line, |k| key_line(&k))), msg))?;
            let zone = Zone {
                data: zone.data.map(|d| relative_to(file, &d)),
                ..zone
            };
            if !seen.insert(zone.zone.clone()) {
                return Err(err(
                    Some(key_line(&zone.zone)),
                    format!("zone '{}' is defined twice", zone.zone),
                ));
            }
            self.zones.push(zone);
        }
        Ok(())
    }

    /// The catalog zone a rejection names: the zone itself, or a keyed
    /// zone's template with the receiver's key filled in.
    pub(crate) fn zone_named(&self, name: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.is_named_by(name))
    }

    /// The zone to query for a zone a rejection names: the zone itself, or
    /// for a keyed zone its `public` mirror. None when the name is not in
    /// the catalog or a keyed zone has no public mirror.
    pub fn public_zone_for(&self, name: &str) -> Option<&Zone> {
        let named = self.zone_named(name)?;
        if !named.needs_key() {
            return Some(named);
        }
        let public = named.public.as_deref()?;
        self.zones.iter().find(|z| z.zone == public)
    }

    /// The zones to query: the ones named (any status, default or not), or
    /// else the active default ones (plus, with `all`, the others that need
    /// neither a key nor a registration), minus the excluded ones. Zones that
    /// need an API key are only queried when named with their key.
    pub fn select(&self, selection: &Selection) -> Result<Vec<Zone>, SelectError> {
        let mut out = if selection.zones.is_empty() {
            self.zones
                .iter()
                .filter(|z| {
                    z.status == ZoneStatus::Active
                        && !z.needs_key()
                        && (z.default || (selection.all && !z.registration))
                })
                .cloned()
                .collect()
        } else {
            self.named(&selection.zones)?
        };
        for ex in &selection.exclude {
            let ex = ex.trim_end_matches('.').to_ascii_lowercase();
            if !self
                .zones
                .iter()
                .any(|z| z.zone == ex || z.instantiate(&ex).is_some())
            {
                return Err(SelectError::Unknown(ex));
            }
            out.retain(|z| z.zone != ex && z.query_zone != ex);
        }
        Ok(out)
    }

    /// The zones named with `--zone`, keys filled in.
    fn named(&self, requested: &[String]) -> Result<Vec<Zone>, SelectError> {
        let mut out: Vec<Zone> = Vec::new();
        for req in requested {
            let req = req.trim_end_matches('.').to_ascii_lowercase();
            let found = self
                .zones
                .iter()
                .find_map(|z| z.instantiate(&req).map(|name| (z, name)));
            match found {
                Some((z, name)) => {
                    if !out.iter().any(|o| o.query_zone == name) {
                        out.push(Zone {
                            zone: z.zone.replace(KEY_PLACEHOLDER, MASKED_KEY),
                            query_zone: name,
                            ..z.clone()
                        });
                    }
                }
                None if self.zones.iter().any(|z| z.zone == req && z.needs_key()) => {
                    return Err(SelectError::NeedsKey(req));
                }
                None => return Err(SelectError::Unknown(req)),
            }
        }
        Ok(out)
    }
}

/// Which zones a run queries (`--zone`, `--exclude-zone`, `--all-zones`).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Zones named with `--zone` (all others are then left out).
    pub zones: Vec<String>,
    /// Zones named with `--exclude-zone`.
    pub exclude: Vec<String>,
    /// `--all-zones`: also the zones that are off by default.
    pub all: bool,
}

/// A `type:file,...` data spec with its relative files made relative to the
/// directory of the catalog file that names them.
fn relative_to(catalog_file: &Path, data: &str) -> String {
    let Some((kind, files)) = data.split_once(':') else {
        return data.to_string();
    };
    let dir = catalog_file.parent().unwrap_or(Path::new("."));
    let files: Vec<String> = files
        .split(',')
        .map(|f| {
            let f = f.trim();
            if Path::new(f).is_absolute() {
                f.to_string()
            } else {
                dir.join(f).display().to_string()
            }
        })
        .collect();
    format!("{kind}:{}", files.join(","))
}

/// Reads a catalog file, refusing more than [`MAX_FILE_BYTES`] (so
/// `--lists /dev/zero` is an error, not an endless read).
fn read_limited(file: &Path) -> Result<String, CatalogError> {
    use std::io::Read;
    let err = |message: String| CatalogError {
        file: file.to_path_buf(),
        line: None,
        message,
    };
    let f = std::fs::File::open(file).map_err(|e| err(format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(err(format!(
            "larger than {} MiB: not a catalog file",
            MAX_FILE_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|_| err("not UTF-8 text".into()))
}

fn ser_codes<S: serde::Serializer>(v: &[(Ipv4Net, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(net, m)| {
        let key = if net.prefix_len() == 32 {
            net.addr().to_string()
        } else {
            net.to_string()
        };
        (key, m)
    }))
}

fn ser_bits<S: serde::Serializer>(v: &[(u8, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(b, m)| (b.to_string(), m)))
}

type Invalid = (Option<String>, String);

fn parse_code_key(key: &str) -> Option<Ipv4Net> {
    let net = if key.contains('/') {
        key.parse::<Ipv4Net>().ok()?
    } else {
        Ipv4Net::from(key.parse::<Ipv4Addr>().ok()?)
    };
    let loopback: Ipv4Net = "127.0.0.0/8".parse().expect("valid CIDR");
    (net.trunc() == net && loopback.contains(&net)).then_some(net)
}

fn parse_codes(
    map: BTreeMap<String, String>,
    table: &str,
) -> Result<Vec<(Ipv4Net, String)>, Invalid> {
    let mut out = Vec::with_capacity(map.len());
    for (key, meaning) in map {
        let Some(net) = parse_code_key(&key) else {
            return Err((
                Some(key.clone()),
                format!(
                    "[zone.{table}] key \"{key}\" is not an address or CIDR inside 127.0.0.0/8 (e.g. \"127.0.0.2\" or \"127.0.0.4/30\")"
                ),
            ));
        };
        if meaning.trim().is_empty() {
            return Err((
                Some(key.clone()),
                format!("[zone.{table}] \"{key}\" has an empty meaning"),
            ));
        }
        out.push((net, meaning));
    }
    Ok(out)
}

fn validate(raw: RawZone) -> Result<Zone, Invalid> {
    let zone_name = validate_names(&raw)?;
    validate_query(&zone_name, &raw)?;
    validate_data(&zone_name, raw.data.as_deref())?;
    validate_test_point(&zone_name, &raw)?;
    if !raw.codes.is_empty() && !raw.bits.is_empty() {
        return Err(invalid(
            "bits",
            format!("zone '{zone_name}': use either [zone.codes] or [zone.bits], not both"),
        ));
    }
    let codes = parse_codes(raw.codes, "codes")?;
    let errors = parse_codes(raw.errors, "errors")?;
    let bits = parse_bits(raw.bits)?;
    let aliases = validate_aliases(&zone_name, raw.aliases)?;
    let public = validate_public(&zone_name, raw.public)?;
    Ok(Zone {
        query_zone: zone_name.clone(),
        zone: zone_name,
        name: raw.name,
        targets: raw.targets,
        ipv4: raw.ipv4,
        ipv6: raw.ipv6,
        role: raw.role,
        default: raw.default,
        registration: raw.registration,
        txt: raw.txt,
        status: raw.status,
        lookup_url: raw.lookup_url,
        notes: raw.notes,
        rate: raw.rate,
        test_point: raw.test_point,
        data: raw.data,
        codes,
        bits,
        errors,
        aliases,
        public,
    })
}

/// The error for catalog key `key`.
fn invalid(key: &str, message: String) -> Invalid {
    (Some(key.into()), message)
}

/// Checks the zone's DNS name, its `name` and `notes`; returns the zone name
/// normalised (lowercase, no trailing dot).
fn validate_names(raw: &RawZone) -> Result<String, Invalid> {
    let zone_name = raw.zone.trim_end_matches('.').to_ascii_lowercase();
    let check_name = zone_name
        .strip_prefix(KEY_PLACEHOLDER)
        .and_then(|s| s.strip_prefix('.'))
        .unwrap_or(&zone_name);
    if let Err(reason) = crate::target::normalize_domain(check_name) {
        return Err(invalid(
            "zone",
            format!("zone \"{}\" is not a valid DNS zone: {reason}", raw.zone),
        ));
    }
    if raw.name.trim().is_empty() {
        return Err(invalid(
            "name",
            format!("zone '{zone_name}' has an empty name"),
        ));
    }
    for (key, text) in [("name", Some(&raw.name)), ("notes", raw.notes.as_ref())] {
        if text.is_some_and(|t| t.chars().count() > MAX_TEXT) {
            return Err(invalid(
                key,
                format!("zone '{zone_name}': {key} is longer than {MAX_TEXT} characters"),
            ));
        }
    }
    Ok(zone_name)
}

/// Checks what the zone is asked about and how: families, lookup URL, rate.
fn validate_query(zone_name: &str, raw: &RawZone) -> Result<(), Invalid> {
    if raw.targets == TargetKind::Ip && !raw.ipv4 && !raw.ipv6 {
        return Err(invalid(
            "ipv4",
            format!("zone '{zone_name}': ipv4 = false and ipv6 = false leaves nothing to query"),
        ));
    }
    if raw.targets == TargetKind::Domain && raw.ipv6 {
        return Err(invalid(
            "ipv6",
            format!("zone '{zone_name}': ipv6 = true only applies to targets = \"ip\""),
        ));
    }
    if let Some(url) = &raw.lookup_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(invalid(
            "lookup_url",
            format!("zone '{zone_name}': lookup_url must start with https:// or http://"),
        ));
    }
    if raw.rate == Some(0) {
        return Err(invalid(
            "rate",
            format!("zone '{zone_name}': rate must be at least 1 query per second"),
        ));
    }
    Ok(())
}

/// Checks `data = "type:file[,file...]"`.
fn validate_data(zone_name: &str, data: Option<&str>) -> Result<(), Invalid> {
    let Some(data) = data else { return Ok(()) };
    let (kind, files) = data.split_once(':').unwrap_or((data, ""));
    if let Err(e) = kind.parse::<crate::zonedata::DatasetKind>() {
        return Err(invalid("data", format!("zone '{zone_name}': data: {e}")));
    }
    if files.split([',', ':']).all(|f| f.trim().is_empty()) {
        return Err(invalid(
            "data",
            format!(
                "zone '{zone_name}': data must be type:file[,file...], e.g. \"ip4set:/var/lib/rbldnsd/list.txt\""
            ),
        ));
    }
    Ok(())
}

/// Checks that `test_point` is a target of the zone's kind.
fn validate_test_point(zone_name: &str, raw: &RawZone) -> Result<(), Invalid> {
    let Some(tp) = &raw.test_point else {
        return Ok(());
    };
    let (ok, kind) = match raw.targets {
        TargetKind::Ip => (tp.parse::<std::net::IpAddr>().is_ok(), "IP"),
        TargetKind::Domain => (
            crate::target::normalize_domain(tp).is_ok() || tp == "test",
            "domain",
        ),
    };
    if ok {
        return Ok(());
    }
    Err(invalid(
        "test_point",
        format!("zone '{zone_name}': test_point \"{tp}\" is not a valid {kind} target"),
    ))
}

/// `[zone.bits]`: keys must be single bits (1, 2, 4, ... 128); sorted by bit.
fn parse_bits(raw: BTreeMap<String, String>) -> Result<Vec<(u8, String)>, Invalid> {
    let mut bits = Vec::with_capacity(raw.len());
    for (key, meaning) in raw {
        match key.parse::<u8>() {
            Ok(b) if b.is_power_of_two() => bits.push((b, meaning)),
            _ => {
                return Err((
                    Some(key.clone()),
                    format!(
                        "[zone.bits] key \"{key}\" is not a single bit value (1, 2, 4, ... 128)"
                    ),
                ));
            }
        }
    }
    bits.sort_by_key(|(b, _)| *b);
    Ok(bits)
}

fn validate_aliases(zone_name: &str, aliases: Vec<String>) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::with_capacity(aliases.len());
    for alias in aliases {
        let a = alias.split_whitespace().collect::<Vec<_>>().join(" ");
        if a.is_empty() || a.len() > 100 || !a.chars().any(|c| c.is_alphanumeric()) {
            return Err((
                Some("aliases".into()),
                format!(
                    "zone '{zone_name}': alias \"{alias}\" must be a word or phrase (1 to 100 characters, with a letter or digit)"
                ),
            ));
        }
        if out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
            return Err((
                Some("aliases".into()),
                format!("zone '{zone_name}': alias \"{a}\" is listed twice"),
            ));
        }
        out.push(a);
    }
    Ok(out)
}

fn validate_public(zone_name: &str, public: Option<String>) -> Result<Option<String>, Invalid> {
    let Some(p) = public else { return Ok(None) };
    if !zone_name.starts_with(KEY_PLACEHOLDER) {
        return Err((
            Some("public".into()),
            format!(
                "zone '{zone_name}': public only applies to zones that need a key ({KEY_PLACEHOLDER}.)"
            ),
        ));
    }
    let p = p.trim_end_matches('.').to_ascii_lowercase();
    if p.contains(KEY_PLACEHOLDER) || crate::target::normalize_domain(&p).is_err() {
        return Err((
            Some("public".into()),
            format!("zone '{zone_name}': public \"{p}\" is not a valid zone without a key"),
        ));
    }
    Ok(Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let mut c = Catalog::default();
        c.add_file(Path::new("t.toml"), text)?;
        Ok(c)
    }

    #[test]
    fn builtin_catalog_loads_and_is_big_enough() {
        let c = Catalog::builtin();
        assert!(c.zones.len() >= 25, "{} zones", c.zones.len());
    }

    #[test]
    fn every_file_in_lists_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lists");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN_FILES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn builtin_invariants() {
        let c = Catalog::builtin();
        let mut seen = HashSet::new();
        for z in &c.zones {
            assert!(seen.insert(&z.zone), "duplicate {}", z.zone);
            assert!(!z.name.is_empty());
            assert!(z.notes.is_some(), "{} has no notes", z.zone);
            if z.default && z.status == ZoneStatus::Active {
                assert!(
                    !z.needs_key(),
                    "{} needs a key but is on by default",
                    z.zone
                );
                if z.role == Role::Block {
                    assert!(
                        !z.codes.is_empty() || !z.bits.is_empty(),
                        "{} has no codes",
                        z.zone
                    );
                    assert!(z.lookup_url.is_some(), "{} has no lookup URL", z.zone);
                }
            }
            if z.status == ZoneStatus::Dead {
                assert!(!z.default, "dead zone {} is on by default", z.zone);
            }
        }
    }

    #[test]
    fn default_selection_matches_the_reference() {
        let c = Catalog::builtin();
        let on: Vec<String> = c
            .select(&Selection::default())
            .unwrap()
            .into_iter()
            .map(|z| z.zone)
            .collect();
        for must in [
            "zen.spamhaus.org",
            "dbl.spamhaus.org",
            "bl.spamcop.net",
            "psbl.surriel.com",
            "bl.mailspike.net",
            "dnsbl.dronebl.org",
            "multi.uribl.com",
            "multi.surbl.org",
            "list.dnswl.org",
        ] {
            assert!(
                on.contains(&must.to_string()),
                "{must} should be on by default"
            );
        }
        for never in [
            "b.barracudacentral.org",
            "dnsbl-2.uceprotect.net",
            "dnsbl-3.uceprotect.net",
            "dnsbl.sorbs.net",
            "dnsbl.ahbl.org",
            "dnsbl.njabl.org",
            "ix.dnsbl.manitu.net",
            "db.wpbl.info",
            "bl.spamcannibal.org",
        ] {
            assert!(
                !on.contains(&never.to_string()),
                "{never} must be off by default"
            );
        }
        // --all-zones adds the optional ones but never dead, keyed or
        // registration-only zones.
        let all: Vec<String> = c
            .select(&Selection {
                all: true,
                ..Selection::default()
            })
            .unwrap()
            .into_iter()
            .map(|z| z.zone)
            .collect();
        assert!(all.contains(&"dnsbl-2.uceprotect.net".to_string()));
        for never in ["b.barracudacentral.org", "bl.score.senderscore.com"] {
            assert!(!all.contains(&never.to_string()), "{never}");
        }
        assert!(
            !all.iter()
                .any(|z| z.contains("sorbs") || z.contains("{key}"))
        );
        // --exclude-zone drops a zone; an unknown one is an error.
        let fewer = c
            .select(&Selection {
                exclude: vec!["bl.spamcop.net".into()],
                ..Selection::default()
            })
            .unwrap();
        assert_eq!(fewer.len(), on.len() - 1);
        assert!(!fewer.iter().any(|z| z.zone == "bl.spamcop.net"));
        assert!(
            c.select(&Selection {
                exclude: vec!["bl.spamcopp.net".into()],
                ..Selection::default()
            })
            .is_err()
        );
    }

    fn named(zones: &[&str]) -> Selection {
        Selection {
            zones: zones.iter().map(|z| z.to_string()).collect(),
            ..Selection::default()
        }
    }

    #[test]
    fn keyed_zones_are_selected_with_their_key() {
        let c = Catalog::builtin();
        let z = c.select(&named(&["ABC123.zen.dq.spamhaus.net"])).unwrap();
        assert_eq!(z[0].query_zone, "abc123.zen.dq.spamhaus.net");
        assert_eq!(z[0].zone, "<key>.zen.dq.spamhaus.net");
        assert_eq!(z[0].name, "Spamhaus ZEN (DQS)");
        assert!(matches!(
            c.select(&named(&["{key}.zen.dq.spamhaus.net"])),
            Err(SelectError::NeedsKey(_))
        ));
        assert!(matches!(
            c.select(&named(&["zen.spamhas.org"])),
            Err(SelectError::Unknown(_))
        ));
        // A dead zone can be named explicitly (to see what is wrong with it).
        assert_eq!(c.select(&named(&["dnsbl.sorbs.net"])).unwrap().len(), 1);
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let e = parse("[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = ip\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        let e = parse(
            "[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\ntagets = \"ip\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.to_string().contains("tagets"), "{e}");
        let e = parse("[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"ipv4\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("targets must be"), "{e}");
    }

    #[test]
    fn invalid_keys_carry_file_line_and_key() {
        let text = "[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\n[zone.codes]\n\"127.0.0.2\" = \"ok\"\n\"127.0.0.x\" = \"bad\"\n";
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert_eq!(e.file, Path::new("t.toml"));
        let msg = e.to_string();
        assert!(msg.starts_with("t.toml:7: "), "{msg}");
        assert!(msg.contains("127.0.0.x"), "{msg}");
        for (bad, what) in [
            ("\"10.0.0.2\" = \"x\"", "10.0.0.2"),
            ("\"127.0.0.5/30\" = \"x\"", "127.0.0.5/30"),
            ("\"127.0.0.2/40\" = \"x\"", "127.0.0.2/40"),
        ] {
            let text = format!(
                "[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\n[zone.codes]\n{bad}\n"
            );
            let e = parse(&text).unwrap_err();
            assert_eq!(e.line, Some(6), "{e}");
            assert!(e.to_string().contains(what), "{e}");
        }
        let text = "[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"domain\"\n[zone.bits]\n\"3\" = \"x\"\n";
        assert!(parse(text).unwrap_err().to_string().contains("single bit"));
    }

    #[test]
    fn aliases_and_public_mirrors() {
        let c = parse(
            "[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\naliases = [\"A List\", \"  AL  \"]\n[[zone]]\nzone = \"{key}.a.dq.example\"\nname = \"A keyed\"\ntargets = \"ip\"\npublic = \"A.Example.\"\n",
        )
        .unwrap();
        assert_eq!(c.zones[0].aliases, ["A List", "AL"]);
        assert_eq!(c.zones[1].public.as_deref(), Some("a.example"));
        assert_eq!(
            c.public_zone_for("K3Y.a.dq.example")
                .map(|z| z.zone.as_str()),
            Some("a.example")
        );
        assert_eq!(
            c.public_zone_for("a.example").map(|z| z.zone.as_str()),
            Some("a.example")
        );
        assert!(c.public_zone_for("a.dq.example").is_none());
        assert!(c.zone_named("bad key!.a.dq.example").is_none());
        for (body, what, line) in [
            ("aliases = [\"\"]", "alias", 5),
            ("aliases = [\"x\", \"X\"]", "twice", 5),
            ("aliases = [\"--\"]", "letter or digit", 5),
            ("public = \"b.example\"", "only applies", 5),
            ("aliases = \"x\"", "invalid type", 5),
        ] {
            let e = parse(&format!(
                "[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\n{body}\n"
            ))
            .unwrap_err();
            assert!(e.to_string().contains(what), "{body}: {e}");
            assert_eq!(e.line, Some(line), "{body}: {e}");
        }
        let e = parse("[[zone]]\nzone = \"{key}.a.example\"\nname = \"A\"\ntargets = \"ip\"\npublic = \"{key}.b.example\"\n").unwrap_err();
        assert!(e.to_string().contains("without a key"), "{e}");
    }

    #[test]
    fn builtin_public_mirrors_and_aliases_resolve() {
        let c = Catalog::builtin();
        for z in c.zones.iter().filter(|z| z.public.is_some()) {
            let p = z.public.as_deref().unwrap();
            assert!(
                c.zones.iter().any(|o| o.zone == p && !o.needs_key()),
                "{}: public {p} is not a catalog zone",
                z.zone
            );
        }
        assert_eq!(
            c.public_zone_for("abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net")
                .map(|z| z.zone.as_str()),
            Some("zen.spamhaus.org")
        );
        let mut seen = std::collections::HashMap::new();
        for z in &c.zones {
            for a in &z.aliases {
                if let Some(other) = seen.insert(a.to_ascii_lowercase(), z.zone.clone()) {
                    panic!("alias {a} names both {other} and {}", z.zone);
                }
            }
        }
        assert!(seen.contains_key("spamhaus"));
    }

    #[test]
    fn duplicate_zones_are_rejected_with_the_line() {
        let one = "[[zone]]\nzone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\n";
        let e = parse(&format!("{one}\n{one}")).unwrap_err();
        assert!(e.to_string().contains("defined twice"), "{e}");
        assert_eq!(e.line, Some(7));
    }

    #[test]
    fn other_invalid_zones() {
        for (body, what) in [
            (
                "zone = \"bad zone\"\nname = \"A\"\ntargets = \"ip\"",
                "not a valid DNS zone",
            ),
            (
                "zone = \"a.example\"\nname = \"\"\ntargets = \"ip\"",
                "empty name",
            ),
            (
                "zone = \"a.example\"\nname = \"A\"\ntargets = \"domain\"\nipv6 = true",
                "only applies",
            ),
            (
                "zone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\nlookup_url = \"ftp://x\"",
                "lookup_url",
            ),
            (
                "zone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\nipv4 = false",
                "nothing to query",
            ),
            (
                "zone = \"a.example\"\nname = \"A\"\ntargets = \"ip\"\nrate = 0",
                "rate",
            ),
        ] {
            let e = parse(&format!("[[zone]]\n{body}\n")).unwrap_err();
            assert!(e.to_string().contains(what), "{body}: {e}");
        }
    }
}

#[cfg(test)]
#[path = "catalog_props.rs"]
mod props;
