//! What the console's queue shows beyond a page of items: where a page
//! sits in its view, how many tenants a campaign spans, and a view's items
//! grouped by identity (the person view). Each is a scan, read off the
//! key path by the console's background reader.

use super::campaigns::item_range;
use super::items::conditions;
use super::row::ITEM_JOINS;
use super::{CampaignId, ItemQuery, Result, Store};
use crate::domain::{DecisionKind, FlagSet};
use rusqlite::params_from_iter;
use rusqlite::types::Value;
use std::collections::HashMap;

/// One identity of a view, with its grants there counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonRow {
    pub tenant: String,
    pub identity_id: String,
    pub name: String,
    pub grants: u64,
    /// Grants nobody decided (a reassigned one still waits).
    pub undecided: u64,
    pub revoked: u64,
    /// Every flag any of the grants carries.
    pub flags: FlagSet,
    /// Grants whose recommendation is to revoke (or rotate, or reassign).
    pub revoke_recommended: u64,
    /// The rank of the riskiest grant, which orders the people.
    pub first_rank: i64,
}

impl PersonRow {
    pub fn decided(&self) -> u64 {
        self.grants - self.undecided
    }
}

impl Store {
    /// How many items of `query` come before the risk rank `rank`: the
    /// place of that item in the view, counting from 0.
    pub fn count_before(&self, query: &ItemQuery, rank: i64) -> Result<u64> {
        let (conds, mut values) = conditions(&self.conn, query)?;
        if let [Value::Integer(first), Value::Integer(last), ..] = values.as_mut_slice() {
            *last = (*first + rank - 1).min(*last);
        }
        let sql =
            format!("SELECT count(*) FROM item i{ITEM_JOINS} WHERE i.id BETWEEN ? AND ?{conds}");
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// How many tenants the campaign's identities belong to.
    pub fn campaign_tenants(&self, campaign: CampaignId) -> Result<u64> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(DISTINCT idn.tenant) FROM identity idn
                 WHERE idn.id IN (SELECT identity FROM item WHERE id BETWEEN ?1 AND ?2)",
            )?
            .query_row([first, last], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The identities of a view, riskiest first (by their riskiest grant),
    /// each with its grants counted, decided and flagged.
    pub fn people_in_view(&self, query: &ItemQuery) -> Result<Vec<PersonRow>> {
        let (conds, values) = conditions(&self.conn, query)?;
        let sql = format!(
            "SELECT idn.tenant, idn.identity_id, idn.name, i.risk_rank, i.flags,
                    i.recommendation, s.decision
             FROM item i{ITEM_JOINS} WHERE i.id BETWEEN ? AND ?{conds} ORDER BY i.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(values))?;
        let mut people: Vec<PersonRow> = Vec::new();
        let mut at: HashMap<(String, String), usize> = HashMap::new();
        while let Some(row) = rows.next()? {
            let tenant: String = row.get(0)?;
            let identity_id: String = row.get(1)?;
            let index = *at
                .entry((tenant.clone(), identity_id.clone()))
                .or_insert_with(|| {
                    people.push(PersonRow {
                        tenant,
                        identity_id,
                        name: row.get(2).unwrap_or_default(),
                        first_rank: row.get(3).unwrap_or_default(),
                        ..PersonRow::default()
                    });
                    people.len() - 1
                });
            let person = &mut people[index];
            person.grants += 1;
            person.flags = FlagSet::from_bits(person.flags.bits() | row.get::<_, i64>(4)? as u32);
            let recommendation: String = row.get(5)?;
            if recommendation
                .parse::<crate::domain::Recommendation>()
                .is_ok_and(|r| r.suggests_revoke())
            {
                person.revoke_recommended += 1;
            }
            let decision: Option<DecisionKind> = row
                .get::<_, Option<String>>(6)?
                .and_then(|d| d.parse().ok());
            match decision {
                None | Some(DecisionKind::Undo | DecisionKind::Reassign) => person.undecided += 1,
                Some(DecisionKind::Revoke) => person.revoked += 1,
                Some(_) => {}
            }
        }
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{Decision, Field, Filter};
    use crate::store::ItemQuery;
    use crate::testing::{decide, sample_item, sample_store};

    #[test]
    fn people_are_grouped_riskiest_first_with_their_counts() {
        let (mut store, q4) = sample_store();
        let lena = sample_item(&store, &q4, 1);
        decide(&mut store, &q4, "x@y", lena, Some(Decision::Revoke), "gone");
        let all = ItemQuery {
            campaign: q4.id,
            ..ItemQuery::default()
        };
        let people = store.people_in_view(&all).unwrap();
        assert_eq!(people.iter().map(|p| p.grants).sum::<u64>(), 30);
        assert!(people.windows(2).all(|w| w[0].first_rank < w[1].first_rank));
        let row = store
            .item_row(q4.id, crate::store::ItemId(lena))
            .unwrap()
            .unwrap();
        let person = people
            .iter()
            .find(|p| p.identity_id == row.identity_id)
            .unwrap();
        assert_eq!((person.revoked, person.decided()), (1, 1));
        assert!(person.grants > 1);
        assert!(!person.flags.is_empty());
        assert_eq!(store.campaign_tenants(q4.id).unwrap(), 1);
    }

    #[test]
    fn the_place_in_a_view_is_the_count_before_it() {
        let (store, q4) = sample_store();
        let mut contractors = ItemQuery {
            campaign: q4.id,
            ..ItemQuery::default()
        };
        contractors
            .filters
            .push(Filter::new(Field::Relationship, vec!["contractor".into()]));
        let page = store
            .page(
                &contractors,
                None,
                crate::store::PageDirection::Forward,
                true,
                10,
            )
            .unwrap();
        for (i, row) in page.iter().enumerate() {
            assert_eq!(
                store.count_before(&contractors, row.rank).unwrap(),
                i as u64
            );
        }
    }
}
