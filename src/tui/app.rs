//! The console's state: what is on screen and what the reviewer is doing.
//! Only `update` changes it; views only read it.

use crate::domain::people::person_key;
use crate::domain::roster::Established;
use crate::domain::{CampaignState, DecisionKind, Field, Filter, Policy, RemediationStatus};
use crate::rules::signoff::SignerRole;
use crate::store::{
    CampaignSummary, Dashboard, EventSeq, Facet, ItemDetail, ItemId, ItemQuery, ItemRow,
    RemediationCounts, RemediationTask, RotationCounts, RotationTask, Selection, SignoffSummary,
    Tally,
};
use chrono::{Months, NaiveDate};
use ratatui_textarea::TextArea;
use std::collections::{BTreeMap, BTreeSet};

/// The campaign being reviewed, as the header and dashboard show it.
#[derive(Clone, Debug)]
pub struct CampaignView {
    pub name: String,
    pub due: NaiveDate,
    /// The day the campaign's data describes, which flags count from.
    pub as_of: NaiveDate,
    pub state: CampaignState,
    pub owner: String,
    /// The previous campaign of the same scope, which items compare with.
    pub previous: Option<String>,
}

/// The visible page of the queue: never more rows than fit on screen.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    pub rows: Vec<ItemRow>,
    pub selected: usize,
    /// Which rows of this page are marked.
    pub marked: BTreeSet<ItemId>,
    /// The place of the first row in the view, counting from 0, once known.
    pub offset: Option<u64>,
}

impl Queue {
    pub fn current(&self) -> Option<&ItemRow> {
        self.rows.get(self.selected)
    }
}

/// What the queue shows: whose items, which filters, which search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Only the items waiting for the acting reviewer.
    pub mine: bool,
    pub filters: Vec<Filter>,
    pub search: String,
}

impl View {
    pub fn is_narrowed(&self) -> bool {
        !self.filters.is_empty() || !self.search.trim().is_empty()
    }
}

/// Where a person was in a campaign, kept when they quit and resumed when
/// they reopen it: the view and the selected item.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    pub mine: bool,
    pub filters: Vec<Filter>,
    pub search: String,
    pub item: Option<i64>,
}

impl Place {
    pub fn of(app: &App) -> Place {
        Place {
            mine: app.view.mine,
            filters: app.view.filters.clone(),
            search: app.view.search.clone(),
            item: app.queue.current().map(|r| r.id.0),
        }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A kept place, or `None` when the text is not one (an older or
    /// damaged memo is no reason to refuse to open).
    pub fn parse(text: &str) -> Option<Place> {
        serde_json::from_str(text).ok()
    }
}

/// The person view: the items of a view grouped by identity, each person
/// a row with their grants counted; Enter shows one person's grants in the
/// queue. Grouping reads the whole view, so it is done once per view (and
/// after decisions), on the background reader, never per frame.
#[derive(Clone, Debug)]
pub struct People {
    /// The view that is grouped, which leaving the person view returns to.
    pub base: View,
    /// Its query, which `rows` answers.
    pub query: ItemQuery,
    /// `None` while being grouped.
    pub rows: Option<Vec<crate::store::PersonRow>>,
    pub selected: usize,
    /// The person whose grants the queue shows, when one is open.
    pub open: Option<crate::store::PersonRow>,
    /// The marks are one person's grants, set by a decision key here, and
    /// go when the person view is left.
    pub marked_person: bool,
    /// A decision on a person's grants waits for the log's head to mark
    /// them against.
    pub pending: Option<DecisionKind>,
}

impl People {
    pub fn current(&self) -> Option<&crate::store::PersonRow> {
        self.rows.as_ref()?.get(self.selected)
    }

    /// Whether the list of people (rather than one person's grants) is shown.
    pub fn listing(&self) -> bool {
        self.open.is_none()
    }
}

/// The filters that narrow a view to one person's grants.
pub fn person_filters(person: &crate::store::PersonRow) -> [Filter; 2] {
    [
        Filter::new(Field::Tenant, vec![person.tenant.clone()]),
        Filter::new(Field::IdentityId, vec![person.identity_id.clone()]),
    ]
}

/// The view of one person's grants within `base`.
pub fn person_view(base: &View, person: &crate::store::PersonRow) -> View {
    let mut filters = base.filters.clone();
    filters.extend(person_filters(person));
    View {
        filters,
        ..base.clone()
    }
}

/// Items marked for a bulk decision, kept as a selection (queries plus
/// single items) so that marking a million costs nothing per item.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    pub queries: Vec<ItemQuery>,
    pub added: BTreeSet<ItemId>,
    pub removed: BTreeSet<ItemId>,
    pub marked_at: EventSeq,
    /// How many are marked; `None` while being counted.
    pub count: Option<u64>,
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty() && self.added.is_empty()
    }

    pub fn selection(&self, campaign: crate::store::CampaignId) -> Selection {
        Selection {
            campaign,
            queries: self.queries.clone(),
            added: self.added.iter().copied().collect(),
            removed: self.removed.iter().copied().collect(),
            marked_at: self.marked_at,
        }
    }
}

/// The fields a decision dialog can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Until,
    Ticket,
    To,
    /// A rotate's last day.
    By,
    /// The number of undecided items a sign-off acknowledges.
    Accept,
    /// The number of sponsors' parts nobody signed that the owner's final
    /// sign-off acknowledges.
    Unsigned,
    Note,
}

impl Input {
    pub fn label(self) -> &'static str {
        match self {
            Input::Until => "Until",
            Input::Ticket => "Ticket",
            Input::To => "To",
            Input::By => "By",
            Input::Accept => "Undecided",
            Input::Unsigned => "Unsigned",
            Input::Note => "Note",
        }
    }

    pub fn is_single_line(self) -> bool {
        self != Input::Note
    }
}

/// What a decision being edited applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Item {
        id: ItemId,
        /// The item's latest event when the dialog opened (or when a
        /// conflict was shown), so a change meanwhile is noticed.
        seen_event: Option<EventSeq>,
        label: String,
    },
    Marked {
        count: u64,
        /// Marked items the decision will not touch (changed since they
        /// were marked, nothing to undo, already with that reviewer).
        left_alone: u64,
    },
}

/// A decision waiting for its note (and, for an exception or a reassign,
/// its other fields).
pub struct Editor {
    pub kind: DecisionKind,
    pub subject: Subject,
    pub required: Option<&'static str>,
    pub fields: Vec<(Input, TextArea<'static>)>,
    pub focus: usize,
    /// What the reviewer should know before deciding (going against the
    /// recommendation, reviewing their own access).
    pub notice: Option<String>,
    /// Why the last save was refused, shown in the dialog.
    pub error: Option<String>,
    /// Esc or Ctrl+D was pressed on typed text: the next one acts, any
    /// other key goes on editing.
    pub asking: bool,
    /// A draft kept from before was filled in, to be cleared once saved.
    pub drafted: bool,
}

impl Editor {
    /// Whether anything has been typed in any field.
    pub fn has_text(&self) -> bool {
        self.fields
            .iter()
            .any(|(_, t)| t.lines().iter().any(|l| !l.trim().is_empty()))
    }

    pub fn text(&self, input: Input) -> Option<String> {
        self.fields
            .iter()
            .find(|(i, _)| *i == input)
            .map(|(_, t)| t.lines().join("\n"))
    }

    pub fn focused(&self) -> Input {
        self.fields.get(self.focus).map_or(Input::Note, |(i, _)| *i)
    }
}

/// A question that needs `y` or `n` before a bulk decision goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    pub question: String,
    pub kind: DecisionKind,
    pub count: u64,
    pub required: Option<&'static str>,
}

pub struct SearchBox {
    pub textarea: TextArea<'static>,
    /// The search in force when `/` was pressed, restored by Esc.
    pub before: String,
}

/// The filter panel's working copy: nothing applies until Enter.
#[derive(Clone, Debug, Default)]
pub struct FilterPanel {
    /// Which field (of `store::FACET_FIELDS`) has the focus.
    pub field: usize,
    /// Which value of that field.
    pub cursor: usize,
    pub chosen: BTreeMap<Field, BTreeSet<String>>,
}

/// Which step of the campaign's lifecycle a screen records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    SignOff,
    Close,
}

/// The sign-off or close screen: what is being signed (or what closing
/// will do), and the fields of the signature.
pub struct Lifecycle {
    pub step: Step,
    /// The campaign's outcome as it stands, once read (it counts the
    /// campaign, so it is read after the screen is first drawn).
    pub summary: Option<SignoffSummary>,
    /// Whether the acting person may sign off or close, and as what.
    pub role: Option<SignerRole>,
    /// Empty until the summary is read, and when the acting person may
    /// not go on.
    pub fields: Vec<(Input, TextArea<'static>)>,
    pub focus: usize,
    /// How far the summary is scrolled.
    pub scroll: u16,
    /// Why the last attempt was refused, shown on the screen.
    pub error: Option<String>,
}

impl Lifecycle {
    pub fn new(step: Step) -> Lifecycle {
        Lifecycle {
            step,
            summary: None,
            role: None,
            fields: Vec::new(),
            focus: 0,
            scroll: 0,
            error: None,
        }
    }

    pub fn text(&self, input: Input) -> Option<String> {
        self.fields
            .iter()
            .find(|(i, _)| *i == input)
            .map(|(_, t)| t.lines().join("\n"))
    }

    pub fn focused(&self) -> Option<Input> {
        self.fields.get(self.focus).map(|(i, _)| *i)
    }
}

/// What a sign-off acknowledges by number: the items nobody decided (of
/// the sponsor's part, or for the owner of the whole campaign) and, for the
/// owner's final sign-off, the sponsors' parts nobody signed.
pub fn to_acknowledge(
    role: Option<SignerRole>,
    summary: &SignoffSummary,
    actor: &str,
) -> (u64, Option<u64>) {
    match role {
        Some(SignerRole::Owner) => (
            summary.waiting(),
            Some(summary.unsigned_parts().count() as u64),
        ),
        Some(SignerRole::Sponsor) => (summary.part_of(actor).map_or(0, |p| p.waiting()), None),
        None => (summary.waiting(), None),
    }
}

/// The remediation list: one page of revocations, read by keyset.
#[derive(Clone, Debug, Default)]
pub struct RemediationList {
    /// Only the tasks of this status; `None` for all.
    pub status: Option<RemediationStatus>,
    pub rows: Vec<RemediationTask>,
    pub selected: usize,
    /// The risk rank the page on screen starts after (`None`: the start).
    pub after: Option<i64>,
    /// Where each page before it started, to page back.
    pub earlier: Vec<Option<i64>>,
    /// Whether another page follows.
    pub more: bool,
    /// Showing the rotation tasks (`App::rotations`) instead of the
    /// revocations, with the selected one.
    pub rotations: bool,
    pub rotation_selected: usize,
}

/// The campaign's rotation tasks, once read: where each stands today.
#[derive(Clone, Debug, Default)]
pub struct Rotations {
    pub counts: RotationCounts,
    /// The first `ROTATIONS_LISTED` in risk order.
    pub rows: Vec<RotationTask>,
}

impl RemediationList {
    pub fn current(&self) -> Option<&RemediationTask> {
        self.rows.get(self.selected)
    }
}

/// A decision the acting person made in this console, which `U` undoes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    One {
        item: ItemId,
        /// The decision's event: a later one means someone changed it.
        seq: EventSeq,
        kind: DecisionKind,
    },
    Bulk {
        kind: DecisionKind,
        items: Vec<ItemId>,
        /// The log's head once it was recorded.
        head: EventSeq,
    },
}

impl Done {
    /// What undoing it undoes, as the status line says it.
    pub fn describe(&self) -> String {
        match self {
            Done::One { item, kind, .. } => format!("your {} of item {item}", kind.as_str()),
            Done::Bulk { kind, items, .. } => format!(
                "your bulk {} of {} {}",
                kind.as_str(),
                items.len(),
                if items.len() == 1 { "item" } else { "items" }
            ),
        }
    }
}

pub enum Mode {
    Browse,
    Editor(Box<Editor>),
    Confirm(Confirm),
    Search(Box<SearchBox>),
    /// The item id being typed after `:`.
    GoTo(Box<TextArea<'static>>),
    Filter(FilterPanel),
    Dashboard,
    Lifecycle(Box<Lifecycle>),
    Remediation(Box<RemediationList>),
    Help {
        scroll: u16,
    },
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
    /// How recert knows who `reviewer` is (stated, the OS account, an SSH
    /// key), shown beside the name.
    pub established: Established,
    /// The people a reassign may name, which its field completes from.
    pub known_people: Vec<String>,
    pub today: NaiveDate,
    pub policy: Policy,
    pub view: View,
    /// The query for `view`, kept in step by `set_view`.
    pub query: ItemQuery,
    /// How many items the view shows, once counted (a narrowed view is
    /// counted after the frame is drawn; the whole campaign is the tally).
    pub matching: Option<(ItemQuery, u64)>,
    pub queue: Queue,
    pub detail: Option<ItemDetail>,
    /// The remediation task of the item in the detail, if it is revoked.
    pub detail_task: Option<RemediationTask>,
    pub detail_scroll: u16,
    /// Revocations per remediation status, once counted.
    pub remediation: Option<RemediationCounts>,
    /// Rotation tasks, once read (with the remediation view).
    pub rotations: Option<Rotations>,
    pub marks: Marks,
    /// What the acting person decided in this console, latest last.
    pub done: Vec<Done>,
    /// What a `U` under way undoes, for the status line once it is recorded.
    pub undoing: Option<String>,
    pub facets: Option<Vec<Facet>>,
    pub dashboard: Option<Dashboard>,
    /// The first reviewer the dashboard lists.
    pub dashboard_scroll: usize,
    /// How many tenants the campaign spans, once counted.
    pub tenants: Option<u64>,
    /// The person view, when it is on.
    pub people: Option<People>,
    pub mode: Mode,
    pub status: Option<Status>,
    /// Terminal size in cells, which decides how many rows a page holds.
    pub size: (u16, u16),
    pub color: bool,
    /// Until the first page arrives: a reviewer with nothing assigned is
    /// shown the whole campaign instead of an empty queue.
    pub opening: bool,
    /// The item to select once the view opens, from the kept place.
    pub resume: Option<ItemId>,
    pub quit: bool,
    /// The event loop gives the terminal back to the shell (Ctrl+Z), then
    /// clears this when the console is brought back.
    pub suspend: bool,
}

impl App {
    pub fn new(
        campaign: &CampaignSummary,
        reviewer: String,
        today: NaiveDate,
        size: (u16, u16),
        color: bool,
    ) -> App {
        let mut app = App {
            campaign: CampaignView {
                name: campaign.name.clone(),
                due: campaign.due,
                as_of: campaign.as_of,
                state: campaign.state,
                owner: campaign.owner.clone(),
                previous: campaign.previous.clone(),
            },
            tally: campaign.tally,
            reviewer,
            established: Established::Asserted,
            known_people: Vec::new(),
            today,
            policy: campaign.policy.clone(),
            view: View::default(),
            query: ItemQuery {
                campaign: campaign.id,
                ..ItemQuery::default()
            },
            matching: None,
            queue: Queue::default(),
            detail: None,
            detail_task: None,
            detail_scroll: 0,
            remediation: None,
            rotations: None,
            marks: Marks::default(),
            done: Vec::new(),
            undoing: None,
            facets: None,
            dashboard: None,
            dashboard_scroll: 0,
            tenants: None,
            people: None,
            mode: Mode::Browse,
            status: None,
            size,
            color,
            opening: true,
            resume: None,
            quit: false,
            suspend: false,
        };
        app.set_view(View {
            mine: true,
            ..View::default()
        });
        app
    }

    /// Changes what the queue shows and the query behind it.
    pub fn set_view(&mut self, view: View) {
        let mut filters = view.filters.clone();
        if view.mine {
            filters.push(Filter::new(Field::Reviewer, vec![self.reviewer.clone()]));
        }
        let search = view.search.trim();
        self.query = ItemQuery {
            campaign: self.query.campaign,
            filters,
            search: (!search.is_empty()).then(|| search.to_string()),
        };
        if view != self.view {
            self.queue.offset = None;
        }
        self.view = view;
    }

    /// How many items the view shows, if known.
    pub fn matching_count(&self) -> Option<u64> {
        if self.query.filters.is_empty() && self.query.search.is_none() {
            return Some(self.tally.total);
        }
        self.matching
            .as_ref()
            .filter(|(query, _)| *query == self.query)
            .map(|(_, n)| *n)
    }

    /// How many queue rows fit on screen now.
    pub fn page_size(&self) -> usize {
        super::layout::queue_capacity(self.size.0, self.size.1).max(1)
    }

    /// Whether the campaign's items belong to more than one tenant, which
    /// the queue then shows as a column.
    pub fn several_tenants(&self) -> bool {
        self.tenants.is_some_and(|n| n > 1)
    }

    /// Whether the person view's list of people is on screen.
    pub fn listing_people(&self) -> bool {
        self.people.as_ref().is_some_and(People::listing)
    }

    pub fn is_marked(&self, item: ItemId) -> bool {
        self.queue.marked.contains(&item)
    }
}

/// The rotate dialog's date: as an exception's end is typed, after today
/// and within the policy's rotation period.
pub fn parse_by(
    text: &str,
    today: chrono::NaiveDate,
    policy: &crate::domain::Policy,
) -> Result<chrono::NaiveDate, String> {
    if text.trim().is_empty() {
        return Err("a rotate needs the last day to rotate by".into());
    }
    let by = parse_until(text, today)?;
    crate::domain::rotation::check_by(by, today, policy)?;
    Ok(by)
}

/// An exception's end as a reviewer types it: a date, or a span from
/// today (`+30` days, `+6w` weeks, `+3m` months).
pub fn parse_until(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an exception needs its end date".into());
    }
    let invalid = || format!("{text:?} is not a date: use YYYY-MM-DD, or +30, +6w, +3m");
    let Some(span) = text.strip_prefix('+') else {
        return crate::domain::date::parse_input_day(text).map_err(|_| invalid());
    };
    let (digits, unit) = match span.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => span.split_at(at),
        None => (span, "d"),
    };
    let n: u32 = digits.parse().map_err(|_| invalid())?;
    let end = match unit {
        "d" => today.checked_add_days(chrono::Days::new(u64::from(n))),
        "w" => today.checked_add_days(chrono::Days::new(7 * u64::from(n))),
        "m" => today.checked_add_months(Months::new(n)),
        _ => None,
    };
    end.ok_or_else(invalid)
}

/// The known people whose e-mail holds `typed` (ignoring case), those it
/// begins first: what the reassign field offers and Tab completes to.
pub fn completions<'k>(typed: &str, known: &'k [String]) -> Vec<&'k str> {
    let typed = person_key(typed);
    if typed.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(bool, &str)> = known
        .iter()
        .filter(|k| person_key(k).contains(typed.as_ref()))
        .map(|k| (!person_key(k).starts_with(typed.as_ref()), k.as_str()))
        .collect();
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn exception_ends_are_dates_or_spans_from_today() {
        let today = day("2026-11-22");
        assert_eq!(parse_until("2027-01-31", today), Ok(day("2027-01-31")));
        assert_eq!(parse_until(" +30 ", today), Ok(day("2026-12-22")));
        assert_eq!(parse_until("+30d", today), Ok(day("2026-12-22")));
        assert_eq!(parse_until("+2w", today), Ok(day("2026-12-06")));
        assert_eq!(parse_until("+3m", today), Ok(day("2027-02-22")));
        for bad in [
            "",
            "soon",
            "+",
            "+3y",
            "2027-02-30",
            "+-3",
            "31/01/2027",
            "0000-01-01",
        ] {
            assert!(parse_until(bad, today).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn completions_are_known_names_holding_the_text_beginnings_first() {
        let known: Vec<String> = ["a.nguyen@x", "t.nguyen@x", "nguyen.k@y", "m.santos@x"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            completions(" NGUY", &known),
            ["nguyen.k@y", "a.nguyen@x", "t.nguyen@x"]
        );
        assert!(completions("", &known).is_empty());
        assert!(completions("zz", &known).is_empty());
    }
}
