//! Assessing the in-scope grants: each grant's insights, reviewer, risk
//! and comparison with the previous campaign, and the hash of what its
//! item will hold, read and computed in pieces on several connections.

use super::evidence::{GRANT_EVIDENCE, IDENTITY_HEAD, PARTS, Part, at, cell, identity_cell};
use super::surroundings::{IdentityPart, IdentityRow, Surroundings};
use super::{Pending, Since, Split};
use crate::audit;
use crate::domain::filter::Field;
use crate::domain::insight::{self, Context, Subject};
use crate::domain::{Filter, Flag, FlagSet, Stamp};
use crate::rules::Refusal;
use crate::store::Result;
use crate::store::campaigns::{CatalogRef, EVIDENCE, ItemContext, NewCampaign, item_hash};
use crate::store::effective::REGISTER_JOIN;
use crate::store::query::{Target, push_filters};
use crate::store::readers::Readers;
use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, params_from_iter};
use std::sync::Arc;

fn day(value: Option<&str>) -> Option<NaiveDate> {
    value.and_then(|s| Stamp::parse(s).ok()).map(|s| s.day())
}

/// The SQL reading the current grants in a scope: the grant's key and
/// version, its identity's key and its part of the evidence. Only a scope
/// needs the identities joined, to filter on them.
fn scope_sql(scoped: bool) -> String {
    let join = if scoped {
        format!(
            " JOIN identity idn ON idn.key = e.identity AND idn.superseded IS NULL{REGISTER_JOIN}"
        )
    } else {
        String::new()
    };
    format!(
        "SELECT e.key, e.id, e.identity, {}
         FROM entitlement e{join}
         WHERE e.superseded IS NULL AND e.removed_snapshot IS NULL",
        GRANT_EVIDENCE.join(", ")
    )
}

/// Columns of the scope query: grant key, grant version, identity key,
/// then the grant's part of the evidence.
const SCAN_WIDTH: usize = 3 + GRANT_EVIDENCE.len();

/// The items of one piece of the scan, in grant order, with the reviewers
/// they name (indexes into `reviewers`).
struct Assessed {
    items: Vec<Pending>,
    reviewers: Vec<String>,
}

/// The identity of the grants being assessed, with what its items share:
/// its other tenants; when they have no lapsed exception, their context as
/// JSON; its values of the evidence, parsed and encoded once.
struct Known<'a> {
    key: i64,
    part: &'a IdentityPart,
    row: &'a IdentityRow,
    other_tenants: Vec<String>,
    context: Option<Arc<str>>,
    /// Its values of the evidence that the insights read, parsed once.
    identity_id: &'a str,
    email: Option<&'a str>,
    sponsor: Option<&'a str>,
    kind: crate::domain::IdentityKind,
    relationship: crate::domain::Relationship,
    contract_end: Option<NaiveDate>,
    /// The first `IDENTITY_HEAD` values of the evidence, encoded.
    head: Vec<u8>,
}

/// What one connection keeps between the rows of its piece: reviewers
/// interned, and the last identity, since the grants of one identity come
/// one after the other.
struct Assessor<'a> {
    spec: &'a NewCampaign,
    narrowing: &'a Narrowing,
    around: &'a Surroundings,
    reviewers: Vec<String>,
    interned: HashMap<String, u32>,
    last_reviewer: Option<u32>,
    last_identity: Option<Known<'a>>,
    encoded: Vec<u8>,
}

impl<'a> Assessor<'a> {
    fn new(
        spec: &'a NewCampaign,
        narrowing: &'a Narrowing,
        around: &'a Surroundings,
    ) -> Assessor<'a> {
        Assessor {
            spec,
            narrowing,
            around,
            reviewers: Vec::new(),
            interned: HashMap::new(),
            last_reviewer: None,
            last_identity: None,
            encoded: Vec::with_capacity(512),
        }
    }

    fn reviewer_index(&mut self, reviewer: &str) -> u32 {
        if let Some(last) = self.last_reviewer
            && self.reviewers[last as usize] == reviewer
        {
            return last;
        }
        let index = match self.interned.get(reviewer) {
            Some(index) => *index,
            None => {
                let index = self.reviewers.len() as u32;
                self.reviewers.push(reviewer.to_string());
                self.interned.insert(reviewer.to_string(), index);
                index
            }
        };
        self.last_reviewer = Some(index);
        index
    }

    /// The identity with key `key`, from the last row when it is the same.
    fn identity(&mut self, key: i64) -> Option<Known<'a>> {
        // The last identity's buffer serves the next.
        let mut head = match self.last_identity.take() {
            Some(known) if known.key == key => return Some(known),
            Some(known) => known.head,
            None => Vec::with_capacity(256),
        };
        head.clear();
        let (part, row) = self.around.identity(key)?;
        let cell = |n: usize| part.cell(row, n);
        // Other tenants are a fact of the identity version (its tenant, id
        // and effective e-mail): worked out once for its run of grants.
        let other_tenants = self.around.other_tenants(
            cell(cell::TENANT).unwrap_or_default(),
            cell(cell::IDENTITY_ID).unwrap_or_default(),
            cell(cell::EMAIL),
        );
        let context = (!other_tenants.is_empty()).then(|| {
            let context = ItemContext {
                other_tenants: other_tenants.clone(),
                ..ItemContext::default()
            };
            Arc::from(serde_json::to_string(&context).unwrap_or_default())
        });
        let value = |at: usize| cell(identity_cell(at));
        for at in 0..IDENTITY_HEAD {
            audit::encode(
                &mut head,
                value(at).map_or(audit::Value::Null, audit::Value::text),
            );
        }
        Some(Known {
            key,
            part,
            row,
            other_tenants,
            context,
            identity_id: value(at::IDENTITY_ID).unwrap_or_default(),
            email: value(at::EMAIL),
            sponsor: value(at::SPONSOR),
            kind: value(at::KIND)
                .and_then(|k| k.parse().ok())
                .unwrap_or(crate::domain::IdentityKind::Human),
            relationship: value(at::RELATIONSHIP)
                .and_then(|r| r.parse().ok())
                .unwrap_or(crate::domain::Relationship::Unknown),
            contract_end: day(value(at::CONTRACT_END)),
            head,
        })
    }

    /// Assesses one row of the scope query; `None` for a grant whose
    /// identity has no current version (which the scope's join leaves out),
    /// or whose flags or comparison the scope's `flag=` or `since=` leave out.
    fn assess(&mut self, row: &[ValueRef<'_>; SCAN_WIDTH]) -> Result<Option<Pending>> {
        let spec = self.spec;
        let around = self.around;
        let grant = row[0].as_i64()?;
        let entitlement = row[1].as_i64()?;
        let Some(known) = self.identity(row[2].as_i64()?) else {
            return Ok(None);
        };
        let (part, identity_row) = (known.part, known.row);
        let from_identity = |n: usize| {
            part.cell(identity_row, n)
                .map_or(ValueRef::Null, ValueRef::from)
        };
        let granted = &row[3..];
        let mut evidence = [ValueRef::Null; EVIDENCE.len()];
        for (value, source) in evidence.iter_mut().zip(PARTS) {
            *value = match source {
                Part::Identity(n) => from_identity(n),
                Part::Grant(n) => granted[n],
                Part::GrantElseIdentity(g, n) => match granted[g] {
                    ValueRef::Null => from_identity(n),
                    value => value,
                },
            };
        }
        let identity = identity_row.version;
        let register = identity_row.register;
        let text = |at: usize| evidence[at].as_str_or_null();
        let flag = |at: usize| -> Result<bool> { Ok(evidence[at].as_i64()? != 0) };
        let (email, sponsor) = (known.email, known.sponsor);
        let owners = [text(at::BUSINESS_OWNER)?, text(at::TECHNICAL_OWNER)?];
        let reviewer = spec
            .reviewer_rule
            .pick(sponsor, owners[0], owners[1], &spec.owner);
        let reviewer = crate::rules::routing::reviewer(
            spec.policy.effective_self_review(),
            reviewer,
            known.identity_id,
            email,
            [owners[0], owners[1], Some(&spec.owner)],
        );
        let reviewer = &*reviewer;
        let lapsed_exception = around.lapsed.get(&grant).copied();
        // Issue 24: the catalog's entry and the SoD pairs, per grant.
        let system = granted[0].as_str_or_null()?.unwrap_or_default();
        let name = granted[2].as_str_or_null()?.unwrap_or_default();
        let tenant = part.cell(identity_row, cell::TENANT).unwrap_or_default();
        let catalog = around.catalog(tenant, system, name);
        let sod = around.sod(&spec.policy.sod, known.key, system, name);
        let not_done = around.not_done.get(&grant);
        let versions = [Some(entitlement), Some(identity), register];
        let earlier = around.previous.get(&grant);
        // Only an identity or register version the previous item did not
        // point at can have changed its context.
        let context_changes = match earlier {
            Some((_, [_, Some(then), then_register]))
                if (*then, *then_register) != (identity, register) =>
            {
                match around.previous_context.get(&(*then, *then_register)) {
                    Some(before) => {
                        let now = |at: usize| part.cell(identity_row, identity_cell(at));
                        let after = [
                            now(at::RELATIONSHIP),
                            now(at::ORGANIZATION),
                            now(at::REGION),
                            now(at::SPONSOR),
                        ];
                        insight::context_changes(&before.each_ref().map(|v| v.as_deref()), &after)
                    }
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        let subject = Subject {
            identity_id: known.identity_id,
            email,
            kind: known.kind,
            relationship: known.relationship,
            sponsor,
            privileged: flag(at::PRIVILEGED)?,
            shared: flag(at::SHARED)?,
            granted_at: day(text(at::GRANTED)?),
            expires_at: day(text(at::EXPIRES)?),
            last_used_at: day(text(at::LAST_USED)?),
            credential_rotated_at: day(text(at::ROTATED)?),
            active: evidence[at::ACTIVE].as_i64_or_null()?.map(|a| a != 0),
            contract_end: known.contract_end,
            justified: text(at::JUSTIFICATION)?.is_some_and(|j| !j.trim().is_empty()),
        };
        let overdue_rotation = around.overdue_rotations.get(&grant);
        let ctx = Context {
            today: spec.as_of,
            policy: &spec.policy,
            reviewer,
            other_tenants: &known.other_tenants,
            lapsed_exception,
            overdue_rotation,
            around: insight::Around {
                previous_review: around.previous_review,
                sod: &sod,
                sensitivity: catalog.and_then(|c| c.sensitivity),
            },
            revocation_not_done: not_done,
            context_changes: &context_changes,
        };
        let flags = insight::flags(&subject, &ctx);
        let (since, previous) = match earlier {
            None => (Since::New, None),
            Some((item, seen)) if *seen == versions => (Since::Unchanged, Some(*item)),
            Some((item, _)) => (Since::Changed, Some(*item)),
        };
        if !self.narrowing.admits(flags.bits(), since) {
            // Still the identity of the next row, most likely.
            self.last_identity = Some(known);
            return Ok(None);
        }
        // Interned only for the items kept: a reviewer of none is no reviewer.
        let reviewer_index = self.reviewer_index(reviewer);
        let (score, recommendation) = insight::score(flags, &spec.policy);
        // The previous review is kept only where a reason names it.
        let previous_review = around
            .previous_review
            .filter(|_| flags.contains(crate::domain::Flag::BreakGlassUsed));
        let context = if lapsed_exception.is_none()
            && overdue_rotation.is_none()
            && not_done.is_none()
            && context_changes.is_empty()
            && sod.is_empty()
            && catalog.is_none()
            && previous_review.is_none()
        {
            known.context.clone()
        } else {
            let context = ItemContext {
                other_tenants: known.other_tenants.clone(),
                lapsed_exception,
                overdue_rotation: overdue_rotation.cloned(),
                revocation_not_done: not_done.cloned(),
                context_changes,
                sod,
                previous_review,
                catalog: catalog.map(|c| CatalogRef {
                    entry: c.entry,
                    sensitivity: c.sensitivity,
                }),
            };
            Some(Arc::from(
                serde_json::to_string(&context).unwrap_or_default(),
            ))
        };
        let mut pending = Pending {
            hash: [0; 32],
            grant,
            entitlement,
            identity,
            register,
            score,
            flags: flags.bits(),
            recommendation,
            since,
            reviewer: reviewer_index,
            context,
            previous,
            relationship: subject.relationship,
        };
        self.encoded.clear();
        pending.encode_fields(reviewer, &mut self.encoded);
        self.encoded.extend_from_slice(&known.head);
        for value in &evidence[IDENTITY_HEAD..] {
            audit::encode(&mut self.encoded, (*value).into());
        }
        pending.hash = item_hash(&self.encoded);
        self.last_identity = Some(known);
        Ok(Some(pending))
    }

    /// Runs the scope query (over `grants`, a range of grant ids, when
    /// given) and assesses every row.
    fn scan(
        mut self,
        conn: &Connection,
        sql: &str,
        values: &[SqlValue],
        grants: Option<(i64, i64)>,
    ) -> Result<Assessed> {
        let mut select = conn.prepare(sql)?;
        let range = grants.map(|(lo, hi)| [SqlValue::Integer(lo), SqlValue::Integer(hi)]);
        let params = values.iter().chain(range.iter().flatten());
        let mut rows = select.query(params_from_iter(params))?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            let mut columns = [ValueRef::Null; SCAN_WIDTH];
            for (at, column) in columns.iter_mut().enumerate() {
                *column = row.get_ref(at)?;
            }
            if let Some(item) = self.assess(&columns)? {
                items.push(item);
            }
        }
        Ok(Assessed {
            items,
            reviewers: self.reviewers,
        })
    }
}

/// What a scope's `flag=` and `since=` filters keep, known only once a
/// grant is assessed: each `flag=` filter a mask of which one flag must be
/// set (filters AND, a filter's values OR), `since=` the comparisons
/// allowed. Without them it admits everything, at the cost of a compare.
#[derive(Debug, Default)]
pub(super) struct Narrowing {
    flags: Vec<u32>,
    /// Bit per [`Since`]: set, the comparison is allowed.
    since: u8,
}

const EVERY_SINCE: u8 = 0b111;

fn since_bit(since: Since) -> u8 {
    match since {
        Since::New => 1,
        Since::Changed => 2,
        Since::Unchanged => 4,
    }
}

impl Narrowing {
    /// Splits a scope into what the assessment narrows and the filters on
    /// the register, which the scan's SQL applies.
    pub(super) fn of(scope: &[Filter]) -> (Narrowing, Vec<Filter>) {
        let mut narrowing = Narrowing {
            flags: Vec::new(),
            since: EVERY_SINCE,
        };
        let mut register = Vec::new();
        for filter in scope {
            match filter.field {
                Field::Flag => narrowing.flags.push(
                    filter
                        .values
                        .iter()
                        .filter_map(|v| Flag::from_name(v))
                        .fold(0, |mask, flag| mask | FlagSet::mask(flag)),
                ),
                Field::Since => {
                    let allowed = filter
                        .values
                        .iter()
                        .map(|v| match v.as_str() {
                            "new" => since_bit(Since::New),
                            "changed" => since_bit(Since::Changed),
                            "unchanged" => since_bit(Since::Unchanged),
                            _ => 0,
                        })
                        .fold(0, |a, b| a | b);
                    narrowing.since &= allowed;
                }
                _ => register.push(filter.clone()),
            }
        }
        (narrowing, register)
    }

    fn admits(&self, flags: u32, since: Since) -> bool {
        self.since & since_bit(since) != 0 && self.flags.iter().all(|mask| flags & mask != 0)
    }
}

/// Assesses every in-scope grant; returns the items, each with the hash
/// of what it will hold.
pub(super) fn compute_items(
    readers: &Readers<'_>,
    split: Split,
    spec: &NewCampaign,
    around: &Surroundings,
) -> Result<Items> {
    let (narrowing, register) = Narrowing::of(&spec.scope);
    let mut sql = scope_sql(!register.is_empty());
    let mut values = Vec::new();
    push_filters(&register, Target::Register, &mut sql, &mut values).map_err(|field| {
        Refusal::invalid(
            "where",
            format!(
                "--where {field}: a campaign's scope can use the register's fields, flag and \
                 since; {field} exists only once the campaign's items are there \
                 (`recert items --where {field}=…` filters them)"
            ),
        )
    })?;
    // Unscoped, the scan is cut into ranges of grant ids read side by
    // side. A scope's filters can make SQLite start from an index on the
    // identities instead, and every range would then repeat that walk:
    // a scoped campaign is read in one go.
    let pieces: Vec<Option<(i64, i64)>> = if register.is_empty() {
        let (lo, hi): (Option<i64>, Option<i64>) = readers.main().query_row(
            "SELECT (SELECT min(id) FROM entitlement), (SELECT max(id) FROM entitlement)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        match (lo, hi) {
            (Some(lo), Some(hi)) => {
                sql.push_str(" AND e.id BETWEEN ? AND ?");
                split
                    .ranges(lo, hi, readers.width())
                    .into_iter()
                    .map(Some)
                    .collect()
            }
            _ => vec![None],
        }
    } else {
        vec![None]
    };
    sql.push_str(" ORDER BY e.id");
    let assessed = readers.run(&pieces, |conn, grants| {
        Assessor::new(spec, &narrowing, around).scan(conn, &sql, &values, *grants)
    })?;
    // One list of reviewers for all the pieces. The pieces themselves
    // stay where they are: gathering them into one vector would hold two
    // copies of a million items at the moment of the move.
    let mut reviewers: Vec<String> = Vec::new();
    let mut interned: HashMap<String, u32> = HashMap::new();
    let mut pieces = Vec::with_capacity(assessed.len());
    for piece in assessed {
        let local: Vec<u32> = piece
            .reviewers
            .into_iter()
            .map(|name| match interned.get(&name) {
                Some(index) => *index,
                None => {
                    let index = reviewers.len() as u32;
                    reviewers.push(name.clone());
                    interned.insert(name, index);
                    index
                }
            })
            .collect();
        let mut items = piece.items;
        for item in &mut items {
            item.reviewer = local[item.reviewer as usize];
        }
        pieces.push(items);
    }
    Ok(Items { pieces, reviewers })
}

/// Every in-scope item, in grant order across the pieces it was read in,
/// and the reviewers they name.
pub(super) struct Items {
    pieces: Vec<Vec<Pending>>,
    pub(super) reviewers: Vec<String>,
}

impl Items {
    pub(super) fn in_grant_order(&self) -> Vec<&Pending> {
        self.pieces.iter().flatten().collect()
    }
}
