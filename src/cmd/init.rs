//! `recert init`: create the database.

use super::Env;
use crate::store::Store;
use color_eyre::Result;
use color_eyre::eyre::WrapErr;

pub fn run(env: &Env) -> Result<()> {
    let (store, created) = Store::create(&env.db)
        .wrap_err_with(|| format!("cannot initialise {}", env.db.display()))?;
    let path = crate::domain::text::sanitize(&store.path().display().to_string()).into_owned();
    if created {
        outln!("created {path} (schema {})", store.schema_version()?)?;
    } else {
        outln!("{path} is ready (schema {})", store.schema_version()?)?;
    }
    Ok(())
}
