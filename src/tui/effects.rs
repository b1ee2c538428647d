//! Effects: what `update` asks the outside world to do, and the runner
//! that does it against the store and turns the results into messages.
//! This is the only part of the console that performs I/O.

use super::update::{Msg, Select};
use crate::store::{
    Acting, CampaignId, DecisionRequest, EventSeq, ItemId, ItemQuery, PageDirection, Store,
    StoreError,
};
use chrono::NaiveDate;
use std::time::Instant;

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    LoadPage {
        anchor: Option<i64>,
        direction: PageDirection,
        inclusive: bool,
        select: Select,
    },
    LoadDetail(ItemId),
    Decide(DecisionRequest),
}

/// Runs effects for one console session.
pub struct Runner<'a> {
    pub store: &'a mut Store,
    pub campaign: CampaignId,
    pub actor: String,
    pub today: NaiveDate,
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
        Runner {
            store,
            campaign,
            actor,
            today,
            shown: None,
        }
    }

    pub fn run(&mut self, effect: Effect, query: &ItemQuery, page_size: usize) -> Msg {
        match effect {
            Effect::LoadPage {
                anchor,
                direction,
                inclusive,
                select,
            } => match self
                .store
                .page(query, anchor, direction, inclusive, page_size)
            {
                Ok(rows) => Msg::PageLoaded {
                    rows,
                    anchor,
                    direction,
                    select,
                },
                Err(e) => Msg::Failed(e.to_string()),
            },
            Effect::LoadDetail(item) => {
                if self.shown.is_none_or(|(shown, _)| shown != item) {
                    self.shown = Some((item, Instant::now()));
                }
                match self.store.item_detail(self.campaign, item) {
                    Ok(detail) => Msg::DetailLoaded(detail.map(Box::new)),
                    Err(e) => Msg::Failed(e.to_string()),
                }
            }
            Effect::Decide(mut request) => {
                request.seconds_on_screen = self
                    .shown
                    .filter(|(item, _)| *item == request.item)
                    .map(|(_, since)| (since.elapsed().as_secs_f64() * 10.0).round() / 10.0);
                let at = crate::clock::stamp(crate::clock::now());
                let acting = Acting {
                    actor: &self.actor,
                    at: &at,
                    today: self.today,
                };
                let result = self
                    .store
                    .decide(self.campaign, &acting, std::slice::from_ref(&request))
                    .and_then(|outcomes| Ok((outcomes, self.store.tally(self.campaign)?)));
                match result {
                    Ok((outcomes, tally)) => Msg::Decided { outcomes, tally },
                    Err(StoreError::Conflict {
                        item,
                        actor,
                        what,
                        seq,
                    }) => Msg::Conflict {
                        item: ItemId(item),
                        seq: EventSeq(seq),
                        message: format!("item {item}: {actor} recorded {what} meanwhile"),
                    },
                    Err(e) => Msg::Failed(e.to_string()),
                }
            }
        }
    }
}
