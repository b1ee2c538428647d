//! `recert import FILE --format catalog`: the entitlement catalog, one
//! snapshot per file, all-or-nothing like every import. Its summary says
//! how well the catalog and the grants cover each other.

use super::Env;
use super::import::{File, Problems, check_rows, defaults, open_reference, summary, warn};
use crate::cli::ImportArgs;
use crate::import::{Format, catalog};
use crate::output::unless_reader_gone;
use crate::store::Store;
use color_eyre::Result;

pub(super) fn run(store: &mut Store, file: &File, args: &ImportArgs, env: &Env) -> Result<()> {
    let shown = &file.shown;
    let (mut input, meta) = open_reference(file, Format::Catalog, args, env)?;
    let mut problems = Problems::default();
    let mut warnings = Vec::new();
    let mut session = store.begin_catalog_import(meta)?;
    match catalog::Reader::new(&mut input, defaults(args)) {
        Err(header) => header.iter().for_each(|p| problems.push(shown, p)),
        Ok(rows) => {
            warnings.extend(rows.warnings().iter().map(|w| w.render(shown)));
            let duplicate = ("entitlement", "the same tenant, system and entitlement");
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
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    unless_reader_gone(outln!(
        "{}; {} no current grant, {} no catalog entry",
        summary(shown, snapshot.0, &counts.rows, args.dry_run),
        plural(
            counts.entries_without_grant,
            "entry matches",
            "entries match"
        ),
        plural(counts.grants_without_entry, "grant has", "grants have"),
    ))?;
    Ok(())
}
