//! Property tests for every importer, through `recert import` itself (the
//! same `run` the binary calls, on a database file): random bytes, and
//! valid files with random mutations, never panic; a rejected import
//! leaves every row of the database as it was; an accepted one leaves a
//! chain that verifies and item states that agree with it.
//!
//! `RECERT_STRESS=N` multiplies the number of cases.

use super::Env;
use super::import::run;
use crate::cli::{ImportArgs, ImportFormat};
use crate::store::Store;
use proptest::prelude::*;
use std::path::PathBuf;

fn cases(default: u32) -> u32 {
    let factor = std::env::var("RECERT_STRESS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    default * factor
}

const SAMPLE: &str = crate::testing::SAMPLE;
const AWS: &str = include_str!("../../tests/fixtures/aws/credential-report-sample.csv");
const USERS: &str = include_str!("../../tests/fixtures/scim/users-sample.json");
const GROUPS: &str = include_str!("../../tests/fixtures/scim/groups-sample.json");
const REGISTER: &str = "tenant,identity_id,email,relationship,organization,sponsor,business_owner,technical_owner,contract_end\n\
    northwind,l.brandt@copperline.example.com,,contractor,Copperline,a@x,,,2026-12-31\n\
    ,k.ito@saltmarsh.example.net,k.ito@saltmarsh.example.net,partner,Saltmarsh,,b@x,,\n\
    bluefjord,svc-backup,,vendor,,,,,2027-01-31\n";

/// A database with the sample, a campaign and a decision in it, so that a
/// bad import has something to damage.
struct Fixture {
    dir: tempfile::TempDir,
    env: Env,
}

/// Creates the database at `db` with the sample, a campaign and a decision.
fn seed(db: &std::path::Path) {
    let (mut store, _) = Store::create(db).unwrap();
    crate::testing::import(&mut store, SAMPLE);
    let campaign = crate::testing::campaign(&mut store, "Q4", "2026-11-01");
    store
        .decide(
            campaign.id,
            &crate::store::Acting {
                actor: "r@x",
                via: &crate::domain::roster::ASSERTED,
                at: "2026-11-02T10:00:00.000Z",
                today: crate::testing::day("2026-11-02"),
            },
            &[crate::store::DecisionRequest {
                item: crate::store::ItemId(1),
                decision: Some(crate::domain::Decision::Revoke),
                note: Some("n".into()),
                seen_event: None,
                seconds_on_screen: None,
                overriding: false,
            }],
        )
        .unwrap();
}

/// The seeded database's bytes, made once: each case starts from a copy.
fn template() -> &'static [u8] {
    static TEMPLATE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("recert.db");
        seed(&db);
        std::fs::read(&db).unwrap()
    })
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("recert.db");
        std::fs::write(&db, template()).unwrap();
        let env = Env::new(
            db,
            "importer@test",
            chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
                .unwrap()
                .into(),
            crate::config::Loaded {
                config: crate::config::Config::default(),
                origin: crate::config::Origin::Defaults { looked_at: None },
            },
        );
        Fixture { dir, env }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn dump(&self) -> String {
        Store::open(&self.env.db).unwrap().dump().unwrap()
    }

    /// Imports `files` and checks the property either way.
    fn check(&self, files: &[(&str, &[u8])], format: Option<ImportFormat>) {
        let paths = files
            .iter()
            .map(|(name, bytes)| self.write(name, bytes))
            .collect();
        let args = ImportArgs {
            files: paths,
            format,
            tenant: None,
            system: None,
            partial: false,
            dry_run: false,
        };
        let before = self.dump();
        match run(&args, &self.env) {
            Err(_) => assert_eq!(
                self.dump(),
                before,
                "a rejected import changed the database"
            ),
            Ok(()) => {
                let store = Store::open(&self.env.db).unwrap();
                let verification = store.verify(&[], false).unwrap();
                assert!(verification.ok(), "{verification:?}");
            }
        }
    }
}

/// One edit to a valid file.
#[derive(Clone, Debug)]
enum Mutation {
    Insert(f64, u8),
    Replace(f64, u8),
    Delete(f64, usize),
    DuplicateLine(f64),
    DropLine(f64),
    Truncate(f64),
}

/// Bytes that matter to CSV and JSON parsers, and some that matter to
/// nobody but should still be handled.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        Just(0u8),
        Just(0x1b),
        Just(0xff),
        Just(0xc3),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b']'),
        Just(b':'),
        Just(b'\\'),
        Just(b'='),
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), interesting_byte()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (at.clone(), interesting_byte()).prop_map(|(a, b)| Mutation::Replace(a, b)),
        (at.clone(), 1..40usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        at.clone().prop_map(Mutation::DuplicateLine),
        at.clone().prop_map(Mutation::DropLine),
        at.prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match *m {
            Mutation::Insert(f, b) => {
                let i = at(f, bytes.len());
                bytes.insert(i, b);
            }
            Mutation::Replace(f, b) if !bytes.is_empty() => {
                let i = at(f, bytes.len() - 1);
                bytes[i] = b;
            }
            Mutation::Delete(f, n) => {
                let i = at(f, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::DuplicateLine(f) | Mutation::DropLine(f) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
                let i = at(f, lines.len() - 1);
                if matches!(m, Mutation::DuplicateLine(_)) {
                    let line = lines[i].clone();
                    lines.insert(i, line);
                } else {
                    lines.remove(i);
                }
                bytes = lines.join(&b'\n');
            }
            Mutation::Truncate(f) => {
                let i = at(f, bytes.len());
                bytes.truncate(i);
            }
            Mutation::Replace(..) => {}
        }
    }
    bytes
}

/// Random text made of the characters parsers care about.
fn csvish(header: &'static str) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(interesting_byte(), 0..300).prop_map(move |body| {
        let mut bytes = header.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend(body);
        bytes
    })
}

fn first_line(text: &'static str) -> &'static str {
    text.lines().next().unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn canonical_survives_mutation(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let fixture = Fixture::new();
        fixture.check(&[("estate.csv", &mutate(SAMPLE, &mutations))], Some(ImportFormat::Canonical));
    }

    #[test]
    fn canonical_survives_noise(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        csvish(first_line(SAMPLE)),
    ]) {
        let fixture = Fixture::new();
        fixture.check(&[("estate.csv", &bytes)], Some(ImportFormat::Canonical));
        // Without --format, detection sees it first.
        fixture.check(&[("estate.csv", &bytes)], None);
    }

    #[test]
    fn aws_iam_survives_mutation(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let fixture = Fixture::new();
        fixture.check(&[("report.csv", &mutate(AWS, &mutations))], Some(ImportFormat::AwsIam));
    }

    #[test]
    fn aws_iam_survives_noise(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        csvish(first_line(AWS)),
    ]) {
        let fixture = Fixture::new();
        fixture.check(&[("report.csv", &bytes)], Some(ImportFormat::AwsIam));
    }

    #[test]
    fn scim_survives_mutation(
        users in proptest::collection::vec(mutation(), 0..5),
        groups in proptest::collection::vec(mutation(), 0..5),
    ) {
        let fixture = Fixture::new();
        fixture.check(
            &[("users.json", &mutate(USERS, &users)), ("groups.json", &mutate(GROUPS, &groups))],
            Some(ImportFormat::Scim),
        );
    }

    #[test]
    fn scim_survives_noise(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        proptest::collection::vec(interesting_byte(), 0..400),
        proptest::collection::vec(interesting_byte(), 0..300).prop_map(|body| {
            let mut bytes = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":["#.to_vec();
            bytes.extend(body);
            bytes
        }),
    ]) {
        let fixture = Fixture::new();
        fixture.check(&[("users.json", &bytes)], Some(ImportFormat::Scim));
        fixture.check(&[("users.json", &bytes), ("groups.json", GROUPS.as_bytes())], None);
    }

    #[test]
    fn register_survives_mutation(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let fixture = Fixture::new();
        fixture.check(&[("register.csv", &mutate(REGISTER, &mutations))], Some(ImportFormat::Register));
    }

    #[test]
    fn register_survives_noise(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        csvish(first_line(REGISTER)),
    ]) {
        let fixture = Fixture::new();
        fixture.check(&[("register.csv", &bytes)], Some(ImportFormat::Register));
    }
}

/// The property itself must be able to fail: an import rejected after it
/// wrote would be caught by the dump comparison.
#[test]
fn the_unchanged_check_sees_a_single_changed_row() {
    let fixture = Fixture::new();
    let before = fixture.dump();
    let conn = rusqlite::Connection::open(&fixture.env.db).unwrap();
    conn.execute("UPDATE snapshot SET rows = rows + 1 WHERE id = 1", [])
        .unwrap();
    assert_ne!(fixture.dump(), before);
}
