//! Scale benchmarks on generated estates, each figure measured against a
//! reference measured in the same run. Run with
//!
//!     cargo bench --bench scale                     # 100k and 1M rows
//!     cargo bench --bench scale -- --rows 100000    # one size
//!     cargo bench --bench scale -- --rows 100000 --keep /tmp/bench
//!     cargo bench --bench scale -- --rows 100000 --keep /tmp/bench --phase console
//!                                   # re-measure one phase on the kept database
//!                                   # (campaign, console, commits, report, verify)
//!
//! Needs, besides the toolchain: the `sqlite3` shell (Debian package
//! `sqlite3`) for the import reference, and `python3` with VisiData
//! (`pip install visidata`) for the first-screen comparison; a missing
//! reference is reported, not installed.

mod support;

use support::{Figures, Work};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sizes: Vec<u64> = Vec::new();
    let mut keep = None;
    let mut phase = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--rows" => sizes.extend(
                iter.next()
                    .and_then(|n| n.replace('_', "").parse::<u64>().ok()),
            ),
            "--keep" => keep = iter.next().cloned(),
            "--phase" => phase = iter.next().cloned(),
            // `cargo bench` passes --bench; other flags belong to other harnesses.
            _ => {}
        }
    }
    if sizes.is_empty() {
        sizes = vec![100_000, 1_000_000];
    }
    let mut all = Vec::new();
    for rows in sizes {
        eprintln!("== {rows} rows");
        let work = Work::new(rows, keep.as_deref());
        let mut figures = Figures::new(rows);
        match &phase {
            Some(phase) => support::run_phase(&work, &mut figures, phase),
            None => support::run_all(&work, &mut figures),
        }
        all.push(figures);
    }
    println!("{}", support::markdown(&all));
}
