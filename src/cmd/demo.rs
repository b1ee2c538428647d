//! `recert demo`: the console on a throwaway database seeded from the
//! demo estate in `assets/demo`, with its dates moved so that the data is
//! as fresh today as on the day it was written. Never touches `--db`.

use super::import::{Source, import_source};
use super::{Env, UsageError};
use crate::cli::DemoArgs;
use crate::domain::{OnClose, ReviewerRule, Stamp};
use crate::import::{Defaults, Format};
use crate::store::{NewCampaign, SnapshotMeta, Store};
use chrono::{Datelike, NaiveDate};
use color_eyre::Result;
use color_eyre::eyre::WrapErr;

/// The day the demo data describes; its dates move by today minus this.
const WRITTEN_ON: (i32, u32, u32) = (2026, 11, 22);

/// The demo's reviewer: a sponsor at Northwind, who also holds access herself.
pub const DEMO_REVIEWER: &str = "a.kowalski@northwind.example.com";

const SOURCES: [(&str, &str); 3] = [
    (
        "northwind.csv",
        include_str!("../../assets/demo/northwind.csv"),
    ),
    (
        "bluefjord.csv",
        include_str!("../../assets/demo/bluefjord.csv"),
    ),
    (
        "tidewater.csv",
        include_str!("../../assets/demo/tidewater.csv"),
    ),
];

/// The identity register (partner tiers) and the entitlement catalog of
/// the demo estate, imported after the grants.
const REGISTER: &str = include_str!("../../assets/demo/register.csv");
const CATALOG: &str = include_str!("../../assets/demo/catalog.csv");

/// The demo's segregation-of-duties rule, in force when the config has
/// none, so that a new user sees a pair flagged (Noor Haddad's).
fn demo_sod() -> crate::domain::sod::SodRule {
    crate::domain::sod::SodRule {
        name: "release payments and keep the books".into(),
        system: Some("sap-erp".into()),
        a: "Z_PAYMENT_RUN_RELEASE".into(),
        b: "Z_AP_CLERK*".into(),
        reason: "one person could enter and pay the same invoice".into(),
    }
}

const DATE_COLUMNS: [&str; 4] = [
    "granted_at",
    "expires_at",
    "last_used_at",
    "credential_rotated_at",
];

/// Moves every date in a canonical CSV by `days`.
pub fn freshen(csv_text: &str, days: i64) -> Result<String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers()?.clone();
    let dated: Vec<bool> = headers.iter().map(|h| DATE_COLUMNS.contains(&h)).collect();
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(&headers)?;
    for record in reader.records() {
        let record = record?;
        let fields: Vec<String> = record
            .iter()
            .zip(&dated)
            .map(|(value, &is_date)| match Stamp::parse(value) {
                Ok(stamp) if is_date => stamp.shifted(days).to_string(),
                _ => value.to_string(),
            })
            .collect();
        writer.write_record(&fields)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// Seeds `store` with the demo estate and a campaign as of `today`.
pub fn seed(store: &mut Store, env: &Env, reviewer: &str) -> Result<String> {
    let today = env.today();
    let written =
        NaiveDate::from_ymd_opt(WRITTEN_ON.0, WRITTEN_ON.1, WRITTEN_ON.2).unwrap_or(today);
    let shift = (today - written).num_days();
    for (name, text) in SOURCES {
        let text = freshen(text, shift)?;
        let source = Source {
            shown_name: format!("demo/{name}"),
            file_name: name.to_string(),
            format: Format::Canonical,
            defaults: Defaults::default(),
            partial: false,
            dry_run: false,
            bytes: Some(text.len() as u64),
        };
        import_source(store, &source, text.as_bytes(), env)?;
    }
    seed_register_and_catalog(store, env)?;
    let mut policy = env.policy().clone();
    if policy.sod.is_empty() {
        policy.sod.push(demo_sod());
    }
    let name = format!(
        "{} Q{} partner access review",
        today.year(),
        (today.month() - 1) / 3 + 1
    );
    let campaign = store.create_campaign(&NewCampaign {
        name: name.clone(),
        due: today + chrono::Duration::days(21),
        as_of: today,
        scope: vec![],
        reviewer_rule: ReviewerRule::Sponsor,
        on_close: OnClose::Keep,
        owner: reviewer.to_string(),
        owner_via: "asserted".into(),
        created_at: env.now_stamp(),
        policy,
    })?;
    outln!(
        "created campaign {:?} with {} items",
        campaign.name,
        campaign.items
    )?;
    Ok(name)
}

/// Imports the demo's register and catalog, each as the snapshot a user's
/// `recert import` would make.
fn seed_register_and_catalog(store: &mut Store, env: &Env) -> Result<()> {
    use crate::import::{catalog, register};
    let meta = |file: &str, format: Format| -> Result<SnapshotMeta> {
        Ok(SnapshotMeta {
            file_name: file.into(),
            format: format.as_str().into(),
            imported_at: env.now_stamp(),
            imported_by: env.actor()?.email.clone(),
            imported_via: env.actor()?.via.to_string(),
            partial: false,
            source_bytes: None,
        })
    };
    let broken = |what: &str| color_eyre::eyre::eyre!("the demo's {what} does not import");
    let mut session = store.begin_register_import(meta("register.csv", Format::Register)?)?;
    let rows = register::Reader::new(REGISTER.as_bytes(), Defaults::default())
        .map_err(|_| broken("register"))?;
    for row in rows {
        let (line, entry) = row.map_err(|_| broken("register"))?;
        session.add(line, &entry)?;
    }
    session.commit(&crate::audit::sha256_hex(REGISTER.as_bytes()), false)?;
    let mut session = store.begin_catalog_import(meta("catalog.csv", Format::Catalog)?)?;
    let rows = catalog::Reader::new(CATALOG.as_bytes(), Defaults::default())
        .map_err(|_| broken("catalog"))?;
    for row in rows {
        let (line, entry) = row.map_err(|_| broken("catalog"))?;
        session.add(line, &entry)?;
    }
    session.commit(&crate::audit::sha256_hex(CATALOG.as_bytes()), false)?;
    Ok(())
}

pub fn run(args: &DemoArgs, env: &Env) -> Result<()> {
    let reviewer = if env.actor_given {
        env.stated_actor().map_err(super::refused)?.email
    } else {
        DEMO_REVIEWER.to_string()
    };
    let env = env.as_person(&reviewer);
    if let Some(path) = &args.keep {
        crate::files::check_target(path, &env.db, "the demo database")?;
    }
    let temp = tempfile::tempdir().wrap_err("cannot create a temporary directory")?;
    let path = match &args.keep {
        Some(path) if path.symlink_metadata().is_ok() => {
            return Err(UsageError(format!(
                "{} exists; --keep wants a new file",
                crate::domain::text::sanitize(&path.display().to_string())
            ))
            .into());
        }
        Some(path) => path.clone(),
        None => temp.path().join("demo.db"),
    };
    // Before anything is seeded: a demo that cannot open leaves nothing.
    crate::tui::needs_a_terminal()?;
    let (mut store, _) = Store::create(&path)?;
    env.adopt(&store)?;
    let name = seed(&mut store, &env, &reviewer)?;
    let campaign = store.campaign(&name)?;
    let via = env.actor()?.via.clone();
    let settings = env.config.config.console.clone();
    crate::tui::run(&mut store, &campaign, reviewer, via, env.today(), &settings)?;
    match &args.keep {
        Some(path) => outln!("the demo database is kept at {}", path.display())?,
        None => outln!("the demo database was discarded")?,
    }
    Ok(())
}
