//! Marks and bulk decisions: one decision and one note on many items, in
//! one transaction, with the count on screen.

use super::{Console, ch, ctrl, key};
use crate::domain::{Decision, DecisionKind, Filter};
use crate::store::{Acting, DecisionRequest, ItemQuery, Store};
use crate::testing::{day, sample_store};
use crate::tui::app::{Mode, Subject};
use ratatui::crossterm::event::KeyCode;

fn contractors(console: &mut Console<'_>) {
    console.send(ch('f'));
    let Mode::Filter(_) = console.app.mode else {
        panic!("filter panel");
    };
    // relationship is the first field; find contractor among its values.
    let values = &console.app.facets.as_ref().unwrap()[0].values;
    let at = values.iter().position(|(v, _)| v == "contractor").unwrap();
    for _ in 0..at {
        console.send(ch('j'));
    }
    console.send(ch(' '));
    console.send(key(KeyCode::Enter));
}

fn count(console: &Console<'_>, filters: &[&str]) -> u64 {
    console
        .runner
        .store
        .count_items(&ItemQuery {
            campaign: console.app.query.campaign,
            filters: filters.iter().map(|f| Filter::parse(f).unwrap()).collect(),
            search: None,
        })
        .unwrap()
}

#[test]
fn mark_all_keeps_a_query_not_a_list_of_ids() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    contractors(&mut console);
    console.send(ch('*'));
    let mut undecided = console.app.query.clone();
    undecided
        .filters
        .push(Filter::parse("state=undecided").unwrap());
    assert_eq!(console.app.marks.queries, vec![undecided]);
    assert!(console.app.marks.added.is_empty(), "no ids held");
    assert_eq!(console.app.marks.count, Some(6));
    assert!(console.draw().contains("● 6 marked"));
    let page = console.app.queue.rows.len();
    assert_eq!(
        console.app.queue.marked.len(),
        page,
        "every row shows its mark"
    );
    assert!(
        console.app.marks.marked_at.0 > 0,
        "taken against the audit log"
    );
}

#[test]
fn bulk_attest_against_a_revoke_recommendation_asks_first() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    contractors(&mut console);
    console.send(ch('*'));
    console.send(ch('a'));
    let Mode::Confirm(confirm) = &console.app.mode else {
        panic!("a question first: {}", console.draw());
    };
    assert!(confirm.question.starts_with("Attest 6 marked items?"));
    assert!(console.draw().contains("carry a revoke recommendation"));
    console.send(ch('n'));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert_eq!(
        console.runner.store.tally(campaign.id).unwrap().decided(),
        0
    );
    assert!(!console.app.marks.is_empty(), "the marks stay");

    console.send(ch('a'));
    console.send(ch('y'));
    assert!(console.editing(), "one note for all of them");
    console.send(ctrl('s'));
    assert!(
        console.draw().contains("a note is required"),
        "privileged ones"
    );
    console.type_text("contracts renewed to June, per SOW-100..103");
    console.send(ctrl('s'));
    assert!(!console.editing());
    assert!(
        console
            .draw()
            .contains("attested 6 marked items in one step"),
        "{}",
        console.draw()
    );
    assert!(console.app.marks.is_empty(), "marks are spent");
    assert_eq!(
        count(&console, &["relationship=contractor", "state=attested"]),
        6
    );
    assert_eq!(console.app.tally.attested, 6);
    let first = console.app.queue.rows[0].id;
    let history = console.runner.store.item_events(first).unwrap();
    assert!(history[0].bulk);
    assert_eq!(
        history[0].note.as_deref(),
        Some("contracts renewed to June, per SOW-100..103")
    );
}

#[test]
fn space_marks_and_moves_on_and_unmarking_wins() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    let first = console.current().id;
    console.send(ch(' '));
    let second = console.current().id;
    assert_ne!(first, second, "moved on");
    console.send(ch(' '));
    console.send(ch(' '));
    assert_eq!(console.app.marks.count, Some(3));
    console.send(key(KeyCode::Home));
    console.send(ch(' ')); // unmark the first
    assert_eq!(console.app.marks.count, Some(2));
    assert!(!console.app.is_marked(first));
    assert!(console.app.is_marked(second));

    // Mark everything, then take one out.
    console.send(ch('*'));
    assert_eq!(console.app.marks.count, Some(21));
    console.send(key(KeyCode::Home));
    console.send(ch(' '));
    assert_eq!(console.app.marks.count, Some(20));
    console.send(ch('r'));
    console.type_text("all of it goes");
    console.send(ctrl('s'));
    assert!(
        console
            .draw()
            .contains("revoked 20 marked items in one step")
    );
    assert_eq!(
        console.row(first).decision,
        None,
        "the unmarked one is left"
    );
    assert_eq!(console.app.tally.revoked, 20);

    // Esc unmarks everything.
    console.send(ch(' '));
    console.send(key(KeyCode::Esc));
    assert!(console.app.marks.is_empty());
    assert!(console.app.queue.marked.is_empty());
}

#[test]
fn items_changed_after_marking_are_left_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store, campaign) = crate::testing::sample_file_store(dir.path());
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    contractors(&mut console);
    // Marked with the decided too, so that a decision made meanwhile
    // still falls under the marks.
    console.send(ch('*'));
    console.send(ch('*'));
    // Another reviewer decides one of them after it was marked.
    let theirs = console.current().id;
    Store::open(&path)
        .unwrap()
        .decide(
            campaign.id,
            &Acting {
                actor: "other@x",
                via: &crate::domain::roster::ASSERTED,
                at: "2026-11-01T10:05:00.000Z",
                today: day("2026-11-01"),
            },
            &[DecisionRequest {
                item: theirs,
                decision: Some(Decision::Revoke),
                note: Some("this one goes".into()),
                seen_event: None,
                seconds_on_screen: None,
                overriding: false,
            }],
        )
        .unwrap();
    console.send(ch('e'));
    let Mode::Editor(editor) = &console.app.mode else {
        panic!("the exception dialog: {}", console.draw());
    };
    assert!(
        matches!(
            editor.subject,
            Subject::Marked {
                count: 5,
                left_alone: 1
            }
        ),
        "the dialog says so before saving"
    );
    console.type_text("+30\n\nextension while the contracts are renewed");
    console.send(ctrl('s'));
    let screen = console.draw();
    assert!(
        screen.contains("recorded an exception on 5 marked items; 1 left as they were"),
        "{screen}"
    );
    assert_eq!(console.row(theirs).decision, Some(DecisionKind::Revoke));
    assert_eq!(count(&console, &["state=exception"]), 5);
}

#[test]
fn bulk_undo_and_bulk_reassign() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    contractors(&mut console);
    console.send(ch('*'));
    console.send(ch('r'));
    console.type_text("contract over");
    console.send(ctrl('s'));
    assert_eq!(console.app.tally.revoked, 6);

    console.send(ch('*'));
    assert_eq!(console.app.marks.count, Some(0), "none is undecided");
    console.send(ch('*'));
    console.send(ch('u'));
    assert!(console.editing(), "an optional note for the undo");
    console.send(ctrl('s'));
    assert!(
        console
            .draw()
            .contains("undid the latest decision on 6 marked items")
    );
    assert_eq!(console.app.tally.revoked, 0);

    console.send(ch('*'));
    console.send(ch('o'));
    console.type_text("t.nguyen@northwind.example.com\nhis team now");
    console.send(ctrl('s'));
    assert!(console.draw().contains("reassigned 6 marked items"));
    assert!(
        console.app.queue.rows.is_empty(),
        "none of them waits for me now"
    );
    assert_eq!(
        count(&console, &["reviewer=t.nguyen@northwind.example.com"]),
        6
    );
}

#[test]
fn star_marks_the_undecided_then_the_decided_and_the_question_counts_what_is_replaced() {
    let (mut store, campaign) = super::partly_decided();
    let mut console = Console::open_as(&mut store, &campaign, (80, 24), super::OWNER);
    if console.app.view.mine {
        console.send(ch('v'));
    }
    console.send(ch('*'));
    assert_eq!(
        console.app.marks.count,
        Some(27),
        "the 3 decided are left out"
    );
    assert!(
        console.draw().contains("again adds the decided"),
        "{}",
        console.draw()
    );
    console.send(ch('r'));
    assert!(
        console.editing(),
        "nothing decided is replaced: no question"
    );
    console.send(key(KeyCode::Esc));
    console.send(ch('*'));
    assert_eq!(console.app.marks.count, Some(30));
    assert!(
        console.draw().contains("the decided too"),
        "{}",
        console.draw()
    );
    console.send(ch('r'));
    let Mode::Confirm(confirm) = &console.app.mode else {
        panic!("a question first: {}", console.draw());
    };
    assert_eq!(
        confirm.question,
        "Revoke 30 marked items? It replaces 3 existing decisions and their notes."
    );
    console.send(ch('n'));
    assert_eq!(
        console.runner.store.tally(campaign.id).unwrap().decided(),
        3,
        "nothing recorded"
    );
}

#[test]
fn capital_u_undoes_my_last_action_a_bulk_one_included_naming_it() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (160, 48));
    console.send(ch('U'));
    assert!(
        console
            .draw()
            .contains("nothing decided in this console yet")
    );

    let first = console.current().id;
    console.send(ch('o'));
    console.type_text("t.nguyen@northwind.example.com\nhis team now");
    console.send(ctrl('s'));
    contractors(&mut console);
    console.send(ch('*'));
    console.send(ch('r'));
    console.type_text("contract over");
    console.send(ctrl('s'));
    assert_eq!(console.app.tally.revoked, 6);
    console.send(key(KeyCode::End)); // the cursor is elsewhere: U does not care

    console.send(ch('U'));
    let screen = console.draw();
    assert!(
        screen.contains("undid your bulk revoke of 6 items: 6 items"),
        "{screen}"
    );
    assert_eq!(console.app.tally.revoked, 0);
    assert_eq!(
        count(&console, &["state=undecided", "relationship=contractor"]),
        6
    );

    console.send(ch('U'));
    let screen = console.draw();
    assert!(
        screen.contains(&format!(
            "undid your reassign of item {first}: now undecided"
        )),
        "{screen}"
    );
    assert_eq!(console.row(first).decision, None);
    assert_eq!(
        console.row(first).assignee,
        super::SPONSOR,
        "back with the sponsor"
    );
    let undos = console
        .runner
        .store
        .item_events(first)
        .unwrap()
        .iter()
        .filter(|e| e.kind == "undo")
        .count();
    assert_eq!(undos, 1, "the undo is an event");
}

#[test]
fn the_confirmation_counts_recommendations_in_plain_words() {
    use crate::tui::update::against_words;
    assert_eq!(against_words(1, 1), " It carries a revoke recommendation.");
    assert_eq!(against_words(4, 4), " All 4 carry a revoke recommendation.");
    assert_eq!(
        against_words(1, 6),
        " One of them carries a revoke recommendation."
    );
    assert_eq!(
        against_words(4, 6),
        " 4 of them carry a revoke recommendation."
    );
}
