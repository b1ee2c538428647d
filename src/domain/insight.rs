//! The risk insights: which flags a grant earns on a given day under a
//! policy, why (a sentence a reviewer can check), the resulting risk score
//! and the recommendation.

use super::date::{days_between, describe_age};
use super::decision::Recommendation;
use super::flags::{Flag, FlagSet};
use super::model::{IdentityKind, Relationship};
use super::policy::Policy;
use chrono::NaiveDate;

/// The facts about one grant that the rules look at.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    pub identity_id: &'a str,
    pub email: Option<&'a str>,
    pub kind: IdentityKind,
    pub relationship: Relationship,
    pub sponsor: Option<&'a str>,
    pub privileged: bool,
    pub shared: bool,
    pub granted_at: Option<NaiveDate>,
    pub expires_at: Option<NaiveDate>,
    pub last_used_at: Option<NaiveDate>,
    pub credential_rotated_at: Option<NaiveDate>,
}

/// What the rules need to know beyond the grant itself.
#[derive(Clone, Debug)]
pub struct Context<'a> {
    pub today: NaiveDate,
    pub policy: &'a Policy,
    pub reviewer: &'a str,
    /// Other tenants in which the same identity (by id or e-mail) holds access.
    pub other_tenants: &'a [String],
    /// End date of an exception an earlier campaign granted and that has passed.
    pub lapsed_exception: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub flag: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub findings: Vec<Finding>,
    pub flags: FlagSet,
    pub score: i64,
    pub recommendation: Recommendation,
}

/// True when `reviewer` is the identity itself, by id or e-mail.
pub fn is_self_review(identity_id: &str, email: Option<&str>, reviewer: &str) -> bool {
    let same = |other: &str| !other.is_empty() && other.eq_ignore_ascii_case(reviewer);
    same(identity_id) || email.is_some_and(same)
}

/// Why a flag was raised, holding the facts rather than the sentence, so
/// that the hot path (a million items at campaign creation) formats nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reason {
    Expired(NaiveDate),
    Lapsed(NaiveDate),
    Shared,
    Dormant(NaiveDate),
    NeverUsed(NaiveDate),
    Unrotated(NaiveDate),
    UnrotatedSinceGrant(NaiveDate),
    UnrotatedUnknown,
    NoSponsor(Relationship),
    Privileged(&'static str),
    SelfReview,
    CrossTenant,
    Unclassified,
}

impl Reason {
    fn render(&self, ctx: &Context<'_>) -> String {
        let today = ctx.today;
        let on = |day: &NaiveDate| format!("{day} ({})", describe_age(*day, today));
        let policy = ctx.policy;
        match self {
            Reason::Expired(day) => format!("expired on {}", on(day)),
            Reason::Lapsed(day) => format!("an earlier campaign's exception ended on {}", on(day)),
            Reason::Shared => {
                "one credential shared by several people: no individual accountability".into()
            }
            Reason::Dormant(day) => format!(
                "last used {}; policy allows {} days",
                on(day),
                policy.dormant_days
            ),
            Reason::NeverUsed(day) => {
                format!("no recorded use since it was granted on {}", on(day))
            }
            Reason::Unrotated(day) => format!(
                "credential last rotated {}; policy is {} days",
                on(day),
                policy.rotation_days
            ),
            Reason::UnrotatedSinceGrant(day) => format!(
                "no rotation recorded since it was granted on {}; policy is {} days",
                on(day),
                policy.rotation_days
            ),
            Reason::UnrotatedUnknown => {
                "neither a rotation nor a grant date is known for this credential".into()
            }
            Reason::NoSponsor(relationship) => {
                format!("{relationship} identity with nobody accountable for it")
            }
            Reason::Privileged(why) => (*why).into(),
            Reason::SelfReview => format!("{} is reviewing their own access", ctx.reviewer),
            Reason::CrossTenant => {
                format!("also holds access in {}", ctx.other_tenants.join(", "))
            }
            Reason::Unclassified => {
                "the source does not say how this identity relates to us".into()
            }
        }
    }
}

/// The rules, in display order; `raise` is called once per flag.
fn evaluate(subject: &Subject<'_>, ctx: &Context<'_>, mut raise: impl FnMut(Flag, Reason)) {
    let policy = ctx.policy;
    let today = ctx.today;
    if let Some(expires) = subject.expires_at
        && expires < today
    {
        raise(Flag::Expired, Reason::Expired(expires));
    }
    if let Some(until) = ctx.lapsed_exception {
        raise(Flag::ExceptionLapsed, Reason::Lapsed(until));
    }
    if subject.shared {
        raise(Flag::SharedCredential, Reason::Shared);
    }
    match subject.last_used_at {
        Some(used) if days_between(used, today) > policy.dormant_days => {
            raise(Flag::Dormant, Reason::Dormant(used));
        }
        None if subject.kind != IdentityKind::BreakGlass => {
            if let Some(granted) = subject.granted_at
                && days_between(granted, today) > policy.never_used_days
            {
                raise(Flag::NeverUsed, Reason::NeverUsed(granted));
            }
        }
        _ => {}
    }
    if subject.kind.holds_machine_credential() {
        let limit = policy.rotation_days;
        match (subject.credential_rotated_at, subject.granted_at) {
            (Some(rotated), _) if days_between(rotated, today) > limit => {
                raise(Flag::UnrotatedCredential, Reason::Unrotated(rotated));
            }
            (None, Some(granted)) if days_between(granted, today) > limit => {
                raise(
                    Flag::UnrotatedCredential,
                    Reason::UnrotatedSinceGrant(granted),
                );
            }
            (None, None) => raise(Flag::UnrotatedCredential, Reason::UnrotatedUnknown),
            _ => {}
        }
    }
    if subject.relationship.is_external() && subject.sponsor.is_none_or(str::is_empty) {
        raise(Flag::NoSponsor, Reason::NoSponsor(subject.relationship));
    }
    let privileged = match subject.kind {
        IdentityKind::DelegatedAdmin => Some("delegated admin role"),
        IdentityKind::BreakGlass => Some("break-glass account"),
        _ if subject.privileged => Some("marked privileged by the source"),
        _ => None,
    };
    if let Some(why) = privileged {
        raise(Flag::Privileged, Reason::Privileged(why));
    }
    if is_self_review(subject.identity_id, subject.email, ctx.reviewer) {
        raise(Flag::SelfReview, Reason::SelfReview);
    }
    if !ctx.other_tenants.is_empty() {
        raise(Flag::CrossTenant, Reason::CrossTenant);
    }
    if subject.relationship == Relationship::Unknown {
        raise(Flag::Unclassified, Reason::Unclassified);
    }
}

/// The risk score and recommendation that follow from a set of flags.
pub fn score(flags: FlagSet, policy: &Policy) -> (i64, Recommendation) {
    let score = flags.iter().map(|f| policy.weights.of(f)).sum();
    let recommendation = flags
        .iter()
        .map(Flag::recommendation)
        .min()
        .unwrap_or(Recommendation::Keep);
    (score, recommendation)
}

/// The flags only: what campaign creation needs for every item.
pub fn flags(subject: &Subject<'_>, ctx: &Context<'_>) -> FlagSet {
    let mut flags = FlagSet::default();
    evaluate(subject, ctx, |flag, _| flags.insert(flag));
    flags
}

/// Flags with their reasons, score and recommendation.
pub fn assess(subject: &Subject<'_>, ctx: &Context<'_>) -> Assessment {
    let mut found: Vec<(Flag, Reason)> = Vec::new();
    evaluate(subject, ctx, |flag, reason| found.push((flag, reason)));
    found.sort_by_key(|(flag, _)| *flag);
    let flags: FlagSet = found.iter().map(|(flag, _)| *flag).collect();
    let (score, recommendation) = score(flags, ctx.policy);
    let findings = found
        .into_iter()
        .map(|(flag, reason)| Finding {
            flag: flag.name().to_string(),
            reason: reason.render(ctx),
        })
        .collect();
    Assessment {
        findings,
        flags,
        score,
        recommendation,
    }
}

/// The reasons for flags frozen at campaign creation, explained from the
/// frozen evidence. A frozen flag the rules no longer raise (a newer
/// recert, say) still shows, with a reason saying so.
pub fn explain(frozen: FlagSet, subject: &Subject<'_>, ctx: &Context<'_>) -> Vec<Finding> {
    let assessment = assess(subject, ctx);
    frozen
        .iter()
        .map(|flag| Finding {
            flag: flag.name().to_string(),
            reason: assessment
                .findings
                .iter()
                .find(|f| f.flag == flag.name())
                .map(|f| f.reason.clone())
                .unwrap_or_else(|| "flagged when the campaign was created".into()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn days_ago(n: i64) -> Option<NaiveDate> {
        Some(today() - chrono::Duration::days(n))
    }

    fn subject() -> Subject<'static> {
        Subject {
            identity_id: "l.brandt@copperline.example.com",
            email: None,
            kind: IdentityKind::Human,
            relationship: Relationship::Contractor,
            sponsor: Some("a.kowalski@northwind.example.com"),
            privileged: false,
            shared: false,
            granted_at: days_ago(400),
            expires_at: None,
            last_used_at: days_ago(3),
            credential_rotated_at: None,
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
        assert!(!flags_of(&key(days_ago(90))).contains(Flag::UnrotatedCredential));
        assert!(flags_of(&key(days_ago(91))).contains(Flag::UnrotatedCredential));
        assert!(flags_of(&key(None)).contains(Flag::UnrotatedCredential));
        let human = Subject {
            credential_rotated_at: days_ago(900),
            ..subject()
        };
        assert!(!flags_of(&human).contains(Flag::UnrotatedCredential));
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
        };
        assert!(assess(&subject(), &ctx).flags.contains(Flag::SelfReview));
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
}
