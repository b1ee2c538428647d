//! Shared fixtures for unit tests: stores seeded from the sample estate.

use crate::domain::{OnClose, Policy, ReviewerRule};
use crate::import::{Defaults, canonical};
use crate::store::{CampaignSummary, ImportCounts, NewCampaign, SnapshotMeta, Store};
use chrono::NaiveDate;

pub const SAMPLE: &str = include_str!("../../shared/fixtures/canonical/sample.csv");

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// Imports canonical CSV text that must be valid.
pub fn import(store: &mut Store, text: &str) -> ImportCounts {
    let mut session = store
        .begin_import(SnapshotMeta {
            file_name: "test.csv".into(),
            format: "canonical".into(),
            imported_at: "2026-11-01T09:00:00.000Z".into(),
            imported_by: "importer@test".into(),
            partial: false,
        })
        .expect("begin import");
    for row in canonical::Reader::new(text.as_bytes(), Defaults::default()).expect("header") {
        let (line, record) = row.expect("valid row");
        assert!(
            session.add(line, &record).expect("add").is_none(),
            "duplicate"
        );
    }
    session.commit("0", false).expect("commit")
}

/// A campaign over everything, reviewed by sponsors, as of `as_of`.
pub fn new_campaign(name: &str, as_of: &str) -> NewCampaign {
    NewCampaign {
        name: name.into(),
        due: day("2026-12-15"),
        as_of: day(as_of),
        scope: vec![],
        reviewer_rule: ReviewerRule::Sponsor,
        on_close: OnClose::Keep,
        owner: "m.santos@northwind.example.com".into(),
        created_at: "2026-11-01T09:30:00.000Z".into(),
        policy: Policy::default(),
    }
}

pub fn campaign(store: &mut Store, name: &str, as_of: &str) -> CampaignSummary {
    store
        .create_campaign(&new_campaign(name, as_of))
        .expect("create campaign")
}

/// An in-memory store with the sample imported and campaign "Q4" as of 2026-11-01.
pub fn sample_store() -> (Store, CampaignSummary) {
    let mut store = Store::open_in_memory().expect("memory store");
    import(&mut store, SAMPLE);
    let summary = campaign(&mut store, "Q4", "2026-11-01");
    (store, summary)
}
