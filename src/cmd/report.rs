//! `recert report`: write a campaign's report (CSV, JSON, Markdown or
//! HTML) to standard output or to a file created owner-only. A file appears
//! complete or not at all: it is written beside its target and renamed.

use super::Env;
use crate::cli::{ReportArgs, ReportFormat};
use crate::domain::text::sanitize;
use crate::report::{Format, Generated};
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use std::io::{IsTerminal, Write};
use std::path::Path;

pub fn run(args: &ReportArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    // Fail on an unknown campaign before creating any file.
    store.campaign(&args.campaign)?;
    let format = match args.format {
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Json => Format::Json,
        ReportFormat::Md => Format::Markdown,
        ReportFormat::Html => Format::Html,
    };
    let generated = Generated {
        at: env.now_stamp(),
        by: env.actor.clone(),
    };
    let write = |out: &mut dyn Write, to_terminal: bool| -> Result<u64> {
        crate::report::write(format, &store, &args.campaign, &generated, to_terminal, out)
            .map_err(|e| eyre!("{e}"))
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let to_terminal = stdout.is_terminal();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out, to_terminal)?;
            out.flush()?;
        }
        Some(path) => {
            let shown = sanitize(&path.display().to_string()).into_owned();
            let mut file =
                owner_only_temp(path).wrap_err_with(|| format!("cannot write {shown}"))?;
            let n = {
                let mut out = std::io::BufWriter::new(file.as_file_mut());
                let n = write(&mut out, false)?;
                out.flush()?;
                n
            };
            file.as_file().sync_all()?;
            file.persist(path)
                .wrap_err_with(|| format!("cannot write {shown}"))?;
            eprintln!("wrote {n} items to {shown}");
        }
    }
    Ok(())
}

/// A temporary file beside `path`, readable by its owner only (reports hold
/// who-has-what), to be renamed over it once complete.
fn owner_only_temp(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file = tempfile::Builder::new()
        .prefix(".recert-report-")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}
