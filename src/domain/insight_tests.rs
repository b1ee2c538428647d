//! The insights' rules, their reasons and the score, one flag at a time.

use super::*;

pub(super) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

pub(super) fn days_ago(n: i64) -> Option<NaiveDate> {
    Some(today() - chrono::Duration::days(n))
}

pub(super) fn subject() -> Subject<'static> {
    Subject {
        identity_id: "l.brandt@copperline.example.com",
        email: None,
        kind: IdentityKind::Human,
        relationship: Relationship::Contractor,
        sponsor: Some("a.kowalski@northwind.example.com"),
        privileged: false,
        shared: false,
        granted_at: days_ago(400),
        expires_at: days_ago(-200),
        last_used_at: days_ago(3),
        credential_rotated_at: None,
        active: None,
        contract_end: None,
        justified: true,
    }
}

fn flags_of(subject: &Subject<'_>) -> FlagSet {
    let policy = Policy::default();
    let ctx = Context {
        today: today(),
        policy: &policy,
        reviewer: "m.santos@northwind.example.com",
        other_tenants: &[],
        lapsed_exception: None,
        overdue_rotation: None,
        around: Around::default(),
        revocation_not_done: None,
        context_changes: &[],
    };
    assess(subject, &ctx).flags
}

#[test]
fn a_clean_grant_has_no_flags_and_is_kept() {
    let policy = Policy::default();
    let ctx = Context {
        today: today(),
        policy: &policy,
        reviewer: "m.santos@northwind.example.com",
        other_tenants: &[],
        lapsed_exception: None,
        overdue_rotation: None,
        around: Around::default(),
        revocation_not_done: None,
        context_changes: &[],
    };
    let a = assess(&subject(), &ctx);
    assert!(a.flags.is_empty(), "{:?}", a.findings);
    assert_eq!(a.score, 0);
    assert_eq!(a.recommendation, Recommendation::Keep);
}

#[test]
fn dormancy_starts_after_the_threshold() {
    for (days, dormant) in [(89, false), (90, false), (91, true)] {
        let s = Subject {
            last_used_at: days_ago(days),
            ..subject()
        };
        assert_eq!(flags_of(&s).contains(Flag::Dormant), dormant, "{days} days");
    }
}

#[test]
fn expiry_today_is_not_yet_expired() {
    for (days, expired) in [(-1, false), (0, false), (1, true)] {
        let s = Subject {
            expires_at: days_ago(days),
            ..subject()
        };
        assert_eq!(
            flags_of(&s).contains(Flag::Expired),
            expired,
            "{days} days ago"
        );
    }
}

#[test]
fn break_glass_accounts_are_not_dormant() {
    let glass = Subject {
        kind: IdentityKind::BreakGlass,
        last_used_at: days_ago(400),
        ..subject()
    };
    assert!(!flags_of(&glass).contains(Flag::Dormant));
}

#[test]
fn never_used_spares_break_glass_and_fresh_grants() {
    let unused = Subject {
        last_used_at: None,
        ..subject()
    };
    assert!(flags_of(&unused).contains(Flag::NeverUsed));
    let fresh = Subject {
        granted_at: days_ago(30),
        ..unused.clone()
    };
    assert!(!flags_of(&fresh).contains(Flag::NeverUsed));
    let glass = Subject {
        kind: IdentityKind::BreakGlass,
        ..unused
    };
    let flags = flags_of(&glass);
    assert!(!flags.contains(Flag::NeverUsed));
    assert!(flags.contains(Flag::Privileged));
}

#[test]
fn machine_credentials_must_be_rotated() {
    let key = |rotated| Subject {
        kind: IdentityKind::ApiKey,
        credential_rotated_at: rotated,
        ..subject()
    };
    for (days, flagged) in [(89, false), (90, false), (91, true)] {
        assert_eq!(
            flags_of(&key(days_ago(days))).contains(Flag::UnrotatedCredential),
            flagged,
            "{days} days"
        );
    }
    assert!(flags_of(&key(None)).contains(Flag::UnrotatedCredential));
    let undated = Subject {
        kind: IdentityKind::ServiceAccount,
        granted_at: None,
        ..subject()
    };
    assert!(flags_of(&undated).contains(Flag::UnrotatedCredential));
}

#[test]
fn a_dated_credential_of_a_person_must_be_rotated_too() {
    // An access key on a person's account: the source dates it.
    let person_key = Subject {
        credential_rotated_at: days_ago(900),
        ..subject()
    };
    assert!(flags_of(&person_key).contains(Flag::UnrotatedCredential));
    // A person's grant without a credential date is not a credential.
    assert!(!flags_of(&subject()).contains(Flag::UnrotatedCredential));
}

#[test]
fn contract_end_counts_from_the_day_after() {
    for (days, ended) in [(-1, false), (0, false), (1, true)] {
        let s = Subject {
            contract_end: days_ago(days),
            ..subject()
        };
        let policy = Policy::default();
        let ctx = Context {
            today: today(),
            policy: &policy,
            reviewer: "m.santos@northwind.example.com",
            other_tenants: &[],
            lapsed_exception: None,
            overdue_rotation: None,
            around: Around::default(),
            revocation_not_done: None,
            context_changes: &[],
        };
        let a = assess(&s, &ctx);
        assert_eq!(
            a.flags.contains(Flag::ContractEnded),
            ended,
            "{days} days ago"
        );
        if ended {
            assert_eq!(a.recommendation, Recommendation::Revoke);
            assert!(
                a.findings[0].reason.contains("yesterday"),
                "{:?}",
                a.findings
            );
        }
    }
}

#[test]
fn a_disabled_account_is_flagged_for_revocation() {
    let disabled = Subject {
        active: Some(false),
        ..subject()
    };
    let flags = flags_of(&disabled);
    assert!(flags.contains(Flag::Inactive));
    assert_eq!(Flag::Inactive.recommendation(), Recommendation::Revoke);
    for active in [None, Some(true)] {
        let s = Subject {
            active,
            ..subject()
        };
        assert!(!flags_of(&s).contains(Flag::Inactive));
    }
}

#[test]
fn never_used_starts_after_the_threshold() {
    for (days, flagged) in [(29, false), (30, false), (31, true)] {
        let s = Subject {
            last_used_at: None,
            granted_at: days_ago(days),
            ..subject()
        };
        assert_eq!(
            flags_of(&s).contains(Flag::NeverUsed),
            flagged,
            "{days} days"
        );
    }
}

#[test]
fn unknown_relationships_are_unclassified_not_unsponsored() {
    let s = Subject {
        relationship: Relationship::Unknown,
        sponsor: None,
        ..subject()
    };
    let flags = flags_of(&s);
    assert!(flags.contains(Flag::Unclassified));
    assert!(!flags.contains(Flag::NoSponsor));
}

#[test]
fn thresholds_come_from_the_policy() {
    let policy = Policy {
        dormant_days: 30,
        weights: crate::domain::policy::Weights {
            dormant: 99,
            ..Default::default()
        },
        ..Default::default()
    };
    let ctx = Context {
        today: today(),
        policy: &policy,
        reviewer: "m.santos@northwind.example.com",
        other_tenants: &[],
        lapsed_exception: None,
        overdue_rotation: None,
        around: Around::default(),
        revocation_not_done: None,
        context_changes: &[],
    };
    let s = Subject {
        last_used_at: days_ago(31),
        ..subject()
    };
    let a = assess(&s, &ctx);
    assert!(a.flags.contains(Flag::Dormant));
    assert_eq!(a.score, 99);
    assert!(a.findings[0].reason.contains("policy allows 30 days"));
    assert!(describe_rule(Flag::Dormant, &policy).contains("30 days"));
}

#[test]
fn every_flag_has_a_rule() {
    for flag in Flag::ALL {
        assert!(!describe_rule(*flag, &Policy::default()).is_empty());
    }
}

/// `recert flags` prints these rules: each exemption and edge the code
/// has, the rule says.
#[test]
fn the_rules_name_their_exemptions() {
    let policy = Policy::default();
    let machine = Subject {
        kind: IdentityKind::ApiKey,
        granted_at: None,
        credential_rotated_at: None,
        ..subject()
    };
    let ctx = Context {
        today: today(),
        policy: &policy,
        reviewer: "m.santos@northwind.example.com",
        other_tenants: &[],
        lapsed_exception: None,
        overdue_rotation: None,
        around: Around::default(),
        revocation_not_done: None,
        context_changes: &[],
    };
    assert!(
        assess(&machine, &ctx)
            .flags
            .contains(Flag::UnrotatedCredential)
    );
    assert!(describe_rule(Flag::UnrotatedCredential, &policy).contains("no date known at all"));
    for flag in [Flag::Dormant, Flag::NeverUsed] {
        assert!(describe_rule(flag, &policy).contains("break-glass accounts excepted"));
    }
}

#[test]
fn externals_need_a_sponsor_and_employees_do_not() {
    let orphan = Subject {
        sponsor: None,
        ..subject()
    };
    assert!(flags_of(&orphan).contains(Flag::NoSponsor));
    let employee = Subject {
        relationship: Relationship::Employee,
        ..orphan
    };
    assert!(!flags_of(&employee).contains(Flag::NoSponsor));
}

#[test]
fn self_review_matches_id_or_email_ignoring_case() {
    let policy = Policy::default();
    let ctx = Context {
        today: today(),
        policy: &policy,
        reviewer: "L.Brandt@Copperline.example.com",
        other_tenants: &[],
        lapsed_exception: None,
        overdue_rotation: None,
        around: Around::default(),
        revocation_not_done: None,
        context_changes: &[],
    };
    assert!(assess(&subject(), &ctx).flags.contains(Flag::SelfReview));
    let id = "l.brandt@copperline.example.com";
    assert!(is_self_review(
        id,
        None,
        " L.Brandt@copperline.example.com "
    ));
    assert!(is_self_review(
        "u-1",
        Some(id),
        "\tl.brandt@COPPERLINE.example.com"
    ));
    assert!(!is_self_review("", Some(""), ""), "nobody reviews nobody");
}

#[test]
fn an_overdue_rotation_is_flagged_with_its_campaign_date_and_event() {
    let policy = Policy::default();
    let overdue = crate::domain::rotation::OverdueRotation {
        campaign: "Q4".into(),
        event: 42,
        by: today() - chrono::Duration::days(1),
    };
    let ctx = |overdue_rotation| Context {
        today: today(),
        policy: &policy,
        reviewer: "m.santos@northwind.example.com",
        other_tenants: &[],
        lapsed_exception: None,
        overdue_rotation,
        around: Around::default(),
        revocation_not_done: None,
        context_changes: &[],
    };
    assert!(
        !assess(&subject(), &ctx(None))
            .flags
            .contains(Flag::RotationOverdue)
    );
    let a = assess(&subject(), &ctx(Some(&overdue)));
    assert!(a.flags.contains(Flag::RotationOverdue));
    assert_eq!(a.recommendation, Recommendation::RotateOrRevoke);
    let reason = &a.findings[0].reason;
    assert!(
        reason.contains("\"Q4\"") && reason.contains("(event 42)"),
        "{reason}"
    );
    assert!(reason.contains(&overdue.by.to_string()), "{reason}");
}

#[test]
fn context_flags_and_the_strongest_recommendation_wins() {
    let policy = Policy::default();
    let others = vec!["contoso".to_string()];
    let ctx = Context {
        today: today(),
        policy: &policy,
        reviewer: "x@y",
        other_tenants: &others,
        lapsed_exception: days_ago(5),
        overdue_rotation: None,
        around: Around::default(),
        revocation_not_done: None,
        context_changes: &[],
    };
    let s = Subject {
        relationship: Relationship::Unknown,
        ..subject()
    };
    let a = assess(&s, &ctx);
    for flag in [Flag::CrossTenant, Flag::ExceptionLapsed, Flag::Unclassified] {
        assert!(a.flags.contains(flag), "{flag:?}");
    }
    assert_eq!(a.recommendation, Recommendation::Revoke);
    assert_eq!(a.score, 45 + 10 + 10);
    assert!(
        a.findings[0].reason.contains("5 days ago"),
        "{:?}",
        a.findings
    );
}
