//! Reports: one module per output format, each streaming a campaign's
//! item rows as the store hands them over, so that a million-item campaign
//! never sits in memory; the CSV renders them on several threads
//! (`chunks.rs`). Markdown and HTML share one document (`document.rs`)
//! written through a small renderer per syntax, so both say exactly the
//! same. Everything a report reads comes from one read transaction, so its
//! counts, rows and chain head describe one moment.

mod chunks;
pub mod csv;
mod document;
pub mod groups;
pub mod html;
pub mod json;
pub mod markdown;
mod remediation;
mod render;
#[cfg(test)]
mod tests;

use crate::domain::DecisionKind;
use crate::domain::decision::state_label;
use crate::domain::insight::Finding;
use crate::domain::people::same_person;
use crate::domain::roster::Established;
use crate::store::{CampaignEvidence, CampaignSummary, Detail, ItemView, Store};
use std::io::Write;

pub type Error = Box<dyn std::error::Error>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Markdown,
    Html,
}

/// Who asked for the report, and when; every format states it.
#[derive(Clone, Debug)]
pub struct Generated {
    pub at: String,
    pub by: String,
}

/// What every format needs besides the streamed rows.
pub struct Context<'a> {
    pub campaign: &'a CampaignSummary,
    pub evidence: &'a CampaignEvidence,
    pub generated: &'a Generated,
    /// The output is a terminal: formats that keep text raw (CSV) show
    /// control characters as visible escapes instead.
    pub to_terminal: bool,
}

impl Context<'_> {
    /// The command that checks this report's chain head later.
    pub fn verify_command(&self) -> String {
        format!("recert verify --head {}", self.evidence.head_hash)
    }

    /// Whether the decision on `row` was made by someone who also signed
    /// the campaign off (the single admin's case), close actions aside.
    pub fn reviewed_by_signer(&self, row: &ItemView<'_>) -> bool {
        self.decided_by_signer(row.decided_by, row.close_action.is_some())
    }

    /// [`Context::reviewed_by_signer`] from the two facts it looks at.
    pub fn decided_by_signer(&self, decided_by: Option<&str>, close_action: bool) -> bool {
        !close_action && decided_by.is_some_and(|by| self.evidence.is_signer(by))
    }

    /// Short remarks an auditor should see beside an item.
    pub fn remarks(&self, row: &ItemView<'_>) -> Vec<&'static str> {
        let mut out = Vec::new();
        if row.self_review {
            out.push("self-review");
        }
        if self.reviewed_by_signer(row) {
            out.push("reviewer signed off");
        }
        if row.close_action.is_some() {
            out.push("close action");
        }
        if row.against_recommendation {
            out.push("against recommendation");
        }
        if row.bulk && row.close_action.is_none() {
            out.push("bulk");
        }
        if row.flags.contains(crate::domain::Flag::RevocationNotDone) {
            out.push("REVOCATION NOT DONE");
        }
        if let Some(status) = row.remediation {
            out.push(match status {
                crate::domain::RemediationStatus::Pending => "remediation pending",
                crate::domain::RemediationStatus::Verified => "remediation verified",
                crate::domain::RemediationStatus::StillEffective => "STILL EFFECTIVE",
            });
        }
        out
    }
}

impl Context<'_> {
    /// The day the report is generated on, which says whether a rotation
    /// is overdue.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::domain::Stamp::parse(&self.generated.at)
            .map(|s| s.day())
            .or_else(|_| {
                let day = self.generated.at.get(..10).unwrap_or_default();
                crate::domain::date::parse_day(day)
            })
            .unwrap_or_default()
    }

    /// The reasons for the row's flags, as the detail pane gives them:
    /// explained under the campaign's policy, as of its insights date.
    pub fn findings(&self, row: &ItemView<'_>) -> Vec<Finding> {
        row.findings(&self.campaign.policy, self.campaign.as_of)
    }

    /// The part an item with `sponsor` is in.
    pub fn part_of(&self, sponsor: Option<&str>) -> Option<&crate::store::Part> {
        let owner = &self.campaign.owner;
        let sponsored = sponsor
            .filter(|s| !s.trim().is_empty() && !same_person(s, owner))
            .unwrap_or(owner);
        self.evidence
            .parts
            .iter()
            .find(|p| same_person(&p.sponsor, sponsored))
    }
}

/// `asserted`, `os_user` or `ssh_key` from how the deciding event stored
/// its actor; empty for an item nobody decided. Events written before
/// recert recorded it stored nothing: their actors were all taken as stated.
pub fn established_method(via: Option<&str>, decided: bool) -> &'static str {
    if !decided {
        return "";
    }
    via.and_then(Established::parse)
        .map_or("asserted", |e| e.method())
}

/// The decision in force, as every format words it.
pub fn decision_text(row: &ItemView<'_>) -> String {
    let mut text = String::new();
    push_decision_text(&mut text, row.decision, row.exception_until, row.rotate_by);
    text
}

/// Appends [`decision_text`] of a row's decision, exception end and rotate
/// date to `out`.
pub fn push_decision_text(
    out: &mut String,
    decision: Option<DecisionKind>,
    exception_until: Option<&str>,
    rotate_by: Option<&str>,
) {
    out.push_str(state_label(decision));
    if let Some(until) = exception_until {
        out.push_str(" until ");
        out.push_str(until);
    }
    // As `decide --from` reads it back: "rotate by 2027-01-15".
    if let Some(by) = rotate_by {
        out.push_str(" by ");
        out.push_str(by);
    }
}

/// Writes the report of the campaign named `name` in `format`; returns how
/// many items it holds.
pub fn write(
    format: Format,
    store: &Store,
    name: &str,
    generated: &Generated,
    to_terminal: bool,
    out: &mut dyn Write,
) -> Result<u64, Error> {
    store.read_consistent(|store| {
        let campaign = store.campaign(name)?;
        // The CSV is rows only: it needs no per-reviewer signals.
        let detail = match format {
            Format::Csv => Detail::Brief,
            _ => Detail::Full,
        };
        let evidence = store.campaign_evidence(campaign.id, detail)?;
        let ctx = Context {
            campaign: &campaign,
            evidence: &evidence,
            generated,
            to_terminal,
        };
        match format {
            Format::Csv => csv::write(store, &ctx, out),
            Format::Json => json::write(store, &ctx, out),
            Format::Markdown => document::write(store, &ctx, &mut markdown::Markdown::new(out)),
            Format::Html => document::write(store, &ctx, &mut html::Html::new(out)),
        }
    })
}
