//! Whether the console uses colour, decided once at start-up from the
//! environment and the terminal's description: `NO_COLOR` (any non-empty
//! value), a terminal that has none (`TERM=dumb`, a `-mono` entry, or a
//! terminfo entry with fewer than 8 colours) turn colours off. Attributes
//! (bold, reverse) stay: meaning never rests on colour alone.

use std::path::PathBuf;

/// What the decision rests on, read from the environment by [`detect`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terminal {
    pub no_color: Option<String>,
    pub term: Option<String>,
    /// The terminfo entry's `colors`, when one was found and has it.
    pub colors: Option<i32>,
}

/// Whether to use colours on this terminal.
pub fn use_color(t: &Terminal) -> bool {
    if t.no_color.as_deref().is_some_and(|v| !v.is_empty()) {
        return false;
    }
    let term = t.term.as_deref().unwrap_or("").trim();
    if term.is_empty() || term == "dumb" || term.ends_with("-mono") || term.ends_with("-m") {
        return false;
    }
    t.colors.is_none_or(|n| n >= 8)
}

/// Reads the environment and the terminfo database for [`use_color`].
pub fn detect() -> Terminal {
    let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let term = var("TERM");
    let colors = term
        .as_deref()
        .and_then(|t| terminfo_file(t, var("TERMINFO"), var("HOME")))
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| terminfo_colors(&bytes));
    Terminal {
        no_color: var("NO_COLOR"),
        term,
        colors,
    }
}

/// The compiled terminfo entry of `term`, where ncurses looks for it.
fn terminfo_file(term: &str, terminfo: Option<String>, home: Option<String>) -> Option<PathBuf> {
    let first = term.chars().next()?;
    // A name with a path separator would look outside the database.
    if term.contains('/') || term.contains("..") {
        return None;
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    dirs.extend(terminfo.map(PathBuf::from));
    dirs.extend(home.map(|h| PathBuf::from(h).join(".terminfo")));
    dirs.extend(
        [
            "/etc/terminfo",
            "/lib/terminfo",
            "/usr/share/terminfo",
            "/usr/lib/terminfo",
        ]
        .map(PathBuf::from),
    );
    let subdirs = [first.to_string(), format!("{:x}", first as u32)];
    dirs.iter()
        .flat_map(|d| subdirs.iter().map(move |s| d.join(s).join(term)))
        .find(|p| p.is_file())
}

/// The `colors` number of a compiled terminfo entry (legacy 16-bit or
/// extended 32-bit numbers); `None` when it is absent or the bytes are
/// not an entry.
pub fn terminfo_colors(bytes: &[u8]) -> Option<i32> {
    // `colors` is the 14th number of the standard order.
    const COLORS: usize = 13;
    let short = |at: usize| -> Option<i32> {
        let b = bytes.get(at..at + 2)?;
        Some(i32::from(i16::from_le_bytes([b[0], b[1]])))
    };
    let number_size = match short(0)? {
        0o432 => 2,
        0o1036 => 4,
        _ => return None,
    };
    let count = |i: usize| short(2 + 2 * i).and_then(|n| usize::try_from(n).ok());
    let (names, booleans, numbers) = (count(0)?, count(1)?, count(2)?);
    if COLORS >= numbers {
        return None;
    }
    let mut at = 12 + names + booleans;
    // Numbers start on an even byte.
    at += at % 2;
    at += COLORS * number_size;
    let n = if number_size == 2 {
        short(at)?
    } else {
        let b = bytes.get(at..at + 4)?;
        i32::from_le_bytes([b[0], b[1], b[2], b[3]])
    };
    // -1 is absent, -2 cancelled.
    (n >= 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terminal(no_color: Option<&str>, term: Option<&str>, colors: Option<i32>) -> Terminal {
        Terminal {
            no_color: no_color.map(String::from),
            term: term.map(String::from),
            colors,
        }
    }

    #[test]
    fn colour_only_where_the_terminal_has_it_and_nobody_said_no() {
        assert!(use_color(&terminal(
            None,
            Some("xterm-256color"),
            Some(256)
        )));
        assert!(use_color(&terminal(None, Some("screen"), None)));
        assert!(use_color(&terminal(Some(""), Some("xterm"), Some(8))));
        for off in [
            terminal(Some("1"), Some("xterm-256color"), Some(256)),
            terminal(None, Some("dumb"), None),
            terminal(None, Some("xterm-mono"), None),
            terminal(None, Some("vt52"), Some(2)),
            terminal(None, None, None),
            terminal(None, Some(""), None),
        ] {
            assert!(!use_color(&off), "{off:?}");
        }
    }

    /// A compiled entry with `numbers` (standard order), as `tic` writes it.
    fn entry(magic: i16, numbers: &[i32]) -> Vec<u8> {
        let names = b"test|a test terminal\0";
        let booleans = 3;
        let mut out = Vec::new();
        for v in [
            magic,
            names.len() as i16,
            booleans,
            numbers.len() as i16,
            0,
            0,
        ] {
            out.extend(v.to_le_bytes());
        }
        out.extend(names);
        out.extend(std::iter::repeat_n(1u8, booleans as usize));
        if out.len() % 2 == 1 {
            out.push(0);
        }
        for n in numbers {
            if magic == 0o432 {
                out.extend((*n as i16).to_le_bytes());
            } else {
                out.extend(n.to_le_bytes());
            }
        }
        out
    }

    #[test]
    fn terminfo_says_how_many_colours() {
        let mut numbers = vec![-1; 15];
        numbers[13] = 256;
        assert_eq!(terminfo_colors(&entry(0o432, &numbers)), Some(256));
        assert_eq!(terminfo_colors(&entry(0o1036, &numbers)), Some(256));
        numbers[13] = -1;
        assert_eq!(terminfo_colors(&entry(0o432, &numbers)), None);
        assert_eq!(terminfo_colors(&entry(0o432, &[80, 0, 24])), None);
        assert_eq!(terminfo_colors(b"not terminfo"), None);
        assert_eq!(terminfo_colors(&[]), None);
    }

    #[test]
    fn the_installed_xterm_entry_reads_when_there_is_one() {
        // Only where the system has the entry: proves the path and layout
        // against a real database without depending on one.
        if let Some(path) = terminfo_file("xterm-256color", None, None)
            && let Ok(bytes) = std::fs::read(path)
        {
            assert_eq!(terminfo_colors(&bytes), Some(256));
        }
        assert_eq!(terminfo_file("../../etc/passwd", None, None), None);
    }
}
