//! `recert campaign due`: each scope reviewed before, its last campaign and
//! when the next review is due by the policy's cadence; exit 1 when one is
//! overdue, so that cron can say so.

use super::table::Table;
use super::{CheckFailed, Env};
use crate::domain::date::days_between;
use crate::domain::text::{count, sanitize};
use crate::domain::{Policy, Stamp};
use crate::store::ScopeReviewed;
use chrono::NaiveDate;
use color_eyre::Result;
use serde::Serialize;

/// One scope's next review.
#[derive(Debug, Serialize)]
struct Due {
    scope: Vec<String>,
    last_campaign: String,
    reviewed: NaiveDate,
    cadence_days: i64,
    next_due: NaiveDate,
    /// Days from today to `next_due`; negative when overdue.
    days_left: i64,
    overdue: bool,
}

fn due(scope: ScopeReviewed, policy: &Policy, today: NaiveDate) -> Option<Due> {
    // A creation time recert did not write has no day to count from.
    let reviewed = Stamp::parse(&scope.created_at).ok()?.day();
    let cadence_days = policy.cadence_for(&scope.relationships, scope.privileged);
    let next_due = reviewed.checked_add_days(chrono::Days::new(cadence_days.max(0) as u64))?;
    let days_left = days_between(today, next_due);
    Some(Due {
        scope: scope.scope,
        last_campaign: scope.campaign,
        reviewed,
        cadence_days,
        next_due,
        days_left,
        overdue: days_left < 0,
    })
}

pub fn run(within: Option<u32>, json: bool, env: &Env) -> Result<()> {
    let store = env.open()?;
    let today = env.today();
    let policy = env.policy();
    let mut listed: Vec<Due> = store
        .scopes_reviewed()?
        .into_iter()
        .filter_map(|s| due(s, policy, today))
        .filter(|d| within.is_none_or(|days| d.days_left <= i64::from(days)))
        .collect();
    listed.sort_by(|a, b| a.next_due.cmp(&b.next_due).then(a.scope.cmp(&b.scope)));
    let overdue = listed.iter().filter(|d| d.overdue).count();
    if json {
        super::print_json(&listed)?;
    } else if listed.is_empty() {
        outln!(
            "{}",
            match within {
                Some(days) => format!("no scope is due within {}", count(days as u64, "day")),
                None => "no scope has been reviewed yet: nothing is due".into(),
            }
        )?;
    } else {
        let mut table = Table::new(&[
            "SCOPE",
            "LAST CAMPAIGN",
            "REVIEWED",
            "CADENCE",
            "NEXT DUE",
            "STATUS",
        ]);
        for d in &listed {
            table.row(vec![
                sanitize(&scope_text(&d.scope)).into_owned(),
                sanitize(&d.last_campaign).into_owned(),
                d.reviewed.to_string(),
                count(d.cadence_days as u64, "day"),
                d.next_due.to_string(),
                status(d.days_left),
            ]);
        }
        out!("{}", table.render())?;
    }
    if overdue > 0 {
        return Err(CheckFailed(format!(
            "{} overdue for review",
            count(overdue as u64, "scope")
        ))
        .into());
    }
    Ok(())
}

fn scope_text(scope: &[String]) -> String {
    if scope.is_empty() {
        "everything".into()
    } else {
        scope.join(" and ")
    }
}

fn status(days_left: i64) -> String {
    match days_left {
        0 => "due today".into(),
        n if n < 0 => format!("OVERDUE by {}", count(n.unsigned_abs(), "day")),
        n => format!("due in {}", count(n as u64, "day")),
    }
}
