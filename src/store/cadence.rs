//! The scopes reviewed before, each with its latest campaign and what that
//! campaign held that sets the pace of the next review (`campaign due`).

use super::campaigns::item_range;
use super::effective::EFFECTIVE_RELATIONSHIP;
use super::items::relationship_frozen;
use super::row::ITEM_JOINS;
use super::{CampaignId, Result, Store};
use crate::domain::{Filter, Relationship};
use rusqlite::Connection;

/// A scope's latest campaign, not cancelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeReviewed {
    /// In canonical form, as campaigns compare scopes.
    pub scope: Vec<String>,
    pub campaign: String,
    /// When the campaign was created (RFC 3339).
    pub created_at: String,
    /// The relationships of its items' identities, sorted.
    pub relationships: Vec<Relationship>,
    /// Whether any of its items is a privileged grant.
    pub privileged: bool,
}

/// A stored scope in canonical form: filters and values sorted, so that
/// campaigns whose filters were typed in another order are one scope.
/// `None` for a scope that no longer parses (a field since renamed).
pub(super) fn canonical(stored: &str) -> Option<Vec<String>> {
    let filters: Vec<Filter> = serde_json::from_str::<Vec<String>>(stored)
        .ok()?
        .iter()
        .map(|t| Filter::parse(t).ok())
        .collect::<Option<_>>()?;
    Some(
        crate::domain::filter::normalized(&filters)
            .iter()
            .map(Filter::to_string)
            .collect(),
    )
}

/// Campaigns not cancelled, latest first: id, name, created_at, scope.
pub(super) fn live_campaigns(conn: &Connection) -> Result<Vec<(i64, String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT id, name, created_at, scope FROM campaign WHERE NOT EXISTS (
             SELECT 1 FROM event WHERE event.campaign = campaign.id
                 AND kind = 'campaign_cancelled' AND item IS NULL)
         ORDER BY id DESC",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

impl Store {
    /// Each scope a campaign reviewed, with its latest campaign, in the
    /// order of those campaigns (oldest first).
    pub fn scopes_reviewed(&self) -> Result<Vec<ScopeReviewed>> {
        let mut seen: Vec<Vec<String>> = Vec::new();
        let mut found = Vec::new();
        for (id, name, created_at, stored) in live_campaigns(&self.conn)? {
            let Some(scope) = canonical(&stored) else {
                continue;
            };
            if seen.contains(&scope) {
                continue;
            }
            seen.push(scope.clone());
            let (relationships, privileged) = self.held(CampaignId(id))?;
            found.push(ScopeReviewed {
                scope,
                campaign: name,
                created_at,
                relationships,
                privileged,
            });
        }
        found.reverse();
        Ok(found)
    }

    /// The relationships a campaign's items hold and whether any is
    /// privileged, from the evidence they froze.
    fn held(&self, campaign: CampaignId) -> Result<(Vec<Relationship>, bool)> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let relationship = if relationship_frozen(&self.conn, first)? {
            "i.relationship"
        } else {
            EFFECTIVE_RELATIONSHIP
        };
        let mut relationships = Vec::new();
        let mut privileged = false;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT DISTINCT {relationship}, e.privileged FROM item i{ITEM_JOINS}
             WHERE i.id BETWEEN ?1 AND ?2"
        ))?;
        let mut rows = stmt.query([first, last])?;
        while let Some(row) = rows.next()? {
            // A value recert did not write is no relationship to pace by.
            if let Some(r) = row
                .get::<_, Option<String>>(0)?
                .and_then(|r| r.parse::<Relationship>().ok())
            {
                relationships.push(r);
            }
            privileged |= row.get::<_, bool>(1)?;
        }
        relationships.sort();
        relationships.dedup();
        Ok((relationships, privileged))
    }
}
