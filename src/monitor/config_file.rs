//! The configuration file (`--config PATH`): targets, resolvers, zones,
//! thresholds, intervals, and where state and notifications go, in one TOML
//! file. Options given on the command line override it.
//!
//! ```toml
//! targets = ["192.0.2.10", "2001:db8::25", "mail.example.org"]
//! resolvers = ["127.0.0.1", "[::1]:5353"]   # else BLOCKLENS_RESOLVER, else /etc/resolv.conf
//! timeout = "2s"                # per query
//! attempts = 2
//! concurrency = 64
//! rate = 50                     # queries per second
//! lists = "lists"               # catalog file or directory (relative to this file)
//! zones = ["zen.spamhaus.org", "bl.spamcop.net"]
//! all_zones = false
//! warning = 1                   # Nagios: WARNING at this many block-list listings
//! critical = 2                  # Nagios: CRITICAL at this many (default 1)
//! interval = "5m"               # serve: time between rounds (e.g. 90s, 5m, 1h)
//! listen = "127.0.0.1:9319"     # serve: address of /metrics
//! state = "/var/lib/blocklens/state.db"
//! notify = "https://hooks.example.org/blocklens"
//! notify_timeout = "10s"
//! ```
//!
//! Every key is optional. A key the file does not know, a value of the
//! wrong type, an address, target, duration or URL that does not parse is
//! an error naming `file:line`.
//!
//! Where the file is looked for when `--config` is not given
//! ([`default_path`]), first found wins:
//! 1. `$BLOCKLENS_CONFIG` (an error if it names a missing file);
//! 2. `$XDG_CONFIG_HOME/blocklens/config.toml`;
//! 3. `$HOME/.config/blocklens/config.toml`;
//! 4. `/etc/blocklens/config.toml`.
//!
//! Precedence for each setting: the command line, then the environment
//! (`BLOCKLENS_RESOLVER` for resolvers), then this file, then built-in defaults.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::notify::NotifyOptions;
use crate::config::{parse_duration, parse_resolver};
use crate::target::Target;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "BLOCKLENS_CONFIG";
/// The environment variable holding resolvers (comma- or space-separated).
pub const RESOLVER_ENV: &str = "BLOCKLENS_RESOLVER";

/// A validated configuration file. Unset keys are None (or empty).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// What to check.
    pub targets: Vec<Target>,
    /// Nameservers.
    pub resolvers: Vec<SocketAddr>,
    /// Per-query timeout.
    pub timeout: Option<Duration>,
    /// Tries per query.
    pub attempts: Option<usize>,
    /// Queries in flight.
    pub concurrency: Option<usize>,
    /// Queries per second.
    pub rate: Option<u32>,
    /// A catalog file or directory (made absolute against the file's directory).
    pub lists: Option<PathBuf>,
    /// Zones to query.
    pub zones: Vec<String>,
    /// Also query zones that are off by default.
    pub all_zones: Option<bool>,
    /// Nagios WARNING level.
    pub warning: Option<u32>,
    /// Nagios CRITICAL level.
    pub critical: Option<u32>,
    /// serve: time between rounds.
    pub interval: Option<Duration>,
    /// serve: where to listen.
    pub listen: Option<SocketAddr>,
    /// The state database (made absolute against the file's directory).
    pub state: Option<PathBuf>,
    /// The webhook, with its options.
    pub notify: Option<NotifyOptions>,
}

/// Why the file cannot be used: `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", .path.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigFileError {
    /// The file.
    pub path: PathBuf,
    /// The line, when one is to blame.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    targets: Vec<Spanned<String>>,
    #[serde(default)]
    resolvers: Vec<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    attempts: Option<Spanned<i64>>,
    concurrency: Option<Spanned<i64>>,
    rate: Option<Spanned<i64>>,
    lists: Option<String>,
    #[serde(default)]
    zones: Vec<String>,
    all_zones: Option<bool>,
    warning: Option<Spanned<i64>>,
    critical: Option<Spanned<i64>>,
    interval: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
    state: Option<String>,
    notify: Option<Spanned<String>>,
    notify_timeout: Option<Spanned<String>>,
}

impl ConfigFile {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigFileError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read the configuration file: {e}"),
        })?;
        ConfigFile::parse(path, &text)
    }

    /// Validates `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigFileError> {
        let at = Locator { path, text };
        let raw: Raw = toml::from_str(text).map_err(|e| at.error(e.span(), e.message()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut c = ConfigFile {
            path: path.to_path_buf(),
            lists: raw.lists.map(|p| base.join(p)),
            zones: raw.zones,
            all_zones: raw.all_zones,
            state: raw.state.map(|p| base.join(p)),
            ..ConfigFile::default()
        };
        for t in &raw.targets {
            c.targets
                .push(at.check(t, |s| Target::parse(s).map_err(|e| e.to_string()))?);
        }
        for r in &raw.resolvers {
            c.resolvers
                .push(at.check(r, |s| parse_resolver(s).map_err(|e| e.to_string()))?);
        }
        c.timeout = at.opt(&raw.timeout, |s| {
            parse_duration(s).map_err(|e| e.to_string())
        })?;
        c.interval = at.opt(&raw.interval, |s| parse_interval(s))?;
        c.listen = at.opt(&raw.listen, |s| {
            s.parse::<SocketAddr>()
                .map_err(|_| format!("'{s}' is not an address and port (e.g. 127.0.0.1:9319)"))
        })?;
        c.attempts = at.opt(&raw.attempts, |n| count(*n, 1, 10))?;
        c.concurrency = at.opt(&raw.concurrency, |n| count(*n, 1, 4096))?;
        c.rate = at.opt(&raw.rate, |n| count(*n, 1, 1_000_000))?;
        c.warning = at.opt(&raw.warning, |n| count(*n, 1, 1000))?;
        c.critical = at.opt(&raw.critical, |n| count(*n, 1, 1000))?;
        if let Some(url) = &raw.notify {
            let mut opts = at.check(url, |s| NotifyOptions::new(s).map_err(|e| e.reason))?;
            if let Some(t) = at.opt(&raw.notify_timeout, |s| {
                parse_duration(s).map_err(|e| e.to_string())
            })? {
                opts.timeout = t;
            }
            c.notify = Some(opts);
        } else if let Some(t) = &raw.notify_timeout {
            return Err(at.error(Some(t.span()), "notify_timeout is set but notify is not"));
        }
        Ok(c)
    }
}

/// Turns byte spans into `file:line` errors.
struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Option<Range<usize>>, message: &str) -> ConfigFileError {
        let line = span.map(|s| {
            let end = s.start.min(self.text.len());
            self.text.as_bytes()[..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        });
        ConfigFileError {
            path: self.path.to_path_buf(),
            line,
            message: message.trim().to_string(),
        }
    }

    fn check<T, U>(
        &self,
        v: &Spanned<T>,
        f: impl FnOnce(&T) -> Result<U, String>,
    ) -> Result<U, ConfigFileError> {
        f(v.get_ref()).map_err(|m| self.error(Some(v.span()), &m))
    }

    fn opt<T, U>(
        &self,
        v: &Option<Spanned<T>>,
        f: impl FnOnce(&T) -> Result<U, String>,
    ) -> Result<Option<U>, ConfigFileError> {
        v.as_ref().map(|v| self.check(v, f)).transpose()
    }
}

fn count<T: TryFrom<i64>>(n: i64, min: i64, max: i64) -> Result<T, String> {
    if !(min..=max).contains(&n) {
        return Err(format!("{n} is out of range ({min} to {max})"));
    }
    T::try_from(n).map_err(|_| format!("{n} is out of range"))
}

/// A round interval: 10 s to 1 day, e.g. `90s`, `5m`, `1h`.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration (e.g. 90s, 5m, 1h): {e}"))?;
    if d < Duration::from_secs(10) || d > Duration::from_secs(86_400) {
        return Err(format!("'{s}' is out of range (10s to 24h)"));
    }
    Ok(d)
}

/// Resolvers from `BLOCKLENS_RESOLVER`'s value: addresses separated by
/// commas or spaces, each as `--resolver` takes them.
pub fn resolvers_from_env(value: &str) -> Result<Vec<SocketAddr>, String> {
    let list: Vec<&str> = value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if list.is_empty() {
        return Err(format!("{RESOLVER_ENV} is set but empty"));
    }
    list.into_iter()
        .map(|s| parse_resolver(s).map_err(|e| format!("{RESOLVER_ENV}: {e}")))
        .collect()
}

/// The configuration file to read when `--config` is not given, in the
/// order of the module documentation; `var` reads the environment and
/// `exists` tells whether a file is there. None when there is none.
pub(crate) fn default_path(
    var: impl Fn(&str) -> Option<OsString>,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(p) = var(CONFIG_ENV).filter(|p| !p.is_empty()) {
        // Named explicitly: returned even when missing, so loading it says so.
        return Some(PathBuf::from(p));
    }
    let mut candidates = Vec::new();
    if let Some(x) = var("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(x).join("blocklens/config.toml"));
    }
    if let Some(h) = var("HOME").filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(h).join(".config/blocklens/config.toml"));
    }
    candidates.push(PathBuf::from("/etc/blocklens/config.toml"));
    candidates.into_iter().find(|p| exists(p))
}

/// [`default_path`] for this process's environment and file system.
pub fn find_default() -> Option<PathBuf> {
    default_path(|k| std::env::var_os(k), Path::is_file)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"targets = ["192.0.2.10", "2001:db8::25", "mail.example.org"]
resolvers = ["127.0.0.1", "[::1]:5353"]
timeout = "2s"
attempts = 2
concurrency = 64
rate = 50
lists = "lists"
zones = ["zen.spamhaus.org", "bl.spamcop.net"]
all_zones = false
warning = 1
critical = 2
interval = "5m"
listen = "127.0.0.1:9319"
state = "/var/lib/blocklens/state.db"
notify = "https://hooks.example.org/blocklens"
notify_timeout = "3s"
"#;

    fn parse(text: &str) -> Result<ConfigFile, ConfigFileError> {
        ConfigFile::parse(Path::new("/etc/blocklens/config.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn every_key_is_read_and_validated() {
        let c = parse(EXAMPLE).unwrap();
        let targets: Vec<String> = c.targets.iter().map(ToString::to_string).collect();
        assert_eq!(targets, ["192.0.2.10", "2001:db8::25", "mail.example.org"]);
        assert_eq!(
            c.resolvers,
            [
                "127.0.0.1:53".parse().unwrap(),
                "[::1]:5353".parse().unwrap()
            ]
        );
        assert_eq!(c.timeout, Some(Duration::from_secs(2)));
        assert_eq!(
            (c.attempts, c.concurrency, c.rate),
            (Some(2), Some(64), Some(50))
        );
        // Relative paths are relative to the file.
        assert_eq!(c.lists, Some(PathBuf::from("/etc/blocklens/lists")));
        assert_eq!(c.state, Some(PathBuf::from("/var/lib/blocklens/state.db")));
        assert_eq!(c.zones, ["zen.spamhaus.org", "bl.spamcop.net"]);
        assert_eq!(
            (c.warning, c.critical, c.all_zones),
            (Some(1), Some(2), Some(false))
        );
        assert_eq!(c.interval, Some(Duration::from_secs(300)));
        assert_eq!(c.listen, Some("127.0.0.1:9319".parse().unwrap()));
        let n = c.notify.unwrap();
        assert_eq!(n.url.as_str(), "https://hooks.example.org/blocklens");
        assert_eq!(n.timeout, Duration::from_secs(3));
        assert_eq!(parse("").unwrap().targets, vec![]);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            (
                "timeout = \"2s\"\nresolver = [\"127.0.0.1\"]\n",
                "/etc/blocklens/config.toml:2: unknown field `resolver`",
            ),
            (
                "targets = [\n  \"192.0.2.10\",\n  \"300.1.2.3\",\n]\n",
                "/etc/blocklens/config.toml:3: '300.1.2.3' is neither an IP address nor a valid domain name",
            ),
            (
                "resolvers = [\"127.0.0.1\", \"dns.example\"]\n",
                "/etc/blocklens/config.toml:1: 'dns.example' is not a nameserver address",
            ),
            (
                "\n\nattempts = \"two\"\n",
                "/etc/blocklens/config.toml:3: invalid type",
            ),
            (
                "critical = 0\n",
                "/etc/blocklens/config.toml:1: 0 is out of range (1 to 1000)",
            ),
            (
                "interval = \"5s\"\n",
                "/etc/blocklens/config.toml:1: '5s' is out of range",
            ),
            (
                "interval = \"often\"\n",
                "/etc/blocklens/config.toml:1: 'often' is not a duration",
            ),
            (
                "listen = \"9319\"\n",
                "/etc/blocklens/config.toml:1: '9319' is not an address and port",
            ),
            (
                "notify = \"ftp://x.example/\"\n",
                "/etc/blocklens/config.toml:1: the URL must start with http:// or https://",
            ),
            (
                "x = 1\nnotify_timeout = \"3s\"\n",
                "/etc/blocklens/config.toml:1: unknown field `x`",
            ),
            (
                "notify_timeout = \"3s\"\n",
                "/etc/blocklens/config.toml:1: notify_timeout is set but notify is not",
            ),
            ("targets = [\"192.0.2.10\"\n", "/etc/blocklens/config.toml:"),
        ];
        for (text, want) in cases {
            let got = error(text);
            assert!(got.starts_with(want), "{text:?}\ngot:  {got}\nwant: {want}");
        }
        let e = ConfigFile::load(Path::new("/nonexistent/blocklens.toml")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/blocklens.toml: cannot read the configuration file"),
            "{e}"
        );
    }

    #[test]
    fn default_path_search_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let all = |_: &Path| true;
        let none = |_: &Path| false;
        let full: &[(&str, &str)] = &[
            ("BLOCKLENS_CONFIG", "/srv/bl.toml"),
            ("XDG_CONFIG_HOME", "/home/u/.xdg"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(default_path(env(full), none), Some("/srv/bl.toml".into()));
        assert_eq!(
            default_path(env(&full[1..]), all),
            Some("/home/u/.xdg/blocklens/config.toml".into())
        );
        assert_eq!(
            default_path(env(&full[1..]), |p: &Path| p.starts_with("/home/u/.config")),
            Some("/home/u/.config/blocklens/config.toml".into())
        );
        assert_eq!(
            default_path(env(&full[2..]), |p: &Path| p.starts_with("/etc")),
            Some("/etc/blocklens/config.toml".into())
        );
        assert_eq!(default_path(env(&full[1..]), none), None);
    }

    #[test]
    fn resolvers_from_the_environment() {
        assert_eq!(
            resolvers_from_env("127.0.0.1, [::1]:5353 192.0.2.53:53"),
            Ok(vec![
                "127.0.0.1:53".parse().unwrap(),
                "[::1]:5353".parse().unwrap(),
                "192.0.2.53:53".parse().unwrap()
            ])
        );
        assert!(resolvers_from_env(" , ").unwrap_err().contains("empty"));
        let e = resolvers_from_env("127.0.0.1,dns.example").unwrap_err();
        assert!(e.starts_with("BLOCKLENS_RESOLVER: 'dns.example'"), "{e}");
    }
}

#[cfg(test)]
#[path = "config_file_props.rs"]
mod props;
