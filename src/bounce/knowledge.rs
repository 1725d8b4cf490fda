//! Rejection knowledge as data: who writes a rejection (`[[provider]]`) and
//! what a wording or status code means (`[[rule]]`), from
//! `lists/rejections/*.toml`, embedded in the binary.
//!
//! A file that does not parse, repeats an id, carries a bad regex, an
//! unknown cause, or a `not_policy` rule without a reason is refused with the
//! file, the line and the reason.
//!
//! Besides the shared schema, a rule may carry `stage`: the SMTP stages
//! (`connect`, `helo`, `mail`, `rcpt`, `data`) at which the refusal must
//! have come for the rule to apply.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// The rejection files built into the binary, as (file name, contents).
/// Sorted by name, as `Knowledge::load` reads a directory.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "apple.toml",
        include_str!("../../lists/rejections/apple.toml"),
    ),
    ("att.toml", include_str!("../../lists/rejections/att.toml")),
    (
        "barracuda.toml",
        include_str!("../../lists/rejections/barracuda.toml"),
    ),
    (
        "cisco.toml",
        include_str!("../../lists/rejections/cisco.toml"),
    ),
    (
        "cloudmark.toml",
        include_str!("../../lists/rejections/cloudmark.toml"),
    ),
    (
        "comcast.toml",
        include_str!("../../lists/rejections/comcast.toml"),
    ),
    ("cox.toml", include_str!("../../lists/rejections/cox.toml")),
    (
        "fastmail.toml",
        include_str!("../../lists/rejections/fastmail.toml"),
    ),
    (
        "generic.toml",
        include_str!("../../lists/rejections/generic.toml"),
    ),
    (
        "gmail.toml",
        include_str!("../../lists/rejections/gmail.toml"),
    ),
    ("gmx.toml", include_str!("../../lists/rejections/gmx.toml")),
    (
        "godaddy.toml",
        include_str!("../../lists/rejections/godaddy.toml"),
    ),
    (
        "googlegroups.toml",
        include_str!("../../lists/rejections/googlegroups.toml"),
    ),
    (
        "laposte.toml",
        include_str!("../../lists/rejections/laposte.toml"),
    ),
    (
        "mailru.toml",
        include_str!("../../lists/rejections/mailru.toml"),
    ),
    (
        "microsoft.toml",
        include_str!("../../lists/rejections/microsoft.toml"),
    ),
    (
        "mimecast.toml",
        include_str!("../../lists/rejections/mimecast.toml"),
    ),
    (
        "netease.toml",
        include_str!("../../lists/rejections/netease.toml"),
    ),
    (
        "orange.toml",
        include_str!("../../lists/rejections/orange.toml"),
    ),
    (
        "proofpoint.toml",
        include_str!("../../lists/rejections/proofpoint.toml"),
    ),
    (
        "rackspace.toml",
        include_str!("../../lists/rejections/rackspace.toml"),
    ),
    (
        "rfc3463.toml",
        include_str!("../../lists/rejections/rfc3463.toml"),
    ),
    (
        "rfc7372.toml",
        include_str!("../../lists/rejections/rfc7372.toml"),
    ),
    (
        "spectrum.toml",
        include_str!("../../lists/rejections/spectrum.toml"),
    ),
    (
        "strato.toml",
        include_str!("../../lists/rejections/strato.toml"),
    ),
    (
        "t-online.toml",
        include_str!("../../lists/rejections/t-online.toml"),
    ),
    (
        "tencent.toml",
        include_str!("../../lists/rejections/tencent.toml"),
    ),
    (
        "trendmicro.toml",
        include_str!("../../lists/rejections/trendmicro.toml"),
    ),
    (
        "yahoo.toml",
        include_str!("../../lists/rejections/yahoo.toml"),
    ),
    (
        "yandex.toml",
        include_str!("../../lists/rejections/yandex.toml"),
    ),
    (
        "zoho.toml",
        include_str!("../../lists/rejections/zoho.toml"),
    ),
];

crate::words::words! {
    /// The cause of a rejection (the `explain` vocabulary).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Cause {
        /// A public DNS list is named, or the text says the IP or domain is on a DNS blocklist.
        Blocklist = "blocklist",
        /// SPF does not authorise the sending IP.
        Spf = "spf",
        /// DMARC policy (alignment or authentication failure).
        Dmarc = "dmarc",
        /// The server refused to relay.
        Relay = "relay",
        /// Authentication is required (submission).
        AuthRequired = "auth_required",
        /// The receiver's own reputation or block system, no public list named.
        ReputationOther = "reputation_other",
        /// Reverse DNS, content, virus, rate limits, recipient or local policy, generic 5.7.1.
        PolicyOther = "policy_other",
        /// Not a policy rejection at all (unknown user, mailbox full, null MX...).
        NotPolicy = "not_policy",
        /// Nothing recognised (never written in data).
        Unknown = "unknown",
    }
}

impl Cause {
    /// Whether this cause says the mail was refused for a policy reason
    /// (anything but `not_policy` and `unknown`).
    pub fn is_policy(self) -> bool {
        !matches!(self, Cause::NotPolicy | Cause::Unknown)
    }
}

crate::words::words! {
    /// How sure a classification is.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Confidence {
        /// A guess.
        Low = "low",
        /// A phrase or code that usually means the cause.
        Medium = "medium",
        /// A phrase or code specific to the cause.
        High = "high",
    }
}

/// The SMTP stage a refusal came at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The greeting (connection refused before any command).
    Connect,
    /// EHLO/HELO.
    Helo,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA or the end of data.
    Data,
}

/// The reasons a `not_policy` rule may give.
pub const NOT_POLICY_REASONS: &[&str] = &[
    "user_unknown",
    "mailbox_full",
    "mailbox_disabled",
    "null_mx",
    "host_not_found",
    "dns_failure",
    "message_too_large",
    "expired",
    "network",
    "system",
    "other",
];

/// Who writes rejections: a receiving provider, a filter, or MTA software.
#[derive(Clone, Debug)]
pub struct Provider {
    /// Lowercase id (JSON `provider`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Any match over the diagnostic text or the receiver's host names detects the provider.
    pub detect: Vec<Regex>,
    /// The file it comes from.
    pub file: String,
}

/// One piece of rejection knowledge.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Unique, stable id.
    pub id: String,
    /// The provider whose wording or code this is.
    pub provider: Option<String>,
    /// Enhanced status codes (`5.7.26`, `5.7.*`); the diagnostic's must be one of them.
    pub status: Vec<String>,
    /// Basic reply codes the rule requires.
    pub reply: Vec<u16>,
    /// SMTP stages the rule requires (extension).
    pub stage: Vec<Stage>,
    /// A regex over the diagnostic text.
    pub pattern: Option<Regex>,
    /// The cause.
    pub cause: Cause,
    /// A finer reason (snake_case).
    pub reason: Option<String>,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// What the rejection means, in plain words.
    pub meaning: String,
    /// The provider's help, lookup or delisting page (`{ip}`, `{domain}` placeholders).
    pub link: Option<String>,
    /// What the sender should do.
    pub advice: String,
    /// Where the fact comes from.
    pub source: String,
    /// The file it comes from.
    pub file: String,
}

impl Rule {
    /// Whether `status` (an enhanced status code) is one the rule lists.
    pub fn status_matches(&self, status: &str) -> bool {
        self.status
            .iter()
            .any(|p| status_pattern_matches(p, status))
    }

    /// Whether every status pattern is an exact code (no `*`).
    pub fn status_is_exact(&self) -> bool {
        !self.status.is_empty() && self.status.iter().all(|s| !s.contains('*'))
    }
}

fn status_pattern_matches(pattern: &str, status: &str) -> bool {
    let mut p = pattern.split('.');
    let mut s = status.split('.');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// All rejection knowledge, validated.
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    /// Providers in file order.
    pub providers: Vec<Provider>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
}

/// A rejection file that cannot be used: the same `file:line: reason` error
/// as a catalog file's.
pub use crate::catalog::CatalogError as KnowledgeError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    provider: Vec<toml::Spanned<RawProvider>>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    id: String,
    name: String,
    #[serde(default)]
    detect: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    provider: Option<String>,
    #[serde(default)]
    status: Vec<String>,
    #[serde(default)]
    reply: Vec<u16>,
    #[serde(default)]
    stage: Vec<Stage>,
    pattern: Option<String>,
    cause: Cause,
    reason: Option<String>,
    confidence: Confidence,
    meaning: String,
    link: Option<String>,
    advice: String,
    source: String,
}

/// Regexes from data are compiled with a size limit: a pattern that needs
/// more is refused rather than slowing every bounce down.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let e = e.to_string();
            let last = e.lines().last().unwrap_or("").trim().to_string();
            format!("regex '{pattern}' does not compile: {last}")
        })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn is_snake(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_status_pattern(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..].iter().all(|p| {
            *p == "*" || (!p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
        })
}

type Invalid = (&'static str, String);

fn validate_provider(raw: RawProvider, file: &str) -> Result<Provider, Invalid> {
    if !is_id(&raw.id) {
        return Err((
            "id",
            format!(
                "provider id \"{}\" must be lowercase letters, digits, '-', '_' or '.'",
                raw.id
            ),
        ));
    }
    if raw.name.trim().is_empty() {
        return Err(("name", format!("provider '{}' has an empty name", raw.id)));
    }
    let detect = raw
        .detect
        .iter()
        .map(|d| compile(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ("detect", format!("provider '{}': {e}", raw.id)))?;
    Ok(Provider {
        id: raw.id,
        name: raw.name,
        detect,
        file: file.to_string(),
    })
}

fn validate_rule(raw: RawRule, file: &str) -> Result<Rule, Invalid> {
    let id = raw.id.clone();
    if !is_id(&id) {
        return Err((
            "id",
            format!("rule id \"{id}\" must be lowercase letters, digits, '-', '_' or '.'"),
        ));
    }
    if raw.status.is_empty() && raw.pattern.is_none() {
        return Err(("id", format!("rule '{id}' needs a status or a pattern")));
    }
    if let Some(bad) = raw.status.iter().find(|s| !is_status_pattern(s)) {
        return Err((
            "status",
            format!(
                "rule '{id}': status \"{bad}\" is not an enhanced status code such as \"5.7.1\" or \"5.7.*\""
            ),
        ));
    }
    if let Some(bad) = raw.reply.iter().find(|r| !(200..=599).contains(*r)) {
        return Err((
            "reply",
            format!("rule '{id}': reply {bad} is not an SMTP reply code"),
        ));
    }
    let pattern = match &raw.pattern {
        Some(p) => Some(compile(p).map_err(|e| ("pattern", format!("rule '{id}': {e}")))?),
        None => None,
    };
    check_rule_words(&raw)?;
    Ok(Rule {
        id,
        provider: raw.provider,
        status: raw.status,
        reply: raw.reply,
        stage: raw.stage,
        pattern,
        cause: raw.cause,
        reason: raw.reason,
        confidence: raw.confidence,
        meaning: raw.meaning,
        link: raw.link,
        advice: raw.advice,
        source: raw.source,
        file: file.to_string(),
    })
}

/// The cause, reason and prose of a rule.
fn check_rule_words(raw: &RawRule) -> Result<(), Invalid> {
    let id = &raw.id;
    if raw.cause == Cause::Unknown {
        return Err((
            "cause",
            format!(
                "rule '{id}': cause \"unknown\" is what no match gives; it is never written in data"
            ),
        ));
    }
    match (&raw.reason, raw.cause) {
        (None, Cause::NotPolicy) => {
            return Err((
                "cause",
                format!(
                    "rule '{id}': cause \"not_policy\" needs a reason (one of {})",
                    NOT_POLICY_REASONS.join(", ")
                ),
            ));
        }
        (Some(r), Cause::NotPolicy) if !NOT_POLICY_REASONS.contains(&r.as_str()) => {
            return Err((
                "reason",
                format!(
                    "rule '{id}': reason \"{r}\" is not a not_policy reason (one of {})",
                    NOT_POLICY_REASONS.join(", ")
                ),
            ));
        }
        (Some(r), _) if !is_snake(r) => {
            return Err((
                "reason",
                format!("rule '{id}': reason \"{r}\" must be snake_case"),
            ));
        }
        _ => {}
    }
    for (key, value) in [
        ("meaning", &raw.meaning),
        ("advice", &raw.advice),
        ("source", &raw.source),
    ] {
        if value.trim().is_empty() {
            return Err((key, format!("rule '{id}' has an empty {key}")));
        }
    }
    if let Some(link) = &raw.link
        && !(link.starts_with("https://") || link.starts_with("http://"))
    {
        return Err((
            "link",
            format!("rule '{id}': link must start with https:// or http://"),
        ));
    }
    Ok(())
}

/// One `[[provider]]` or `[[rule]]` section of a file: where it starts and ends.
struct Section {
    start: usize,
    end: usize,
}

impl Section {
    /// The line of `key` inside this section, for error messages.
    fn line_of_key(&self, text: &str, key: &str) -> usize {
        let body = &text[self.start..self.end];
        body.lines()
            .scan(0usize, |off, l| {
                let here = *off;
                *off += l.len() + 1;
                Some((here, l))
            })
            .find(|(_, l)| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map(|(off, _)| line_of(text, self.start + off))
            .unwrap_or_else(|| line_of(text, self.start))
    }
}

impl Knowledge {
    /// The knowledge built into the binary.
    pub fn builtin() -> &'static Knowledge {
        static BUILTIN: LazyLock<Knowledge> = LazyLock::new(|| {
            Knowledge::from_files(BUILTIN_FILES)
                .expect("the built-in rejection knowledge is valid (checked by its tests)")
        });
        &BUILTIN
    }

    /// Knowledge from (file name, contents) pairs.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Knowledge, KnowledgeError> {
        let mut k = Knowledge::default();
        for (name, text) in files {
            k.add_file(Path::new(name), text)?;
        }
        k.check_references(files)?;
        Ok(k)
    }

    /// Loads one rejection file, or every `*.toml` file of a directory (sorted by name).
    pub fn load(path: &Path) -> Result<Knowledge, KnowledgeError> {
        let err = |message: String| KnowledgeError {
            file: path.to_path_buf(),
            line: None,
            message,
        };
        let mut files = Vec::new();
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| err(format!("cannot read: {e}")))?;
            for entry in entries {
                let p = entry.map_err(|e| err(format!("cannot read: {e}")))?.path();
                if p.extension().is_some_and(|e| e == "toml") {
                    files.push(p);
                }
            }
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        let mut texts = Vec::with_capacity(files.len());
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|e| KnowledgeError {
                file: f.clone(),
                line: None,
                message: format!("cannot read: {e}"),
            })?;
            texts.push((f.display().to_string(), text));
        }
        let pairs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Knowledge::from_files(&pairs)
    }

    /// Parses one file's text and appends its providers and rules.
    pub fn add_file(&mut self, file: &Path, text: &str) -> Result<(), KnowledgeError> {
        let err = |line: Option<usize>, message: String| KnowledgeError {
            file: file.to_path_buf(),
            line,
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            err(line, e.message().trim().to_string())
        })?;
        // A table's span covers its header: its section runs to the next header.
        let mut starts: Vec<usize> = raw
            .provider
            .iter()
            .map(|p| p.span().start)
            .chain(raw.rule.iter().map(|r| r.span().start))
            .collect();
        starts.sort_unstable();
        let section = |start: usize| Section {
            start,
            end: starts
                .iter()
                .copied()
                .find(|s| *s > start)
                .unwrap_or(text.len()),
        };
        let name = file.display().to_string();
        let mut provider_ids: HashSet<String> =
            self.providers.iter().map(|p| p.id.clone()).collect();
        for spanned in raw.provider {
            let sec = section(spanned.span().start);
            let p = validate_provider(spanned.into_inner(), &name)
                .map_err(|(key, m)| err(Some(sec.line_of_key(text, key)), m))?;
            if !provider_ids.insert(p.id.clone()) {
                return Err(err(
                    Some(sec.line_of_key(text, "id")),
                    format!("provider id '{}' is defined twice", p.id),
                ));
            }
            self.providers.push(p);
        }
        let mut rule_ids: HashSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        for spanned in raw.rule {
            let sec = section(spanned.span().start);
            let r = validate_rule(spanned.into_inner(), &name)
                .map_err(|(key, m)| err(Some(sec.line_of_key(text, key)), m))?;
            if !rule_ids.insert(r.id.clone()) {
                return Err(err(
                    Some(sec.line_of_key(text, "id")),
                    format!("rule id '{}' is defined twice", r.id),
                ));
            }
            self.rules.push(r);
        }
        Ok(())
    }

    /// Every rule's `provider` must be a provider some file defines.
    fn check_references(&self, files: &[(&str, &str)]) -> Result<(), KnowledgeError> {
        for r in &self.rules {
            let Some(p) = &r.provider else { continue };
            if self.providers.iter().any(|d| &d.id == p) {
                continue;
            }
            let text = files
                .iter()
                .find(|(n, _)| Path::new(n) == Path::new(&r.file))
                .map(|(_, t)| *t)
                .unwrap_or("");
            let line = text
                .find(&format!("\"{}\"", r.id))
                .map(|off| line_of(text, off));
            return Err(KnowledgeError {
                file: PathBuf::from(&r.file),
                line,
                message: format!(
                    "rule '{}': provider '{p}' is not defined by any [[provider]]",
                    r.id
                ),
            });
        }
        Ok(())
    }

    /// A provider by id.
    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Knowledge, KnowledgeError> {
        Knowledge::from_files(&[("t.toml", text)])
    }

    const OK: &str = "[[rule]]\nid = \"a\"\npattern = 'x'\ncause = \"spf\"\nconfidence = \"high\"\nmeaning = \"m\"\nadvice = \"a\"\nsource = \"s\"\n";

    #[test]
    fn the_builtin_knowledge_loads_and_every_file_is_embedded() {
        let k = Knowledge::builtin();
        assert!(k.rules.len() > 50, "{} rules", k.rules.len());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lists/rejections");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = BUILTIN_FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            on_disk, embedded,
            "lists/rejections and BUILTIN_FILES differ"
        );
        // Loading the directory gives the same knowledge.
        let loaded = Knowledge::load(&dir).unwrap();
        assert_eq!(loaded.rules.len(), k.rules.len());
        for needed in [
            "rfc3463-x.7.1",
            "rfc7372-x.7.23",
            "rfc7505-x.7.27",
            "generic-blocked-using",
        ] {
            assert!(k.rules.iter().any(|r| r.id == needed), "{needed}");
        }
    }

    #[test]
    fn bad_files_are_refused_with_file_line_and_reason() {
        assert!(load(OK).is_ok());
        let cases: &[(&str, &str, usize)] = &[
            (&format!("{OK}\n{OK}"), "defined twice", 11),
            (
                &OK.replace("pattern = 'x'", "pattern = '(?<=x)y'"),
                "does not compile",
                3,
            ),
            (&OK.replace("\"spf\"", "\"spam\""), "unknown variant", 4),
            (
                &OK.replace("\"spf\"", "\"not_policy\""),
                "needs a reason",
                4,
            ),
            (
                &OK.replace(
                    "cause = \"spf\"",
                    "cause = \"not_policy\"\nreason = \"busy\"",
                ),
                "not a not_policy reason",
                5,
            ),
            (
                &OK.replace("\"spf\"", "\"unknown\""),
                "never written in data",
                4,
            ),
            (
                &OK.replace("pattern = 'x'\n", ""),
                "needs a status or a pattern",
                2,
            ),
            (
                &OK.replace("pattern = 'x'", "status = [\"5.7\"]"),
                "not an enhanced status",
                3,
            ),
            (
                &OK.replace("source = \"s\"", "source = \"s\"\nlink = \"ftp://x\""),
                "link must start",
                9,
            ),
            (
                &OK.replace("advice = \"a\"", "advice = \" \""),
                "empty advice",
                7,
            ),
            (&OK.replace("id = \"a\"", "id = \"A b\""), "rule id", 2),
            (
                &OK.replace("source = \"s\"", "source = \"s\"\ncolour = \"red\""),
                "unknown field",
                9,
            ),
            (
                &OK.replace("pattern = 'x'", "pattern = 'x'\nprovider = \"nobody\""),
                "not defined",
                2,
            ),
            (
                "[[provider]]\nid = \"p\"\nname = \"P\"\ndetect = ['(']\n",
                "does not compile",
                4,
            ),
            (
                "[[provider]]\nid = \"p\"\nname = \"P\"\n[[provider]]\nid = \"p\"\nname = \"Q\"\n",
                "defined twice",
                5,
            ),
        ];
        for (text, what, line) in cases {
            let e = load(text).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(what), "{text}\n=> {msg}");
            assert_eq!(e.line, Some(*line), "{text}\n=> {msg}");
            assert!(msg.starts_with(&format!("t.toml:{line}: ")), "{msg}");
        }
    }

    #[test]
    fn status_patterns() {
        let k = load(&OK.replace("pattern = 'x'", "status = [\"5.7.*\", \"4.2.1\"]")).unwrap();
        let r = &k.rules[0];
        assert!(
            r.status_matches("5.7.1") && r.status_matches("5.7.606") && r.status_matches("4.2.1")
        );
        assert!(
            !r.status_matches("5.1.1") && !r.status_matches("4.2.10") && !r.status_matches("5.7")
        );
        assert!(!r.status_is_exact());
    }
}
