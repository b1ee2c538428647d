//! Keeping and finding one's place: the next undecided item, an item by
//! its id, and the selected item kept across a change of view.

use super::{Console, OWNER, ch, key, partly_decided};
use crate::testing::sample_item;
use crate::tui::app::Status;
use ratatui::crossterm::event::KeyCode;

fn status(console: &Console<'_>) -> String {
    match &console.app.status {
        Some(Status::Info(s) | Status::Error(s)) => s.clone(),
        None => String::new(),
    }
}

#[test]
fn n_and_shift_n_step_through_the_undecided_items_of_the_view_across_pages() {
    let (mut store, q4) = partly_decided();
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('v'));
    console.send(key(KeyCode::Home));
    let mut visited = vec![console.current().rank];
    loop {
        console.send(ch('n'));
        let row = console.current();
        if row.rank == *visited.last().unwrap() {
            break;
        }
        assert_eq!(row.decision, None, "n stops only on undecided items");
        visited.push(row.rank);
    }
    assert_eq!(
        status(&console),
        "no undecided item in view after this one",
        "{}",
        console.draw()
    );
    // The sample has 30 items, 3 of them decided; the first may be either.
    let undecided_after_first = visited.len() - 1;
    assert!(undecided_after_first >= 26, "visited {visited:?}");
    assert!(visited.windows(2).all(|w| w[0] < w[1]), "in order");
    for &rank in visited[1..visited.len() - 1].iter().rev() {
        console.send(ch('N'));
        assert_eq!(console.current().rank, rank, "N goes back the same way");
        assert_eq!(console.current().decision, None);
    }
}

#[test]
fn colon_and_an_id_go_to_that_item_or_say_it_is_not_in_view() {
    let (mut store, q4) = partly_decided();
    let lena = sample_item(&store, &q4, 1);
    let last = sample_item(&store, &q4, 30);
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('v'));
    console.send(ch(':'));
    assert!(console.draw().contains("Go to item"), "{}", console.draw());
    console.type_text(&last.to_string());
    console.send(key(KeyCode::Enter));
    assert_eq!(console.current().id.0, last, "{}", console.draw());
    console.send(ch(':'));
    console.type_text(&lena.to_string());
    console.send(key(KeyCode::Enter));
    assert_eq!(console.current().id.0, lena);
    // A search that finds nothing: Lena's item is not in view.
    console.send(ch('/'));
    console.type_text("no such text anywhere");
    console.send(key(KeyCode::Enter));
    console.send(ch(':'));
    console.type_text(&lena.to_string());
    console.send(key(KeyCode::Enter));
    assert!(
        status(&console).starts_with(&format!("item {lena} is not in this view")),
        "{}",
        status(&console)
    );
    console.send(ch(':'));
    console.type_text("999999");
    console.send(key(KeyCode::Enter));
    assert_eq!(status(&console), "item 999999 is not in this campaign");
    console.send(ch(':'));
    console.type_text("lena");
    console.send(key(KeyCode::Enter));
    assert!(status(&console).contains("is not an item id"));
}

#[test]
fn v_and_c_keep_the_selected_item_when_the_new_view_shows_it() {
    let (mut store, q4) = partly_decided();
    let mut console = Console::open(&mut store, &q4, (80, 24));
    // Deep in the reviewer's own queue, past the first page.
    for _ in 0..15 {
        console.send(ch('j'));
    }
    let kept = console.current().id;
    assert_ne!(console.app.queue.selected, 0);
    console.send(ch('v'));
    assert!(!console.app.view.mine);
    assert_eq!(console.current().id, kept, "{}", console.draw());
    console.send(ch('v'));
    assert_eq!(console.current().id, kept);
    // A search that shows it, then c: still on it.
    let name = console.current().identity_name.clone();
    console.send(ch('/'));
    console.type_text(&name);
    console.send(key(KeyCode::Enter));
    console.send(ch(':'));
    console.type_text(&kept.0.to_string());
    console.send(key(KeyCode::Enter));
    assert_eq!(console.current().id, kept);
    console.send(ch('c'));
    assert!(!console.app.view.is_narrowed());
    assert_eq!(console.current().id, kept, "{}", console.draw());
}

#[test]
fn an_empty_view_says_what_to_do_next() {
    let (mut store, q4) = partly_decided();
    let mut console = Console::open(&mut store, &q4, (80, 24));
    console.send(ch('/'));
    console.type_text("no such text anywhere");
    console.send(key(KeyCode::Enter));
    let drawn = console.draw();
    let flat: String = drawn
        .lines()
        .map(|l| l.trim_matches(|c| c == '"' || c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    for step in [
        "S signs off when your part is done",
        "c clears the search and filters",
        "v shows all items of the campaign",
        "d the dashboard",
    ] {
        assert!(flat.contains(step), "{step:?} missing:\n{drawn}");
    }
}

#[test]
fn a_date_reads_as_one_age_counted_from_the_campaigns_as_of_date_and_says_so() {
    use crate::testing::{SAMPLE, campaign, import};
    let mut store = crate::store::Store::open_in_memory().unwrap();
    import(&mut store, SAMPLE);
    // Reviewed on 2026-11-01 (the console's day), describing 2026-08-01.
    let q3 = campaign(&mut store, "Q3", "2026-08-01");
    let console = Console::open(&mut store, &q3, (160, 48));
    let drawn = console.draw();
    assert!(
        drawn.contains("Days ago as of 2026-08-01, the campaign's as-of date"),
        "{drawn}"
    );
    assert!(
        drawn.contains("expired on 2026-06-30 (32 days ago)"),
        "{drawn}"
    );
    assert!(
        drawn.contains("Expires     2026-06-30 (32 days ago)"),
        "{drawn}"
    );
}

#[test]
fn reopening_resumes_the_view_the_search_and_the_item_where_the_person_quit() {
    let (mut store, q4) = partly_decided();
    let item = {
        let mut console = Console::open(&mut store, &q4, (80, 24));
        console.send(ch('v'));
        console.send(ch('/'));
        console.type_text("m365");
        console.send(key(KeyCode::Enter));
        console.send(ch('j'));
        console.send(ch('j'));
        let item = console.current().id;
        console.send(ch('q'));
        assert!(console.app.quit);
        item
    };
    let console = Console::open(&mut store, &q4, (80, 24));
    assert!(!console.app.view.mine, "all items, as left");
    assert_eq!(console.app.view.search, "m365");
    assert_eq!(console.current().id, item, "{}", console.draw());
    // Another person's place is their own.
    drop(console);
    let other = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    assert_eq!(other.app.view.search, "");
}
