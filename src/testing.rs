//! Shared fixtures for unit tests: stores seeded from the sample estate.

use crate::domain::{Decision, OnClose, Policy, ReviewerRule};
use crate::import::{Defaults, canonical};
use crate::store::{
    Acting, CampaignSummary, DecisionRequest, ImportCounts, ItemId, NewCampaign, SnapshotMeta,
    Store,
};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// The sample campaign's owner, who reviews items without a sponsor.
pub const OWNER: &str = "m.santos@northwind.example.com";
/// The sponsor of most sample identities, who also holds access herself.
pub const SPONSOR: &str = "a.kowalski@northwind.example.com";

pub const SAMPLE: &str = include_str!("../tests/fixtures/canonical/sample.csv");

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// What a test import of the identity register records about itself.
pub fn register_meta() -> SnapshotMeta {
    SnapshotMeta {
        file_name: "register.csv".into(),
        format: "register".into(),
        imported_at: "2026-11-01T09:00:00.000Z".into(),
        imported_by: "importer@test".into(),
        imported_via: "asserted".into(),
        partial: false,
        source_bytes: None,
    }
}

/// What a test import of canonical grants records about itself.
pub fn grant_meta() -> SnapshotMeta {
    SnapshotMeta {
        file_name: "test.csv".into(),
        format: "canonical".into(),
        imported_at: "2026-11-01T09:00:00.000Z".into(),
        imported_by: "importer@test".into(),
        imported_via: "asserted".into(),
        partial: false,
        source_bytes: None,
    }
}

/// Imports a catalog of `github` entitlements (name, sensitivity), every
/// tenant's, as one full catalog file imported on 2026-11-27.
pub fn catalog(store: &mut Store, entries: &[(&str, Option<&str>)]) {
    use crate::domain::catalog::CatalogEntry;
    let meta = SnapshotMeta {
        format: "catalog".into(),
        imported_at: "2026-11-27T09:00:00.000Z".into(),
        ..register_meta()
    };
    let mut session = store.begin_catalog_import(meta).expect("begin import");
    for (n, (name, sensitivity)) in entries.iter().enumerate() {
        let entry = CatalogEntry {
            tenant: String::new(),
            system: "github".into(),
            entitlement: (*name).into(),
            description: None,
            sensitivity: sensitivity.map(|s| s.parse().expect("a sensitivity")),
            data_classes: None,
            owner: None,
        };
        let problem = session.add(n as u64 + 2, &entry).expect("add");
        assert!(problem.is_none(), "duplicate");
    }
    session.commit("0", false).expect("commit");
}

/// Imports canonical CSV text that must be valid.
pub fn import(store: &mut Store, text: &str) -> ImportCounts {
    import_as(store, grant_meta(), text)
}

pub fn import_as(store: &mut Store, meta: SnapshotMeta, text: &str) -> ImportCounts {
    let mut session = store.begin_import(meta).expect("begin import");
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
        owner_via: "asserted".into(),
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

/// [`sample_store`] in the file `r.db` in `dir`, for what needs a real file
/// and its write-ahead log (other connections, checkpoints); with its path.
pub fn sample_file_store(dir: &Path) -> (PathBuf, Store, CampaignSummary) {
    let path = dir.join("r.db");
    let (mut store, _) = Store::create(&path).expect("file store");
    import(&mut store, SAMPLE);
    let summary = campaign(&mut store, "Q4", "2026-11-01");
    (path, store, summary)
}

/// Imports canonical CSV text as a complete (or `partial`) export named `file`.
pub fn import_file(store: &mut Store, file: &str, text: &str, partial: bool) -> ImportCounts {
    let meta = SnapshotMeta {
        file_name: file.into(),
        imported_at: "2026-11-25T09:00:00.000Z".into(),
        partial,
        ..grant_meta()
    };
    import_as(store, meta, text)
}

/// The item of `campaign` for `identity_id`'s grant on `system` (its first,
/// when the identity holds several there): items are numbered in queue
/// order, so tests find them by what they are.
pub fn item_of(store: &Store, campaign: &CampaignSummary, system: &str, identity_id: &str) -> i64 {
    let query = crate::store::ItemQuery {
        campaign: campaign.id,
        ..Default::default()
    };
    let mut found = None;
    store
        .for_each_item(&query, |row| {
            if found.is_none() && row.system == system && row.identity_id == identity_id {
                found = Some(row.id.0);
            }
            Ok(())
        })
        .expect("walk items");
    found.unwrap_or_else(|| panic!("no item for {identity_id} on {system}"))
}

/// The item of `campaign` holding the grant on data line `n` (1-based) of
/// the sample: tests written against the sample's order find their items
/// this way, since items are numbered in queue order.
pub fn sample_item(store: &Store, campaign: &CampaignSummary, n: usize) -> i64 {
    let line = SAMPLE.lines().nth(n).expect("a data line of the sample");
    let fields: Vec<&str> = line.split(',').collect();
    item_of(store, campaign, fields[1], fields[2])
}

/// The sample without the lines containing any of `needles`.
pub fn sample_without(needles: &[&str]) -> String {
    SAMPLE
        .lines()
        .filter(|line| !needles.iter().any(|n| line.contains(n)))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Someone acting at the pinned test time, with "today" 2026-11-22.
pub fn acting(actor: &str) -> Acting<'_> {
    Acting {
        actor,
        via: &crate::domain::roster::ASSERTED,
        at: "2026-11-22T10:00:00.000Z",
        today: day("2026-11-22"),
    }
}

/// Records one decision that must succeed.
pub fn decide(
    store: &mut Store,
    campaign: &CampaignSummary,
    actor: &str,
    item: i64,
    decision: Option<Decision>,
    note: &str,
) {
    let request = DecisionRequest {
        item: ItemId(item),
        decision,
        note: Some(note.to_string()).filter(|n| !n.is_empty()),
        seen_event: None,
        seconds_on_screen: None,
        overriding: false,
    };
    store
        .decide(campaign.id, &acting(actor), &[request])
        .expect("decide");
}
