//! `recert man`: the manual page, generated from the command line's own
//! definition (clap_mangen), with the sections clap does not know about:
//! the environment, the files and the exit status.

use crate::cli::{Cli, ManArgs};
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use std::io::Write;
use std::path::Path;

pub fn run(args: &ManArgs) -> Result<()> {
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    match &args.out_dir {
        None => {
            let mut page = Vec::new();
            main_page(&cli, &mut page)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&page)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
            let mut page = Vec::new();
            main_page(&cli, &mut page)?;
            write_page(dir, &Man::new(cli.clone()).get_filename(), &page)?;
            let written = 1 + subcommand_pages(&cli, dir)?;
            let mut out = std::io::stdout().lock();
            let shown = crate::domain::text::sanitize(&dir.display().to_string()).into_owned();
            writeln!(out, "{written} pages written to {shown}")?;
        }
    }
    Ok(())
}

/// recert(1): what clap_mangen renders, with ENVIRONMENT, FILES and EXIT
/// STATUS before the version.
fn main_page(cli: &clap::Command, out: &mut dyn Write) -> Result<()> {
    let man = Man::new(cli.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    extra_sections().to_writer(out)?;
    man.render_version_section(out)?;
    Ok(())
}

fn extra_sections() -> Roff {
    let mut roff = Roff::new();
    let entry = |roff: &mut Roff, term: &str, text: &str| {
        roff.control("TP", [])
            .text([bold(term)])
            .text([roman(text)]);
    };
    roff.control("SH", ["ENVIRONMENT"]);
    entry(&mut roff, "RECERT_DB", "The database file, as --db.");
    entry(
        &mut roff,
        "RECERT_REVIEWER",
        "Who is acting, as --as; without either, the config file's reviewer, else the OS user name.",
    );
    entry(
        &mut roff,
        "RECERT_CONFIG",
        "The config file to read instead of the one in the platform config directory.",
    );
    entry(
        &mut roff,
        "NO_COLOR",
        "Set to anything but empty: the console draws without colours.",
    );
    roff.control("SH", ["FILES"]);
    entry(
        &mut roff,
        "~/.local/share/recert/recert.db",
        "The database when neither --db nor RECERT_DB names one (on Linux; $XDG_DATA_HOME moves it).",
    );
    entry(
        &mut roff,
        "~/.config/recert/config.toml",
        "The config file (on Linux; $XDG_CONFIG_HOME moves it). recert config init writes the commented defaults.",
    );
    roff.control("SH", ["EXIT STATUS"]);
    entry(&mut roff, "0", "Success.");
    entry(
        &mut roff,
        "1",
        "A check or validation failed; the message says what and where.",
    );
    entry(&mut roff, "2", "A usage error.");
    roff
}

/// recert-import(1), recert-campaign-new(1), …: one page per subcommand at
/// every depth, as the main page's SUBCOMMANDS section names them.
fn subcommand_pages(cmd: &clap::Command, dir: &Path) -> Result<usize> {
    let mut written = 0;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = Man::new(sub.clone());
        let mut page = Vec::new();
        man.render(&mut page)?;
        write_page(dir, &man.get_filename(), &page)?;
        written += 1 + subcommand_pages(sub, dir)?;
    }
    Ok(written)
}

fn write_page(dir: &Path, name: &str, page: &[u8]) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, page).wrap_err_with(|| format!("cannot write {}", path.display()))
}
