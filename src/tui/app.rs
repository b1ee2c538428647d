//! The console's state: what is on screen and what the reviewer is doing.
//! Only `update` changes it; views only read it.

use crate::domain::{DecisionKind, Policy};
use crate::store::{CampaignSummary, EventSeq, ItemDetail, ItemId, ItemQuery, ItemRow, Tally};
use chrono::NaiveDate;
use ratatui_textarea::TextArea;

/// The campaign being reviewed, as the header and status bar show it.
#[derive(Clone, Debug)]
pub struct CampaignView {
    pub name: String,
    pub due: NaiveDate,
    pub state: crate::domain::CampaignState,
}

/// The visible page of the queue: never more rows than fit on screen.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    pub rows: Vec<ItemRow>,
    pub selected: usize,
}

impl Queue {
    pub fn current(&self) -> Option<&ItemRow> {
        self.rows.get(self.selected)
    }
}

/// A decision waiting for its note.
pub struct NoteEditor {
    pub kind: DecisionKind,
    pub item: ItemId,
    pub subject: String,
    pub seen_event: Option<EventSeq>,
    pub required: Option<&'static str>,
    pub textarea: TextArea<'static>,
}

pub enum Mode {
    Browse,
    Note(Box<NoteEditor>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Info(String),
    Error(String),
}

pub struct App {
    pub campaign: CampaignView,
    pub tally: Tally,
    pub reviewer: String,
    pub today: NaiveDate,
    pub policy: Policy,
    pub query: ItemQuery,
    pub queue: Queue,
    pub detail: Option<ItemDetail>,
    pub mode: Mode,
    pub status: Option<Status>,
    /// Terminal size in cells, which decides how many rows a page holds.
    pub size: (u16, u16),
    pub color: bool,
    pub quit: bool,
}

impl App {
    pub fn new(
        campaign: &CampaignSummary,
        reviewer: String,
        today: NaiveDate,
        size: (u16, u16),
        color: bool,
    ) -> App {
        App {
            campaign: CampaignView {
                name: campaign.name.clone(),
                due: campaign.due,
                state: campaign.state,
            },
            tally: campaign.tally,
            reviewer,
            today,
            policy: campaign.policy.clone(),
            query: ItemQuery {
                campaign: campaign.id,
                ..ItemQuery::default()
            },
            queue: Queue::default(),
            detail: None,
            mode: Mode::Browse,
            status: None,
            size,
            color,
            quit: false,
        }
    }

    /// How many queue rows fit on screen now.
    pub fn page_size(&self) -> usize {
        super::view::queue_capacity(self.size.0, self.size.1).max(1)
    }
}
