//! Marked items and bulk decisions. "Mark everything this filter shows"
//! in a million-item campaign must not cost a million ids in memory, so a
//! selection is kept as queries plus the few items marked or unmarked one
//! by one, and resolved in SQL whenever it is counted or decided.

use super::campaigns::item_range;
use super::events::{
    Acting, ChainWriter, DecisionRequest, campaign_for_decisions, record_decision,
};
use super::items::{ItemQuery, conditions};
use super::row::ITEM_JOINS;
use super::{CampaignId, EventSeq, ItemId, Result, Store};
use crate::domain::{Decision, DecisionKind, FlagSet, Recommendation};
use crate::rules::Refusal;
use crate::rules::decision::{self, LeftAlone};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

/// Which items of a campaign are marked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub campaign: CampaignId,
    /// Every item matching any of these queries…
    pub queries: Vec<ItemQuery>,
    /// …and these items…
    pub added: Vec<ItemId>,
    /// …except these.
    pub removed: Vec<ItemId>,
    /// The audit log's latest event when marking began. An item with a
    /// later event was changed after it was marked (by someone else, or by
    /// the reviewer one at a time) and a bulk decision leaves it alone.
    pub marked_at: EventSeq,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty() && self.added.is_empty()
    }
}

/// What a bulk decision on a selection would meet, shown before it is made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionPreview {
    /// Marked items the decision would apply to.
    pub items: u64,
    /// Of those, items whose recommendation is to revoke (for an attest).
    pub against_recommendation: u64,
    /// Why a note is required for at least one of them, if it is.
    pub note_required: Option<&'static str>,
    /// Marked items left alone because they changed after being marked,
    /// have nothing to undo, or already belong to the reviewer named.
    pub left_alone: u64,
    /// Of the items it applies to, those that already have a decision
    /// (and its note) which this one would replace.
    pub replacing: u64,
}

/// What a bulk decision did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub decided: u64,
    /// Changed after being marked, so not overwritten.
    pub changed_since_marked: u64,
    /// An undo on an item without a decision to undo.
    pub nothing_to_undo: u64,
    /// A reassign to the reviewer who already holds the item.
    pub already_assigned: u64,
    /// The items decided, so that the decision can be undone as one (8
    /// bytes an item: a bulk decision over a million holds 8 MB).
    pub items: Vec<ItemId>,
    /// The audit log's latest event once the decision was recorded.
    pub head: EventSeq,
}

impl BulkOutcome {
    pub fn left_alone(&self) -> u64 {
        self.changed_since_marked + self.nothing_to_undo + self.already_assigned
    }
}

/// A JSON array of ids, bound as one value and read back with `json_each`,
/// so that any number of ids costs one parameter.
fn id_list(ids: &[ItemId]) -> Value {
    let numbers: Vec<i64> = ids.iter().map(|id| id.0).collect();
    Value::Text(serde_json::to_string(&numbers).unwrap_or_else(|_| "[]".into()))
}

/// The conditions (after the campaign's id range) that pick the
/// selection, and their values (after the range's).
fn selection_conditions(
    conn: &rusqlite::Connection,
    selection: &Selection,
) -> Result<(String, Vec<Value>)> {
    let mut sql = String::from(" AND (0");
    let mut values = Vec::new();
    for query in &selection.queries {
        if query.campaign != selection.campaign {
            return Err(Refusal::invalid("queries", "a selection mixes campaigns").into());
        }
        let (conds, query_values) = conditions(conn, query)?;
        sql.push_str(" OR (1");
        sql.push_str(&conds);
        sql.push(')');
        // The first two values are the campaign's range, bound by the caller.
        values.extend(query_values.into_iter().skip(2));
    }
    if !selection.added.is_empty() {
        sql.push_str(" OR i.id IN (SELECT value FROM json_each(?))");
        values.push(id_list(&selection.added));
    }
    sql.push(')');
    if !selection.removed.is_empty() {
        sql.push_str(" AND i.id NOT IN (SELECT value FROM json_each(?))");
        values.push(id_list(&selection.removed));
    }
    Ok((sql, values))
}

/// One marked item as a bulk decision meets it.
struct Candidate {
    item: ItemId,
    last_event: Option<i64>,
    decided_event: Option<i64>,
    assignee: String,
}

/// A campaign's items (by their id range) with their frozen versions.
fn from_items() -> String {
    format!("FROM item i{ITEM_JOINS} WHERE i.id BETWEEN ? AND ?")
}

/// The values binding [`from_items`] to the selection's campaign.
fn range_values(conn: &rusqlite::Connection, campaign: CampaignId) -> Result<[Value; 2]> {
    let (first, last) = item_range(conn, campaign)?;
    Ok([Value::Integer(first), Value::Integer(last)])
}

/// Items decided per statement while walking a selection: bounded memory
/// however large the selection.
const CHUNK: i64 = 1000;

impl Store {
    /// How many items are marked; a scan, so counted once per change of
    /// the selection, never per frame.
    pub fn count_selected(&self, selection: &Selection) -> Result<u64> {
        let (conds, values) = selection_conditions(&self.conn, selection)?;
        let sql = format!("SELECT count(*) {}{conds}", from_items());
        let all = range_values(&self.conn, selection.campaign)?
            .into_iter()
            .chain(values);
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(all), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Which of `ids` (the rows on screen) are marked.
    pub fn selected_among(&self, selection: &Selection, ids: &[ItemId]) -> Result<Vec<ItemId>> {
        if ids.is_empty() || selection.is_empty() {
            return Ok(Vec::new());
        }
        let (conds, values) = selection_conditions(&self.conn, selection)?;
        let sql = format!(
            "SELECT i.id {} AND i.id IN (SELECT value FROM json_each(?)){conds}",
            from_items()
        );
        let [first, last] = range_values(&self.conn, selection.campaign)?;
        let all = [first, last, id_list(ids)].into_iter().chain(values);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let found = stmt
            .query_map(params_from_iter(all), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(found)
    }

    /// Which of `ids` match `query`.
    pub fn matching_among(&self, query: &ItemQuery, ids: &[ItemId]) -> Result<Vec<ItemId>> {
        let selection = Selection {
            campaign: query.campaign,
            queries: vec![query.clone()],
            ..Selection::default()
        };
        self.selected_among(&selection, ids)
    }

    /// What deciding `kind` on the selection would meet: how many items,
    /// how many against their recommendation, whether a note is required.
    pub fn preview_selected(
        &self,
        selection: &Selection,
        kind: DecisionKind,
        reassign_to: Option<&str>,
    ) -> Result<SelectionPreview> {
        let policy = campaign_for_decisions(&self.conn, selection.campaign)?.policy;
        let (conds, values) = selection_conditions(&self.conn, selection)?;
        let sql = format!(
            "SELECT i.flags, i.recommendation, s.last_event, s.decided_event,
                    coalesce(s.assignee, i.reviewer), s.decision {}{conds}",
            from_items()
        );
        let all = range_values(&self.conn, selection.campaign)?
            .into_iter()
            .chain(values);
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(all))?;
        let mut preview = SelectionPreview::default();
        while let Some(row) = rows.next()? {
            let flags = FlagSet::from_bits(row.get::<_, i64>(0)? as u32);
            let recommendation: Recommendation = row
                .get::<_, String>(1)?
                .parse()
                .unwrap_or(Recommendation::ReviewWithCare);
            let last_event: Option<i64> = row.get(2)?;
            let decided_event: Option<i64> = row.get(3)?;
            let assignee: String = row.get(4)?;
            let marked = decision::Marked {
                last_event,
                decided_event,
                assignee: &assignee,
            };
            if decision::left_alone(&marked, selection.marked_at.0, kind, reassign_to).is_some() {
                preview.left_alone += 1;
                continue;
            }
            preview.items += 1;
            if kind != DecisionKind::Undo && row.get::<_, Option<String>>(5)?.is_some() {
                preview.replacing += 1;
            }
            if kind == DecisionKind::Attest && recommendation.suggests_revoke() {
                preview.against_recommendation += 1;
            }
            if preview.note_required.is_none() {
                preview.note_required =
                    decision::note_required(&policy, kind, flags, recommendation);
            }
        }
        Ok(preview)
    }

    /// Records one decision (`None`: undo) with one note on every marked
    /// item, in one transaction: all are recorded or none. Items changed
    /// since they were marked are left as they are and counted.
    pub fn decide_selected(
        &mut self,
        acting: &Acting<'_>,
        selection: &Selection,
        decision: Option<&Decision>,
        note: Option<&str>,
    ) -> Result<BulkOutcome> {
        let (conds, values) = selection_conditions(&self.conn, selection)?;
        let sql = format!(
            "SELECT i.id, i.risk_rank, s.last_event, s.decided_event,
                    coalesce(s.assignee, i.reviewer) {}{conds}
             ORDER BY i.id LIMIT ?",
            from_items()
        );
        let campaign = selection.campaign;
        let (first, last) = item_range(&self.conn, campaign)?;
        self.write(|tx| {
            let deciding = campaign_for_decisions(tx, campaign)?;
            super::stalled::refuse_if_cancelled(tx, campaign, &deciding.name, "decisions")?;
            decision::accepts_decisions(&deciding.facts())?;
            let kind = decision.map_or(DecisionKind::Undo, Decision::kind);
            let reassign_to = match decision {
                Some(Decision::Reassign { to }) => Some(to.as_str()),
                _ => None,
            };
            let mut chain = ChainWriter::start(tx)?;
            let mut outcome = BulkOutcome::default();
            let mut next = first;
            loop {
                // Walked in keyset chunks by id (the queue order): deciding
                // an item may take it out of the selection (a state filter),
                // which an id already passed cannot bring back.
                let batch: Vec<Candidate> = {
                    // The keyset bound is the range's lower end: SQLite
                    // seeks on one bound, so `i.id > ?` beside the range
                    // would rescan from the first item every chunk.
                    let all = [Value::Integer(next), Value::Integer(last)]
                        .into_iter()
                        .chain(values.iter().cloned())
                        .chain([Value::Integer(CHUNK)]);
                    let mut stmt = tx.prepare_cached(&sql)?;
                    stmt.query_map(params_from_iter(all), |r| {
                        Ok(Candidate {
                            item: r.get(0)?,
                            last_event: r.get(2)?,
                            decided_event: r.get(3)?,
                            assignee: r.get(4)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?
                };
                let Some(last) = batch.last() else { break };
                next = last.item.0 + 1;
                for candidate in batch {
                    let marked = decision::Marked {
                        last_event: candidate.last_event,
                        decided_event: candidate.decided_event,
                        assignee: &candidate.assignee,
                    };
                    match decision::left_alone(&marked, selection.marked_at.0, kind, reassign_to) {
                        Some(LeftAlone::ChangedSinceMarked) => {
                            outcome.changed_since_marked += 1;
                            continue;
                        }
                        Some(LeftAlone::NothingToUndo) => {
                            outcome.nothing_to_undo += 1;
                            continue;
                        }
                        Some(LeftAlone::AlreadyAssigned) => {
                            outcome.already_assigned += 1;
                            continue;
                        }
                        None => {}
                    }
                    let request = DecisionRequest {
                        item: candidate.item,
                        decision: decision.cloned(),
                        note: note.map(str::to_string),
                        seen_event: None,
                        seconds_on_screen: None,
                        overriding: false,
                    };
                    let recorded =
                        record_decision(tx, &mut chain, &deciding, acting, true, &request)?;
                    outcome.head = recorded.seq;
                    outcome.items.push(candidate.item);
                    outcome.decided += 1;
                }
            }
            Ok(outcome)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Filter;
    use crate::store::StoreError;
    use crate::testing::{day, sample_store};

    fn query(campaign: CampaignId, filters: &[&str]) -> ItemQuery {
        ItemQuery {
            campaign,
            filters: filters.iter().map(|f| Filter::parse(f).unwrap()).collect(),
            search: None,
        }
    }

    fn acting() -> Acting<'static> {
        Acting {
            actor: "m.santos@northwind.example.com",
            via: &crate::domain::roster::ASSERTED,
            at: "2026-11-01T10:00:00.000Z",
            today: day("2026-11-01"),
        }
    }

    #[test]
    fn a_selection_across_campaigns_is_refused_as_invalid() {
        let (mut store, campaign) = sample_store();
        let other = crate::testing::campaign(&mut store, "Q1", "2026-11-01");
        let selection = Selection {
            campaign: campaign.id,
            queries: vec![query(campaign.id, &[]), query(other.id, &[])],
            added: vec![],
            removed: vec![],
            marked_at: EventSeq(0),
        };
        let refused = store.count_selected(&selection).unwrap_err();
        assert!(
            matches!(
                &refused,
                StoreError::Refused(crate::rules::Refusal::Invalid {
                    field: "queries",
                    ..
                })
            ),
            "{refused:?}"
        );
        assert_eq!(refused.to_string(), "a selection mixes campaigns");
    }

    #[test]
    fn a_selection_is_queries_plus_and_minus_single_items() {
        let (store, campaign) = sample_store();
        let contractors = query(campaign.id, &["relationship=contractor"]);
        let n = store.count_items(&contractors).unwrap();
        assert!(n >= 2, "the sample has contractors");
        let first_two: Vec<ItemId> = store
            .page(
                &contractors,
                None,
                crate::store::PageDirection::Forward,
                true,
                2,
            )
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        let partner = store
            .page(
                &query(campaign.id, &["relationship=partner"]),
                None,
                crate::store::PageDirection::Forward,
                true,
                1,
            )
            .unwrap()[0]
            .id;
        let selection = Selection {
            campaign: campaign.id,
            queries: vec![contractors.clone()],
            added: vec![partner],
            removed: vec![first_two[0]],
            marked_at: EventSeq(0),
        };
        assert_eq!(store.count_selected(&selection).unwrap(), n - 1 + 1);
        let mut among = store
            .selected_among(&selection, &[first_two[0], first_two[1], partner])
            .unwrap();
        among.sort();
        let mut expected = vec![first_two[1], partner];
        expected.sort();
        assert_eq!(among, expected);
        assert_eq!(
            store
                .matching_among(&contractors, &[first_two[0], partner])
                .unwrap(),
            vec![first_two[0]]
        );
        let empty = Selection {
            campaign: campaign.id,
            ..Selection::default()
        };
        assert_eq!(store.count_selected(&empty).unwrap(), 0);
    }

    #[test]
    fn bulk_decisions_are_one_transaction_and_leave_changed_items_alone() {
        let (mut store, campaign) = sample_store();
        let contractors = query(campaign.id, &["relationship=contractor"]);
        let n = store.count_items(&contractors).unwrap();
        let head = EventSeq(store.chain_head().unwrap().0 as i64);
        let selection = Selection {
            campaign: campaign.id,
            queries: vec![contractors.clone()],
            marked_at: head,
            ..Selection::default()
        };
        let preview = store
            .preview_selected(&selection, DecisionKind::Attest, None)
            .unwrap();
        assert_eq!(preview.items, n);
        assert!(preview.against_recommendation > 0);
        assert!(
            preview.note_required.is_some(),
            "privileged items need a note"
        );

        // Without the note policy asks for, nothing at all is recorded.
        let err = store
            .decide_selected(&acting(), &selection, Some(&Decision::Attest), None)
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Refused(crate::rules::Refusal::Invalid { field: "note", .. })
            ),
            "{err}"
        );
        assert_eq!(store.tally(campaign.id).unwrap().attested, 0);

        // Someone decides one of the marked items after it was marked.
        let changed = store
            .page(
                &contractors,
                None,
                crate::store::PageDirection::Forward,
                true,
                1,
            )
            .unwrap()[0]
            .id;
        store
            .decide(
                campaign.id,
                &acting(),
                &[DecisionRequest {
                    item: changed,
                    decision: Some(Decision::Revoke),
                    note: Some("gone".into()),
                    seen_event: None,
                    seconds_on_screen: None,
                    overriding: false,
                }],
            )
            .unwrap();
        let outcome = store
            .decide_selected(
                &acting(),
                &selection,
                Some(&Decision::Attest),
                Some("contracts renewed"),
            )
            .unwrap();
        assert_eq!(outcome.decided, n - 1);
        assert_eq!(outcome.changed_since_marked, 1);
        let tally = store.tally(campaign.id).unwrap();
        assert_eq!((tally.attested, tally.revoked), (n - 1, 1));
        let row = store.item_row(campaign.id, changed).unwrap().unwrap();
        assert_eq!(row.decision, Some(DecisionKind::Revoke), "not overwritten");
        let history = store
            .item_events(
                store
                    .page(
                        &query(campaign.id, &["relationship=contractor", "state=attested"]),
                        None,
                        crate::store::PageDirection::Forward,
                        true,
                        1,
                    )
                    .unwrap()[0]
                    .id,
            )
            .unwrap();
        assert!(history[0].bulk, "recorded as part of a bulk action");
        assert!(store.verify_chain().unwrap().first_break.is_none());
    }

    #[test]
    fn bulk_undo_skips_items_without_a_decision() {
        let (mut store, campaign) = sample_store();
        let everything = query(campaign.id, &[]);
        let rows = store
            .page(
                &everything,
                None,
                crate::store::PageDirection::Forward,
                true,
                3,
            )
            .unwrap();
        store
            .decide(
                campaign.id,
                &acting(),
                &[DecisionRequest {
                    item: rows[0].id,
                    decision: Some(Decision::Revoke),
                    note: Some("gone".into()),
                    seen_event: None,
                    seconds_on_screen: None,
                    overriding: false,
                }],
            )
            .unwrap();
        let selection = Selection {
            campaign: campaign.id,
            added: rows.iter().map(|r| r.id).collect(),
            marked_at: EventSeq(store.chain_head().unwrap().0 as i64),
            ..Selection::default()
        };
        let preview = store
            .preview_selected(&selection, DecisionKind::Undo, None)
            .unwrap();
        assert_eq!((preview.items, preview.left_alone), (1, 2));
        let outcome = store
            .decide_selected(&acting(), &selection, None, None)
            .unwrap();
        assert_eq!((outcome.decided, outcome.nothing_to_undo), (1, 2));
        assert_eq!(store.tally(campaign.id).unwrap().decided(), 0);
    }

    #[test]
    fn a_closed_campaign_refuses_bulk_decisions_too() {
        let (mut store, campaign) = sample_store();
        store
            .conn
            .execute(
                "INSERT INTO event (seq, kind, campaign, actor, at, body, prev_hash, hash)
                 VALUES (1000, 'campaign_closed', ?1, 'x', 'now', '{}', '', '')",
                [campaign.id],
            )
            .unwrap();
        let selection = Selection {
            campaign: campaign.id,
            queries: vec![query(campaign.id, &[])],
            ..Selection::default()
        };
        let err = store
            .decide_selected(&acting(), &selection, Some(&Decision::Revoke), Some("x"))
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Refused(crate::rules::Refusal::WrongState(_))
            ),
            "{err}"
        );
    }
}
