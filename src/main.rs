//! The `recert` binary: parse the command line, run the command, map the
//! outcome to an exit code (0 success, or standard output closed by its
//! reader; 1 a failed check; 2 a usage error).

use clap::Parser;
use recert::cli::Cli;
use recert::cmd::UsageError;
use recert::domain::text::sanitize;
use recert::output::is_broken_pipe;
use std::process::ExitCode;

/// A line on standard error, or nothing when its reader has gone:
/// `eprintln!` would panic and, its panic report failing on the same pipe,
/// abort (`recert import bad.csv 2>&1 | head`). The exit code still tells.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn main() -> ExitCode {
    // SAFETY: first in main, before any other thread exists and before
    // anything has used SQLite. It cannot be refused then; if it were,
    // SQLite would only go on counting its allocations.
    let _ = unsafe { recert::store::sqlite::configure() };
    if let Err(e) = color_eyre::install() {
        say(format_args!(
            "recert: cannot install the error handler: {e}"
        ));
    }
    let cli = Cli::parse();
    // Before any command runs and before the console takes the screen.
    if let Some(warning) = recert::clock::pin_warning() {
        say(format_args!("warning: {warning}"));
    }
    match recert::cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of standard output went away (`| head`): it has what
        // it wanted; stop quietly, as ripgrep does (see recert::output).
        Err(report) if report.chain().any(is_broken_pipe) => ExitCode::SUCCESS,
        Err(report) => {
            // Errors quote names, paths and values from the data: escaped
            // like any other imported text before they reach the terminal.
            let mut chain = report
                .chain()
                .map(|e| sanitize(&e.to_string()).into_owned());
            if let Some(top) = chain.next() {
                say(format_args!("recert: {top}"));
            }
            for cause in chain {
                say(format_args!("  because: {cause}"));
            }
            if report.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
