//! Command-line definitions (clap), here, and their conversion to a
//! [`Config`] and a [`Command`] (`build`). This is the only module that
//! knows clap; it belongs to the binary.
//!
//! Each subcommand declares only the options that act on it (so its `--help`
//! lists just those), built from shared groups. Options written before the
//! subcommand (`blocklens --json check X`) are moved after it by
//! [`normalize_args`]; ones that do not act on that subcommand are dropped.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use blocklens::Config;
use blocklens::commands::Command;
use blocklens::config::{parse_duration, parse_resolver};
use blocklens::sources::{self, DEFAULT_MAX_TARGETS};

mod build;
mod watch;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Ndjson,
    /// A Nagios/Icinga plugin line with perfdata (check only).
    Nagios,
    /// Prometheus text exposition, for node_exporter's textfile collector (check only).
    Prometheus,
}

/// Watching over time.
#[derive(Debug, Args)]
#[command(next_help_heading = "Monitoring")]
struct WatchArgs {
    /// Settings from this TOML file (targets, resolvers, zones, thresholds,
    /// interval, state, notify); options given here win. Default: the first of
    /// $BLOCKLENS_CONFIG, $XDG_CONFIG_HOME/blocklens/config.toml,
    /// ~/.config/blocklens/config.toml, /etc/blocklens/config.toml.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    /// Keep every result in this SQLite database: when each listing began,
    /// what changed since the last run, `blocklens history`.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,

    /// POST a JSON event to this URL when a target becomes listed or delisted
    /// (with --state).
    #[arg(long, value_name = "URL")]
    notify: Option<String>,
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
  blocklens check --infra example.org         every address example.org's mail comes from
  blocklens check 192.0.2.10 --format nagios --warning 1 --critical 2   a Nagios/Icinga plugin
  blocklens check --config /etc/blocklens/config.toml --format prometheus   node_exporter textfile
  blocklens check @ips.txt --state state.db --only-changes   cron: output only when something changed

Exit codes: 0 clean, 1 listed (with --sender: also SPF fail or the sender domain listed),
2 bad input, 3 incomplete (some lookups gave no usable answer). --format nagios: 0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad input too). --only-changes: 1 when a block list newly
lists a target, else 0."
    )]
    Check(CheckArgs),
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
    Explain(ExplainArgs),
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
    Scan(ScanArgs),
    /// Evaluate SPF (RFC 7208) for a domain and a client IP, with a trace of every step.
    #[command(after_help = "Examples:
  blocklens spf example.org 192.0.2.10
  blocklens spf example.org 2001:db8::25 --sender bounce@example.org --helo mail.example.org --json

Exit codes: 0 evaluated (whatever the result), 2 bad input, 3 temperror (DNS gave no usable answer).")]
    Spf(SpfArgs),
    /// List the catalog; with --health, probe every zone's RFC 5782 test points.
    #[command(after_help = "Examples:
  blocklens zones
  blocklens zones --all-zones --health --resolver 127.0.0.1
  blocklens zones --json

Exit codes: 0 listed (with --health: every zone healthy), 2 bad input,
3 some zone not healthy.")]
    Zones(ZonesArgs),
    /// Re-check targets on an interval and serve Prometheus metrics on /metrics.
    #[command(
        after_help = "A scrape reads the last completed round: it never sends a DNS query. /healthz
answers 200 once a round has completed. SIGTERM or Ctrl-C stops it cleanly.

Examples:
  blocklens serve --targets /etc/blocklens/targets.txt --listen 127.0.0.1:9319 --interval 5m
  blocklens serve --config /etc/blocklens/config.toml --state /var/lib/blocklens/state.db

Exit codes: 0 stopped by a signal, 2 bad input or configuration."
    )]
    Serve(ServeArgs),
    /// Show a target's history from the state database: listed, delisted, failed checks.
    #[command(after_help = "Examples:
  blocklens history 192.0.2.10 --state /var/lib/blocklens/state.db
  blocklens history 192.0.2.10 --state state.db --json

Exit codes: 0 history shown, 2 bad input or no database, 3 nothing known of the target.")]
    History(HistoryArgs),
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

/// `check`'s arguments.
#[derive(Debug, Args)]
struct CheckArgs {
    /// IP addresses, domain names, @FILE, or - for stdin.
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,
    /// Also check every address the domain's mail comes from: its MX
    /// hosts, the addresses its SPF record authorises (whole include tree),
    /// and the domain itself on domain lists.
    #[arg(long, value_name = "DOMAIN")]
    infra: Option<String>,
    /// --format nagios: WARNING at this many block-list listings of a target.
    #[arg(long, value_name = "N")]
    warning: Option<u32>,
    /// --format nagios: CRITICAL at this many listings [default: 1].
    #[arg(long, value_name = "N")]
    critical: Option<u32>,
    /// With --state: report only targets whose listings changed since the
    /// last run; exit 1 when a block list newly lists one, else 0.
    #[arg(long, requires = "state")]
    only_changes: bool,
    #[command(flatten)]
    watch: WatchArgs,
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
}

/// `explain`'s arguments.
#[derive(Debug, Args)]
struct ExplainArgs {
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
}

/// `scan`'s arguments.
#[derive(Debug, Args)]
struct ScanArgs {
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
}

/// `spf`'s arguments.
#[derive(Debug, Args)]
struct SpfArgs {
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
}

/// `zones`'s arguments.
#[derive(Debug, Args)]
struct ZonesArgs {
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
}

/// `serve`'s arguments.
#[derive(Debug, Args)]
struct ServeArgs {
    /// A file of targets (one per line, # comments), or - for stdin.
    #[arg(long, value_name = "FILE")]
    targets: Option<String>,
    /// Where to serve /metrics [default: 127.0.0.1:9319].
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Time between the starts of two rounds, 10s to 24h [default: 5m].
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    #[command(flatten)]
    watch: WatchArgs,
    #[command(flatten)]
    lists: ListArgs,
    #[command(flatten)]
    dns: DnsArgs,
    #[command(flatten)]
    load: LoadArgs,
}

/// `history`'s arguments.
#[derive(Debug, Args)]
struct HistoryArgs {
    /// The IP or domain.
    target: String,
    /// The state database written by check --state or serve --state.
    #[arg(long, value_name = "PATH", required = true)]
    state: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
}

/// What the binary does: a command of the library, or print something
/// generated from these definitions.
pub enum Action {
    /// Run a library command, after printing these notes on stderr.
    Run(Box<(Config, Command)>, Vec<String>),
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
