//! End-to-end tests: the real `recert` binary, driven through its command
//! line and, for the console, through a pseudo-terminal whose screen is read.

// Every test pins the clock with RECERT_NOW, which a release binary ignores
// (src/clock.rs): in release they would read the real clock and fail for
// reasons that are not theirs.
#[cfg(not(debug_assertions))]
compile_error!(
    "the end-to-end tests pin the clock, which release builds ignore: run them without --release \
     (`cargo test --release --lib` runs the unit tests)"
);

mod arguments;
mod audit;
mod authority;
#[cfg(feature = "system-tests")]
mod browser;
mod catalog;
mod cli;
mod concurrency;
mod crash;
mod evidence;
mod files;
mod from_file;
mod history;
mod host;
mod hostile;
mod insights;
mod lifecycle;
mod manners;
mod next_quarter;
mod people;
mod pipes;
mod readme;
mod remediation;
mod repeat;
mod report_tenants;
mod rotate;
mod signoff;
mod sources;
#[cfg(feature = "system-tests")]
mod sshd;
mod stalled;
mod tui_pty;
mod util;
