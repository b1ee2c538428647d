//! Plain-text tables for the terminal: every cell sanitised, widths by
//! display columns, long cells cut with an ellipsis.

use crate::domain::text::sanitize;
use unicode_width::UnicodeWidthStr;

pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    max_width: usize,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
            max_width: 40,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        let cells = cells
            .into_iter()
            .map(|c| truncate(&sanitize(&c), self.max_width))
            .collect();
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.width());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut text = String::new();
            for (i, (cell, width)) in cells.zip(&widths).enumerate() {
                if i > 0 {
                    text.push_str("  ");
                }
                text.push_str(cell);
                text.push_str(&" ".repeat(width.saturating_sub(cell.width())));
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut self.headers.iter().copied());
        for row in &self.rows {
            line(&mut row.iter().map(String::as_str));
        }
        out
    }
}

/// Cuts `text` to at most `max` display columns.
pub fn truncate(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_sanitises() {
        let mut t = Table::new(&["ID", "NAME"]);
        t.row(vec!["1".into(), "evil\u{1b}[2J".into()]);
        t.row(vec!["22".into(), "東京".into()]);
        assert_eq!(t.render(), "ID  NAME\n1   evil\\x1b[2J\n22  東京\n");
    }

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("東京東京", 5), "東京…");
    }
}
