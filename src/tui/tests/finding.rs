//! Finding the items to decide: the reviewer's own queue or the whole
//! campaign, incremental search, the filter panel and the dashboard.

use super::{Console, SPONSOR, ch, ctrl, key};
use crate::domain::{Field, Filter};
use crate::store::ItemId;
use crate::testing::sample_store;
use crate::tui::app::Mode;
use ratatui::crossterm::event::KeyCode;

#[test]
fn the_queue_shows_the_reviewers_items_and_a_key_shows_all() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    assert!(console.app.view.mine);
    assert_eq!(console.app.matching_count(), Some(21));
    assert!(console.app.queue.rows.iter().all(|r| r.assignee == SPONSOR));
    assert!(console.draw().contains("my items"));
    console.send(ch('v'));
    assert!(!console.app.view.mine);
    assert_eq!(console.app.queue.rows.len(), 30);
    assert!(console.draw().contains("all items"));
    console.send(ch('v'));
    assert_eq!(console.app.queue.rows.len(), 21);
}

#[test]
fn reviewers_are_matched_whatever_the_case_of_their_address() {
    let (mut store, campaign) = sample_store();
    let console = Console::open_as(
        &mut store,
        &campaign,
        (160, 48),
        "A.Kowalski@Northwind.Example.com",
    );
    assert!(console.app.view.mine);
    assert_eq!(console.app.queue.rows.len(), 21);
}

#[test]
fn someone_with_nothing_assigned_sees_the_whole_campaign() {
    let (mut store, campaign) = sample_store();
    let console = Console::open_as(&mut store, &campaign, (160, 48), "auditor@x.example");
    assert!(!console.app.view.mine);
    assert_eq!(console.app.queue.rows.len(), 30);
    assert!(
        console
            .draw()
            .contains("nothing in this campaign waits for auditor@x.example"),
        "{}",
        console.draw()
    );
}

#[test]
fn search_is_incremental_and_escape_restores_the_view() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    console.send(ch('/'));
    console.type_text("len");
    assert!(
        console
            .app
            .queue
            .rows
            .iter()
            .all(|r| r.identity_name == "Lena Brandt")
    );
    console.type_text("x");
    assert!(console.app.queue.rows.is_empty(), "narrows with every key");
    assert!(console.draw().contains("No items in this view"));
    console.send(key(KeyCode::Backspace));
    assert_eq!(console.app.matching_count(), Some(3));
    console.send(key(KeyCode::Esc));
    assert!(console.app.view.search.is_empty());
    assert_eq!(console.app.queue.rows.len(), 21);

    console.send(ch('/'));
    console.type_text("snowflake");
    console.send(key(KeyCode::Enter));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert!(
        console
            .app
            .queue
            .rows
            .iter()
            .all(|r| r.system == "snowflake")
    );
    assert!(console.draw().contains("search \"snowflake\""));
    console.send(ch('c'));
    assert_eq!(console.app.queue.rows.len(), 21);
}

#[test]
fn search_finds_notes_too() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    let item = console.current().id;
    console.send(ch('r'));
    console.type_text("ticket ZX-77");
    console.send(ctrl('s'));
    console.send(ch('/'));
    console.type_text("zx-77");
    let ids: Vec<ItemId> = console.app.queue.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![item]);
}

fn choose(console: &mut Console<'_>, field: Field, value: &str) {
    let fields = crate::store::FACET_FIELDS;
    let Mode::Filter(panel) = &console.app.mode else {
        panic!("the filter panel is open");
    };
    let target = fields.iter().position(|f| *f == field).unwrap();
    for _ in panel.field..target {
        console.send(key(KeyCode::Tab));
    }
    let values = &console.app.facets.as_ref().unwrap()[target].values;
    let at = values.iter().position(|(v, _)| v == value).unwrap();
    for _ in 0..at {
        console.send(ch('j'));
    }
    console.send(ch(' '));
}

#[test]
fn filters_come_from_the_campaign_combine_and_clear_with_one_key() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    console.send(ch('v'));
    console.send(ch('f'));
    assert!(
        console.app.facets.is_some(),
        "values read from the campaign"
    );
    choose(&mut console, Field::Relationship, "contractor");
    choose(&mut console, Field::System, "github");
    choose(&mut console, Field::System, "snowflake");
    let screen = console.draw();
    assert!(screen.contains("relationship (1)"), "{screen}");
    assert!(screen.contains("[x] github"), "{screen}");
    assert!(screen.contains("[x] snowflake"), "{screen}");
    console.send(key(KeyCode::Enter));
    assert_eq!(
        console.app.view.filters,
        vec![
            Filter::parse("relationship=contractor").unwrap(),
            Filter::parse("system=github,snowflake").unwrap()
        ]
    );
    let rows = &console.app.queue.rows;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(
        |r| r.relationship == "contractor" && (r.system == "github" || r.system == "snowflake")
    ));
    let screen = console.draw();
    assert!(
        screen.contains("relationship=contractor · system=github,snowflake"),
        "{screen}"
    );
    assert_eq!(console.app.matching_count(), Some(rows.len() as u64));

    // A search narrows the filtered view further.
    console.send(ch('/'));
    console.type_text("ruth");
    console.send(key(KeyCode::Enter));
    assert!(
        console
            .app
            .queue
            .rows
            .iter()
            .all(|r| r.identity_name == "Ruth Achebe")
    );

    // Undecided is a state like any other.
    console.send(ch('c'));
    assert!(!console.app.view.is_narrowed());
    console.send(ch('f'));
    choose(&mut console, Field::State, "undecided");
    console.send(key(KeyCode::Enter));
    assert_eq!(console.app.matching_count(), Some(30));
    console.send(ch('r'));
    console.type_text("gone");
    console.send(ctrl('s'));
    assert_eq!(console.app.matching_count(), Some(29), "counted again");

    // Esc leaves the panel without changing the filter.
    console.send(ch('f'));
    console.send(ch(' '));
    console.send(key(KeyCode::Esc));
    assert_eq!(
        console.app.view.filters,
        vec![Filter::parse("state=undecided").unwrap()]
    );
}

#[test]
fn the_dashboard_counts_when_opened() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    console.send(ch('r'));
    console.type_text("gone");
    console.send(ctrl('s'));
    console.send(ch('d'));
    let dashboard = console.app.dashboard.as_ref().expect("counted on opening");
    assert_eq!(dashboard.tally.revoked, 1);
    let screen = console.draw();
    assert!(screen.contains("Decisions by type"), "{screen}");
    assert!(screen.contains(SPONSOR));
    console.send(ch('d'));
    assert!(matches!(console.app.mode, Mode::Browse));
}

#[test]
fn choosing_reviewers_in_the_panel_shows_their_items_not_only_mine() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    assert!(console.app.view.mine);
    console.send(ch('f'));
    choose(
        &mut console,
        Field::Reviewer,
        "m.santos@northwind.example.com",
    );
    console.send(key(KeyCode::Enter));
    assert!(!console.app.view.mine, "my items would match nothing");
    assert_eq!(console.app.matching_count(), Some(9));
    assert!(
        console
            .app
            .queue
            .rows
            .iter()
            .all(|r| r.assignee == "m.santos@northwind.example.com")
    );
    assert!(console.draw().contains("all items · reviewer=m.santos"));
}

#[test]
fn the_panel_narrows_to_what_is_new_since_the_last_campaign() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    let before = console.app.matching_count();
    console.send(ch('f'));
    // The first campaign of its scope: everything in it is new.
    let since = &console.app.facets.as_ref().unwrap();
    let since = since.iter().find(|f| f.field == Field::Since).unwrap();
    assert_eq!(since.values, vec![("new".to_string(), 30)]);
    choose(&mut console, Field::Since, "new");
    console.send(key(KeyCode::Enter));
    assert_eq!(console.app.matching_count(), before);
    assert!(console.draw().contains("since=new"));
}

/// The footer's "12 of 67" is the selection's place in the view, wherever
/// the keys took it (not its risk rank in the campaign).
#[test]
fn the_footer_counts_the_place_in_the_view() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    let in_view: Vec<ItemId> = console
        .runner
        .store
        .page(
            &console.app.query,
            None,
            crate::store::PageDirection::Forward,
            true,
            100,
        )
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(in_view.len(), 21);
    let keys = [
        key(KeyCode::Down),
        key(KeyCode::PageDown),
        key(KeyCode::PageDown),
        ch('k'),
        ch('G'),
        key(KeyCode::PageUp),
        ch('k'),
        ch('g'),
        ch('n'),
    ];
    let place = |console: &Console<'_>| {
        let at = in_view.iter().position(|id| *id == console.current().id);
        format!(" {} of 21 ", at.unwrap() + 1)
    };
    assert!(console.draw().contains(" 1 of 21 "));
    for k in keys {
        console.send(k);
        let screen = console.draw();
        let want = place(&console);
        assert!(screen.contains(&want), "{want:?} after a key:\n{screen}");
        assert!(!screen.contains("risk #"), "{screen}");
    }
    // A jump lands on a page whose place takes a count.
    console.send(ch(':'));
    console.type_text(&format!("{}\n", in_view[15]));
    assert_eq!(console.current().id, in_view[15]);
    assert!(console.draw().contains(" 16 of 21 "), "{}", console.draw());
}

/// More reviewers than fit: the dashboard says how many are above and
/// below, and `j`/`k` scroll them.
#[test]
fn the_dashboards_reviewers_scroll_and_its_columns_are_explained() {
    // More reviewers than fit: the owner and several sponsors.
    let mut sample = String::new();
    let mut n = 0;
    for line in crate::testing::SAMPLE.lines() {
        if line.contains(SPONSOR) {
            n += 1;
            let sponsor = format!("sponsor{}@northwind.example.com", n % 10);
            sample.push_str(&line.replace(SPONSOR, &sponsor));
        } else {
            sample.push_str(line);
        }
        sample.push('\n');
    }
    let mut store = crate::store::Store::open_in_memory().unwrap();
    crate::testing::import(&mut store, &sample);
    let campaign = crate::testing::campaign(&mut store, "Q4", "2026-11-01");
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('d'));
    let screen = console.draw();
    assert!(screen.contains("done: their own items decided"), "{screen}");
    assert!(
        screen.contains("recorded: their decisions in force"),
        "{screen}"
    );
    // Reviewers' lines: a name cut to fit, then their bar.
    let shown = |screen: &str| {
        screen
            .lines()
            .filter(|l| l.contains("… ░") || l.contains("… █"))
            .count()
    };
    let at_first = shown(&screen);
    let all = console.app.dashboard.as_ref().unwrap().reviewers.len();
    assert!(at_first < all, "{screen}");
    let below = all - at_first;
    assert!(
        screen.contains(&format!("… {below} more below, 0 above")),
        "{screen}"
    );
    console.send(ch('j'));
    let screen = console.draw();
    let text = format!("… {} more below, 1 above", below - 1);
    assert!(screen.contains(&text), "{screen}");
    console.send(ch('k'));
    assert!(
        console
            .draw()
            .contains(&format!("… {below} more below, 0 above"))
    );
}
