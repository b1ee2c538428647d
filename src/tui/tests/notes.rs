//! Notes are never thrown away without asking: Esc on typed text asks,
//! a note on one item is kept as a draft across quitting and offered
//! again, a paste arrives whole, and Ctrl+U clears to the start.

use super::{Console, ch, ctrl, key};
use crate::testing::sample_store;
use crate::tui::app::{Input, Mode};
use crate::tui::message::Msg;
use ratatui::crossterm::event::KeyCode;

fn note(console: &Console<'_>) -> String {
    let Mode::Editor(editor) = &console.app.mode else {
        panic!("a dialog is open: {}", console.draw());
    };
    editor.text(Input::Note).unwrap_or_default()
}

#[test]
fn esc_on_a_typed_note_asks_and_the_note_is_kept_as_a_draft_offered_again() {
    let (mut store, campaign) = sample_store();
    let item;
    {
        let mut console = Console::open(&mut store, &campaign, (80, 24));
        item = console.current().id;
        console.send(ch('r'));
        console.type_text("half a thought");
        console.send(key(KeyCode::Esc));
        assert!(console.editing(), "Esc on typed text asks first");
        assert!(
            console.draw().contains("Esc again keeps the note"),
            "{}",
            console.draw()
        );
        console.type_text(" and more");
        assert!(
            !console.draw().contains("Esc again"),
            "a key goes on editing"
        );
        console.send(key(KeyCode::Esc));
        console.send(key(KeyCode::Esc));
        assert!(matches!(console.app.mode, Mode::Browse));
        assert!(
            console.draw().contains("kept as a draft"),
            "{}",
            console.draw()
        );
    }
    // Quitting and coming back: the draft waits on that item.
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    assert_eq!(console.current().id, item);
    console.send(ch('r'));
    assert_eq!(note(&console), "half a thought and more");
    assert!(
        console.draw().contains("draft from before"),
        "{}",
        console.draw()
    );
    console.send(ctrl('s'));
    assert_eq!(
        console.row(item).note.as_deref(),
        Some("half a thought and more")
    );
    let draft = console
        .runner
        .store
        .draft(campaign.id, &console.app.reviewer, item);
    assert_eq!(draft.unwrap(), None, "saved: the draft is gone");
}

#[test]
fn ctrl_c_in_the_editor_quits_keeping_the_draft_and_ctrl_d_throws_it_away_after_asking() {
    let (mut store, campaign) = sample_store();
    let item;
    {
        let mut console = Console::open(&mut store, &campaign, (80, 24));
        item = console.current().id;
        console.send(ch('r'));
        console.type_text("kept");
        console.send(ctrl('c'));
        assert!(console.app.quit);
    }
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('r'));
    assert_eq!(note(&console), "kept");
    console.send(ctrl('d'));
    assert!(console.editing(), "Ctrl+D asks first");
    assert!(console.draw().contains("Throw away what you typed?"));
    console.send(ctrl('d'));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert!(console.draw().contains("thrown away"), "{}", console.draw());
    let draft = console
        .runner
        .store
        .draft(campaign.id, &console.app.reviewer, item);
    assert_eq!(draft.unwrap(), None);
    console.send(ch('r'));
    assert_eq!(note(&console), "", "nothing offered again");
    console.send(key(KeyCode::Esc));
    assert!(
        matches!(console.app.mode, Mode::Browse),
        "an empty dialog closes at once"
    );
}

#[test]
fn a_paste_arrives_whole_and_a_one_line_field_takes_it_on_one_line() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('o'));
    console.send(Msg::Paste("someone\r\n@example.com".into()));
    console.send(key(KeyCode::Tab));
    let Mode::Editor(editor) = &console.app.mode else {
        panic!("reassign dialog");
    };
    assert_eq!(
        editor.text(Input::To).as_deref(),
        Some("someone @example.com")
    );
    console.send(Msg::Paste("line one\r\nline two\u{1b}[2J".into()));
    assert_eq!(
        note(&console),
        "line one\nline two[2J",
        "no Enter, no escape"
    );
}

#[test]
fn ctrl_u_clears_a_one_line_field_to_its_start_and_ctrl_z_undoes() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('e'));
    console.type_text("2027-13-01");
    console.send(ctrl('u'));
    let until = |c: &Console<'_>| match &c.app.mode {
        Mode::Editor(editor) => editor.text(Input::Until).unwrap_or_default(),
        _ => panic!("exception dialog"),
    };
    assert_eq!(until(&console), "");
    console.send(ctrl('z'));
    assert_eq!(until(&console), "2027-13-01");
}

#[test]
fn a_long_note_wraps_in_the_editor() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('r'));
    let words = "the contract with the vendor ended in October and nobody took over \
                 the account, so revoking is safe and the owner agreed by mail";
    console.type_text(words);
    let screen = console.draw();
    assert!(screen.contains("the contract with"), "{screen}");
    assert!(
        screen.contains("the owner agreed by mail"),
        "the end is shown too: {screen}"
    );
}
