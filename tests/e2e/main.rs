//! End-to-end tests: the real `recert` binary, driven through its command
//! line and, for the console, through a pseudo-terminal whose screen is read.

mod audit;
mod cli;
mod concurrency;
mod crash;
mod files;
mod hostile;
mod insights;
mod lifecycle;
mod readme;
mod remediation;
mod sources;
mod tui_pty;
mod util;
