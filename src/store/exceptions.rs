//! Exceptions across campaigns: every exception still in force (no later
//! campaign has decided on the same grant since), with its end date,
//! ticket, who granted it and in which campaign, live or expired.

use super::events::campaign_state;
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::CampaignState;
use chrono::NaiveDate;
use serde::Serialize;

/// Which exceptions to list, relative to "today".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionFilter {
    All,
    /// Ending today or later.
    Live,
    /// Ended before today.
    Expired,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExceptionEntry {
    pub campaign: String,
    pub campaign_state: CampaignState,
    pub item: i64,
    pub tenant: String,
    pub identity_id: String,
    pub identity_name: String,
    pub system: String,
    pub entitlement: String,
    pub until: String,
    pub ticket: Option<String>,
    pub decided_by: String,
    pub decided_at: String,
    pub note: Option<String>,
    pub expired: bool,
    /// A later snapshot no longer holds the grant, so the exception is moot.
    pub grant_removed: bool,
}

impl Store {
    /// Walks the exceptions in force, soonest end first.
    pub fn for_each_exception(
        &self,
        today: NaiveDate,
        filter: ExceptionFilter,
        mut visit: impl FnMut(&ExceptionEntry) -> std::result::Result<(), Box<dyn std::error::Error>>,
    ) -> Result<()> {
        let condition = match filter {
            ExceptionFilter::All => "?1 IS NOT NULL",
            ExceptionFilter::Live => "s.exception_until >= ?1",
            ExceptionFilter::Expired => "s.exception_until < ?1",
        };
        let sql = format!(
            "SELECT c.id, c.name, i.id, idn.tenant, idn.identity_id, idn.name, e.system,
                    e.name, s.exception_until, json_extract(d.body, '$.ticket'),
                    d.actor, d.at, d.note,
                    EXISTS (SELECT 1 FROM entitlement now WHERE now.key = i.grant_key
                              AND now.superseded IS NULL AND now.removed_snapshot IS NOT NULL)
             FROM item_state s
             JOIN item i ON i.id = s.item
             JOIN campaign c ON c.id = s.campaign
             JOIN event d ON d.seq = s.decided_event
             JOIN entitlement e ON e.id = i.entitlement
             JOIN identity idn ON idn.id = i.identity
             WHERE s.decision = 'exception' AND {condition}
               AND NOT EXISTS (
                   SELECT 1 FROM item j JOIN item_state t ON t.item = j.id
                   WHERE j.grant_key = i.grant_key AND j.campaign > i.campaign
                     AND t.decision IN ('attest', 'revoke', 'exception', 'rotate'))
             ORDER BY s.exception_until, i.id"
        );
        let today_text = today.to_string();
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([&today_text])?;
        let mut states: Vec<(i64, CampaignState)> = Vec::new();
        while let Some(r) = rows.next()? {
            let campaign: i64 = r.get(0)?;
            let state = match states.iter().find(|(id, _)| *id == campaign) {
                Some((_, state)) => *state,
                None => {
                    let state = campaign_state(&self.conn, CampaignId(campaign))?;
                    states.push((campaign, state));
                    state
                }
            };
            let until: String = r.get(8)?;
            let entry = ExceptionEntry {
                campaign: r.get(1)?,
                campaign_state: state,
                item: r.get(2)?,
                tenant: r.get(3)?,
                identity_id: r.get(4)?,
                identity_name: r.get(5)?,
                system: r.get(6)?,
                entitlement: r.get(7)?,
                expired: until.as_str() < today_text.as_str(),
                until,
                ticket: r.get(9)?,
                decided_by: r.get(10)?,
                decided_at: r.get(11)?,
                note: r.get(12)?,
                grant_removed: r.get(13)?,
            };
            visit(&entry).map_err(|e| StoreError::from_output(&*e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{ExceptionEntry, ExceptionFilter};
    use crate::domain::{Decision, Flag};
    use crate::store::{ItemQuery, Store};
    use crate::testing::{OWNER, campaign, day, decide, sample_item, sample_store};

    fn listed(store: &Store, today: &str, filter: ExceptionFilter) -> Vec<ExceptionEntry> {
        let mut out = Vec::new();
        store
            .for_each_exception(day(today), filter, |e| {
                out.push(e.clone());
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn exceptions_are_live_then_expired_then_flagged_and_superseded() {
        let (mut store, q4) = sample_store();
        // Lena's Snowflake grant, on line 3 of the sample.
        let snowflake = sample_item(&store, &q4, 3);
        let until = Decision::Exception {
            until: day("2026-12-01"),
            ticket: Some("CHG-1".into()),
        };
        decide(
            &mut store,
            &q4,
            OWNER,
            snowflake,
            Some(until),
            "migration in December",
        );
        let live = listed(&store, "2026-11-22", ExceptionFilter::All);
        assert_eq!(live.len(), 1);
        let e = &live[0];
        assert_eq!(
            (e.item, e.until.as_str(), e.ticket.as_deref()),
            (snowflake, "2026-12-01", Some("CHG-1"))
        );
        assert_eq!((e.campaign.as_str(), e.decided_by.as_str()), ("Q4", OWNER));
        assert!(!e.expired && !e.grant_removed);
        assert!(listed(&store, "2026-11-22", ExceptionFilter::Expired).is_empty());
        assert_eq!(
            listed(&store, "2026-12-01", ExceptionFilter::Live).len(),
            1,
            "ends today"
        );

        let expired = listed(&store, "2026-12-05", ExceptionFilter::Expired);
        assert_eq!(expired.len(), 1);
        assert!(expired[0].expired);

        // The next campaign flags it, and its decision supersedes it.
        let q1 = campaign(&mut store, "Q1", "2026-12-05");
        let mut flagged = Vec::new();
        store
            .for_each_item(
                &ItemQuery {
                    campaign: q1.id,
                    ..ItemQuery::default()
                },
                |row| {
                    if row.flags.contains(Flag::ExceptionLapsed) {
                        flagged.push(row.id.0);
                    }
                    Ok(())
                },
            )
            .unwrap();
        let in_q1 = sample_item(&store, &q1, 3);
        assert_eq!(flagged, [in_q1], "Lena's Snowflake grant, in Q1");
        assert_eq!(
            listed(&store, "2026-12-05", ExceptionFilter::All).len(),
            1,
            "Q1 is undecided"
        );
        decide(
            &mut store,
            &q1,
            OWNER,
            in_q1,
            Some(Decision::Revoke),
            "lapsed",
        );
        assert!(listed(&store, "2026-12-05", ExceptionFilter::All).is_empty());
    }
}
