//! The real `recert review` in a pseudo-terminal: time to the first
//! screen, and the peak memory of the process while it is used.

use super::Work;
use std::io::Write;
use std::num::NonZeroU16;
use std::time::{Duration, Instant};

pub struct ReviewRun {
    pub first_screen: Duration,
    pub peak_rss_kib: u64,
}

fn peak_rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Opens the console, waits for the queue, scrolls and jumps around,
/// reads the process's peak memory, quits.
pub fn review(work: &Work) -> Option<ReviewRun> {
    let mut command = work.recert_std();
    command
        .args(["review", "bench"])
        .env("TERM", "xterm-256color");
    let started = Instant::now();
    let mut session = expectrl::Session::spawn(command).ok()?;
    session.get_process_mut().set_window_size(160, 48).ok()?;
    let size = |n: u16| NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN);
    let mut parser = vt100::Parser::new(size(48), size(160), 0);
    let mut buf = [0u8; 65536];
    let mut pump = |session: &mut expectrl::session::OsSession, parser: &mut vt100::Parser| {
        while let Ok(n) = session.try_read(&mut buf) {
            if n == 0 {
                break;
            }
            parser.process(&buf[..n]);
        }
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let first_screen = loop {
        pump(&mut session, &mut parser);
        if parser.screen().contents().contains("riskiest first") {
            break started.elapsed();
        }
        if Instant::now() > deadline {
            eprintln!("  the console never showed its queue");
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let keys: Vec<&[u8]> = [&b"j"[..]; 200]
        .into_iter()
        .chain([&b"G"[..], &b"\x1b[H"[..], &b"\x1b[6~"[..]])
        .collect();
    for key in keys {
        let _ = session.write_all(key);
        std::thread::sleep(Duration::from_millis(1));
        pump(&mut session, &mut parser);
    }
    std::thread::sleep(Duration::from_millis(500));
    pump(&mut session, &mut parser);
    let pid = session.get_process().pid().as_raw();
    let peak_rss_kib = peak_rss_kib(pid);
    let _ = session.write_all(b"q");
    let _ = session.flush();
    let quit = Instant::now() + Duration::from_secs(30);
    while session.get_process().is_alive().unwrap_or(false) && Instant::now() < quit {
        pump(&mut session, &mut parser);
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(ReviewRun {
        first_screen,
        peak_rss_kib,
    })
}
