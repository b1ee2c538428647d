//! `recert completions SHELL`: the shell's completion script, generated
//! from the command line's own definition so it names every subcommand and
//! option this build has.

use crate::cli::{Cli, CompletionsArgs};
use clap::CommandFactory;
use color_eyre::Result;
use std::io::Write;

pub fn run(args: &CompletionsArgs) -> Result<()> {
    // Generated into memory first: clap_complete panics when its writer
    // fails, and a closed pipe should be an error, not a panic.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "recert", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}
