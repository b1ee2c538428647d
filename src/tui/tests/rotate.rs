//! The rotate key: a dialog for the last day to rotate by, checked as it
//! is typed, for credentials only and one item at a time.

use super::{Console, OWNER, ch, ctrl, key};
use crate::domain::DecisionKind;
use crate::testing::{sample_item, sample_store};
use crate::tui::app::{Input, Mode};
use ratatui::crossterm::event::KeyCode;

fn go_to(console: &mut Console<'_>, item: i64) {
    console.send(ch(':'));
    console.type_text(&item.to_string());
    console.send(key(KeyCode::Enter));
    assert_eq!(console.current().id.0, item, "{}", console.draw());
}

#[test]
fn t_keeps_a_credential_to_rotate_by_a_day_within_the_policy() {
    let (mut store, q4) = sample_store();
    // The billing key's Mailbox grant: only unrotated.
    let billing = sample_item(&store, &q4, 21);
    let person = sample_item(&store, &q4, 1);
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('v'));

    // A person's grant holds no credential: said before any dialog opens.
    go_to(&mut console, person);
    console.send(ch('t'));
    assert!(!console.editing(), "no dialog for what cannot be rotated");
    assert!(
        console.draw().contains("rotate is for credentials"),
        "{}",
        console.draw()
    );

    go_to(&mut console, billing);
    console.send(ch('t'));
    let Mode::Editor(editor) = &console.app.mode else {
        panic!("the rotate dialog is open");
    };
    assert_eq!(editor.focused(), Input::By, "the day comes first");
    assert!(console.draw().contains("Rotate"), "{}", console.draw());
    // The console's day is 2026-11-01; the policy allows 90 days.
    for (typed, complaint) in [
        ("soon", "is not a date"),
        ("2026-11-01", "must be after the decision's day"),
        ("2027-01-31", "beyond the policy's rotation period"),
    ] {
        console.send(ctrl('a'));
        console.send(ctrl('k'));
        console.type_text(typed);
        console.send(ctrl('s'));
        assert!(console.editing());
        let screen = console.draw();
        assert!(screen.contains(complaint), "{typed}: {screen}");
    }
    console.send(ctrl('a'));
    console.send(ctrl('k'));
    console.type_text("+30");
    assert!(
        console.draw().contains("= 2026-12-01"),
        "{}",
        console.draw()
    );
    console.send(key(KeyCode::Tab));
    console.send(ctrl('s'));
    assert!(
        console.draw().contains("a rotate needs a note"),
        "{}",
        console.draw()
    );
    console.type_text("Ledgerly rotates it through the vault");
    console.send(ctrl('s'));
    assert!(!console.editing(), "{}", console.draw());
    let row = console.row(crate::store::ItemId(billing));
    assert_eq!(row.decision, Some(DecisionKind::Rotate));
    assert!(console.draw().contains("↻ rotate"), "{}", console.draw());

    // What the owner signs lists the promise with its date.
    console.send(ch('S'));
    let summary = match &console.app.mode {
        Mode::Lifecycle(screen) => screen.summary.clone(),
        _ => None,
    };
    let summary = summary.expect("the sign-off summary was read");
    assert_eq!(summary.rotations.total, 1);
    assert_eq!(summary.rotations.first[0].id.0, billing);
    assert_eq!(
        summary.rotations.first[0].rotate_by.as_deref(),
        Some("2026-12-01")
    );
    console.send(key(KeyCode::Esc));

    // Marked items are not rotated in bulk: each credential on its own.
    console.send(ch(' '));
    console.send(ch('t'));
    assert!(!console.editing());
    assert!(
        console.draw().contains("rotate decides one item at a time"),
        "{}",
        console.draw()
    );
}
