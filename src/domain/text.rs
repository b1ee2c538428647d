//! Imported text is hostile: before any of it reaches a terminal, control
//! characters, escape sequences and bidirectional overrides are shown as
//! visible escapes, so data can neither drive the terminal nor disguise
//! itself.

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters that must never reach a terminal raw.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Text safe to draw on one line: every unsafe character becomes a visible
/// escape (`\n`, `\x1b`, `\u{202e}`).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// JSON text made safe for a terminal without changing what it says.
/// serde_json escapes C0 controls but writes DEL, C1 controls (U+009B is
/// a CSI to some terminals) and bidirectional overrides raw; those can
/// only occur inside strings, where `\uXXXX` means the same character.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    let raw = |c: char| is_unsafe(c) && c as u32 >= 0x7f;
    if !json.chars().any(raw) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if raw(c) {
            // Every such character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`sanitize`] but keeps line breaks, for multi-line notes.
pub fn sanitize_multiline(text: &str) -> String {
    text.split('\n')
        .map(|line| sanitize(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// "1 decision", "3 decisions": a count with its noun (regular plurals).
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(sanitize("\u{1b}[2Jboom"), "\\x1b[2Jboom");
        assert_eq!(sanitize("\u{1b}]0;title\u{7}x"), "\\x1b]0;title\\x07x");
        assert_eq!(sanitize("a\u{9b}31m"), "a\\u{9b}31m");
        assert_eq!(sanitize("evil\u{202e}gnp.exe"), "evil\\u{202e}gnp.exe");
        assert_eq!(sanitize("two\nlines"), "two\\nlines");
        assert_eq!(sanitize("nul\0"), "nul\\x00");
    }

    #[test]
    fn ordinary_text_is_untouched_and_borrowed() {
        assert!(matches!(sanitize("Zoë Ångström — 東京"), Cow::Borrowed(_)));
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "item"), "1 item");
        assert_eq!(count(0, "item"), "0 items");
        assert_eq!(count(26, "revocation"), "26 revocations");
    }

    #[test]
    fn json_keeps_its_meaning_but_loses_raw_controls() {
        let value = serde_json::json!({
            "name": "a\u{1b}[2J\u{7f}\u{9b}31m\u{202e}gnp.exe\n",
            "plain": "Zoë",
        });
        let json = serde_json::to_string_pretty(&value).unwrap();
        assert!(json.contains('\u{9b}'), "serde_json writes C1 raw");
        let safe = json_for_terminal(&json);
        assert!(
            !safe.chars().any(|c| is_unsafe(c) && c != '\n'),
            "only the layout's own newlines remain: {safe}"
        );
        assert!(
            safe.contains("\\u009b") && safe.contains("\\u202e"),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value, "the same JSON value");
        assert!(matches!(
            json_for_terminal("{\"a\": \"Zoë\"}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn multiline_keeps_newlines_only() {
        assert_eq!(sanitize_multiline("a\u{1b}\nb\tc"), "a\\x1b\nb\\tc");
    }
}
