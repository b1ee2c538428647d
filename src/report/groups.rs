//! The MSP-level summaries: a campaign's items per tenant and per
//! organization (items, decided, revoked, exceptions, still effective,
//! overdue), added up from the store's counts per (tenant, organization).
//!
//! *Overdue* is an item still waiting for a decision (none in force, or
//! reassigned) on a day after the campaign's due date, the day being the
//! report's own. Only an open campaign's unsigned parts have anything
//! overdue: a signed part, a signed-off, closed or cancelled campaign take
//! no more decisions, and their undecided items were acknowledged by the
//! signer or met the close action.

use super::Context;
use crate::domain::{CampaignState, Stamp};
use crate::store::GroupTally;
use serde::Serialize;
use std::collections::BTreeMap;

/// One tenant's or organization's line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The tenant, or the organization (`None`: the identity has none).
    pub name: Option<String>,
    /// For an organization: the tenants its items are in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<String>,
    pub items: u64,
    pub decided: u64,
    pub revoked: u64,
    pub exceptions: u64,
    pub still_effective: u64,
    pub overdue: u64,
}

impl Summary {
    fn add(&mut self, g: &GroupTally, late: bool, ctx: &Context<'_>) {
        self.items += g.items;
        self.decided += g.decided();
        self.revoked += g.revoked;
        self.exceptions += g.exceptions;
        self.still_effective += g.still_effective;
        let signed = ctx
            .part_of(g.sponsor.as_deref())
            .is_some_and(|part| part.signer.is_some());
        if late && !signed {
            self.overdue += g.waiting;
        }
    }
}

/// Whether items still waiting in unsigned parts are overdue in the
/// report's context: the campaign is open and its due date has passed.
pub fn overdue(ctx: &Context<'_>) -> bool {
    let c = ctx.campaign;
    let open = c.state == CampaignState::Open;
    let day = Stamp::parse(&ctx.generated.at).ok().map(|s| s.day());
    open && day.is_some_and(|day| day > c.due)
}

/// Per tenant, in tenant order.
pub fn by_tenant(ctx: &Context<'_>) -> Vec<Summary> {
    let late = overdue(ctx);
    let mut out: BTreeMap<&str, Summary> = BTreeMap::new();
    for g in &ctx.evidence.groups {
        out.entry(&g.tenant)
            .or_insert_with(|| Summary {
                name: Some(g.tenant.clone()),
                ..Summary::default()
            })
            .add(g, late, ctx);
    }
    out.into_values().collect()
}

/// Per organization across tenants, in organization order; items whose
/// identity names none last.
pub fn by_organization(ctx: &Context<'_>) -> Vec<Summary> {
    let late = overdue(ctx);
    // `None` sorts first in an Option; keyed by (absent, name) it sorts last.
    let mut out: BTreeMap<(bool, &str), Summary> = BTreeMap::new();
    for g in &ctx.evidence.groups {
        let org = g.organization.as_deref();
        let line = out
            .entry((org.is_none(), org.unwrap_or_default()))
            .or_insert_with(|| Summary {
                name: g.organization.clone(),
                ..Summary::default()
            });
        line.add(g, late, ctx);
        if !line.tenants.contains(&g.tenant) {
            line.tenants.push(g.tenant.clone());
        }
    }
    out.into_values().collect()
}
