//! The person view (`p`): the items in view grouped by identity, one
//! person's grants on Enter, and a decision over one person's grants
//! through the bulk path (its note, its question, its replaced count).

use super::{Console, ch, ctrl, key};
use crate::domain::{Decision, DecisionKind};
use crate::store::PersonRow;
use crate::testing::{decide, sample_item, sample_store};
use crate::tui::app::Mode;
use ratatui::crossterm::event::KeyCode;

const LENA: &str = "Lena Brandt";

fn people(console: &Console<'_>) -> Vec<PersonRow> {
    let people = console.app.people.as_ref().expect("the person view is on");
    people.rows.clone().expect("grouped")
}

/// Every item of the campaign grouped, with the cursor on `name`.
fn on_person(console: &mut Console<'_>, name: &str) -> PersonRow {
    console.send(ch('v'));
    console.send(ch('p'));
    let rows = people(console);
    let at = rows.iter().position(|p| p.name == name).expect("in view");
    for _ in 0..at {
        console.send(ch('j'));
    }
    rows[at].clone()
}

#[test]
fn p_groups_the_view_by_person_and_enter_shows_their_grants() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (120, 40));
    let lena = on_person(&mut console, LENA);
    let rows = people(&console);
    assert_eq!(rows.iter().map(|p| p.grants).sum::<u64>(), 30);
    assert!(
        rows.windows(2).all(|w| w[0].first_rank < w[1].first_rank),
        "riskiest first"
    );
    assert!(lena.grants > 1);
    let screen = console.draw();
    assert!(screen.contains("People"), "{screen}");
    assert!(screen.contains(&format!("· 0/{}", lena.grants)), "{screen}");

    console.send(key(KeyCode::Enter));
    assert!(!console.app.listing_people());
    let shown = &console.app.queue.rows;
    assert_eq!(shown.len() as u64, lena.grants);
    assert!(shown.iter().all(|r| r.identity_name == LENA));
    assert!(console.draw().contains(&format!(" 1 of {} ", lena.grants)));

    console.send(ch('h'));
    assert!(console.app.listing_people(), "back to the people");
    let back = console.app.people.as_ref().unwrap().current().unwrap();
    assert_eq!(back.name, LENA, "on the same person");

    console.send(key(KeyCode::Esc));
    assert!(console.app.people.is_none());
    assert_eq!(console.app.matching_count(), Some(30), "the view grouped");
}

#[test]
fn a_decision_key_on_a_person_decides_all_their_grants_and_says_what_it_replaces() {
    let (mut store, campaign) = sample_store();
    let first = sample_item(&store, &campaign, 1);
    decide(
        &mut store,
        &campaign,
        "dana@x",
        first,
        Some(Decision::Attest),
        "Dana's own reason",
    );
    let mut console = Console::open(&mut store, &campaign, (120, 40));
    let lena = on_person(&mut console, LENA);
    assert_eq!(lena.decided(), 1);

    console.send(ch('r'));
    let Mode::Confirm(confirm) = &console.app.mode else {
        panic!("a question first: {}", console.draw());
    };
    assert!(
        confirm.question.starts_with(&format!(
            "Revoke {} marked items? It replaces 1 existing decision and its note.",
            lena.grants
        )),
        "{}",
        confirm.question
    );
    console.send(ch('y'));
    assert!(console.editing(), "then the note");
    console.type_text("contract ended");
    console.send(ctrl('s'));

    let regrouped = people(&console);
    let after = regrouped.iter().find(|p| p.name == LENA).unwrap();
    assert_eq!((after.revoked, after.undecided), (lena.grants, 0));
    assert!(console.app.marks.is_empty(), "the person's marks are gone");
    let others: u64 = regrouped
        .iter()
        .filter(|p| p.name != LENA)
        .map(|p| p.revoked)
        .sum();
    assert_eq!(others, 0, "nobody else's grants");
    let row = console.row(crate::store::ItemId(first));
    assert_eq!(row.decision, Some(DecisionKind::Revoke));
    assert_eq!(row.note.as_deref(), Some("contract ended"));
}

#[test]
fn the_person_view_has_its_own_keys() {
    use crate::tui::action::Action;
    use crate::tui::keymap::{ModeKind, resolve};
    let k = |c| ratatui::crossterm::event::KeyEvent::from(KeyCode::Char(c));
    assert_eq!(resolve(ModeKind::Browse, &k('p')), Some(Action::People));
    assert_eq!(resolve(ModeKind::People, &k('p')), Some(Action::Close));
    assert_eq!(resolve(ModeKind::People, &k('r')), Some(Action::Revoke));
    assert_eq!(
        resolve(ModeKind::People, &KeyCode::Enter.into()),
        Some(Action::Apply)
    );
    assert_eq!(resolve(ModeKind::Browse, &k('h')), Some(Action::Back));
}

#[test]
fn a_cancelled_decision_on_a_person_leaves_no_marks_behind() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (120, 40));
    on_person(&mut console, LENA);
    console.send(ch('r'));
    assert!(console.editing(), "{}", console.draw());
    console.send(key(KeyCode::Esc));
    assert!(matches!(console.app.mode, Mode::Browse));
    console.send(ch('j'));
    assert!(console.app.marks.is_empty());
    console.send(ch('p'));
    assert!(console.app.people.is_none());
    assert!(console.app.marks.is_empty(), "nothing marked in the queue");
}
