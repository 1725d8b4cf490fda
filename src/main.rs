//! The `blocklens` binary: parse arguments, build a Config, run, map to an
//! exit code. Errors are one line on stderr; a broken pipe is not an error.

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use blocklens::{ExitStatus, RunError};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
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
            return fail(&format!("{message} (see blocklens --help)"));
        }
    };
    let (config, command) = match cli.into_config() {
        Ok(c) => c,
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

fn code(status: ExitStatus) -> ExitCode {
    ExitCode::from(status as u8)
}

#[allow(clippy::print_stderr)]
fn fail(message: &str) -> ExitCode {
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "blocklens: error: {}",
        blocklens::render::sanitize(message)
    );
    code(ExitStatus::Usage)
}
