//! Markdown for the human-readable report. Imported text is hostile: control
//! characters become visible escapes (the file may be printed to a
//! terminal), HTML is neutralised as entities, and the characters Markdown
//! would read as emphasis, code, links or table cells are backslash-escaped,
//! so data can neither format the document nor smuggle in a link.

use super::render::Renderer;
use crate::domain::text::sanitize_multiline;
use std::io::{self, Write};

pub struct Markdown<'a> {
    out: &'a mut dyn Write,
}

impl<'a> Markdown<'a> {
    pub fn new(out: &'a mut dyn Write) -> Self {
        Markdown { out }
    }
}

/// Escapes text for Markdown; line breaks become `<br>` so that a note
/// stays inside its table cell.
pub fn escape(text: &str) -> String {
    let clean = sanitize_multiline(text);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

impl Renderer for Markdown<'_> {
    fn begin(&mut self, title: &str, subtitle: &str) -> io::Result<()> {
        writeln!(self.out, "# {}\n\n{}", escape(title), escape(subtitle))
    }

    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "\n## {}\n", escape(text))
    }

    fn paragraph(&mut self, text: &str, alert: bool) -> io::Result<()> {
        if alert {
            writeln!(self.out, "> **⚠ {}**\n", escape(text))
        } else {
            writeln!(self.out, "{}\n", escape(text))
        }
    }

    fn key_values(&mut self, pairs: &[(&str, String)]) -> io::Result<()> {
        writeln!(self.out, "| | |\n|---|---|")?;
        for (key, value) in pairs {
            writeln!(self.out, "| **{}** | {} |", escape(key), escape(value))?;
        }
        writeln!(self.out)
    }

    fn bullets(&mut self, items: &[String]) -> io::Result<()> {
        for item in items {
            writeln!(self.out, "- {}", escape(item))?;
        }
        writeln!(self.out)
    }

    fn table_start(&mut self, headers: &[&str]) -> io::Result<()> {
        let cells: Vec<String> = headers.iter().map(|h| escape(h)).collect();
        writeln!(self.out, "| {} |", cells.join(" | "))?;
        writeln!(self.out, "|{}", "---|".repeat(headers.len()))
    }

    fn table_row(&mut self, cells: &[String], alert: bool) -> io::Result<()> {
        let mut line = String::from("|");
        for (n, cell) in cells.iter().enumerate() {
            line.push(' ');
            if alert && n == 0 {
                line.push_str("⚠ ");
            }
            line.push_str(&escape(cell));
            line.push_str(" |");
        }
        writeln!(self.out, "{line}")
    }

    fn table_end(&mut self) -> io::Result<()> {
        writeln!(self.out)
    }

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn data_cannot_format_link_or_break_a_table() {
        assert_eq!(
            escape("[click](javascript:alert(1)) | *bold* `code`"),
            "\\[click\\](javascript:alert(1)) \\| \\*bold\\* \\`code\\`"
        );
        assert_eq!(escape("<script>&"), "&lt;script&gt;&amp;");
        assert_eq!(escape("two\nlines"), "two<br>lines");
        assert_eq!(escape("\u{1b}[2J"), "\\\\x1b\\[2J");
        assert_eq!(escape("# not a heading"), "\\# not a heading");
    }
}
