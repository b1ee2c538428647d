//! `recert session --person EMAIL`: the forced command of a shared review
//! host. sshd has authenticated a key; the `authorized_keys` line it
//! matched names the key's person (`recert people authorized-keys`). The
//! person must still be in the people register, holding that key; they
//! are then established by it (`ssh_key:SHA256:…` on every event), and the
//! command the client asked for (`SSH_ORIGINAL_COMMAND`) runs within their
//! rights, if it is one a reviewer runs (`rules::session`). Without a
//! command: what waits for them, or, in a terminal, the console on it.

use super::{CheckFailed, Env, UsageError};
use crate::cli::{Cli, Command, ReviewArgs, SessionArgs};
use crate::domain::people::person_key;
use crate::domain::roster::{Mode, Person, SshKey};
use crate::domain::text::sanitize;
use crate::domain::{Field, Filter, ssh};
use crate::rules::session::{self, ALLOWED};
use crate::store::{ItemQuery, Store};
use clap::parser::ValueSource;
use clap::{ArgMatches, FromArgMatches, ValueHint};
use color_eyre::Result;
use std::io::IsTerminal;

pub fn run(args: &SessionArgs, env: &Env) -> Result<()> {
    // Whoever runs a session becomes the person it names: only the
    // service account sshd runs it as, which owns the file and could
    // write anything into it anyway. Anyone else sharing the file (people
    // established by their OS accounts) would otherwise become anyone.
    if env.db.exists() && !super::runs_as_owner(&env.db) {
        return Err(CheckFailed(
            "`recert session` is the forced command of a review host's service account, and this \
             OS account does not own the database: reach it with ssh"
                .into(),
        )
        .into());
    }
    let store = Store::open(&env.db)?;
    let email = person_key(&args.person).into_owned();
    let person = store.person(&email)?.ok_or_else(|| {
        CheckFailed(
            sanitize(&format!(
                "{email} is not in the people register: this key no longer opens a session \
             (an admin regenerates the host's authorized_keys with `recert people authorized-keys`)"
            ))
            .into_owned(),
        )
    })?;
    if store.mode()? != Mode::Shared {
        return Err(CheckFailed(
            "this database is personal, where names are taken as stated: a review host serves \
             a shared one (an admin runs `recert mode shared`)"
                .into(),
        )
        .into());
    }
    let user_auth = match std::env::var_os("SSH_USER_AUTH") {
        Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
            CheckFailed(format!(
                "cannot read sshd's record of how this session was authenticated ({}): {e}",
                sanitize(&path.to_string_lossy())
            ))
        })?),
        None => None,
    };
    let fingerprint =
        session_key(&person, args.key.as_deref(), user_auth.as_deref()).map_err(CheckFailed)?;
    let env = env.for_session(person, fingerprint);
    let command = match std::env::var("SSH_ORIGINAL_COMMAND") {
        Ok(command) => command,
        Err(std::env::VarError::NotPresent) => String::new(),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(refusal("the command is not UTF-8 text".into()));
        }
    };
    let words = session::split(&command).map_err(refusal)?;
    session::check(&words).map_err(refusal)?;
    match words.first().map(String::as_str) {
        None => return menu(&store, &env),
        Some("help") => return help(&env),
        Some(_) => {}
    }
    drop(store);
    super::dispatch(parse(&words)?, &env)
}

/// A refusal of what the client asked: one line, with what is allowed.
fn refusal(why: String) -> color_eyre::Report {
    UsageError(format!("{why}; over SSH you may run: {ALLOWED}")).into()
}

/// The fingerprint of the key that opened the session, which must be one
/// of `person`'s: what sshd says authenticated it (`ExposeAuthInfo`), else
/// the key its `authorized_keys` line names, else the person's only key.
fn session_key(
    person: &Person,
    named: Option<&str>,
    user_auth: Option<&str>,
) -> Result<String, String> {
    let not_theirs = |fingerprint: &str| {
        sanitize(&format!(
            "the key {fingerprint} is not {}'s in the people register: this key no longer opens \
             a session (an admin regenerates the host's authorized_keys with `recert people \
             authorized-keys`)",
            person.email
        ))
        .into_owned()
    };
    if let Some(info) = user_auth {
        let keys = ssh::session_keys(info);
        let Some(key) = keys.iter().find(|k| person.holds_key(&k.fingerprint())) else {
            return Err(match keys.first() {
                Some(key) => not_theirs(&key.fingerprint()),
                None => "sshd's record of this session names no public key: sessions are \
                         opened with SSH keys only"
                    .into(),
            });
        };
        let fingerprint = key.fingerprint();
        if let Some(named) = named
            && named != fingerprint
        {
            return Err(sanitize(&format!(
                "the session was opened with the key {fingerprint}, but its authorized_keys line \
                 is for {named}: the file is not recert's (regenerate it with `recert people \
                 authorized-keys`)"
            ))
            .into_owned());
        }
        return Ok(fingerprint);
    }
    if let Some(named) = named {
        return if person.holds_key(named) {
            Ok(named.to_string())
        } else {
            Err(not_theirs(named))
        };
    }
    let keys: Vec<SshKey> = person
        .ssh_keys
        .iter()
        .filter_map(|k| SshKey::parse(k).ok())
        .collect();
    match keys.as_slice() {
        [key] => Ok(key.fingerprint()),
        [] => Err(format!(
            "{} has no SSH key in the people register: nobody can be established as them here",
            person.email
        )),
        _ => Err(format!(
            "{} has {} SSH keys and nothing says which opened this session: regenerate the \
             host's authorized_keys (`recert people authorized-keys`, whose lines name their \
             key) or set `ExposeAuthInfo yes` in sshd_config",
            person.email,
            keys.len()
        )),
    }
}

/// The client's words as recert's command line, refusing any option whose
/// value is a path on the host, whatever its name.
fn parse(words: &[String]) -> Result<Command> {
    let mut cli = <Cli as clap::CommandFactory>::command();
    let argv = std::iter::once("recert").chain(words.iter().map(String::as_str));
    // Help, and words clap does not understand, end the process as they
    // do on recert's own command line (exit 0 and 2); the words hold no
    // control character (`rules::session::split`).
    let matches = cli
        .try_get_matches_from_mut(argv)
        .unwrap_or_else(|e| e.exit());
    if let Some(option) = names_a_path(&cli, &matches) {
        return Err(refusal(format!(
            "`{option}` names a file, which is not allowed over SSH"
        )));
    }
    Ok(Cli::from_arg_matches(&matches)?.command)
}

fn names_a_path(command: &clap::Command, matches: &ArgMatches) -> Option<String> {
    for arg in command.get_arguments() {
        let path = matches!(
            arg.get_value_hint(),
            ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
        );
        if path && matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            return Some(match arg.get_long() {
                Some(long) => format!("--{long}"),
                None => arg.get_id().to_string().to_uppercase(),
            });
        }
    }
    let (name, sub) = matches.subcommand()?;
    names_a_path(command.find_subcommand(name)?, sub)
}

/// Open campaigns with items waiting for the person, and how many.
fn waiting(store: &Store, email: &str) -> Result<Vec<(String, u64, chrono::NaiveDate)>> {
    let mut found = Vec::new();
    for campaign in store.campaigns()? {
        if campaign.state != crate::domain::CampaignState::Open {
            continue;
        }
        let n = store.count_items(&ItemQuery {
            campaign: campaign.id,
            filters: vec![
                Filter::new(Field::Reviewer, vec![email.to_string()]),
                Filter::new(Field::State, vec!["undecided".into(), "reassigned".into()]),
            ],
            search: None,
        })?;
        if n > 0 {
            found.push((campaign.name, n, campaign.due));
        }
    }
    Ok(found)
}

/// No command: in a terminal, the console on the first campaign with work
/// waiting; otherwise what waits, and how to open it.
fn menu(store: &Store, env: &Env) -> Result<()> {
    let Some((person, fingerprint)) = &env.session else {
        return Ok(());
    };
    let waiting = waiting(store, &person.email)?;
    if let Some((first, ..)) = waiting.first()
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
    {
        let args = ReviewArgs {
            campaign: Some(first.clone()),
            as_of: None,
        };
        return super::dispatch(Command::Review(args), env);
    }
    outln!(
        "{}",
        sanitize(&format!(
            "recert: you are {} (by the SSH key {fingerprint})",
            person.email
        ))
    )?;
    if waiting.is_empty() {
        outln!("nothing waits for you: no open campaign has an item of yours undecided")?;
    } else {
        outln!("waiting for you:")?;
        for (name, n, due) in &waiting {
            outln!(
                "  {}  {} undecided, due {due}: ssh -t HOST review {}",
                sanitize(name),
                crate::domain::text::count(*n, "item"),
                sanitize(&ssh::shell_word(name, "the name").unwrap_or_else(|_| name.clone()))
            )?;
        }
    }
    outln!("`ssh HOST help` lists what you may run")?;
    Ok(())
}

fn help(env: &Env) -> Result<()> {
    let who = env
        .session
        .as_ref()
        .map(|(p, _)| p.email.clone())
        .unwrap_or_default();
    outln!(
        "{}",
        format!(
            "recert on a review host, as {}. Run `ssh HOST COMMAND`:\n\
             \n  review [CAMPAIGN]                the console (needs `ssh -t`)\
             \n  pending                          what waits for you\
             \n  items CAMPAIGN [--where F=V]…    a campaign's items\
             \n  decide CAMPAIGN ITEM ACTION …    record a decision\
             \n  signoff CAMPAIGN …               sign your part off\
             \n  campaign list | show NAME        the campaigns\
             \n  report CAMPAIGN --format F       a report, to standard output\
             \n  verify                           check the audit chain\
             \n\nYour shell removes one level of quotes before ssh sends the command, so quote \
             notes twice:\n  ssh HOST 'decide Q4 12 attest --note \"still needed\"'\n\
             Add --help to a command for its options.",
            sanitize(&who)
        )
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DANA: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwPfk5oJSAN6n5b7Tz3sR0K6K0bGv8+4qVfPzpr2wP3 dana@laptop";
    const DANA_FP: &str = "SHA256:0YS7ACIBC+D1e5CWCUygvcgGUfu+07ZcRYD25As9fk4";

    fn dana(keys: &[&str]) -> Person {
        Person {
            ssh_keys: keys.iter().map(|k| k.to_string()).collect(),
            ..Person::new("dana@x.example")
        }
    }

    #[test]
    fn the_session_key_must_be_the_persons() {
        let auth = format!("publickey {DANA}\n");
        assert_eq!(
            session_key(&dana(&[DANA]), None, Some(&auth)),
            Ok(DANA_FP.into())
        );
        assert_eq!(
            session_key(&dana(&[DANA]), Some(DANA_FP), None),
            Ok(DANA_FP.into())
        );
        assert_eq!(session_key(&dana(&[DANA]), None, None), Ok(DANA_FP.into()));
        let err = session_key(&dana(&[]), None, Some(&auth)).unwrap_err();
        assert!(err.contains("is not dana@x.example's"), "{err}");
        let err = session_key(&dana(&[DANA]), Some("SHA256:other"), Some(&auth)).unwrap_err();
        assert!(
            err.contains("its authorized_keys line is for SHA256:other"),
            "{err}"
        );
        let err = session_key(&dana(&[DANA]), Some("SHA256:other"), None).unwrap_err();
        assert!(err.contains("SHA256:other is not dana"), "{err}");
        let err = session_key(&dana(&[]), None, None).unwrap_err();
        assert!(err.contains("has no SSH key"), "{err}");
        let err = session_key(&dana(&[DANA]), None, Some("password\n")).unwrap_err();
        assert!(err.contains("names no public key"), "{err}");
    }

    #[test]
    fn options_naming_a_file_are_refused_whatever_their_name() {
        let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        let err = parse(&words("report Q4 --format csv --out x.csv")).unwrap_err();
        assert!(err.to_string().contains("`--out` names a file"), "{err}");
        assert!(parse(&words("report Q4 --format csv")).is_ok());
    }
}
