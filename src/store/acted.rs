//! Who acted in a campaign and in what capacity, as reports state it: how
//! each actor was established (asserted, OS account, SSH key), the
//! decisions made for someone else (the owner's overrides, a personal
//! database's decisions on a reviewer's behalf, a delegate's), and each
//! override with its note.

use super::{CampaignId, Result, Store};
use crate::domain::roster::Established;
use serde::Serialize;

/// How many overrides a report lists one by one; the counts cover all.
const OVERRIDES_LISTED: i64 = 500;

/// An actor of a campaign's events and how recert knew them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActorVia {
    pub actor: String,
    /// `asserted`, `os_user` or `ssh_key`; events written before recert
    /// recorded it took every actor as stated: `asserted`.
    pub established: &'static str,
    pub events: u64,
}

/// Decisions someone made for another reviewer, by capacity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActedFor {
    /// `override`, `on_behalf` or `delegate`.
    pub capacity: &'static str,
    pub actor: String,
    /// The reviewer whose item it was.
    pub of: String,
    pub decisions: u64,
}

/// One override: the owner decided another reviewer's item, with a note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Override {
    pub item: i64,
    /// The item's tenant: the same grant can read alike in two.
    pub tenant: String,
    pub kind: String,
    pub actor: String,
    pub of: String,
    pub at: String,
    pub note: Option<String>,
    pub event: i64,
}

/// What reports say about who acted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Acting {
    pub actors: Vec<ActorVia>,
    pub acted_for: Vec<ActedFor>,
    /// The first overrides, oldest first.
    pub overrides: Vec<Override>,
}

impl Acting {
    /// Whether any event's actor was taken as stated, not authenticated.
    pub fn any_asserted(&self) -> bool {
        self.actors.iter().any(|a| a.established == "asserted")
    }

    /// Decisions made in `capacity`, by anyone.
    pub fn count(&self, capacity: &str) -> u64 {
        self.acted_for
            .iter()
            .filter(|a| a.capacity == capacity)
            .map(|a| a.decisions)
            .sum()
    }
}

impl Store {
    /// Who acted in `campaign`, how each was established, and what they
    /// decided for others.
    pub fn acting_evidence(&self, campaign: CampaignId) -> Result<Acting> {
        let mut out = Acting::default();
        let mut stmt = self.conn.prepare(
            "SELECT actor, actor_via, count(*) FROM event WHERE campaign = ?1
             GROUP BY actor, actor_via ORDER BY actor, actor_via",
        )?;
        let mut rows = stmt.query([campaign])?;
        while let Some(row) = rows.next()? {
            let via: Option<String> = row.get(1)?;
            let established = via
                .as_deref()
                .and_then(Established::parse)
                .map_or("asserted", |e| e.method());
            let actor: String = row.get(0)?;
            let events = row.get::<_, i64>(2)?.max(0) as u64;
            match out
                .actors
                .iter_mut()
                .find(|a| a.actor == actor && a.established == established)
            {
                Some(known) => known.events += events,
                None => out.actors.push(ActorVia {
                    actor,
                    established,
                    events,
                }),
            }
        }
        // Only bodies that name another reviewer are parsed.
        let mut stmt = self.conn.prepare(
            "SELECT actor, json_extract(body, '$.override_of'),
                    json_extract(body, '$.on_behalf_of'), json_extract(body, '$.delegate_for'),
                    count(*)
             FROM event WHERE campaign = ?1 AND item IS NOT NULL
               AND (instr(body, '\"override_of\"') > 0 OR instr(body, '\"on_behalf_of\"') > 0
                    OR instr(body, '\"delegate_for\"') > 0)
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        )?;
        let mut rows = stmt.query([campaign])?;
        while let Some(row) = rows.next()? {
            let capacity = [(1, "override"), (2, "on_behalf"), (3, "delegate")]
                .into_iter()
                .find_map(|(at, capacity)| {
                    row.get::<_, Option<String>>(at)
                        .ok()
                        .flatten()
                        .map(|of| (capacity, of))
                });
            if let Some((capacity, of)) = capacity {
                out.acted_for.push(ActedFor {
                    capacity,
                    actor: row.get(0)?,
                    of,
                    decisions: row.get::<_, i64>(4)?.max(0) as u64,
                });
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT ev.item, ev.kind, ev.actor, json_extract(ev.body, '$.override_of'), ev.at,
                    ev.note, ev.seq, idn.tenant
             FROM event ev
             JOIN item i ON i.id = ev.item
             JOIN identity idn ON idn.id = i.identity
             WHERE ev.campaign = ?1 AND ev.item IS NOT NULL
               AND instr(ev.body, '\"override_of\"') > 0
               AND json_extract(ev.body, '$.override_of') IS NOT NULL
             ORDER BY ev.seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![campaign, OVERRIDES_LISTED], |r| {
            Ok(Override {
                item: r.get(0)?,
                tenant: r.get(7)?,
                kind: r.get(1)?,
                actor: r.get(2)?,
                of: r.get(3)?,
                at: r.get(4)?,
                note: r.get(5)?,
                event: r.get(6)?,
            })
        })?;
        out.overrides = rows.collect::<rusqlite::Result<_>>()?;
        Ok(out)
    }
}
