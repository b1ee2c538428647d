//! Signing off: what a signer is shown (the campaign's outcome as it
//! stands) and the owner's final sign-off, after which the campaign takes
//! no more decisions, so what was signed stays what was signed. Sponsors
//! sign their own parts first (`parts.rs`).

use super::campaigns::item_range;
use super::campaigns::{Tally, tally};
use super::events::{Acting, ChainWriter, NewEvent};
use super::lifecycle::{SignOff, SignOffBody, facts, signoffs, sponsored_by};
use super::parts;
use super::row::{ItemRow, VersionLookup, collect_rows, select};
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::people::{person_key, same_person};
use crate::domain::{CampaignState, Decision, OnClose, Recommendation};
use crate::rules::signoff;
use rusqlite::{Connection, params};
use serde::Serialize;

/// A list of items, the first few of many.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemList {
    pub total: u64,
    /// The riskiest `limit` of them.
    pub first: Vec<ItemRow>,
}

/// Decisions in force by one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionsBy {
    pub actor: String,
    pub decisions: u64,
    pub self_review: u64,
    pub against_recommendation: u64,
}

/// What closing would do to the items nobody decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClosePreview {
    pub keep: u64,
    pub revoke: u64,
    /// Of the kept, those the close action gives a rotate.
    #[serde(skip_serializing_if = "is_zero")]
    pub rotate: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a sponsor is asked to sign: the campaign's outcome as it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct SignoffSummary {
    pub campaign: String,
    pub state: CampaignState,
    pub owner: String,
    pub due: String,
    pub on_close: OnClose,
    pub tally: Tally,
    pub exceptions: ItemList,
    pub revocations: ItemList,
    /// Kept on a promise that the credential is rotated by a date.
    pub rotations: ItemList,
    /// Undecided and reassigned items: nobody has made a final decision.
    pub undecided: ItemList,
    pub close_preview: ClosePreview,
    /// Who made the decisions in force, most first.
    pub decisions_by: Vec<DecisionsBy>,
    pub self_review_decisions: u64,
    pub against_recommendation: u64,
    pub signoffs: Vec<SignOff>,
    /// Its parts by sponsor and where each one's sign-off stands.
    pub parts: Vec<super::Part>,
    /// Who items nobody decided wait for, and how many each, most first.
    pub working: Vec<(String, u64)>,
}

impl SignoffSummary {
    /// Items without a final decision.
    pub fn waiting(&self) -> u64 {
        self.tally.undecided + self.tally.reassigned
    }

    /// The sponsors' parts nobody signed.
    pub fn unsigned_parts(&self) -> impl Iterator<Item = &super::Part> {
        self.parts
            .iter()
            .filter(|p| !p.owners_part && !p.is_signed())
    }

    /// The part `actor` signs as its sponsor, if any.
    pub fn part_of(&self, actor: &str) -> Option<&super::Part> {
        self.parts
            .iter()
            .find(|p| !p.owners_part && same_person(&p.sponsor, actor))
    }

    /// Decisions in force made by `actor`.
    pub fn decisions_of(&self, actor: &str) -> u64 {
        self.decisions_by
            .iter()
            .filter(|d| same_person(&d.actor, actor))
            .map(|d| d.decisions)
            .sum()
    }
}

/// Which items a listing shows; fixed SQL, nothing spliced from input.
#[derive(Clone, Copy)]
enum Listing {
    Exceptions,
    Revocations,
    Rotations,
    Undecided,
}

impl Listing {
    fn condition(self) -> &'static str {
        match self {
            Listing::Exceptions => "s.decision = 'exception'",
            Listing::Revocations => "s.decision = 'revoke'",
            Listing::Rotations => "s.decision = 'rotate'",
            Listing::Undecided => "(s.decision IS NULL OR s.decision = 'reassign')",
        }
    }
}

fn list_items(
    conn: &Connection,
    campaign: CampaignId,
    listing: Listing,
    limit: usize,
) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "{} AND {} ORDER BY i.id LIMIT {limit}",
        select(VersionLookup::Joined),
        listing.condition(),
        // Beyond i64 SQLite refuses the LIMIT as a type mismatch.
        limit = limit.min(i64::MAX as usize)
    );
    let (first, last) = item_range(conn, campaign)?;
    let mut stmt = conn.prepare_cached(&sql)?;
    collect_rows(&mut stmt, params![first, last])
}

/// Decisions in force per person, with their self-review and
/// against-the-recommendation counts; close actions are the closer's, not
/// a review, and are left out.
fn decisions_by(conn: &Connection, campaign: CampaignId) -> Result<Vec<DecisionsBy>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.actor, count(*),
                coalesce(sum(json_extract(d.body, '$.self_review')), 0),
                coalesce(sum(json_extract(d.body, '$.against_recommendation')), 0)
         FROM item_state s JOIN event d ON d.seq = s.decided_event
         WHERE s.campaign = ?1 AND s.decision IN ('attest', 'revoke', 'exception', 'rotate')
           AND json_extract(d.body, '$.close_action') IS NULL
         GROUP BY d.actor ORDER BY d.actor",
    )?;
    let rows = stmt.query_map([campaign], |r| {
        Ok(DecisionsBy {
            actor: r.get(0)?,
            decisions: r.get::<_, i64>(1)?.max(0) as u64,
            self_review: r.get::<_, i64>(2)?.max(0) as u64,
            against_recommendation: r.get::<_, i64>(3)?.max(0) as u64,
        })
    })?;
    // SQL groups spellings exactly; one person (an older database may
    // hold " A.Kowalski@…" beside "a.kowalski@…") is one line.
    let mut people: Vec<DecisionsBy> = Vec::new();
    for row in rows {
        let row = row?;
        match people
            .iter_mut()
            .find(|p| same_person(&p.actor, &row.actor))
        {
            Some(person) => {
                person.decisions += row.decisions;
                person.self_review += row.self_review;
                person.against_recommendation += row.against_recommendation;
            }
            None => people.push(DecisionsBy {
                actor: person_key(&row.actor).into_owned(),
                ..row
            }),
        }
    }
    people.sort_by(|a, b| {
        b.decisions
            .cmp(&a.decisions)
            .then_with(|| a.actor.cmp(&b.actor))
    });
    Ok(people)
}

fn close_preview(
    conn: &Connection,
    campaign: CampaignId,
    on_close: OnClose,
) -> Result<ClosePreview> {
    let (first, last) = item_range(conn, campaign)?;
    let mut stmt = conn.prepare_cached(
        "SELECT i.recommendation, i.flags, count(*) FROM item i
         LEFT JOIN item_state s ON s.item = i.id
         WHERE i.id BETWEEN ?1 AND ?2 AND (s.decision IS NULL OR s.decision = 'reassign')
         GROUP BY i.recommendation, i.flags",
    )?;
    let rows = stmt.query_map([first, last], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut preview = ClosePreview::default();
    for row in rows {
        let (recommendation, flags, n) = row?;
        let recommendation = recommendation
            .parse()
            .unwrap_or(Recommendation::ReviewWithCare);
        let flags = crate::domain::FlagSet::from_bits(flags as u32);
        // Only the kind counts here: the date is the close's to set.
        match on_close.decision_for(recommendation, flags, chrono::NaiveDate::default()) {
            Decision::Revoke => preview.revoke += n.max(0) as u64,
            Decision::Rotate { .. } => {
                preview.keep += n.max(0) as u64;
                preview.rotate += n.max(0) as u64;
            }
            _ => preview.keep += n.max(0) as u64,
        }
    }
    Ok(preview)
}

/// Who the items nobody decided wait for, most first.
fn working(conn: &Connection, campaign: CampaignId) -> Result<Vec<(String, u64)>> {
    let (first, last) = item_range(conn, campaign)?;
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(s.assignee, i.reviewer), count(*) FROM item i
         LEFT JOIN item_state s ON s.item = i.id
         WHERE i.id BETWEEN ?1 AND ?2 AND (s.decision IS NULL OR s.decision = 'reassign')
         GROUP BY 1 ORDER BY 2 DESC, 1",
    )?;
    let rows = stmt.query_map([first, last], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn summary(conn: &Connection, campaign: CampaignId, limit: usize) -> Result<SignoffSummary> {
    let facts = facts(conn, campaign)?;
    let tally = tally(conn, campaign)?;
    let decisions_by = decisions_by(conn, campaign)?;
    Ok(SignoffSummary {
        exceptions: ItemList {
            total: tally.exception,
            first: list_items(conn, campaign, Listing::Exceptions, limit)?,
        },
        revocations: ItemList {
            total: tally.revoked,
            first: list_items(conn, campaign, Listing::Revocations, limit)?,
        },
        rotations: ItemList {
            total: tally.rotate,
            first: list_items(conn, campaign, Listing::Rotations, limit)?,
        },
        undecided: ItemList {
            total: tally.undecided + tally.reassigned,
            first: list_items(conn, campaign, Listing::Undecided, limit)?,
        },
        close_preview: close_preview(conn, campaign, facts.on_close)?,
        self_review_decisions: decisions_by.iter().map(|d| d.self_review).sum(),
        against_recommendation: decisions_by.iter().map(|d| d.against_recommendation).sum(),
        decisions_by,
        signoffs: signoffs(conn, campaign)?,
        parts: parts::parts(conn, campaign)?,
        working: working(conn, campaign)?,
        campaign: facts.name,
        state: facts.state,
        owner: facts.owner,
        due: facts.due,
        on_close: facts.on_close,
        tally,
    })
}

impl Store {
    /// What a sign-off of `campaign` would attest, with the riskiest
    /// `limit` items of each list (exceptions, revocations, undecided).
    pub fn signoff_summary(&self, campaign: CampaignId, limit: usize) -> Result<SignoffSummary> {
        summary(&self.conn, campaign, limit)
    }
    /// Records the owner's final sign-off of the campaign as it stands,
    /// which freezes it whole and signs the owner's own part. Sponsors'
    /// parts nobody signed and items nobody decided must be acknowledged by
    /// passing their exact numbers as `accept_unsigned` and
    /// `accept_undecided` (and the note must name the undecided), so that
    /// a sign-off never silently covers work that was not done.
    pub fn sign_off(
        &mut self,
        campaign: CampaignId,
        acting: &Acting<'_>,
        note: &str,
        accept_unsigned: Option<u64>,
        accept_undecided: Option<u64>,
    ) -> Result<SignOff> {
        let seq = self.write(|tx| {
            let facts = facts(tx, campaign)?;
            super::stalled::refuse_if_cancelled(tx, campaign, &facts.name, "sign-offs")?;
            let sponsored = sponsored_by(tx, campaign, acting.actor)?;
            let earlier = signoffs(tx, campaign)?.into_iter().next();
            let tally = tally(tx, campaign)?;
            let waiting = tally.undecided + tally.reassigned;
            let all = parts::parts(tx, campaign)?;
            let unsigned = parts::unsigned(&all);
            signoff::check_final(
                &signoff::FinalFacts {
                    campaign: &facts.name,
                    state: facts.state,
                    owner: &facts.owner,
                    actor: acting.actor,
                    unsigned: &unsigned,
                    waiting,
                    final_signoff: earlier.as_ref().map(|s| signoff::Earlier {
                        signer: &s.signer,
                        seq: s.seq,
                        at: &s.at,
                    }),
                },
                note,
                accept_unsigned,
                accept_undecided,
            )?;
            let role = signoff::SignerRole::Owner;
            let note = note.trim();
            let by = decisions_by(tx, campaign)?;
            let mut body = SignOffBody {
                role: Some(role.as_str().to_string()),
                sponsored_items: sponsored,
                undecided: waiting,
                signer_decisions: by
                    .iter()
                    .filter(|d| same_person(&d.actor, acting.actor))
                    .map(|d| d.decisions)
                    .sum(),
                self_review_decisions: by.iter().map(|d| d.self_review).sum(),
                tally: Some(tally.into()),
                ..SignOffBody::default()
            };
            parts::record_unsigned(&mut body, &unsigned);
            let body = serde_json::to_string(&body)
                .map_err(|e| StoreError::Corrupt(format!("sign-off body: {e}")))?;
            let seq = ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "campaign_signed_off",
                    campaign: Some(campaign),
                    item: None,
                    actor: acting.actor,
                    actor_via: &acting.via.to_string(),
                    at: acting.at,
                    note: Some(note),
                    body,
                },
            )?;
            Ok(seq)
        })?;
        self.signoffs(campaign)?
            .into_iter()
            .find(|s| s.seq == seq.0)
            .ok_or_else(|| StoreError::Corrupt(format!("sign-off event {seq} vanished")))
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{CampaignState, Decision};
    use crate::store::StoreError;
    use crate::testing::{OWNER, SPONSOR, acting, day, decide, sample_item, sample_store};

    fn exception() -> Option<Decision> {
        Some(Decision::Exception {
            until: day("2027-01-31"),
            ticket: Some("CHG-7".into()),
        })
    }

    #[test]
    fn the_summary_shows_counts_exceptions_revocations_and_undecided() {
        let (mut store, q4) = sample_store();
        // Items by the sample line of their grant.
        let [lena, kenji, snowflake, anna, harbour] =
            [1, 8, 3, 30, 13].map(|n| sample_item(&store, &q4, n));
        decide(
            &mut store,
            &q4,
            OWNER,
            lena,
            Some(Decision::Revoke),
            "contract ended",
        );
        decide(&mut store, &q4, OWNER, kenji, exception(), "migration");
        decide(
            &mut store,
            &q4,
            OWNER,
            snowflake,
            Some(Decision::Attest),
            "",
        );
        decide(
            &mut store,
            &q4,
            SPONSOR,
            anna,
            Some(Decision::Attest),
            "I still need it",
        );
        let summary = store.signoff_summary(q4.id, 5).unwrap();
        assert_eq!(summary.state, CampaignState::Open);
        assert_eq!(
            (
                summary.tally.attested,
                summary.tally.revoked,
                summary.tally.exception
            ),
            (2, 1, 1)
        );
        assert_eq!(summary.waiting(), 26);
        assert_eq!(summary.undecided.total, 26);
        assert_eq!(summary.undecided.first.len(), 5, "only the riskiest few");
        assert_eq!(summary.undecided.first[0].id.0, harbour, "riskiest first");
        let exc = &summary.exceptions.first[0];
        assert_eq!(
            (exc.id.0, exc.exception_until.as_deref()),
            (kenji, Some("2027-01-31"))
        );
        assert_eq!(exc.ticket.as_deref(), Some("CHG-7"));
        assert_eq!(summary.revocations.first[0].id.0, lena);
        assert_eq!(
            summary.revocations.first[0].note.as_deref(),
            Some("contract ended")
        );
        assert_eq!(summary.decisions_of(OWNER), 3);
        assert_eq!(
            summary.self_review_decisions, 1,
            "Anna decided on her own access"
        );
        assert_eq!(
            summary.against_recommendation, 1,
            "item 30 is dormant: revoke"
        );
        assert_eq!(summary.close_preview.keep, 26, "on close: keep");
    }

    #[test]
    fn only_the_owner_signs_off_whole_with_a_note_naming_what_is_undecided() {
        let (mut store, q4) = sample_store();
        decide(&mut store, &q4, OWNER, 1, Some(Decision::Revoke), "gone");
        let refuse = |store: &mut crate::store::Store, who, note, accept| {
            store
                .sign_off(q4.id, &acting(who), note, Some(1), accept)
                .unwrap_err()
                .to_string()
        };
        let err = refuse(&mut store, "intruder@x", "fine", Some(29));
        assert!(err.contains("only the owner"), "{err}");
        let err = refuse(&mut store, SPONSOR, "29 undecided", Some(29));
        assert!(
            err.contains("only the owner"),
            "a sponsor signs her part: {err}"
        );
        let err = store
            .sign_off(q4.id, &acting(OWNER), "29 undecided", None, Some(29))
            .unwrap_err();
        assert!(err.to_string().contains("--accept-unsigned 1"), "{err}");
        let err = refuse(&mut store, OWNER, "  ", Some(29));
        assert!(err.contains("needs a note"), "{err}");
        let err = refuse(&mut store, OWNER, "29 undecided", None);
        assert!(err.contains("29 items"), "{err}");
        let err = refuse(&mut store, OWNER, "29 undecided", Some(28));
        assert!(err.contains("exactly that number"), "{err}");
        let err = refuse(&mut store, OWNER, "all reviewed", Some(29));
        assert!(err.contains("must say so"), "{err}");
        assert_eq!(
            store.signoffs(q4.id).unwrap(),
            vec![],
            "nothing was recorded"
        );

        let signed = store
            .sign_off(
                q4.id,
                &acting(OWNER),
                "29 left for next quarter",
                Some(1),
                Some(29),
            )
            .unwrap();
        assert_eq!(signed.undecided, 29);
        assert_eq!(signed.signer_decisions, 1, "the owner also reviewed");
        assert!(signed.signer_reviewed());
        assert_eq!(
            store.campaign("Q4").unwrap().state,
            CampaignState::SignedOff
        );

        // What was signed stays what was signed.
        let late = crate::store::DecisionRequest {
            item: crate::store::ItemId(2),
            decision: Some(Decision::Revoke),
            note: Some("late".into()),
            seen_event: None,
            seconds_on_screen: None,
            overriding: false,
        };
        let err = store.decide(q4.id, &acting(OWNER), &[late]).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Refused(crate::rules::Refusal::WrongState(_))
            ),
            "{err}"
        );
        let err = refuse(&mut store, OWNER, "again, 29 undecided", Some(29));
        assert!(err.contains("already signed off"), "{err}");

        // Sponsors sign their parts before the final sign-off, not after.
        let late = store
            .sign_part(q4.id, &acting(SPONSOR), "checked; 20 undecided", Some(20))
            .unwrap_err();
        assert!(late.to_string().contains("already signed off"), "{late}");
        assert_eq!(store.signoffs(q4.id).unwrap().len(), 1);
        assert!(store.verify_chain().unwrap().first_break.is_none());
    }

    #[test]
    fn a_fully_decided_campaign_signs_without_acknowledgement() {
        let (mut store, q4) = sample_store();
        let requests: Vec<_> = (1..=30)
            .map(|item| crate::store::DecisionRequest {
                item: crate::store::ItemId(item),
                decision: Some(Decision::Revoke),
                note: Some("decommissioned".into()),
                seen_event: None,
                seconds_on_screen: Some(1.0),
                overriding: false,
            })
            .collect();
        store.decide(q4.id, &acting(OWNER), &requests).unwrap();
        let err = store
            .sign_off(q4.id, &acting(OWNER), "all done", Some(1), Some(3))
            .unwrap_err();
        assert!(err.to_string().contains("no undecided"), "{err}");
        let signed = store
            .sign_off(q4.id, &acting(OWNER), "all done", Some(1), None)
            .unwrap();
        assert_eq!(signed.unsigned_parts, vec![SPONSOR.to_string()]);
        assert_eq!((signed.undecided, signed.tally.revoked), (0, 30));
        assert_eq!(
            store.signer_role(q4.id, "nobody@x").unwrap(),
            None,
            "strangers may not sign"
        );
    }
}
