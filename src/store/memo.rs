//! What the console keeps for a person between sessions: the note they
//! were writing on an item, and where they were in a campaign. Kept in the
//! database rather than a file so that it follows the database (a copy, a
//! shared host where everyone runs as one service account) and is keyed by
//! the person recert established, not by the OS account. Not evidence:
//! nothing but the console reads it, and the rows are appended, never
//! changed, like everything else here.

use super::{CampaignId, ItemId, Result, Store};
use crate::domain::people::person_key;
use rusqlite::{OptionalExtension, params};

impl Store {
    /// Keeps `body` as the person's draft note on `item` (empty: no draft).
    pub fn save_draft(
        &mut self,
        campaign: CampaignId,
        person: &str,
        item: ItemId,
        body: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_memo (campaign, person, item, body) VALUES (?1, ?2, ?3, ?4)",
            params![campaign, person_key(person).as_ref(), item, body],
        )?;
        Ok(())
    }

    /// The person's draft note on `item`, if one is kept.
    pub fn draft(
        &self,
        campaign: CampaignId,
        person: &str,
        item: ItemId,
    ) -> Result<Option<String>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM console_memo WHERE campaign = ?1 AND person = ?2 AND item = ?3
                 ORDER BY seq DESC LIMIT 1",
                params![campaign, person_key(person).as_ref(), item],
                |r| r.get(0),
            )
            .optional()?;
        Ok(body.filter(|b| !b.is_empty()))
    }

    /// Keeps where the person was in the campaign (the console's own text).
    pub fn save_place(&mut self, campaign: CampaignId, person: &str, body: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_memo (campaign, person, item, body) VALUES (?1, ?2, NULL, ?3)",
            params![campaign, person_key(person).as_ref(), body],
        )?;
        Ok(())
    }

    /// Where the person last was in the campaign, as `save_place` kept it.
    pub fn place(&self, campaign: CampaignId, person: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT body FROM console_memo WHERE campaign = ?1 AND person = ?2
                 AND item IS NULL ORDER BY seq DESC LIMIT 1",
                params![campaign, person_key(person).as_ref()],
                |r| r.get(0),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::ItemId;
    use crate::testing::{sample_item, sample_store};

    #[test]
    fn the_latest_draft_holds_per_person_and_item_and_an_empty_one_clears_it() {
        let (mut store, q4) = sample_store();
        let [one, two] = [1, 2].map(|n| ItemId(sample_item(&store, &q4, n)));
        store.save_draft(q4.id, "A@x", one, "first").unwrap();
        store.save_draft(q4.id, "a@x", one, "second").unwrap();
        assert_eq!(
            store.draft(q4.id, "a@X", one).unwrap().as_deref(),
            Some("second")
        );
        assert_eq!(store.draft(q4.id, "b@x", one).unwrap(), None, "per person");
        assert_eq!(store.draft(q4.id, "a@x", two).unwrap(), None, "per item");
        store.save_draft(q4.id, "a@x", one, "").unwrap();
        assert_eq!(store.draft(q4.id, "a@x", one).unwrap(), None);
        assert_eq!(
            store.place(q4.id, "a@x").unwrap(),
            None,
            "a draft is no place"
        );
        store.save_place(q4.id, "a@x", "{}").unwrap();
        assert_eq!(store.place(q4.id, "A@x").unwrap().as_deref(), Some("{}"));
        assert!(
            store.conn.execute("DELETE FROM console_memo", []).is_err(),
            "append-only"
        );
    }
}
