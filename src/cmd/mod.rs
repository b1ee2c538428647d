//! One module per subcommand, each with a `run` that does its work through
//! the store and prints for a person (or JSON for a program). Errors here
//! decide the exit code: usage errors 2, everything else 1 (a reader of
//! standard output gone away is no error: see `crate::output`).

/// `println!` that returns the error instead of panicking: standard output
/// closed by its reader ends the command quietly (see `crate::output`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` that returns the error instead of panicking, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `eprintln!` that never panics: with standard error closed by its reader
/// (`recert import bad.csv 2>&1 | head`), `eprintln!` panics, the panic
/// report fails on the same pipe, and the process aborts. What a command
/// says there is for a person who has gone; its exit code still says how
/// it ended.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod campaign;
mod close;
mod completions;
mod config;
mod decide;
mod demo;
mod exceptions;
mod flags;
mod identities;
mod import;
#[cfg(test)]
mod import_props;
mod init;
mod items;
mod man;
mod remediation;
mod report;
mod review;
mod signoff;
mod table;
mod verify;

use crate::cli::{Cli, Command};
use crate::domain::people::person_key;
use crate::store::Store;
use chrono::{DateTime, NaiveDate, Utc};
use color_eyre::Result;
use std::path::PathBuf;

/// The command line was understood but asks for something malformed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A check or validation failed; what failed has been printed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckFailed(pub String);

/// What every command needs to know about its invocation.
pub struct Env {
    pub db: PathBuf,
    /// Who acts, as people are kept (`person_key`); or why nobody is
    /// known, which every command that acts refuses (`Env::actor`).
    actor: std::result::Result<String, String>,
    /// Whether `--as` (or its variable) named the actor explicitly.
    pub actor_given: bool,
    pub now: DateTime<Utc>,
    /// The config file's settings (or the defaults) and where they came from.
    pub config: crate::config::Loaded,
}

/// How a person names themselves, said wherever nobody is known.
const NAME_YOURSELF: &str = "name yourself with --as EMAIL, RECERT_REVIEWER=EMAIL or \
                             reviewer = \"EMAIL\" in the config";

impl Env {
    pub fn from_cli(cli: &Cli) -> Result<Env> {
        let db = match &cli.db {
            Some(path) => path.clone(),
            None => default_db_path()?,
        };
        let config = crate::config::load()?;
        let actor_given = cli.actor.is_some();
        // Every event records its actor, and self-review and authority are
        // judged by it: an empty name is refused rather than recorded as
        // somebody called "unknown".
        let actor = match &cli.actor {
            Some(given) => Some(person_key(given).into_owned())
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    format!("--as (or RECERT_REVIEWER) is empty: who acts must be known; {NAME_YOURSELF}")
                })
                .and_then(|a| readable(a, "--as (or RECERT_REVIEWER)")),
            None => config
                .config
                .reviewer
                .as_deref()
                .map(|r| person_key(r).into_owned())
                .or_else(os_user)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    format!(
                        "who acts must be known, and neither --as, RECERT_REVIEWER, the config's \
                         reviewer nor the OS user ($USER) names anyone: {NAME_YOURSELF}"
                    )
                })
                .and_then(|a| readable(a, "the config's reviewer (or $USER)")),
        };
        Ok(Env {
            db,
            actor,
            actor_given,
            now: crate::clock::now(),
            config,
        })
    }

    /// Who acts; a usage error naming how to say it when nobody is known.
    pub fn actor(&self) -> Result<&str> {
        self.actor
            .as_deref()
            .map_err(|why| UsageError(why.clone()).into())
    }

    /// The policy new campaigns get: the config file's, or the defaults.
    pub fn policy(&self) -> &crate::domain::Policy {
        &self.config.config.policy
    }

    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }

    pub fn now_stamp(&self) -> String {
        crate::clock::stamp(self.now)
    }

    pub fn open(&self) -> Result<Store> {
        Ok(Store::open(&self.db)?)
    }
}

fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "recert").ok_or_else(|| {
        UsageError("cannot find a home directory for the database: pass --db PATH".into())
    })?;
    Ok(dirs.data_dir().join("recert.db"))
}

/// Refuses a name holding a control or a character that draws nothing:
/// recorded as the actor, it would be somebody else who looks the same.
fn readable(actor: String, given_as: &str) -> std::result::Result<String, String> {
    if crate::domain::text::draws_as_is(&actor) {
        return Ok(actor);
    }
    Err(format!(
        "{given_as} \"{}\" holds a control character or one that draws nothing: who acts must \
         be named as they read; {NAME_YOURSELF}",
        crate::domain::text::sanitize(&actor)
    ))
}

fn os_user() -> Option<String> {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok())
        .map(|u| person_key(&u).into_owned())
        .filter(|u| !u.is_empty())
}

/// Parses a YYYY-MM-DD argument, naming the option when it is malformed
/// or implausible.
pub(crate) fn day_arg(option: &str, text: &str) -> Result<NaiveDate> {
    use crate::domain::date::{StampError, parse_input_day};
    parse_input_day(text).map_err(|e| {
        UsageError(match e {
            StampError::Malformed(_) => format!("{option} {text:?}: expected a date as YYYY-MM-DD"),
            StampError::OutOfRange(_) => format!("{option} {e}"),
        })
        .into()
    })
}

/// Prints `value` as pretty JSON; characters a terminal would act on are
/// written as `\uXXXX` escapes, which JSON reads back as the same text.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    outln!("{}", crate::domain::text::json_for_terminal(&json))?;
    Ok(())
}

pub(crate) fn filters_arg(texts: &[String]) -> Result<Vec<crate::domain::Filter>> {
    texts
        .iter()
        .map(|t| crate::domain::Filter::parse(t).map_err(|e| UsageError(e.to_string()).into()))
        .collect()
}

pub fn run(cli: Cli) -> Result<()> {
    // Writing the config file must work while there is none to read, and
    // describing the command line needs neither config nor database.
    match &cli.command {
        Command::Config(crate::cli::ConfigCommand::Init) => {
            let db = cli.db.clone().or_else(|| default_db_path().ok());
            return config::init(db.as_deref());
        }
        Command::Completions(args) => return completions::run(args),
        Command::Man(args) => return man::run(args),
        _ => {}
    }
    let env = Env::from_cli(&cli)?;
    match cli.command {
        Command::Init => init::run(&env),
        Command::Import(args) => import::run(&args, &env),
        Command::Campaign(command) => campaign::run(command, &env),
        Command::Items(args) => items::run(&args, &env),
        Command::Review(args) => review::run(&args, &env),
        Command::Decide(args) => decide::run(args, &env),
        Command::Signoff(args) => signoff::run(&args, &env),
        Command::Close(args) => close::run(&args, &env),
        Command::Report(args) => report::run(&args, &env),
        Command::Config(command) => config::run(command, &env),
        Command::Flags { json } => flags::run(json, &env),
        Command::Identities(args) => identities::run(&args, &env),
        Command::Remediation(args) => remediation::run(&args, &env),
        Command::Exceptions(args) => exceptions::run(&args, &env),
        Command::Verify(args) => verify::run(&args, &env),
        Command::Demo(args) => demo::run(&args, &env),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
    }
}
