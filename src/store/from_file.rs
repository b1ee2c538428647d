//! Decisions from a file (`decide CAMPAIGN --from FILE.csv`): every row
//! checked by the rules the console and `decide` follow, in one
//! transaction that records all of them or none. Unlike one decision, a
//! row's refusal does not end the work: every problem is gathered, so the
//! sender can fix the whole file at once.

use super::events::{
    ChainWriter, DecisionOutcome, DecisionRequest, FromFile, campaign_for_decisions,
    record_decision_from,
};
use super::{Acting, CampaignId, Result, Store, StoreError};
use crate::rules::{Refusal, decision};

/// One row of the file, as a decision to record.
#[derive(Clone, Debug)]
pub struct FileRow {
    pub line: u64,
    pub request: DecisionRequest,
}

/// The file the rows came from.
#[derive(Clone, Copy, Debug)]
pub struct FileSource<'a> {
    /// As the user named it.
    pub file: &'a str,
    pub sha256: &'a str,
}

/// What a row's decision was refused for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    pub line: u64,
    pub field: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FileDecisions {
    /// Nothing was recorded: these rows were refused.
    Refused(Vec<LineProblem>),
    /// Every row would be recorded as this, but nothing was (a dry run).
    Checked(Vec<DecisionOutcome>),
    Recorded(Vec<DecisionOutcome>),
}

/// The row's refusal as a problem on its line, or the error when it is
/// not the row's (the database failed): that ends the work.
fn problem(line: u64, error: StoreError) -> std::result::Result<LineProblem, StoreError> {
    let (field, message) = match error {
        StoreError::Refused(Refusal::Invalid { field, message }) => (field, message),
        StoreError::Refused(refusal) => ("decision", refusal.to_string()),
        e @ (StoreError::NoItem { .. } | StoreError::Conflict { .. }) => ("id", e.to_string()),
        e => return Err(e),
    };
    Ok(LineProblem {
        line,
        field,
        message,
    })
}

impl Store {
    /// Records `rows` as decisions from `source`, each event naming the
    /// file, its SHA-256 and the row's line; or, when any row is refused
    /// or `dry_run`, nothing. A campaign that takes no decisions at all is
    /// an error, not a problem of every line.
    pub fn decide_from_file(
        &mut self,
        campaign: CampaignId,
        acting: &Acting<'_>,
        source: FileSource<'_>,
        rows: &[FileRow],
        dry_run: bool,
    ) -> Result<FileDecisions> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let deciding = campaign_for_decisions(&tx, campaign)?;
        super::standing::refuse_if_cancelled(&tx, campaign, &deciding.name, "decisions")?;
        decision::accepts_decisions(&deciding.facts())?;
        let mut chain = ChainWriter::start(&tx)?;
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut problems = Vec::new();
        for row in rows {
            let from = FromFile {
                file: source.file.to_string(),
                sha256: source.sha256.to_string(),
                line: row.line,
            };
            // Each row is decided on its own, as its sender did in the
            // spreadsheet: not a bulk decision.
            match record_decision_from(
                &tx,
                &mut chain,
                &deciding,
                acting,
                false,
                &row.request,
                Some(from),
            ) {
                Ok(outcome) => outcomes.push(outcome),
                Err(e) => problems.push(problem(row.line, e)?),
            }
        }
        // Dropped uncommitted, the transaction rolls back.
        if !problems.is_empty() {
            return Ok(FileDecisions::Refused(problems));
        }
        if dry_run {
            return Ok(FileDecisions::Checked(outcomes));
        }
        tx.commit()?;
        Ok(FileDecisions::Recorded(outcomes))
    }
}
