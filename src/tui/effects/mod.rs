//! Effects (see `message::Effect`) done: the runner does them against the
//! store on the console's own connection and turns the results into
//! messages; `worker` does the slow reads on a connection of its own. This
//! is the only part of the console that performs I/O.

use super::message::{Effect, Msg, Seek};
use crate::domain::roster::Established;
use crate::domain::{Decision, DecisionKind};
use crate::rules::Refusal;
use crate::store::{Acting, CampaignId, EventSeq, ItemId, ItemQuery, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use std::time::Instant;

mod worker;

pub use worker::{Answer, Gone, Job, Kind, Worker};

/// How many of the riskiest undecided items the dashboard lists.
pub const DASHBOARD_RISKIEST: usize = 8;

/// How many of the riskiest exceptions, revocations and undecided items
/// the sign-off screen lists (with how many more there are).
pub const SIGNOFF_LISTED: usize = 8;

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
        // Maintenance runs as Effect::IdleMaintenance after writes; if the
        // store refused this, it would do its upkeep inside commits as usual.
        let _ = store.maintain_when_idle();
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
            reading @ (Effect::LoadPage { .. }
            | Effect::FindUndecided { .. }
            | Effect::FindItem { .. }
            | Effect::CountMatches(_)
            | Effect::CountMarked(_)
            | Effect::LoadFacets
            | Effect::LoadDashboard
            | Effect::LoadLifecycle
            | Effect::LoadRemediationCounts
            | Effect::CountTenants
            | Effect::Locate { .. }
            | Effect::LoadPeople(_)
            | Effect::LoadRotations { .. }) => {
                return read(store, self.campaign, &self.actor, reading, query, page_size);
            }
            Effect::CheckAssigned => store
                .assigned_anything(self.campaign, &self.actor)
                .map(Msg::Assigned),
            Effect::LoadDetail(item) => {
                if self.shown.is_none_or(|(shown, _)| shown != item) {
                    self.shown = Some((item, Instant::now()));
                }
                // An item flagged revocation_not_done carries an earlier
                // campaign's revoke: its remediation is shown too.
                let revoked = |d: &crate::store::ItemDetail| {
                    d.row.decision == Some(DecisionKind::Revoke)
                        || d.row.flags.contains(crate::domain::Flag::RevocationNotDone)
                };
                store.item_detail(self.campaign, item).and_then(|detail| {
                    let task = match &detail {
                        Some(d) if revoked(d) => store.remediation_task(self.campaign, item)?,
                        _ => None,
                    };
                    Ok(Msg::DetailLoaded(detail.map(Box::new), task.map(Box::new)))
                })
            }
            Effect::LoadTally => store.tally(self.campaign).map(Msg::TallyLoaded),
            Effect::LoadPlace => store
                .place(self.campaign, &self.actor)
                .map(Msg::PlaceLoaded),
            Effect::SavePlace(text) => store
                .save_place(self.campaign, &self.actor, &text)
                .map(|()| Msg::Maintained),
            Effect::LoadDraft(item) => store
                .draft(self.campaign, &self.actor, item)
                .map(|note| Msg::DraftLoaded { item, note }),
            Effect::SaveDraft { item, note } => store
                .save_draft(self.campaign, &self.actor, item, &note)
                .map(|()| Msg::Maintained),
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
            Effect::SignOff {
                note,
                accept,
                whole: None,
            } => match store.sign_part(self.campaign, &acting, &note, accept) {
                Ok(part) => Ok(Msg::PartSigned(Box::new(part))),
                Err(e) => Ok(Msg::LifecycleRefused(e.to_string())),
            },
            Effect::SignOff {
                note,
                accept,
                whole: Some(unsigned),
            } => match store.sign_off(self.campaign, &acting, &note, Some(unsigned), accept) {
                Ok(signoff) => store
                    .campaign_state(self.campaign)
                    .map(|state| Msg::SignedOff {
                        signoff: Box::new(signoff),
                        state,
                    }),
                Err(e) => Ok(Msg::LifecycleRefused(e.to_string())),
            },
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
            Effect::IdleMaintenance => store.idle_maintenance().map(|()| Msg::Maintained),
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

/// Runs an effect that only reads (see [`Effect::only_reads`]) on any
/// connection to the database: the runner's own, or the background
/// reader's. `query` and `page_size` are the view's when it was asked for.
pub fn read(
    store: &Store,
    campaign: CampaignId,
    actor: &str,
    effect: Effect,
    query: &ItemQuery,
    page_size: usize,
) -> Msg {
    let result = match effect {
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
                inclusive,
                select,
            }),
        Effect::CountTenants => store.campaign_tenants(campaign).map(Msg::TenantsCounted),
        Effect::Locate { query, rank } => {
            store.count_before(&query, rank).map(|before| Msg::Located {
                query,
                rank,
                before,
            })
        }
        Effect::LoadPeople(query) => store
            .people_in_view(&query)
            .map(|people| Msg::PeopleLoaded { query, people }),
        Effect::FindUndecided {
            view,
            undecided,
            from,
            direction,
        } => store
            .page(&undecided, Some(from), direction, false, 1)
            .map(|rows| Msg::Found {
                query: view,
                seek: Seek::Undecided(direction),
                rank: rows.first().map(|r| r.rank),
            }),
        Effect::FindItem { query, item, keep } => store.item_row(campaign, item).and_then(|row| {
            let shown = match &row {
                Some(_) => !store.matching_among(&query, &[item])?.is_empty(),
                None => false,
            };
            Ok(Msg::Found {
                query,
                seek: Seek::Item {
                    item,
                    keep,
                    in_campaign: row.is_some(),
                },
                rank: row.filter(|_| shown).map(|r| r.rank),
            })
        }),
        Effect::CountMatches(query) => store
            .count_items(&query)
            .map(|count| Msg::Counted { query, count }),
        Effect::CountMarked(selection) => store
            .count_selected(&selection)
            .map(|count| Msg::MarksCounted { selection, count }),
        Effect::LoadFacets => store.facets(campaign).map(Msg::FacetsLoaded),
        Effect::LoadDashboard => store
            .dashboard(campaign, DASHBOARD_RISKIEST)
            .map(|d| Msg::DashboardLoaded(Box::new(d))),
        Effect::LoadLifecycle => store.signer_role(campaign, actor).and_then(|role| {
            Ok(Msg::LifecycleLoaded {
                role,
                summary: Box::new(store.signoff_summary(campaign, SIGNOFF_LISTED)?),
            })
        }),
        Effect::LoadRemediationCounts => store
            .remediation_counts(campaign)
            .map(Msg::RemediationCounted),
        Effect::LoadRotations { today } => {
            store.rotation_counts(campaign, today).and_then(|counts| {
                Ok(Msg::RotationsLoaded {
                    counts,
                    rows: store.rotation_page(
                        campaign,
                        None,
                        today,
                        None,
                        crate::tui::message::ROTATIONS_LISTED,
                    )?,
                })
            })
        }
        // Callers ask only for reads; anything else is refused, not run.
        other => Ok(Msg::Failed(format!("{other:?} is not a read"))),
    };
    result.unwrap_or_else(|e| Msg::Failed(e.to_string()))
}
