//! The campaign lifecycle, open → signed_off → closed, each step an event
//! in the audit chain: who may sign off and close, and how recorded
//! sign-offs and closes read back. Signing off is in `signoff.rs`, closing
//! in `closing.rs`.

use super::campaigns::Tally;
use super::campaigns::item_range;
use super::events::campaign_state;
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::{CampaignState, OnClose};
use crate::rules::signoff::{self, SignerRole};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// One recorded sign-off.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignOff {
    pub seq: i64,
    pub signer: String,
    pub at: String,
    pub note: String,
    pub role: SignerRole,
    /// Items of the campaign whose identity the signer sponsors.
    pub sponsored_items: u64,
    /// Items nobody had decided (undecided or reassigned) when it was
    /// signed: acknowledged explicitly by the signer.
    pub undecided: u64,
    /// Decisions in force that the signer made: the same person reviewed
    /// and signed off (the single admin's case).
    pub signer_decisions: u64,
    /// Decisions in force, by anyone, on the decider's own access.
    pub self_review_decisions: u64,
    pub tally: Tally,
    pub hash: String,
    /// Sponsors whose parts nobody had signed, acknowledged by the final
    /// sign-off.
    pub unsigned_parts: Vec<String>,
}

impl SignOff {
    /// True when the signer also made decisions they are now attesting.
    pub fn signer_reviewed(&self) -> bool {
        self.signer_decisions > 0
    }
}

/// The recorded close of a campaign.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Closure {
    pub seq: i64,
    pub closed_by: String,
    pub at: String,
    pub note: Option<String>,
    pub on_close: String,
    /// Items nobody decided that the close action kept.
    pub kept: u64,
    /// Items nobody decided that the close action revoked.
    pub revoked: u64,
    /// Of the kept, those it gave a rotate; absent while none, as before
    /// rotation existed.
    #[serde(skip_serializing_if = "is_zero")]
    pub rotated: u64,
    pub hash: String,
}

/// The body of a `campaign_signed_off` event.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct SignOffBody {
    pub(super) role: Option<String>,
    #[serde(default)]
    pub(super) sponsored_items: u64,
    #[serde(default)]
    pub(super) undecided: u64,
    #[serde(default)]
    pub(super) signer_decisions: u64,
    #[serde(default)]
    pub(super) self_review_decisions: u64,
    #[serde(default)]
    pub(super) tally: Option<TallyBody>,
    /// Set by the owner's final sign-off; older sign-offs lack it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not", rename = "final")]
    pub(super) final_signoff: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) unsigned_parts: Vec<String>,
}

/// A tally as event bodies carry it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct TallyBody {
    pub(super) total: u64,
    pub(super) undecided: u64,
    pub(super) attested: u64,
    pub(super) revoked: u64,
    pub(super) exception: u64,
    pub(super) reassigned: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) rotate: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<Tally> for TallyBody {
    fn from(t: Tally) -> Self {
        TallyBody {
            total: t.total,
            undecided: t.undecided,
            attested: t.attested,
            revoked: t.revoked,
            exception: t.exception,
            reassigned: t.reassigned,
            rotate: t.rotate,
        }
    }
}

impl From<TallyBody> for Tally {
    fn from(t: TallyBody) -> Self {
        Tally {
            total: t.total,
            undecided: t.undecided,
            attested: t.attested,
            revoked: t.revoked,
            exception: t.exception,
            reassigned: t.reassigned,
            rotate: t.rotate,
        }
    }
}

/// The body of a `campaign_closed` event.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct ClosedBody {
    pub(super) on_close: String,
    pub(super) kept: u64,
    pub(super) revoked: u64,
    /// Of the kept, those given a rotate (the close action `recommendation`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) rotated: u64,
    #[serde(default)]
    pub(super) tally_before: Option<TallyBody>,
}

pub(super) struct CampaignFacts {
    pub(super) name: String,
    pub(super) owner: String,
    pub(super) due: String,
    pub(super) on_close: OnClose,
    pub(super) state: CampaignState,
}

pub(super) fn facts(conn: &Connection, campaign: CampaignId) -> Result<CampaignFacts> {
    let (name, owner, due, on_close): (String, String, String, String) = conn
        .query_row(
            "SELECT name, owner, due, on_close FROM campaign WHERE id = ?1",
            [campaign],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::NoCampaign(format!("#{campaign}")))?;
    let on_close = on_close
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("campaign {name:?} on_close: {e}")))?;
    Ok(CampaignFacts {
        state: campaign_state(conn, campaign)?,
        name,
        owner,
        due,
        on_close,
    })
}

/// How many of the campaign's items have an identity `actor` sponsors.
pub(super) fn sponsored_by(conn: &Connection, campaign: CampaignId, actor: &str) -> Result<u64> {
    let (first, last) = item_range(conn, campaign)?;
    let sponsored: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM item i
             JOIN identity idn ON idn.id = i.identity
             LEFT JOIN register_entry r ON r.id = i.register
             WHERE i.id BETWEEN ?1 AND ?2
               AND coalesce(idn.sponsor, r.sponsor) = ?3 COLLATE NOCASE",
        )?
        .query_row(params![first, last, actor], |r| r.get(0))?;
    Ok(sponsored.max(0) as u64)
}

pub(super) fn signoffs(conn: &Connection, campaign: CampaignId) -> Result<Vec<SignOff>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, actor, at, note, body, hash FROM event
         WHERE campaign = ?1 AND kind = 'campaign_signed_off' AND item IS NULL
         ORDER BY seq",
    )?;
    let rows = stmt.query_map([campaign], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, signer, at, note, body, hash) = row?;
        let body: SignOffBody = serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("sign-off event {seq}: {e}")))?;
        out.push(SignOff {
            seq,
            signer,
            at,
            note: note.unwrap_or_default(),
            role: match body.role.as_deref() {
                Some("sponsor") => SignerRole::Sponsor,
                _ => SignerRole::Owner,
            },
            sponsored_items: body.sponsored_items,
            undecided: body.undecided,
            signer_decisions: body.signer_decisions,
            self_review_decisions: body.self_review_decisions,
            tally: body.tally.map(Tally::from).unwrap_or_default(),
            hash,
            unsigned_parts: body.unsigned_parts,
        });
    }
    Ok(out)
}

pub(super) fn closure(conn: &Connection, campaign: CampaignId) -> Result<Option<Closure>> {
    let row: Option<(i64, String, String, Option<String>, String, String)> = conn
        .prepare_cached(
            "SELECT seq, actor, at, note, body, hash FROM event
             WHERE campaign = ?1 AND kind = 'campaign_closed' AND item IS NULL
             ORDER BY seq LIMIT 1",
        )?
        .query_row([campaign], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()?;
    row.map(|(seq, closed_by, at, note, body, hash)| {
        let body: ClosedBody = serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("close event {seq}: {e}")))?;
        Ok(Closure {
            seq,
            closed_by,
            at,
            note,
            on_close: body.on_close,
            kept: body.kept,
            revoked: body.revoked,
            rotated: body.rotated,
            hash,
        })
    })
    .transpose()
}

impl Store {
    /// Whether `actor` may sign off (and close) `campaign`, and as what.
    pub fn signer_role(&self, campaign: CampaignId, actor: &str) -> Result<Option<SignerRole>> {
        let owner: String = self
            .conn
            .query_row(
                "SELECT owner FROM campaign WHERE id = ?1",
                [campaign],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NoCampaign(format!("#{campaign}")))?;
        let sponsored = sponsored_by(&self.conn, campaign, actor)?;
        Ok(signoff::role(&owner, actor, sponsored))
    }

    /// Where the campaign stands now: open, signed off or closed. One
    /// indexed read, so a console can ask after another terminal may have
    /// signed or closed it.
    pub fn campaign_state(&self, campaign: CampaignId) -> Result<CampaignState> {
        campaign_state(&self.conn, campaign)
    }

    /// The campaign's sign-offs, oldest first.
    pub fn signoffs(&self, campaign: CampaignId) -> Result<Vec<SignOff>> {
        signoffs(&self.conn, campaign)
    }

    /// How the campaign was closed, if it was.
    pub fn closure(&self, campaign: CampaignId) -> Result<Option<Closure>> {
        closure(&self.conn, campaign)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::CampaignState;
    use crate::testing::{OWNER, acting, sample_store};

    #[test]
    fn the_state_follows_the_sign_off_and_the_close() {
        let (mut store, q4) = sample_store();
        assert_eq!(store.campaign_state(q4.id).unwrap(), CampaignState::Open);
        store
            .sign_off(
                q4.id,
                &acting(OWNER),
                "30 undecided: keep",
                Some(1),
                Some(30),
            )
            .unwrap();
        assert_eq!(
            store.campaign_state(q4.id).unwrap(),
            CampaignState::SignedOff
        );
        store.close_campaign(q4.id, &acting(OWNER), None).unwrap();
        assert_eq!(store.campaign_state(q4.id).unwrap(), CampaignState::Closed);
        assert_eq!(store.campaign("Q4").unwrap().state, CampaignState::Closed);
    }
}
