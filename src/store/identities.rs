//! The register of identities across tenants: every identity that still
//! holds a grant, with its attributes as the identity register enriches
//! them, for the MSP's one-register-across-tenants view.

use super::effective::{
    EFFECTIVE_EMAIL, EFFECTIVE_ORGANIZATION, EFFECTIVE_RELATIONSHIP, EFFECTIVE_SPONSOR,
    REGISTER_JOIN,
};
use super::query::{Target, push_filters};
use super::{Result, Store};
use crate::domain::Filter;
use crate::domain::people::IdentityEntry;
use crate::rules::Refusal;
use rusqlite::params_from_iter;

impl Store {
    /// Identities holding at least one live grant that matches `filters`
    /// (register fields: tenant, system, kind, relationship, …), ordered by
    /// identity id and tenant, each with the number of such grants.
    pub fn identities(&self, filters: &[Filter]) -> Result<Vec<IdentityEntry>> {
        let mut sql = format!(
            "SELECT idn.tenant, idn.identity_id, idn.name, idn.kind, {EFFECTIVE_RELATIONSHIP},
                    {EFFECTIVE_ORGANIZATION}, {EFFECTIVE_SPONSOR}, {EFFECTIVE_EMAIL}, min(e.active),
                    r.contract_end, count(*)
             FROM entitlement e
             JOIN identity idn ON idn.key = e.identity AND idn.superseded IS NULL{REGISTER_JOIN}
             WHERE e.removed_snapshot IS NULL AND e.superseded IS NULL"
        );
        let mut values = Vec::new();
        push_filters(filters, Target::Register, &mut sql, &mut values).map_err(|field| {
            Refusal::invalid(
                "where",
                format!("--where {field}: identities can only be filtered by register fields"),
            )
        })?;
        sql.push_str(" GROUP BY idn.id ORDER BY idn.identity_id, idn.tenant");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), |r| {
            Ok(IdentityEntry {
                tenant: r.get(0)?,
                identity_id: r.get(1)?,
                name: r.get(2)?,
                kind: r.get(3)?,
                relationship: r.get(4)?,
                organization: r.get(5)?,
                sponsor: r.get(6)?,
                email: r.get(7)?,
                active: r.get(8)?,
                contract_end: r.get(9)?,
                grants: r.get::<_, i64>(10)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::Filter;
    use crate::rules::Refusal;
    use crate::store::{Store, StoreError};
    use crate::testing;

    #[test]
    fn lists_identities_with_their_live_grants() {
        let mut store = Store::open_in_memory().unwrap();
        testing::import(&mut store, testing::SAMPLE);
        let all = store.identities(&[]).unwrap();
        assert_eq!(all.iter().map(|i| i.grants).sum::<u64>(), 30);
        let contractors = store
            .identities(&[Filter::parse("relationship=contractor").unwrap()])
            .unwrap();
        assert!(!contractors.is_empty());
        assert!(contractors.iter().all(|i| i.relationship == "contractor"));
        let refused = store
            .identities(&[Filter::parse("flag=dormant").unwrap()])
            .unwrap_err();
        assert!(
            matches!(
                &refused,
                StoreError::Refused(Refusal::Invalid { field: "where", .. })
            ),
            "{refused:?}"
        );
        assert_eq!(
            refused.to_string(),
            "--where flag: identities can only be filtered by register fields"
        );
    }
}
