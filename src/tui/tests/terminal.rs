//! Terminal manners through `update`: Ctrl+Z asks the event loop to
//! suspend, the wheel moves through lists and a click selects a row.
//! (The real suspend and the real mouse are in the PTY tests.)

use super::{Console, ch, ctrl, key};
use crate::testing::sample_store;
use crate::tui::layout;
use crate::tui::message::Msg;
use ratatui::crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

#[test]
fn ctrl_z_suspends_from_the_queue_and_the_person_view_but_undoes_in_a_note() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ctrl('z'));
    assert!(console.app.suspend, "the event loop is asked to suspend");
    console.app.suspend = false;
    console.send(ch('p'));
    console.send(ctrl('z'));
    assert!(console.app.suspend, "from the person view too");
    console.app.suspend = false;
    console.send(ch('p'));
    console.send(ch('r'));
    assert!(console.editing());
    console.type_text("abc");
    console.send(ctrl('z'));
    assert!(!console.app.suspend, "in a text field Ctrl+Z is undo");
}

#[test]
fn the_wheel_moves_through_the_queue_and_a_click_selects_a_row() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (120, 40));
    let queue = layout::areas_for((120, 40)).queue;
    let (x, first) = (queue.x + 10, queue.y + 2);
    console.send(mouse(MouseEventKind::ScrollDown, x, first));
    console.send(mouse(MouseEventKind::ScrollDown, x, first));
    assert_eq!(console.app.queue.selected, 2);
    console.send(mouse(MouseEventKind::ScrollUp, x, first));
    assert_eq!(console.app.queue.selected, 1);

    let fifth = console.app.queue.rows[4].id;
    console.send(mouse(MouseEventKind::Down(MouseButton::Left), x, first + 4));
    assert_eq!(console.current().id, fifth);
    assert_eq!(console.app.detail.as_ref().map(|d| d.row.id), Some(fifth));
    // The headings, the border and below the last row select nothing.
    for row in [first - 1, queue.y, queue.y + queue.height - 1] {
        console.send(mouse(MouseEventKind::Down(MouseButton::Left), x, row));
        assert_eq!(console.current().id, fifth, "row {row}");
    }

    // The person view: a click picks a person.
    console.send(ch('p'));
    console.send(mouse(MouseEventKind::Down(MouseButton::Left), x, first + 3));
    assert_eq!(console.app.people.as_ref().unwrap().selected, 3);
    console.send(mouse(MouseEventKind::ScrollDown, x, first));
    assert_eq!(console.app.people.as_ref().unwrap().selected, 4);
}

#[test]
fn a_dialog_ignores_the_mouse() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (120, 40));
    console.send(ch('r'));
    console.type_text("first line\nsecond");
    let before = console.draw();
    console.send(mouse(MouseEventKind::ScrollUp, 10, 10));
    console.send(mouse(MouseEventKind::Down(MouseButton::Left), 10, 5));
    assert!(console.editing());
    assert_eq!(console.draw(), before);
    console.send(key(KeyCode::Esc));
}

#[test]
fn the_wheel_scrolls_the_help() {
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, (80, 24));
    console.send(ch('?'));
    console.send(mouse(MouseEventKind::ScrollDown, 10, 10));
    assert!(matches!(
        console.app.mode,
        crate::tui::app::Mode::Help { scroll: 1 }
    ));
}
