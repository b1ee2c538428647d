//! The HTML report in a real browser: headless Chromium from the
//! distribution's packages renders it to a DOM, a PNG and a PDF. Behind the
//! `system-tests` feature (`cargo test --features system-tests`): it needs
//! the `chromium-headless-shell` package (Debian; `chromium` works too) and
//! fails, saying how to install it, when it is missing; it never skips.

use crate::report_tenants::two_tenants;
use crate::util::Sandbox;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's headless shell first: it runs without a display or GPU as
/// root in CI. Ubuntu's `chromium-browser` is a stub that asks for snapd,
/// which CI containers lack, so it is not tried.
const BROWSERS: [&str; 2] = ["chromium-headless-shell", "chromium"];
const INSTALL: &str = "apt-get install -y chromium-headless-shell";
/// Generous: a cold start on a loaded two-core machine takes seconds.
const DEADLINE: Duration = Duration::from_secs(120);

/// The browser's path, or a failure naming the install command.
fn require_chromium() -> PathBuf {
    for name in BROWSERS {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        if let Some(path) = found {
            return path;
        }
    }
    panic!(
        "the system tests need a headless Chromium and none of {BROWSERS:?} is installed: \
         install it with `{INSTALL}` (or run `cargo test` without --features system-tests)"
    );
}

/// Runs the browser headless on `page` with `args`; returns its standard
/// output. It gets a profile of its own in the sandbox and no network.
fn chromium(sandbox: &Sandbox, page: &Path, args: &[String]) -> String {
    let browser = require_chromium();
    let profile = sandbox.path("chromium-profile");
    let mut child = Command::new(&browser)
        .args([
            "--headless",
            // Root in CI containers: Chromium's sandbox needs user namespaces.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1400,1800",
            // Nothing may leave the machine; the report fetches nothing anyway.
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", sandbox.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!("{} did not finish within {DEADLINE:?}", browser.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("chromium's output");
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        browser.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The report of the two-tenant campaign, as a file.
fn html_report(sandbox: &Sandbox) -> PathBuf {
    let path = sandbox.path("q4.html");
    sandbox.ok(&["report", "Q4", "--format", "html", "--out", "q4.html"]);
    path
}

#[test]
fn chromium_renders_the_per_tenant_table_of_the_html_report() {
    let sandbox = two_tenants();
    let page = html_report(&sandbox);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.to_lowercase().contains("<script"), "{html}");

    // The document as the browser parsed and laid it out.
    let dom = chromium(&sandbox, &page, &["--dump-dom".into()]);
    assert!(dom.contains("<h2>Tenants and organizations</h2>"), "{dom}");
    for row in [
        "<td>contoso</td><td>3</td><td>2</td><td>1</td><td>1</td><td>1</td><td>1</td>",
        "<td>fabrikam</td><td>2</td><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td>",
        "<td>Lumen Metrics</td><td>contoso, fabrikam</td><td>3</td><td>3</td>",
    ] {
        assert!(dom.contains(row), "{row}\n{dom}");
    }
    assert!(!dom.to_lowercase().contains("<script"), "{dom}");

    let png = sandbox.path("q4.png");
    chromium(
        &sandbox,
        &page,
        &[format!("--screenshot={}", png.display())],
    );
    let png = std::fs::read(&png).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    // Width and height from the IHDR chunk: the window asked for.
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (1400, 1800));
    // A blank page compresses to almost nothing; text and tables do not.
    assert!(png.len() > 20_000, "{} bytes", png.len());

    let pdf = sandbox.path("q4.pdf");
    chromium(
        &sandbox,
        &page,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
    );
    let pdf = std::fs::read(&pdf).expect("the PDF");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("/Type /Page") || text.contains("/Type/Page"),
        "pages"
    );
}

/// The report's Content-Security-Policy forbids scripts: a script slipped
/// into the file (as escaping, were it ever wrong, might let one in) does
/// not run in the browser, and the same script without the policy does,
/// so the check can tell the two apart.
#[test]
fn the_reports_content_security_policy_stops_a_script_in_chromium() {
    let sandbox = two_tenants();
    let page = html_report(&sandbox);
    let html = std::fs::read_to_string(&page).unwrap();
    let policy = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';";
    assert!(html.contains(policy), "{html}");
    let script = "<script>document.documentElement.setAttribute('data-ran', 'yes')</script>";
    let injected = html.replacen("</h1>", &format!("</h1>{script}"), 1);
    assert_ne!(injected, html);
    let guarded = sandbox.write("guarded.html", &injected);
    let dom = chromium(&sandbox, &guarded, &["--dump-dom".into()]);
    assert!(dom.contains("Tenants and organizations"), "{dom}");
    // The script's own text holds `'data-ran', 'yes'`; only running it
    // puts the attribute on the element.
    assert!(!dom.contains("data-ran=\"yes\""), "the script ran:\n{dom}");

    let start = injected.find("<meta http-equiv").unwrap();
    let end = start + injected[start..].find('>').unwrap() + 1;
    let unguarded = format!("{}{}", &injected[..start], &injected[end..]);
    let unguarded = sandbox.write("unguarded.html", &unguarded);
    let dom = chromium(&sandbox, &unguarded, &["--dump-dom".into()]);
    assert!(
        dom.contains("data-ran=\"yes\""),
        "without the policy it runs:\n{dom}"
    );
}
