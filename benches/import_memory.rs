//! Peak memory of `recert import` as sources grow: canonical estates of
//! 100k and 1M rows (a fresh import and a re-import), AWS credential
//! reports and SCIM directories of growing size, one SCIM user at the
//! bottom of a long chain of nested groups, and a file whose quote is
//! never closed. Each import is the real binary in its own process; peak
//! RSS comes from the kernel (`wait4`). Run with
//!
//!     cargo bench --bench import_memory              # the sizes in BENCHMARKS.md
//!     cargo bench --bench import_memory -- --quick   # a tenth of them
//!     cargo bench --bench import_memory -- --only canonical --keep /tmp/est
//!
//! (`--only canonical|aws|scim|nested|runaway`; `--keep DIR` keeps the generated
//! files there and reuses them.)
//! and it prints a Markdown table.

use chrono::NaiveDate;
use recert::estate::EstateSpec;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Measured {
    wall: Duration,
    peak_kib: u64,
    success: bool,
}

/// Runs `recert` with `args` on `db`; wall time, peak RSS and exit.
// The child is reaped by wait4, which std does not see.
#[allow(clippy::zombie_processes)]
fn recert(db: &Path, args: &[&str]) -> Measured {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recert"));
    cmd.args(args)
        // A backtrace captured for an error would load debug symbols and
        // measure those instead of the import.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("RECERT_DB", db)
        .env("RECERT_REVIEWER", "bench@example.com")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start recert");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting on our own child with valid pointers; std's Child is
    // not waited on afterwards.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        use std::io::Read;
        let _ = err.read_to_string(&mut stderr);
    }
    let success = waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !success {
        eprintln!("  recert {args:?}: {}", stderr.lines().next().unwrap_or(""));
    }
    Measured {
        wall,
        peak_kib: usage.ru_maxrss as u64,
        success,
    }
}

fn fresh_db(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    assert!(recert(&db, &["init"]).success, "recert init");
    db
}

fn megabytes(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
}

/// An AWS credential report of `users` users, a few kinds of each.
fn aws_report(path: &Path, users: u64) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated").unwrap();
    writeln!(out, "<root_account>,arn:aws:iam::111122223333:root,2019-03-02T10:11:12+00:00,not_supported,2026-01-04T08:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A").unwrap();
    for i in 0..users {
        let console = i % 3 != 0;
        let key = i % 2 == 0;
        writeln!(
            out,
            "user{i},arn:aws:iam::111122223333:user/team{}/user{i},2025-0{}-1{}T09:00:00+00:00,{console},{},N/A,N/A,{console},{key},{},{},us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            i % 40,
            1 + i % 9,
            i % 10,
            if console { "2026-10-28T16:40:02+00:00" } else { "N/A" },
            if key { "2025-06-01T00:00:00+00:00" } else { "N/A" },
            if key { "2026-11-01T00:00:00+00:00" } else { "N/A" },
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// SCIM users and groups: every user in two teams of 50, and one group
/// holding everyone (the largest single resource a directory has).
fn scim_directory(users_path: &Path, groups_path: &Path, users: u64) {
    let mut out = BufWriter::new(std::fs::File::create(users_path).unwrap());
    write!(out, r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{users},"Resources":["#).unwrap();
    for i in 0..users {
        let sep = if i == 0 { "" } else { "," };
        write!(
            out,
            r#"{sep}{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u{i}","userName":"user{i}@example.com","displayName":"User {i}","userType":"{}","active":{},"emails":[{{"value":"user{i}@example.com","primary":true}}]}}"#,
            ["Contractor", "Partner", "Employee", "Guest"][(i % 4) as usize],
            i % 17 != 0
        )
        .unwrap();
    }
    writeln!(out, "]}}").unwrap();
    out.flush().unwrap();
    let teams = users.div_ceil(50);
    let mut out = BufWriter::new(std::fs::File::create(groups_path).unwrap());
    write!(out, r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{},"Resources":["#, teams * 2 + 1).unwrap();
    for (set, stride) in [(0, 1), (1, 7)] {
        for t in 0..teams {
            if set + t > 0 {
                write!(out, ",").unwrap();
            }
            write!(out, r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g{set}-{t}","displayName":"team {set}-{t}","members":["#).unwrap();
            for m in 0..50 {
                let user = (t * 50 + m) * stride % users;
                let sep = if m == 0 { "" } else { "," };
                write!(out, r#"{sep}{{"value":"u{user}","type":"User"}}"#).unwrap();
            }
            write!(out, "]}}").unwrap();
        }
    }
    write!(out, r#",{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"everyone","displayName":"Everyone","members":["#).unwrap();
    for i in 0..users {
        let sep = if i == 0 { "" } else { "," };
        write!(out, r#"{sep}{{"value":"u{i}"}}"#).unwrap();
    }
    writeln!(out, "]}}]}}").unwrap();
    out.flush().unwrap();
}

/// `depth` groups, each holding the next, and one user in the innermost:
/// that user holds all `depth` groups, which a resolution storing every
/// group's enclosing groups would hold for every group (`depth`²/2).
fn nested_chain(users_path: &Path, groups_path: &Path, depth: u64) {
    std::fs::write(
        users_path,
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u0","userName":"deep@example.com"}]}"#,
    )
    .unwrap();
    let mut out = BufWriter::new(std::fs::File::create(groups_path).unwrap());
    write!(out, r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":{depth},"Resources":["#).unwrap();
    for i in 0..depth {
        let sep = if i == 0 { "" } else { "," };
        let member = if i + 1 < depth {
            format!(r#"{{"value":"g{}","type":"Group"}}"#, i + 1)
        } else {
            r#"{"value":"u0","type":"User"}"#.to_string()
        };
        write!(out, r#"{sep}{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g{i}","displayName":"Nested {i}","members":[{member}]}}"#).unwrap();
    }
    writeln!(out, "]}}").unwrap();
    out.flush().unwrap();
}

/// A canonical file whose second row opens a quote that never closes,
/// followed by `megabytes` of ordinary rows.
fn runaway_quote(path: &Path, megabytes: u64) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "{}", recert::estate::HEADER).unwrap();
    writeln!(
        out,
        "nw,github,a@x,\"Ann,human,partner,,,,org:member,false,,,,,,,,,false,"
    )
    .unwrap();
    let row = "nw,github,b@x,Bob,human,partner,,,,org:member,false,,,,,,,,,false,\n";
    for _ in 0..(megabytes << 20) / row.len() as u64 {
        out.write_all(row.as_bytes()).unwrap();
    }
    out.flush().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let quick = args.iter().any(|a| a == "--quick");
    let only = option("--only");
    let wanted = |what: &str| only.as_deref().is_none_or(|o| o == what);
    let keep = option("--keep").map(PathBuf::from);
    let scale = |n: u64| if quick { n / 10 } else { n };
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = keep.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir).expect("the --keep directory");
    // Generates a file unless a kept one is there; removes it after use
    // unless it is to be kept.
    let make = |path: &Path, write: &dyn Fn(&Path)| {
        if !path.exists() {
            write(path);
        }
    };
    let done = |path: &Path| {
        if keep.is_none() {
            let _ = std::fs::remove_file(path);
        }
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let mut table = vec![
        "| source | rows / resources | file | wall | peak RSS | outcome |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
    ];
    let mut add = |what: &str, rows: u64, file: f64, m: &Measured| {
        let line = format!(
            "| {what} | {rows} | {file:.0} MB | {:.1} s | {:.1} MiB | {} |",
            m.wall.as_secs_f64(),
            m.peak_kib as f64 / 1024.0,
            if m.success { "imported" } else { "rejected" }
        );
        eprintln!("{line}");
        table.push(line);
    };

    if wanted("canonical") {
        for rows in [scale(100_000), scale(1_000_000)] {
            let files: Vec<PathBuf> = (0..2u32)
                .map(|generation| {
                    let path = dir.join(format!("estate-{rows}-{generation}.csv"));
                    make(&path, &|p| {
                        let spec = EstateSpec {
                            generation,
                            ..EstateSpec::new(rows, 42, today)
                        };
                        spec.write_csv(std::fs::File::create(p).unwrap()).unwrap();
                    });
                    path
                })
                .collect();
            let db = fresh_db(dir, &format!("canonical-{rows}"));
            let first = recert(&db, &["import", files[0].to_str().unwrap()]);
            add(
                "canonical, fresh import",
                rows,
                megabytes(&files[0]),
                &first,
            );
            let again = recert(&db, &["import", files[1].to_str().unwrap()]);
            add(
                "canonical, re-import (diff)",
                rows,
                megabytes(&files[1]),
                &again,
            );
            files.iter().for_each(|f| done(f));
        }
    }
    if wanted("aws") {
        for users in [scale(100_000), scale(1_000_000)] {
            let path = dir.join(format!("credential-report-{users}.csv"));
            make(&path, &|p| aws_report(p, users));
            let db = fresh_db(dir, &format!("aws-{users}"));
            let m = recert(&db, &["import", path.to_str().unwrap()]);
            add("AWS IAM credential report", users, megabytes(&path), &m);
            done(&path);
        }
    }
    if wanted("scim") {
        for users in [scale(100_000), scale(400_000)] {
            let (u, g) = (
                dir.join(format!("users-{users}.json")),
                dir.join(format!("groups-{users}.json")),
            );
            if !u.exists() || !g.exists() {
                scim_directory(&u, &g, users);
            }
            let db = fresh_db(dir, &format!("scim-{users}"));
            let m = recert(&db, &["import", u.to_str().unwrap(), g.to_str().unwrap()]);
            add(
                "SCIM users + groups (one group of everyone)",
                users,
                megabytes(&u) + megabytes(&g),
                &m,
            );
            done(&u);
            done(&g);
        }
    }
    if wanted("nested") {
        let depth = scale(20_000);
        let (u, g) = (
            dir.join(format!("nested-users-{depth}.json")),
            dir.join(format!("nested-groups-{depth}.json")),
        );
        if !u.exists() || !g.exists() {
            nested_chain(&u, &g, depth);
        }
        let db = fresh_db(dir, &format!("nested-{depth}"));
        let m = recert(&db, &["import", u.to_str().unwrap(), g.to_str().unwrap()]);
        add(
            "SCIM, one user in a chain of nested groups",
            depth,
            megabytes(&u) + megabytes(&g),
            &m,
        );
        done(&u);
        done(&g);
    }
    if wanted("runaway") {
        for size in [scale(256), scale(1024)] {
            let path = dir.join(format!("runaway-{size}.csv"));
            make(&path, &|p| runaway_quote(p, size));
            let db = fresh_db(dir, &format!("runaway-{size}"));
            let m = recert(&db, &["import", path.to_str().unwrap()]);
            add(
                "canonical, quote never closed on line 2",
                2,
                megabytes(&path),
                &m,
            );
            done(&path);
        }
    }
    println!("{}", table.join("\n"));
}
