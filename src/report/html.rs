//! HTML for the human-readable report: one self-contained file (styles
//! inline, no scripts, nothing fetched) that prints well. Every piece of
//! text is escaped, and control characters are shown as visible escapes.
//! A Content-Security-Policy forbids scripts and fetches besides, so a
//! browser would refuse any that escaping ever let through.

use super::render::Renderer;
use crate::domain::text::sanitize_multiline;
use std::io::{self, Write};

const STYLE: &str = "
body { font: 13px/1.45 system-ui, sans-serif; color: #111; margin: 2em auto; max-width: 80em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #999; break-after: avoid; }
p.meta { color: #444; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.4em; text-align: left; vertical-align: top; }
th { background: #eee; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.kv th { width: 12em; }
.alert { background: #fde2e1; color: #7a0000; font-weight: bold; }
p.alert { border-left: 4px solid #b00000; padding: 0.4em 0.6em; }
code { word-break: break-all; }
td.date { white-space: nowrap; }
td.reasons { min-width: 18em; }
@media print { body { margin: 0; max-width: none; font-size: 10px; } a { color: inherit; } }
";

/// Nothing but the inline style sheet: no script, no fetch, no form.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                       form-action 'none'";

/// The class of a column's cells, by its header, for the crowded item
/// tables: dates and times keep each line whole (a browser would break
/// `2026-01-05` at its hyphens), and the reasons get room to be read.
fn column_class(header: &str) -> &'static str {
    match header {
        "Evidence dates" | "Time" | "When" | "Revoked at" => " class=\"date\"",
        "Flags and reasons" => " class=\"reasons\"",
        _ => "",
    }
}

pub struct Html<'a> {
    out: &'a mut dyn Write,
    /// Per column of the open table: its cells' class attribute.
    classes: Vec<&'static str>,
}

impl<'a> Html<'a> {
    pub fn new(out: &'a mut dyn Write) -> Self {
        Html {
            out,
            classes: Vec::new(),
        }
    }
}

/// Escapes text for HTML element content and attribute values; line
/// breaks become `<br>`.
pub fn escape(text: &str) -> String {
    let clean = sanitize_multiline(text);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

impl Renderer for Html<'_> {
    fn begin(&mut self, title: &str, subtitle: &str) -> io::Result<()> {
        let title = escape(title);
        writeln!(
            self.out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1>{title}</h1>\n<p class=\"meta\">{}</p>",
            escape(subtitle)
        )
    }

    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "<h2>{}</h2>", escape(text))
    }

    fn paragraph(&mut self, text: &str, alert: bool) -> io::Result<()> {
        let class = if alert { " class=\"alert\"" } else { "" };
        writeln!(self.out, "<p{class}>{}</p>", escape(text))
    }

    fn key_values(&mut self, pairs: &[(&str, String)]) -> io::Result<()> {
        writeln!(self.out, "<table class=\"kv\">")?;
        for (key, value) in pairs {
            writeln!(
                self.out,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(key),
                escape(value)
            )?;
        }
        writeln!(self.out, "</table>")
    }

    fn bullets(&mut self, items: &[String]) -> io::Result<()> {
        writeln!(self.out, "<ul>")?;
        for item in items {
            writeln!(self.out, "<li>{}</li>", escape(item))?;
        }
        writeln!(self.out, "</ul>")
    }

    fn table_start(&mut self, headers: &[&str]) -> io::Result<()> {
        self.classes = headers.iter().map(|h| column_class(h)).collect();
        write!(self.out, "<table>\n<thead><tr>")?;
        for h in headers {
            write!(self.out, "<th>{}</th>", escape(h))?;
        }
        writeln!(self.out, "</tr></thead>\n<tbody>")
    }

    fn table_row(&mut self, cells: &[String], alert: bool) -> io::Result<()> {
        write!(
            self.out,
            "<tr{}>",
            if alert { " class=\"alert\"" } else { "" }
        )?;
        for (n, cell) in cells.iter().enumerate() {
            let class = self.classes.get(n).copied().unwrap_or_default();
            write!(self.out, "<td{class}>{}</td>", escape(cell))?;
        }
        writeln!(self.out, "</tr>")
    }

    fn table_end(&mut self) -> io::Result<()> {
        writeln!(self.out, "</tbody>\n</table>")
    }

    fn end(&mut self) -> io::Result<()> {
        writeln!(self.out, "</body>\n</html>")
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            escape("<img src=x onerror=\"alert('1')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(escape("a\nb"), "a<br>b");
        assert_eq!(escape("\u{1b}]0;t\u{7}"), "\\x1b]0;t\\x07");
    }
}
