//! What a campaign carries from the one before it, as the insights read
//! it: an earlier revoke a later snapshot showed not done
//! (`revocation_not_done`), and what changed about an identity since the
//! previous campaign of the scope (`context_changed`). Creation finds these
//! facts; items freeze them, so that the reasons can be stated again.

/// An earlier campaign's revoke that a snapshot imported after it still
/// shows in force: the facts the `revocation_not_done` reason names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotDone {
    /// The campaign that revoked the grant, by name.
    pub campaign: String,
    /// The revoke's event in the audit log.
    pub revoke_event: i64,
    /// When it was decided (the event's time) and by whom.
    pub revoked_at: String,
    pub revoked_by: String,
    /// The latest snapshot that still held the grant.
    pub snapshot: i64,
    pub file: String,
    pub imported_at: String,
}

impl NotDone {
    /// The `revocation_not_done` reason: which campaign revoked the grant,
    /// when, who, and the snapshot that still held it.
    pub fn reason(&self) -> String {
        format!(
            "revoked in campaign {:?} on {} by {} (event {}), yet snapshot {} ({}, imported {}) \
             still holds the grant",
            self.campaign,
            self.revoked_at.get(..10).unwrap_or(&self.revoked_at),
            self.revoked_by,
            self.revoke_event,
            self.snapshot,
            self.file,
            self.imported_at.get(..10).unwrap_or(&self.imported_at),
        )
    }
}

/// One attribute of an identity that changed since the previous campaign
/// of the scope: its field name, what it was and what it is (empty: none).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContextChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The identity attributes whose change since the previous campaign is
/// `context_changed`: who the identity is to us and who answers for it.
pub const CONTEXT_FIELDS: [&str; 4] = ["relationship", "organization", "region", "sponsor"];

/// The changes between `before` and `after`, values of `CONTEXT_FIELDS`
/// in order (`None`: no value).
pub fn context_changes(
    before: &[Option<&str>; 4],
    after: &[Option<&str>; 4],
) -> Vec<ContextChange> {
    let text = |v: Option<&str>| v.map(str::trim).unwrap_or_default().to_string();
    CONTEXT_FIELDS
        .iter()
        .zip(before.iter().zip(after))
        .filter(|(_, (b, a))| text(**b) != text(**a))
        .map(|(field, (b, a))| ContextChange {
            field: (*field).to_string(),
            before: text(*b),
            after: text(*a),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::insight::{Context, Subject, assess};
    use crate::domain::{Flag, IdentityKind, Policy, Recommendation, Relationship};
    use chrono::NaiveDate;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    /// A grant that earns no flag of its own.
    fn subject() -> Subject<'static> {
        let recent = Some(today() - chrono::Duration::days(3));
        Subject {
            identity_id: "l.brandt@copperline.example.com",
            email: None,
            kind: IdentityKind::Human,
            relationship: Relationship::Contractor,
            sponsor: Some("a.kowalski@northwind.example.com"),
            privileged: false,
            shared: false,
            granted_at: Some(today() - chrono::Duration::days(400)),
            // An end date and a justification: an external grant without
            // either is flagged on its own.
            expires_at: Some(today() + chrono::Duration::days(200)),
            last_used_at: recent,
            credential_rotated_at: None,
            active: None,
            contract_end: None,
            justified: true,
        }
    }

    fn not_done() -> NotDone {
        NotDone {
            campaign: "Q4".into(),
            revoke_event: 41,
            revoked_at: "2026-12-10T09:30:00Z".into(),
            revoked_by: "m.santos@northwind.example.com".into(),
            snapshot: 3,
            file: "january.csv".into(),
            imported_at: "2027-01-05T08:00:00Z".into(),
        }
    }

    #[test]
    fn a_revocation_not_done_names_campaign_date_decider_and_snapshot_and_says_revoke() {
        let policy = Policy::default();
        let facts = not_done();
        let ctx = Context {
            today: today(),
            policy: &policy,
            reviewer: "x@y",
            other_tenants: &[],
            lapsed_exception: None,
            overdue_rotation: None,
            around: Default::default(),
            revocation_not_done: Some(&facts),
            context_changes: &[],
        };
        let a = assess(&subject(), &ctx);
        assert_eq!(a.flags.names(), ["revocation_not_done"]);
        assert_eq!(a.recommendation, Recommendation::Revoke);
        assert_eq!(
            a.findings[0].reason,
            "revoked in campaign \"Q4\" on 2026-12-10 by m.santos@northwind.example.com \
             (event 41), yet snapshot 3 (january.csv, imported 2027-01-05) still holds the grant"
        );
        let none = Context {
            revocation_not_done: None,
            ..ctx
        };
        assert!(
            !assess(&subject(), &none)
                .flags
                .contains(Flag::RevocationNotDone)
        );
    }

    #[test]
    fn context_changes_compare_trimmed_values_and_say_old_and_new() {
        let before = [
            Some("contractor"),
            Some("Copperline"),
            Some("eu-west"),
            None,
        ];
        let same = [
            Some("contractor"),
            Some(" Copperline "),
            Some("eu-west"),
            Some(""),
        ];
        assert!(
            context_changes(&before, &same).is_empty(),
            "no value and empty are one"
        );
        let after = [
            Some("partner"),
            Some("Copperline"),
            Some("eu-west"),
            Some("a@x"),
        ];
        let changes = context_changes(&before, &after);
        assert_eq!(
            changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            ["relationship", "sponsor"]
        );
        let policy = Policy::default();
        let ctx = Context {
            today: today(),
            policy: &policy,
            reviewer: "x@y",
            other_tenants: &[],
            lapsed_exception: None,
            overdue_rotation: None,
            around: Default::default(),
            revocation_not_done: None,
            context_changes: &changes,
        };
        let a = assess(&subject(), &ctx);
        assert_eq!(a.flags.names(), ["context_changed"]);
        assert_eq!(a.recommendation, Recommendation::ReviewWithCare);
        assert_eq!(
            a.findings[0].reason,
            "since the previous campaign: relationship contractor → partner; sponsor (none) → a@x"
        );
    }
}
