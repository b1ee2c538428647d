//! `recert pending`: what waits for the acting person across open
//! campaigns (their undecided items, the items of those who delegated to
//! them, their part to sign), overdue first, each with the command that
//! continues it.

use super::Env;
use crate::domain::text::sanitize;
use crate::rules::stalled::days_overdue;
use crate::store::Waiting;
use color_eyre::Result;
use serde::Serialize;

/// Item ids shown per entry: enough to start on, the console has the rest.
const RISKIEST: usize = 5;

#[derive(Serialize)]
struct Entry<'a> {
    #[serde(flatten)]
    waiting: &'a Waiting,
    days_overdue: i64,
    riskiest: Vec<i64>,
    commands: Vec<String>,
}

pub fn run(json: bool, env: &Env) -> Result<()> {
    let store = env.open()?;
    let actor = env.actor()?;
    let today = env.today();
    let waiting = store.waiting_for(&actor.email, today, RISKIEST)?;
    let entries: Vec<Entry<'_>> = waiting
        .iter()
        .map(|w| Entry {
            waiting: w,
            days_overdue: days_overdue(w.due, today),
            riskiest: w.riskiest.iter().map(|i| i.id.0).collect(),
            commands: commands(w),
        })
        .collect();
    if json {
        return super::print_json(&serde_json::json!({
            "person": actor.email,
            "today": today.to_string(),
            "pending": entries,
        }));
    }
    if entries.is_empty() {
        outln!(
            "{}",
            sanitize(&format!(
                "nothing waits for {} in open campaigns",
                actor.email
            ))
        )?;
        return Ok(());
    }
    let mut text = String::new();
    for e in &entries {
        let when = match e.days_overdue {
            0 => format!("due {}", e.waiting.due),
            1 => format!("OVERDUE 1 day (due {})", e.waiting.due),
            n => format!("OVERDUE {n} days (due {})", e.waiting.due),
        };
        let what = match (e.waiting.kind, &e.waiting.delegated_by) {
            ("signoff", _) => format!(
                "your part to sign off: {} items you sponsor",
                e.waiting.items
            ),
            (_, Some(by)) => format!(
                "{} items of {by}, delegated to you (riskiest {})",
                e.waiting.items,
                ids(&e.riskiest)
            ),
            _ => format!(
                "{} items to decide (riskiest {})",
                e.waiting.items,
                ids(&e.riskiest)
            ),
        };
        text.push_str(&format!("{:?}: {what}; {when}\n", e.waiting.campaign));
        for command in &e.commands {
            text.push_str(&format!("    {command}\n"));
        }
    }
    out!("{}", crate::domain::text::sanitize_multiline(&text))?;
    Ok(())
}

fn ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The commands that continue an entry.
fn commands(w: &Waiting) -> Vec<String> {
    let campaign = shell_word(&w.campaign);
    match w.kind {
        "signoff" => vec![
            format!("recert signoff {campaign} --preview"),
            format!("recert signoff {campaign} --note TEXT"),
        ],
        _ => {
            let mut out = vec![format!("recert review {campaign}")];
            if let Some(first) = w.riskiest.first() {
                out.push(format!(
                    "recert decide {campaign} {} attest|revoke|exception|reassign|rotate … --note TEXT",
                    first.id.0
                ));
            }
            out
        }
    }
}

/// `text` as one word for a POSIX shell: as it is when nothing in it is
/// special, else in single quotes.
pub(super) fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/@+=%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn a_campaign_name_reads_back_as_one_shell_word() {
        assert_eq!(shell_word("Q4"), "Q4");
        assert_eq!(shell_word("Q4 partner review"), "'Q4 partner review'");
        assert_eq!(shell_word("it's $(rm)"), r"'it'\''s $(rm)'");
        assert_eq!(shell_word(""), "''");
    }
}
