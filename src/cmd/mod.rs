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

mod backup;
mod campaign;
mod campaign_due;
mod close;
mod completions;
mod config;
mod decide;
mod decide_from;
mod delegate;
mod demo;
mod escalate;
mod exceptions;
mod flags;
mod history;
mod identities;
mod import;
mod import_catalog;
#[cfg(test)]
mod import_props;
mod init;
mod items;
mod man;
mod mode;
mod pending;
mod people;
mod remediation;
mod remind;
mod report;
mod review;
mod session;
mod signoff;
mod table;
mod verify;

use crate::cli::{Cli, Command};
use crate::domain::roster::{Mode, Person};
use crate::rules::Refusal;
use crate::rules::authority::{self, Actor, Claim};
use crate::store::{Acting, Store};
use chrono::{DateTime, NaiveDate, Utc};
use color_eyre::Result;
use std::path::PathBuf;
use std::sync::OnceLock;

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
    /// `--as` or `RECERT_REVIEWER`, as given.
    given: Option<String>,
    /// Whether `--as` (or its variable) named the actor explicitly.
    pub actor_given: bool,
    /// The person and key fingerprint of a session on a shared review
    /// host (`recert session`), which establishes who acts.
    pub session: Option<(Person, String)>,
    pub now: DateTime<Utc>,
    /// The config file's settings (or the defaults) and where they came from.
    pub config: crate::config::Loaded,
    /// Who acts, established against the database when it is opened
    /// ([`Env::open`]); or why nobody is, which every command that acts
    /// refuses ([`Env::actor`]).
    established: OnceLock<std::result::Result<Actor, Refusal>>,
}

impl Env {
    pub fn from_cli(cli: &Cli) -> Result<Env> {
        let db = match &cli.db {
            Some(path) => path.clone(),
            None => default_db_path()?,
        };
        Ok(Env {
            db,
            given: cli.actor.clone(),
            actor_given: cli.actor.is_some(),
            session: None,
            now: crate::clock::now(),
            config: crate::config::load()?,
            established: OnceLock::new(),
        })
    }

    /// An invocation on `db` by `actor` (as `--as` names someone) at `now`.
    #[cfg(test)]
    pub(crate) fn new(
        db: PathBuf,
        actor: &str,
        now: DateTime<Utc>,
        config: crate::config::Loaded,
    ) -> Env {
        Env {
            db,
            given: Some(actor.to_string()),
            actor_given: true,
            session: None,
            now,
            config,
            established: OnceLock::new(),
        }
    }

    /// The invocation a review host session runs the client's command in:
    /// the session's person, established by `fingerprint`, acts; no name
    /// given or configured counts.
    pub fn for_session(&self, person: Person, fingerprint: String) -> Env {
        let mut config = self.config.clone();
        config.config.reviewer = None;
        Env {
            db: self.db.clone(),
            given: None,
            actor_given: false,
            session: Some((person, fingerprint)),
            now: self.now,
            config,
            established: OnceLock::new(),
        }
    }

    /// The same invocation with `email` named as the actor (the demo's
    /// reviewer).
    pub fn as_person(&self, email: &str) -> Env {
        Env {
            db: self.db.clone(),
            given: Some(email.to_string()),
            actor_given: true,
            session: self.session.clone(),
            now: self.now,
            config: self.config.clone(),
            established: OnceLock::new(),
        }
    }

    /// Who acts; refused (saying how to name yourself, or why recert cannot
    /// take you for who you say) when nobody is established. Known once
    /// the database is open.
    pub fn actor(&self) -> Result<&Actor> {
        match self.established.get() {
            Some(Ok(actor)) => Ok(actor),
            Some(Err(refusal)) => Err(refused(refusal.clone())),
            None => Err(color_eyre::eyre::eyre!(
                "who acts is established once the database is open"
            )),
        }
    }

    /// The name recert would take as stated, without a database to ask:
    /// what `config show` reports.
    pub fn stated_actor(&self) -> std::result::Result<Actor, Refusal> {
        self.establish_with(Mode::Personal, None, |_| None)
    }

    fn establish_with(
        &self,
        mode: Mode,
        os_person: Option<&Person>,
        registered: impl Fn(&str) -> Option<Person>,
    ) -> std::result::Result<Actor, Refusal> {
        let os_user = os_account();
        authority::establish(
            mode,
            &Claim {
                given: self.given.as_deref(),
                configured: self.config.config.reviewer.as_deref(),
                os_user: os_user.as_deref(),
                os_person,
                session: self.session.as_ref().map(|(p, key)| (p, key.as_str())),
            },
            registered,
        )
    }

    /// Establishes who acts against the database's mode and people register.
    fn establish(&self, store: &Store) -> Result<std::result::Result<Actor, Refusal>> {
        let mode = store.mode()?;
        let os_person = match os_account() {
            Some(user) => store.person_by_os_user(&user)?,
            None => None,
        };
        Ok(self.establish_with(mode, os_person.as_ref(), |email| {
            store.person(email).ok().flatten()
        }))
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

    /// Opens the database and establishes who acts in it.
    pub fn open(&self) -> Result<Store> {
        let store = Store::open(&self.db)?;
        self.adopt(&store)?;
        Ok(store)
    }

    /// Establishes who acts against `store` (once per command).
    pub fn adopt(&self, store: &Store) -> Result<()> {
        if self.established.get().is_none() {
            let established = self.establish(store)?;
            // A name recert cannot take you for is refused whatever the
            // command, reading included: a shared database answers to who
            // acts, not to who is named.
            if self.actor_given
                && let Err(refusal) = &established
                && store.mode()? == Mode::Shared
            {
                return Err(refused(refusal.clone()));
            }
            let _ = self.established.set(established);
        }
        Ok(())
    }

    /// What an event needs of its actor, now.
    pub fn acting<'a>(&self, actor: &'a Actor, at: &'a str) -> Acting<'a> {
        Acting {
            actor: &actor.email,
            via: &actor.via,
            at,
            today: self.today(),
        }
    }
}

/// A rule's refusal as the command's error: a malformed or empty name is a
/// usage error (exit 2), anything else a refusal (exit 1).
pub(crate) fn refused(refusal: Refusal) -> color_eyre::Report {
    match refusal {
        Refusal::Invalid {
            field: "as",
            message,
        } => UsageError(message).into(),
        other => CheckFailed(other.to_string()).into(),
    }
}

fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "recert").ok_or_else(|| {
        UsageError("cannot find a home directory for the database: pass --db PATH".into())
    })?;
    Ok(dirs.data_dir().join("recert.db"))
}

/// The OS account running recert, as the system knows it (not as `$USER`
/// says, which anyone can set): in a shared database it establishes who
/// acts. `$USER` and its kin are the fallback where the system has no name
/// for the account.
fn os_account() -> Option<String> {
    #[cfg(unix)]
    if let Ok(Some(user)) = nix::unistd::User::from_uid(nix::unistd::Uid::current()) {
        return Some(user.name);
    }
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok())
        .filter(|u| !u.trim().is_empty())
}

/// Whether this process runs as the OS account that owns the file `db`
/// (a review host's service account), which can read and write all of it
/// anyway.
pub(crate) fn runs_as_owner(db: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        db.metadata()
            .is_ok_and(|m| m.uid() == nix::unistd::Uid::effective().as_raw())
    }
    #[cfg(not(unix))]
    {
        let _ = db;
        false
    }
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
    dispatch(cli.command, &env)
}

/// Runs `command` for `env`: the command line's, or a review host
/// session's (`recert session`).
pub(crate) fn dispatch(command: Command, env: &Env) -> Result<()> {
    match command {
        Command::Init => init::run(env),
        Command::Import(args) => import::run(&args, env),
        Command::Campaign(command) => campaign::run(command, env),
        Command::Items(args) => items::run(&args, env),
        Command::Review(args) => review::run(&args, env),
        Command::Decide(args) => decide::run(args, env),
        Command::Signoff(args) => signoff::run(&args, env),
        Command::Close(args) => close::run(&args, env),
        Command::Report(args) => report::run(&args, env),
        Command::Config(command) => config::run(command, env),
        Command::People(command) => people::run(command, env),
        Command::Mode(args) => mode::run(&args, env),
        Command::Delegate(args) => delegate::run(&args, env),
        Command::Pending { json } => pending::run(json, env),
        Command::Remind(args) => remind::run(&args, env),
        Command::Escalate(args) => escalate::run(&args, env),
        Command::Flags { json } => flags::run(json, env),
        Command::Identities(args) => identities::run(&args, env),
        Command::Remediation(args) => remediation::run(&args, env),
        Command::Exceptions(args) => exceptions::run(&args, env),
        Command::History(args) => history::run(&args, env),
        Command::Verify(args) => verify::run(&args, env),
        Command::Demo(args) => demo::run(&args, env),
        Command::Session(args) => session::run(&args, env),
        Command::Backup(args) => backup::run(&args, env),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
    }
}
