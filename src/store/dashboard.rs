//! Campaign-wide figures for the console: the dashboard (progress by
//! reviewer, risk still waiting for a decision) and the values the filter
//! panel offers. Each is one scan of the campaign, computed when a panel
//! opens or is refreshed, never per frame.

use super::campaigns::item_range;
use super::effective::EFFECTIVE_RELATIONSHIP;
use super::items::{ItemQuery, PageDirection};
use super::row::{ITEM_JOINS, ItemRow};
use super::{CampaignId, Result, Store, Tally};
use crate::domain::decision::state_label;
use crate::domain::people::person_key;
use crate::domain::{DecisionKind, Field, Filter, Flag, FlagSet, Recommendation};
use std::collections::{BTreeMap, HashMap};

/// One reviewer's share of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewerProgress {
    pub reviewer: String,
    /// Items waiting for (or decided by whoever held) this reviewer.
    pub assigned: u64,
    /// Of those, items with a final decision.
    pub decided: u64,
    /// Decisions in force that this person recorded, on anyone's items.
    pub recorded: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dashboard {
    pub tally: Tally,
    /// Most items first.
    pub reviewers: Vec<ReviewerProgress>,
    /// Items without a final decision, per risk flag, in flag order.
    pub waiting_by_flag: Vec<(Flag, u64)>,
    /// Items without a final decision whose recommendation is to revoke.
    pub waiting_revoke_recommended: u64,
    /// Items flagged `revocation_not_done`, decided or not: an earlier
    /// campaign's revoke a snapshot showed not done. They lead the queue.
    pub revocations_not_done: u64,
    /// The riskiest items without a final decision.
    pub riskiest_waiting: Vec<ItemRow>,
    /// The campaign's parts by sponsor and whether each is signed.
    pub parts: Vec<super::Part>,
}

/// The values one filter field takes in a campaign, with how many items
/// have each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facet {
    pub field: Field,
    pub values: Vec<(String, u64)>,
    /// Values left out because there were too many to offer.
    pub more: usize,
}

/// The fields the filter panel offers, in its order.
pub const FACET_FIELDS: [Field; 10] = [
    Field::Relationship,
    Field::Kind,
    Field::Tenant,
    Field::Region,
    Field::Environment,
    Field::System,
    Field::Flag,
    Field::State,
    Field::Reviewer,
    Field::Since,
];

/// More values than a person would scroll through; the command line's
/// `--where` still reaches the rest.
const MAX_VALUES: usize = 500;

/// A decision in force that ends the wait: anything but a reassign.
fn is_final(decision: Option<&str>) -> bool {
    decision
        .and_then(|d| d.parse::<crate::domain::DecisionKind>().ok())
        .is_some_and(|kind| {
            kind != crate::domain::DecisionKind::Reassign
                && kind != crate::domain::DecisionKind::Undo
        })
}

impl Store {
    pub fn dashboard(&self, campaign: CampaignId, riskiest: usize) -> Result<Dashboard> {
        let mut reviewers: HashMap<String, ReviewerProgress> = HashMap::new();
        let mut waiting_flags: BTreeMap<Flag, u64> = BTreeMap::new();
        let mut waiting_revoke = 0u64;
        let mut not_done = 0u64;
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare(
            "SELECT coalesce(s.assignee, i.reviewer), s.decision, i.flags, i.recommendation
             FROM item i LEFT JOIN item_state s ON s.item = i.id
             WHERE i.id BETWEEN ?1 AND ?2",
        )?;
        let mut rows = stmt.query([first, last])?;
        while let Some(row) = rows.next()? {
            let reviewer: String = row.get(0)?;
            let decision: Option<String> = row.get(1)?;
            let decided = is_final(decision.as_deref());
            let entry = reviewers
                .entry(person_key(&reviewer).into_owned())
                .or_insert_with(|| ReviewerProgress {
                    reviewer,
                    ..ReviewerProgress::default()
                });
            entry.assigned += 1;
            entry.decided += u64::from(decided);
            let flags = FlagSet::from_bits(row.get::<_, i64>(2)? as u32);
            not_done += u64::from(flags.contains(Flag::RevocationNotDone));
            if !decided {
                for flag in flags.iter() {
                    *waiting_flags.entry(flag).or_default() += 1;
                }
                let recommendation: Option<Recommendation> = row.get::<_, String>(3)?.parse().ok();
                waiting_revoke += u64::from(recommendation.is_some_and(|r| r.suggests_revoke()));
            }
        }
        let mut recorded = self.conn.prepare(
            "SELECT d.actor, count(*) FROM item_state s JOIN event d ON d.seq = s.decided_event
             WHERE s.campaign = ?1 AND s.decision IN ('attest', 'revoke', 'exception', 'rotate')
             GROUP BY d.actor",
        )?;
        let mut rows = recorded.query([campaign])?;
        while let Some(row) = rows.next()? {
            let actor: String = row.get(0)?;
            let n: i64 = row.get(1)?;
            reviewers
                .entry(person_key(&actor).into_owned())
                .or_insert_with(|| ReviewerProgress {
                    reviewer: actor,
                    ..ReviewerProgress::default()
                })
                .recorded += n as u64;
        }
        let mut reviewers: Vec<ReviewerProgress> = reviewers.into_values().collect();
        reviewers.sort_by(|a, b| {
            b.assigned
                .cmp(&a.assigned)
                .then(b.recorded.cmp(&a.recorded))
                .then_with(|| a.reviewer.cmp(&b.reviewer))
        });
        let waiting = ItemQuery {
            campaign,
            filters: vec![Filter::new(
                Field::State,
                vec!["undecided".into(), "reassigned".into()],
            )],
            search: None,
        };
        Ok(Dashboard {
            tally: self.tally(campaign)?,
            reviewers,
            waiting_by_flag: waiting_flags.into_iter().collect(),
            waiting_revoke_recommended: waiting_revoke,
            revocations_not_done: not_done,
            riskiest_waiting: self.page(&waiting, None, PageDirection::Forward, true, riskiest)?,
            parts: self.parts(campaign)?,
        })
    }

    /// The values each of [`FACET_FIELDS`] takes in the campaign, from one
    /// scan. Flags are named as filters name them; states as the queue
    /// shows them.
    pub fn facets(&self, campaign: CampaignId) -> Result<Vec<Facet>> {
        let mut counts: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); FACET_FIELDS.len()];
        let (first, last) = item_range(&self.conn, campaign)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {EFFECTIVE_RELATIONSHIP}, idn.kind, idn.tenant, idn.region, e.environment,
                    e.system, i.flags, s.decision, coalesce(s.assignee, i.reviewer), i.since
             FROM item i{ITEM_JOINS} WHERE i.id BETWEEN ?1 AND ?2"
        ))?;
        let mut rows = stmt.query([first, last])?;
        while let Some(row) = rows.next()? {
            for (column, field) in FACET_FIELDS.iter().enumerate() {
                match field {
                    Field::Flag => {
                        let flags = FlagSet::from_bits(row.get::<_, i64>(column)? as u32);
                        for flag in flags.iter() {
                            *counts[column].entry(flag.name().to_string()).or_default() += 1;
                        }
                    }
                    Field::State => {
                        let decision: Option<DecisionKind> = row
                            .get::<_, Option<String>>(column)?
                            .and_then(|d| d.parse().ok());
                        *counts[column]
                            .entry(state_label(decision).to_string())
                            .or_default() += 1;
                    }
                    _ => {
                        // An unknown value cannot be chosen with `IN (…)`.
                        if let Some(value) = row.get::<_, Option<String>>(column)? {
                            *counts[column].entry(value).or_default() += 1;
                        }
                    }
                }
            }
        }
        Ok(FACET_FIELDS
            .iter()
            .zip(counts)
            .map(|(&field, counts)| facet(field, counts))
            .collect())
    }
}

fn facet(field: Field, counts: BTreeMap<String, u64>) -> Facet {
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    match field {
        Field::Flag => values.sort_by_key(|(name, _)| Flag::from_name(name)),
        Field::State => values.sort_by_key(|(name, _)| {
            crate::domain::filter::STATES
                .iter()
                .position(|s| s == name)
                .unwrap_or(usize::MAX)
        }),
        Field::Since => values.sort_by_key(|(name, _)| {
            crate::domain::filter::SINCE
                .iter()
                .position(|s| s == name)
                .unwrap_or(usize::MAX)
        }),
        _ => {}
    }
    let more = values.len().saturating_sub(MAX_VALUES);
    if more > 0 {
        // Keep the most common values, still in their natural order.
        let mut by_count: Vec<usize> = (0..values.len()).collect();
        by_count.sort_by(|&a, &b| values[b].1.cmp(&values[a].1).then(a.cmp(&b)));
        let mut keep = vec![false; values.len()];
        for &i in &by_count[..MAX_VALUES] {
            keep[i] = true;
        }
        let mut n = 0;
        values.retain(|_| {
            n += 1;
            keep[n - 1]
        });
    }
    Facet {
        field,
        values,
        more,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decision;
    use crate::store::{Acting, DecisionRequest};
    use crate::testing::{day, sample_store};

    /// A rotate is a final decision: the reviewer's item is done.
    #[test]
    fn a_rotate_counts_as_done() {
        let (mut store, q4) = sample_store();
        let item = crate::testing::sample_item(&store, &q4, 21);
        crate::testing::decide(
            &mut store,
            &q4,
            "m.santos@northwind.example.com",
            item,
            Some(Decision::Rotate {
                by: day("2026-12-15"),
            }),
            "the vault rotates it",
        );
        let d = store.dashboard(q4.id, 5).unwrap();
        let decided: u64 = d.reviewers.iter().map(|r| r.decided).sum();
        assert_eq!(decided, 1);
    }

    #[test]
    fn the_dashboard_counts_progress_by_reviewer_and_waiting_risk() {
        let (mut store, campaign) = sample_store();
        let before = store.dashboard(campaign.id, 5).unwrap();
        let assigned: u64 = before.reviewers.iter().map(|r| r.assigned).sum();
        assert_eq!(assigned, 30);
        assert!(before.reviewers[0].assigned >= before.reviewers[1].assigned);
        assert_eq!(before.riskiest_waiting.len(), 5);
        assert_eq!(before.riskiest_waiting[0].rank, 0);
        let first = before.riskiest_waiting[0].clone();
        store
            .decide(
                campaign.id,
                &Acting {
                    actor: "owner@x",
                    via: &crate::domain::roster::ASSERTED,
                    at: "2026-11-01T10:00:00.000Z",
                    today: day("2026-11-01"),
                },
                &[DecisionRequest {
                    item: first.id,
                    decision: Some(Decision::Revoke),
                    note: Some("shared login".into()),
                    seen_event: None,
                    seconds_on_screen: None,
                    overriding: false,
                }],
            )
            .unwrap();
        let after = store.dashboard(campaign.id, 5).unwrap();
        assert_eq!(after.tally.revoked, 1);
        assert_eq!(
            after.riskiest_waiting[0].rank, 1,
            "decided items leave the list"
        );
        let owner = after
            .reviewers
            .iter()
            .find(|r| r.reviewer == "owner@x")
            .unwrap();
        assert_eq!((owner.assigned, owner.recorded), (0, 1));
        let holder = after
            .reviewers
            .iter()
            .find(|r| r.reviewer == first.assignee)
            .unwrap();
        assert_eq!(holder.decided, 1);
        for flag in first.flags.iter() {
            let count = |d: &Dashboard| {
                d.waiting_by_flag
                    .iter()
                    .find(|(f, _)| *f == flag)
                    .map_or(0, |(_, n)| *n)
            };
            assert_eq!(count(&after), count(&before) - 1, "{flag}");
        }
    }

    #[test]
    fn facets_offer_the_values_the_campaign_has() {
        let (store, campaign) = sample_store();
        let facets = store.facets(campaign.id).unwrap();
        assert_eq!(
            facets.iter().map(|f| f.field).collect::<Vec<_>>(),
            FACET_FIELDS
        );
        let relationship = &facets[0];
        assert!(
            relationship
                .values
                .iter()
                .any(|(v, n)| v == "contractor" && *n == 6),
            "{relationship:?}"
        );
        let total: u64 = relationship.values.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 30);
        let state = facets.iter().find(|f| f.field == Field::State).unwrap();
        assert_eq!(state.values, vec![("undecided".to_string(), 30)]);
        let flags = facets.iter().find(|f| f.field == Field::Flag).unwrap();
        let order: Vec<Option<Flag>> = flags
            .values
            .iter()
            .map(|(v, _)| Flag::from_name(v))
            .collect();
        assert!(order.iter().all(Option::is_some));
        assert!(order.windows(2).all(|w| w[0] < w[1]), "flag order");
        let since = facets.iter().find(|f| f.field == Field::Since).unwrap();
        assert_eq!(since.values, vec![("new".to_string(), 30)]);
    }

    #[test]
    fn too_many_values_keep_the_most_common() {
        let mut counts = BTreeMap::new();
        for i in 0..(MAX_VALUES + 3) {
            counts.insert(format!("v{i:04}"), if i < 3 { 1 } else { 2 });
        }
        let f = facet(Field::System, counts);
        assert_eq!((f.values.len(), f.more), (MAX_VALUES, 3));
        assert!(f.values.iter().all(|(_, n)| *n == 2));
        assert!(f.values.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
