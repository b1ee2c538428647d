//! `recert items`: a campaign's items in risk order, as a table or JSON.

use super::table::Table;
use super::{Env, filters_arg};
use crate::cli::ItemsArgs;
use crate::domain::decision::state_label;
use crate::domain::framework::control_ids;
use crate::store::{EarlierDecision, EventSeq, ItemQuery, ItemView};
use color_eyre::Result;
use serde::Serialize;
use std::io::Write;

/// The JSON shape of one item, stable for scripts: what
/// [`crate::store::ItemRow`] holds, in this command's words and order.
#[derive(Serialize)]
pub struct ItemJson<'a> {
    id: i64,
    rank: i64,
    tenant: &'a str,
    identity_id: &'a str,
    identity_name: &'a str,
    kind: &'a str,
    relationship: &'a str,
    system: &'a str,
    entitlement: &'a str,
    flags: Vec<&'static str>,
    risk_score: i64,
    recommendation: &'static str,
    decision: Option<&'static str>,
    state: &'static str,
    /// The item's latest event: what `decide --expect-event` names to
    /// record on top of exactly what was seen.
    last_event: Option<EventSeq>,
    reviewer: &'a str,
    decided_by: Option<&'a str>,
    decided_at: Option<&'a str>,
    note: Option<&'a str>,
    exception_until: Option<&'a str>,
    /// A rotate's last day: the credential is to be rotated by then.
    rotate_by: Option<&'a str>,
    /// The framework controls the item's flags evidence.
    controls: Vec<&'static str>,
    /// `new`, `changed` or `unchanged` against the previous campaign of the
    /// same scope.
    since: &'a str,
    since_detail: Option<String>,
    /// The same grant's outcome in that previous campaign.
    previous: Option<EarlierDecision>,
    /// Issue 24, present when known: the partner tier (identity register)
    /// and what the entitlement catalog said when the item was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitivity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

impl<'a> ItemJson<'a> {
    pub fn of(
        row: &ItemView<'a>,
        since_detail: Option<String>,
        previous: Option<EarlierDecision>,
    ) -> ItemJson<'a> {
        ItemJson {
            id: row.id.0,
            rank: row.rank,
            tenant: row.tenant,
            identity_id: row.identity_id,
            identity_name: row.identity_name,
            kind: row.kind,
            relationship: row.relationship,
            system: row.system,
            entitlement: row.entitlement,
            flags: row.flags.names(),
            risk_score: row.score,
            recommendation: row.recommendation.as_str(),
            decision: row.decision.map(|d| d.as_str()),
            state: state_label(row.decision),
            last_event: row.last_event,
            reviewer: row.assignee,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            note: row.note,
            exception_until: row.exception_until,
            rotate_by: row.rotate_by,
            controls: control_ids(row.flags),
            since: row.since,
            since_detail,
            previous,
            tier: row.tier,
            sensitivity: row.sensitivity,
            description: row.description,
        }
    }
}

pub fn run(args: &ItemsArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let campaign = store.campaign(&args.campaign)?;
    let query = ItemQuery {
        campaign: campaign.id,
        filters: filters_arg(&args.filters)?,
        search: args.search.clone(),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        // Streamed, so that a million items never sit in memory at once.
        let mut first = true;
        write!(out, "[")?;
        store.for_each_item(&query, |row| {
            let sep = if first { "\n  " } else { ",\n  " };
            first = false;
            let previous = match row.previous_item {
                Some(item) => store.earlier_outcome(item)?,
                None => None,
            };
            let since_detail = match row.since {
                "changed" => store.since_detail(row.id)?,
                _ => None,
            };
            write!(
                out,
                "{sep}{}",
                crate::domain::text::json_for_terminal(&serde_json::to_string(&ItemJson::of(
                    row,
                    since_detail,
                    previous
                ))?)
            )?;
            Ok(())
        })?;
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
        return Ok(());
    }
    let mut table = Table::new(&[
        "ID",
        "STATE",
        "SINCE",
        "IDENTITY",
        "SYSTEM",
        "ENTITLEMENT",
        "FLAGS",
        "RECOMMENDATION",
        "REVIEWER",
    ]);
    store.for_each_item(&query, |row| {
        table.row(vec![
            row.id.to_string(),
            state_label(row.decision).to_string(),
            row.since.to_string(),
            row.identity_name.to_string(),
            row.system.to_string(),
            row.entitlement.to_string(),
            row.flags.codes(),
            row.recommendation.label().to_string(),
            row.assignee.to_string(),
        ]);
        Ok(())
    })?;
    write!(out, "{}", table.render())?;
    Ok(())
}
