//! Effects: what `update` asks the outside world to do, and the runner
//! that does it against the store and turns the results into messages.
//! This is the only part of the console that performs I/O.

use super::app::Step;
use super::update::{Msg, Pick, Select};
use crate::domain::roster::Established;
use crate::domain::{Decision, DecisionKind, RemediationStatus};
use crate::rules::Refusal;
use crate::store::{
    Acting, CampaignId, DecisionRequest, EventSeq, ItemId, ItemQuery, PageDirection, Selection,
    Store, StoreError,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::time::Instant;

/// How many of the riskiest undecided items the dashboard lists.
pub const DASHBOARD_RISKIEST: usize = 8;

/// How many of the riskiest exceptions, revocations and undecided items
/// the sign-off screen lists (with how many more there are).
pub const SIGNOFF_LISTED: usize = 8;

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Whether the acting reviewer has anything in the campaign, which
    /// decides the view the console opens on.
    CheckAssigned,
    LoadPage {
        anchor: Option<i64>,
        direction: PageDirection,
        inclusive: bool,
        select: Select,
    },
    LoadDetail(ItemId),
    LoadTally,
    Decide(DecisionRequest),
    /// The audit log's head, which marks are taken against.
    ChainHead,
    /// Which of the rows on screen are marked.
    LoadMarkedRows {
        selection: Selection,
        ids: Vec<ItemId>,
    },
    /// Marks everything `query` matches, bringing back those of `removed`
    /// that it matches.
    MarkAll {
        query: ItemQuery,
        removed: Vec<ItemId>,
    },
    PreviewMarked {
        selection: Selection,
        kind: DecisionKind,
    },
    DecideMarked {
        selection: Selection,
        decision: Option<Decision>,
        note: Option<String>,
    },
    /// Where the campaign stands: open, signed off or closed; then, when
    /// asked, the screen of the step the reviewer wants to take from there.
    LoadCampaignState {
        then: Option<Step>,
    },
    /// One page of remediation tasks after the risk rank `after`: up to
    /// `limit`, and one more to know whether another page follows.
    LoadRemediation {
        status: Option<RemediationStatus>,
        after: Option<i64>,
        limit: usize,
        pick: Pick,
    },
    SignOff {
        note: String,
        /// The number of undecided items the signer acknowledged.
        accept: Option<u64>,
    },
    CloseCampaign {
        note: Option<String>,
    },
    /// Any effect, run after the frame is drawn: a search typed key by
    /// key costs one query when the typing pauses, not one per key.
    Later(Box<Effect>),
    // The ones below scan the campaign; they run after the frame is drawn
    // and only while no key is waiting (see `is_deferred`).
    CountMatches(ItemQuery),
    CountMarked(Selection),
    LoadFacets,
    LoadDashboard,
    /// Copies the write-ahead log into the database file, while the
    /// reviewer reads rather than inside a decision's commit.
    Checkpoint,
    /// What a sign-off attests (or a close would do) and whether the
    /// acting person may do it.
    LoadLifecycle,
    LoadRemediationCounts,
}

impl Effect {
    /// Effects that may take a while on a large campaign: the console draws
    /// first and runs these when the reviewer is not typing. A newer one of
    /// the same kind replaces one still waiting.
    pub fn is_deferred(&self) -> bool {
        matches!(
            self,
            Effect::Later(_)
                | Effect::CountMatches(_)
                | Effect::CountMarked(_)
                | Effect::LoadFacets
                | Effect::LoadDashboard
                | Effect::LoadLifecycle
                | Effect::LoadRemediationCounts
                | Effect::Checkpoint
        )
    }

    /// Effects that write to the database, after which a checkpoint waits.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Effect::Decide(_)
                | Effect::DecideMarked { .. }
                | Effect::SignOff { .. }
                | Effect::CloseCampaign { .. }
        )
    }

    /// What a newer deferred effect replaces: one of the same kind.
    pub fn kind(&self) -> std::mem::Discriminant<Effect> {
        match self {
            Effect::Later(inner) => inner.kind(),
            other => std::mem::discriminant(other),
        }
    }
}

/// Runs effects for one console session.
pub struct Runner<'a> {
    pub store: &'a mut Store,
    pub campaign: CampaignId,
    pub actor: String,
    /// How the actor was established, recorded with every event.
    pub via: Established,
    pub today: NaiveDate,
    /// When decisions happen; the real clock, or a fixed one in tests.
    clock: fn() -> DateTime<Utc>,
    /// When the item now on screen was first shown, for "seconds on screen".
    shown: Option<(ItemId, Instant)>,
}

impl<'a> Runner<'a> {
    pub fn new(
        store: &'a mut Store,
        campaign: CampaignId,
        actor: String,
        today: NaiveDate,
    ) -> Self {
        // Checkpoints run as Effect::Checkpoint after writes; if SQLite
        // refused this, it would checkpoint inside commits as usual.
        let _ = store.defer_checkpoints();
        Runner {
            store,
            campaign,
            actor,
            via: Established::Asserted,
            today,
            clock: crate::clock::now,
            shown: None,
        }
    }

    /// The same runner recording how its actor was established.
    pub fn with_via(mut self, via: Established) -> Self {
        self.via = via;
        self
    }

    /// The same runner with another clock, for reproducible tests.
    pub fn with_clock(mut self, clock: fn() -> DateTime<Utc>) -> Self {
        self.clock = clock;
        self
    }

    pub fn run(&mut self, effect: Effect, query: &ItemQuery, page_size: usize) -> Msg {
        let at = crate::clock::stamp((self.clock)());
        let acting = Acting {
            actor: &self.actor,
            via: &self.via,
            at: &at,
            today: self.today,
        };
        let store = &mut *self.store;
        let result: Result<Msg, StoreError> = match effect {
            Effect::Later(inner) => return self.run(*inner, query, page_size),
            Effect::CheckAssigned => store
                .assigned_anything(self.campaign, &self.actor)
                .map(Msg::Assigned),
            Effect::LoadPage {
                anchor,
                direction,
                inclusive,
                select,
            } => store
                .page(query, anchor, direction, inclusive, page_size)
                .map(|rows| Msg::PageLoaded {
                    rows,
                    anchor,
                    direction,
                    select,
                }),
            Effect::LoadDetail(item) => {
                if self.shown.is_none_or(|(shown, _)| shown != item) {
                    self.shown = Some((item, Instant::now()));
                }
                let revoked =
                    |d: &crate::store::ItemDetail| d.row.decision == Some(DecisionKind::Revoke);
                store.item_detail(self.campaign, item).and_then(|detail| {
                    let task = match &detail {
                        Some(d) if revoked(d) => store.remediation_task(self.campaign, item)?,
                        _ => None,
                    };
                    Ok(Msg::DetailLoaded(detail.map(Box::new), task.map(Box::new)))
                })
            }
            Effect::LoadTally => store.tally(self.campaign).map(Msg::TallyLoaded),
            Effect::Decide(mut request) => {
                let kind = request
                    .decision
                    .as_ref()
                    .map_or(DecisionKind::Undo, Decision::kind);
                request.seconds_on_screen = self
                    .shown
                    .filter(|(item, _)| *item == request.item)
                    .map(|(_, since)| (since.elapsed().as_secs_f64() * 10.0).round() / 10.0);
                match store
                    .decide(self.campaign, &acting, std::slice::from_ref(&request))
                    .and_then(|outcomes| Ok((outcomes, store.tally(self.campaign)?)))
                {
                    Ok((outcomes, tally)) => Ok(Msg::Decided {
                        kind,
                        outcomes,
                        tally,
                    }),
                    Err(StoreError::Conflict {
                        item,
                        actor,
                        what,
                        seq,
                    }) => Ok(Msg::Conflict {
                        item: ItemId(item),
                        seq: EventSeq(seq),
                        message: format!("item {item}: {actor} recorded {what} meanwhile"),
                    }),
                    Err(e) => self.refused(e),
                }
            }
            Effect::ChainHead => store
                .chain_head()
                .map(|(seq, _)| Msg::ChainHead(EventSeq(seq as i64))),
            Effect::LoadMarkedRows { selection, ids } => store
                .selected_among(&selection, &ids)
                .map(|marked| Msg::MarkedRows { ids, marked }),
            Effect::MarkAll { query, removed } => store
                .matching_among(&query, &removed)
                .map(|rematched| Msg::MarkedAll { query, rematched }),
            Effect::PreviewMarked { selection, kind } => {
                match store.preview_selected(&selection, kind, None) {
                    Ok(preview) => Ok(Msg::Previewed { kind, preview }),
                    Err(e) => self.refused(e),
                }
            }
            Effect::DecideMarked {
                selection,
                decision,
                note,
            } => {
                let kind = decision.as_ref().map_or(DecisionKind::Undo, Decision::kind);
                match store
                    .decide_selected(&acting, &selection, decision.as_ref(), note.as_deref())
                    .and_then(|outcome| Ok((outcome, store.tally(self.campaign)?)))
                {
                    Ok((outcome, tally)) => Ok(Msg::BulkDecided {
                        kind,
                        outcome,
                        tally,
                    }),
                    Err(e) => self.refused(e),
                }
            }
            Effect::LoadCampaignState { then } => store
                .campaign_state(self.campaign)
                .map(|state| Msg::StateLoaded { state, then }),
            Effect::LoadRemediation {
                status,
                after,
                limit,
                pick,
            } => store
                .remediation_page(self.campaign, status, after, limit + 1)
                .map(|rows| Msg::RemediationPage {
                    status,
                    after,
                    rows,
                    limit,
                    pick,
                }),
            Effect::SignOff { note, accept } => {
                match store.sign_off(self.campaign, &acting, &note, accept) {
                    Ok(signoff) => {
                        store
                            .campaign_state(self.campaign)
                            .map(|state| Msg::SignedOff {
                                signoff: Box::new(signoff),
                                state,
                            })
                    }
                    Err(e) => Ok(Msg::LifecycleRefused(e.to_string())),
                }
            }
            Effect::CloseCampaign { note } => {
                match store.close_campaign(self.campaign, &acting, note.as_deref()) {
                    Ok(closure) => store.tally(self.campaign).and_then(|tally| {
                        Ok(Msg::Closed {
                            closure: Box::new(closure),
                            tally,
                            state: store.campaign_state(self.campaign)?,
                        })
                    }),
                    Err(e) => Ok(Msg::LifecycleRefused(e.to_string())),
                }
            }
            Effect::LoadLifecycle => {
                store
                    .signer_role(self.campaign, &self.actor)
                    .and_then(|role| {
                        Ok(Msg::LifecycleLoaded {
                            role,
                            summary: Box::new(
                                store.signoff_summary(self.campaign, SIGNOFF_LISTED)?,
                            ),
                        })
                    })
            }
            Effect::Checkpoint => store.checkpoint().map(|()| Msg::Checkpointed),
            Effect::LoadRemediationCounts => store
                .remediation_counts(self.campaign)
                .map(Msg::RemediationCounted),
            Effect::CountMatches(query) => store
                .count_items(&query)
                .map(|count| Msg::Counted { query, count }),
            Effect::CountMarked(selection) => store
                .count_selected(&selection)
                .map(|count| Msg::MarksCounted { selection, count }),
            Effect::LoadFacets => store.facets(self.campaign).map(Msg::FacetsLoaded),
            Effect::LoadDashboard => store
                .dashboard(self.campaign, DASHBOARD_RISKIEST)
                .map(|d| Msg::DashboardLoaded(Box::new(d))),
        };
        result.unwrap_or_else(|e| Msg::Failed(e.to_string()))
    }

    /// A decision the store refused: when the campaign was signed off or
    /// closed meanwhile (in another terminal), the console learns its new
    /// state along with the reason.
    fn refused(&self, error: StoreError) -> Result<Msg, StoreError> {
        match error {
            StoreError::Refused(Refusal::WrongState(_)) => Ok(Msg::NoLongerOpen {
                state: self.store.campaign_state(self.campaign)?,
                message: error.to_string(),
            }),
            other => Err(other),
        }
    }
}
