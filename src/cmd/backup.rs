//! `recert backup FILE`: a consistent copy of the database, taken while
//! reviewers work (SQLite's online backup), created owner-only, then
//! verified as `recert verify` verifies the database. Never over an
//! existing file, and never over the database or a file SQLite keeps
//! beside it. In a shared database, an admin's or the service account's
//! (the file's owner, who can read every page of it anyway).

use super::{CheckFailed, Env, UsageError, refused};
use crate::cli::BackupArgs;
use crate::domain::roster::Mode;
use crate::domain::text::sanitize;
use crate::files::check_target;
use crate::rules::authority;
use crate::store::Store;
use color_eyre::Result;
use color_eyre::eyre::WrapErr;

const WHAT: &str = "the backup";

pub fn run(args: &BackupArgs, env: &Env) -> Result<()> {
    let target = args.file.as_path();
    let shown = sanitize(&target.display().to_string()).into_owned();
    check_target(target, &env.db, WHAT)?;
    if target.symlink_metadata().is_ok() {
        return Err(UsageError(format!(
            "{shown} exists: a backup goes to a new file, and recert never writes over one; \
             nothing was written"
        ))
        .into());
    }
    let store = env.open()?;
    if store.mode()? == Mode::Shared && !super::runs_as_owner(&env.db) {
        authority::require_admin(Mode::Shared, env.actor()?, "taking a backup").map_err(refused)?;
    }
    let copy = crate::files::private_temp_beside(target, ".recert-backup-")
        .wrap_err_with(|| format!("cannot write {shown}"))?;
    store
        .backup_into(copy.path())
        .wrap_err_with(|| format!("cannot copy the database to {shown}"))?;
    drop(store);
    outln!("copied the database to {shown}; the copy:")?;
    let verified = {
        let copied = Store::open(copy.path())?;
        super::verify::check(&copied, &[], false)
    };
    // Again just before the rename: what is at the path may have changed
    // while the copy was taken.
    check_target(target, &env.db, WHAT)?;
    copy.persist_noclobber(target)
        .map_err(|e| e.error)
        .wrap_err_with(|| format!("cannot write {shown}"))?;
    verified.map_err(|e| {
        CheckFailed(format!(
            "{shown} was written, but the copy does not verify ({e}): neither does the database"
        ))
    })?;
    Ok(())
}
