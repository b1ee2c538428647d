//! `recert report`: write a campaign's report to a file (owner-only) or
//! standard output.

use super::Env;
use crate::cli::{ReportArgs, ReportFormat};
use crate::domain::text::sanitize;
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use std::io::Write;
use std::path::Path;

pub fn run(args: &ReportArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let campaign = store.campaign(&args.campaign)?;
    let write = |out: &mut dyn Write| -> Result<u64> {
        match args.format {
            ReportFormat::Csv => crate::report::csv::write(&store, &campaign, out),
        }
        .map_err(|e| eyre!("{e}"))
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let shown = sanitize(&path.display().to_string()).into_owned();
            let file = create_owner_only(path).wrap_err_with(|| format!("cannot write {shown}"))?;
            let mut out = std::io::BufWriter::new(file);
            let n = write(&mut out)?;
            out.flush()?;
            eprintln!("wrote {n} items to {shown}");
        }
    }
    Ok(())
}

/// Reports hold who-has-what: readable by their owner only.
pub(crate) fn create_owner_only(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}
