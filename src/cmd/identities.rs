//! `recert identities`: one register across tenants. Identities that
//! share an identity id or e-mail are one person; `--cross-tenant` keeps
//! only people found in more than one tenant, the MSP's first question.

use super::table::Table;
use super::{Env, filters_arg};
use crate::cli::IdentitiesArgs;
use crate::domain::people;
use color_eyre::Result;

pub fn run(args: &IdentitiesArgs, env: &Env) -> Result<()> {
    let store = env.open()?;
    let entries = store.identities(&filters_arg(&args.filters)?)?;
    let people: Vec<people::Person> = people::group(entries)
        .into_iter()
        .filter(|p| !args.cross_tenant || p.is_cross_tenant())
        .collect();
    if args.json {
        super::print_json(&people)?;
        return Ok(());
    }
    let mut table = Table::new(&[
        "PERSON",
        "TENANTS",
        "IDENTITY",
        "TENANT",
        "KIND",
        "RELATIONSHIP",
        "ORGANIZATION",
        "SPONSOR",
        "GRANTS",
    ]);
    for person in &people {
        for (n, identity) in person.identities.iter().enumerate() {
            let first = n == 0;
            let mut relationship = identity.relationship.clone();
            if identity.active == Some(false) {
                relationship.push_str(" (disabled)");
            }
            table.row(vec![
                if first {
                    person.key.clone()
                } else {
                    String::new()
                },
                if first {
                    person.tenants.len().to_string()
                } else {
                    String::new()
                },
                identity.identity_id.clone(),
                identity.tenant.clone(),
                identity.kind.clone(),
                relationship,
                identity.organization.clone().unwrap_or_default(),
                identity.sponsor.clone().unwrap_or_default(),
                identity.grants.to_string(),
            ]);
        }
    }
    out!("{}", table.render())?;
    let cross = people.iter().filter(|p| p.is_cross_tenant()).count();
    outln!(
        "{} {} ({} in more than one tenant)",
        people.len(),
        if people.len() == 1 {
            "person"
        } else {
            "people"
        },
        cross
    )?;
    Ok(())
}
