//! The `blocklens` binary: parse arguments, build a Config, run, map to an
//! exit code. Errors are one line on stderr; a broken pipe is not an error.

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use blocklens::{ExitStatus, RunError};

/// `--format nagios` was asked for: even bad input must be a plugin's
/// UNKNOWN (one line on stdout, exit 3), as Nagios and Icinga expect.
static PLUGIN: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os().collect());
    let plugin = args
        .windows(2)
        .any(|w| w[0] == "--format" && w[1] == "nagios")
        || args.iter().any(|a| a == "--format=nagios");
    PLUGIN.store(plugin, Ordering::Relaxed);
    let help = match cli::subcommand_name(&args) {
        Some(sub) => format!("blocklens {sub} --help"),
        None => "blocklens --help".to_string(),
    };
    let cli = match cli::parse(&args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e, &help),
    };
    let (config, command) = match cli.into_action() {
        Ok(cli::Action::Run(run, notes)) => {
            for note in notes {
                let _ = writeln!(
                    io::stderr(),
                    "blocklens: note: {}",
                    blocklens::render::sanitize(&note)
                );
            }
            *run
        }
        Ok(cli::Action::Print(text)) => {
            let mut out = io::stdout().lock();
            return match out.write_all(&text).and_then(|()| out.flush()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    fail(&format!("cannot write output: {e}"))
                }
                _ => ExitCode::SUCCESS,
            };
        }
        Err(e) => return fail(&format!("{e:#}")),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let result = runtime.block_on(blocklens::run(&config, &command, &mut out, &mut err));
    match result {
        Ok(status) => code(status),
        Err(RunError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

/// clap's errors as one line pointing at the command's help (help and
/// version requests are not errors).
fn clap_error(e: clap::Error, help: &str) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // `blocklens` alone: the help, on stderr, as a usage error.
        let _ = write!(io::stderr(), "{}", e.render());
        return code(ExitStatus::Usage);
    }
    // One line naming the problem, not clap's multi-line usage block.
    // clap's message may span lines before its usage block: join them.
    let text = e.to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.trim_start_matches("error: ");
    fail(&format!("{message} (see {help})"))
}

fn code(status: ExitStatus) -> ExitCode {
    ExitCode::from(status.code())
}

#[allow(clippy::print_stderr)]
fn fail(message: &str) -> ExitCode {
    if PLUGIN.load(Ordering::Relaxed) {
        let line = blocklens::monitor::nagios::bad_input(message);
        let _ = io::stdout().write_all(line.text.as_bytes());
        return code(ExitStatus::Plugin(line.state.exit_code() as u8));
    }
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "blocklens: error: {}",
        blocklens::render::sanitize(message)
    );
    code(ExitStatus::Usage)
}
