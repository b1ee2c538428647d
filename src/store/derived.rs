//! The derived tables against the log: every item's events are replayed
//! and compared with its stored state and remediation outcome, and every
//! campaign's tally with its items' states. Reports and queues read these
//! tables, so an edit to them must show as plainly as an edit to an event.
//! The replay also refuses decisions the rules would have refused (see
//! `refusals`).

use super::Result;
use super::Store;
use super::events::DecisionBody;
use super::integrity::Findings;
use super::refusals::{CampaignRules, DecisionEvent};
use crate::domain::decision::{ItemState, Recorded};
use crate::domain::{FlagSet, Recommendation, RemediationStatus};
use crate::rules::signoff;
use rusqlite::OptionalExtension;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize)]
struct OutcomeBody {
    revoke_event: i64,
    snapshot: i64,
}

/// The state an item's events say it is in.
#[derive(Debug, PartialEq)]
struct Derived {
    campaign: i64,
    decision: Option<String>,
    decided_event: Option<i64>,
    last_event: i64,
    assignee: String,
    exception_until: Option<String>,
}

impl Store {
    /// Replays every item's events and compares the result with the stored
    /// item state and remediation outcome: a merge of two streams in item
    /// order, so memory stays flat however many items there are.
    pub(super) fn check_item_states(
        &self,
        findings: &mut Findings,
        rules: &mut HashMap<i64, CampaignRules>,
    ) -> Result<()> {
        self.load_lifecycle(rules)?;
        let authority = self.authority_replay()?;
        let mut events = self.conn.prepare(
            "SELECT e.item, e.seq, e.kind, e.body, i.reviewer, i.campaign, e.actor, e.at,
                    coalesce(trim(e.note) <> '', 0), i.flags, i.recommendation,
                    coalesce(idn.sponsor, r.sponsor)
             FROM event e JOIN item i ON i.id = e.item
             JOIN identity idn ON idn.id = i.identity
             LEFT JOIN register_entry r ON r.id = i.register
             WHERE e.item IS NOT NULL ORDER BY e.item, e.seq",
        )?;
        let mut states = self.conn.prepare(
            "SELECT item, campaign, decision, decided_event, last_event, assignee,
                    exception_until
             FROM item_state ORDER BY item",
        )?;
        let mut remediation = self.conn.prepare(
            "SELECT item, status, snapshot, event FROM remediation WHERE decision_event = ?1",
        )?;
        let mut event_rows = events.query([])?;
        let mut state_rows = states.query([])?;
        let mut next_state = read_state(state_rows.next()?)?;
        let mut expected_outcomes = 0u64;

        let mut group: Option<(i64, String, i64)> = None;
        let mut history: Vec<Recorded> = Vec::new();
        let mut last_event = 0i64;
        let mut outcomes: BTreeMap<i64, (String, i64, i64)> = BTreeMap::new();
        loop {
            let row = event_rows.next()?;
            let item: Option<i64> = row.map(|r| r.get(0)).transpose()?;
            if let Some((current, reviewer, campaign)) = &group
                && item != Some(*current)
            {
                let state = ItemState::replay(reviewer, &history);
                let derived = Derived {
                    campaign: *campaign,
                    decision: state
                        .decision
                        .as_ref()
                        .map(|d| d.kind().as_str().to_string()),
                    decided_event: state.decided_by_event,
                    last_event,
                    assignee: state.assignee.clone(),
                    exception_until: match &state.decision {
                        Some(crate::domain::Decision::Exception { until, .. }) => {
                            Some(until.to_string())
                        }
                        _ => None,
                    },
                };
                // States of items without events come first in item order.
                while let Some((item, _)) = &next_state
                    && item < current
                {
                    findings.add(
                        None,
                        format!(
                            "item {item} has a recorded state but no events: item_state was edited"
                        ),
                    );
                    next_state = read_state(state_rows.next()?)?;
                }
                match next_state.take() {
                    Some((item, stored)) if item == *current => {
                        if stored != derived {
                            findings.add(
                                Some(last_event),
                                describe_state_mismatch(item, &stored, &derived),
                            );
                        }
                        next_state = read_state(state_rows.next()?)?;
                    }
                    other => {
                        next_state = other;
                        findings.add(
                            Some(last_event),
                            format!("item {current} has events but no recorded state: item_state was edited"),
                        );
                    }
                }
                for (revoke, (status, snapshot, seq)) in std::mem::take(&mut outcomes) {
                    expected_outcomes += 1;
                    let stored: Option<(i64, String, i64, i64)> = remediation
                        .query_row([revoke], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                        .optional()?;
                    if stored != Some((*current, status.clone(), snapshot, seq)) {
                        findings.add(
                            Some(seq),
                            format!(
                                "item {current}: the stored remediation of the revoke in event \
                                 {revoke} does not match event {seq} ({status}, snapshot \
                                 {snapshot}): the remediation table was edited"
                            ),
                        );
                    }
                }
                history.clear();
                group = None;
            }
            let Some(row) = row else {
                break;
            };
            let item: i64 = row.get(0)?;
            let seq: i64 = row.get(1)?;
            let kind: String = row.get(2)?;
            let body: String = row.get(3)?;
            if group.is_none() {
                group = Some((item, row.get(4)?, row.get(5)?));
            }
            last_event = seq;
            if let Some((kind, body)) = DecisionBody::parse(&kind, &body) {
                let campaign: i64 = row.get(5)?;
                if let Some(rules) = rules.get(&campaign) {
                    // Only a close action asks what was in force before it.
                    let in_force = match (&body.close_action, &group) {
                        (Some(_), Some((_, reviewer, _))) => {
                            let state = ItemState::replay(reviewer, &history);
                            state
                                .decision
                                .map(|d| d.kind())
                                .filter(|k| *k != crate::domain::DecisionKind::Reassign)
                                .zip(state.decided_by_event)
                        }
                        _ => None,
                    };
                    let sponsor: Option<String> = row.get(11)?;
                    let part = signoff::part_of(sponsor.as_deref(), &rules.owner);
                    let event = DecisionEvent {
                        seq,
                        item,
                        kind,
                        body: &body,
                        actor: row.get_ref(6)?.as_str()?,
                        at: row.get_ref(7)?.as_str()?,
                        has_note: row.get(8)?,
                        flags: FlagSet::from_bits(row.get::<_, i64>(9)? as u32),
                        recommendation: row
                            .get_ref(10)?
                            .as_str()?
                            .parse()
                            .unwrap_or(Recommendation::ReviewWithCare),
                        in_force,
                        part: &part,
                    };
                    if let Some(refusal) = rules.refused(&event) {
                        findings.add(Some(seq), refusal);
                    } else if let Some((_, reviewer, _)) = &group
                        && let Some(refusal) = authority.refused(rules, campaign, &event, || {
                            ItemState::replay(reviewer, &history).assignee
                        })
                    {
                        findings.add(Some(seq), refusal);
                    }
                }
                if let Some(recorded) = body.into_recorded(seq, kind) {
                    history.push(recorded);
                }
            } else if let Some(status) = RemediationStatus::from_event_kind(&kind) {
                match serde_json::from_str::<OutcomeBody>(&body) {
                    Ok(b) => {
                        outcomes.insert(
                            b.revoke_event,
                            (status.as_str().to_string(), b.snapshot, seq),
                        );
                    }
                    Err(_) => findings.add(Some(seq), "its remediation body is unreadable".into()),
                }
            }
        }
        while let Some((item, _)) = next_state {
            findings.add(
                None,
                format!("item {item} has a recorded state but no events: item_state was edited"),
            );
            next_state = read_state(state_rows.next()?)?;
        }
        let stored_outcomes: i64 =
            self.conn
                .query_row("SELECT count(*) FROM remediation", [], |r| r.get(0))?;
        if stored_outcomes.max(0) as u64 != expected_outcomes {
            findings.add(
                None,
                format!(
                    "the remediation table holds {stored_outcomes} outcomes but the log \
                     records {expected_outcomes}: the remediation table was edited"
                ),
            );
        }
        Ok(())
    }

    /// Each campaign's reviewers and their item counts against its items.
    pub(super) fn check_campaign_reviewers(&self, findings: &mut Findings) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT coalesce(c.campaign, s.campaign) FROM
                 (SELECT campaign, reviewer, count(*) AS n FROM item
                  GROUP BY campaign, reviewer) c
             FULL JOIN campaign_reviewer s
                 ON s.campaign = c.campaign AND s.reviewer = c.reviewer
             WHERE c.n IS NOT s.items
             GROUP BY 1 ORDER BY 1",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let campaign: i64 = row.get(0)?;
            findings.add(
                None,
                format!(
                    "campaign #{campaign}: its reviewers' item counts do not match its items: \
                     the campaign_reviewer table was edited"
                ),
            );
        }
        Ok(())
    }

    /// Which register entry describes each identity, against the register
    /// and identities it is derived from.
    pub(super) fn check_register_matches(&self, findings: &mut Findings) -> Result<()> {
        let expected: BTreeMap<i64, i64> = super::register::register_matches(&self.conn)?
            .into_iter()
            .collect();
        let mut stored: BTreeMap<i64, i64> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT identity, entry FROM identity_register")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            stored.insert(row.get(0)?, row.get(1)?);
        }
        let show = |entry: Option<&i64>| entry.map_or("none".to_string(), |e| format!("entry {e}"));
        let identities: std::collections::BTreeSet<&i64> =
            expected.keys().chain(stored.keys()).collect();
        for identity in identities {
            let (now, derived) = (stored.get(identity), expected.get(identity));
            if now != derived {
                findings.add(
                    None,
                    format!(
                        "identity {identity}: identity_register says {} describes it, the \
                         register says {}: the identity_register table was edited",
                        show(now),
                        show(derived)
                    ),
                );
            }
        }
        Ok(())
    }

    /// Each campaign's tally against its item states.
    pub(super) fn check_tallies(&self, findings: &mut Findings) -> Result<()> {
        let mut expected: BTreeMap<(i64, String), i64> = BTreeMap::new();
        let mut stmt = self.conn.prepare("SELECT id, item_count FROM campaign")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            expected.insert((row.get(0)?, "undecided".into()), row.get(1)?);
        }
        drop(rows);
        drop(stmt);
        let mut stmt = self.conn.prepare(
            "SELECT campaign, decision, count(*) FROM item_state
             WHERE decision IS NOT NULL GROUP BY campaign, decision",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let campaign: i64 = row.get(0)?;
            let n: i64 = row.get(2)?;
            *expected.entry((campaign, "undecided".into())).or_default() -= n;
            expected.insert((campaign, row.get(1)?), n);
        }
        drop(rows);
        drop(stmt);
        let mut stored: BTreeMap<(i64, String), i64> = BTreeMap::new();
        let mut stmt = self.conn.prepare("SELECT campaign, state, n FROM tally")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            stored.insert((row.get(0)?, row.get(1)?), row.get(2)?);
        }
        expected.retain(|_, n| *n != 0);
        stored.retain(|_, n| *n != 0);
        if expected != stored {
            let campaign = expected
                .iter()
                .find(|(k, v)| stored.get(k) != Some(v))
                .or_else(|| stored.iter().find(|(k, v)| expected.get(k) != Some(v)))
                .map(|((c, _), _)| *c)
                .unwrap_or_default();
            findings.add(
                None,
                format!(
                    "campaign #{campaign}: its stored counts by state do not match its items' \
                     states: the tally table was edited"
                ),
            );
        }
        Ok(())
    }
}

fn read_state(row: Option<&rusqlite::Row<'_>>) -> Result<Option<(i64, Derived)>> {
    let Some(r) = row else {
        return Ok(None);
    };
    Ok(Some((
        r.get(0)?,
        Derived {
            campaign: r.get(1)?,
            decision: r.get(2)?,
            decided_event: r.get(3)?,
            last_event: r.get(4)?,
            assignee: r.get(5)?,
            exception_until: r.get(6)?,
        },
    )))
}

fn describe_state_mismatch(item: i64, stored: &Derived, derived: &Derived) -> String {
    let show = |d: &Derived| {
        format!(
            "{} by event {}, latest event {}, assigned to {}{}",
            d.decision.as_deref().unwrap_or("undecided"),
            d.decided_event.map_or("-".to_string(), |s| s.to_string()),
            d.last_event,
            d.assignee,
            d.exception_until
                .as_deref()
                .map(|u| format!(", until {u}"))
                .unwrap_or_default()
        )
    };
    format!(
        "item {item}: its recorded state ({}) does not match its events ({}): item_state was \
         edited",
        show(stored),
        show(derived)
    )
}
