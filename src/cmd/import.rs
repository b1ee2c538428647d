//! `recert import`: each file becomes one snapshot, validated completely
//! and written in one transaction; any problem rejects the file and leaves
//! the database as it was.

use super::{CheckFailed, Env, UsageError};
use crate::cli::{ImportArgs, ImportFormat};
use crate::domain::text::{count, sanitize};
use crate::import::{Defaults, HashingReader, Problem, canonical};
use crate::store::{ImportCounts, RowProblem, SnapshotId, SnapshotMeta, Store};
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// How many problems are printed before the rest are only counted.
const SHOWN_PROBLEMS: usize = 20;

pub fn run(args: &ImportArgs, env: &Env) -> Result<()> {
    let mut store = env.open()?;
    for path in &args.files {
        import_file(&mut store, path, args, env)?;
    }
    Ok(())
}

/// Problems found in one file: the first few in full, the rest counted.
#[derive(Default)]
struct Problems {
    shown: Vec<Problem>,
    total: usize,
}

impl Problems {
    fn push(&mut self, problem: Problem) {
        self.total += 1;
        if self.shown.len() < SHOWN_PROBLEMS {
            self.shown.push(problem);
        }
    }
}

fn detect(path: &Path) -> Result<ImportFormat> {
    let file = std::fs::File::open(path)?;
    let mut reader = BufReader::new(file);
    let start = reader.fill_buf()?;
    let text = String::from_utf8_lossy(&start[..start.len().min(64)]);
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    match first {
        Some('{' | '[') => Err(UsageError(format!(
            "{}: looks like JSON, which only the SCIM importer reads; it is not available \
             in this build: pass --format",
            sanitize(&path.display().to_string())
        ))
        .into()),
        _ => Ok(ImportFormat::Canonical),
    }
}

fn import_file(store: &mut Store, path: &Path, args: &ImportArgs, env: &Env) -> Result<()> {
    let shown_name = sanitize(&path.display().to_string()).into_owned();
    let format = match args.format {
        Some(format) => format,
        None => detect(path).wrap_err_with(|| format!("cannot read {shown_name}"))?,
    };
    let file = std::fs::File::open(path).wrap_err_with(|| format!("cannot open {shown_name}"))?;
    let source = Source {
        shown_name: shown_name.clone(),
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(shown_name),
        format,
        defaults: Defaults {
            tenant: args.tenant.clone(),
            system: args.system.clone(),
        },
        partial: args.partial,
        dry_run: args.dry_run,
    };
    import_source(store, &source, file, env).map(drop)
}

/// One source to import and how.
pub(crate) struct Source {
    /// How messages name the source (sanitised).
    pub shown_name: String,
    /// The name recorded with the snapshot.
    pub file_name: String,
    pub format: ImportFormat,
    pub defaults: Defaults,
    pub partial: bool,
    pub dry_run: bool,
}

/// Imports one source as one snapshot, printing problems (and rejecting
/// the whole source) or a summary of what changed.
pub(crate) fn import_source(
    store: &mut Store,
    source: &Source,
    input: impl std::io::Read,
    env: &Env,
) -> Result<ImportCounts> {
    let shown_name = &source.shown_name;
    let mut input = HashingReader::new(BufReader::with_capacity(1 << 16, input));
    let meta = SnapshotMeta {
        file_name: source.file_name.clone(),
        format: match source.format {
            ImportFormat::Canonical => "canonical".into(),
        },
        imported_at: env.now_stamp(),
        imported_by: env.actor.clone(),
        partial: source.partial,
    };
    let mut problems = Problems::default();
    let mut session = store.begin_import(meta)?;
    if let (Some(tenant), Some(system)) = (&source.defaults.tenant, &source.defaults.system) {
        session.claim_scope(tenant, system);
    }
    match canonical::Reader::new(&mut input, source.defaults.clone()) {
        Err(header) => header.into_iter().for_each(|p| problems.push(p)),
        Ok(rows) => {
            for row in rows {
                match row {
                    Ok((line, record)) => {
                        if let Some(RowProblem::Duplicate { first_line }) =
                            session.add(line, &record)?
                        {
                            problems.push(Problem::at_line(
                                line,
                                "",
                                format!(
                                    "duplicate of line {first_line}: the same tenant, system, \
                                     identity_id and entitlement"
                                ),
                            ));
                        }
                    }
                    Err(row_problems) => row_problems.into_iter().for_each(|p| problems.push(p)),
                }
            }
        }
    }

    if problems.total > 0 {
        drop(session);
        for problem in &problems.shown {
            eprintln!("{}", sanitize(&problem.render(shown_name)));
        }
        if problems.total > problems.shown.len() {
            eprintln!(
                "… and {} more problems",
                problems.total - problems.shown.len()
            );
        }
        return Err(CheckFailed(format!(
            "{shown_name} was rejected ({} problem{}); nothing was imported from it",
            problems.total,
            if problems.total == 1 { "" } else { "s" }
        ))
        .into());
    }

    for (n, conflict) in session.identity_conflicts().iter().enumerate() {
        if n == SHOWN_PROBLEMS {
            eprintln!(
                "warning: … and {} more identity disagreements",
                session.identity_conflicts().len() - n
            );
            break;
        }
        eprintln!(
            "{}",
            sanitize(&format!(
                "warning: {shown_name}:{}: {}: identity {} is {:?} here but {:?} on line {}",
                conflict.line,
                conflict.field,
                conflict.identity_id,
                conflict.value,
                conflict.first_value,
                conflict.first_line
            ))
        );
    }
    let snapshot = session.snapshot();
    let counts = session.commit(&input.hex_digest(), source.dry_run)?;
    println!(
        "{}",
        summary(shown_name, snapshot.0, &counts, source.dry_run)
    );
    if !source.dry_run {
        report_remediation(store, shown_name, snapshot)?;
    }
    Ok(counts)
}

/// What the import proved about earlier revocations, per campaign;
/// still-effective ones loudly, on standard error.
fn report_remediation(store: &Store, file: &str, snapshot: SnapshotId) -> Result<()> {
    for (campaign, proved) in store.remediation_by_snapshot(snapshot)? {
        let campaign = sanitize(&campaign);
        if proved.verified > 0 {
            println!(
                "{file}: verified {} of campaign {campaign:?}: the grants are gone",
                count(proved.verified, "revocation")
            );
        }
        if proved.still_effective > 0 {
            eprintln!(
                "warning: {file}: {} of campaign {campaign:?} STILL EFFECTIVE: this snapshot \
                 still holds the revoked grants (recert remediation {campaign:?})",
                count(proved.still_effective, "revocation")
            );
        }
    }
    Ok(())
}

fn summary(file: &str, snapshot: i64, c: &ImportCounts, dry_run: bool) -> String {
    let mut parts = vec![
        format!("{} added", c.added),
        format!("{} changed", c.changed),
        format!("{} unchanged", c.unchanged),
        format!("{} removed", c.removed),
    ];
    if c.restored > 0 {
        parts.insert(1, format!("{} restored", c.restored));
    }
    let what = if dry_run {
        "dry run, nothing written".to_string()
    } else {
        format!("snapshot {snapshot}")
    };
    format!("{file}: {} rows ({what}): {}", c.rows, parts.join(", "))
}
