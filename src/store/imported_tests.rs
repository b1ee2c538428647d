//! Tests of re-reading what imports wrote: the digests, the counts and
//! the tampering `verify` finds.

use crate::domain::Relationship;
use crate::domain::register::RegisterEntry;
use crate::store::integrity::tamper;
use crate::store::{SnapshotMeta, Store};
use crate::testing::{self, SAMPLE, import_file};

fn register(store: &mut Store, entries: &[(&str, Relationship)], at: &str) {
    let meta = SnapshotMeta {
        imported_at: at.into(),
        ..testing::register_meta()
    };
    let mut session = store.begin_register_import(meta).unwrap();
    for (n, (id, relationship)) in entries.iter().enumerate() {
        let entry = RegisterEntry {
            relationship: Some(*relationship),
            ..RegisterEntry::new(*id)
        };
        assert!(session.add(n as u64 + 2, &entry).unwrap().is_none());
    }
    session.commit("0", false).unwrap();
}

/// Every kind of row an import writes or marks: the sample (snapshot
/// 1); again without two grants, with one grant and one identity
/// changed (2); a register (3); the register again, one entry changed
/// and the other gone (4).
fn store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    testing::import(&mut store, SAMPLE);
    let next = testing::sample_without(&["SOW-104", "SOW-105"])
        .replace("SOW-100", "SOW-100b")
        .replace("Kenji Ito", "Kenji Itō");
    import_file(&mut store, "next.csv", &next, false);
    let (lena, kenji) = (
        "l.brandt@copperline.example.com",
        "k.ito@saltmarsh.example.net",
    );
    let at = "2026-11-26T09:00:00.000Z";
    register(
        &mut store,
        &[(lena, Relationship::Vendor), (kenji, Relationship::Partner)],
        at,
    );
    register(&mut store, &[(lena, Relationship::Contractor)], at);
    store
}

/// [`store`], then a catalog (5) and the catalog again, one entry
/// changed and the other gone (6).
fn store_with_catalog() -> Store {
    let mut store = store();
    testing::catalog(
        &mut store,
        &[("org:owner", Some("restricted")), ("org:member", None)],
    );
    testing::catalog(&mut store, &[("org:owner", Some("confidential"))]);
    store
}

#[test]
fn every_import_verifies_against_its_digest() {
    let store = store_with_catalog();
    let v = store.verify(&[], false).unwrap();
    assert!(v.ok(), "{:?}", v.discrepancies);
    assert_eq!(
        (v.snapshots, v.imports_digested, v.imports_undigested),
        (6, 6, 0)
    );
    let bodies: Vec<String> = store
        .conn
        .prepare("SELECT body FROM event WHERE kind = 'import'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut all = Vec::new();
    for body in bodies {
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        all.extend(
            body["written"]["streams"]
                .as_object()
                .unwrap()
                .keys()
                .cloned(),
        );
    }
    for stream in super::Stream::ALL {
        assert!(
            all.contains(&stream.name().to_string()),
            "{stream:?}: {all:?}"
        );
    }
}

/// The digests every stream's rows get, pinned: what imports recorded
/// before must still be what verify computes, byte for byte.
#[test]
fn import_digests_are_what_earlier_releases_recorded() {
    let store = store();
    let written: Vec<String> = store
        .conn
        .prepare("SELECT body ->> '$.written' FROM event WHERE kind = 'import' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(written.len(), 4);
    assert_eq!(
        crate::audit::sha256_hex(written.join("\n").as_bytes()),
        "d12d06d899ae39317be55c27e8f49a6887b4525ea6c2a3e92f5e7a9051bfc38c"
    );
}

#[test]
fn each_kind_of_row_written_or_marked_is_bound_to_its_import() {
    let cases = [
        (
            "UPDATE identity SET region = 'x' WHERE id = 1",
            1,
            "identity versions it wrote",
        ),
        (
            "UPDATE identity SET superseded = 1 WHERE superseded = 2",
            2,
            "identity versions it superseded",
        ),
        (
            "DELETE FROM entitlement WHERE id = 30",
            1,
            "grant versions it wrote",
        ),
        (
            "UPDATE entitlement SET superseded = 1 WHERE superseded = 2",
            2,
            "grant versions it superseded",
        ),
        (
            "UPDATE entitlement SET removed_snapshot = NULL WHERE id = 5",
            2,
            "grant versions it marked removed",
        ),
        (
            "UPDATE entitlement_change SET detail = '{}' WHERE kind = 'changed'",
            2,
            "grant changes it logged",
        ),
        (
            "DELETE FROM snapshot_scope WHERE snapshot = 2",
            2,
            "scopes it speaks for",
        ),
        (
            "UPDATE register_entry SET contract_end = '2030-01-01' WHERE id = 1",
            3,
            "register entries it wrote",
        ),
        (
            "UPDATE register_entry SET superseded = 3 WHERE id = 1",
            4,
            "register entries it superseded",
        ),
        (
            "UPDATE register_entry SET removed_snapshot = 3 WHERE removed_snapshot = 4",
            4,
            "register entries it marked removed",
        ),
        (
            "DELETE FROM register_change",
            4,
            "register changes it logged",
        ),
    ];
    for (sql, snapshot, what) in cases {
        let store = store();
        tamper(&store, sql);
        let v = store.verify(&[], false).unwrap();
        let found: Vec<&str> = v.discrepancies.iter().map(|d| d.message.as_str()).collect();
        let named = v.discrepancies.iter().any(|d| {
            d.seq.is_some()
                && d.message
                    .starts_with(&format!("import of snapshot {snapshot} "))
                && d.message
                    .contains(&format!("the {what} do not match its digest"))
        });
        assert!(named, "{sql}: {found:#?}");
    }
}

/// Migration 6: only a later import's first mark changes a version.
#[test]
fn imported_rows_refuse_deletion_and_change_but_a_first_mark() {
    let store = store();
    for sql in [
        "DELETE FROM identity WHERE id = 1",
        "UPDATE identity SET name = 'x' WHERE id = 1",
        "UPDATE identity SET superseded = 4 WHERE superseded = 2",
        "DELETE FROM entitlement WHERE id = 1",
        "UPDATE entitlement SET privileged = 1 - privileged WHERE id = 1",
        "UPDATE entitlement SET superseded = 3 WHERE superseded = 2",
        "UPDATE entitlement SET removed_snapshot = NULL WHERE removed_snapshot = 2",
        "DELETE FROM register_entry WHERE id = 2",
        "UPDATE register_entry SET contract_end = '2030-01-01' WHERE id = 2",
        "UPDATE register_entry SET superseded = 3 WHERE superseded = 4",
        "UPDATE register_entry SET removed_snapshot = 3 WHERE removed_snapshot = 4",
        "UPDATE entitlement_change SET detail = '{}'",
        "DELETE FROM entitlement_change",
        "UPDATE register_change SET kind = 'changed'",
        "DELETE FROM register_change",
        "UPDATE snapshot_scope SET system = 'x'",
        "DELETE FROM snapshot_scope",
    ] {
        let err = store.conn.execute_batch(sql).unwrap_err().to_string();
        assert!(
            err.contains("imported evidence") || err.contains("once, by the import"),
            "{sql}: {err}"
        );
    }
    let v = store.verify(&[], false).unwrap();
    assert!(v.ok(), "nothing was changed: {:?}", v.discrepancies);
}

#[test]
fn which_register_entry_describes_an_identity_is_recomputed() {
    let store = store();
    let (identity, entry): (i64, i64) = store
        .conn
        .query_row("SELECT identity, entry FROM identity_register", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    for (sql, says) in [
        ("DELETE FROM identity_register", "none"),
        ("UPDATE identity_register SET entry = 2", "entry 2"),
    ] {
        let store = super::tests::store();
        tamper(&store, sql);
        let v = store.verify(&[], false).unwrap();
        let found: Vec<&str> = v.discrepancies.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            found,
            [format!(
                "identity {identity}: identity_register says {says} describes it, the \
                 register says entry {entry}: the identity_register table was edited"
            )],
            "{sql}"
        );
    }
}

#[test]
fn rows_of_a_snapshot_no_import_recorded_are_named() {
    let store = store();
    tamper(&store, "UPDATE entitlement SET snapshot = 99 WHERE id = 1");
    let v = store.verify(&[], false).unwrap();
    let found: Vec<&str> = v.discrepancies.iter().map(|d| d.message.as_str()).collect();
    assert!(
        found.contains(
            &"table entitlement holds 1 row of snapshot 99, which no import event \
              recorded: they were inserted or moved"
        ),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|f| f.contains("(29 now, 30 recorded)")),
        "{found:#?}"
    );
}

/// What verify finds in the second import's event (next.csv: two
/// grants gone, one changed, Kenji renamed) once `edit` changed its body.
fn findings_after(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<String> {
    let store = store();
    let (seq, actor, at, body): (i64, String, String, String) = store
        .conn
        .query_row(
            "SELECT seq, actor, at, body FROM event WHERE kind = 'import' ORDER BY seq
             LIMIT 1 OFFSET 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let mut body: serde_json::Value = serde_json::from_str(&body).unwrap();
    edit(&mut body);
    let import = super::Recorded {
        seq,
        actor,
        at,
        body: serde_json::from_value(body).unwrap(),
    };
    let written = import.body.written.clone().unwrap();
    let mut findings = crate::store::integrity::Findings::default();
    super::compare(2, &import, &written, &written, &mut findings);
    findings.messages().iter().map(|m| m.to_string()).collect()
}

#[test]
fn an_import_event_whose_identity_count_does_not_add_up_was_not_written_by_recert() {
    let found = findings_after(|body| {
        assert_eq!(body["counts"]["identities"]["changed"], 1, "Kenji's name");
    });
    assert!(found.is_empty(), "{found:?}");
    let found = findings_after(|body| body["counts"]["identities"]["changed"] = 2.into());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("it counts 2 identities changed, but its digest covers 1"),
        "{found:?}"
    );
}

#[test]
fn an_import_event_whose_counts_do_not_add_up_was_not_written_by_recert() {
    let found = findings_after(|body| body["counts"]["removed"] = 1.into());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("do not add up to the 2 grant versions it marked removed"),
        "{found:?}"
    );
}
