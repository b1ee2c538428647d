//! `recert history IDENTITY_ID`: every campaign's items for one identity,
//! oldest campaign first: the decision in force, who decided, when, the
//! note, and what later snapshots proved of a revoke.

use super::table::Table;
use super::{CheckFailed, Env};
use crate::cli::HistoryArgs;
use crate::domain::decision::state_label;
use crate::domain::text::sanitize;
use crate::store::IdentityHistoryEntry;
use color_eyre::Result;
use serde::Serialize;

/// One line of the history, as `--json` writes it.
#[derive(Serialize)]
struct Entry<'a> {
    campaign: &'a str,
    item: i64,
    tenant: &'a str,
    identity_id: &'a str,
    identity_name: &'a str,
    system: &'a str,
    entitlement: &'a str,
    flags: Vec<&'static str>,
    recommendation: &'static str,
    reviewer: &'a str,
    state: &'static str,
    exception_until: Option<&'a str>,
    decided_by: Option<&'a str>,
    decided_at: Option<&'a str>,
    note: Option<&'a str>,
    remediation: Option<&'static str>,
}

impl<'a> Entry<'a> {
    fn of(e: &'a IdentityHistoryEntry) -> Entry<'a> {
        let r = &e.row;
        Entry {
            campaign: &e.campaign,
            item: r.id.0,
            tenant: &r.tenant,
            identity_id: &r.identity_id,
            identity_name: &r.identity_name,
            system: &r.system,
            entitlement: &r.entitlement,
            flags: r.flags.names(),
            recommendation: r.recommendation.as_str(),
            reviewer: &r.assignee,
            state: state_label(r.decision),
            exception_until: r.exception_until.as_deref(),
            decided_by: r.decided_by.as_deref(),
            decided_at: r.decided_at.as_deref(),
            note: r.note.as_deref(),
            remediation: r.remediation.map(|s| s.label()),
        }
    }
}

pub fn run(args: &HistoryArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let history = store.identity_history(args.identity_id.trim(), args.tenant.as_deref())?;
    if history.is_empty() {
        return Err(CheckFailed(
            sanitize(&format!(
                "no campaign holds an item of identity {:?}{}: `recert identities` lists them",
                args.identity_id,
                args.tenant
                    .as_deref()
                    .map(|t| format!(" in tenant {t:?}"))
                    .unwrap_or_default()
            ))
            .into_owned(),
        )
        .into());
    }
    let entries: Vec<Entry<'_>> = history.iter().map(Entry::of).collect();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&entries)?)?;
        return Ok(());
    }
    let mut table = Table::new(&[
        "CAMPAIGN",
        "ITEM",
        "TENANT",
        "SYSTEM",
        "ENTITLEMENT",
        "STATE",
        "DECIDED BY",
        "AT",
        "NOTE",
        "REMEDIATION",
    ]);
    for e in &entries {
        let state = match e.exception_until {
            Some(until) => format!("{} until {until}", e.state),
            None => e.state.to_string(),
        };
        table.row(vec![
            e.campaign.to_string(),
            e.item.to_string(),
            e.tenant.to_string(),
            e.system.to_string(),
            e.entitlement.to_string(),
            state,
            e.decided_by.unwrap_or("").to_string(),
            e.decided_at
                .map(|a| a.chars().take(10).collect())
                .unwrap_or_default(),
            e.note.unwrap_or("").to_string(),
            e.remediation.unwrap_or("").to_string(),
        ]);
    }
    out!("{}", table.render())?;
    let campaigns: std::collections::BTreeSet<&str> = entries.iter().map(|e| e.campaign).collect();
    outln!(
        "{}",
        sanitize(&format!(
            "{} {} of {} in {} {}",
            entries.len(),
            if entries.len() == 1 { "item" } else { "items" },
            entries[0].identity_name,
            campaigns.len(),
            if campaigns.len() == 1 {
                "campaign"
            } else {
                "campaigns"
            }
        ))
    )?;
    Ok(())
}
