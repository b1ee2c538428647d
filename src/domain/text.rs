//! Imported text is hostile: before any of it reaches a terminal, control
//! characters, escape sequences, bidirectional overrides and characters
//! that draw nothing are shown as visible escapes, so data can neither
//! drive the terminal nor disguise itself (`a\u{200d}@x` is not `a@x`).

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters that must never reach a terminal raw.
fn is_unsafe(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control() || is_invisible(c)
}

/// Characters that draw nothing, or change how their neighbours are drawn
/// or ordered: a name holding one looks like another name, or hides text.
/// Variation selectors are among them (an emoji's `U+FE0F` is shown as an
/// escape too): they draw nothing of their own and can carry hidden data.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{061C}' // Arabic letter mark
            | '\u{115F}' | '\u{1160}' // Hangul choseong and jungseong fillers
            | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}' // Mongolian variation selectors, vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space, (non-)joiner, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, isolates
            | '\u{3164}' // Hangul filler
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}' // zero-width no-break space (a BOM)
            | '\u{FFA0}' // halfwidth Hangul filler
            | '\u{FFF0}'..='\u{FFFB}' // reserved ignorables, interlinear annotation
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}' // musical formatting
            // Tags, variation selectors supplement, and the rest of the
            // plane's block Unicode reserves as default-ignorable.
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Printable ASCII only (and line feeds where `newlines`): nothing to
/// escape. Checked first, byte by byte, as nearly all text is.
fn is_plain(text: &str, newlines: bool) -> bool {
    text.bytes()
        .all(|b| (0x20..0x7f).contains(&b) || (newlines && b == b'\n'))
}

/// Whether `text` draws on one line as it is: nothing in it is a control
/// or draws nothing. Who acts must be named so: `a\u{200b}@x` would be
/// recorded as somebody who is not `a@x` and looks like her.
pub fn draws_as_is(text: &str) -> bool {
    matches!(sanitize(text), Cow::Borrowed(_))
}

/// Text safe to draw on one line: every unsafe character becomes a visible
/// escape (`\n`, `\x1b`, `\u{202e}`, `\u{200b}`).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if is_plain(text, false) || !text.chars().any(is_unsafe) {
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
/// a CSI to some terminals), bidirectional overrides and invisible
/// characters raw; those can only occur inside strings, where `\uXXXX`
/// (a surrogate pair beyond the Basic Multilingual Plane) means the same.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    let raw = |c: char| is_unsafe(c) && c as u32 >= 0x7f;
    if is_plain(json, true) || !json.chars().any(raw) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if raw(c) {
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`sanitize`] but keeps line breaks, for multi-line notes.
pub fn sanitize_multiline(text: &str) -> String {
    if is_plain(text, true) {
        return text.to_string();
    }
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
        for text in [
            "Zoë Ångström — 東京",
            "plain ascii@x",
            "",
            "한국어 नमस्ते 😀",
            "مرحبا",
        ] {
            assert!(matches!(sanitize(text), Cow::Borrowed(_)), "{text}");
            assert!(matches!(json_for_terminal(text), Cow::Borrowed(_)));
            assert_eq!(sanitize_multiline(text), text);
        }
    }

    /// One example of every class of invisible character, each shown.
    const INVISIBLE: &[(char, &str)] = &[
        ('\u{200B}', "zero-width space"),
        ('\u{200C}', "zero-width non-joiner"),
        ('\u{200D}', "zero-width joiner"),
        ('\u{2060}', "word joiner"),
        ('\u{2061}', "function application"),
        ('\u{2062}', "invisible times"),
        ('\u{2063}', "invisible separator"),
        ('\u{2064}', "invisible plus"),
        ('\u{2028}', "line separator"),
        ('\u{2029}', "paragraph separator"),
        ('\u{E0001}', "language tag"),
        ('\u{E0041}', "tag latin capital a"),
        ('\u{E007F}', "cancel tag"),
        ('\u{00AD}', "soft hyphen"),
        ('\u{115F}', "Hangul choseong filler"),
        ('\u{1160}', "Hangul jungseong filler"),
        ('\u{3164}', "Hangul filler"),
        ('\u{FFA0}', "halfwidth Hangul filler"),
        ('\u{FEFF}', "zero-width no-break space"),
        ('\u{034F}', "combining grapheme joiner"),
        ('\u{180E}', "Mongolian vowel separator"),
        ('\u{180B}', "Mongolian free variation selector"),
        ('\u{FE0F}', "variation selector 16"),
        ('\u{E0100}', "variation selector 17"),
        ('\u{17B4}', "Khmer inherent vowel"),
        ('\u{FFF9}', "interlinear annotation anchor"),
        ('\u{1D173}', "musical begin beam"),
        ('\u{206A}', "inhibit symmetric swapping"),
        ('\u{1BCA0}', "shorthand format letter overlap"),
        ('\u{1BCA3}', "shorthand format up step"),
        ('\u{FFF0}', "reserved default-ignorable"),
        ('\u{E0080}', "reserved default-ignorable after the tags"),
        (
            '\u{E01F0}',
            "reserved default-ignorable after the selectors",
        ),
    ];

    #[test]
    fn invisible_characters_become_visible() {
        for (c, name) in INVISIBLE {
            let text = format!("a{c}@x");
            let shown = sanitize(&text);
            assert_eq!(shown, format!("a\\u{{{:x}}}@x", *c as u32), "{name}");
            assert_eq!(sanitize_multiline(&text), shown, "{name}");
        }
        assert_eq!(sanitize("a\u{200d}@x"), "a\\u{200d}@x", "not a@x");
        assert_eq!(sanitize("tag\u{E0041}\u{E007F}"), "tag\\u{e0041}\\u{e007f}");
    }

    #[test]
    fn json_escapes_invisible_characters_as_the_same_string() {
        for (c, name) in INVISIBLE {
            let value = serde_json::json!({ "name": format!("a{c}@x") });
            let json = serde_json::to_string_pretty(&value).unwrap();
            let safe = json_for_terminal(&json);
            assert!(!safe.contains(*c), "{name}: {safe}");
            let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
            assert_eq!(back, value, "{name}");
        }
        let tag = json_for_terminal("\"\u{E0041}\"");
        assert_eq!(tag, "\"\\udb40\\udc41\"", "a surrogate pair beyond the BMP");
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
