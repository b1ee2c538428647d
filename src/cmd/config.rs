//! `recert config show | init`: the effective policy and reviewer and where
//! they came from, and the commented default config file.

use super::{Env, UsageError};
use crate::cli::ConfigCommand;
use crate::config;
use crate::domain::text::sanitize;
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use std::path::Path;

pub fn run(command: ConfigCommand, env: &Env) -> Result<()> {
    match command {
        ConfigCommand::Show { json } => show(json, env),
        ConfigCommand::Init => init(Some(&env.db)),
    }
}

fn show(json: bool, env: &Env) -> Result<()> {
    let loaded = &env.config;
    if json {
        let value = serde_json::json!({
            "origin": loaded.origin,
            "reviewer": loaded.config.reviewer,
            "acting_reviewer": env.stated_actor().ok().map(|a| a.email),
            "policy": loaded.config.policy,
        });
        super::print_json(&value)?;
        return Ok(());
    }
    let stated = env.stated_actor().map(|a| a.email);
    let reviewer = match (&loaded.config.reviewer, stated) {
        (_, Err(nobody)) => format!("nobody: {nobody}"),
        (Some(_), Ok(actor)) if !env.actor_given => format!("{actor} (from the config)"),
        (Some(r), Ok(actor)) => format!("{r} (overridden by --as or RECERT_REVIEWER: {actor})"),
        (None, Ok(actor)) if env.actor_given => format!("{actor} (from --as or RECERT_REVIEWER)"),
        (None, Ok(actor)) => format!("{actor} (the OS user; set reviewer in the config)"),
    };
    let text = format!(
        "# config: {}\n# acting reviewer: {reviewer}\n# `recert flags` lists the rules these settings drive.\n\n{}",
        loaded.origin.describe(),
        config::to_toml(&loaded.config)
    );
    out!("{}", crate::domain::text::sanitize_multiline(&text))?;
    Ok(())
}

/// Writes the default config where recert will look for it, owner-only
/// (and any directory it creates for it), never over an existing file nor
/// over the database `db` or the files SQLite keeps beside it.
pub(super) fn init(db: Option<&Path>) -> Result<()> {
    let (path, _) = config::location();
    let path = path.ok_or_else(|| {
        UsageError(format!(
            "cannot find a config directory: set {} to the file to write",
            config::ENV
        ))
    })?;
    let shown = sanitize(&path.display().to_string()).into_owned();
    if let Some(db) = db {
        crate::files::check_target(&path, db, "the config")?;
    }
    if path.symlink_metadata().is_ok() {
        return Err(UsageError(format!(
            "{shown} exists; edit it, or remove it first to start from the defaults"
        ))
        .into());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::files::create_private_dirs(parent)
            .wrap_err_with(|| format!("cannot create {shown}"))?;
    }
    crate::files::create_private_file(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, config::DEFAULT_TEXT.as_bytes()))
        .wrap_err_with(|| format!("cannot write {shown}"))?;
    outln!("wrote the default config to {shown}; edit it, then `recert config show`")?;
    Ok(())
}
