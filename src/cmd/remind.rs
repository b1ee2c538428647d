//! `recert remind CAMPAIGN --out DIR`: one Markdown worklist per reviewer
//! with items nobody has decided (how many, the due date, the riskiest
//! items with their ids, the commands that open them), and `index.csv`
//! (`email,undecided,overdue,file`) for a mail merge. The campaign owner's
//! work in a shared database. Every file is its owner's alone (0600, the
//! directory 0700 when recert creates it), appears complete or not at all,
//! and is never the database or a file beside it; imported text is
//! escaped for Markdown and CSV cells cannot run as formulas.

use super::pending::shell_word;
use super::{CheckFailed, Env, refused};
use crate::cli::RemindArgs;
use crate::domain::CampaignState;
use crate::domain::text::sanitize;
use crate::report::csv::neutralize;
use crate::report::markdown::escape;
use crate::rules::stalled::{days_overdue, require_owner};
use crate::store::{CampaignSummary, ItemRow};
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

/// Items listed in a worklist; the console has the rest.
const LISTED: usize = 50;

const WHAT: &str = "a worklist";

/// One reviewer's worklist.
struct Worklist {
    reviewer: String,
    undecided: u64,
    file: String,
    riskiest: Vec<ItemRow>,
}

pub fn run(args: &RemindArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let actor = env.actor()?;
    let campaign = store.campaign(&args.campaign)?;
    require_owner(
        store.mode()?,
        actor,
        &campaign.name,
        &campaign.owner,
        "reminding the reviewers of",
    )
    .map_err(refused)?;
    if campaign.state != CampaignState::Open {
        return Err(CheckFailed(
            sanitize(&format!(
                "campaign {:?} is {}: it takes no more decisions, so nobody is reminded",
                campaign.name, campaign.state
            ))
            .into_owned(),
        )
        .into());
    }
    let dir = &args.out;
    let shown = sanitize(&dir.display().to_string()).into_owned();
    if dir.exists() && !dir.is_dir() {
        return Err(CheckFailed(format!("{shown} is not a directory; nothing was written")).into());
    }
    let mut lists = Vec::new();
    let mut taken = BTreeSet::new();
    for progress in store.dashboard(campaign.id, 0)?.reviewers {
        let waiting = progress.assigned - progress.decided.min(progress.assigned);
        if waiting == 0 {
            continue;
        }
        let (undecided, riskiest) = store.waiting_items(campaign.id, &progress.reviewer, LISTED)?;
        if undecided == 0 {
            continue;
        }
        let file = file_name(&progress.reviewer, &mut taken);
        lists.push(Worklist {
            reviewer: progress.reviewer,
            undecided,
            file,
            riskiest,
        });
    }
    lists.sort_by(|a, b| a.reviewer.cmp(&b.reviewer));
    crate::files::create_private_dirs(dir).wrap_err_with(|| format!("cannot create {shown}"))?;
    let today = env.today();
    let overdue = days_overdue(campaign.due, today) > 0;
    for list in &lists {
        let text = worklist(&campaign, list, today);
        write_file(&dir.join(&list.file), text.as_bytes(), env)?;
    }
    let mut index = csv::Writer::from_writer(Vec::new());
    index.write_record(["email", "undecided", "overdue", "file"])?;
    for list in &lists {
        let overdue_items = if overdue { list.undecided } else { 0 };
        index.write_record([
            neutralize(&list.reviewer).as_ref(),
            &list.undecided.to_string(),
            &overdue_items.to_string(),
            neutralize(&list.file).as_ref(),
        ])?;
    }
    let index = index.into_inner().map_err(|e| e.into_error())?;
    write_file(&dir.join("index.csv"), &index, env)?;
    for list in &lists {
        outln!(
            "{}",
            sanitize(&format!(
                "{}: {} undecided → {}",
                list.reviewer, list.undecided, list.file
            ))
        )?;
    }
    outln!("wrote {} worklists and index.csv to {shown}", lists.len())?;
    Ok(())
}

/// Writes `bytes` to `path` owner-only, complete or not at all.
fn write_file(path: &Path, bytes: &[u8], env: &Env) -> Result<()> {
    let shown = sanitize(&path.display().to_string()).into_owned();
    crate::files::check_target(path, &env.db, WHAT)?;
    let mut file = crate::files::private_temp_beside(path, ".recert-remind-")
        .wrap_err_with(|| format!("cannot write {shown}"))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    crate::files::check_target(path, &env.db, WHAT)?;
    file.persist(path)
        .wrap_err_with(|| format!("cannot write {shown}"))?;
    Ok(())
}

/// A file name for a reviewer's worklist: their e-mail with anything but
/// letters, digits, `@`, `.`, `-` and `_` replaced, never hidden, never
/// `index`, and unlike any name already `taken`.
fn file_name(reviewer: &str, taken: &mut BTreeSet<String>) -> String {
    let mut stem: String = reviewer
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@.-_".contains(c) {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if stem.is_empty() || stem.starts_with('.') || stem == "index" {
        stem.insert(0, '_');
    }
    let mut name = format!("{stem}.md");
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{stem}-{n}.md");
        n += 1;
    }
    name
}

fn worklist(campaign: &CampaignSummary, list: &Worklist, today: chrono::NaiveDate) -> String {
    let name = shell_word(&campaign.name);
    let late = days_overdue(campaign.due, today);
    let when = match late {
        0 => format!(
            "due {} ({} days left)",
            campaign.due,
            (campaign.due - today).num_days()
        ),
        n => format!("due {}: **overdue by {n} days**", campaign.due),
    };
    let mut out = format!(
        "# Worklist: {}\n\nFor {}: {} items wait for your decision in campaign {}, {when}.\n\n\
         Open them in the console, or decide one by its id:\n\n    {}\n    {}\n\n",
        escape(&campaign.name),
        escape(&list.reviewer),
        list.undecided,
        escape(&campaign.name),
        sanitize(&format!("recert review {name}")),
        sanitize(&format!(
            "recert decide {name} ID attest|revoke|exception|reassign|rotate … --note TEXT"
        )),
    );
    out.push_str("Riskiest first:\n\n| id | risk | identity | system | entitlement | flags | recommendation |\n|---|---|---|---|---|---|---|\n");
    for item in &list.riskiest {
        let flags: Vec<&str> = item.flags.iter().map(|f| f.name()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            item.id.0,
            item.score,
            escape(&format!("{} ({})", item.identity_name, item.identity_id)),
            escape(&item.system),
            escape(&item.entitlement),
            escape(&flags.join(", ")),
            escape(item.recommendation.as_str()),
        ));
    }
    let more = list.undecided.saturating_sub(list.riskiest.len() as u64);
    if more > 0 {
        out.push_str(&format!(
            "\n… and {more} more: the console shows every one.\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::file_name;
    use std::collections::BTreeSet;

    #[test]
    fn worklist_names_are_safe_distinct_and_never_the_index() {
        let mut taken = BTreeSet::new();
        assert_eq!(
            file_name("A.Kowalski@x.example", &mut taken),
            "a.kowalski@x.example.md"
        );
        assert_eq!(
            file_name("a.kowalski@x.example", &mut taken),
            "a.kowalski@x.example-2.md"
        );
        assert_eq!(
            file_name("../../etc/passwd", &mut taken),
            "_.._.._etc_passwd.md"
        );
        assert_eq!(file_name(".hidden", &mut taken), "_.hidden.md");
        assert_eq!(file_name("index", &mut taken), "_index.md");
        assert_eq!(file_name("", &mut taken), "_.md");
    }
}
