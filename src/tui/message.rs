//! What flows between `update` and the outside world: messages in
//! (keys, and what effects found), effects out. Both `update` and the
//! effect runner speak these types and neither imports the other.

use super::app::Step;
use crate::domain::{CampaignState, Decision, DecisionKind, RemediationStatus};
use crate::rules::signoff::SignerRole;
use crate::store::{
    BulkOutcome, Closure, Dashboard, DecisionOutcome, DecisionRequest, EventSeq, Facet, ItemDetail,
    ItemId, ItemQuery, ItemRow, PageDirection, PersonRow, RemediationCounts, RemediationTask,
    RotationCounts, RotationTask, Selection, SelectionPreview, SignOff, SignoffSummary, Tally,
};
use ratatui::crossterm::event::{KeyEvent, MouseEvent};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// What a seek found: the rank of the item to select in the view
    /// `query`, if it is there.
    Found {
        query: ItemQuery,
        seek: Seek,
        rank: Option<i64>,
    },
    /// Where the person was when they last quit this campaign's console.
    PlaceLoaded(Option<String>),
    /// Text the terminal pasted in one piece (bracketed paste).
    Paste(String),
    /// The wheel or a click, where the config lets the console have the mouse.
    Mouse(MouseEvent),
    /// The acting person's draft note on an item, if one is kept.
    DraftLoaded {
        item: ItemId,
        note: Option<String>,
    },
    /// Whether the acting reviewer has anything in the campaign.
    Assigned(bool),
    Resize(u16, u16),
    PageLoaded {
        rows: Vec<ItemRow>,
        anchor: Option<i64>,
        direction: PageDirection,
        inclusive: bool,
        select: Select,
    },
    /// How many tenants the campaign spans.
    TenantsCounted(u64),
    /// How many items of the view `query` come before the rank `rank`.
    Located {
        query: ItemQuery,
        rank: i64,
        before: u64,
    },
    /// The view `query` grouped by identity.
    PeopleLoaded {
        query: ItemQuery,
        people: Vec<PersonRow>,
    },
    /// An item's detail, with its remediation task when it is revoked.
    DetailLoaded(Option<Box<ItemDetail>>, Option<Box<RemediationTask>>),
    TallyLoaded(Tally),
    Decided {
        kind: DecisionKind,
        outcomes: Vec<DecisionOutcome>,
        tally: Tally,
    },
    Failed(String),
    /// Idle maintenance is done; nothing to show.
    Maintained,
    /// Someone recorded an event on the item since it was drawn.
    Conflict {
        item: ItemId,
        seq: EventSeq,
        message: String,
    },
    ChainHead(EventSeq),
    MarkedRows {
        ids: Vec<ItemId>,
        marked: Vec<ItemId>,
    },
    MarkedAll {
        query: ItemQuery,
        rematched: Vec<ItemId>,
    },
    Previewed {
        kind: DecisionKind,
        preview: SelectionPreview,
    },
    BulkDecided {
        kind: DecisionKind,
        outcome: BulkOutcome,
        tally: Tally,
    },
    Counted {
        query: ItemQuery,
        count: u64,
    },
    MarksCounted {
        selection: Selection,
        count: u64,
    },
    FacetsLoaded(Vec<Facet>),
    DashboardLoaded(Box<Dashboard>),
    StateLoaded {
        state: CampaignState,
        /// The step to open a screen for, now that the state is known.
        then: Option<Step>,
    },
    /// A decision was refused: the campaign was signed off or closed
    /// (in another terminal) since the console last looked.
    NoLongerOpen {
        state: CampaignState,
        message: String,
    },
    LifecycleLoaded {
        role: Option<SignerRole>,
        summary: Box<SignoffSummary>,
    },
    /// The sign-off is committed.
    SignedOff {
        signoff: Box<SignOff>,
        state: CampaignState,
    },
    /// A sponsor's sign-off of their part is committed.
    PartSigned(Box<crate::store::Part>),
    /// The close is committed.
    Closed {
        closure: Box<Closure>,
        tally: Tally,
        state: CampaignState,
    },
    /// The store refused a sign-off or a close, saying why.
    LifecycleRefused(String),
    RemediationCounted(RemediationCounts),
    /// The campaign's rotation tasks as of a day: the counts and the first
    /// `ROTATIONS_LISTED` in risk order.
    RotationsLoaded {
        counts: RotationCounts,
        rows: Vec<RotationTask>,
    },
    RemediationPage {
        status: Option<RemediationStatus>,
        after: Option<i64>,
        rows: Vec<RemediationTask>,
        limit: usize,
        pick: Pick,
    },
}

/// Which row to select once a page has loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    First,
    Last,
    /// The same position on the new page (page up/down).
    Index(usize),
    AtOrAfter(i64),
    After(i64),
    Before(i64),
}

impl Select {
    pub fn resolve(self, rows: &[ItemRow]) -> usize {
        let last = rows.len().saturating_sub(1);
        match self {
            Select::First => 0,
            Select::Last => last,
            Select::Index(i) => i.min(last),
            Select::AtOrAfter(rank) => rows.iter().position(|r| r.rank >= rank).unwrap_or(last),
            Select::After(rank) => rows.iter().position(|r| r.rank > rank).unwrap_or(last),
            Select::Before(rank) => rows.iter().rposition(|r| r.rank < rank).unwrap_or(0),
        }
    }
}

/// What the console looks for in the view before moving there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seek {
    /// The nearest undecided item past the selected one.
    Undecided(PageDirection),
    /// An item by its id; `keep` when it is the selected item being kept
    /// across a change of view (then, not in view, the view starts at its
    /// top without a word).
    Item {
        item: ItemId,
        keep: bool,
        in_campaign: bool,
    },
}

/// Which remediation task to select once a page has loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    First,
    Last,
    /// The same position on the new page.
    Index(usize),
}

impl Pick {
    pub fn resolve(self, len: usize) -> usize {
        let last = len.saturating_sub(1);
        match self {
            Pick::First => 0,
            Pick::Last => last,
            Pick::Index(i) => i.min(last),
        }
    }
}

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
    /// The nearest item of `undecided` (the view's undecided items) past
    /// the rank `from`; `view` is the view it is shown in.
    FindUndecided {
        view: ItemQuery,
        undecided: ItemQuery,
        from: i64,
        direction: PageDirection,
    },
    /// Whether `item` is in the view `query`, and its rank.
    FindItem {
        query: ItemQuery,
        item: ItemId,
        keep: bool,
    },
    /// Where the person was when they last quit (see `Msg::PlaceLoaded`).
    LoadPlace,
    /// Keeps where the person is, for when they reopen the campaign.
    SavePlace(String),
    LoadDetail(ItemId),
    LoadDraft(ItemId),
    /// Keeps a note being written on an item for later (empty: none).
    SaveDraft {
        item: ItemId,
        note: String,
    },
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
        /// The owner's final sign-off, with the number of sponsors' parts
        /// nobody signed it acknowledges; `None` signs the sponsor's part.
        whole: Option<u64>,
    },
    CloseCampaign {
        note: Option<String>,
    },
    /// Any effect, run after the frame is drawn: a search typed key by
    /// key costs one query when the typing pauses, not one per key.
    Later(Box<Effect>),
    // The ones below scan the campaign: they are read after the frame is
    // drawn, on the background reader when there is one (see `is_deferred`).
    CountMatches(ItemQuery),
    CountMarked(Selection),
    LoadFacets,
    LoadDashboard,
    /// The store's upkeep after writes, done while the reviewer reads
    /// rather than inside a decision's commit.
    IdleMaintenance,
    /// What a sign-off attests (or a close would do) and whether the
    /// acting person may do it.
    LoadLifecycle,
    LoadRemediationCounts,
    CountTenants,
    /// Where the page starting at `rank` sits in the view `query`.
    Locate {
        query: ItemQuery,
        rank: i64,
    },
    LoadPeople(ItemQuery),
    /// The rotation tasks and where each stands on `today`.
    LoadRotations {
        today: chrono::NaiveDate,
    },
}

/// How many rotation tasks the remediation view lists; rotations are
/// decided one credential at a time, so a campaign has few.
pub const ROTATIONS_LISTED: usize = 500;

impl Effect {
    /// Effects that may take a while on a large campaign: the console draws
    /// first, then hands the reads to its background reader (or, without
    /// one, runs them while no key waits). A newer one of the same kind
    /// replaces one still waiting or under way.
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
                | Effect::LoadRotations { .. }
                | Effect::IdleMaintenance
                | Effect::CountTenants
                | Effect::Locate { .. }
                | Effect::LoadPeople(_)
        )
    }

    /// Effects that only read, which any connection to the database can
    /// run: the background reader's as well as the console's own.
    pub fn only_reads(&self) -> bool {
        matches!(
            self,
            Effect::LoadPage { .. }
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
                | Effect::LoadRotations { .. }
        )
    }

    /// Effects that write to the database, after which idle maintenance waits.
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
