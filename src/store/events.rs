//! The audit log in the database: appending hash-chained events, recording
//! decisions (event and derived item state in one transaction); `chain`
//! walks it to verify it.

use super::{CampaignId, EventSeq, ItemId, Result, Store, StoreError};
use crate::audit::{self, EventContent, Fault};
use crate::domain::decision::{ItemState, Recorded, undo_target};
use crate::domain::roster::Mode;
use crate::domain::{CampaignState, Decision, DecisionKind, FlagSet, Policy, Recommendation};
use crate::rules::authority::{self, Capacity, Delegation};
use crate::rules::{decision, signoff};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub(crate) struct NewEvent<'a> {
    pub kind: &'a str,
    pub campaign: Option<CampaignId>,
    pub item: Option<ItemId>,
    pub actor: &'a str,
    /// How the actor was established, as [`Established`] writes it.
    ///
    /// [`Established`]: crate::domain::roster::Established
    pub actor_via: &'a str,
    pub at: &'a str,
    pub note: Option<&'a str>,
    pub body: String,
}

/// Appends events to the chain within one transaction, reading the head
/// once rather than per event.
pub(crate) struct ChainWriter {
    next_seq: i64,
    prev_hash: String,
}

impl ChainWriter {
    pub fn start(conn: &Connection) -> Result<ChainWriter> {
        let head: Option<(i64, String)> = conn
            .query_row(
                "SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (seq, hash) = head.unwrap_or((0, audit::GENESIS.to_string()));
        Ok(ChainWriter {
            next_seq: seq + 1,
            prev_hash: hash,
        })
    }

    pub fn append(&mut self, conn: &Connection, event: &NewEvent<'_>) -> Result<EventSeq> {
        let seq = self.next_seq;
        let content = EventContent {
            seq,
            kind: event.kind,
            campaign: event.campaign.map(|c| c.0),
            item: event.item.map(|i| i.0),
            actor: event.actor,
            actor_via: Some(event.actor_via),
            at: event.at,
            note: event.note,
            body: &event.body,
        };
        let hash = audit::event_hash(&self.prev_hash, &content);
        conn.prepare_cached(
            "INSERT INTO event (seq, kind, campaign, item, actor, actor_via, at, note, body,
                 prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            seq,
            event.kind,
            event.campaign,
            event.item,
            event.actor,
            event.actor_via,
            event.at,
            event.note,
            event.body,
            self.prev_hash,
            hash
        ])?;
        self.prev_hash = hash;
        self.next_seq += 1;
        Ok(EventSeq(seq))
    }
}

/// The body of a decision event: everything an auditor needs besides the
/// columns every event has.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct DecisionBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A rotate's last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<i64>,
    pub assigned_to: String,
    pub recommendation: String,
    pub against_recommendation: bool,
    pub self_review: bool,
    pub bulk: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_on_screen: Option<f64>,
    /// Set when nobody decided the item and closing the campaign applied
    /// its close action (`keep`, `revoke` or `recommendation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_action: Option<String>,
    /// The reviewer someone else decided for, in a personal database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// The reviewer a delegate decided for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegate_for: Option<String>,
    /// The reviewer whose item the campaign owner decided (`--override`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_of: Option<String>,
    /// The file the decision came from (`decide --from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_file: Option<FromFile>,
}

/// Where in a file of decisions one came from: the file as named, its
/// SHA-256 (which says exactly what was sent back), and the line.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FromFile {
    pub file: String,
    pub sha256: String,
    pub line: u64,
}

impl DecisionBody {
    /// Records in what capacity the decider decided.
    fn set_capacity(&mut self, capacity: Capacity) {
        match capacity {
            Capacity::Reviewer => {}
            Capacity::OnBehalf { of } => self.on_behalf_of = Some(of),
            Capacity::Delegate { of } => self.delegate_for = Some(of),
            Capacity::Override { of } => self.override_of = Some(of),
        }
    }
}

impl DecisionBody {
    pub fn recorded(seq: i64, kind: &str, body: &str) -> Option<Recorded> {
        let (kind, body) = DecisionBody::parse(kind, body)?;
        body.into_recorded(seq, kind)
    }

    /// A decision event's kind and body; `None` for other events.
    pub fn parse(kind: &str, body: &str) -> Option<(DecisionKind, DecisionBody)> {
        let kind: DecisionKind = kind.parse().ok()?;
        Some((kind, serde_json::from_str(body).ok()?))
    }

    pub fn into_recorded(self, seq: i64, kind: DecisionKind) -> Option<Recorded> {
        let decision = match kind {
            DecisionKind::Attest => Decision::Attest,
            DecisionKind::Revoke => Decision::Revoke,
            DecisionKind::Exception => Decision::Exception {
                until: self.until?,
                ticket: self.ticket,
            },
            DecisionKind::Reassign => Decision::Reassign { to: self.to? },
            DecisionKind::Rotate => Decision::Rotate { by: self.by? },
            DecisionKind::Undo => return Some(Recorded::undo(seq)),
        };
        Some(Recorded::decision(seq, decision))
    }
}

/// One decision to record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DecisionRequest {
    pub item: ItemId,
    /// `None` undoes the item's decision in force.
    pub decision: Option<Decision>,
    pub note: Option<String>,
    /// The item's latest event as the reviewer saw it, when it was on
    /// screen: if another has been recorded since, the decision is refused
    /// rather than silently overwriting it.
    pub seen_event: Option<Option<EventSeq>>,
    pub seconds_on_screen: Option<f64>,
    /// The campaign owner decides another reviewer's item (`--override`).
    pub overriding: bool,
}

/// Who is acting, when, and what "today" is for date rules.
#[derive(Clone, Debug)]
pub struct Acting<'a> {
    pub actor: &'a str,
    /// How the actor was established; every event records it.
    pub via: &'a crate::domain::roster::Established,
    pub at: &'a str,
    pub today: NaiveDate,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DecisionOutcome {
    pub item: ItemId,
    pub seq: EventSeq,
    pub state: ItemState,
}

struct ItemFacts {
    campaign: CampaignId,
    reviewer: String,
    identity_id: String,
    email: Option<String>,
    flags: FlagSet,
    recommendation: Recommendation,
    sponsor: Option<String>,
    credential: bool,
}

impl Store {
    /// Records decisions (one, or a bulk action) in one transaction: each
    /// becomes a chained event and updates its item's derived state. Either
    /// all are recorded or none.
    pub fn decide(
        &mut self,
        campaign: CampaignId,
        acting: &Acting<'_>,
        requests: &[DecisionRequest],
    ) -> Result<Vec<DecisionOutcome>> {
        let bulk = requests.len() > 1;
        self.write(|tx| {
            let deciding = campaign_for_decisions(tx, campaign)?;
            super::standing::refuse_if_cancelled(tx, campaign, &deciding.name, "decisions")?;
            decision::accepts_decisions(&deciding.facts())?;
            let mut chain = ChainWriter::start(tx)?;
            let mut outcomes = Vec::with_capacity(requests.len());
            for request in requests {
                outcomes.push(record_decision(
                    tx, &mut chain, &deciding, acting, bulk, request,
                )?);
            }
            Ok(outcomes)
        })
    }
}

/// A campaign as deciding on its items needs it.
pub(super) struct Deciding {
    pub id: CampaignId,
    pub name: String,
    pub state: CampaignState,
    pub policy: Policy,
    pub owner: String,
    pub mode: Mode,
    /// Every delegation recorded, in force or not: few, read once.
    pub delegations: Vec<Delegation>,
    /// The parts their sponsors signed, which take no more decisions.
    pub(super) signed_parts: std::collections::BTreeMap<String, super::standing::PartSigned>,
    /// Who a reassign may name, read at the first reassign.
    known: std::cell::OnceCell<BTreeSet<String>>,
}

impl Deciding {
    /// Who a reassign may name: the people register, and in a personal
    /// database also the sponsors, owners and reviewers the estate names.
    fn known(&self, conn: &Connection) -> Result<&BTreeSet<String>> {
        if let Some(known) = self.known.get() {
            return Ok(known);
        }
        let known = super::standing::known_people(conn, self.mode == Mode::Personal)?;
        Ok(self.known.get_or_init(|| known))
    }

    pub fn facts(&self) -> decision::CampaignFacts<'_> {
        decision::CampaignFacts {
            name: &self.name,
            state: self.state,
            policy: &self.policy,
        }
    }
}

pub(super) fn campaign_for_decisions(conn: &Connection, campaign: CampaignId) -> Result<Deciding> {
    let (name, policy, owner): (String, String, String) = conn
        .query_row(
            "SELECT name, policy, owner FROM campaign WHERE id = ?1",
            [campaign],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::NoCampaign(format!("#{campaign}")))?;
    let policy: Policy = serde_json::from_str(&policy)
        .map_err(|e| StoreError::Corrupt(format!("campaign {name:?} policy: {e}")))?;
    Ok(Deciding {
        id: campaign,
        state: campaign_state(conn, campaign)?,
        name,
        policy,
        owner,
        mode: super::standing::mode(conn)?,
        delegations: super::standing::delegations(conn)?,
        signed_parts: super::standing::part_signoffs(conn, campaign)?,
        known: std::cell::OnceCell::new(),
    })
}

/// A campaign's lifecycle state, derived from its events.
pub(crate) fn campaign_state(conn: &Connection, campaign: CampaignId) -> Result<CampaignState> {
    let kind: Option<String> = conn
        .prepare_cached(
            "SELECT kind FROM event WHERE campaign = ?1 AND item IS NULL
               AND kind IN ('campaign_signed_off', 'campaign_closed', 'campaign_cancelled')
             ORDER BY kind = 'campaign_cancelled' DESC, seq DESC LIMIT 1",
        )?
        .query_row([campaign], |row| row.get(0))
        .optional()?;
    Ok(match kind.as_deref() {
        Some("campaign_cancelled") => CampaignState::Cancelled,
        Some("campaign_closed") => CampaignState::Closed,
        Some("campaign_signed_off") => CampaignState::SignedOff,
        _ => CampaignState::Open,
    })
}

/// The item's history in sequence order, as the domain replays it.
pub(crate) fn item_history(conn: &Connection, item: ItemId) -> Result<Vec<Recorded>> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, kind, body FROM event WHERE item = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([item], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let mut history = Vec::new();
    for row in rows {
        let (seq, kind, body) = row?;
        if let Some(recorded) = DecisionBody::recorded(seq, &kind, &body) {
            history.push(recorded);
        }
    }
    Ok(history)
}

pub(super) fn record_decision(
    conn: &Connection,
    chain: &mut ChainWriter,
    deciding: &Deciding,
    acting: &Acting<'_>,
    bulk: bool,
    request: &DecisionRequest,
) -> Result<DecisionOutcome> {
    record_decision_from(conn, chain, deciding, acting, bulk, request, None)
}

/// Records a decision, from a file when `from_file` says which line.
pub(super) fn record_decision_from(
    conn: &Connection,
    chain: &mut ChainWriter,
    deciding: &Deciding,
    acting: &Acting<'_>,
    bulk: bool,
    request: &DecisionRequest,
    from_file: Option<FromFile>,
) -> Result<DecisionOutcome> {
    let item = request.item;
    let facts = conn
        .prepare_cached(
            "SELECT i.campaign, i.reviewer, idn.identity_id, coalesce(idn.email, r.email),
                 i.flags, i.recommendation, coalesce(idn.sponsor, r.sponsor), idn.kind,
                 e.credential_rotated_at IS NOT NULL
             FROM item i JOIN identity idn ON idn.id = i.identity
             JOIN entitlement e ON e.id = i.entitlement
             LEFT JOIN register_entry r ON r.id = i.register
             WHERE i.id = ?1",
        )?
        .query_row([item], |row| {
            Ok(ItemFacts {
                campaign: row.get(0)?,
                reviewer: row.get(1)?,
                identity_id: row.get(2)?,
                email: row.get(3)?,
                flags: FlagSet::from_bits(row.get::<_, i64>(4)? as u32),
                recommendation: row
                    .get::<_, String>(5)?
                    .parse()
                    .unwrap_or(Recommendation::ReviewWithCare),
                sponsor: row.get(6)?,
                credential: crate::domain::rotation::holds_credential(
                    row.get::<_, String>(7)?
                        .parse()
                        .unwrap_or(crate::domain::IdentityKind::Human),
                    row.get(8)?,
                ),
            })
        })
        .optional()?
        .filter(|f| f.campaign == deciding.id)
        .ok_or_else(|| StoreError::NoItem {
            campaign: deciding.name.clone(),
            item: item.0,
        })?;
    let part = signoff::part_of(facts.sponsor.as_deref(), &deciding.owner);
    signoff::part_accepts_decisions(
        &deciding.name,
        item.0,
        &part,
        deciding.signed_parts.get(&part).map(|s| signoff::Earlier {
            signer: &s.signer,
            seq: s.seq,
            at: &s.at,
        }),
    )?;

    let latest: Option<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT seq, actor, kind FROM event WHERE item = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([item], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    if let Some(seen) = request.seen_event {
        let now = latest.as_ref().map(|(seq, _, _)| EventSeq(*seq));
        if now != seen
            && let Some((seq, actor, kind)) = latest
        {
            return Err(StoreError::Conflict {
                item: item.0,
                actor,
                what: kind,
                seq,
            });
        }
    }

    let history = item_history(conn, item)?;
    let before = ItemState::replay(&facts.reviewer, &history);
    let proposal = decision::Proposal {
        decision: request.decision.as_ref(),
        note: request.note.as_deref(),
        actor: acting.actor,
        today: acting.today,
    };
    let verdict = decision::check(
        &deciding.facts(),
        &decision::ItemFacts {
            id: item.0,
            flags: facts.flags,
            recommendation: facts.recommendation,
            identity_id: &facts.identity_id,
            identity_email: facts.email.as_deref(),
            assignee: &before.assignee,
            undo_target: undo_target(&history),
            credential: facts.credential,
        },
        &proposal,
    )?;
    let capacity = authority::may_decide(
        &authority::DecideFacts {
            mode: deciding.mode,
            item: item.0,
            campaign: deciding.id.0,
            owner: &deciding.owner,
            assignee: &before.assignee,
            delegations: &deciding.delegations,
            today: acting.today,
        },
        acting.actor,
        request.overriding,
        proposal.note(),
    )?;
    if let Some(to) = &verdict.reassign_to {
        authority::known_target(to, deciding.known(conn)?)?;
    }
    let kind = verdict.kind;
    let note = proposal.note();
    let mut body = DecisionBody {
        assigned_to: before.assignee.clone(),
        recommendation: facts.recommendation.as_str().to_string(),
        against_recommendation: verdict.against_recommendation,
        self_review: verdict.self_review,
        bulk,
        seconds_on_screen: request.seconds_on_screen,
        undoes: verdict.undoes,
        to: verdict.reassign_to,
        from_file,
        ..DecisionBody::default()
    };
    if let Some(Decision::Exception { until, ticket }) = &request.decision {
        body.until = Some(*until);
        body.ticket = ticket.clone();
    }
    if let Some(Decision::Rotate { by }) = &request.decision {
        body.by = Some(*by);
    }
    body.set_capacity(capacity);
    let body_json = serde_json::to_string(&body)
        .map_err(|e| StoreError::Corrupt(format!("decision body: {e}")))?;
    let seq = chain.append(
        conn,
        &NewEvent {
            kind: kind.as_str(),
            campaign: Some(deciding.id),
            item: Some(item),
            actor: acting.actor,
            actor_via: &acting.via.to_string(),
            at: acting.at,
            note,
            body: body_json,
        },
    )?;
    let mut history = history;
    history.push(match &request.decision {
        Some(Decision::Reassign { .. }) => Recorded::decision(
            seq.0,
            Decision::Reassign {
                to: body.to.clone().unwrap_or_default(),
            },
        ),
        Some(decision) => Recorded::decision(seq.0, decision.clone()),
        None => Recorded::undo(seq.0),
    });
    let state = ItemState::replay(&facts.reviewer, &history);
    let until = match &state.decision {
        Some(Decision::Exception { until, .. }) => Some(until.to_string()),
        _ => None,
    };
    conn.prepare_cached(
        "INSERT INTO item_state (item, campaign, decision, decided_event, last_event, assignee,
             exception_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(item) DO UPDATE SET decision = excluded.decision,
             decided_event = excluded.decided_event, last_event = excluded.last_event,
             assignee = excluded.assignee, exception_until = excluded.exception_until",
    )?
    .execute(params![
        item,
        deciding.id,
        state.decision.as_ref().map(|d| d.kind().as_str()),
        state.decided_by_event,
        seq,
        state.assignee,
        until
    ])?;
    Ok(DecisionOutcome { item, seq, state })
}

/// Where verification found the chain broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub kind: String,
    pub fault: Fault,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    pub head: String,
    pub first_break: Option<ChainBreak>,
    /// Events dated before the event before them beyond the skew allowed,
    /// or not dated at all: the first ones, in sequence order.
    pub misdated: Vec<Misdated>,
    /// How many there were in all.
    pub misdated_count: u64,
}

/// An event whose time the chain's order contradicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misdated {
    pub seq: i64,
    pub kind: String,
    pub at: String,
    /// The event before it and its time, when its own time was read.
    pub previous: Option<(i64, String)>,
}

impl std::fmt::Display for Misdated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.previous {
            Some((seq, at)) => write!(
                f,
                "its time {} is before event {seq}'s {at}, which it follows in the log: \
                 it was back-dated or inserted",
                self.at
            ),
            None => write!(f, "its time {:?} is not a time recert writes", self.at),
        }
    }
}

impl Store {
    /// The hash of the latest event, which reports carry.
    pub fn chain_head(&self) -> Result<(u64, String)> {
        let head: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(head
            .map(|(seq, hash)| (seq as u64, hash))
            .unwrap_or((0, audit::GENESIS.to_string())))
    }
}
