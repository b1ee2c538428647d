//! `recert import FILE --format catalog`: the entitlement catalog, one
//! snapshot per file, all-or-nothing like every import. Its summary says
//! how well the catalog and the grants cover each other.

use super::Env;
use super::import::{File, Problems, defaults, file_name, summary, warn};
use crate::cli::ImportArgs;
use crate::import::{Format, HashingReader, Problem, catalog};
use crate::output::unless_reader_gone;
use crate::store::{RowProblem, SnapshotMeta, Store};
use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use std::io::BufReader;

pub(super) fn run(store: &mut Store, file: &File, args: &ImportArgs, env: &Env) -> Result<()> {
    let shown = &file.shown;
    let input = std::fs::File::open(&file.path).wrap_err_with(|| format!("cannot open {shown}"))?;
    let mut input = HashingReader::new(BufReader::with_capacity(1 << 16, input));
    let meta = SnapshotMeta {
        file_name: file_name(&file.path, shown),
        format: Format::Catalog.as_str().into(),
        imported_at: env.now_stamp(),
        imported_by: env.actor()?.email.clone(),
        imported_via: env.actor()?.via.to_string(),
        partial: args.partial,
        source_bytes: None,
    };
    let mut problems = Problems::default();
    let mut warnings = Vec::new();
    let mut session = store.begin_catalog_import(meta)?;
    match catalog::Reader::new(&mut input, defaults(args)) {
        Err(header) => header.iter().for_each(|p| problems.push(shown, p)),
        Ok(rows) => {
            warnings.extend(rows.warnings().iter().map(|w| w.render(shown)));
            for row in rows {
                match row {
                    Ok((line, entry)) => {
                        if let Some(RowProblem::Duplicate { first_line }) =
                            session.add(line, &entry)?
                        {
                            let problem = Problem::at_line(
                                line,
                                "entitlement",
                                format!(
                                    "duplicate of line {first_line}: the same tenant, system \
                                     and entitlement"
                                ),
                            );
                            problems.push(shown, &problem);
                        }
                    }
                    Err(found) => found.iter().for_each(|p| problems.push(shown, p)),
                }
            }
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
