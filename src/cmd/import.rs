//! `recert import`: each file becomes one snapshot — except SCIM files,
//! which are imported together as one (users and groups resolve against
//! each other). Everything is validated completely and written in one
//! transaction; any problem rejects the snapshot and leaves the database
//! as it was.

use super::{CheckFailed, Env, UsageError};
use crate::cli::{ImportArgs, ImportFormat};
use crate::domain::EntitlementRecord;
use crate::domain::text::{count, sanitize};
use crate::import::{Defaults, Format, HashingReader, Problem, Row, aws_iam, canonical, detect};
use crate::import::{register, scim};
use crate::output::unless_reader_gone;
use crate::store::{ImportCounts, ImportSession, RowProblem, SnapshotId, SnapshotMeta, Store};
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// How many problems (or warnings) are printed before the rest are only counted.
const SHOWN_PROBLEMS: usize = 20;

impl From<ImportFormat> for Format {
    fn from(format: ImportFormat) -> Format {
        match format {
            ImportFormat::Canonical => Format::Canonical,
            ImportFormat::AwsIam => Format::AwsIam,
            ImportFormat::Scim => Format::Scim,
            ImportFormat::Register => Format::Register,
            ImportFormat::Catalog => Format::Catalog,
        }
    }
}

/// A file on the command line, with how messages name it.
pub(super) struct File {
    pub(super) path: PathBuf,
    pub(super) shown: String,
    format: Format,
}

pub fn run(args: &ImportArgs, env: &Env) -> Result<()> {
    // The snapshot records who imported it, and in a shared database only
    // an admin imports: refused before any reading.
    let mut store = env.open()?;
    let actor = env.actor()?;
    crate::rules::authority::require_admin(store.mode()?, actor, "importing")
        .map_err(super::refused)?;
    // Every format is settled before anything is written, so that a file
    // recert cannot read does not leave the others half imported.
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let shown = sanitize(&path.display().to_string()).into_owned();
        let format = match args.format {
            Some(format) => format.into(),
            None => detect_file(path, &shown)?,
        };
        files.push(File {
            path: path.clone(),
            shown,
            format,
        });
    }
    // One import after another holds the file with only moments between
    // them, too short for a waiting reader to slip in: what decides whether
    // others may be made to wait is everything this command imports.
    let bytes: Option<u64> = files.iter().map(|f| regular_file_size(&f.path)).sum();
    let scim: Vec<&File> = files.iter().filter(|f| f.format == Format::Scim).collect();
    let mut scim_done = false;
    for file in &files {
        match file.format {
            Format::Scim if !scim_done => {
                scim_done = true;
                import_scim(&mut store, &scim, args, bytes, env)?;
            }
            Format::Scim => {}
            Format::Register => import_register(&mut store, file, args, env)?,
            Format::Catalog => super::import_catalog::run(&mut store, file, args, env)?,
            Format::Canonical | Format::AwsIam => import_file(&mut store, file, args, bytes, env)?,
        }
    }
    Ok(())
}

fn detect_file(path: &Path, shown: &str) -> Result<Format> {
    let file = std::fs::File::open(path).wrap_err_with(|| format!("cannot open {shown}"))?;
    let mut head = Vec::with_capacity(detect::HEAD_BYTES);
    file.take(detect::HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .wrap_err_with(|| format!("cannot read {shown}"))?;
    detect::detect(&head).map_err(|why| {
        UsageError(format!(
            "cannot tell the format of {shown}: {why}; pass --format \
             canonical, aws-iam, scim, register or catalog"
        ))
        .into()
    })
}

pub(super) fn file_name(path: &Path, shown: &str) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.to_string())
}

pub(super) fn defaults(args: &ImportArgs) -> Defaults {
    Defaults {
        tenant: args.tenant.clone(),
        system: args.system.clone(),
    }
}

/// Imports one CSV grant file; `bytes` is everything the command imports.
fn import_file(
    store: &mut Store,
    file: &File,
    args: &ImportArgs,
    bytes: Option<u64>,
    env: &Env,
) -> Result<()> {
    let input =
        std::fs::File::open(&file.path).wrap_err_with(|| format!("cannot open {}", file.shown))?;
    let source = Source {
        shown_name: file.shown.clone(),
        file_name: file_name(&file.path, &file.shown),
        format: file.format,
        defaults: defaults(args),
        partial: args.partial,
        dry_run: args.dry_run,
        bytes,
    };
    import_source(store, &source, input, env).map(drop)
}

/// The size of a regular file; `None` for a pipe, a device or anything
/// whose size says nothing about what reading it takes.
fn regular_file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// Problems found in one snapshot's files: the first few rendered in full
/// (with their file), the rest counted.
#[derive(Default)]
pub(super) struct Problems {
    shown: Vec<String>,
    pub(super) total: usize,
}

impl Problems {
    pub(super) fn push(&mut self, file: &str, problem: &Problem) {
        self.total += 1;
        if self.shown.len() < SHOWN_PROBLEMS {
            self.shown.push(problem.render(file));
        }
    }

    /// Prints the problems and turns them into the rejection of `what`.
    pub(super) fn reject(self, what: &str) -> color_eyre::Report {
        for problem in &self.shown {
            errln!("{}", sanitize(problem));
        }
        if self.total > self.shown.len() {
            errln!("… and {} more problems", self.total - self.shown.len());
        }
        CheckFailed(format!(
            "{what} was rejected ({} problem{}); nothing was imported from it",
            self.total,
            if self.total == 1 { "" } else { "s" }
        ))
        .into()
    }
}

/// Prints warnings (the first few in full) and records them all with the
/// snapshot (through `record`), where an auditor can find them later.
pub(super) fn warn(mut record: impl FnMut(String), warnings: impl IntoIterator<Item = String>) {
    let mut count = 0;
    for warning in warnings {
        if count < SHOWN_PROBLEMS {
            errln!("{}", sanitize(&format!("warning: {warning}")));
        }
        count += 1;
        record(warning);
    }
    if count > SHOWN_PROBLEMS {
        errln!("warning: … and {} more", count - SHOWN_PROBLEMS);
    }
}

/// One source to import and how.
pub(crate) struct Source {
    /// How messages name the source (sanitised).
    pub shown_name: String,
    /// The name recorded with the snapshot.
    pub file_name: String,
    pub format: Format,
    pub defaults: Defaults,
    pub partial: bool,
    pub dry_run: bool,
    /// The size of everything the command imports, this source included,
    /// when known (not for a pipe): see `SnapshotMeta::source_bytes`.
    pub bytes: Option<u64>,
}

/// Feeds validated rows into the session; row problems and duplicates are
/// collected.
fn feed(
    session: &mut ImportSession<'_>,
    rows: impl Iterator<Item = Row>,
    shown: &str,
    problems: &mut Problems,
) -> Result<()> {
    for row in rows {
        let row = row.as_ref().map(|(line, record)| (*line, record));
        add_row(session, row.map_err(Clone::clone), shown, problems)?;
    }
    Ok(())
}

/// Adds one row (or its problems) to the session.
fn add_row(
    session: &mut ImportSession<'_>,
    row: std::result::Result<(u64, &EntitlementRecord), Vec<Problem>>,
    shown: &str,
    problems: &mut Problems,
) -> Result<()> {
    match row {
        Ok((line, record)) => {
            if let Some(RowProblem::Duplicate { first_line }) = session.add(line, record)? {
                let problem = Problem::at_line(
                    line,
                    "",
                    format!(
                        "duplicate of line {first_line}: the same tenant, system, \
                         identity_id and entitlement"
                    ),
                );
                problems.push(shown, &problem);
            }
        }
        Err(row_problems) => row_problems.iter().for_each(|p| problems.push(shown, p)),
    }
    Ok(())
}

/// Imports one CSV grant source (canonical or AWS IAM) as one snapshot,
/// printing problems (and rejecting the whole source) or a summary.
pub(crate) fn import_source(
    store: &mut Store,
    source: &Source,
    input: impl std::io::Read + Send,
    env: &Env,
) -> Result<ImportCounts> {
    let shown_name = &source.shown_name;
    let mut input = HashingReader::new(BufReader::with_capacity(1 << 16, input));
    let meta = SnapshotMeta {
        file_name: source.file_name.clone(),
        format: source.format.as_str().into(),
        imported_at: env.now_stamp(),
        imported_by: env.actor()?.email.clone(),
        imported_via: env.actor()?.via.to_string(),
        partial: source.partial,
        source_bytes: source.bytes,
    };
    let mut problems = Problems::default();
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    let mut session = store.begin_import(meta)?;
    let default_system = match source.format {
        Format::AwsIam => Some(aws_iam::SYSTEM),
        _ => None,
    };
    let system = source.defaults.system.as_deref().or(default_system);
    if let (Some(tenant), Some(system)) = (&source.defaults.tenant, system) {
        session.claim_scope(tenant, system)?;
    }
    match source.format {
        Format::AwsIam => match aws_iam::Reader::new(&mut input, source.defaults.clone()) {
            Err(header) => header.iter().for_each(|p| problems.push(shown_name, p)),
            Ok(mut rows) => {
                feed(&mut session, &mut rows, shown_name, &mut problems)?;
                warnings.extend(rows.warnings().iter().map(|w| w.render(shown_name)));
                // A report whose users hold nothing still speaks for its
                // account: what was granted there before is gone.
                if let (Some(account), Some(system)) = (rows.account(), system) {
                    let tenant = source.defaults.tenant.as_deref().unwrap_or(account);
                    session.claim_scope(tenant, system)?;
                }
                if rows.idle_users() > 0 {
                    notes.push(format!(
                        "{shown_name}: {} user{} without console access or an active key or \
                         certificate: nothing to review",
                        rows.idle_users(),
                        if rows.idle_users() == 1 { "" } else { "s" }
                    ));
                }
            }
        },
        Format::Canonical => match canonical::Reader::new(&mut input, source.defaults.clone()) {
            Err(header) => header.iter().for_each(|p| problems.push(shown_name, p)),
            Ok(mut rows) => {
                warnings.extend(rows.warnings().iter().map(|w| w.render(shown_name)));
                rows.for_each_read_ahead(|row| {
                    add_row(&mut session, row, shown_name, &mut problems)
                })?;
            }
        },
        // These read several files or write the register: their own paths.
        Format::Scim | Format::Register | Format::Catalog => {
            return Err(eyre!(
                "{} sources are not imported one CSV file at a time",
                source.format.as_str()
            ));
        }
    }
    if problems.total > 0 {
        drop(session);
        return Err(problems.reject(shown_name));
    }
    print_conflicts(&session, shown_name);
    warn(|w| session.warn(w), warnings);
    let snapshot = session.snapshot();
    let counts = session.commit(&input.hex_digest(), source.dry_run)?;
    for note in notes {
        unless_reader_gone(outln!("{}", sanitize(&note)))?;
    }
    unless_reader_gone(outln!(
        "{}",
        summary(shown_name, snapshot.0, &counts, source.dry_run)
    ))?;
    if !source.dry_run {
        report_remediation(store, shown_name, snapshot)?;
    }
    Ok(counts)
}

fn print_conflicts(session: &ImportSession<'_>, shown_name: &str) {
    for (n, conflict) in session.identity_conflicts().iter().enumerate() {
        if n == SHOWN_PROBLEMS {
            errln!(
                "warning: … and {} more identity disagreements",
                session.identity_conflict_total() - n
            );
            break;
        }
        errln!(
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
}

/// Imports SCIM files (users, groups, pages of either) as one snapshot;
/// `bytes` is everything the command imports.
fn import_scim(
    store: &mut Store,
    files: &[&File],
    args: &ImportArgs,
    bytes: Option<u64>,
    env: &Env,
) -> Result<()> {
    let mut inputs = Vec::with_capacity(files.len());
    for file in files {
        let input = std::fs::File::open(&file.path)
            .wrap_err_with(|| format!("cannot open {}", file.shown))?;
        inputs.push(HashingReader::new(BufReader::with_capacity(1 << 16, input)));
    }
    let shown_all = files
        .iter()
        .map(|f| f.shown.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    let mut problems = Problems::default();
    let directory = match scim::read(inputs.iter_mut().collect(), &defaults(args), args.partial) {
        Ok(directory) => directory,
        Err(found) => {
            for (file, problem) in &found {
                problems.push(&files[*file].shown, problem);
            }
            return Err(problems.reject(&shown_all));
        }
    };
    let meta = SnapshotMeta {
        file_name: files
            .iter()
            .map(|f| file_name(&f.path, &f.shown))
            .collect::<Vec<_>>()
            .join(", "),
        format: Format::Scim.as_str().into(),
        imported_at: env.now_stamp(),
        imported_by: env.actor()?.email.clone(),
        imported_via: env.actor()?.via.to_string(),
        partial: args.partial,
        source_bytes: bytes,
    };
    let mut session = store.begin_import(meta)?;
    let (tenant, system) = directory.scope();
    session.claim_scope(tenant, system)?;
    for (line, record) in directory.records() {
        // Users are unique by userName and their grants by name, so a
        // duplicate here would be recert's own mistake; say so plainly.
        if let Some(RowProblem::Duplicate { first_line }) = session.add(line, &record)? {
            let problem = Problem::at_path(
                format!("$.Resources[{}]", line.saturating_sub(1)),
                format!(
                    "grant {:?} of {:?} repeats $.Resources[{}]",
                    record.entitlement,
                    record.identity_id,
                    first_line.saturating_sub(1)
                ),
            );
            problems.push(&shown_all, &problem);
        }
    }
    if problems.total > 0 {
        drop(session);
        return Err(problems.reject(&shown_all));
    }
    let warnings: Vec<String> = directory
        .warnings()
        .iter()
        .map(|(file, w)| w.render(&files[*file].shown))
        .collect();
    warn(|w| session.warn(w), warnings);
    let snapshot = session.snapshot();
    // One digest per file, in the order of the file names recorded.
    let digests = inputs
        .iter()
        .map(HashingReader::hex_digest)
        .collect::<Vec<_>>()
        .join(" ");
    let counts = session.commit(&digests, args.dry_run)?;
    unless_reader_gone(outln!(
        "{} ({} users, {} groups)",
        summary(&shown_all, snapshot.0, &counts, args.dry_run),
        directory.user_count(),
        directory.group_count()
    ))?;
    if !args.dry_run {
        report_remediation(store, &shown_all, snapshot)?;
    }
    Ok(())
}

/// Imports an identity register file as one snapshot.
fn import_register(store: &mut Store, file: &File, args: &ImportArgs, env: &Env) -> Result<()> {
    let shown = &file.shown;
    let (mut input, meta) = open_reference(file, Format::Register, args, env)?;
    let mut problems = Problems::default();
    let mut warnings = Vec::new();
    let mut session = store.begin_register_import(meta)?;
    match register::Reader::new(&mut input, defaults(args)) {
        Err(header) => header.iter().for_each(|p| problems.push(shown, p)),
        Ok(rows) => {
            warnings.extend(rows.warnings().iter().map(|w| w.render(shown)));
            let duplicate = (
                "identity_id",
                "the same tenant and identity_id (ignoring case)",
            );
            check_rows(&mut problems, shown, rows, duplicate, |line, entry| {
                session.add(line, entry)
            })?;
        }
    }
    if problems.total > 0 {
        drop(session);
        return Err(problems.reject(shown));
    }
    warn(|w| session.warn(w), warnings);
    let snapshot = session.snapshot();
    let counts = session.commit(&input.hex_digest(), args.dry_run)?;
    unless_reader_gone(outln!(
        "{}; it describes {} identit{} ({} classified), {} entr{} no identity yet",
        summary(shown, snapshot.0, &counts.rows, args.dry_run),
        counts.matched_identities,
        if counts.matched_identities == 1 {
            "y"
        } else {
            "ies"
        },
        counts.classified_identities,
        counts.unmatched_entries,
        if counts.unmatched_entries == 1 {
            "y matches"
        } else {
            "ies match"
        },
    ))?;
    Ok(())
}

/// Opens a reference file (a register or a catalog), hashing what is
/// read, with the meta of the snapshot it becomes.
pub(super) fn open_reference(
    file: &File,
    format: Format,
    args: &ImportArgs,
    env: &Env,
) -> Result<(HashingReader<BufReader<std::fs::File>>, SnapshotMeta)> {
    let shown = &file.shown;
    let input = std::fs::File::open(&file.path).wrap_err_with(|| format!("cannot open {shown}"))?;
    let meta = SnapshotMeta {
        file_name: file_name(&file.path, shown),
        format: format.as_str().into(),
        imported_at: env.now_stamp(),
        imported_by: env.actor()?.email.clone(),
        imported_via: env.actor()?.via.to_string(),
        partial: args.partial,
        source_bytes: None,
    };
    Ok((
        HashingReader::new(BufReader::with_capacity(1 << 16, input)),
        meta,
    ))
}

/// Hands each entry a reader validated to `add` and gathers every problem:
/// the reader's, and a repeated key `add` finds (`duplicate`: the field it
/// names, and what is the same).
pub(super) fn check_rows<T>(
    problems: &mut Problems,
    shown: &str,
    rows: impl Iterator<Item = std::result::Result<(u64, T), Vec<Problem>>>,
    (field, same): (&'static str, &str),
    mut add: impl FnMut(u64, &T) -> crate::store::Result<Option<RowProblem>>,
) -> Result<()> {
    for row in rows {
        match row {
            Ok((line, entry)) => {
                if let Some(RowProblem::Duplicate { first_line }) = add(line, &entry)? {
                    let problem = Problem::at_line(
                        line,
                        field,
                        format!("duplicate of line {first_line}: {same}"),
                    );
                    problems.push(shown, &problem);
                }
            }
            Err(found) => found.iter().for_each(|p| problems.push(shown, p)),
        }
    }
    Ok(())
}

/// What the import proved about earlier revocations, per campaign;
/// still-effective ones loudly, on standard error.
fn report_remediation(store: &Store, file: &str, snapshot: SnapshotId) -> Result<()> {
    for (campaign, proved) in store.remediation_by_snapshot(snapshot)? {
        let campaign = sanitize(&campaign);
        if proved.verified > 0 {
            unless_reader_gone(outln!(
                "{file}: verified {} of campaign {campaign:?}: the grants are gone",
                count(proved.verified, "revocation")
            ))?;
        }
        if proved.still_effective > 0 {
            errln!(
                "warning: {file}: {} of campaign {campaign:?} STILL EFFECTIVE: this snapshot \
                 still holds the revoked grants (recert remediation {campaign:?})",
                count(proved.still_effective, "revocation")
            );
        }
    }
    Ok(())
}

pub(super) fn summary(file: &str, snapshot: i64, c: &ImportCounts, dry_run: bool) -> String {
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
    let mut line = format!("{file}: {} rows ({what}): {}", c.rows, parts.join(", "));
    let ids = &c.identities;
    if !ids.is_empty() {
        let fields: Vec<String> = [
            ("relationship", ids.relationship),
            ("organization", ids.organization),
            ("region", ids.region),
            ("sponsor", ids.sponsor),
            ("name, kind or e-mail", ids.other),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(field, n)| format!("{field} {n}"))
        .collect();
        let identities = if ids.changed == 1 {
            "identity"
        } else {
            "identities"
        };
        line.push_str(&format!(
            "; {} {identities} changed ({})",
            ids.changed,
            fields.join(", ")
        ));
    }
    line
}
