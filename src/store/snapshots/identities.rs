//! The identities behind an import's grants: each row's identity found
//! (or known from the row before), written anew when the file describes it
//! differently, and rows of one file that disagree about an identity kept
//! as conflicts for the importer to report.

use super::ImportSession;
use crate::domain::EntitlementRecord;
use crate::domain::model::IdentityAttributes;
use crate::store::Result;
use crate::store::bulk::Value;
use crate::store::digest::Stream;
use rusqlite::{OptionalExtension, params};
use std::hash::{Hash, Hasher};

/// Two rows of one file that describe the same identity differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityConflict {
    pub line: u64,
    pub first_line: u64,
    pub identity_id: String,
    pub field: &'static str,
    pub first_value: String,
    pub value: String,
}

/// The identity of the latest row: its key and what the file first said
/// of it. A file's rows for one identity usually come together, so this
/// spares a lookup per row.
pub(super) struct SeenIdentity {
    /// The identity's key, which grants refer to.
    key: i64,
    line: u64,
    attributes: IdentityAttributes,
}

/// An identity's attributes from `name, kind, relationship, organization,
/// region, sponsor, email` starting at column `first`.
fn attributes_at(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<IdentityAttributes> {
    Ok(IdentityAttributes {
        name: row.get(first)?,
        kind: row
            .get::<_, String>(first + 1)?
            .parse()
            .unwrap_or(crate::domain::IdentityKind::Human),
        relationship: row
            .get::<_, String>(first + 2)?
            .parse()
            .unwrap_or(crate::domain::Relationship::Unknown),
        organization: row.get(first + 3)?,
        region: row.get(first + 4)?,
        sponsor: row.get(first + 5)?,
        email: row.get(first + 6)?,
    })
}

/// How many identity disagreements are kept in full; the rest are counted.
pub(super) const KEPT_CONFLICTS: usize = 100;

impl ImportSession<'_> {
    /// Rows of this file that disagree with an earlier row about an
    /// identity: the first ones (see [`Self::identity_conflict_total`]).
    pub fn identity_conflicts(&self) -> &[IdentityConflict] {
        &self.conflicts
    }

    /// How many disagreements there are in all.
    pub fn identity_conflict_total(&self) -> usize {
        self.conflict_total
    }

    /// The identity's key, its current version written anew when this file
    /// describes it differently; disagreements within the file become conflicts.
    pub(super) fn identity(&mut self, line: u64, record: &EntitlementRecord) -> Result<i64> {
        if let Some((tenant, id, seen)) = &self.last_identity
            && *tenant == record.tenant
            && *id == record.identity_id
        {
            let (key, first_line) = (seen.key, seen.line);
            let differences = seen.attributes.differences(record);
            self.conflicts_found(line, first_line, record, differences);
            return Ok(key);
        }
        let mut attributes = record.identity_attributes();
        attributes.email = record.effective_email().map(str::to_string);
        let current = if self.certainly_new_identity(record)? {
            None
        } else {
            self.stmts
                .find_identity
                .query_row(params![record.tenant, record.identity_id], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        attributes_at(row, 2)?,
                    ))
                })
                .optional()?
        };
        let described = current
            .as_ref()
            .and_then(|(_, key, _)| self.described_at(*key));
        let (key, first_line, attributes) = match (current, described) {
            (Some((_, key, stored)), Some(first_line)) => {
                let differences = stored.differences(record);
                self.conflicts_found(line, first_line, record, differences);
                (key, first_line, stored)
            }
            (Some((_, key, stored)), None) if stored == attributes => (key, line, attributes),
            (Some((version, key, stored)), None) => {
                let changed = stored.differences(record).into_iter().map(|(f, _, _)| f);
                self.counts.identities.count(changed);
                self.stmts
                    .supersede_identity
                    .execute(params![version, self.snapshot])?;
                self.digest.mark(Stream::IdentitySuperseded, version);
                (
                    self.insert_identity(Some(key), record, &attributes)?,
                    line,
                    attributes,
                )
            }
            (None, _) => (
                self.insert_identity(None, record, &attributes)?,
                line,
                attributes,
            ),
        };
        self.mark_described(key, first_line);
        self.last_identity = Some((
            record.tenant.clone(),
            record.identity_id.clone(),
            SeenIdentity {
                key,
                line: first_line,
                attributes,
            },
        ));
        Ok(key)
    }

    /// Whether the database cannot hold this identity yet: its tenant held
    /// no identities before this import, and no earlier row of this file
    /// named it. A first import is almost all such identities, and this
    /// spares each a lookup. Names are remembered as 64-bit hashes: a
    /// collision only costs the lookup.
    fn certainly_new_identity(&mut self, record: &EntitlementRecord) -> Result<bool> {
        let tenant_was_empty = match self.new_tenants.get(&record.tenant) {
            Some(empty) => *empty,
            None => {
                let empty: bool = self
                    .conn
                    .prepare_cached(
                        "SELECT NOT EXISTS (SELECT 1 FROM identity
                                            WHERE tenant = ?1 AND superseded IS NULL)",
                    )?
                    .query_row([&record.tenant], |r| r.get(0))?;
                self.new_tenants.insert(record.tenant.clone(), empty);
                empty
            }
        };
        if !tenant_was_empty {
            return Ok(false);
        }
        let mut hasher = std::hash::DefaultHasher::new();
        (&record.tenant, &record.identity_id).hash(&mut hasher);
        Ok(self.named_in_new_tenants.insert(hasher.finish()))
    }

    fn conflicts_found(
        &mut self,
        line: u64,
        first_line: u64,
        record: &EntitlementRecord,
        differences: Vec<(&'static str, String, String)>,
    ) {
        for (field, first_value, value) in differences {
            self.conflict_total += 1;
            if self.conflicts.len() < KEPT_CONFLICTS {
                self.conflicts.push(IdentityConflict {
                    line,
                    first_line,
                    identity_id: record.identity_id.clone(),
                    field,
                    first_value,
                    value,
                });
            }
        }
    }

    fn mark_described(&mut self, key: i64, line: u64) {
        let index = key as usize;
        if index >= self.described.len() {
            self.described.resize(index + 1, 0);
        }
        if self.described[index] == 0 {
            self.described[index] = line.max(1);
        }
    }

    fn described_at(&self, key: i64) -> Option<u64> {
        self.described
            .get(key as usize)
            .filter(|line| **line != 0)
            .copied()
    }

    /// Writes a version of an identity; returns its key.
    fn insert_identity(
        &mut self,
        key: Option<i64>,
        record: &EntitlementRecord,
        a: &IdentityAttributes,
    ) -> Result<i64> {
        let id = self.next_identity;
        let key = key.unwrap_or(id);
        let values = [
            id.into(),
            key.into(),
            record.tenant.as_str().into(),
            record.identity_id.as_str().into(),
            a.name.as_str().into(),
            a.kind.as_str().into(),
            a.relationship.as_str().into(),
            Value::from(&a.organization),
            Value::from(&a.region),
            Value::from(&a.sponsor),
            Value::from(&a.email),
            self.snapshot.0.into(),
        ];
        self.stmts.insert_identity.execute(&values)?;
        self.digest.row(Stream::Identity, &values);
        self.next_identity += 1;
        Ok(key)
    }
}
