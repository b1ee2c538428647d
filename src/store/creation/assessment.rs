//! Assessing the in-scope grants: each grant's insights, reviewer, risk
//! and comparison with the previous campaign, and the hash of what its
//! item will hold, read and computed in pieces on several connections.

use super::evidence::{GRANT_EVIDENCE, IDENTITY_HEAD, PARTS, Part, at, cell, identity_cell};
use super::surroundings::{IdentityPart, IdentityRow, Surroundings};
use super::{Pending, Since, Split};
use crate::audit;
use crate::domain::Stamp;
use crate::domain::insight::{self, Context, Subject};
use crate::rules::Refusal;
use crate::store::Result;
use crate::store::campaigns::{EVIDENCE, ItemContext, NewCampaign, item_hash};
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
    around: &'a Surroundings,
    reviewers: Vec<String>,
    interned: HashMap<String, u32>,
    last_reviewer: Option<u32>,
    last_identity: Option<Known<'a>>,
    encoded: Vec<u8>,
}

impl<'a> Assessor<'a> {
    fn new(spec: &'a NewCampaign, around: &'a Surroundings) -> Assessor<'a> {
        Assessor {
            spec,
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
    /// identity has no current version (which the scope's join leaves out).
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
        let reviewer_index = self.reviewer_index(reviewer);
        let lapsed_exception = around.lapsed.get(&grant).copied();
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
        };
        let ctx = Context {
            today: spec.as_of,
            policy: &spec.policy,
            reviewer,
            other_tenants: &known.other_tenants,
            lapsed_exception,
            revocation_not_done: not_done,
            context_changes: &context_changes,
        };
        let flags = insight::flags(&subject, &ctx);
        let (score, recommendation) = insight::score(flags, &spec.policy);
        let context =
            if lapsed_exception.is_none() && not_done.is_none() && context_changes.is_empty() {
                known.context.clone()
            } else {
                let context = ItemContext {
                    other_tenants: known.other_tenants.clone(),
                    lapsed_exception,
                    revocation_not_done: not_done.cloned(),
                    context_changes,
                };
                Some(Arc::from(
                    serde_json::to_string(&context).unwrap_or_default(),
                ))
            };
        let (since, previous) = match earlier {
            None => (Since::New, None),
            Some((item, seen)) if *seen == versions => (Since::Unchanged, Some(*item)),
            Some((item, _)) => (Since::Changed, Some(*item)),
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

/// Assesses every in-scope grant; returns the items, each with the hash
/// of what it will hold.
pub(super) fn compute_items(
    readers: &Readers<'_>,
    split: Split,
    spec: &NewCampaign,
    around: &Surroundings,
) -> Result<Items> {
    let mut sql = scope_sql(!spec.scope.is_empty());
    let mut values = Vec::new();
    push_filters(&spec.scope, Target::Register, &mut sql, &mut values).map_err(|field| {
        Refusal::invalid(
            "where",
            format!("--where {field}: a campaign's scope can only use register fields"),
        )
    })?;
    // Unscoped, the scan is cut into ranges of grant ids read side by
    // side. A scope's filters can make SQLite start from an index on the
    // identities instead, and every range would then repeat that walk:
    // a scoped campaign is read in one go.
    let pieces: Vec<Option<(i64, i64)>> = if spec.scope.is_empty() {
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
        Assessor::new(spec, around).scan(conn, &sql, &values, *grants)
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
