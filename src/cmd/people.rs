//! `recert people`: the people register. `import` and `add` record people
//! (all-or-nothing, problems as `FILE:LINE: field: message`), `remove`
//! takes one out, `list` shows them. Every change is an audited event, and
//! in a shared database an admin's.

use super::table::Table;
use super::{CheckFailed, Env, UsageError, refused};
use crate::cli::{PeopleAddArgs, PeopleCommand};
use crate::domain::roster::{Person, Role, SshKey};
use crate::domain::text::{count, sanitize};
use crate::import::people::{self, check_email, check_os_user};
use crate::rules::authority::{self, Actor};
use crate::store::{PeopleCounts, Store};
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use std::path::Path;

/// Problems printed in full before the rest are counted.
const SHOWN_PROBLEMS: usize = 20;

pub fn run(command: PeopleCommand, env: &Env) -> Result<()> {
    match command {
        PeopleCommand::Import { file, dry_run } => import(&file, dry_run, env),
        PeopleCommand::Add(args) => add(&args, env),
        PeopleCommand::List { json } => list(json, env),
        PeopleCommand::Remove { email } => remove(&email, env),
        PeopleCommand::AuthorizedKeys { program } => authorized_keys(program.as_deref(), env),
    }
}

/// The store and the admin acting on the register.
fn as_admin<'e>(env: &'e Env, what: &str) -> Result<(Store, &'e Actor)> {
    let store = env.open()?;
    let actor = env.actor()?;
    authority::require_admin(store.mode()?, actor, what).map_err(refused)?;
    Ok((store, actor))
}

/// The register as it would be after `changes`: whether a shared database
/// still has an admin it can establish, and that an OS account or a key
/// is nobody else's already.
fn check_against_register(store: &Store, changes: &[Person], removed: &[&str]) -> Result<()> {
    let mut after: Vec<Person> = store
        .people()?
        .into_iter()
        .filter(|p| !removed.contains(&p.email.as_str()))
        .filter(|p| !changes.iter().any(|c| c.email == p.email))
        .collect();
    for person in changes {
        for other in &after {
            if let (Some(a), Some(b)) = (&person.os_user, &other.os_user)
                && a == b
            {
                return Err(CheckFailed(format!(
                    "the OS account {a} is {}'s already: nothing was changed",
                    other.email
                ))
                .into());
            }
            if let Some(key) = person
                .ssh_keys
                .iter()
                .find(|k| SshKey::parse(k).is_ok_and(|k| other.holds_key(&k.fingerprint())))
            {
                return Err(CheckFailed(format!(
                    "the key {} is {}'s already: nothing was changed",
                    SshKey::parse(key)
                        .map(|k| k.fingerprint())
                        .unwrap_or_default(),
                    other.email
                ))
                .into());
            }
        }
    }
    after.extend(changes.iter().cloned());
    authority::keeps_an_admin(store.mode()?, &after).map_err(refused)?;
    Ok(())
}

fn import(path: &Path, dry_run: bool, env: &Env) -> Result<()> {
    let shown = sanitize(&path.display().to_string()).into_owned();
    let (mut store, actor) = as_admin(env, "changing the people register")?;
    let bytes = std::fs::read(path).wrap_err_with(|| format!("cannot read {shown}"))?;
    let file = match people::read(bytes.as_slice()) {
        Ok(file) => file,
        Err(problems) => {
            for problem in problems.iter().take(SHOWN_PROBLEMS) {
                eprintln!("{}", sanitize(&problem.render(&shown)));
            }
            if problems.len() > SHOWN_PROBLEMS {
                eprintln!("… and {} more problems", problems.len() - SHOWN_PROBLEMS);
            }
            return Err(CheckFailed(format!(
                "{shown} was rejected ({}); nobody was recorded from it",
                count(problems.len() as u64, "problem")
            ))
            .into());
        }
    };
    for warning in &file.warnings {
        eprintln!(
            "{}",
            sanitize(&format!("warning: {}", warning.render(&shown)))
        );
    }
    check_against_register(&store, &file.people, &[])?;
    let name = path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let sha256 = crate::audit::sha256_hex(&bytes);
    if dry_run {
        let counts = would_change(&store, &file.people)?;
        outln!("{}", summary(&shown, &counts, "would be"))?;
        outln!("dry run: nothing was recorded")?;
        return Ok(());
    }
    let at = env.now_stamp();
    let counts = store.set_people(
        &env.acting(actor, &at),
        &file.people,
        Some((&name, &sha256)),
    )?;
    outln!("{}", summary(&shown, &counts, "were"))?;
    Ok(())
}

fn would_change(store: &Store, people: &[Person]) -> Result<PeopleCounts> {
    let mut counts = PeopleCounts::default();
    for person in people {
        match store.person(&person.email)? {
            Some(known) if &known == person => counts.unchanged += 1,
            Some(_) => counts.changed += 1,
            None => counts.added += 1,
        }
    }
    Ok(counts)
}

fn summary(shown: &str, counts: &PeopleCounts, were: &str) -> String {
    sanitize(&format!(
        "{shown}: {} {were} added, {} changed, {} unchanged",
        match counts.added {
            1 => "1 person".to_string(),
            n => format!("{n} people"),
        },
        counts.changed,
        counts.unchanged
    ))
    .into_owned()
}

fn add(args: &PeopleAddArgs, env: &Env) -> Result<()> {
    let email = check_email(&args.email).map_err(|e| UsageError(format!("EMAIL: {e}")))?;
    let (mut store, actor) = as_admin(env, "changing the people register")?;
    let mut person = store.person(&email)?.unwrap_or_else(|| Person::new(&email));
    if let Some(name) = args.name.as_deref().map(str::trim) {
        person.name = (!name.is_empty()).then(|| name.to_string());
    }
    if args.no_roles {
        person.roles.clear();
    }
    if !args.roles.is_empty() {
        person.roles = args
            .roles
            .iter()
            .map(|r| {
                r.trim()
                    .to_lowercase()
                    .parse::<Role>()
                    .map_err(|e| UsageError(format!("--role: {e}")))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(os) = &args.os_user {
        person.os_user =
            Some(check_os_user(os).map_err(|e| UsageError(format!("--os-user: {e}")))?);
    }
    for key in &args.ssh_keys {
        let key = SshKey::parse(key).map_err(|e| UsageError(format!("--ssh-key: {e}")))?;
        if !person.holds_key(&key.fingerprint()) {
            person.ssh_keys.push(key.line());
        }
    }
    check_against_register(&store, std::slice::from_ref(&person), &[])?;
    let at = env.now_stamp();
    let counts = store.set_people(&env.acting(actor, &at), std::slice::from_ref(&person), None)?;
    let what = match (counts.added, counts.changed) {
        (1, _) => "added",
        (_, 1) => "updated",
        _ => "unchanged",
    };
    outln!(
        "{}",
        sanitize(&format!("{} {what}: {}", person.email, describe(&person)))
    )?;
    Ok(())
}

fn describe(person: &Person) -> String {
    let roles: Vec<&str> = person.roles.iter().map(|r| r.as_str()).collect();
    format!(
        "{}; roles {}; OS account {}; {}",
        person.name.as_deref().unwrap_or("(no name)"),
        if roles.is_empty() {
            "none".to_string()
        } else {
            roles.join(", ")
        },
        person.os_user.as_deref().unwrap_or("none"),
        count(person.ssh_keys.len() as u64, "SSH key")
    )
}

fn remove(email: &str, env: &Env) -> Result<()> {
    let email = crate::domain::people::person_key(email).into_owned();
    let (mut store, actor) = as_admin(env, "changing the people register")?;
    check_against_register(&store, &[], &[email.as_str()])?;
    let at = env.now_stamp();
    let seq = store
        .remove_person(&env.acting(actor, &at), &email)
        .map_err(|e| CheckFailed(e.to_string()))?;
    outln!(
        "{}",
        sanitize(&format!(
            "{email} removed from the people register (event {seq})"
        ))
    )?;
    Ok(())
}

/// Prints the review host's `authorized_keys`: every key of every person,
/// each bound to `PROGRAM --db DB session` as its person. Absolute paths:
/// sshd runs the command from the service account's home.
fn authorized_keys(program: Option<&Path>, env: &Env) -> Result<()> {
    let (store, _) = as_admin(env, "writing the review host's authorized_keys")?;
    let program = match program {
        Some(path) => std::path::absolute(path)?,
        None => std::env::current_exe()
            .wrap_err("cannot tell where this recert is: pass --program PATH")?,
    };
    let db = std::path::absolute(&env.db)?;
    let utf8 = |path: &Path, option: &str| {
        path.to_str().map(str::to_string).ok_or_else(|| {
            UsageError(format!(
                "{option} {}: not UTF-8, which an authorized_keys line cannot carry safely",
                sanitize(&path.display().to_string())
            ))
        })
    };
    let program = utf8(&program, "--program")?;
    let db = utf8(&db, "--db")?;
    // Every line is made before any is printed: a file cut short by a
    // path that cannot be quoted would lock some people out unsaid.
    let mut lines = Vec::new();
    for person in store.people()? {
        for key in &person.ssh_keys {
            let key = SshKey::parse(key).map_err(|e| {
                CheckFailed(format!(
                    "{}'s SSH key in the people register: {e}",
                    person.email
                ))
            })?;
            lines.push(
                crate::domain::ssh::authorized_keys_line(&program, &db, &person.email, &key)
                    .map_err(|e| UsageError(format!("{e}; nothing was printed")))?,
            );
        }
    }
    if lines.is_empty() {
        errln!(
            "nobody in the people register has an SSH key: the file is empty, and nobody can \
             reach the review host (`recert people add EMAIL --ssh-key KEY`)"
        );
    }
    for line in lines {
        outln!("{line}")?;
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    person: &'a Person,
    ssh_key_fingerprints: Vec<String>,
}

fn list(json: bool, env: &Env) -> Result<()> {
    let store = env.open()?;
    let people = store.people()?;
    if json {
        let listed: Vec<Listed<'_>> = people
            .iter()
            .map(|person| Listed {
                person,
                ssh_key_fingerprints: person
                    .ssh_keys
                    .iter()
                    .filter_map(|k| SshKey::parse(k).ok())
                    .map(|k| k.fingerprint())
                    .collect(),
            })
            .collect();
        return super::print_json(&listed);
    }
    if people.is_empty() {
        outln!(
            "the people register is empty: `recert people add EMAIL` or `recert people import FILE`"
        )?;
        return Ok(());
    }
    let mut table = Table::new(&["email", "name", "roles", "os_user", "ssh keys"]);
    for person in &people {
        table.row(vec![
            person.email.clone(),
            person.name.clone().unwrap_or_default(),
            person
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            person.os_user.clone().unwrap_or_default(),
            person
                .ssh_keys
                .iter()
                .filter_map(|k| SshKey::parse(k).ok())
                .map(|k| k.fingerprint())
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    out!("{}", table.render())?;
    outln!(
        "{} ({} mode)",
        count(people.len() as u64, "person"),
        store.mode()?
    )?;
    Ok(())
}
