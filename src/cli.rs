//! Command-line definitions (clap) and their conversion to a [`Config`].
//! This is the only module that knows clap; it belongs to the binary.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use blocklens::Config;
use blocklens::catalog::Catalog;
use blocklens::commands::{Command, check, explain, scan, spf, zones};
use blocklens::config::{DEFAULT_CONCURRENCY, EngineOptions, Format, Style};
use blocklens::config::{parse_duration, parse_resolver};
use blocklens::dns::ResolverSettings;
use blocklens::target::{Target, normalize_domain};

const EXAMPLES: &str = "\
Examples:
  blocklens check 192.0.2.10                  every default list, human output
  blocklens check 192.0.2.10 2001:db8::25 example.org --json
  blocklens check 192.0.2.10 --zone zen.spamhaus.org --resolver 127.0.0.1
  blocklens check 192.0.2.10 --zone YOURKEY.zen.dq.spamhaus.net
  blocklens check 192.0.2.10 --sender example.org   also SPF, DMARC, reverse DNS, domain lists
  blocklens spf example.org 192.0.2.10        SPF with a trace of every step
  blocklens scan 192.0.2.0/24 --format ndjson --only-listed   a whole range
  blocklens explain bounce.eml                what caused a 5.7.1, checked live, and what to do
  blocklens zones                             the catalog
  blocklens zones --health --resolver 127.0.0.1   does each list answer through this resolver?

Exit codes: 0 clean, 1 listed, 2 bad input, 3 incomplete (some lists gave no usable answer).";

/// Explain SMTP 5.7.1 rejections: which DNS blocklists list an IP or domain,
/// what each answer means, and which lists could not be asked.
#[derive(Debug, Parser)]
#[command(name = "blocklens", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: CommandArgs,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Ask this nameserver instead of the system's (repeatable).
    #[arg(long, global = true, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    resolver: Vec<std::net::SocketAddr>,

    /// Time to wait for each answer (e.g. 2s, 500ms).
    #[arg(long, global = true, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    timeout: std::time::Duration,

    /// Tries per query before giving up.
    #[arg(long, global = true, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    attempts: u32,

    /// A catalog file or directory of *.toml files replacing the built-in catalog.
    #[arg(long, global = true, value_name = "PATH")]
    lists: Option<PathBuf>,

    /// Query only this zone of the catalog (repeatable).
    #[arg(long, global = true, value_name = "ZONE")]
    zone: Vec<String>,

    /// Also query zones that are off by default (never dead ones).
    #[arg(long, global = true)]
    all_zones: bool,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,

    /// Same as --format json.
    #[arg(long, global = true, conflicts_with = "format")]
    json: bool,

    /// Queries in flight at once.
    #[arg(long, global = true, value_name = "N", default_value_t = DEFAULT_CONCURRENCY as u32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,

    /// Cap on queries per second.
    #[arg(long, global = true, value_name = "QPS", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    rate: Option<u32>,

    /// No colours (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    no_color: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Ndjson,
}

#[derive(Debug, Subcommand)]
enum CommandArgs {
    /// Check IPs (v4/v6) and domains against the blocklists, one report each.
    #[command(after_help = "Examples:
  blocklens check 192.0.2.10
  blocklens check 192.0.2.10 2001:db8::25 mail.example.org --format ndjson
  blocklens check 127.0.0.2 --resolver 127.0.0.1   the RFC 5782 test point every list answers")]
    Check {
        /// IP addresses and domain names.
        #[arg(required = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// Also check the sender side for each IP: SPF for this domain, its
        /// DMARC policy, reverse DNS, and the domain lists.
        #[arg(long, value_name = "DOMAIN")]
        sender: Option<String>,
        /// The HELO/EHLO name the client uses (for SPF's %{h}).
        #[arg(long, value_name = "NAME")]
        helo: Option<String>,
    },
    /// Explain an SMTP rejection or bounce: the cause, live evidence, and what to do.
    #[command(
        after_help = "Input: an SMTP reply (one or several lines), an MTA log line, a whole bounce
message (DSN), or text pasted from a ticket; from FILE or stdin (-, or nothing).

Examples:
  blocklens explain bounce.eml
  pbpaste | blocklens explain
  blocklens explain --json < smtp-reply.txt
  blocklens explain --ip 192.0.2.10 --sender example.org < ticket.txt
  blocklens explain bounce.eml --offline

Exit codes: 1 the cause is confirmed live, 0 diagnosed (not reproduced, or --offline),
3 verification failed for lack of DNS answers, 2 bad input."
    )]
    Explain {
        /// A file holding the rejection, or - for stdin (the default).
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// The client IP, if the text lacks it (or to override it).
        #[arg(long, value_name = "IP")]
        ip: Option<String>,
        /// The sender domain (or address), if the text lacks it.
        #[arg(long, value_name = "DOMAIN")]
        sender: Option<String>,
        /// The HELO name, for SPF.
        #[arg(long, value_name = "NAME")]
        helo: Option<String>,
        /// Read and classify only; no DNS queries.
        #[arg(long)]
        offline: bool,
    },
    /// Scan address ranges against the blocklists, streaming one report per address.
    #[command(
        after_help = "Sources: CIDRs (192.0.2.0/24, 2001:db8::/120), ranges (192.0.2.10-192.0.2.50),
single IPs, @FILE and - (stdin): one source per line, blank lines and # comments ignored.

Examples:
  blocklens scan 192.0.2.0/24 --resolver 127.0.0.1
  blocklens scan @our-ranges.txt --format ndjson --only-listed > listed.ndjson
  blocklens scan - --json < ranges.txt

Exit codes: 0 clean, 1 some address listed, 2 bad input, 3 incomplete, 130 interrupted (Ctrl-C)."
    )]
    Scan {
        /// CIDRs, ranges (a-b), IPs, @FILE, or - for stdin.
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<String>,
        /// Refuse scans of more addresses than this.
        #[arg(long, value_name = "N", default_value_t = blocklens::sources::DEFAULT_MAX_TARGETS)]
        max_targets: u64,
        /// JSON output: keep only listed and incomplete targets.
        #[arg(long)]
        only_listed: bool,
        /// Do not fetch TXT reasons for listings (fewer queries).
        #[arg(long)]
        no_txt: bool,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
        /// No progress bar and no summary on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Evaluate SPF (RFC 7208) for a domain and a client IP, with a trace of every step.
    #[command(after_help = "Examples:
  blocklens spf example.org 192.0.2.10
  blocklens spf example.org 2001:db8::25 --sender bounce@example.org --helo mail.example.org --json

Exit codes: 0 evaluated (whatever the result), 2 bad input, 3 temperror (DNS gave no usable answer).")]
    Spf {
        /// The domain whose SPF policy is checked (the MAIL FROM or HELO domain).
        domain: String,
        /// The SMTP client's IP address.
        ip: String,
        /// The HELO/EHLO name (for %{h}).
        #[arg(long, value_name = "NAME")]
        helo: Option<String>,
        /// The full MAIL FROM address (for %{s} and %{l}); default postmaster@DOMAIN.
        #[arg(long, value_name = "LOCAL@DOMAIN")]
        sender: Option<String>,
    },
    /// List the catalog; with --health, probe every zone's RFC 5782 test points.
    #[command(after_help = "Examples:
  blocklens zones
  blocklens zones --all-zones --health --resolver 127.0.0.1
  blocklens zones --json")]
    Zones {
        /// Query each selected zone's test points and report whether it is usable.
        #[arg(long)]
        health: bool,
    },
}

impl Cli {
    /// Validates everything and builds the library's configuration.
    pub fn into_config(self) -> anyhow::Result<(Config, Command)> {
        let g = self.global;
        let catalog = match &g.lists {
            Some(path) => Catalog::load(path)?,
            None => Catalog::builtin(),
        };
        let format = if g.json {
            Format::Json
        } else {
            match g.format {
                FormatArg::Human => Format::Human,
                FormatArg::Json => Format::Json,
                FormatArg::Ndjson => Format::Ndjson,
            }
        };
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let style = Style {
            color: !g.no_color && !no_color_env && std::io::stdout().is_terminal(),
        };
        let command = match self.command {
            CommandArgs::Check {
                targets,
                sender,
                helo,
            } => {
                let sender = sender
                    .map(|s| {
                        let domain = s.rsplit_once('@').map_or(s.as_str(), |(_, d)| d);
                        normalize_domain(domain)
                            .map_err(|e| anyhow::anyhow!("invalid --sender '{s}': {e}"))
                    })
                    .transpose()?;
                let targets = targets
                    .iter()
                    .map(|t| Target::parse(t))
                    .collect::<Result<Vec<_>, _>>()
                    .context("invalid target")?;
                let zones = catalog.select(&g.zone, g.all_zones)?;
                if zones.is_empty() {
                    bail!(
                        "no zone selected: the catalog has no zone that is on by default (use --zone or --all-zones)"
                    );
                }
                Command::Check(check::Check {
                    targets,
                    zones,
                    sender,
                    helo,
                })
            }
            CommandArgs::Explain {
                file,
                ip,
                sender,
                helo,
                offline,
            } => {
                let bytes = read_input(file.as_deref())?;
                let ip = ip
                    .map(|s| match Target::parse(&s) {
                        Ok(Target::Ip(ip)) => Ok(ip),
                        _ => Err(anyhow::anyhow!("invalid --ip '{s}': not an IP address")),
                    })
                    .transpose()?;
                let sender = sender
                    .map(|s| {
                        let d = s.rsplit_once('@').map_or(s.as_str(), |(_, d)| d);
                        normalize_domain(d)
                            .map_err(|e| anyhow::anyhow!("invalid --sender '{s}': {e}"))
                    })
                    .transpose()?;
                let zones = catalog.select(&g.zone, g.all_zones)?;
                Command::Explain(explain::Explain {
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    overrides: blocklens::explain::Overrides {
                        ip,
                        sender,
                        helo,
                        offline,
                    },
                    catalog,
                    zones,
                })
            }
            CommandArgs::Scan {
                sources,
                max_targets,
                only_listed,
                no_txt,
                no_progress,
                quiet,
            } => {
                let blocks = blocklens::sources::parse_sources(&sources, max_targets)?;
                let mut zones = catalog.select(&g.zone, g.all_zones)?;
                zones.retain(|z| z.targets == blocklens::target::TargetKind::Ip);
                if zones.is_empty() {
                    bail!(
                        "no IP zone selected (scan checks addresses; use --zone with an IP list)"
                    );
                }
                if no_txt {
                    for z in &mut zones {
                        z.txt = false;
                    }
                }
                let progress = !no_progress && std::io::stderr().is_terminal();
                Command::Scan(scan::Scan {
                    blocks,
                    zones,
                    only_listed,
                    progress,
                    quiet,
                })
            }
            CommandArgs::Spf {
                domain,
                ip,
                helo,
                sender,
            } => {
                let domain = normalize_domain(&domain)
                    .map_err(|e| anyhow::anyhow!("invalid domain '{domain}': {e}"))?;
                let ip = match Target::parse(&ip) {
                    Ok(Target::Ip(ip)) => ip,
                    _ => bail!("invalid IP address '{ip}'"),
                };
                if let Some(s) = &sender
                    && !s.contains('@')
                {
                    bail!("invalid --sender '{s}': expected LOCAL@DOMAIN");
                }
                Command::Spf(spf::Spf {
                    domain,
                    ip,
                    helo,
                    sender,
                })
            }
            CommandArgs::Zones { health } => {
                let zones = if health || !g.zone.is_empty() {
                    catalog.select(&g.zone, g.all_zones)?
                } else {
                    catalog.zones.clone()
                };
                Command::Zones(zones::Zones { zones, health })
            }
        };
        let config = Config {
            resolver: ResolverSettings {
                servers: g.resolver,
                timeout: g.timeout,
                attempts: g.attempts as usize,
            },
            engine: EngineOptions {
                concurrency: g.concurrency as usize,
                rate: g.rate,
            },
            format,
            style,
        };
        Ok((config, command))
    }
}

/// Reads the explain input, refusing more than `MAX_INPUT` bytes.
fn read_input(file: Option<&std::path::Path>) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let limit = blocklens::bounce::MAX_INPUT as u64;
    let mut buf = Vec::new();
    let name = match file {
        Some(p) if p != std::path::Path::new("-") => {
            let f =
                std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            f.take(limit + 1)
                .read_to_end(&mut buf)
                .with_context(|| format!("cannot read {}", p.display()))?;
            p.display().to_string()
        }
        _ => {
            std::io::stdin()
                .lock()
                .take(limit + 1)
                .read_to_end(&mut buf)
                .context("cannot read stdin")?;
            "stdin".to_string()
        }
    };
    if buf.len() as u64 > limit {
        bail!(
            "{name} is larger than {} MiB: paste the rejection or the bounce, not a mailbox",
            limit / 1024 / 1024
        );
    }
    Ok(buf)
}
