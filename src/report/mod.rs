//! Reports: one module per output format, each streaming a campaign's
//! items from the store so that a million-item campaign never sits in
//! memory.

pub mod csv;
