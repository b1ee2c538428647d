//! A campaign's parts: its items grouped by sponsor, the items without one
//! forming the owner's part. Parts are derived from the frozen items (whose
//! identity and register versions never change) and from the sign-off
//! events, so they need no table of their own: a sponsor's sign-off is a
//! `part_signed_off` event naming the part, the owner's part is signed by
//! the final sign-off (`campaign_signed_off`).

use super::campaigns::item_range;
use super::events::{Acting, ChainWriter, NewEvent};
use super::lifecycle::{SignOffBody, facts, signoffs};
pub(super) use super::standing::{PartSignOffBody, PartSigned, part_signoffs};
use super::{CampaignId, Result, Store, StoreError};
use crate::domain::people::same_person;
use crate::rules::signoff::{self, Earlier, SignerRole};
use rusqlite::{Connection, params};
use serde::Serialize;
use std::collections::BTreeMap;

/// One part of a campaign and where its sign-off stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part {
    /// Who signs it: its sponsor, or the owner for the owner's part.
    pub sponsor: String,
    /// The owner's part: items without a sponsor (or sponsored by the
    /// owner), signed by the final sign-off.
    pub owners_part: bool,
    pub items: u64,
    /// Items with a decision in force (attested, revoked, exception).
    pub decided: u64,
    /// Who signed it, when, with what note, as which event.
    pub signer: Option<String>,
    pub signed_at: Option<String>,
    pub note: Option<String>,
    pub event: Option<i64>,
}

impl Part {
    /// Items of it nobody has decided (undecided or reassigned).
    pub fn waiting(&self) -> u64 {
        self.items.saturating_sub(self.decided)
    }

    pub fn is_signed(&self) -> bool {
        self.event.is_some()
    }

    pub(super) fn signature(&self) -> Option<Earlier<'_>> {
        Some(Earlier {
            signer: self.signer.as_deref()?,
            seq: self.event?,
            at: self.signed_at.as_deref()?,
        })
    }
}

/// Each sponsor's item and decision counts, as `signoff::part_of` groups
/// them.
pub(super) fn counts(
    conn: &Connection,
    campaign: CampaignId,
    owner: &str,
) -> Result<BTreeMap<String, (u64, u64)>> {
    let (first, last) = item_range(conn, campaign)?;
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(idn.sponsor, r.sponsor), count(*),
                coalesce(sum(s.decision IN ('attest', 'revoke', 'exception', 'rotate')), 0)
         FROM item i
         JOIN identity idn ON idn.id = i.identity
         LEFT JOIN register_entry r ON r.id = i.register
         LEFT JOIN item_state s ON s.item = i.id
         WHERE i.id BETWEEN ?1 AND ?2
         GROUP BY 1",
    )?;
    let rows = stmt.query_map(params![first, last], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in rows {
        let (sponsor, items, decided) = row?;
        let entry = out
            .entry(signoff::part_of(sponsor.as_deref(), owner))
            .or_default();
        entry.0 += items.max(0) as u64;
        entry.1 += decided.max(0) as u64;
    }
    Ok(out)
}

/// The campaign's parts, sponsors' in name order and the owner's last.
pub(super) fn parts(conn: &Connection, campaign: CampaignId) -> Result<Vec<Part>> {
    let facts = facts(conn, campaign)?;
    let owner = crate::domain::people::person_key(&facts.owner).into_owned();
    let mut signed = part_signoffs(conn, campaign)?;
    let finals = signoffs(conn, campaign)?;
    // The owner's part is signed by the final sign-off; a sponsor's
    // sign-off recorded before parts existed froze the whole campaign and
    // signed that sponsor's part with it.
    for s in &finals {
        let part = match s.role {
            SignerRole::Owner => owner.clone(),
            SignerRole::Sponsor => signoff::part_of(Some(&s.signer), &owner),
        };
        signed.entry(part).or_insert(PartSigned {
            signer: s.signer.clone(),
            at: s.at.clone(),
            note: s.note.clone(),
            seq: s.seq,
        });
    }
    let mut out: Vec<Part> = counts(conn, campaign, &owner)?
        .into_iter()
        .map(|(sponsor, (items, decided))| {
            let signature = signed.get(&sponsor);
            Part {
                owners_part: sponsor == owner,
                items,
                decided,
                signer: signature.map(|s| s.signer.clone()),
                signed_at: signature.map(|s| s.at.clone()),
                note: signature.map(|s| s.note.clone()),
                event: signature.map(|s| s.seq),
                sponsor,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.owners_part
            .cmp(&b.owners_part)
            .then_with(|| a.sponsor.cmp(&b.sponsor))
    });
    Ok(out)
}

impl Store {
    /// The campaign's parts: sponsor, items, decided, and who signed each,
    /// when and with what note.
    pub fn parts(&self, campaign: CampaignId) -> Result<Vec<Part>> {
        parts(&self.conn, campaign)
    }

    /// Records `acting.actor`'s sign-off of their own part of the campaign:
    /// its items then take no more decisions, while every other part still
    /// does. Items of the part nobody decided must be acknowledged by their
    /// exact number, and the note must say so.
    pub fn sign_part(
        &mut self,
        campaign: CampaignId,
        acting: &Acting<'_>,
        note: &str,
        accept_undecided: Option<u64>,
    ) -> Result<Part> {
        let via = acting.via.to_string();
        let sponsor = self.write(|tx| {
            let facts = facts(tx, campaign)?;
            super::standing::refuse_if_cancelled(tx, campaign, &facts.name, "sign-offs")?;
            let all = parts(tx, campaign)?;
            let finals = signoffs(tx, campaign)?;
            let part = all
                .iter()
                .find(|p| !p.owners_part && same_person(&p.sponsor, acting.actor));
            signoff::check_part(
                &signoff::PartSignoffFacts {
                    campaign: &facts.name,
                    state: facts.state,
                    owner: &facts.owner,
                    actor: acting.actor,
                    part: part.map(|p| signoff::PartFacts {
                        sponsor: &p.sponsor,
                        items: p.items,
                        waiting: p.waiting(),
                        signed: p.signature(),
                    }),
                    final_signoff: finals.first().map(|s| Earlier {
                        signer: &s.signer,
                        seq: s.seq,
                        at: &s.at,
                    }),
                },
                note,
                accept_undecided,
            )?;
            let part = part.ok_or_else(|| StoreError::Corrupt("a part vanished".into()))?;
            let body = PartSignOffBody {
                sponsor: part.sponsor.clone(),
                items: part.items,
                decided: part.decided,
                undecided: part.waiting(),
            };
            let body = serde_json::to_string(&body)
                .map_err(|e| StoreError::Corrupt(format!("part sign-off body: {e}")))?;
            ChainWriter::start(tx)?.append(
                tx,
                &NewEvent {
                    kind: "part_signed_off",
                    campaign: Some(campaign),
                    item: None,
                    actor: acting.actor,
                    actor_via: &via,
                    at: acting.at,
                    note: Some(note.trim()),
                    body,
                },
            )?;
            Ok(part.sponsor.clone())
        })?;
        self.parts(campaign)?
            .into_iter()
            .find(|p| p.sponsor == sponsor)
            .ok_or_else(|| StoreError::Corrupt(format!("the part of {sponsor} vanished")))
    }
}

/// The final sign-off's facts about parts: sponsors' parts nobody signed.
pub(super) fn unsigned(all: &[Part]) -> Vec<signoff::Unsigned<'_>> {
    all.iter()
        .filter(|p| !p.owners_part && !p.is_signed())
        .map(|p| signoff::Unsigned {
            sponsor: &p.sponsor,
            items: p.items,
            waiting: p.waiting(),
        })
        .collect()
}

/// What the final sign-off's body says of the parts.
pub(super) fn record_unsigned(body: &mut SignOffBody, unsigned: &[signoff::Unsigned<'_>]) {
    body.final_signoff = true;
    body.unsigned_parts = unsigned.iter().map(|p| p.sponsor.to_string()).collect();
}

#[cfg(test)]
mod tests {
    use crate::domain::{CampaignState, Decision};
    use crate::rules::Refusal;
    use crate::store::{DecisionRequest, ItemId, StoreError};
    use crate::testing::{OWNER, SPONSOR, acting, sample_item, sample_store};

    fn request(item: i64, decision: Decision) -> DecisionRequest {
        DecisionRequest {
            item: ItemId(item),
            decision: Some(decision),
            note: Some("checked".into()),
            ..DecisionRequest::default()
        }
    }

    #[test]
    fn the_sample_has_a_sponsors_part_and_the_owners() {
        let (store, q4) = sample_store();
        let parts = store.parts(q4.id).unwrap();
        let summary: Vec<_> = parts
            .iter()
            .map(|p| (p.sponsor.as_str(), p.owners_part, p.items, p.decided))
            .collect();
        assert_eq!(summary, vec![(SPONSOR, false, 21, 0), (OWNER, true, 9, 0)]);
    }

    #[test]
    fn a_signed_part_is_frozen_while_the_owners_part_takes_decisions() {
        let (mut store, q4) = sample_store();
        let hers = sample_item(&store, &q4, 1); // Anna sponsors it.
        let owners = sample_item(&store, &q4, 8); // No sponsor: the owner's.
        store
            .decide(q4.id, &acting(SPONSOR), &[request(hers, Decision::Attest)])
            .unwrap();
        let err = store
            .sign_part(q4.id, &acting(SPONSOR), "checked", None)
            .unwrap_err();
        assert!(err.to_string().contains("--accept-undecided 20"), "{err}");
        let signed = store
            .sign_part(
                q4.id,
                &acting(SPONSOR),
                "20 undecided: owners away",
                Some(20),
            )
            .unwrap();
        assert_eq!(
            (signed.signer.as_deref(), signed.decided, signed.items),
            (Some(SPONSOR), 1, 21)
        );
        assert_eq!(store.campaign_state(q4.id).unwrap(), CampaignState::Open);
        let err = store
            .decide(q4.id, &acting(SPONSOR), &[request(hers, Decision::Revoke)])
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Refused(Refusal::WrongState(m))
                if m.contains(&format!("in a part signed off by {SPONSOR}"))),
            "{err}"
        );
        store
            .decide(q4.id, &acting(OWNER), &[request(owners, Decision::Attest)])
            .unwrap();
        let err = store
            .sign_part(q4.id, &acting(SPONSOR), "again; 20 undecided", Some(20))
            .unwrap_err();
        assert!(err.to_string().contains("already signed off"), "{err}");
        let err = store
            .sign_part(q4.id, &acting(OWNER), "mine", None)
            .unwrap_err();
        assert!(err.to_string().contains("--final"), "{err}");
        assert!(store.verify(&[], false).unwrap().ok());
    }

    #[test]
    fn the_final_sign_off_counts_unsigned_parts_and_signs_the_owners() {
        let (mut store, q4) = sample_store();
        let err = store
            .sign_off(q4.id, &acting(OWNER), "30 undecided", None, Some(30))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("1 part unsigned by {SPONSOR} (21 items")),
            "{err}"
        );
        let signed = store
            .sign_off(q4.id, &acting(OWNER), "30 undecided", Some(1), Some(30))
            .unwrap();
        assert_eq!(signed.unsigned_parts, vec![SPONSOR.to_string()]);
        let parts = store.parts(q4.id).unwrap();
        assert_eq!(parts[0].signer, None, "Anna never signed");
        assert_eq!(
            parts[1].event,
            Some(signed.seq),
            "the final signs the owner's"
        );
        let err = store
            .sign_part(q4.id, &acting(SPONSOR), "30 undecided", Some(21))
            .unwrap_err();
        assert!(err.to_string().contains("already signed off"), "{err}");
    }
}
