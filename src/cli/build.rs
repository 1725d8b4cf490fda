//! From parsed arguments to what the binary runs: the catalog selection,
//! local zone data, targets and inputs read from files, the configuration
//! file and `BLOCKLENS_RESOLVER`, each command's validated inputs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::CommandFactory;

use blocklens::Config;
use blocklens::catalog::{Catalog, Selection, Zone};
use blocklens::commands::{Command, check, explain, history, scan, serve, spf, zones};
use blocklens::config::{DEFAULT_CONCURRENCY, EngineOptions, Format, Style};
use blocklens::dns::ResolverSettings;
use blocklens::sources;
use blocklens::target::{Target, TargetKind, normalize_domain};
use blocklens::zonedata::{self, ZoneSpec};

use super::{Action, Cli, CommandArgs, DnsArgs, FormatArg, ListArgs, LoadArgs, OutputArgs, watch};

impl Cli {
    /// Validates everything and builds what the binary runs.
    pub fn into_action(self) -> anyhow::Result<Action> {
        let (config, command, notes) = match self.command {
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
            CommandArgs::Check(a) => check_command(a)?,
            CommandArgs::Serve(a) => serve_command(a)?,
            CommandArgs::History(a) => history_command(a)?,
            CommandArgs::Explain(a) => explain_command(a)?,
            CommandArgs::Scan(a) => scan_command(a)?,
            CommandArgs::Spf(a) => spf_command(a)?,
            CommandArgs::Zones(a) => zones_command(a)?,
        };
        Ok(Action::Run(Box::new((config, command)), notes))
    }
}

/// What a command's arguments build: its settings, its inputs, and notes
/// for stderr.
type Built = (Config, Command, Vec<String>);

fn check_command(a: super::CheckArgs) -> anyhow::Result<Built> {
    let super::CheckArgs {
        targets,
        infra,
        warning,
        critical,
        only_changes,
        watch,
        sender,
        helo,
        mut lists,
        mut dns,
        mut load,
        output,
    } = a;
    let file = watch::config_file(&watch)?;
    watch::apply_env(&mut dns)?;
    if let Some(f) = &file {
        watch::apply_file(f, &mut dns, &mut lists, &mut load);
    }
    let selected = select(&lists, true)?;
    let mut check = check_inputs(&targets, sender, helo, selected.zones)?;
    if check.targets.is_empty() && infra.is_none() {
        check.targets = file.as_ref().map(|f| f.targets.clone()).unwrap_or_default();
    }
    if check.targets.is_empty() && infra.is_none() {
        bail!(
            "no TARGET: give IPs or domains, @FILE, -, --infra DOMAIN, or targets in the configuration file (see blocklens check --help)"
        );
    }
    check.infra = infra;
    check.state = watch
        .state
        .clone()
        .or(file.as_ref().and_then(|f| f.state.clone()));
    check.notify = watch::notify(&watch, file.as_ref())?;
    if check.notify.is_some() && check.state.is_none() {
        bail!("--notify needs --state: the events sent are changes since the last run");
    }
    check.only_changes = only_changes;
    let notes = selected.notes;
    let mut config = config(dns, Some(load), output, selected.local)?;
    config.thresholds = watch::thresholds(warning, critical, file.as_ref())?;
    Ok((config, Command::Check(check), notes))
}

fn serve_command(a: super::ServeArgs) -> anyhow::Result<Built> {
    let super::ServeArgs {
        targets,
        listen,
        interval,
        watch,
        mut lists,
        mut dns,
        mut load,
    } = a;
    let file = watch::config_file(&watch)?;
    watch::apply_env(&mut dns)?;
    if let Some(f) = &file {
        watch::apply_file(f, &mut dns, &mut lists, &mut load);
    }
    let selected = select(&lists, true)?;
    let (listen, interval) = watch::serve_timing(listen, interval.as_deref(), file.as_ref())?;
    let serve = serve::Serve {
        targets: watch::serve_targets(targets.as_deref(), file.as_ref())?,
        zones: selected.zones,
        listen,
        interval,
        state: watch
            .state
            .clone()
            .or(file.as_ref().and_then(|f| f.state.clone())),
        notify: watch::notify(&watch, file.as_ref())?,
    };
    let notes = selected.notes;
    let output = OutputArgs {
        format: None,
        json: false,
        no_color: true,
    };
    let config = config(dns, Some(load), output, selected.local)?;
    Ok((config, Command::Serve(serve), notes))
}

fn history_command(a: super::HistoryArgs) -> anyhow::Result<Built> {
    let super::HistoryArgs {
        target,
        state,
        output,
    } = a;
    plain_output(&output, "history")?;
    let target = Target::parse(&target)
        .context("invalid target")?
        .to_string();
    let history = history::History { target, state };
    let dns = DnsArgs {
        resolver: Vec::new(),
        timeout: None,
        attempts: None,
    };
    let notes = Vec::new();
    Ok((
        config(dns, None, output, Vec::new())?,
        Command::History(history),
        notes,
    ))
}

fn explain_command(a: super::ExplainArgs) -> anyhow::Result<Built> {
    let super::ExplainArgs {
        inputs,
        ip,
        sender,
        helo,
        offline,
        lists,
        mut dns,
        output,
    } = a;
    plain_output(&output, "explain")?;
    watch::apply_env(&mut dns)?;
    let selected = select(&lists, false)?;
    let overrides = explain_overrides(ip, sender, helo, offline)?;
    let explain = explain::Explain {
        inputs: read_inputs(&inputs)?,
        overrides,
        catalog: selected.catalog,
        zones: selected.zones,
    };
    let notes = selected.notes;
    Ok((
        config(dns, None, output, selected.local)?,
        Command::Explain(explain),
        notes,
    ))
}

fn scan_command(a: super::ScanArgs) -> anyhow::Result<Built> {
    let super::ScanArgs {
        sources,
        max_targets,
        only_listed,
        no_txt,
        no_progress,
        quiet,
        shard,
        lists,
        mut dns,
        load,
        output,
    } = a;
    plain_output(&output, "scan")?;
    watch::apply_env(&mut dns)?;
    let selected = select(&lists, true)?;
    let (zones, left_out) = scan_zones(selected.zones, !lists.zone.is_empty(), no_txt)?;
    let notes = selected.notes;
    let scan = scan::Scan {
        blocks: sources::parse_sources(&sources, max_targets)?,
        zones,
        only_listed,
        progress: !no_progress && std::io::stderr().is_terminal(),
        quiet,
        shard: shard.unwrap_or_default(),
        left_out,
    };
    let config = config(dns, Some(load), output, selected.local)?;
    Ok((config, Command::Scan(scan), notes))
}

fn spf_command(a: super::SpfArgs) -> anyhow::Result<Built> {
    let super::SpfArgs {
        domain,
        ip,
        helo,
        sender,
        mut dns,
        output,
    } = a;
    plain_output(&output, "spf")?;
    watch::apply_env(&mut dns)?;
    let spf = spf_inputs(&domain, &ip, helo, sender)?;
    let notes = Vec::new();
    Ok((
        config(dns, None, output, Vec::new())?,
        Command::Spf(spf),
        notes,
    ))
}

fn zones_command(a: super::ZonesArgs) -> anyhow::Result<Built> {
    let super::ZonesArgs {
        health,
        lists,
        mut dns,
        load,
        output,
    } = a;
    plain_output(&output, "zones")?;
    watch::apply_env(&mut dns)?;
    let selected = select(&lists, false)?;
    let zones = if health || !lists.zone.is_empty() || !lists.exclude_zone.is_empty() {
        selected.zones
    } else {
        selected.catalog.zones
    };
    let notes = selected.notes;
    let config = config(dns, Some(load), output, selected.local)?;
    Ok((
        config,
        Command::Zones(zones::Zones { zones, health }),
        notes,
    ))
}

/// The settings shared by every command.
fn config(
    dns: DnsArgs,
    load: Option<LoadArgs>,
    output: OutputArgs,
    local: Vec<zonedata::Zone>,
) -> anyhow::Result<Config> {
    let format = match (output.json, output.format) {
        (true, _) | (false, Some(FormatArg::Json)) => Format::Json,
        (false, Some(FormatArg::Ndjson)) => Format::Ndjson,
        (false, Some(FormatArg::Human) | None) => Format::Human,
        (false, Some(FormatArg::Nagios)) => Format::Nagios,
        (false, Some(FormatArg::Prometheus)) => Format::Prometheus,
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
    Ok(Config {
        resolver: ResolverSettings {
            servers: dns.resolver,
            timeout: dns.timeout.unwrap_or(Duration::from_secs(2)),
            attempts: dns.attempts.unwrap_or(2) as usize,
        },
        engine,
        format,
        style,
        local,
        thresholds: Default::default(),
    })
}

/// `--format nagios` and `--format prometheus` describe a check of targets:
/// other commands refuse them.
fn plain_output(output: &OutputArgs, command: &str) -> anyhow::Result<()> {
    if let Some(f @ (FormatArg::Nagios | FormatArg::Prometheus)) = output.format {
        let name = if f == FormatArg::Nagios {
            "nagios"
        } else {
            "prometheus"
        };
        bail!(
            "--format {name} is for check (and serve's /metrics), not {command}: use human, json or ndjson"
        );
    }
    Ok(())
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
pub(super) fn check_targets(args: &[String]) -> anyhow::Result<Vec<Target>> {
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

fn check_inputs(
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
        ..check::Check::default()
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

fn spf_inputs(
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
