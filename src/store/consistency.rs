//! The derived tables checked against the audit log they derive from:
//! each item's `item_state` must be what replaying its events gives, and
//! each campaign's tally must count those states. A decision and its state
//! are written in one transaction, so a crash can never leave them apart;
//! this check is how `recert verify` proves it after the fact (and catches
//! a hand-edited state that the hash chain, which covers events only,
//! cannot see).

use super::events::DecisionBody;
use super::{ItemId, Result, Store};
use crate::domain::Decision;
use crate::domain::decision::{ItemState, Recorded};
use rusqlite::Row;
use std::collections::BTreeMap;

/// How many problems are described in full; the rest are counted.
const SHOWN: usize = 20;

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consistency {
    /// Items whose recorded state was replayed from their events.
    pub items_checked: u64,
    pub campaigns_checked: u64,
    /// The first problems, each naming the item or campaign.
    pub problems: Vec<String>,
    /// How many problems there are in all.
    pub total_problems: u64,
}

impl Consistency {
    pub fn is_consistent(&self) -> bool {
        self.total_problems == 0
    }

    fn problem(&mut self, text: String) {
        self.total_problems += 1;
        if self.problems.len() < SHOWN {
            self.problems.push(text);
        }
    }
}

/// One `item_state` row with the item's own facts.
struct StateRow {
    item: i64,
    campaign: i64,
    decision: Option<String>,
    decided_event: Option<i64>,
    last_event: i64,
    assignee: String,
    exception_until: Option<String>,
    /// The item's campaign and first reviewer; `None` if the item is missing.
    owner: Option<(i64, String)>,
}

impl StateRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<StateRow> {
        let owner = match (row.get::<_, Option<i64>>(7)?, row.get(8)?) {
            (Some(campaign), Some(reviewer)) => Some((campaign, reviewer)),
            _ => None,
        };
        Ok(StateRow {
            item: row.get(0)?,
            campaign: row.get(1)?,
            decision: row.get(2)?,
            decided_event: row.get(3)?,
            last_event: row.get(4)?,
            assignee: row.get(5)?,
            exception_until: row.get(6)?,
            owner,
        })
    }
}

/// One item's events, in sequence order.
#[derive(Default)]
struct Events {
    item: i64,
    history: Vec<Recorded>,
    last: i64,
    campaigns: Vec<i64>,
    unreadable: Vec<i64>,
}

impl Store {
    /// Replays every item's events and compares the result with the
    /// recorded state, then recounts every campaign's tally. Streams both
    /// tables in item order, so a million items need no more memory than
    /// one item's history.
    pub fn check_consistency(&self) -> Result<Consistency> {
        let mut report = Consistency::default();
        let mut states = self.conn.prepare(
            "SELECT s.item, s.campaign, s.decision, s.decided_event, s.last_event, s.assignee,
                 s.exception_until, i.campaign, i.reviewer
             FROM item_state s LEFT JOIN item i ON i.id = s.item
             ORDER BY s.item",
        )?;
        let mut events = self.conn.prepare(
            "SELECT item, seq, kind, body, campaign FROM event
             WHERE item IS NOT NULL ORDER BY item, seq",
        )?;
        let mut states = states.query([])?;
        let mut events = events.query([])?;
        let mut next_state = states.next()?.map(StateRow::read).transpose()?;
        let mut next_event = read_event(events.next()?)?;
        loop {
            let event_item = next_event.as_ref().map(|e| e.0);
            let state_item = next_state.as_ref().map(|s| s.item);
            let item = match (event_item, state_item) {
                (None, None) => break,
                (Some(e), Some(s)) => e.min(s),
                (Some(e), None) => e,
                (None, Some(s)) => s,
            };
            let mut history = Events {
                item,
                ..Events::default()
            };
            while let Some((event_item, seq, kind, body, campaign)) = next_event.take() {
                if event_item != item {
                    next_event = Some((event_item, seq, kind, body, campaign));
                    break;
                }
                match DecisionBody::recorded(seq, &kind, &body) {
                    Some(recorded) => history.history.push(recorded),
                    None => history.unreadable.push(seq),
                }
                history.last = seq;
                if let Some(c) = campaign
                    && !history.campaigns.contains(&c)
                {
                    history.campaigns.push(c);
                }
                next_event = read_event(events.next()?)?;
            }
            let state = match next_state.take() {
                Some(state) if state.item == item => {
                    next_state = states.next()?.map(StateRow::read).transpose()?;
                    Some(state)
                }
                other => {
                    next_state = other;
                    None
                }
            };
            report.items_checked += 1;
            compare(&mut report, &history, state.as_ref());
        }
        self.check_tallies(&mut report)?;
        Ok(report)
    }

    fn check_tallies(&self, report: &mut Consistency) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.name, c.item_count, (SELECT count(*) FROM item WHERE campaign = c.id)
             FROM campaign c ORDER BY c.id",
        )?;
        let campaigns: Vec<(i64, String, i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut counted = self.conn.prepare(
            "SELECT coalesce(decision, 'undecided'), count(*) FROM item_state
             WHERE campaign = ?1 GROUP BY 1",
        )?;
        let mut tallied = self
            .conn
            .prepare("SELECT state, n FROM tally WHERE campaign = ?1 AND n != 0")?;
        for (id, name, item_count, items) in campaigns {
            report.campaigns_checked += 1;
            let shown = format!("campaign {name:?}");
            if item_count != items {
                report.problem(format!(
                    "{shown} records {item_count} items but holds {items}"
                ));
            }
            let mut expected: BTreeMap<String, i64> = counted
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let with_state: i64 = expected.values().sum();
            *expected.entry("undecided".into()).or_default() += items - with_state;
            expected.retain(|_, n| *n != 0);
            let actual: BTreeMap<String, i64> = tallied
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            if actual != expected {
                report.problem(format!(
                    "{shown}: the tally says {} but the items' states count {}",
                    describe(&actual),
                    describe(&expected)
                ));
            }
        }
        Ok(())
    }
}

type EventRow = (i64, i64, String, String, Option<i64>);

fn read_event(row: Option<&Row<'_>>) -> Result<Option<EventRow>> {
    let Some(row) = row else { return Ok(None) };
    Ok(Some((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    )))
}

fn describe(counts: &BTreeMap<String, i64>) -> String {
    if counts.is_empty() {
        return "nothing".into();
    }
    counts
        .iter()
        .map(|(state, n)| format!("{n} {state}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compares one item's replayed events with its recorded state.
fn compare(report: &mut Consistency, events: &Events, state: Option<&StateRow>) {
    let item = ItemId(events.item);
    for seq in &events.unreadable {
        report.problem(format!(
            "item {item}: event {seq} is on the item but is not a decision that can be replayed"
        ));
    }
    let Some(state) = state else {
        report.problem(format!(
            "item {item}: {} event(s) up to {} but no recorded state (half-written)",
            events.history.len() + events.unreadable.len(),
            events.last
        ));
        return;
    };
    let Some((campaign, reviewer)) = &state.owner else {
        report.problem(format!(
            "item {item}: a recorded state for an item that does not exist"
        ));
        return;
    };
    if events.history.is_empty() && events.unreadable.is_empty() {
        report.problem(format!(
            "item {item}: a recorded state ({}) but no event behind it",
            state.decision.as_deref().unwrap_or("undecided")
        ));
        return;
    }
    if state.campaign != *campaign || events.campaigns.iter().any(|c| c != campaign) {
        report.problem(format!(
            "item {item}: its state or events name another campaign than the item's"
        ));
    }
    let replayed = ItemState::replay(reviewer, &events.history);
    let until = match &replayed.decision {
        Some(Decision::Exception { until, .. }) => Some(until.to_string()),
        _ => None,
    };
    let decision = replayed.decision.as_ref().map(|d| d.kind().as_str());
    let mut differences = Vec::new();
    if state.decision.as_deref() != decision {
        differences.push(format!(
            "decision {} (events say {})",
            state.decision.as_deref().unwrap_or("none"),
            decision.unwrap_or("none")
        ));
    }
    if state.decided_event != replayed.decided_by_event {
        differences.push(format!(
            "decided by event {} (events say {})",
            or_none(state.decided_event),
            or_none(replayed.decided_by_event)
        ));
    }
    if state.last_event != events.last {
        differences.push(format!(
            "last event {} (events say {})",
            state.last_event, events.last
        ));
    }
    if state.assignee != replayed.assignee {
        differences.push(format!(
            "assigned to {:?} (events say {:?})",
            state.assignee, replayed.assignee
        ));
    }
    if state.exception_until != until {
        differences.push(format!(
            "exception until {} (events say {})",
            state.exception_until.as_deref().unwrap_or("none"),
            until.as_deref().unwrap_or("none")
        ));
    }
    if !differences.is_empty() {
        report.problem(format!(
            "item {item}: the recorded state disagrees with its events: {}",
            differences.join("; ")
        ));
    }
}

fn or_none(seq: Option<i64>) -> String {
    seq.map_or_else(|| "none".into(), |s| s.to_string())
}

#[cfg(test)]
mod tests {
    use crate::domain::Decision;
    use crate::store::{Acting, DecisionRequest, ItemId, Store};
    use crate::testing::{day, sample_store};

    fn decide(store: &mut Store, campaign: crate::store::CampaignId, item: i64, d: Decision) {
        let acting = Acting {
            actor: "r@x",
            at: "2026-11-02T10:00:00.000Z",
            today: day("2026-11-02"),
        };
        store
            .decide(
                campaign,
                &acting,
                &[DecisionRequest {
                    item: ItemId(item),
                    decision: Some(d),
                    note: Some("because".into()),
                    seen_event: None,
                    seconds_on_screen: None,
                }],
            )
            .unwrap();
    }

    fn decided_store() -> (Store, crate::store::CampaignSummary) {
        let (mut store, campaign) = sample_store();
        decide(&mut store, campaign.id, 1, Decision::Attest);
        decide(&mut store, campaign.id, 2, Decision::Revoke);
        decide(&mut store, campaign.id, 2, Decision::Attest);
        decide(
            &mut store,
            campaign.id,
            3,
            Decision::Exception {
                until: day("2026-12-01"),
                ticket: Some("T-1".into()),
            },
        );
        decide(
            &mut store,
            campaign.id,
            4,
            Decision::Reassign { to: "b@x".into() },
        );
        (store, campaign)
    }

    #[test]
    fn decisions_as_recorded_are_consistent() {
        let (store, _) = decided_store();
        let report = store.check_consistency().unwrap();
        assert!(report.is_consistent(), "{:?}", report.problems);
        assert_eq!(report.items_checked, 4);
        assert_eq!(report.campaigns_checked, 1);
    }

    /// Each way the derived state can part from the events it derives
    /// from is named, with the item.
    #[test]
    fn every_kind_of_disagreement_is_found() {
        let cases: [(&str, &str); 7] = [
            (
                "UPDATE item_state SET decision = 'revoke' WHERE item = 1",
                "item 1: the recorded state disagrees with its events: decision revoke (events say attest)",
            ),
            (
                "UPDATE item_state SET last_event = decided_event - 1 WHERE item = 2",
                "item 2: the recorded state disagrees with its events: last event",
            ),
            (
                "UPDATE item_state SET exception_until = '2027-01-01' WHERE item = 3",
                "exception until 2027-01-01 (events say 2026-12-01)",
            ),
            (
                "UPDATE item_state SET assignee = 'c@x' WHERE item = 4",
                "assigned to \"c@x\" (events say \"b@x\")",
            ),
            (
                "DELETE FROM item_state WHERE item = 2",
                "item 2: 2 event(s) up to",
            ),
            (
                "INSERT INTO item_state (item, campaign, decision, last_event, assignee)
                 VALUES (5, 1, 'attest', 1, 'r@x')",
                "item 5: a recorded state (attest) but no event behind it",
            ),
            (
                "UPDATE tally SET n = n + 1 WHERE state = 'attest'",
                "campaign \"Q4\": the tally says",
            ),
        ];
        for (tamper, expected) in cases {
            let (store, _) = decided_store();
            // Triggers keep the tally in step with item_state; a tamperer
            // (or a bug) writing item_state alone would not be caught by
            // them, so they are dropped here to show the check does.
            store
                .conn
                .execute_batch("DROP TRIGGER tally_on_first_event; DROP TRIGGER tally_on_change;")
                .unwrap();
            store.conn.execute_batch(tamper).unwrap();
            let report = store.check_consistency().unwrap();
            assert!(!report.is_consistent(), "{tamper}: not found");
            assert!(
                report.problems.iter().any(|p| p.contains(expected)),
                "{tamper}: {:?}",
                report.problems
            );
        }
    }

    #[test]
    fn a_tally_out_of_step_with_the_states_is_found() {
        let (store, _) = decided_store();
        store
            .conn
            .execute_batch("UPDATE tally SET n = n - 1 WHERE state = 'undecided'")
            .unwrap();
        let report = store.check_consistency().unwrap();
        assert_eq!(report.total_problems, 1, "{:?}", report.problems);
        assert!(
            report.problems[0].contains("25 undecided"),
            "{:?}",
            report.problems
        );
    }
}
