//! The benchmark phases and their bookkeeping.

mod console;
mod process;
mod pty;
mod visidata;

use chrono::NaiveDate;
use process::{Run, run};
use recert::estate::EstateSpec;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Runs of the fresh import, its reference, campaign creation and the
/// report behind each figure (see [`process::median`]).
const REPEATS: usize = 3;

pub const TODAY: &str = "2026-11-22";

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").expect("fixed date")
}

/// A working directory with the generated files and databases.
pub struct Work {
    pub rows: u64,
    pub dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Work {
    pub fn new(rows: u64, keep: Option<&str>) -> Work {
        let (dir, temp) = match keep {
            Some(path) => {
                let dir = PathBuf::from(path).join(rows.to_string());
                std::fs::create_dir_all(&dir).expect("create --keep directory");
                (dir, None)
            }
            None => {
                let temp = tempfile::tempdir().expect("temporary directory");
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        // The default policy, whatever the machine's own config says.
        std::fs::write(dir.join("default-config.toml"), "").expect("write config");
        Work {
            rows,
            dir,
            _temp: temp,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("recert.db")
    }

    pub fn recert(&self) -> Command {
        self.recert_std()
    }

    /// The release binary with this work's database, reviewer and config.
    /// Its clock is the system's (release builds ignore `RECERT_NOW`), so
    /// the campaign names the estate's day with `--as-of`; nothing else
    /// timed depends on the day.
    pub fn recert_std(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_recert"));
        cmd.env("RECERT_DB", self.db())
            .env("RECERT_REVIEWER", "bench@example.com")
            .env("RECERT_CONFIG", self.path("default-config.toml"));
        cmd
    }
}

/// One measured figure with its goal.
pub struct Figure {
    pub what: String,
    pub value: String,
    pub goal: String,
    pub verdict: &'static str,
}

pub struct Figures {
    pub rows: u64,
    pub list: Vec<Figure>,
}

impl Figures {
    pub fn new(rows: u64) -> Figures {
        Figures {
            rows,
            list: Vec::new(),
        }
    }

    pub fn add(&mut self, what: &str, value: String, goal: &str, met: Option<bool>) {
        eprintln!("  {what}: {value}");
        self.list.push(Figure {
            what: what.to_string(),
            value,
            goal: goal.to_string(),
            verdict: match met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "—",
            },
        });
    }
}

pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn generate(work: &Work, name: &str, generation: u32) -> PathBuf {
    let path = work.path(name);
    if !path.exists() {
        let spec = EstateSpec {
            generation,
            ..EstateSpec::new(work.rows, 42, today())
        };
        let file = std::fs::File::create(&path).expect("create estate file");
        spec.write_csv(&file).expect("write estate");
        // On disk before anything is timed: its writeback would otherwise
        // compete with the first reference and import for the disk.
        file.sync_all().expect("sync estate");
    }
    path
}

/// The reference: the sqlite3 shell importing the file and indexing its key.
fn sqlite3_reference(work: &Work, csv: &Path) -> Option<Run> {
    let db = work.path("reference.db");
    let _ = std::fs::remove_file(&db);
    let script = format!(
        ".mode csv\n.import {} ent\nCREATE UNIQUE INDEX ent_key ON ent(tenant, system, identity_id, entitlement);\n",
        csv.display()
    );
    let mut cmd = Command::new("sqlite3");
    cmd.arg(&db);
    let result = run(&mut cmd, Some(&script));
    if result.is_none() {
        eprintln!(
            "  the sqlite3 shell is not installed (Debian: apt install sqlite3): no reference"
        );
    }
    result
}

/// The database as the re-import left it: every campaign creation starts
/// from a copy of it.
const BEFORE_CAMPAIGN: &str = "before-campaign.db";

/// Re-measures one phase on the database a previous `--keep` run left,
/// for profiling a change without regenerating and re-importing.
pub fn run_phase(work: &Work, figures: &mut Figures, phase: &str) {
    match phase {
        // On a scratch copy: the kept database keeps its decided campaign.
        "campaign" => {
            let before = work.path(BEFORE_CAMPAIGN);
            if !before.exists() {
                eprintln!("no {}: keep a full run first", before.display());
                return;
            }
            let scratch = work.path("campaign-scratch.db");
            create_campaign(work, figures, &before, &scratch);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
            }
        }
        "console" => console::measure(work, figures),
        "commits" => console::commits(work, figures, 1000),
        "report" => report(work, figures),
        "verify" => verify(work, figures),
        other => eprintln!("unknown phase {other}: campaign, console, commits, report or verify"),
    }
}

pub fn run_all(work: &Work, figures: &mut Figures) {
    let first = generate(work, "estate.csv", 0);
    let next = generate(work, "estate-next.csv", 1);
    let size = std::fs::metadata(&first).map(|m| m.len()).unwrap_or(0);
    figures.add(
        "estate file",
        format!(
            "{:.1} MB, {:.0} bytes/row",
            size as f64 / 1e6,
            size as f64 / work.rows as f64
        ),
        "about 180 bytes/row",
        None,
    );

    // The reference and the fresh import alternate, and each figure is the
    // median of its runs, so that a slow minute on the machine does not
    // land on one side of the ratio only.
    let (mut references, mut imports) = (Vec::new(), Vec::new());
    for round in 0..REPEATS {
        // Without the shell, say so once.
        if round == 0 || !references.is_empty() {
            references.extend(sqlite3_reference(work, &first));
        }
        let _ = std::fs::remove_file(work.db());
        let _ = std::fs::remove_file(work.path("recert.db-wal"));
        run(work.recert().arg("init"), None).expect("recert init");
        imports.push(run(work.recert().arg("import").arg(&first), None).expect("recert import"));
    }
    let reference = process::median(references);
    if let Some(r) = &reference {
        figures.add(
            &format!("reference: sqlite3 .import + unique index (median of {REPEATS})"),
            secs(r.wall),
            "",
            None,
        );
    }
    let import = process::median(imports).expect("an import ran");
    let ratio = |r: &Run| {
        reference
            .as_ref()
            .map(|base| r.wall.as_secs_f64() / base.wall.as_secs_f64())
    };
    let import_ratio = ratio(&import);
    figures.add(
        &format!("import (fresh, median of {REPEATS})"),
        format!(
            "{}{}, peak {}",
            secs(import.wall),
            import_ratio
                .map(|x| format!(" = {x:.2}× reference"))
                .unwrap_or_default(),
            mib(import.max_rss_kib)
        ),
        "≤ 1.0× reference",
        import_ratio.map(|x| x <= 1.0),
    );
    let reimport = run(work.recert().arg("import").arg(&next), None).expect("recert re-import");
    let reimport_ratio = ratio(&reimport);
    figures.add(
        "re-import (diff)",
        format!(
            "{}{}, peak {}",
            secs(reimport.wall),
            reimport_ratio
                .map(|x| format!(" = {x:.2}× reference"))
                .unwrap_or_default(),
            mib(reimport.max_rss_kib)
        ),
        "≤ 1.5× reference",
        reimport_ratio.map(|x| x <= 1.5),
    );
    let before = work.path(BEFORE_CAMPAIGN);
    copy_database(&work.db(), &before);
    // The last creation leaves its campaign in place for the phases after.
    let campaign = create_campaign(work, figures, &before, &work.db());
    let review = pty::review(work);
    if let Some(r) = &review {
        figures.add(
            "open the real console to its first screen (PTY, 160×48)",
            ms(r.first_screen),
            "< 100 ms",
            Some(r.first_screen < Duration::from_millis(100)),
        );
        figures.add(
            "peak memory of the console reviewing the campaign",
            mib(r.peak_rss_kib),
            "< 50 MB",
            Some(r.peak_rss_kib < 50 * 1000),
        );
    }
    console::measure(work, figures);
    console::commits(work, figures, 1000);

    // From the CSV to a risk-ordered first screen, against VisiData
    // loading and sorting the same file.
    if let Some(r) = &review {
        let ours = import.wall + campaign.wall + r.first_screen;
        let ours_peak = import
            .max_rss_kib
            .max(campaign.max_rss_kib)
            .max(r.peak_rss_kib);
        match visidata::load_and_sort(&first) {
            Some(vd) => figures.add(
                "CSV to a risk-ordered first screen (import + campaign + open) vs VisiData load + sort",
                format!(
                    "{} / {} peak {} vs VisiData {} / peak {}",
                    secs(ours),
                    if ours < vd.wall { "faster" } else { "SLOWER" },
                    mib(ours_peak),
                    secs(vd.wall),
                    mib(vd.max_rss_kib)
                ),
                "faster, ≤ 1/5 of its peak memory",
                Some(ours < vd.wall && ours_peak * 5 <= vd.max_rss_kib),
            ),
            None => eprintln!(
                "  VisiData is not installed (pip install visidata): no comparison"
            ),
        }
    }

    // Verify decides every item first: the report then covers a campaign
    // as it ends a quarter, each row with its deciding event.
    verify(work, figures);
    report(work, figures);
}

/// Creates the benchmark campaign in `db`, each of the runs from a copy of
/// `before`: one creation on a busy shared machine can take a fifth longer
/// than the next, as imports and reports can.
fn create_campaign(work: &Work, figures: &mut Figures, before: &Path, db: &Path) -> Run {
    let runs = (0..REPEATS)
        .map(|_| {
            copy_database(before, db);
            run(
                work.recert().env("RECERT_DB", db).args([
                    "campaign",
                    "new",
                    "bench",
                    "--due",
                    "2026-12-31",
                    "--as-of",
                    TODAY,
                ]),
                None,
            )
            .expect("recert campaign new")
        })
        .collect();
    let campaign = process::median(runs).expect("a creation ran");
    figures.add(
        &format!("create campaign with insights (median of {REPEATS})"),
        format!(
            "{}, peak {}",
            secs(campaign.wall),
            mib(campaign.max_rss_kib)
        ),
        "< 5 s",
        Some(campaign.wall < Duration::from_secs(5)),
    );
    campaign
}

/// Copies a closed database (with its write-ahead log, if one was left)
/// and syncs the copy: its writeback would otherwise compete with what is
/// timed next.
fn copy_database(from: &Path, to: &Path) {
    for suffix in ["", "-wal"] {
        let (from, to) = (
            PathBuf::from(format!("{}{suffix}", from.display())),
            PathBuf::from(format!("{}{suffix}", to.display())),
        );
        let _ = std::fs::remove_file(&to);
        if from.exists() {
            std::fs::copy(&from, &to).expect("copy the database");
        }
    }
    let _ = std::fs::remove_file(format!("{}-shm", to.display()));
    sync_database(to);
}

/// Waits for the database and its write-ahead log to be on disk.
fn sync_database(db: &Path) {
    for suffix in ["", "-wal"] {
        let file = PathBuf::from(format!("{}{suffix}", db.display()));
        if file.exists() {
            std::fs::File::open(&file)
                .and_then(|f| f.sync_all())
                .expect("sync the database");
        }
    }
}

/// Writes the report `REPEATS` times, each to a path where no file is:
/// replacing the previous run's 400 MB file would add the file system's
/// work of deleting it (about 0.12 s at 1M, in `rename`) to every run but
/// the first. The database is synced first, as before campaign creation:
/// the million decisions written just before would otherwise leave their
/// pages for the kernel to write back during the runs.
fn report(work: &Work, figures: &mut Figures) {
    sync_database(&work.db());
    let runs = (0..REPEATS)
        .map(|_| {
            let _ = std::fs::remove_file(work.path("report.csv"));
            run(
                work.recert()
                    .args(["report", "bench", "--format", "csv", "--out"])
                    .arg(work.path("report.csv")),
                None,
            )
            .expect("recert report")
        })
        .collect();
    let report = process::median(runs).expect("a report ran");
    let rate = work.rows as f64 / report.wall.as_secs_f64();
    figures.add(
        &format!("CSV report (median of {REPEATS})"),
        format!(
            "{:.0} rows/s ({}), peak {}",
            rate,
            secs(report.wall),
            mib(report.max_rss_kib)
        ),
        "≥ 500,000 rows/s",
        Some(rate >= 500_000.0),
    );
}

fn verify(work: &Work, figures: &mut Figures) {
    let decided = console::decide_everything(work);
    let (events, _) = recert::store::Store::open(&work.db())
        .expect("open")
        .chain_head()
        .expect("head");
    let chain = run(work.recert().args(["verify", "--chain-only"]), None).expect("verify");
    figures.add(
        &format!("verify the hash chain ({events} events, {decided} of them bulk decisions)"),
        format!("{}, peak {}", secs(chain.wall), mib(chain.max_rss_kib)),
        "< 2 s for 1M events",
        Some(chain.wall < Duration::from_secs(2) || events < 900_000),
    );
    if let Some(full) = run(work.recert().arg("verify"), None) {
        figures.add(
            "verify everything (chain, campaign digests, derived tables)",
            format!("{}, peak {}", secs(full.wall), mib(full.max_rss_kib)),
            "",
            None,
        );
    }
}

pub fn markdown(all: &[Figures]) -> String {
    let mut out = String::new();
    for figures in all {
        out.push_str(&format!(
            "\n### {} rows\n\n| what | figure | goal | |\n|---|---|---|---|\n",
            figures.rows
        ));
        for f in &figures.list {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                f.what, f.value, f.goal, f.verdict
            ));
        }
    }
    out
}
