//! The checks of issue 24, at their boundaries: no end date, no
//! justification, break-glass used, SoD conflict, sensitive data.

use super::tests::{days_ago, subject, today};
use super::*;

fn assess_around(s: &Subject<'_>, around: Around<'_>) -> Assessment {
    let policy = Policy::default();
    let ctx = Context {
        today: today(),
        policy: &policy,
        reviewer: "m.santos@northwind.example.com",
        other_tenants: &[],
        lapsed_exception: None,
        overdue_rotation: None,
        around,
        revocation_not_done: None,
        context_changes: &[],
    };
    assess(s, &ctx)
}

fn flags(s: &Subject<'_>) -> FlagSet {
    assess_around(s, Around::default()).flags
}

#[test]
fn no_end_date_is_for_external_grants_without_expiry() {
    let open = Subject {
        expires_at: None,
        ..subject()
    };
    for relationship in [
        Relationship::Partner,
        Relationship::Contractor,
        Relationship::Msp,
        Relationship::Vendor,
    ] {
        let s = Subject {
            relationship,
            ..open.clone()
        };
        let a = assess_around(&s, Around::default());
        assert!(a.flags.contains(Flag::NoEndDate), "{relationship}");
        assert_eq!(a.recommendation, Recommendation::SetEndDate);
        assert_eq!(
            a.findings[0].reason,
            format!("{relationship} identity's grant with no end date")
        );
    }
    for relationship in [Relationship::Employee, Relationship::Unknown] {
        let s = Subject {
            relationship,
            ..open.clone()
        };
        assert!(!flags(&s).contains(Flag::NoEndDate), "{relationship}");
    }
    // Any end date, even today or passed, is an end date.
    for days in [-1, 0, 1] {
        let s = Subject {
            expires_at: days_ago(days),
            ..subject()
        };
        assert!(!flags(&s).contains(Flag::NoEndDate), "{days}");
    }
}

#[test]
fn no_justification_is_for_external_grants_without_one() {
    let bare = Subject {
        justified: false,
        ..subject()
    };
    let a = assess_around(&bare, Around::default());
    assert!(a.flags.contains(Flag::NoJustification));
    assert_eq!(a.recommendation, Recommendation::AskSponsor);
    assert!(!flags(&subject()).contains(Flag::NoJustification));
    let employee = Subject {
        relationship: Relationship::Employee,
        ..bare
    };
    assert!(!flags(&employee).contains(Flag::NoJustification));
}

#[test]
fn break_glass_use_counts_after_the_previous_review() {
    let glass = |used| Subject {
        kind: IdentityKind::BreakGlass,
        last_used_at: used,
        ..subject()
    };
    let reviewed = days_ago(10);
    for (days, flagged) in [(11, false), (10, false), (9, true)] {
        let around = Around {
            previous_review: reviewed,
            ..Around::default()
        };
        let a = assess_around(&glass(days_ago(days)), around);
        assert_eq!(a.flags.contains(Flag::BreakGlassUsed), flagged, "{days}");
        if flagged {
            assert_eq!(a.recommendation, Recommendation::ReviewWithCare);
            let reason = &a.findings.iter().find(|f| f.flag == "break_glass_used");
            assert!(
                reason.unwrap().reason.contains("after the previous review"),
                "{reason:?}"
            );
        }
    }
    // A scope's first campaign: any recorded use, however old.
    let first = assess_around(&glass(days_ago(900)), Around::default());
    assert!(first.flags.contains(Flag::BreakGlassUsed));
    assert!(!flags(&glass(None)).contains(Flag::BreakGlassUsed));
    let person = Subject {
        last_used_at: days_ago(1),
        ..subject()
    };
    assert!(!flags(&person).contains(Flag::BreakGlassUsed));
}

#[test]
fn a_sod_pair_is_flagged_with_the_other_grant_and_the_rule() {
    let conflicts = [crate::domain::sod::SodConflict {
        rule: "release payments and keep the books".into(),
        reason: "one person could enter and pay the same invoice".into(),
        system: "sap-erp".into(),
        entitlement: "Z_AP_CLERK_DE".into(),
    }];
    let around = Around {
        sod: &conflicts,
        ..Around::default()
    };
    let a = assess_around(&subject(), around);
    assert!(a.flags.contains(Flag::SodConflict));
    assert_eq!(a.recommendation, Recommendation::RevokeOneOfPair);
    assert_eq!(
        a.findings[0].reason,
        "also holds sap-erp Z_AP_CLERK_DE (rule \"release payments and keep the books\": \
         one person could enter and pay the same invoice)"
    );
    assert!(!flags(&subject()).contains(Flag::SodConflict));
}

#[test]
fn confidential_and_restricted_data_is_sensitive() {
    use crate::domain::catalog::Sensitivity;
    for sensitivity in Sensitivity::ALL {
        let around = Around {
            sensitivity: Some(*sensitivity),
            ..Around::default()
        };
        let a = assess_around(&subject(), around);
        assert_eq!(
            a.flags.contains(Flag::SensitiveData),
            sensitivity.is_sensitive(),
            "{sensitivity}"
        );
    }
    assert!(!flags(&subject()).contains(Flag::SensitiveData));
}
