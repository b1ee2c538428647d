//! The key map as data: for each mode, which keys mean which action, and
//! the help text. The event loop resolves keys through it and the help is
//! drawn from it, so the two cannot drift apart.

use super::action::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The input modes that have their own keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModeKind {
    Browse,
    Note,
}

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

pub const BINDINGS: &[Binding] = &[
    Binding {
        mode: ModeKind::Browse,
        keys: &[ch('j'), plain(KeyCode::Down)],
        action: Action::Down,
        help: "next item",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[ch('k'), plain(KeyCode::Up)],
        action: Action::Up,
        help: "previous item",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[plain(KeyCode::PageDown), ctrl('d')],
        action: Action::PageDown,
        help: "next page",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[plain(KeyCode::PageUp), ctrl('u')],
        action: Action::PageUp,
        help: "previous page",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[plain(KeyCode::Home)],
        action: Action::First,
        help: "first item",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[plain(KeyCode::End), ch('G')],
        action: Action::Last,
        help: "last item",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[ch('a')],
        action: Action::Attest,
        help: "attest: keep the access",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[ch('r')],
        action: Action::Revoke,
        help: "revoke the access (with a note)",
    },
    Binding {
        mode: ModeKind::Browse,
        keys: &[ch('q'), ctrl('c')],
        action: Action::Quit,
        help: "quit (every decision is already saved)",
    },
    Binding {
        mode: ModeKind::Note,
        keys: &[ctrl('s')],
        action: Action::SaveNote,
        help: "save the note and record the decision",
    },
    Binding {
        mode: ModeKind::Note,
        keys: &[plain(KeyCode::Esc)],
        action: Action::CancelNote,
        help: "cancel: nothing is recorded",
    },
];

fn matches(key: &Key, event: &KeyEvent) -> bool {
    // Terminals disagree on whether a typed capital carries SHIFT.
    let modifiers = match event.code {
        KeyCode::Char(_) => event.modifiers - KeyModifiers::SHIFT,
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
        other => format!("{other:?}"),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl+{}", name.to_uppercase())
    } else {
        name
    }
}

/// The keys of an action, as help shows them ("j/↓").
pub fn keys_for(mode: ModeKind, action: Action) -> String {
    BINDINGS
        .iter()
        .find(|b| b.mode == mode && b.action == action)
        .map(|b| b.keys.iter().map(key_label).collect::<Vec<_>>().join("/"))
        .unwrap_or_default()
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
    fn shifted_capitals_still_match() {
        let event = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(resolve(ModeKind::Browse, &event), Some(Action::Last));
        assert_eq!(keys_for(ModeKind::Note, Action::SaveNote), "Ctrl+S");
    }
}
