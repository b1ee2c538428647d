//! The people register and the database's mode in the database: both
//! change only through audited events (`person_added`, `person_changed`,
//! `people_imported`, `person_removed`, `mode_changed`), and the `person`
//! table is what those events leave, written in their transaction.

use super::events::{Acting, ChainWriter, NewEvent};
pub(super) use super::standing::{ModeBody, delegations, known_people, mode, person};
use super::standing::{PERSON_COLUMNS, read_person};
use super::{EventSeq, Result, Store, StoreError};
use crate::domain::people::person_key;
use crate::domain::roster::{Mode, Person, Role};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What an import or an addition did to the register.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PeopleCounts {
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
}

/// The body of a people event: the people it leaves as they now are.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct PeopleBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default)]
    pub people: Vec<Person>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// Writes `person` as the register's current version, by event `seq`.
fn write_person(conn: &Connection, person: &Person, seq: EventSeq) -> Result<()> {
    let roles = serde_json::to_string(&person.roles)
        .map_err(|e| StoreError::Corrupt(format!("roles: {e}")))?;
    let keys = serde_json::to_string(&person.ssh_keys)
        .map_err(|e| StoreError::Corrupt(format!("keys: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO person (email, name, roles, os_user, ssh_keys, event, removed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)
         ON CONFLICT(email) DO UPDATE SET name = excluded.name, roles = excluded.roles,
             os_user = excluded.os_user, ssh_keys = excluded.ssh_keys,
             event = excluded.event, removed = NULL",
    )?
    .execute(params![
        person.email,
        person.name,
        roles,
        person.os_user,
        keys,
        seq
    ])?;
    Ok(())
}

impl Store {
    /// Whose database this is: `personal` until an admin makes it `shared`.
    pub fn mode(&self) -> Result<Mode> {
        mode(&self.conn)
    }

    /// Records a change of mode.
    pub fn set_mode(
        &mut self,
        acting: &Acting<'_>,
        new: Mode,
        note: Option<&str>,
    ) -> Result<EventSeq> {
        let via = acting.via.to_string();
        self.write(|tx| {
            let body = serde_json::to_string(&ModeBody { mode: new })
                .map_err(|e| StoreError::Corrupt(format!("mode body: {e}")))?;
            ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "mode_changed",
                    campaign: None,
                    item: None,
                    actor: acting.actor,
                    actor_via: &via,
                    at: acting.at,
                    note,
                    body,
                },
            )
        })
    }

    /// A person of the register, by e-mail (compared as people are).
    pub fn person(&self, email: &str) -> Result<Option<Person>> {
        person(&self.conn, email)
    }

    /// The person registered with an OS account.
    pub fn person_by_os_user(&self, os_user: &str) -> Result<Option<Person>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {PERSON_COLUMNS} FROM person WHERE os_user = ?1 AND removed IS NULL"
            ))?
            .query_row([os_user], read_person)
            .optional()?)
    }

    /// Everyone in the register, by e-mail.
    pub fn people(&self) -> Result<Vec<Person>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {PERSON_COLUMNS} FROM person WHERE removed IS NULL ORDER BY email"
        ))?;
        let people = stmt
            .query_map([], read_person)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(people)
    }

    /// Who holds `role` in the register.
    pub fn people_with(&self, role: Role) -> Result<Vec<String>> {
        Ok(self
            .people()?
            .into_iter()
            .filter(|p| p.has(role))
            .map(|p| p.email)
            .collect())
    }

    /// Records people as given (added, or replacing what the register says
    /// of them), in one event: `people_imported` naming the file and its
    /// SHA-256 when `file` is given, else one `person_added` or
    /// `person_changed`. Nobody is removed. Unchanged people are counted
    /// and not recorded; nothing at all changing records no event.
    pub fn set_people(
        &mut self,
        acting: &Acting<'_>,
        people: &[Person],
        file: Option<(&str, &str)>,
    ) -> Result<PeopleCounts> {
        let via = acting.via.to_string();
        self.write(|tx| {
            let mut counts = PeopleCounts::default();
            let mut changes = Vec::new();
            for incoming in people {
                match person(tx, &incoming.email)? {
                    Some(known) if &known == incoming => counts.unchanged += 1,
                    Some(_) => {
                        counts.changed += 1;
                        changes.push(incoming.clone());
                    }
                    None => {
                        counts.added += 1;
                        changes.push(incoming.clone());
                    }
                }
            }
            if changes.is_empty() {
                return Ok(counts);
            }
            let kind = match (file, counts.added) {
                (Some(_), _) => "people_imported",
                (None, 0) => "person_changed",
                (None, _) => "person_added",
            };
            let body = PeopleBody {
                file: file.map(|(name, _)| name.to_string()),
                sha256: file.map(|(_, sha)| sha.to_string()),
                people: changes,
                removed: Vec::new(),
            };
            let json = serde_json::to_string(&body)
                .map_err(|e| StoreError::Corrupt(format!("people body: {e}")))?;
            let seq = ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind,
                    campaign: None,
                    item: None,
                    actor: acting.actor,
                    actor_via: &via,
                    at: acting.at,
                    note: None,
                    body: json,
                },
            )?;
            for person in &body.people {
                write_person(tx, person, seq)?;
            }
            Ok(counts)
        })
    }

    /// Removes a person from the register (their row stays, marked, and
    /// what they did stays theirs).
    pub fn remove_person(&mut self, acting: &Acting<'_>, email: &str) -> Result<EventSeq> {
        let via = acting.via.to_string();
        let email = person_key(email).into_owned();
        self.write(|tx| {
            if person(tx, &email)?.is_none() {
                return Err(StoreError::Invalid(format!(
                    "{email} is not in the people register"
                )));
            }
            let body = PeopleBody {
                removed: vec![email.clone()],
                ..PeopleBody::default()
            };
            let json = serde_json::to_string(&body)
                .map_err(|e| StoreError::Corrupt(format!("people body: {e}")))?;
            let seq = ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "person_removed",
                    campaign: None,
                    item: None,
                    actor: acting.actor,
                    actor_via: &via,
                    at: acting.at,
                    note: None,
                    body: json,
                },
            )?;
            tx.execute(
                "UPDATE person SET removed = ?2 WHERE email = ?1",
                params![email, seq],
            )?;
            Ok(seq)
        })
    }

    /// Everyone recert knows by name: the people register, and the
    /// sponsors, owners and reviewers the estate and campaigns name (what a
    /// reassign may target in a personal database, and what the console
    /// completes from).
    pub fn known_people(&self, with_estate: bool) -> Result<BTreeSet<String>> {
        known_people(&self.conn, with_estate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{OWNER, acting};

    fn dana() -> Person {
        Person {
            email: "dana@x".into(),
            name: Some("Dana".into()),
            roles: [Role::Admin].into_iter().collect(),
            os_user: Some("dana".into()),
            ssh_keys: vec![],
        }
    }

    #[test]
    fn people_are_added_changed_and_removed_only_through_events() {
        let mut store = Store::open_in_memory().unwrap();
        let counts = store.set_people(&acting(OWNER), &[dana()], None).unwrap();
        assert_eq!(counts.added, 1);
        assert_eq!(store.person("DANA@x").unwrap(), Some(dana()));
        assert_eq!(store.person_by_os_user("dana").unwrap(), Some(dana()));
        let again = store.set_people(&acting(OWNER), &[dana()], None).unwrap();
        assert_eq!(again.unchanged, 1);
        let mut renamed = dana();
        renamed.name = Some("Dana M.".into());
        let counts = store
            .set_people(&acting(OWNER), &[renamed.clone()], Some(("p.csv", "ab")))
            .unwrap();
        assert_eq!(counts.changed, 1);
        assert_eq!(store.people().unwrap(), vec![renamed]);
        store.remove_person(&acting(OWNER), "dana@x").unwrap();
        assert!(store.person("dana@x").unwrap().is_none());
        assert!(store.remove_person(&acting(OWNER), "dana@x").is_err());
        let kinds: Vec<String> = store
            .conn
            .prepare("SELECT kind FROM event ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(kinds, ["person_added", "people_imported", "person_removed"]);
    }

    #[test]
    fn the_mode_is_personal_until_an_event_changes_it() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.mode().unwrap(), Mode::Personal);
        store.set_mode(&acting(OWNER), Mode::Shared, None).unwrap();
        assert_eq!(store.mode().unwrap(), Mode::Shared);
        store
            .set_mode(&acting(OWNER), Mode::Personal, Some("back"))
            .unwrap();
        assert_eq!(store.mode().unwrap(), Mode::Personal);
    }
}
