//! The key map as data: for each mode, which keys mean which action, and
//! the help text. The event loop resolves keys through it and the help is
//! drawn from it, so the two cannot drift apart.

use super::action::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The input modes that have their own keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModeKind {
    Browse,
    /// The person view: one row per identity.
    People,
    /// The note editor and the exception and reassign dialogs.
    Editor,
    Confirm,
    Search,
    /// The item id typed after `:`.
    GoTo,
    Filter,
    Dashboard,
    /// The sign-off and close screens, each with its note.
    Lifecycle,
    Remediation,
    Help,
}

/// Every mode with the heading its keys have in the help, in help order.
pub const MODES: [(ModeKind, &str); 11] = [
    (ModeKind::Browse, "Queue"),
    (ModeKind::People, "Person view (one row per identity)"),
    (
        ModeKind::Editor,
        "Note editor, exception, reassign and rotate dialogs",
    ),
    (ModeKind::Confirm, "Confirmation"),
    (ModeKind::Search, "Search (typing edits the search)"),
    (ModeKind::GoTo, "Go to an item (typing edits the id)"),
    (ModeKind::Filter, "Filter panel"),
    (ModeKind::Dashboard, "Dashboard"),
    (
        ModeKind::Lifecycle,
        "Sign-off and close screens (typing edits the note)",
    ),
    (ModeKind::Remediation, "Remediation"),
    (ModeKind::Help, "Help"),
];

/// What the text fields (notes, search, dialog fields) do with the keys
/// the map leaves to them; the editor is ratatui-textarea.
pub const TEXT_KEYS: &str = "In text fields: ←/→/↑/↓ Home End move · Backspace Delete · \
     Ctrl+W delete a word · Ctrl+U delete to the start · Ctrl+K delete to the end · \
     Ctrl+Z undo · Ctrl+R redo · Ctrl+Y paste what was deleted · a terminal paste is taken whole";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn plain(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

pub struct Binding {
    pub mode: ModeKind,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

const fn bind(mode: ModeKind, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        mode,
        keys,
        action,
        help,
    }
}

use Action as A;
use KeyCode as K;
use ModeKind as M;

// One binding per line reads as the table it is.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(M::Browse, &[ch('j'), plain(K::Down)], A::Down, "next item"),
    bind(M::Browse, &[ch('k'), plain(K::Up)], A::Up, "previous item"),
    bind(M::Browse, &[plain(K::PageDown), ctrl('d')], A::PageDown, "next page"),
    bind(M::Browse, &[plain(K::PageUp), ctrl('u')], A::PageUp, "previous page"),
    bind(M::Browse, &[plain(K::Home), ch('g')], A::First, "first item"),
    bind(M::Browse, &[plain(K::End), ch('G')], A::Last, "last item"),
    bind(M::Browse, &[ch('n')], A::NextUndecided, "next undecided item in view"),
    bind(M::Browse, &[ch('N')], A::PreviousUndecided, "previous undecided item in view"),
    bind(M::Browse, &[ch(':')], A::GoTo, "go to an item by its id"),
    bind(M::Browse, &[ch('J')], A::ScrollDetailDown, "scroll the detail down"),
    bind(M::Browse, &[ch('K')], A::ScrollDetailUp, "scroll the detail up"),
    bind(M::Browse, &[ch('a')], A::Attest, "attest: keep the access (a note where policy asks)"),
    bind(M::Browse, &[ch('r')], A::Revoke, "revoke the access, with a note"),
    bind(M::Browse, &[ch('e')], A::Exception, "exception: keep until a date, a note, an optional ticket"),
    bind(M::Browse, &[ch('o')], A::Reassign, "reassign to another reviewer, with a note"),
    bind(M::Browse, &[ch('t')], A::Rotate, "rotate: keep a credential, rotated by a date, with a note"),
    bind(M::Browse, &[ch('u')], A::Undo, "undo the selected item's latest decision (a new event)"),
    bind(M::Browse, &[ch('U')], A::UndoLast, "undo my last action here, a bulk one too (as new events)"),
    bind(M::Browse, &[ch(' ')], A::ToggleMark, "mark or unmark the item for a bulk decision"),
    bind(M::Browse, &[ch('*')], A::MarkAll, "mark the undecided in view; again: the decided too"),
    bind(M::Browse, &[plain(K::Esc)], A::ClearMarks, "unmark everything"),
    bind(M::Browse, &[ch('/')], A::Search, "search identity, organization, system, entitlement, note"),
    bind(M::Browse, &[ch('f')], A::Filters, "filter panel"),
    bind(M::Browse, &[ch('c')], A::ClearFilters, "clear the search and the filters"),
    bind(M::Browse, &[ch('v')], A::ToggleScope, "view my items / all items of the campaign"),
    bind(M::Browse, &[ch('p')], A::People, "person view: the items in view grouped by identity"),
    bind(M::Browse, &[plain(K::Left), ch('h')], A::Back, "back to the person view, from one person's grants"),
    bind(M::Browse, &[ch('d')], A::Dashboard, "campaign dashboard"),
    bind(M::Browse, &[ch('m')], A::Remediation, "remediation: each revocation pending, verified or STILL EFFECTIVE; rotations"),
    bind(M::Browse, &[ch('S')], A::SignOff, "sign off: a sponsor their part, the owner the whole campaign"),
    bind(M::Browse, &[ch('C')], A::CloseCampaign, "close the signed-off campaign: undecided items get the close action"),
    bind(M::Browse, &[ch('R')], A::Reload, "reload: show what others decided meanwhile"),
    bind(M::Browse, &[ch('?')], A::Help, "this help"),
    bind(M::Browse, &[ch('q'), ctrl('c')], A::Quit, "quit (every decision is already saved)"),
    bind(M::Browse, &[ctrl('z')], A::Suspend, "suspend to the shell; fg brings the console back"),
    bind(M::People, &[ch('j'), plain(K::Down)], A::Down, "next person"),
    bind(M::People, &[ch('k'), plain(K::Up)], A::Up, "previous person"),
    bind(M::People, &[plain(K::PageDown), ctrl('d')], A::PageDown, "next page"),
    bind(M::People, &[plain(K::PageUp), ctrl('u')], A::PageUp, "previous page"),
    bind(M::People, &[plain(K::Home), ch('g')], A::First, "first person"),
    bind(M::People, &[plain(K::End), ch('G')], A::Last, "last person"),
    bind(M::People, &[plain(K::Enter), plain(K::Right), ch('l')], A::Apply, "show this person's grants"),
    bind(M::People, &[ch('a')], A::Attest, "attest all of this person's grants in view"),
    bind(M::People, &[ch('r')], A::Revoke, "revoke all of this person's grants in view"),
    bind(M::People, &[ch('e')], A::Exception, "exception on all of this person's grants in view"),
    bind(M::People, &[ch('o')], A::Reassign, "reassign all of this person's grants in view"),
    bind(M::People, &[ch('u')], A::Undo, "undo the latest decision on each of them"),
    bind(M::People, &[ch('R')], A::Reload, "group again: show what others decided meanwhile"),
    bind(M::People, &[ch('p'), plain(K::Esc)], A::Close, "back to the items"),
    bind(M::People, &[ch('?')], A::Help, "help"),
    bind(M::People, &[ch('q'), ctrl('c')], A::Quit, "quit"),
    bind(M::People, &[ctrl('z')], A::Suspend, "suspend to the shell"),
    bind(M::Editor, &[ctrl('s')], A::Save, "save: record the decision"),
    bind(M::Editor, &[plain(K::Esc)], A::Cancel, "cancel: nothing is recorded (asks first when text was typed)"),
    bind(M::Editor, &[ctrl('d')], A::Discard, "throw away what was typed (asks first)"),
    bind(M::Editor, &[ctrl('c')], A::Quit, "quit, keeping a note on one item as a draft"),
    bind(M::Editor, &[plain(K::Tab)], A::NextField, "next field"),
    bind(M::Editor, &[plain(K::BackTab)], A::PreviousField, "previous field"),
    bind(M::Editor, &[plain(K::Enter)], A::Enter, "new line in the note; next field in the others"),
    bind(M::Confirm, &[ch('y')], A::Yes, "yes, go on"),
    bind(M::Confirm, &[ch('n'), plain(K::Esc)], A::No, "no, go back"),
    bind(M::Search, &[plain(K::Enter)], A::Apply, "keep the search"),
    bind(M::Search, &[plain(K::Esc)], A::Cancel, "cancel: back to the search before"),
    bind(M::Search, &[plain(K::Down)], A::Down, "next item"),
    bind(M::Search, &[plain(K::Up)], A::Up, "previous item"),
    bind(M::GoTo, &[plain(K::Enter)], A::Apply, "go to the item"),
    bind(M::GoTo, &[plain(K::Esc)], A::Cancel, "cancel"),
    bind(M::Filter, &[ch('j'), plain(K::Down)], A::Down, "next value"),
    bind(M::Filter, &[ch('k'), plain(K::Up)], A::Up, "previous value"),
    bind(M::Filter, &[ch('l'), plain(K::Right), plain(K::Tab)], A::NextField, "next field"),
    bind(M::Filter, &[ch('h'), plain(K::Left), plain(K::BackTab)], A::PreviousField, "previous field"),
    bind(M::Filter, &[ch(' ')], A::Choose, "choose or unchoose the value"),
    bind(M::Filter, &[ch('c')], A::ClearFilters, "unchoose everything"),
    bind(M::Filter, &[plain(K::Enter)], A::Apply, "apply the filter"),
    bind(M::Filter, &[plain(K::Esc)], A::Cancel, "cancel: keep the filter as it was"),
    bind(M::Dashboard, &[ch('j'), plain(K::Down)], A::Down, "scroll the reviewers down"),
    bind(M::Dashboard, &[ch('k'), plain(K::Up)], A::Up, "scroll the reviewers up"),
    bind(M::Dashboard, &[ch('R')], A::Reload, "recount"),
    bind(M::Dashboard, &[ch('d'), plain(K::Esc), ch('q')], A::Close, "back to the queue"),
    bind(M::Lifecycle, &[ctrl('s')], A::Save, "sign off, or close: recorded in the audit log"),
    bind(M::Lifecycle, &[plain(K::Esc)], A::Cancel, "cancel: nothing is recorded"),
    bind(M::Lifecycle, &[plain(K::Tab)], A::NextField, "next field"),
    bind(M::Lifecycle, &[plain(K::BackTab)], A::PreviousField, "previous field"),
    bind(M::Lifecycle, &[plain(K::Enter)], A::Enter, "new line in the note; next field in the count"),
    bind(M::Lifecycle, &[plain(K::PageDown)], A::PageDown, "scroll what is being signed or closed down"),
    bind(M::Lifecycle, &[plain(K::PageUp)], A::PageUp, "scroll it up"),
    bind(M::Remediation, &[ch('j'), plain(K::Down)], A::Down, "next revocation (or rotation)"),
    bind(M::Remediation, &[ch('k'), plain(K::Up)], A::Up, "previous revocation (or rotation)"),
    bind(M::Remediation, &[plain(K::PageDown), ctrl('d')], A::PageDown, "next page"),
    bind(M::Remediation, &[plain(K::PageUp), ctrl('u')], A::PageUp, "previous page"),
    bind(M::Remediation, &[plain(K::Home)], A::First, "first revocation (or rotation)"),
    bind(M::Remediation, &[plain(K::Tab), ch('f')], A::NextField, "show next: all, STILL EFFECTIVE, pending, verified, rotations"),
    bind(M::Remediation, &[plain(K::BackTab)], A::PreviousField, "show previous status"),
    bind(M::Remediation, &[ch('R')], A::Reload, "reread and recount"),
    bind(M::Remediation, &[ch('m'), plain(K::Esc), ch('q')], A::Close, "back to the queue"),
    bind(M::Help, &[ch('j'), plain(K::Down)], A::Down, "scroll down"),
    bind(M::Help, &[ch('k'), plain(K::Up)], A::Up, "scroll up"),
    bind(M::Help, &[plain(K::PageDown)], A::PageDown, "page down"),
    bind(M::Help, &[plain(K::PageUp)], A::PageUp, "page up"),
    bind(M::Help, &[plain(K::Esc), ch('?'), ch('q')], A::Close, "close the help"),
];

fn matches(key: &Key, event: &KeyEvent) -> bool {
    // Terminals disagree on whether a typed capital (or Shift+Tab, which
    // has its own code) carries SHIFT.
    let modifiers = match event.code {
        KeyCode::Char(_) | KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
        _ => event.modifiers,
    };
    key.code == event.code && key.modifiers == modifiers
}

/// The action bound to `event` in `mode`, if any.
pub fn resolve(mode: ModeKind, event: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.mode == mode)
        .find(|b| b.keys.iter().any(|k| matches(k, event)))
        .map(|b| b.action)
}

/// How a key is written in help and hints.
pub fn key_label(key: &Key) -> String {
    let name = match key.code {
        KeyCode::Char(' ') => "space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Down => "↓".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift+Tab".into(),
        other => format!("{other:?}"),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl+{}", name.to_uppercase())
    } else {
        name
    }
}

/// The keys of a binding, as help shows them ("j/↓").
pub fn binding_keys(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(key_label)
        .collect::<Vec<_>>()
        .join("/")
}

/// The keys of an action in a mode, for hints ("Ctrl+S").
pub fn keys_for(mode: ModeKind, action: Action) -> String {
    BINDINGS
        .iter()
        .find(|b| b.mode == mode && b.action == action)
        .map(binding_keys)
        .unwrap_or_default()
}

/// The decision keys, as hints name them ("a/r/e/o/t/u").
pub fn decision_keys() -> String {
    keys_of(&[
        Action::Attest,
        Action::Revoke,
        Action::Exception,
        Action::Reassign,
        Action::Rotate,
        Action::Undo,
    ])
}

/// The keys that decide several items at once: rotate is one credential
/// at a time, so a hint over marks or a person leaves it out.
pub fn bulk_decision_keys() -> String {
    keys_of(&[
        Action::Attest,
        Action::Revoke,
        Action::Exception,
        Action::Reassign,
        Action::Undo,
    ])
}

fn keys_of(actions: &[Action]) -> String {
    actions
        .iter()
        .map(|a| keys_for(ModeKind::Browse, *a))
        .collect::<Vec<_>>()
        .join("/")
}

/// One line of the help: the keys and what they do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub help: &'static str,
}

/// The help for one mode, in map order: exactly its bindings.
pub fn help_for(mode: ModeKind) -> Vec<HelpEntry> {
    BINDINGS
        .iter()
        .filter(|b| b.mode == mode)
        .map(|b| HelpEntry {
            keys: binding_keys(b),
            help: b.help,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn every_binding_resolves_to_its_own_action() {
        for binding in BINDINGS {
            for key in binding.keys {
                assert_eq!(
                    resolve(binding.mode, &press(key.code, key.modifiers)),
                    Some(binding.action),
                    "{} in {:?}",
                    key_label(key),
                    binding.mode
                );
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_mode() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.mode == b.mode {
                    for key in a.keys {
                        assert!(!b.keys.contains(key), "{} is bound twice", key_label(key));
                    }
                }
            }
        }
    }

    #[test]
    fn every_action_is_reachable_by_some_key() {
        for action in Action::ALL {
            assert!(
                BINDINGS
                    .iter()
                    .any(|b| b.action == *action && !b.keys.is_empty()),
                "{action:?} has no key"
            );
        }
    }

    #[test]
    fn every_mode_has_a_way_out() {
        for (mode, _) in MODES {
            let leaves = BINDINGS.iter().any(|b| {
                b.mode == mode
                    && matches!(
                        b.action,
                        Action::Quit
                            | Action::Cancel
                            | Action::Close
                            | Action::No
                            | Action::Save
                            | Action::Apply
                    )
            });
            assert!(leaves, "{mode:?} cannot be left");
        }
    }

    #[test]
    fn help_lists_exactly_the_map() {
        let listed: usize = MODES.iter().map(|(mode, _)| help_for(*mode).len()).sum();
        assert_eq!(listed, BINDINGS.len(), "every binding once, nothing else");
        for binding in BINDINGS {
            let entries = help_for(binding.mode);
            assert!(
                entries.contains(&HelpEntry {
                    keys: binding_keys(binding),
                    help: binding.help,
                }),
                "{:?} missing from the help",
                binding.action
            );
        }
        assert!(
            BINDINGS
                .iter()
                .all(|b| MODES.iter().any(|(mode, _)| *mode == b.mode)),
            "every mode with keys has a help section"
        );
    }

    #[test]
    fn shifted_capitals_still_match() {
        let event = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(resolve(ModeKind::Browse, &event), Some(Action::Last));
        let plain_capital = press(KeyCode::Char('J'), KeyModifiers::NONE);
        assert_eq!(
            resolve(ModeKind::Browse, &plain_capital),
            Some(Action::ScrollDetailDown)
        );
        let back_tab = press(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            resolve(ModeKind::Editor, &back_tab),
            Some(Action::PreviousField)
        );
        assert_eq!(keys_for(ModeKind::Editor, Action::Save), "Ctrl+S");
        assert_eq!(keys_for(ModeKind::Browse, Action::Quit), "q/Ctrl+C");
    }

    #[test]
    fn keys_vim_and_less_users_type_by_habit_open_no_dialog() {
        // `g g` and `G` are the top and the bottom there; `/`, `n`, `N`
        // search; none of them may start a decision.
        for c in [
            'g', 'G', 'n', 'N', 'j', 'k', 'h', 'l', 'b', 'w', 'q', 'y', 'p', 'x', 'z', 'Z',
        ] {
            let action = resolve(
                ModeKind::Browse,
                &press(KeyCode::Char(c), KeyModifiers::NONE),
            );
            assert!(
                !matches!(
                    action,
                    Some(
                        Action::Attest
                            | Action::Revoke
                            | Action::Exception
                            | Action::Reassign
                            | Action::Rotate
                            | Action::Undo
                            | Action::UndoLast
                            | Action::SignOff
                            | Action::CloseCampaign
                    )
                ),
                "{c} opens {action:?}"
            );
        }
        let g = press(KeyCode::Char('g'), KeyModifiers::NONE);
        assert_eq!(resolve(ModeKind::Browse, &g), Some(Action::First));
        assert_eq!(
            resolve(ModeKind::Browse, &press(KeyCode::Home, KeyModifiers::NONE)),
            Some(Action::First)
        );
    }

    #[test]
    fn keys_the_text_fields_need_are_left_to_them() {
        // Letters typed into a note, a search or a dialog field must reach
        // the text, so those modes bind no plain letters.
        for binding in BINDINGS.iter().filter(|b| {
            matches!(
                b.mode,
                ModeKind::Editor | ModeKind::Search | ModeKind::GoTo | ModeKind::Lifecycle
            )
        }) {
            for key in binding.keys {
                assert!(
                    !(matches!(key.code, KeyCode::Char(_)) && key.modifiers.is_empty()),
                    "{} would be swallowed in {:?}",
                    key_label(key),
                    binding.mode
                );
            }
        }
    }
}
