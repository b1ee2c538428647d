//! recert: a terminal console for access recertification. The binary in
//! `main.rs` is a thin shell over this library so that tests and benchmarks
//! drive the same code.

// The exceptions, each with its reasons: `store::bulk`, `store::sqlite`.
#![deny(unsafe_code)]

pub mod audit;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod domain;
// For tests and benches only (see the feature in Cargo.toml).
#[cfg(any(test, feature = "estate"))]
pub mod estate;
pub mod files;
pub mod import;
pub mod output;
pub mod report;
pub mod rules;
pub mod store;
pub mod tui;

#[cfg(test)]
mod testing;
