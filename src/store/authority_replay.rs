//! Who acted, replayed: `verify` asks the same rules recording asks
//! (`rules::authority`, `rules::signoff`) of every decision and sign-off in
//! the log. In a shared database a decision by someone without authority
//! over the item at that moment (not its reviewer, no delegation covering
//! it, no owner's override with a note) is named; so is a sponsor's
//! sign-off by anyone but that part's sponsor, a part signed twice or after
//! the final sign-off, and a final sign-off by anyone but the owner.

use super::integrity::Findings;
use super::lifecycle::SignOffBody;
use super::parts::PartSignOffBody;
use super::people::ModeBody;
use super::refusals::{CampaignRules, DecisionEvent};
use super::{CampaignId, Result, Store};
use crate::domain::people::person_key;
use crate::domain::roster::Mode;
use crate::rules::authority::{self, Delegation};
use crate::rules::signoff;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};

/// A sponsor's sign-off of a part, as the log holds it.
pub(super) struct PartSignoffEvent {
    pub campaign: i64,
    pub seq: i64,
    pub actor: String,
    pub at: String,
    /// The part it names, kept as people are kept.
    pub part: String,
}

/// The mode and the delegations as they stood at each point of the log.
#[derive(Debug, Default)]
pub(super) struct AuthorityReplay {
    /// Each change of mode: its event and the mode it set.
    modes: Vec<(i64, Mode)>,
    /// Each delegation with the event that recorded it.
    delegations: Vec<(i64, Delegation)>,
}

impl AuthorityReplay {
    fn mode_at(&self, seq: i64) -> Mode {
        self.modes
            .iter()
            .take_while(|(at, _)| *at < seq)
            .last()
            .map_or(Mode::Personal, |(_, mode)| *mode)
    }

    /// Why recording would have refused `event` to its actor when the item
    /// waited for `assignee`, if it would have.
    pub(super) fn refused(
        &self,
        rules: &CampaignRules,
        campaign: i64,
        event: &DecisionEvent<'_>,
        assignee: impl FnOnce() -> String,
    ) -> Option<String> {
        if event.body.close_action.is_some() {
            return None;
        }
        let mode = self.mode_at(event.seq);
        if mode == Mode::Personal {
            return None;
        }
        let today = DateTime::parse_from_rfc3339(event.at)
            .ok()?
            .with_timezone(&Utc)
            .date_naive();
        let delegations: Vec<Delegation> = self
            .delegations
            .iter()
            .filter(|(seq, _)| *seq < event.seq)
            .map(|(_, d)| d.clone())
            .collect();
        let assignee = assignee();
        let facts = authority::DecideFacts {
            mode,
            item: event.item,
            campaign,
            owner: &rules.owner,
            assignee: &assignee,
            delegations: &delegations,
            today,
        };
        let overriding = event.body.override_of.is_some();
        let note = event.has_note.then_some("(a note)");
        let refusal = authority::may_decide(&facts, event.actor, overriding, note).err()?;
        let kind = event.kind.as_str();
        Some(format!(
            "{kind} of item {} in campaign {:?} by {}, who had no authority over it then in a \
             shared database ({refusal}): the rules refuse it",
            event.item, rules.name, event.actor
        ))
    }
}

impl Store {
    /// The mode changes and delegations of the log, for the replay.
    pub(super) fn authority_replay(&self) -> Result<AuthorityReplay> {
        let mut replay = AuthorityReplay::default();
        let mut stmt = self.conn.prepare(
            "SELECT seq, body FROM event WHERE campaign IS NULL AND kind = 'mode_changed'
             ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let body: String = row.get(1)?;
            if let Ok(body) = serde_json::from_str::<ModeBody>(&body) {
                replay.modes.push((row.get(0)?, body.mode));
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT event, from_person, to_person, until, campaign FROM delegation ORDER BY event",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let until: String = row.get(3)?;
            if let Ok(until) = crate::domain::date::parse_day(&until) {
                replay.delegations.push((
                    row.get(0)?,
                    Delegation {
                        from: row.get(1)?,
                        to: row.get(2)?,
                        until,
                        campaign: row.get(4)?,
                    },
                ));
            }
        }
        Ok(replay)
    }

    /// Every sponsor's sign-off of a part, in log order.
    pub(super) fn part_signoff_events(&self) -> Result<Vec<PartSignoffEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT campaign, seq, actor, at, body FROM event
             WHERE kind = 'part_signed_off' AND campaign IS NOT NULL AND item IS NULL
             ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let body: String = row.get(4)?;
            let part = serde_json::from_str::<PartSignOffBody>(&body)
                .map(|b| person_key(&b.sponsor).into_owned())
                .unwrap_or_default();
            out.push(PartSignoffEvent {
                campaign: row.get(0)?,
                seq: row.get(1)?,
                actor: row.get(2)?,
                at: row.get(3)?,
                part,
            });
        }
        Ok(out)
    }

    /// Each sign-off against who may sign what: a part by its sponsor only,
    /// once, before the final sign-off; the campaign by its owner only.
    pub(super) fn check_signoffs(
        &self,
        findings: &mut Findings,
        rules: &HashMap<i64, CampaignRules>,
    ) -> Result<()> {
        let mut parts_of: HashMap<i64, BTreeSet<String>> = HashMap::new();
        let mut seen: BTreeSet<(i64, String)> = BTreeSet::new();
        for signed in self.part_signoff_events()? {
            let Some(campaign) = rules.get(&signed.campaign) else {
                continue;
            };
            let name = &campaign.name;
            let seq = signed.seq;
            let what = format!(
                "the sign-off of {}'s part of campaign {name:?}",
                signed.part
            );
            let parts = match parts_of.entry(signed.campaign) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => slot.insert(
                    super::parts::counts(&self.conn, CampaignId(signed.campaign), &campaign.owner)?
                        .into_keys()
                        .collect(),
                ),
            };
            let problem = if !parts.contains(&signed.part) {
                Some(format!(
                    "{what} names a part the campaign does not have: none of its items is \
                     sponsored by {}",
                    signed.part
                ))
            } else if let Err(refusal) =
                signoff::may_sign_part(name, &campaign.owner, &signed.part, &signed.actor)
            {
                Some(format!("{what} by {}: {refusal}", signed.actor))
            } else if let Some(final_seq) = campaign.signed_off.filter(|s| *s < seq) {
                Some(format!(
                    "{what} recorded after the campaign was signed off (event {final_seq})"
                ))
            } else if !seen.insert((signed.campaign, signed.part.clone())) {
                Some(format!("{what} is recorded twice: a part is signed once"))
            } else {
                None
            };
            if let Some(problem) = problem {
                findings.add(Some(seq), format!("{problem}: the rules refuse it"));
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT campaign, seq, actor, body FROM event
             WHERE kind = 'campaign_signed_off' AND campaign IS NOT NULL AND item IS NULL
             ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let campaign: i64 = row.get(0)?;
            let Some(rules) = rules.get(&campaign) else {
                continue;
            };
            let seq: i64 = row.get(1)?;
            let actor: String = row.get(2)?;
            let body: SignOffBody =
                serde_json::from_str(&row.get::<_, String>(3)?).unwrap_or_default();
            let refusal = if body.final_signoff {
                signoff::may_sign_final(&rules.name, &rules.owner, &actor).err()
            } else {
                // Recorded before parts: its owner or a sponsor of its items.
                let part = signoff::part_of(Some(&actor), &rules.owner);
                let sponsored =
                    super::parts::counts(&self.conn, CampaignId(campaign), &rules.owner)?
                        .get(&part)
                        .map_or(0, |(items, _)| *items);
                signoff::role(&rules.owner, &actor, sponsored)
                    .is_none()
                    .then(|| {
                        crate::rules::Refusal::NotAllowed(format!(
                            "{actor} is neither its owner nor a sponsor of its items"
                        ))
                    })
            };
            if let Some(refusal) = refusal {
                findings.add(
                    Some(seq),
                    format!(
                        "the sign-off of campaign {:?} by {actor}: {refusal}: the rules refuse it",
                        rules.name
                    ),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::roster::Mode;
    use crate::store::events::{ChainWriter, DecisionBody, NewEvent};
    use crate::store::{ItemId, Store};
    use crate::testing::{OWNER, SPONSOR, acting, sample_item, sample_store};

    /// Appends an event as someone with recert's own code could: correctly
    /// hashed, past every rule recording asks.
    fn forge(store: &Store, kind: &str, item: Option<i64>, actor: &str, body: String) -> i64 {
        let mut chain = ChainWriter::start(&store.conn).unwrap();
        chain
            .append(
                &store.conn,
                &NewEvent {
                    kind,
                    campaign: Some(crate::store::CampaignId(1)),
                    item: item.map(ItemId),
                    actor,
                    actor_via: "asserted",
                    at: "2026-11-22T10:00:00.000Z",
                    note: Some("forged"),
                    body,
                },
            )
            .unwrap()
            .0
    }

    fn named(store: &Store, seq: i64) -> String {
        let v = store.verify(&[], false).unwrap();
        assert!(v.chain.first_break.is_none(), "the chain itself verifies");
        v.discrepancies
            .iter()
            .find(|d| d.seq == Some(seq))
            .map(|d| d.message.clone())
            .unwrap_or_else(|| panic!("event {seq} is not named: {:?}", v.discrepancies))
    }

    fn attest(assigned_to: &str) -> String {
        serde_json::to_string(&DecisionBody {
            assigned_to: assigned_to.into(),
            recommendation: "keep".into(),
            ..DecisionBody::default()
        })
        .unwrap()
    }

    #[test]
    fn in_a_shared_database_a_decision_without_authority_is_named() {
        let (mut store, q4) = sample_store();
        let owners = sample_item(&store, &q4, 8); // No sponsor: the owner reviews it.
        // Personal: on another's behalf is allowed, and not named later.
        let before = forge(&store, "attest", Some(owners), SPONSOR, attest(OWNER));
        store.set_mode(&acting(OWNER), Mode::Shared, None).unwrap();
        let after = forge(&store, "revoke", Some(owners), SPONSOR, attest(OWNER));
        let message = named(&store, after);
        assert!(
            message.contains(&format!(
                "revoke of item {owners} in campaign \"Q4\" by {SPONSOR}"
            )) && message.contains(&format!("item {owners} is {OWNER}'s to decide")),
            "{message}"
        );
        let v = store.verify(&[], false).unwrap();
        assert!(
            !v.discrepancies
                .iter()
                .any(|d| d.seq == Some(before) && d.message.contains("authority")),
            "in a personal database it was on the reviewer's behalf"
        );
    }

    #[test]
    fn sign_offs_by_anyone_but_the_parts_sponsor_or_the_owner_are_named() {
        let (store, q4) = sample_store();
        let part = |sponsor: &str| {
            format!(r#"{{"sponsor":"{sponsor}","items":21,"decided":0,"undecided":21}}"#)
        };
        let by_owner = forge(&store, "part_signed_off", None, OWNER, part(SPONSOR));
        let message = named(&store, by_owner);
        assert!(
            message.contains(&format!("{SPONSOR}'s part of campaign \"Q4\" by {OWNER}"))
                && message.contains(&format!("signed by {SPONSOR} alone")),
            "{message}"
        );
        let nobodys = forge(&store, "part_signed_off", None, "x@y", part("x@y"));
        assert!(named(&store, nobodys).contains("a part the campaign does not have"));
        let final_by_sponsor = forge(
            &store,
            "campaign_signed_off",
            None,
            SPONSOR,
            r#"{"role":"owner","final":true}"#.into(),
        );
        let message = named(&store, final_by_sponsor);
        assert!(
            message.contains("only the owner of campaign \"Q4\""),
            "{message}"
        );
        let late = forge(&store, "part_signed_off", None, SPONSOR, part(SPONSOR));
        assert!(named(&store, late).contains("after the campaign was signed off"));
        let _ = q4;
    }

    #[test]
    fn a_decision_on_a_signed_part_is_named() {
        let (mut store, q4) = sample_store();
        let hers = sample_item(&store, &q4, 1);
        store
            .sign_part(q4.id, &acting(SPONSOR), "21 undecided", Some(21))
            .unwrap();
        assert!(store.verify(&[], false).unwrap().ok());
        let seq = forge(&store, "attest", Some(hers), SPONSOR, attest(SPONSOR));
        let message = named(&store, seq);
        assert!(
            message.contains("after its part was signed off")
                && message.contains(&format!("signed off by {SPONSOR}")),
            "{message}"
        );
    }
}
