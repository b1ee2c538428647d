//! The reasons for an item's frozen flags, explained again from the
//! evidence frozen on the item and its campaign's policy and day: what the
//! detail pane and every report print beside each flag. One place builds
//! the insights' [`Subject`] from a row, so that the screen and the
//! reports can never explain a flag differently.

use super::campaigns::ItemContext;
use super::row::Item;
use crate::domain::insight::{self, Context, Finding, Subject};
use crate::domain::{IdentityKind, Policy, Relationship, Stamp};
use chrono::NaiveDate;

impl<S: AsRef<str>> Item<S> {
    /// The reasons for the row's flags, one per flag in display order; an
    /// item whose stored context does not parse is explained without it
    /// (its cross-tenant or lapsed-exception reason then says only that
    /// the flag was raised at creation).
    pub fn findings(&self, policy: &Policy, as_of: NaiveDate) -> Vec<Finding> {
        if self.flags.is_empty() {
            return Vec::new();
        }
        let context = self
            .evidence
            .context
            .as_ref()
            .and_then(|json| serde_json::from_str(json.as_ref()).ok())
            .unwrap_or_default();
        self.explain(&context, policy, as_of)
    }

    pub(super) fn explain(
        &self,
        context: &ItemContext,
        policy: &Policy,
        as_of: NaiveDate,
    ) -> Vec<Finding> {
        fn text<S: AsRef<str>>(v: &Option<S>) -> Option<&str> {
            v.as_ref().map(AsRef::as_ref)
        }
        let day = |v: &Option<S>| text(v).and_then(|s| Stamp::parse(s).ok()).map(|s| s.day());
        let ev = &self.evidence;
        let subject = Subject {
            identity_id: self.identity_id.as_ref(),
            email: text(&ev.email),
            kind: self.kind.as_ref().parse().unwrap_or(IdentityKind::Human),
            relationship: self
                .relationship
                .as_ref()
                .parse()
                .unwrap_or(Relationship::Unknown),
            sponsor: text(&self.sponsor),
            privileged: self.privileged,
            shared: ev.shared,
            granted_at: day(&ev.granted_at),
            expires_at: day(&ev.expires_at),
            last_used_at: day(&ev.last_used_at),
            credential_rotated_at: day(&ev.credential_rotated_at),
            active: ev.active,
            contract_end: day(&ev.contract_end),
            justified: ev.justified,
        };
        let ctx = Context {
            today: as_of,
            policy,
            reviewer: ev.reviewer.as_ref(),
            other_tenants: &context.other_tenants,
            lapsed_exception: context.lapsed_exception,
            overdue_rotation: context.overdue_rotation.as_ref(),
            around: context.around(),
            revocation_not_done: context.revocation_not_done.as_ref(),
            context_changes: &context.context_changes,
        };
        insight::explain(self.flags, &subject, &ctx)
    }
}
