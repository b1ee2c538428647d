//! The risk insights: which flags a grant earns on a given day under a
//! policy, why (a sentence a reviewer can check), the resulting risk score
//! and the recommendation.

use super::catalog::Sensitivity;
use super::date::{days_between, describe_age};
use super::decision::Recommendation;
use super::flags::{Flag, FlagSet};
use super::model::{IdentityKind, Relationship};
use super::people::same_person;
use super::policy::Policy;
use super::sod::SodConflict;
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
    /// `Some(false)` when the source reports the account disabled.
    pub active: Option<bool>,
    /// When the identity's contract ends, from the identity register.
    pub contract_end: Option<NaiveDate>,
    /// Whether the grant carries a justification (blank is none).
    pub justified: bool,
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
    /// An earlier campaign's rotate decision that passed its date unrotated.
    pub overdue_rotation: Option<&'a super::rotation::OverdueRotation>,
    pub around: Around<'a>,
    /// An earlier campaign's revoke of the grant that a later snapshot still holds.
    pub revocation_not_done: Option<&'a NotDone>,
    /// What changed about the identity since the previous campaign of the scope.
    pub context_changes: &'a [ContextChange],
}

/// What the checks of issue 24 see beyond the grant: the previous review
/// of the scope, the grants policy pairs this one with, the catalog.
#[derive(Clone, Copy, Debug, Default)]
pub struct Around<'a> {
    /// The as-of day of the previous campaign of the same scope; `None`
    /// in a scope's first campaign.
    pub previous_review: Option<NaiveDate>,
    /// Grants of the same identity that a `[[policy.sod]]` rule pairs
    /// with this one.
    pub sod: &'a [SodConflict],
    /// What the entitlement catalog says of the entitlement's data.
    pub sensitivity: Option<Sensitivity>,
}

pub use super::carried::{CONTEXT_FIELDS, ContextChange, NotDone, context_changes};

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
    let same = |other: &str| same_person(other, reviewer);
    same(identity_id) || email.is_some_and(same)
}

/// Why a flag was raised, holding the facts rather than the sentence, so
/// that the hot path (a million items at campaign creation) formats nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reason {
    Expired(NaiveDate),
    ContractEnded(NaiveDate),
    Inactive,
    Lapsed(NaiveDate),
    RotationOverdue,
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
    // Issue 24.
    Sod,
    NoEndDate(Relationship),
    NoJustification(Relationship),
    BreakGlassUsed(NaiveDate, Option<NaiveDate>),
    SensitiveData(Sensitivity),
    NotDone,
    ContextChanged,
}

impl Reason {
    fn render(&self, ctx: &Context<'_>) -> String {
        let today = ctx.today;
        let on = |day: &NaiveDate| format!("{day} ({})", describe_age(*day, today));
        let policy = ctx.policy;
        match self {
            Reason::Expired(day) => format!("expired on {}", on(day)),
            Reason::ContractEnded(day) => format!(
                "the identity register says the contract ended on {}",
                on(day)
            ),
            Reason::Inactive => {
                "the source reports the account disabled, yet the grant is still listed".into()
            }
            Reason::Lapsed(day) => format!("an earlier campaign's exception ended on {}", on(day)),
            Reason::RotationOverdue => ctx.overdue_rotation.map_or_else(
                || "a rotation decided earlier is overdue".into(),
                |o| o.reason(),
            ),
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
            // Issue 24.
            Reason::Sod => ctx
                .around
                .sod
                .iter()
                .map(|c| {
                    let why = if c.reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", c.reason)
                    };
                    format!(
                        "also holds {} {} (rule \"{}\"{why})",
                        c.system, c.entitlement, c.rule
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Reason::NoEndDate(relationship) => {
                format!("{relationship} identity's grant with no end date")
            }
            Reason::NoJustification(relationship) => {
                format!("{relationship} identity's grant with no justification recorded")
            }
            Reason::BreakGlassUsed(used, Some(since)) => format!(
                "break-glass account used on {}, after the previous review of this scope (as of {since})",
                on(used)
            ),
            Reason::BreakGlassUsed(used, None) => format!(
                "break-glass account used on {}; no earlier campaign of this scope reviewed it",
                on(used)
            ),
            Reason::SensitiveData(sensitivity) => {
                format!("the entitlement catalog marks its data {sensitivity}")
            }
            Reason::NotDone => match ctx.revocation_not_done {
                Some(n) => n.reason(),
                None => "revoked in an earlier campaign, yet still held".into(),
            },
            Reason::ContextChanged => {
                let changes: Vec<String> = ctx
                    .context_changes
                    .iter()
                    .map(|c| {
                        let shown = |v: &str| {
                            if v.is_empty() {
                                "(none)".to_string()
                            } else {
                                v.to_string()
                            }
                        };
                        format!("{} {} → {}", c.field, shown(&c.before), shown(&c.after))
                    })
                    .collect();
                format!("since the previous campaign: {}", changes.join("; "))
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
    if let Some(end) = subject.contract_end
        && end < today
    {
        raise(Flag::ContractEnded, Reason::ContractEnded(end));
    }
    if subject.active == Some(false) {
        raise(Flag::Inactive, Reason::Inactive);
    }
    if let Some(until) = ctx.lapsed_exception {
        raise(Flag::ExceptionLapsed, Reason::Lapsed(until));
    }
    if ctx.overdue_rotation.is_some() {
        raise(Flag::RotationOverdue, Reason::RotationOverdue);
    }
    if ctx.revocation_not_done.is_some() {
        raise(Flag::RevocationNotDone, Reason::NotDone);
    }
    if !ctx.context_changes.is_empty() {
        raise(Flag::ContextChanged, Reason::ContextChanged);
    }
    if subject.shared {
        raise(Flag::SharedCredential, Reason::Shared);
    }
    // Break-glass accounts should stay unused: neither dormancy nor never
    // having been used says anything against them.
    let break_glass = subject.kind == IdentityKind::BreakGlass;
    match subject.last_used_at {
        Some(used) if !break_glass && days_between(used, today) > policy.dormant_days => {
            raise(Flag::Dormant, Reason::Dormant(used));
        }
        None if !break_glass => {
            if let Some(granted) = subject.granted_at
                && days_between(granted, today) > policy.never_used_days
            {
                raise(Flag::NeverUsed, Reason::NeverUsed(granted));
            }
        }
        _ => {}
    }
    // A rotation date says the grant is a credential that should rotate,
    // whoever holds it (an access key of a person's account); machine
    // identities must rotate even when the source gives no date.
    let machine = subject.kind.holds_machine_credential();
    let limit = policy.rotation_days;
    match (subject.credential_rotated_at, subject.granted_at) {
        (Some(rotated), _) if days_between(rotated, today) > limit => {
            raise(Flag::UnrotatedCredential, Reason::Unrotated(rotated));
        }
        (None, Some(granted)) if machine && days_between(granted, today) > limit => {
            raise(
                Flag::UnrotatedCredential,
                Reason::UnrotatedSinceGrant(granted),
            );
        }
        (None, None) if machine => raise(Flag::UnrotatedCredential, Reason::UnrotatedUnknown),
        _ => {}
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
    // Issue 24.
    let around = &ctx.around;
    if !around.sod.is_empty() {
        raise(Flag::SodConflict, Reason::Sod);
    }
    if subject.relationship.is_external() {
        if subject.expires_at.is_none() {
            raise(Flag::NoEndDate, Reason::NoEndDate(subject.relationship));
        }
        if !subject.justified {
            raise(
                Flag::NoJustification,
                Reason::NoJustification(subject.relationship),
            );
        }
    }
    // A use on the previous review's own day was there for it to see.
    if break_glass
        && let Some(used) = subject.last_used_at
        && around.previous_review.is_none_or(|seen| used > seen)
    {
        raise(
            Flag::BreakGlassUsed,
            Reason::BreakGlassUsed(used, around.previous_review),
        );
    }
    if let Some(sensitivity) = around.sensitivity
        && sensitivity.is_sensitive()
    {
        raise(Flag::SensitiveData, Reason::SensitiveData(sensitivity));
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

/// The rule behind a flag under `policy`, in a sentence, for listings of
/// the flags and the effective policy.
pub fn describe_rule(flag: Flag, policy: &Policy) -> String {
    match flag {
        Flag::Expired => "the grant's expires_at is before today".into(),
        Flag::ContractEnded => {
            "the identity register's contract_end for the identity is before today".into()
        }
        Flag::Inactive => "the source reports the account disabled (SCIM active: false)".into(),
        Flag::ExceptionLapsed => {
            "the latest earlier decision on the grant was an exception that ended before today"
                .into()
        }
        Flag::RotationOverdue => {
            "the latest earlier decision on the grant was a rotate whose date is before today, \
             and no snapshot imported since shows a newer rotation date"
                .into()
        }
        Flag::SharedCredential => "the grant is marked shared".into(),
        Flag::Dormant => format!(
            "last used more than {} days ago (break-glass accounts excepted)",
            policy.dormant_days
        ),
        Flag::NeverUsed => format!(
            "no recorded use and granted more than {} days ago (break-glass accounts excepted)",
            policy.never_used_days
        ),
        Flag::UnrotatedCredential => format!(
            "credential rotated more than {} days ago; for an api_key or service_account \
             without a rotation date, granted more than {0} days ago or no date known at all",
            policy.rotation_days
        ),
        Flag::NoSponsor => "no sponsor for a partner, contractor, msp or vendor identity".into(),
        Flag::Privileged => {
            "the grant is marked privileged, or the identity is a delegated_admin or \
             break_glass account"
                .into()
        }
        Flag::SelfReview => {
            "the item's reviewer is the identity itself (same identity_id or e-mail)".into()
        }
        Flag::CrossTenant => "the same identity_id or e-mail holds access in another tenant".into(),
        Flag::Unclassified => {
            "relationship unknown: the source does not say (classify it in the identity register)"
                .into()
        }
        // Issue 24.
        Flag::SodConflict => format!(
            "the identity also holds an entitlement that a [[policy.sod]] rule pairs with this \
             one ({} rule{} in force)",
            policy.sod.len(),
            if policy.sod.len() == 1 { "" } else { "s" }
        ),
        Flag::NoEndDate => "a partner, contractor, msp or vendor identity's grant with no \
                            expires_at"
            .into(),
        Flag::NoJustification => "a partner, contractor, msp or vendor identity's grant with \
                                  no justification"
            .into(),
        Flag::BreakGlassUsed => "a break_glass account with a recorded use after the as-of day \
                                 of the previous campaign of the same scope; in a scope's \
                                 first campaign, any recorded use"
            .into(),
        Flag::SensitiveData => {
            "the entitlement catalog marks the entitlement confidential or restricted".into()
        }
        Flag::RevocationNotDone => {
            "an earlier campaign revoked the grant and a snapshot imported after the revoke \
             still holds it (first in the queue until a snapshot shows it gone)"
                .into()
        }
        Flag::ContextChanged => {
            "the identity's relationship, organization, region or sponsor changed since the \
             previous campaign of the same scope"
                .into()
        }
    }
}

#[cfg(test)]
#[path = "insight_checks_tests.rs"]
mod checks_tests;

#[cfg(test)]
#[path = "insight_tests.rs"]
mod tests;
