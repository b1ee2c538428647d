//! Verification beyond the hash chain. The chain proves the log itself was
//! not edited; these checks prove that what reports are read from was not
//! either: every campaign's frozen items still match the digest its
//! creation event recorded, campaign rows (policy included) match their
//! creation events, snapshots and everything imports wrote match their
//! import events, every derived table (item state, tallies, remediation,
//! the register's matches) agrees with what it is derived from, the replay
//! finds nothing the rules would have refused, and the schema is the one
//! recert's migrations make.

use super::campaigns::{self, item_range};
use super::effective::EFFECTIVE_RELATIONSHIP;
use super::events::ChainReport;
use super::refusals::CampaignRules;
use super::{CampaignId, Result, Store, items, schema};
use crate::domain::Policy;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use std::collections::HashMap;

/// How many discrepancies are kept in full; the rest are counted.
const KEPT: usize = 50;

/// Something stored that disagrees with the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discrepancy {
    /// The event the stored data should agree with, when there is one.
    pub seq: Option<i64>,
    pub message: String,
}

/// Whether a hash someone holds (from a report) is in the chain, and the
/// evidence recorded up to it unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadCheck {
    pub hash: String,
    /// Its event, when the verified chain contains it.
    pub seq: Option<i64>,
    /// The first event at or before it whose evidence no longer matches.
    pub changed_at: Option<i64>,
}

impl HeadCheck {
    pub fn holds(&self) -> bool {
        self.seq.is_some() && self.changed_at.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub chain: ChainReport,
    pub heads: Vec<HeadCheck>,
    /// The first discrepancies found, in the order checked.
    pub discrepancies: Vec<Discrepancy>,
    /// How many there were in all.
    pub discrepancy_count: u64,
    pub campaigns: u64,
    pub items: u64,
    pub snapshots: u64,
    /// Import events whose digest of what they wrote was recomputed.
    pub imports_digested: u64,
    /// Import events made before recert recorded such digests: what they
    /// wrote is not checked.
    pub imports_undigested: u64,
    /// Campaigns whose creation event records no policy: their policy is
    /// not checked, nor are their decisions against it.
    pub campaigns_without_policy: u64,
    /// Tables, indexes, triggers and views compared with the migrations'.
    pub schema_objects: u64,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.chain.first_break.is_none()
            && self.discrepancy_count == 0
            && self.heads.iter().all(HeadCheck::holds)
    }
}

#[derive(Default)]
pub(super) struct Findings {
    kept: Vec<Discrepancy>,
    count: u64,
    /// The earliest event any finding names, kept or not.
    earliest: Option<i64>,
}

impl Findings {
    #[cfg(test)]
    pub(super) fn messages(&self) -> Vec<&str> {
        self.kept.iter().map(|d| d.message.as_str()).collect()
    }

    pub(super) fn add(&mut self, seq: Option<i64>, message: String) {
        self.count += 1;
        if let Some(seq) = seq {
            self.earliest = Some(self.earliest.map_or(seq, |e| e.min(seq)));
        }
        if self.kept.len() < KEPT {
            self.kept.push(Discrepancy { seq, message });
        }
    }
}

#[derive(Deserialize)]
struct CreatedBody {
    name: String,
    due: String,
    as_of: String,
    scope: Vec<String>,
    reviewer_rule: String,
    on_close: String,
    #[serde(default)]
    previous: Option<String>,
    items: u64,
    items_sha256: String,
    /// The policy in force; absent from campaigns made before it was recorded.
    #[serde(default)]
    policy: Option<serde_json::Value>,
}

impl Store {
    /// Verifies the chain, that each hash in `heads` is one of its events,
    /// and (unless `chain_only`) that the stored evidence and derived tables
    /// agree with it.
    pub fn verify(&self, heads: &[String], chain_only: bool) -> Result<Verification> {
        self.read_consistent(|store| store.verify_now(heads, chain_only))
    }

    fn verify_now(&self, heads: &[String], chain_only: bool) -> Result<Verification> {
        let chain = self.verify_chain()?;
        let trusted_below = chain.first_break.as_ref().map_or(i64::MAX, |b| b.seq);
        let mut found_heads = Vec::with_capacity(heads.len());
        for hash in heads {
            let seq: Option<i64> = self
                .conn
                .query_row(
                    "SELECT seq FROM event WHERE hash = ?1 AND seq < ?2",
                    params![hash.to_lowercase(), trusted_below],
                    |r| r.get(0),
                )
                .optional()?;
            found_heads.push(HeadCheck {
                hash: hash.clone(),
                seq,
                changed_at: None,
            });
        }
        let mut findings = Findings::default();
        let mut v = Verification {
            chain,
            heads: Vec::new(),
            discrepancies: Vec::new(),
            discrepancy_count: 0,
            campaigns: 0,
            items: 0,
            snapshots: 0,
            imports_digested: 0,
            imports_undigested: 0,
            campaigns_without_policy: 0,
            schema_objects: 0,
        };
        // Evidence is only compared with a log that verified.
        if v.chain.first_break.is_none() && !chain_only {
            let mut rules = HashMap::new();
            (v.campaigns, v.items) = self.check_campaigns(&mut findings, &mut rules)?;
            v.campaigns_without_policy =
                rules.values().filter(|r| r.policy.is_none()).count() as u64;
            let imports = self.check_imports(&mut findings)?;
            v.snapshots = imports.snapshots;
            v.imports_digested = imports.digested;
            v.imports_undigested = imports.undigested;
            self.check_item_states(&mut findings, &mut rules)?;
            self.check_closes(&mut findings, &rules)?;
            self.check_signoffs(&mut findings, &rules)?;
            self.check_tallies(&mut findings)?;
            self.check_campaign_reviewers(&mut findings)?;
            for (seq, problem) in super::stalled::delegation_problems(&self.conn)? {
                findings.add(seq, problem);
            }
            self.check_register_matches(&mut findings)?;
            for misdated in &v.chain.misdated {
                findings.add(
                    Some(misdated.seq),
                    format!("{} event: {misdated}", misdated.kind),
                );
            }
            let unkept = v.chain.misdated_count - v.chain.misdated.len() as u64;
            findings.count += unkept;
            v.schema_objects = self.check_schema(&mut findings)?;
        }
        for head in &mut found_heads {
            head.changed_at = head
                .seq
                .and_then(|seq| findings.earliest.filter(|first| *first <= seq));
        }
        v.heads = found_heads;
        v.discrepancies = findings.kept;
        v.discrepancy_count = findings.count;
        Ok(v)
    }

    /// The schema against what this build's migrations make at its version:
    /// every table, index, trigger and view, each difference named.
    fn check_schema(&self, findings: &mut Findings) -> Result<u64> {
        let version = self.schema_version()?;
        let expected = schema::expected_objects(version)?;
        let found = schema::objects(&self.conn)?;
        for difference in schema::object_differences(&found, &expected) {
            findings.add(None, difference);
        }
        Ok(expected.len() as u64)
    }

    /// Campaign rows and their frozen items against their creation events;
    /// `rules` gets what the replay needs of each campaign.
    /// A close gives every item nobody decided its close action, in the
    /// same transaction as its own event: a closed campaign with an item
    /// still waiting was closed by something other than recert, and the
    /// access its close action should have kept or revoked is left as
    /// nobody decided it.
    fn check_closes(
        &self,
        findings: &mut Findings,
        rules: &HashMap<i64, CampaignRules>,
    ) -> Result<()> {
        let mut closed: Vec<(i64, i64, &str)> = rules
            .iter()
            .filter_map(|(id, r)| {
                r.closed
                    .as_ref()
                    .map(|(seq, ..)| (*seq, *id, r.name.as_str()))
            })
            .collect();
        closed.sort_unstable();
        let mut ended: Vec<(i64, &str, &str, i64)> = rules
            .values()
            .filter_map(|r| {
                let (seq, kind) = r.after_cancel.as_ref()?;
                Some((*seq, kind.as_str(), r.name.as_str(), r.cancelled?))
            })
            .collect();
        ended.sort_unstable();
        for (seq, kind, name, cancelled) in ended {
            findings.add(
                Some(seq),
                format!(
                    "campaign {name:?} was cancelled (event {cancelled}), yet a {} was \
                     recorded after it (event {seq}): the rules refuse it",
                    if kind == "campaign_closed" {
                        "close"
                    } else {
                        "sign-off"
                    }
                ),
            );
        }
        let mut waiting = self.conn.prepare(
            "SELECT count(*) FROM item i LEFT JOIN item_state s ON s.item = i.id
             WHERE i.id BETWEEN ?1 AND ?2 AND (s.decision IS NULL OR s.decision = 'reassign')",
        )?;
        for (seq, campaign, name) in closed {
            let (first, last) = item_range(&self.conn, CampaignId(campaign))?;
            let n: i64 = waiting.query_row([first, last], |r| r.get(0))?;
            if n > 0 {
                findings.add(
                    Some(seq),
                    format!(
                        "campaign {name:?} was closed (event {seq}) with {n} items nobody \
                         decided: a close gives each its close action, so the rules refuse \
                         this close"
                    ),
                );
            }
        }
        Ok(())
    }

    fn check_campaigns(
        &self,
        findings: &mut Findings,
        rules: &mut HashMap<i64, CampaignRules>,
    ) -> Result<(u64, u64)> {
        let mut created: HashMap<i64, i64> = HashMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT seq, campaign, actor, at, body FROM event
             WHERE kind = 'campaign_created' ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let (mut campaigns, mut items) = (0u64, 0u64);
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let Some(campaign) = row.get::<_, Option<i64>>(1)? else {
                findings.add(
                    Some(seq),
                    "a campaign creation event names no campaign".into(),
                );
                continue;
            };
            created.insert(campaign, seq);
            let actor: String = row.get(2)?;
            let at: String = row.get(3)?;
            let body: String = row.get(4)?;
            let Ok(body) = serde_json::from_str::<CreatedBody>(&body) else {
                findings.add(Some(seq), "its campaign creation body is unreadable".into());
                continue;
            };
            campaigns += 1;
            let (n, policy) =
                self.check_campaign(CampaignId(campaign), seq, &actor, &at, &body, findings)?;
            items += n;
            rules.insert(
                campaign,
                CampaignRules {
                    name: body.name.clone(),
                    policy,
                    on_close: body.on_close.parse().ok(),
                    ..CampaignRules::default()
                },
            );
        }
        drop(rows);
        drop(stmt);
        let mut stmt = self
            .conn
            .prepare("SELECT id, name FROM campaign ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if !created.contains_key(&id) {
                let name: String = row.get(1)?;
                findings.add(
                    None,
                    format!("campaign {name:?} has no creation event in the log: it was inserted"),
                );
            }
        }
        Ok((campaigns, items))
    }

    fn check_campaign(
        &self,
        campaign: CampaignId,
        seq: i64,
        actor: &str,
        at: &str,
        body: &CreatedBody,
        findings: &mut Findings,
    ) -> Result<(u64, Option<Policy>)> {
        type Row = ([String; 8], i64, Option<String>, String);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT c.name, c.created_at, c.owner, c.as_of, c.due, c.scope, c.reviewer_rule,
                        c.on_close, c.item_count, p.name, c.policy
                 FROM campaign c LEFT JOIN campaign p ON p.id = c.previous WHERE c.id = ?1",
                [campaign],
                |r| {
                    Ok((
                        [
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                        ],
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                    ))
                },
            )
            .optional()?;
        let recorded_policy = match &body.policy {
            None => None,
            Some(value) => match serde_json::from_value::<Policy>(value.clone()) {
                Ok(policy) => Some(policy),
                Err(e) => {
                    findings.add(
                        Some(seq),
                        format!(
                            "campaign {:?}: the policy its creation event recorded is \
                             unreadable ({e})",
                            body.name
                        ),
                    );
                    None
                }
            },
        };
        let Some((fields, count, previous, policy)) = row else {
            findings.add(
                Some(seq),
                format!(
                    "campaign {:?} was deleted from the campaign table",
                    body.name
                ),
            );
            return Ok((0, recorded_policy));
        };
        let [name, created_at, owner, as_of, due, scope, rule, on_close] = fields;
        let scope: Option<Vec<String>> = serde_json::from_str(&scope).ok();
        let show_previous = |p: &Option<String>| p.clone().unwrap_or_else(|| "(none)".into());
        let fields: [(&str, String, String); 10] = [
            ("name", name.clone(), body.name.clone()),
            ("created_at", created_at, at.to_string()),
            ("owner", owner, actor.to_string()),
            ("as_of", as_of, body.as_of.clone()),
            ("due", due, body.due.clone()),
            (
                "scope",
                scope.map_or_else(|| "(unreadable)".into(), |s| s.join(" and ")),
                body.scope.join(" and "),
            ),
            ("reviewer_rule", rule, body.reviewer_rule.clone()),
            ("on_close", on_close, body.on_close.clone()),
            ("item_count", count.to_string(), body.items.to_string()),
            (
                "previous campaign",
                show_previous(&previous),
                show_previous(&body.previous),
            ),
        ];
        for (field, stored, recorded) in fields {
            if stored != recorded {
                findings.add(
                    Some(seq),
                    format!(
                        "campaign {name:?}: its {field} is {stored:?} but its creation event \
                         recorded {recorded:?}: the campaign table was edited"
                    ),
                );
            }
        }
        if let Some(recorded) = &recorded_policy
            && let Some(problem) = policy_problem(&policy, recorded)
        {
            findings.add(
                Some(seq),
                format!("campaign {name:?}: its policy {problem}: the campaign table was edited"),
            );
        }
        if let Some(problem) = self.queue_order_problem(campaign)? {
            findings.add(Some(seq), format!("campaign {name:?}: {problem}"));
        }
        if let Some(problem) = self.frozen_relationship_problem(campaign)? {
            findings.add(Some(seq), format!("campaign {name:?}: {problem}"));
        }
        if let Some(problem) = self.not_done_problem(campaign, seq)? {
            findings.add(Some(seq), format!("campaign {name:?}: {problem}"));
        }
        let recorded_as_of = crate::domain::date::parse_day(&body.as_of).ok();
        if let Some(problem) = self.rotation_overdue_problem(campaign, seq, recorded_as_of)? {
            findings.add(Some(seq), format!("campaign {name:?}: {problem}"));
        }
        let (n, digest) = self.items_digest(campaign)?;
        if digest != body.items_sha256 || n != body.items {
            findings.add(
                Some(seq),
                format!(
                    "campaign {name:?}: its {n} frozen items do not match the {} items and \
                     items_sha256 its creation event recorded: item evidence was edited, added \
                     or deleted",
                    body.items
                ),
            );
        }
        Ok((n, recorded_policy))
    }

    /// Items whose frozen relationship is not what their identity and
    /// register versions say (which the digest covers): a campaign created
    /// since schema 5 froze it on every item, an older one on none.
    fn frozen_relationship_problem(&self, campaign: CampaignId) -> Result<Option<String>> {
        let (first, last) = item_range(&self.conn, campaign)?;
        // A campaign without frozen relationships needs no join to check.
        let sql = if items::relationship_frozen(&self.conn, first)? {
            format!(
                "SELECT count(*), min(i.id) FROM item i
                 JOIN identity idn ON idn.id = i.identity
                 LEFT JOIN register_entry r ON r.id = i.register
                 WHERE i.id BETWEEN ?1 AND ?2
                   AND i.relationship IS NOT {EFFECTIVE_RELATIONSHIP}"
            )
        } else {
            "SELECT count(*), min(id) FROM item
             WHERE id BETWEEN ?1 AND ?2 AND relationship IS NOT NULL"
                .to_string()
        };
        let (count, example): (i64, Option<i64>) =
            self.conn
                .query_row(&sql, params![first, last], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(example.map(|item| {
            format!(
                "{count} items, item {item} the first, do not keep the relationship their \
                 identity and register versions say (a campaign freezes it on every item, or \
                 before schema 5 on none): the item table was edited"
            )
        }))
    }

    /// A campaign's item count and `items_sha256`, recomputed exactly as
    /// creation computed them.
    fn items_digest(&self, campaign: CampaignId) -> Result<(u64, String)> {
        let (first, last) = item_range(&self.conn, campaign)?;
        let n = (last - first + 1).max(0) as u64;
        Ok((n, campaigns::items_digest(&self.conn, campaign)?))
    }
}

/// How a campaign's stored policy differs from the one its creation event
/// recorded, compared as policies (not as text): `None` when it does not.
fn policy_problem(stored: &str, recorded: &Policy) -> Option<String> {
    let stored: Policy = match serde_json::from_str(stored) {
        Ok(policy) => policy,
        Err(e) => return Some(format!("is unreadable ({e})")),
    };
    if stored == *recorded {
        return None;
    }
    let (now, then) = (
        serde_json::to_value(&stored).unwrap_or_default(),
        serde_json::to_value(recorded).unwrap_or_default(),
    );
    let mut differences = Vec::new();
    differing(&now, &then, "", &mut differences);
    Some(format!(
        "differs from the one its creation event recorded: {}",
        differences.join(", ")
    ))
}

/// The leaves where two JSON values differ, as `path now (recorded then)`.
fn differing(now: &serde_json::Value, then: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match (now, then) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let null = serde_json::Value::Null;
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                differing(
                    a.get(key).unwrap_or(&null),
                    b.get(key).unwrap_or(&null),
                    &path,
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(format!("{path} {a} (recorded {b})")),
        _ => {}
    }
}

/// Runs raw SQL as someone with the `sqlite3` shell could: every trigger
/// dropped first and put back afterwards exactly as it was, so that only
/// what the SQL changed shows (the schema check would name a dropped one).
#[cfg(test)]
pub(crate) fn tamper(store: &Store, sql: &str) {
    let triggers: Vec<(String, String)> = store
        .conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for (name, _) in &triggers {
        store
            .conn
            .execute_batch(&format!("DROP TRIGGER \"{name}\""))
            .unwrap();
    }
    store.conn.execute_batch(sql).unwrap();
    for (_, sql) in &triggers {
        store.conn.execute_batch(sql).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::Decision;
    use crate::store::Store;
    use crate::testing::{OWNER, SAMPLE, decide, import_file, sample_store};

    /// A store with decisions, a remediation outcome and a sign-off.
    fn busy_store() -> Store {
        let (mut store, q4) = sample_store();
        decide(
            &mut store,
            &q4,
            OWNER,
            1,
            Some(Decision::Revoke),
            "contract ended",
        );
        decide(
            &mut store,
            &q4,
            OWNER,
            3,
            Some(Decision::Attest),
            "still needed",
        );
        decide(&mut store, &q4, OWNER, 3, None, "");
        decide(
            &mut store,
            &q4,
            OWNER,
            7,
            Some(Decision::Reassign {
                to: "t.nguyen@northwind.example.com".into(),
            }),
            "IT",
        );
        import_file(&mut store, "december.csv", SAMPLE, false);
        // Signed off after that import, as times in the log must run.
        let after_import = crate::store::Acting {
            at: "2026-11-25T10:00:00.000Z",
            ..crate::testing::acting(OWNER)
        };
        store
            .sign_off(q4.id, &after_import, "29 undecided", Some(1), Some(29))
            .unwrap();
        store
    }

    fn tamper(store: &Store, sql: &str) {
        super::tamper(store, sql);
    }

    fn problems(store: &Store) -> Vec<String> {
        let v = store.verify(&[], false).unwrap();
        assert!(v.chain.first_break.is_none(), "the log itself is intact");
        assert!(!v.ok());
        v.discrepancies.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn an_untouched_store_verifies_and_the_digest_is_recomputed_exactly() {
        let store = busy_store();
        let v = store.verify(&[], false).unwrap();
        assert!(v.ok(), "{:?}", v.discrepancies);
        assert_eq!((v.campaigns, v.items, v.snapshots), (1, 30, 2));
        let (events, head) = store.chain_head().unwrap();
        let with_head = store
            .verify(&[head.to_uppercase(), "f".repeat(64)], false)
            .unwrap();
        assert_eq!(with_head.heads[0].seq, Some(events as i64));
        assert_eq!(with_head.heads[1].seq, None);
        assert!(!with_head.ok(), "an unknown head fails verification");
    }

    #[test]
    fn edited_item_evidence_is_caught_by_the_campaign_digest() {
        let store = busy_store();
        // The frozen evidence is the grant version the item points at.
        tamper(
            &store,
            "UPDATE entitlement SET name = 'tampered'
             WHERE id = (SELECT entitlement FROM item WHERE id = 2)",
        );
        let found = problems(&store);
        assert!(found[0].contains("frozen items do not match"), "{found:?}");
        let v = store.verify(&[], false).unwrap();
        assert_eq!(v.discrepancies[0].seq, Some(2), "named: the creation event");
    }

    #[test]
    fn the_policy_is_compared_as_a_policy_not_as_text() {
        let store = busy_store();
        tamper(
            &store,
            "UPDATE campaign SET policy = ' ' || policy || char(10)",
        );
        let v = store.verify(&[], false).unwrap();
        assert!(
            v.ok(),
            "the same policy, reformatted: {:?}",
            v.discrepancies
        );
        tamper(
            &store,
            "UPDATE campaign SET policy = json_set(policy, '$.weights.privileged', 0,
                 '$.notes.self_review', json('false'))",
        );
        let found = problems(&store);
        assert!(
            found.iter().any(|p| p.starts_with(
                "campaign \"Q4\": its policy differs from the one its creation event recorded: \
                 notes.self_review false (recorded true), weights.privileged 0 (recorded "
            ) && p.ends_with("): the campaign table was edited")),
            "{found:?}"
        );
    }

    #[test]
    fn frozen_items_and_campaigns_refuse_changes() {
        let store = busy_store();
        for sql in [
            "UPDATE item SET flags = 0 WHERE id = 1",
            "DELETE FROM item WHERE id = 1",
            "UPDATE campaign SET due = '2030-01-01'",
            "DELETE FROM campaign",
            "UPDATE campaign_reviewer SET items = 0",
            "DELETE FROM campaign_reviewer",
        ] {
            let err = store.conn.execute_batch(sql).unwrap_err().to_string();
            assert!(err.contains("evidence"), "{sql}: {err}");
        }
    }

    #[test]
    fn edited_campaign_snapshot_and_derived_rows_are_each_caught() {
        let cases = [
            ("UPDATE campaign SET on_close = 'revoke'", "its on_close is"),
            (
                "UPDATE snapshot SET sha256 = 'abc' WHERE id = 2",
                "snapshot 2",
            ),
            (
                "UPDATE item_state SET decision = 'attest' WHERE item = 1",
                "item 1: its recorded state (attest",
            ),
            (
                "DELETE FROM item_state WHERE item = 7",
                "item 7 has events but no recorded state",
            ),
            (
                "INSERT INTO item_state (item, campaign, decision, last_event, assignee)
                 VALUES (2, 1, 'attest', 3, 'x')",
                "item 2 has a recorded state but no events",
            ),
            (
                "UPDATE item SET relationship = 'tampered' WHERE id = 3",
                "1 items, item 3 the first, do not keep the relationship",
            ),
            (
                "UPDATE item SET relationship = NULL WHERE id > 1",
                "29 items, item 2 the first, do not keep the relationship",
            ),
            (
                "UPDATE item SET relationship = NULL WHERE id = 1",
                "29 items, item 2 the first, do not keep the relationship",
            ),
            (
                "UPDATE remediation SET status = 'verified'",
                "stored remediation",
            ),
            ("DELETE FROM remediation", "stored remediation"),
            (
                "UPDATE tally SET n = n + 1 WHERE state = 'revoke'",
                "tally table was edited",
            ),
            (
                "UPDATE campaign_reviewer SET items = items + 1",
                "campaign_reviewer table was edited",
            ),
            (
                "DELETE FROM campaign_reviewer",
                "campaign_reviewer table was edited",
            ),
        ];
        for (sql, expected) in cases {
            let store = busy_store();
            tamper(&store, sql);
            let found = problems(&store);
            assert!(
                found.iter().any(|p| p.contains(expected)),
                "{sql}: {found:?}"
            );
        }
    }
}
