//! Running a child process and measuring its wall time and peak memory.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub wall: Duration,
    /// Peak resident set of the child, from the kernel's accounting.
    pub max_rss_kib: u64,
}

/// Runs `cmd` to completion (feeding `stdin` if given); `None` if it cannot
/// start or fails.
pub fn run(cmd: &mut Command, stdin: Option<&str>) -> Option<Run> {
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let start = Instant::now();
    let mut child = cmd.spawn().ok()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).ok()?;
    }
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
    if waited != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        eprintln!("  {cmd:?} failed: {stderr}");
        return None;
    }
    Some(Run {
        wall,
        max_rss_kib: usage.ru_maxrss as u64,
    })
}

/// The run of median wall time among `runs`, with the highest peak memory
/// of them all: on a shared two-core machine one run of the same work can
/// take a fifth longer than the next, and a single run decides a ratio.
pub fn median(mut runs: Vec<Run>) -> Option<Run> {
    runs.sort_by_key(|r| r.wall);
    let peak = runs.iter().map(|r| r.max_rss_kib).max()?;
    let middle = runs.swap_remove(runs.len() / 2);
    Some(Run {
        wall: middle.wall,
        max_rss_kib: peak,
    })
}
