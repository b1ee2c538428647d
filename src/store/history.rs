//! One identity across campaigns: every campaign's item for it, with the
//! decision in force and the remediation of a revoke, read through the one
//! item row model. What a sponsor or an auditor asks about one person.

use super::campaigns::item_range;
use super::row::{ItemRow, collect_rows, select};
use super::{CampaignId, Result, Store};
use rusqlite::params;

/// A campaign's item for the identity asked about.
#[derive(Clone, Debug)]
pub struct IdentityHistoryEntry {
    pub campaign: String,
    pub campaign_id: CampaignId,
    pub row: ItemRow,
}

impl Store {
    /// Every campaign's items for `identity_id` (its case ignored), oldest
    /// campaign first and in queue order within one; of `tenant` only when
    /// given.
    pub fn identity_history(
        &self,
        identity_id: &str,
        tenant: Option<&str>,
    ) -> Result<Vec<IdentityHistoryEntry>> {
        let sql = format!(
            "{} AND idn.identity_id = ? COLLATE NOCASE AND (? IS NULL OR idn.tenant = ?)
             ORDER BY i.id",
            select(super::row::VersionLookup::Joined)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let campaigns: Vec<(CampaignId, String)> = self
            .conn
            .prepare("SELECT id, name FROM campaign ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for (id, name) in campaigns {
            let (first, last) = item_range(&self.conn, id)?;
            for row in collect_rows(&mut stmt, params![first, last, identity_id, tenant, tenant])? {
                out.push(IdentityHistoryEntry {
                    campaign: name.clone(),
                    campaign_id: id,
                    row,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::Decision;
    use crate::testing::{acting, campaign, sample_store};

    #[test]
    fn an_identitys_items_in_every_campaign_with_their_decisions() {
        let (mut store, q4) = sample_store();
        let lena = "L.Brandt@copperline.example.com";
        let first = store.identity_history(lena, None).unwrap();
        assert!(!first.is_empty());
        assert!(first.iter().all(|e| e.campaign == q4.name));
        let item = first[0].row.id;
        store
            .decide(
                q4.id,
                &acting("m.santos@northwind.example.com"),
                &[crate::store::DecisionRequest {
                    item,
                    decision: Some(Decision::Revoke),
                    note: Some("contract ended".into()),
                    ..Default::default()
                }],
            )
            .unwrap();
        let q1 = campaign(&mut store, "Q1", "2027-03-31");
        let history = store.identity_history(lena, None).unwrap();
        assert_eq!(
            history.len(),
            first.len() * 2,
            "one item per grant per campaign"
        );
        let decided: Vec<_> = history
            .iter()
            .filter(|e| e.row.decision.is_some())
            .collect();
        assert_eq!(decided.len(), 1);
        assert_eq!(decided[0].campaign, q4.name);
        assert_eq!(decided[0].row.note.as_deref(), Some("contract ended"));
        assert!(history.iter().any(|e| e.campaign_id == q1.id));
        assert!(
            store
                .identity_history(lena, Some("elsewhere"))
                .unwrap()
                .is_empty()
        );
        assert!(store.identity_history("nobody@x", None).unwrap().is_empty());
    }
}
