//! Work that stalls, in the database: delegations (a `delegated` event and
//! the `delegation` row it leaves, in one transaction), what waits for a
//! person across open campaigns, the items escalation may move, and a
//! campaign's cancellation (a `campaign_cancelled` event, after which it
//! takes no decisions, sign-offs or closes).

use super::campaigns::item_range;
use super::effective::{EFFECTIVE_BUSINESS_OWNER, EFFECTIVE_EMAIL};
use super::events::{Acting, ChainWriter, NewEvent};
use super::items::{ItemQuery, PageDirection};
use super::lifecycle::{facts, signoffs, sponsored_by};
use super::row::ItemRow;
pub(super) use super::standing::{cancellation, refuse_if_cancelled};
use super::{CampaignId, EventSeq, Result, Store, StoreError};
use crate::domain::people::{person_key, same_person};
use crate::domain::roster::Mode;
use crate::domain::{CampaignState, Field, Filter};
use crate::rules::authority::Actor;
use crate::rules::stalled::{self, Cancellation};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// The body of a `delegated` event.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct DelegatedBody {
    pub from: String,
    pub to: String,
    pub until: String,
    /// The campaign's name, when the delegation is for one campaign only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
}

/// The body of a `campaign_cancelled` event: the state it ended and its
/// counts then.
#[derive(Debug, Serialize, Deserialize)]
struct CancelledBody {
    state: String,
    undecided: u64,
    decided: u64,
}

/// A delegation in force, as people read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DelegationEntry {
    pub seq: i64,
    pub from: String,
    pub to: String,
    pub until: NaiveDate,
    /// One campaign's name, or `None` for every campaign.
    pub campaign: Option<String>,
}

/// Something waiting for a person in an open campaign.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Waiting {
    pub campaign: String,
    pub due: NaiveDate,
    /// `items`: undecided items; `signoff`: their part, unsigned.
    pub kind: &'static str,
    /// Items waiting, or for a sign-off the items of the part.
    pub items: u64,
    /// For items delegated to the person: whose they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegated_by: Option<String>,
    /// The riskiest waiting items, riskiest first (items only).
    #[serde(skip)]
    pub riskiest: Vec<ItemRow>,
}

/// An item nobody has decided, with what escalation needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StalledItem {
    pub item: i64,
    pub assignee: String,
    pub identity_id: String,
    pub identity_email: Option<String>,
    pub business_owner: Option<String>,
    /// The day of its latest reassign, when it waits after one.
    pub reassigned_on: Option<NaiveDate>,
}

fn campaign_name(conn: &Connection, campaign: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM campaign WHERE id = ?1")?
        .query_row([campaign], |r| r.get(0))
        .optional()?)
}

impl Store {
    /// The campaign's cancellation, if it was cancelled.
    pub fn cancellation(&self, campaign: CampaignId) -> Result<Option<Cancellation>> {
        cancellation(&self.conn, campaign)
    }

    /// Ends a campaign made by mistake: a `campaign_cancelled` event by its
    /// owner or an admin (anyone in a personal database), with a note.
    pub fn cancel_campaign(
        &mut self,
        campaign: CampaignId,
        acting: &Acting<'_>,
        actor: &Actor,
        note: &str,
    ) -> Result<Cancellation> {
        self.write(|tx| {
            let facts = facts(tx, campaign)?;
            let earlier = cancellation(tx, campaign)?;
            stalled::may_cancel(
                &stalled::CancelFacts {
                    campaign: &facts.name,
                    state: facts.state,
                    mode: super::people::mode(tx)?,
                    owner: &facts.owner,
                    cancelled: earlier.as_ref(),
                },
                actor,
                note,
            )?;
            let tally = super::campaigns::tally(tx, campaign)?;
            let body = serde_json::to_string(&CancelledBody {
                state: facts.state.as_str().to_string(),
                undecided: tally.undecided + tally.reassigned,
                decided: tally.decided(),
            })
            .map_err(|e| StoreError::Corrupt(format!("cancel body: {e}")))?;
            let note = note.trim();
            let seq = ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "campaign_cancelled",
                    campaign: Some(campaign),
                    item: None,
                    actor: acting.actor,
                    actor_via: &acting.via.to_string(),
                    at: acting.at,
                    note: Some(note),
                    body,
                },
            )?;
            Ok(Cancellation {
                seq: seq.0,
                by: acting.actor.to_string(),
                at: acting.at.to_string(),
                note: note.to_string(),
            })
        })
    }

    /// Records that `acting.actor` hands their items (of `campaign`, or of
    /// every campaign) to `to` until `until`, the last day it lasts: a
    /// `delegated` event and the delegation row it leaves.
    pub fn delegate(
        &mut self,
        acting: &Acting<'_>,
        to: &str,
        until: NaiveDate,
        campaign: Option<CampaignId>,
        note: Option<&str>,
    ) -> Result<EventSeq> {
        self.write(|tx| {
            let mode = super::people::mode(tx)?;
            let known = super::people::known_people(tx, mode == Mode::Personal)?;
            stalled::may_delegate(acting.actor, to, until, acting.today, &known)?;
            let name = match campaign {
                Some(id) => {
                    let facts = facts(tx, id)?;
                    refuse_if_cancelled(tx, id, &facts.name, "delegations")?;
                    Some(facts.name)
                }
                None => None,
            };
            let to = person_key(to).into_owned();
            let body = DelegatedBody {
                from: person_key(acting.actor).into_owned(),
                to: to.clone(),
                until: until.to_string(),
                campaign: name,
            };
            let json = serde_json::to_string(&body)
                .map_err(|e| StoreError::Corrupt(format!("delegation body: {e}")))?;
            let seq = ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "delegated",
                    campaign,
                    item: None,
                    actor: acting.actor,
                    actor_via: &acting.via.to_string(),
                    at: acting.at,
                    note: note.map(str::trim).filter(|n| !n.is_empty()),
                    body: json,
                },
            )?;
            tx.prepare_cached(
                "INSERT INTO delegation (event, from_person, to_person, until, campaign)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![seq, body.from, to, body.until, campaign])?;
            Ok(seq)
        })
    }

    /// Delegations that last until `today` or later, oldest first.
    pub fn delegations_in_force(&self, today: NaiveDate) -> Result<Vec<DelegationEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.event, d.from_person, d.to_person, d.until, c.name
             FROM delegation d LEFT JOIN campaign c ON c.id = d.campaign
             WHERE d.until >= ?1 ORDER BY d.event",
        )?;
        let rows = stmt.query_map([today.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, from, to, until, campaign) = row?;
            let until = crate::domain::date::parse_day(&until)
                .map_err(|_| StoreError::Corrupt(format!("delegation {seq} until {until:?}")))?;
            out.push(DelegationEntry {
                seq,
                from,
                to,
                until,
                campaign,
            });
        }
        Ok(out)
    }

    /// What waits for `person` on `today` across open campaigns: their
    /// undecided items, the items of those who delegated to them, and
    /// their part to sign where they sponsor items and have not signed.
    /// Each item entry carries up to `riskiest` of its items.
    pub fn waiting_for(
        &self,
        person: &str,
        today: NaiveDate,
        riskiest: usize,
    ) -> Result<Vec<Waiting>> {
        let delegations = super::people::delegations(&self.conn)?;
        let mut out = Vec::new();
        for campaign in self.campaigns()? {
            if campaign.state != CampaignState::Open {
                continue;
            }
            let mut whose: Vec<(String, Option<String>)> = vec![(person.to_string(), None)];
            for d in delegations
                .iter()
                .filter(|d| same_person(&d.to, person) && today <= d.until)
                .filter(|d| d.campaign.is_none_or(|c| c == campaign.id.0))
            {
                if !whose.iter().any(|(w, _)| same_person(w, &d.from)) {
                    whose.push((d.from.clone(), Some(d.from.clone())));
                }
            }
            for (reviewer, delegated_by) in whose {
                let query = waiting_query(campaign.id, &reviewer);
                let items = self.count_items(&query)?;
                if items > 0 {
                    out.push(Waiting {
                        campaign: campaign.name.clone(),
                        due: campaign.due,
                        kind: "items",
                        items,
                        delegated_by,
                        riskiest: self.page(
                            &query,
                            None,
                            PageDirection::Forward,
                            true,
                            riskiest,
                        )?,
                    });
                }
            }
            let sponsored = sponsored_by(&self.conn, campaign.id, person)?;
            let signed = signoffs(&self.conn, campaign.id)?
                .iter()
                .any(|s| same_person(&s.signer, person));
            if sponsored > 0 && !signed {
                out.push(Waiting {
                    campaign: campaign.name.clone(),
                    due: campaign.due,
                    kind: "signoff",
                    items: sponsored,
                    delegated_by: None,
                    riskiest: Vec::new(),
                });
            }
        }
        // Overdue first: the earliest due day first, then by name.
        out.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.campaign.cmp(&b.campaign)));
        Ok(out)
    }

    /// A reviewer's items nobody has decided (reassigned ones included),
    /// riskiest first, up to `limit`; and how many there are.
    pub fn waiting_items(
        &self,
        campaign: CampaignId,
        reviewer: &str,
        limit: usize,
    ) -> Result<(u64, Vec<ItemRow>)> {
        let query = waiting_query(campaign, reviewer);
        Ok((
            self.count_items(&query)?,
            self.page(&query, None, PageDirection::Forward, true, limit)?,
        ))
    }

    /// Every item of the campaign nobody has decided, with who holds it
    /// and what escalation needs to choose its fallback, in queue order.
    pub fn stalled_items(&self, campaign: CampaignId) -> Result<Vec<StalledItem>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT i.id, coalesce(s.assignee, i.reviewer), idn.identity_id, {EFFECTIVE_EMAIL},
                 {EFFECTIVE_BUSINESS_OWNER}, CASE WHEN s.decision = 'reassign' THEN last.at END
             FROM item i JOIN identity idn ON idn.id = i.identity
             LEFT JOIN register_entry r ON r.id = i.register
             LEFT JOIN item_state s ON s.item = i.id
             LEFT JOIN event last ON last.seq = s.last_event
             JOIN entitlement e ON e.id = i.entitlement
             WHERE i.id BETWEEN ?1 AND ?2 AND (s.decision IS NULL OR s.decision = 'reassign')
             ORDER BY i.id"
        ))?;
        let rows = stmt.query_map([first, last], |r| {
            Ok(StalledItem {
                item: r.get(0)?,
                assignee: r.get(1)?,
                identity_id: r.get(2)?,
                identity_email: r.get(3)?,
                business_owner: r.get(4)?,
                reassigned_on: r
                    .get::<_, Option<String>>(5)?
                    .and_then(|at| at.get(..10).and_then(|d| d.parse().ok())),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether a reassign in this database may name `who`: the people
    /// register, and in a personal database also the people the estate
    /// and campaigns name.
    pub fn reassign_targets(&self) -> Result<std::collections::BTreeSet<String>> {
        let mode = self.mode()?;
        super::people::known_people(&self.conn, mode == Mode::Personal)
    }
}

fn waiting_query(campaign: CampaignId, reviewer: &str) -> ItemQuery {
    ItemQuery {
        campaign,
        filters: vec![
            Filter::new(Field::Reviewer, vec![reviewer.to_string()]),
            Filter::new(Field::State, vec!["undecided".into(), "reassigned".into()]),
        ],
        search: None,
    }
}

/// The `delegation` table against the `delegated` events it is derived
/// from: each event's row, as its body says, and no row without one.
pub(super) fn delegation_problems(conn: &Connection) -> Result<Vec<(Option<i64>, String)>> {
    let mut problems = Vec::new();
    let mut events = conn.prepare(
        "SELECT e.seq, e.actor, e.campaign, e.body, d.from_person, d.to_person, d.until,
             d.campaign
         FROM event e LEFT JOIN delegation d ON d.event = e.seq
         WHERE e.kind = 'delegated' ORDER BY e.seq",
    )?;
    let mut rows = events.query([])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let actor: String = row.get(1)?;
        let campaign: Option<i64> = row.get(2)?;
        let body: String = row.get(3)?;
        let stored: Option<(String, String, String, Option<i64>)> = match row.get(4)? {
            Some(from) => Some((from, row.get(5)?, row.get(6)?, row.get(7)?)),
            None => None,
        };
        let Ok(body) = serde_json::from_str::<DelegatedBody>(&body) else {
            problems.push((Some(seq), "its delegation body is unreadable".to_string()));
            continue;
        };
        if !same_person(&body.from, &actor) {
            problems.push((
                Some(seq),
                format!(
                    "a delegation of {}'s items recorded by {actor}: only a reviewer hands their \
                     own items over",
                    body.from
                ),
            ));
        }
        let named = match campaign {
            Some(id) => campaign_name(conn, id)?,
            None => None,
        };
        let expected = (body.from, body.to, body.until, campaign);
        match stored {
            None => problems.push((
                Some(seq),
                "a delegation event without its delegation row: the row was deleted".into(),
            )),
            Some(row) if row != expected || named != body.campaign => problems.push((
                Some(seq),
                format!(
                    "the delegation row says {} to {} until {} but its event recorded {} to {} \
                     until {}: the delegation table was edited",
                    row.0, row.1, row.2, expected.0, expected.1, expected.2
                ),
            )),
            Some(_) => {}
        }
    }
    let orphans: Vec<i64> = conn
        .prepare(
            "SELECT d.event FROM delegation d LEFT JOIN event e ON e.seq = d.event
             WHERE e.kind IS NOT 'delegated' ORDER BY d.event",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for event in orphans {
        problems.push((
            None,
            format!(
                "a delegation row names event {event}, which is no delegation: it was inserted"
            ),
        ));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roster::Established;
    use crate::testing::{self, OWNER, SPONSOR, acting, day};

    fn owner() -> Actor {
        Actor {
            email: OWNER.into(),
            via: Established::Asserted,
            roles: Default::default(),
        }
    }

    fn findings(store: &Store) -> Vec<String> {
        let v = store.verify(&[], false).unwrap();
        v.discrepancies.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn a_cancelled_campaign_refuses_decisions_and_verify_refuses_one_forged_after() {
        let (mut store, q4) = testing::sample_store();
        let item = testing::sample_item(&store, &q4, 1);
        store
            .cancel_campaign(q4.id, &acting(OWNER), &owner(), "made by mistake")
            .unwrap();
        assert_eq!(
            store.campaign("Q4").unwrap().state,
            CampaignState::Cancelled
        );
        let refused = store
            .decide(
                q4.id,
                &acting(SPONSOR),
                &[super::super::DecisionRequest {
                    item: super::super::ItemId(item),
                    decision: Some(crate::domain::Decision::Attest),
                    note: Some("x".into()),
                    ..Default::default()
                }],
            )
            .unwrap_err()
            .to_string();
        assert!(refused.contains("was cancelled by m.santos"), "{refused}");
        assert!(findings(&store).is_empty(), "{:?}", findings(&store));
        // A decision appended past the rules, correctly hashed.
        let body = serde_json::json!({
            "assigned_to": SPONSOR, "recommendation": "revoke",
            "against_recommendation": true, "self_review": false, "bulk": false,
        });
        let mut chain = ChainWriter::start(&store.conn).unwrap();
        chain
            .append(
                &store.conn,
                &NewEvent {
                    kind: "attest",
                    campaign: Some(q4.id),
                    item: Some(super::super::ItemId(item)),
                    actor: SPONSOR,
                    actor_via: "asserted",
                    at: "2026-11-22T11:00:00.000Z",
                    note: Some("forged"),
                    body: body.to_string(),
                },
            )
            .unwrap();
        let found = findings(&store);
        assert!(
            found
                .iter()
                .any(|f| f.contains("after the campaign was cancelled")),
            "{found:?}"
        );
    }

    #[test]
    fn a_cancelled_campaign_is_never_the_previous_one() {
        let (mut store, q4) = testing::sample_store();
        store
            .cancel_campaign(q4.id, &acting(OWNER), &owner(), "wrong as-of date")
            .unwrap();
        let again = testing::campaign(&mut store, "Q4 again", "2026-11-01");
        assert_eq!(again.previous, None);
        assert_eq!(store.latest_campaign().unwrap().unwrap().name, "Q4 again");
        let third = testing::campaign(&mut store, "Q4 third", "2026-11-01");
        assert_eq!(third.previous.as_deref(), Some("Q4 again"));
    }

    #[test]
    fn verify_holds_the_delegation_table_to_its_events() {
        let (mut store, q4) = testing::sample_store();
        store
            .delegate(
                &acting(SPONSOR),
                "t.nguyen@northwind.example.com",
                day("2026-11-30"),
                Some(q4.id),
                Some("on leave"),
            )
            .unwrap();
        assert!(findings(&store).is_empty(), "{:?}", findings(&store));
        let listed = store.delegations_in_force(day("2026-11-30")).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].campaign.as_deref(), Some("Q4"));
        assert!(
            store
                .delegations_in_force(day("2026-12-01"))
                .unwrap()
                .is_empty()
        );
        store
            .conn
            .execute("UPDATE delegation SET until = '2027-12-31'", [])
            .unwrap();
        let found = findings(&store);
        assert!(
            found
                .iter()
                .any(|f| f.contains("the delegation table was edited")),
            "{found:?}"
        );
    }
}
