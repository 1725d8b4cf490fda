//! Command-line definitions (clap) and their conversion to a [`Config`] and
//! a [`Command`]. This is the only module that knows clap; it belongs to the
//! binary.
//!
//! Each subcommand declares only the options that act on it (so its `--help`
//! lists just those), built from shared groups. Options written before the
//! subcommand (`blocklens --json check X`) are moved after it by
//! [`normalize_args`]; ones that do not act on that subcommand are dropped.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use blocklens::Config;
use blocklens::catalog::{Catalog, Selection, Zone};
use blocklens::commands::{Command, check, explain, scan, spf, zones};
use blocklens::config::{DEFAULT_CONCURRENCY, EngineOptions, Format, Style};
use blocklens::config::{parse_duration, parse_resolver};
use blocklens::dns::ResolverSettings;
use blocklens::sources::{self, DEFAULT_MAX_TARGETS};
use blocklens::target::{Target, TargetKind, normalize_domain};
use blocklens::zonedata::{self, ZoneSpec};

const EXAMPLES: &str = "\
Examples:
  blocklens check 192.0.2.10                  every default list, human output
  blocklens check 192.0.2.10 2001:db8::25 example.org --json
  blocklens check 192.0.2.10 --zone zen.spamhaus.org --resolver 127.0.0.1
  blocklens check 192.0.2.10 --sender example.org   also SPF, DMARC, reverse DNS, domain lists
  blocklens spf example.org 192.0.2.10        SPF with a trace of every step
  blocklens scan 192.0.2.0/24 --format ndjson --only-listed   a whole range
  blocklens explain bounce.eml                what caused a 5.7.1, checked live, and what to do
  blocklens zones --health --resolver 127.0.0.1   does each list answer through this resolver?

Options go before or after the command; `blocklens COMMAND --help` lists each
command's options and exit codes.

Exit codes: 0 clean, 1 listed, 2 bad input, 3 incomplete (some lists gave no usable answer).";

/// Explain SMTP 5.7.1 rejections: which DNS blocklists list an IP or domain,
/// what each answer means, and which lists could not be asked.
#[derive(Debug, Parser)]
#[command(name = "blocklens", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: CommandArgs,
}

/// Where and how to query.
#[derive(Debug, Args)]
#[command(next_help_heading = "DNS")]
struct DnsArgs {
    /// Ask this nameserver instead of the system's (repeatable).
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    resolver: Vec<SocketAddr>,

    /// Time to wait for each answer, e.g. 2s, 500ms [default: 2s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,

    /// Tries per query before giving up [default: 2].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10))]
    attempts: Option<u32>,
}

/// Which lists.
#[derive(Debug, Args)]
#[command(next_help_heading = "Lists")]
struct ListArgs {
    /// A catalog file or directory of *.toml files replacing the built-in catalog.
    #[arg(long, value_name = "PATH")]
    lists: Option<PathBuf>,

    /// A catalog file or directory whose zones are added to the catalog (repeatable).
    #[arg(long, value_name = "PATH")]
    add_lists: Vec<PathBuf>,

    /// Query only this zone of the catalog (repeatable).
    #[arg(long, value_name = "ZONE")]
    zone: Vec<String>,

    /// Leave this zone out (repeatable).
    #[arg(long, value_name = "ZONE")]
    exclude_zone: Vec<String>,

    /// Answer ZONE in-process from rbldnsd data files instead of DNS
    /// (repeatable; TYPE is ip4set, ip4tset, ip4trie, ip6tset, ip6trie or dnset).
    #[arg(long, value_name = "ZONE:TYPE:FILE[,FILE]")]
    zone_data: Vec<String>,

    /// Also query zones that are off by default (never dead ones, nor ones that
    /// need a key or a registration).
    #[arg(long)]
    all_zones: bool,
}

/// How hard to push.
#[derive(Debug, Args)]
#[command(next_help_heading = "Load")]
struct LoadArgs {
    /// Queries in flight at once [default: 64].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: Option<u32>,

    /// Cap on queries per second.
    #[arg(long, value_name = "QPS", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    rate: Option<u32>,
}

/// Output.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
struct OutputArgs {
    /// Output format [default: human].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,

    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,

    /// No colours (NO_COLOR is honoured too).
    #[arg(long)]
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
    #[command(
        after_help = "Targets: IPs, domains, @FILE and - (stdin): one target per line, blank lines
and # comments ignored.

Examples:
  blocklens check 192.0.2.10
  blocklens check 192.0.2.10 2001:db8::25 mail.example.org --format ndjson
  blocklens check @outbound-ips.txt --json
  blocklens check 192.0.2.10 --sender example.org --helo mail.example.org
  blocklens check 192.0.2.10 --zone YOURKEY.zen.dq.spamhaus.net   Spamhaus DQS with your key
  blocklens check 127.0.0.2 --resolver 127.0.0.1   the RFC 5782 test point every list answers

Exit codes: 0 clean, 1 listed (with --sender: also SPF fail or the sender domain listed),
2 bad input, 3 incomplete (some lookups gave no usable answer)."
    )]
    Check {
        /// IP addresses, domain names, @FILE, or - for stdin.
        #[arg(required = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// Also check the sender side for each IP: SPF for this domain, its
        /// DMARC policy, reverse DNS, and the domain lists.
        #[arg(long, value_name = "DOMAIN")]
        sender: Option<String>,
        /// The HELO/EHLO name the client uses (for SPF's %{h}).
        #[arg(long, value_name = "NAME", requires = "sender")]
        helo: Option<String>,
        #[command(flatten)]
        lists: ListArgs,
        #[command(flatten)]
        dns: DnsArgs,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        output: OutputArgs,
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
        /// Files (a bounce, a pasted rejection, an mbox), Maildir or other
        /// directories, or - for stdin (the default).
        #[arg(value_name = "INPUT")]
        inputs: Vec<PathBuf>,
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
        #[command(flatten)]
        lists: ListArgs,
        #[command(flatten)]
        dns: DnsArgs,
        #[command(flatten)]
        output: OutputArgs,
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
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_TARGETS)]
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
        /// Scan only part I of N (1/4, 2/4, ...): N runs cover the input exactly once.
        #[arg(long, value_name = "I/N")]
        shard: Option<sources::Shard>,
        #[command(flatten)]
        lists: ListArgs,
        #[command(flatten)]
        dns: DnsArgs,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        output: OutputArgs,
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
        #[command(flatten)]
        dns: DnsArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List the catalog; with --health, probe every zone's RFC 5782 test points.
    #[command(after_help = "Examples:
  blocklens zones
  blocklens zones --all-zones --health --resolver 127.0.0.1
  blocklens zones --json

Exit codes: 0 listed (with --health: every zone healthy), 2 bad input,
3 some zone not healthy.")]
    Zones {
        /// Query each selected zone's test points and report whether it is usable.
        #[arg(long)]
        health: bool,
        #[command(flatten)]
        lists: ListArgs,
        #[command(flatten)]
        dns: DnsArgs,
        #[command(flatten)]
        load: LoadArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:
  blocklens completions bash > /etc/bash_completion.d/blocklens
  blocklens completions zsh > \"${fpath[1]}/_blocklens\"
  blocklens completions fish > ~/.config/fish/completions/blocklens.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `blocklens man > blocklens.1`.
    Man,
}

/// What the binary does: a command of the library, or print something
/// generated from these definitions.
pub enum Action {
    /// Run a library command, after printing these notes on stderr.
    Run(Box<Config>, Command, Vec<String>),
    /// Write this text to stdout (completions, man page).
    Print(Vec<u8>),
}

/// Parses the (normalized) arguments. A repeated option takes its last
/// value, so options written before the command can be overridden after it.
pub fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    let cmd = Cli::command()
        .args_override_self(true)
        .mut_subcommands(|s| s.args_override_self(true));
    Cli::from_arg_matches(&cmd.try_get_matches_from(args)?)
}

/// The name of the subcommand in `args` (for pointing errors at its help).
pub fn subcommand_name(args: &[OsString]) -> Option<String> {
    let cmd = Cli::command();
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| cmd.find_subcommand(a).is_some())
        .map(str::to_string)
}

/// Moves options written before the subcommand to after it, dropping the
/// ones that do not act on it (`blocklens --json --concurrency 8 spf ...`).
pub fn normalize_args(args: Vec<OsString>) -> Vec<OsString> {
    let cmd = Cli::command();
    let mut before: Vec<OsString> = Vec::new();
    let mut iter = args.into_iter();
    let mut out: Vec<OsString> = iter.next().into_iter().collect();
    let takes_value = |long: &str| {
        cmd.get_subcommands()
            .flat_map(|s| s.get_arguments())
            .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
    };
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy().into_owned();
        let Some(sub) = cmd.find_subcommand(&text) else {
            if let Some(long) = text.strip_prefix("--")
                && !long.contains('=')
                && takes_value(long)
            {
                before.push(arg);
                before.extend(iter.next());
            } else {
                before.push(arg);
            }
            continue;
        };
        out.push(arg);
        out.extend(keep_applicable(sub, before));
        out.extend(iter);
        return out;
    }
    // No subcommand: let clap report it.
    out.extend(before);
    out
}

/// The options of `before` that `sub` accepts (with their values).
fn keep_applicable(sub: &clap::Command, before: Vec<OsString>) -> Vec<OsString> {
    let mut kept = Vec::new();
    let mut iter = before.into_iter().peekable();
    while let Some(arg) = iter.next() {
        let text = arg.to_string_lossy().into_owned();
        let Some(long) = text.strip_prefix("--") else {
            // Not an option (or a short one): let clap judge it.
            kept.push(arg);
            continue;
        };
        let (name, inline) = match long.split_once('=') {
            Some((n, _)) => (n, true),
            None => (long, false),
        };
        match sub.get_arguments().find(|a| a.get_long() == Some(name)) {
            Some(a) => {
                kept.push(arg);
                if a.get_action().takes_values() && !inline {
                    kept.extend(iter.next());
                }
            }
            None if name == "help" || name == "version" => kept.push(arg),
            None => {
                // Not for this command: drop it and its value.
                let takes = Cli::command()
                    .get_subcommands()
                    .flat_map(|s| s.get_arguments())
                    .any(|a| a.get_long() == Some(name) && a.get_action().takes_values());
                if takes && !inline {
                    iter.next();
                }
            }
        }
    }
    kept
}

impl Cli {
    /// Validates everything and builds what the binary runs.
    pub fn into_action(self) -> anyhow::Result<Action> {
        let mut notes = Vec::new();
        let (config, command) = match self.command {
            CommandArgs::Completions { shell } => {
                let mut buf = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "blocklens", &mut buf);
                return Ok(Action::Print(buf));
            }
            CommandArgs::Man => {
                let mut buf = Vec::new();
                clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
                return Ok(Action::Print(buf));
            }
            CommandArgs::Check {
                targets,
                sender,
                helo,
                lists,
                dns,
                load,
                output,
            } => {
                let selected = select(&lists, true)?;
                let check = check_command(&targets, sender, helo, selected.zones)?;
                notes = selected.notes;
                let config = config(dns, Some(load), output, selected.local);
                (config, Command::Check(check))
            }
            CommandArgs::Explain {
                inputs,
                ip,
                sender,
                helo,
                offline,
                lists,
                dns,
                output,
            } => {
                let selected = select(&lists, false)?;
                let overrides = explain_overrides(ip, sender, helo, offline)?;
                let explain = explain::Explain {
                    inputs: read_inputs(&inputs)?,
                    overrides,
                    catalog: selected.catalog,
                    zones: selected.zones,
                };
                notes = selected.notes;
                (
                    config(dns, None, output, selected.local),
                    Command::Explain(explain),
                )
            }
            CommandArgs::Scan {
                sources,
                max_targets,
                only_listed,
                no_txt,
                no_progress,
                quiet,
                shard,
                lists,
                dns,
                load,
                output,
            } => {
                let selected = select(&lists, true)?;
                let (zones, left_out) = scan_zones(selected.zones, !lists.zone.is_empty(), no_txt)?;
                notes = selected.notes;
                let scan = scan::Scan {
                    blocks: sources::parse_sources(&sources, max_targets)?,
                    zones,
                    only_listed,
                    progress: !no_progress && std::io::stderr().is_terminal(),
                    quiet,
                    shard: shard.unwrap_or_default(),
                    left_out,
                };
                let config = config(dns, Some(load), output, selected.local);
                (config, Command::Scan(scan))
            }
            CommandArgs::Spf {
                domain,
                ip,
                helo,
                sender,
                dns,
                output,
            } => {
                let spf = spf_command(&domain, &ip, helo, sender)?;
                (config(dns, None, output, Vec::new()), Command::Spf(spf))
            }
            CommandArgs::Zones {
                health,
                lists,
                dns,
                load,
                output,
            } => {
                let selected = select(&lists, false)?;
                let zones = if health || !lists.zone.is_empty() || !lists.exclude_zone.is_empty() {
                    selected.zones
                } else {
                    selected.catalog.zones
                };
                notes = selected.notes;
                let config = config(dns, Some(load), output, selected.local);
                (config, Command::Zones(zones::Zones { zones, health }))
            }
        };
        Ok(Action::Run(Box::new(config), command, notes))
    }
}

/// The settings shared by every command.
fn config(
    dns: DnsArgs,
    load: Option<LoadArgs>,
    output: OutputArgs,
    local: Vec<zonedata::Zone>,
) -> Config {
    let format = match (output.json, output.format) {
        (true, _) | (false, Some(FormatArg::Json)) => Format::Json,
        (false, Some(FormatArg::Ndjson)) => Format::Ndjson,
        (false, Some(FormatArg::Human) | None) => Format::Human,
    };
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let style = Style {
        color: !output.no_color && !no_color_env && std::io::stdout().is_terminal(),
    };
    let engine = match load {
        Some(l) => EngineOptions {
            concurrency: l.concurrency.map_or(DEFAULT_CONCURRENCY, |c| c as usize),
            rate: l.rate,
        },
        None => EngineOptions::default(),
    };
    Config {
        resolver: ResolverSettings {
            servers: dns.resolver,
            timeout: dns.timeout.unwrap_or(Duration::from_secs(2)),
            attempts: dns.attempts.unwrap_or(2) as usize,
        },
        engine,
        format,
        style,
        local,
    }
}

/// The catalog: built in (or `--lists`), plus `--add-lists`.
fn catalog(lists: &ListArgs) -> anyhow::Result<Catalog> {
    let mut catalog = match &lists.lists {
        Some(path) => Catalog::load(path)?,
        None => Catalog::builtin(),
    };
    for path in &lists.add_lists {
        catalog.add_path(path)?;
    }
    Ok(catalog)
}

fn selection(lists: &ListArgs) -> Selection {
    Selection {
        zones: lists.zone.clone(),
        exclude: lists.exclude_zone.clone(),
        all: lists.all_zones,
    }
}

/// The catalog, the zones a run queries, and the local data answering some
/// of them.
struct Selected {
    catalog: Catalog,
    zones: Vec<Zone>,
    local: Vec<zonedata::Zone>,
    /// What loading the local data read, for stderr.
    notes: Vec<String>,
}

/// Selects the zones (`--zone`, `--exclude-zone`, `--all-zones`; zones
/// given `--zone-data` join the selection) and loads the local data of the
/// selected zones (catalog `data` fields and `--zone-data`). `nonempty`:
/// selecting nothing is an error.
fn select(lists: &ListArgs, nonempty: bool) -> anyhow::Result<Selected> {
    let catalog = catalog(lists)?;
    let mut specs: Vec<ZoneSpec> = lists
        .zone_data
        .iter()
        .map(|s| s.parse::<ZoneSpec>())
        .collect::<Result<_, _>>()?;
    let mut wanted = selection(lists);
    let mut zones = catalog.select(&wanted)?;
    for spec in &specs {
        if !zones.iter().any(|z| z.query_zone == spec.zone) {
            wanted.zones = vec![spec.zone.clone()];
            zones.extend(catalog.select(&wanted)?);
        }
    }
    if nonempty && zones.is_empty() {
        bail!(
            "no zone selected: the catalog has no zone that is on by default (use --zone or --all-zones)"
        );
    }
    for z in &zones {
        if let Some(data) = &z.data
            && !specs.iter().any(|s| s.zone == z.query_zone)
        {
            specs.push(format!("{}:{data}", z.query_zone).parse()?);
        }
    }
    let local = zonedata::load_zones(&specs, &zonedata::LoadOptions::default())?;
    let notes = local.iter().map(load_note).collect();
    Ok(Selected {
        catalog,
        zones,
        local,
        notes,
    })
}

/// What was read for a local zone: entries, and the lines skipped.
fn load_note(zone: &zonedata::Zone) -> String {
    let (mut entries, mut issues, mut first) = (0, 0, None);
    for d in zone.datasets() {
        entries += d.stats().entries;
        issues += d.stats().issue_count;
        first = first.or_else(|| d.stats().issues.first().map(ToString::to_string));
    }
    let skipped = match first {
        Some(f) => format!("; {issues} line(s) skipped or cut, first {f}"),
        None => String::new(),
    };
    format!(
        "{} is answered from local data: {entries} entries{skipped}",
        zone.name()
    )
}

/// A `--sender` value (a domain or an address) as a domain.
fn sender_domain(s: &str) -> anyhow::Result<String> {
    let domain = s.rsplit_once('@').map_or(s, |(_, d)| d);
    normalize_domain(domain).map_err(|e| anyhow::anyhow!("invalid --sender '{s}': {e}"))
}

/// The most targets one `check` takes (`scan` is for ranges).
const MAX_CHECK_TARGETS: usize = 100_000;

/// Targets from the command line, `@FILE` and `-`.
fn check_targets(args: &[String]) -> anyhow::Result<Vec<Target>> {
    let mut targets = Vec::new();
    let mut add = |t: Target| {
        if targets.len() >= MAX_CHECK_TARGETS {
            bail!(
                "more than {MAX_CHECK_TARGETS} targets: split the list, or use `blocklens scan` for address ranges"
            );
        }
        targets.push(t);
        Ok(())
    };
    for arg in args {
        let (reader, name): (Box<dyn std::io::BufRead>, &str) = if arg == "-" {
            (Box::new(std::io::stdin().lock()), "<stdin>")
        } else if let Some(path) = arg.strip_prefix('@') {
            let f = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
            (Box::new(std::io::BufReader::new(f)), path)
        } else {
            add(Target::parse(arg).context("invalid target")?)?;
            continue;
        };
        sources::read_lines(reader, name, |line, content| {
            let target = Target::parse(content).map_err(|e| sources::SourceError::Line {
                name: name.to_string(),
                line,
                reason: e.to_string(),
            })?;
            add(target).map_err(|e| sources::SourceError::Invalid(e.to_string()))
        })?;
    }
    Ok(targets)
}

fn check_command(
    targets: &[String],
    sender: Option<String>,
    helo: Option<String>,
    zones: Vec<Zone>,
) -> anyhow::Result<check::Check> {
    let sender = sender.as_deref().map(sender_domain).transpose()?;
    let targets = check_targets(targets)?;
    if sender.is_some()
        && let Some(d) = targets.iter().find(|t| t.kind() == TargetKind::Domain)
    {
        bail!(
            "--sender checks SPF, DMARC and reverse DNS for IP targets, and '{d}' is a domain: check domains without --sender (the sender domain itself is checked on the domain lists)"
        );
    }
    Ok(check::Check {
        targets,
        zones,
        sender,
        helo,
    })
}

/// The facts given to `explain` on the command line.
fn explain_overrides(
    ip: Option<String>,
    sender: Option<String>,
    helo: Option<String>,
    offline: bool,
) -> anyhow::Result<blocklens::explain::Overrides> {
    let ip = ip
        .map(|s| match Target::parse(&s) {
            Ok(Target::Ip(ip)) => Ok(ip),
            _ => Err(anyhow::anyhow!("invalid --ip '{s}': not an IP address")),
        })
        .transpose()?;
    let sender = sender.as_deref().map(sender_domain).transpose()?;
    Ok(blocklens::explain::Overrides {
        ip,
        sender,
        helo,
        offline,
    })
}

/// The IP zones a scan queries, and the ones left out of the default set
/// because their usage policy caps the query rate (a /24 at 5 queries/s is
/// almost a minute; a /16 is hours).
fn scan_zones(
    mut zones: Vec<Zone>,
    named: bool,
    no_txt: bool,
) -> anyhow::Result<(Vec<Zone>, Vec<Zone>)> {
    zones.retain(|z| z.targets == TargetKind::Ip);
    let mut left_out = Vec::new();
    if !named {
        (zones, left_out) = zones.into_iter().partition(|z| z.rate.is_none());
    }
    if zones.is_empty() {
        bail!("no IP zone selected (scan checks addresses; use --zone with an IP list)");
    }
    if no_txt {
        for z in &mut zones {
            z.txt = false;
        }
    }
    Ok((zones, left_out))
}

fn spf_command(
    domain: &str,
    ip: &str,
    helo: Option<String>,
    sender: Option<String>,
) -> anyhow::Result<spf::Spf> {
    let domain =
        normalize_domain(domain).map_err(|e| anyhow::anyhow!("invalid domain '{domain}': {e}"))?;
    let ip = match Target::parse(ip) {
        Ok(Target::Ip(ip)) => ip,
        _ => bail!("invalid IP address '{ip}'"),
    };
    if let Some(s) = &sender
        && !s.contains('@')
    {
        bail!("invalid --sender '{s}': expected LOCAL@DOMAIN");
    }
    Ok(spf::Spf {
        domain,
        ip,
        helo,
        sender,
    })
}

/// The most `explain` reads from one file or stdin (a mailbox of bounces;
/// each message is still at most `MAX_INPUT`).
const MAX_MAILBOX: u64 = 1 << 30;

/// Reads the explain inputs: stdin (nothing or `-`), files (an mbox is split
/// into its messages), and directories (a Maildir, or every file in it).
fn read_inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<explain::Input>> {
    use std::io::Read;
    let mut inputs = Vec::new();
    let mut files = Vec::new();
    let stdin = paths.is_empty() || paths.iter().any(|p| p == Path::new("-"));
    if stdin {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_MAILBOX + 1)
            .read_to_end(&mut buf)
            .context("cannot read stdin")?;
        if buf.len() as u64 > MAX_MAILBOX {
            bail!("stdin is larger than {} MiB", MAX_MAILBOX >> 20);
        }
        let messages = blocklens::bounce::split_mbox(&buf);
        let many = messages.len() > 1;
        for (i, bytes) in messages.into_iter().enumerate() {
            let name = many.then(|| format!("stdin#{}", i + 1));
            inputs.push(explain::Input { name, bytes });
        }
    }
    for p in paths.iter().filter(|p| *p != Path::new("-")) {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot open {}", p.display()))?;
        if meta.is_file() && meta.len() > MAX_MAILBOX {
            bail!("{} is larger than {} MiB", p.display(), MAX_MAILBOX >> 20);
        }
        files.push(p.clone());
    }
    let read = blocklens::bounce::read_paths(&files).context("cannot read the input")?;
    inputs.extend(read.into_iter().map(|(name, bytes)| explain::Input {
        name: Some(name),
        bytes,
    }));
    if inputs.is_empty() {
        bail!("no bounce to read: the directories hold no files");
    }
    Ok(inputs)
}
