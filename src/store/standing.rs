//! Who stands where, read only: the database's mode, the people register
//! and the people recert knows, the delegations in force, a campaign's
//! cancellation, the sponsors' signatures of its parts. Recording a
//! decision asks these, and the modules that write them (people, stalled,
//! parts) record through events: a leaf, so none leads back to the events
//! that use it.

use super::{CampaignId, Result, StoreError};
use crate::domain::people::person_key;
use crate::domain::roster::{Mode, Person};
use crate::rules::authority::Delegation;
use crate::rules::stalled::{self, Cancellation};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The body of a `mode_changed` event.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ModeBody {
    pub mode: Mode,
}

pub(super) fn read_person(row: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let roles: String = row.get(2)?;
    let keys: String = row.get(4)?;
    Ok(Person {
        email: row.get(0)?,
        name: row.get(1)?,
        roles: serde_json::from_str(&roles).unwrap_or_default(),
        os_user: row.get(3)?,
        ssh_keys: serde_json::from_str(&keys).unwrap_or_default(),
    })
}

pub(super) const PERSON_COLUMNS: &str = "email, name, roles, os_user, ssh_keys";

pub(super) fn person(conn: &Connection, email: &str) -> Result<Option<Person>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {PERSON_COLUMNS} FROM person WHERE email = ?1 AND removed IS NULL"
        ))?
        .query_row([person_key(email)], read_person)
        .optional()?)
}

pub(super) fn mode(conn: &Connection) -> Result<Mode> {
    let body: Option<String> = conn
        .prepare_cached(
            "SELECT body FROM event WHERE campaign IS NULL AND kind = 'mode_changed'
             ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    match body {
        None => Ok(Mode::Personal),
        Some(body) => serde_json::from_str::<ModeBody>(&body)
            .map(|b| b.mode)
            .map_err(|e| StoreError::Corrupt(format!("mode event: {e}"))),
    }
}

pub(super) fn known_people(conn: &Connection, with_estate: bool) -> Result<BTreeSet<String>> {
    let mut known: BTreeSet<String> = conn
        .prepare_cached("SELECT email FROM person WHERE removed IS NULL")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    if with_estate {
        let mut stmt = conn.prepare(
            "SELECT sponsor FROM identity WHERE sponsor IS NOT NULL AND superseded IS NULL
                 UNION SELECT business_owner FROM entitlement
                     WHERE business_owner IS NOT NULL AND superseded IS NULL
                 UNION SELECT technical_owner FROM entitlement
                     WHERE technical_owner IS NOT NULL AND superseded IS NULL
                 UNION SELECT sponsor FROM register_entry WHERE sponsor IS NOT NULL
                 UNION SELECT business_owner FROM register_entry WHERE business_owner IS NOT NULL
                 UNION SELECT technical_owner FROM register_entry WHERE technical_owner IS NOT NULL
                 UNION SELECT owner FROM campaign
                 UNION SELECT reviewer FROM campaign_reviewer",
        )?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for name in names {
            let name = person_key(&name?).into_owned();
            if !name.is_empty() {
                known.insert(name);
            }
        }
    }
    Ok(known)
}

/// Every delegation recorded, oldest first.
pub(super) fn delegations(conn: &Connection) -> Result<Vec<Delegation>> {
    let mut stmt = conn.prepare_cached(
        "SELECT from_person, to_person, until, campaign FROM delegation ORDER BY event",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (from, to, until, campaign) = row?;
        let until = crate::domain::date::parse_day(&until)
            .map_err(|_| StoreError::Corrupt(format!("delegation until {until:?}")))?;
        out.push(Delegation {
            from,
            to,
            until,
            campaign,
        });
    }
    Ok(out)
}

/// The campaign's cancellation, if it was cancelled.
pub(super) fn cancellation(
    conn: &Connection,
    campaign: CampaignId,
) -> Result<Option<Cancellation>> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, actor, at, note FROM event
             WHERE campaign = ?1 AND kind = 'campaign_cancelled' AND item IS NULL
             ORDER BY seq LIMIT 1",
        )?
        .query_row([campaign], |r| {
            Ok(Cancellation {
                seq: r.get(0)?,
                by: r.get(1)?,
                at: r.get(2)?,
                note: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })
        .optional()?)
}

/// Refuses `what` ("decisions", "sign-offs", …) on a cancelled campaign,
/// saying by whom and when it was cancelled.
pub(super) fn refuse_if_cancelled(
    conn: &Connection,
    campaign: CampaignId,
    name: &str,
    what: &str,
) -> Result<()> {
    match cancellation(conn, campaign)? {
        Some(c) => Err(stalled::cancelled(name, &c, what).into()),
        None => Ok(()),
    }
}

/// The body of a `part_signed_off` event: the part and how it stood.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct PartSignOffBody {
    pub(super) sponsor: String,
    pub(super) items: u64,
    pub(super) decided: u64,
    pub(super) undecided: u64,
}

/// A part's recorded signature.
#[derive(Clone, Debug)]
pub(super) struct PartSigned {
    pub(super) signer: String,
    pub(super) at: String,
    pub(super) note: String,
    pub(super) seq: i64,
}

/// The sponsors' sign-offs of the campaign's parts, by part (as
/// `signoff::part_of` names it), the first of each.
pub(super) fn part_signoffs(
    conn: &Connection,
    campaign: CampaignId,
) -> Result<BTreeMap<String, PartSigned>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, actor, at, note, body FROM event
         WHERE campaign = ?1 AND kind = 'part_signed_off' AND item IS NULL ORDER BY seq",
    )?;
    let rows = stmt.query_map([campaign], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (seq, signer, at, note, body) = row?;
        let body: PartSignOffBody = serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("part sign-off event {seq}: {e}")))?;
        out.entry(crate::domain::people::person_key(&body.sponsor).into_owned())
            .or_insert(PartSigned {
                signer,
                at,
                note: note.unwrap_or_default(),
                seq,
            });
    }
    Ok(out)
}
