//! A consistent copy of the database while reviewers work: SQLite's
//! online backup, which copies pages under a read transaction of its own.

use super::{BUSY_TIMEOUT, Result, Store, StoreError};
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};
use std::path::Path;
use std::time::{Duration, Instant};

impl Store {
    /// Copies the database into `dest`, an empty file the caller created
    /// (owner-only). Every page goes in one step, so the copy is one
    /// snapshot: a single step reads under one transaction, which in a WAL
    /// database sees one state and lets writers in other processes go on
    /// (copied a few pages at a time, every write elsewhere would restart
    /// the copy from the beginning, and a busy host might never finish).
    pub fn backup_into(&self, dest: &Path) -> Result<()> {
        let mut to = Connection::open(dest)?;
        {
            let backup = Backup::new(&self.conn, &mut to)?;
            let started = Instant::now();
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    StepResult::More => {}
                    _ if started.elapsed() < BUSY_TIMEOUT => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    _ => return Err(StoreError::Busy),
                }
            }
        }
        to.close().map_err(|(_, e)| e)?;
        Ok(())
    }
}
