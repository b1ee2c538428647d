//! Closing a campaign: every item nobody decided gets the campaign's
//! close action as a decision event by the closer, then the
//! `campaign_closed` event freezes it. Later decisions are refused.

use super::campaigns::item_range;
use super::campaigns::tally;
use super::events::{Acting, ChainWriter, DecisionBody, NewEvent};
use super::lifecycle::{
    CampaignFacts, ClosedBody, Closure, closure, facts, signoffs, sponsored_by,
};
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::people::same_person;
use crate::domain::rotation;
use crate::domain::{Decision, FlagSet, Policy, Recommendation};
use crate::rules::closing;
use rusqlite::{Connection, params};

/// How many items a close records per batch: the batch is read before it
/// is written, so no statement reads rows it is changing.
const CLOSE_BATCH: i64 = 1000;

impl Store {
    /// Closes a signed-off campaign: every item nobody decided gets the
    /// campaign's close action as a decision event by the closer, then the
    /// `campaign_closed` event freezes it. All in one transaction.
    pub fn close_campaign(
        &mut self,
        campaign: CampaignId,
        acting: &Acting<'_>,
        note: Option<&str>,
    ) -> Result<Closure> {
        let via = acting.via.to_string();
        self.write(|tx| {
            let facts = facts(tx, campaign)?;
            super::stalled::refuse_if_cancelled(tx, campaign, &facts.name, "closes")?;
            closing::check(&closing::CloseFacts {
                mode: super::people::mode(tx)?,
                campaign: &facts.name,
                state: facts.state,
                owner: &facts.owner,
                actor: acting.actor,
                sponsored: sponsored_by(tx, campaign, acting.actor)?,
                signed: signoffs(tx, campaign)?
                    .iter()
                    .any(|s| same_person(&s.signer, acting.actor)),
                closed_by_event: closure(tx, campaign)?.map(|c| c.seq),
            })?;
            let before = tally(tx, campaign)?;
            let mut chain = ChainWriter::start(tx)?;
            let (kept, revoked, rotated) =
                apply_close_action(tx, &mut chain, campaign, &facts, acting)?;
            let body = ClosedBody {
                on_close: facts.on_close.as_str().to_string(),
                kept,
                revoked,
                rotated,
                tally_before: Some(before.into()),
            };
            let body = serde_json::to_string(&body)
                .map_err(|e| StoreError::Corrupt(format!("close body: {e}")))?;
            chain.append(
                tx,
                &NewEvent {
                    kind: "campaign_closed",
                    campaign: Some(campaign),
                    item: None,
                    actor: acting.actor,
                    actor_via: &via,
                    at: acting.at,
                    note: note.map(str::trim).filter(|n| !n.is_empty()),
                    body,
                },
            )?;
            Ok(())
        })?;
        self.closure(campaign)?
            .ok_or_else(|| StoreError::Corrupt("the close event vanished".into()))
    }
}

/// One item nobody decided, as closing needs it.
struct Waiting {
    id: i64,
    identity_id: String,
    email: Option<String>,
    recommendation: Recommendation,
    flags: FlagSet,
    assignee: String,
}

/// Records the close action on every item without a final decision, in
/// risk order and in batches; returns how many were kept, revoked, and of
/// the kept given a rotate.
fn apply_close_action(
    conn: &Connection,
    chain: &mut ChainWriter,
    campaign: CampaignId,
    facts: &CampaignFacts,
    acting: &Acting<'_>,
) -> Result<(u64, u64, u64)> {
    let policy: String = conn.query_row(
        "SELECT policy FROM campaign WHERE id = ?1",
        [campaign],
        |r| r.get(0),
    )?;
    let policy: Policy = serde_json::from_str(&policy)
        .map_err(|e| StoreError::Corrupt(format!("campaign {:?} policy: {e}", facts.name)))?;
    // From the day of the close event's own time, as `verify` replays it:
    // a console left open past midnight still closes with today's date.
    let day = chrono::DateTime::parse_from_rfc3339(acting.at)
        .map(|t| t.with_timezone(&chrono::Utc).date_naive())
        .unwrap_or(acting.today);
    let rotate_by = rotation::close_action_by(day, &policy);
    let note = format!(
        "nobody decided this item before the campaign closed: close action {}",
        facts.on_close
    );
    let via = acting.via.to_string();
    let (mut kept, mut revoked, mut rotated) = (0u64, 0u64, 0u64);
    let (first, last) = item_range(conn, campaign)?;
    let mut after = first - 1;
    loop {
        // In keyset batches by id, which is the queue order.
        let batch: Vec<Waiting> = conn
            .prepare_cached(
                "SELECT i.id, NULL, idn.identity_id, coalesce(idn.email, r.email),
                        i.recommendation, coalesce(s.assignee, i.reviewer), i.flags
                 FROM item i
                 JOIN identity idn ON idn.id = i.identity
                 LEFT JOIN register_entry r ON r.id = i.register
                 LEFT JOIN item_state s ON s.item = i.id
                 WHERE i.id > ?1 AND i.id <= ?2
                   AND (s.decision IS NULL OR s.decision = 'reassign')
                 ORDER BY i.id LIMIT ?3",
            )?
            .query_map(params![after, last, CLOSE_BATCH], |r| {
                Ok(Waiting {
                    id: r.get(0)?,
                    identity_id: r.get(2)?,
                    email: r.get(3)?,
                    recommendation: r
                        .get::<_, String>(4)?
                        .parse()
                        .unwrap_or(Recommendation::ReviewWithCare),
                    assignee: r.get(5)?,
                    flags: FlagSet::from_bits(r.get::<_, i64>(6)? as u32),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last_waiting) = batch.last() else {
            break;
        };
        after = last_waiting.id;
        for item in &batch {
            let action = closing::close_action(
                facts.on_close,
                (item.recommendation, item.flags),
                rotate_by,
                &item.identity_id,
                item.email.as_deref(),
                acting.actor,
            );
            let decision = action.decision;
            let body = DecisionBody {
                assigned_to: item.assignee.clone(),
                recommendation: item.recommendation.as_str().to_string(),
                against_recommendation: action.against_recommendation,
                self_review: action.self_review,
                bulk: true,
                close_action: Some(facts.on_close.as_str().to_string()),
                by: match decision {
                    Decision::Rotate { by } => Some(by),
                    _ => None,
                },
                ..DecisionBody::default()
            };
            let body = serde_json::to_string(&body)
                .map_err(|e| StoreError::Corrupt(format!("decision body: {e}")))?;
            let kind = decision.kind();
            let seq = chain.append(
                conn,
                &NewEvent {
                    kind: kind.as_str(),
                    campaign: Some(campaign),
                    item: Some(super::ItemId(item.id)),
                    actor: acting.actor,
                    actor_via: &via,
                    at: acting.at,
                    note: Some(&note),
                    body,
                },
            )?;
            conn.prepare_cached(
                "INSERT INTO item_state (item, campaign, decision, decided_event, last_event,
                     assignee, exception_until)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, NULL)
                 ON CONFLICT(item) DO UPDATE SET decision = excluded.decision,
                     decided_event = excluded.decided_event, last_event = excluded.last_event,
                     assignee = excluded.assignee, exception_until = NULL",
            )?
            .execute(params![
                item.id,
                campaign,
                kind.as_str(),
                seq,
                item.assignee
            ])?;
            match decision {
                Decision::Revoke => revoked += 1,
                Decision::Rotate { .. } => {
                    kept += 1;
                    rotated += 1;
                }
                _ => kept += 1,
            }
        }
    }
    Ok((kept, revoked, rotated))
}

#[cfg(test)]
mod tests {
    use crate::domain::{CampaignState, Decision, OnClose, Policy, ReviewerRule};
    use crate::store::{NewCampaign, Store, StoreError};
    use crate::testing::{OWNER, SPONSOR, acting, day, decide, sample_store};

    fn sign(store: &mut Store, campaign: &crate::store::CampaignSummary, waiting: u64) {
        let note = format!("{waiting} undecided: the close action applies");
        let unsigned = store
            .parts(campaign.id)
            .unwrap()
            .iter()
            .filter(|p| !p.owners_part && !p.is_signed())
            .count() as u64;
        store
            .sign_off(
                campaign.id,
                &acting(OWNER),
                &note,
                Some(unsigned),
                Some(waiting).filter(|n| *n > 0),
            )
            .unwrap();
    }

    #[test]
    fn closing_needs_a_signoff_then_keeps_what_nobody_decided_and_freezes() {
        let (mut store, q4) = sample_store();
        decide(&mut store, &q4, OWNER, 1, Some(Decision::Revoke), "gone");
        decide(
            &mut store,
            &q4,
            OWNER,
            7,
            Some(Decision::Reassign {
                to: "t.nguyen@northwind.example.com".into(),
            }),
            "IT's",
        );
        let err = store
            .close_campaign(q4.id, &acting(OWNER), None)
            .unwrap_err();
        assert!(err.to_string().contains("sign it off first"), "{err}");
        sign(&mut store, &q4, 29);
        let err = store
            .close_campaign(q4.id, &acting("intruder@x"), None)
            .unwrap_err();
        assert!(err.to_string().contains("only the owner"), "{err}");

        let closed = store
            .close_campaign(q4.id, &acting(OWNER), Some("quarter over"))
            .unwrap();
        assert_eq!((closed.kept, closed.revoked), (29, 0));
        assert_eq!(closed.on_close, "keep");
        assert_eq!(closed.note.as_deref(), Some("quarter over"));
        let after = store.campaign("Q4").unwrap();
        assert_eq!(after.state, CampaignState::Closed);
        assert_eq!((after.tally.attested, after.tally.revoked), (29, 1));
        assert_eq!(after.tally.undecided + after.tally.reassigned, 0);

        // The reassigned item was kept, still held by whom it was handed to.
        let seven = store
            .item_detail(q4.id, crate::store::ItemId(7))
            .unwrap()
            .unwrap();
        assert_eq!(seven.row.assignee, "t.nguyen@northwind.example.com");
        let last = seven.history.last().unwrap();
        assert_eq!((last.kind.as_str(), last.actor.as_str()), ("attest", OWNER));
        assert!(last.note.as_deref().unwrap().contains("close action keep"));

        let late = crate::store::DecisionRequest {
            item: crate::store::ItemId(2),
            decision: Some(Decision::Revoke),
            note: Some("late".into()),
            seen_event: None,
            seconds_on_screen: None,
            overriding: false,
        };
        let err = store.decide(q4.id, &acting(OWNER), &[late]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "campaign \"Q4\" is closed: it no longer accepts decisions"
        );
        let err = store
            .close_campaign(q4.id, &acting(OWNER), None)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("already closed (event {})", closed.seq)),
            "{err}"
        );
        assert!(matches!(
            store.sign_off(q4.id, &acting(SPONSOR), "late", None, Some(0)),
            Err(StoreError::Refused(crate::rules::Refusal::WrongState(_)))
        ));
        let verification = store.verify(&[], false).unwrap();
        assert!(verification.ok(), "{verification:?}");
    }

    #[test]
    fn the_recommendation_close_action_revokes_what_should_go_and_rotates_what_needs_rotating() {
        let (mut store, q4) = sample_store();
        let follow = store
            .create_campaign(&NewCampaign {
                name: "follow".into(),
                due: day("2026-12-15"),
                as_of: day("2026-11-01"),
                scope: vec![],
                reviewer_rule: ReviewerRule::Sponsor,
                on_close: OnClose::Recommendation,
                owner: OWNER.into(),
                owner_via: "asserted".into(),
                created_at: "2026-11-01T09:30:00.000Z".into(),
                policy: Policy::default(),
            })
            .unwrap();
        drop(q4);
        let preview = store.signoff_summary(follow.id, 0).unwrap().close_preview;
        // Break-glass accounts are never dormant: the emergency admin's
        // Snowflake grant is only privileged, so it is kept. Two service
        // accounts' credentials only need rotating: kept, with a rotate.
        assert_eq!((preview.revoke, preview.keep, preview.rotate), (20, 10, 2));
        sign(&mut store, &follow, 30);
        let closed = store
            .close_campaign(
                follow.id,
                // A console opened the day before: the close's own time
                // dates its rotates, as `verify` replays them.
                &crate::store::Acting {
                    today: day("2026-11-21"),
                    ..acting(SPONSOR)
                },
                None,
            )
            .unwrap();
        assert_eq!(
            (closed.revoked, closed.kept, closed.rotated),
            (20, 10, 2),
            "as previewed"
        );
        assert_eq!(store.remediation_counts(follow.id).unwrap().pending, 20);
        let rotations = store.rotation_counts(follow.id, day("2026-11-01")).unwrap();
        assert_eq!((rotations.pending, rotations.total()), (2, 2));
        let page = store
            .rotation_page(follow.id, None, day("2026-11-22"), None, 10)
            .unwrap();
        assert!(page.iter().all(|t| t.by == day("2027-02-20")), "{page:?}");
        let verification = store.verify(&[], false).unwrap();
        assert!(verification.ok(), "{verification:?}");
        let evidence = store
            .campaign_evidence(follow.id, crate::store::Detail::Full)
            .unwrap();
        assert_eq!(evidence.close_actions, 30);
        assert_eq!(
            evidence.reviewed_decisions(),
            0,
            "a close action is no review"
        );
        // The sponsor closed and so decided on her own three grants.
        assert_eq!(evidence.self_review_decisions, 3);
    }
}
