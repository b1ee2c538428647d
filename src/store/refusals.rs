//! The rules, replayed: a correctly hashed event proves only that it was
//! appended, so verify also refuses decisions that recording would have
//! refused: any decision, sign-off or close after its campaign's
//! cancellation, any decision after its campaign's sign-off (but the close
//! actions its close records, each on an item nobody had decided and as
//! the campaign's recorded close action decides it) or after its close,
//! and, under the policy its creation event recorded, a decision without a
//! note the policy requires or an exception beyond the policy's maximum.
//! Decisions on a part after its sponsor signed it are refused too, and in
//! a shared database decisions by someone without authority over the item
//! at that moment (see `authority_replay`, which also replays who signed
//! what). (A close that left an item undecided is integrity's
//! `check_closes`.)

use super::events::DecisionBody;
use super::{Result, Store};
use crate::domain::rotation;
use crate::domain::{Decision, DecisionKind, FlagSet, OnClose, Policy, Recommendation};
use crate::rules::{decision, signoff};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};

/// What the replay needs of a campaign: the rules its decisions were under.
#[derive(Debug, Default)]
pub(super) struct CampaignRules {
    pub name: String,
    /// The policy its creation event recorded, when it recorded one.
    pub policy: Option<Policy>,
    /// The close action its creation event recorded.
    pub on_close: Option<OnClose>,
    /// Its first sign-off, which froze its decisions.
    pub signed_off: Option<i64>,
    /// Its close, by whom and when.
    pub closed: Option<(i64, String, String)>,
    /// Its cancellation, which ended it.
    pub cancelled: Option<i64>,
    /// The first sign-off or close recorded after its cancellation.
    pub after_cancel: Option<(i64, String)>,
    /// Its owner, as the campaign records it.
    pub owner: String,
    /// Its parts' sign-offs by their sponsors: the first of each part, as
    /// event, signer and time.
    pub parts_signed: BTreeMap<String, (i64, String, String)>,
}

/// A decision event, as the replay reads it with its item.
#[derive(Clone, Copy)]
pub(super) struct DecisionEvent<'a> {
    pub seq: i64,
    pub item: i64,
    pub kind: DecisionKind,
    pub body: &'a DecisionBody,
    pub actor: &'a str,
    pub at: &'a str,
    pub has_note: bool,
    pub flags: FlagSet,
    pub recommendation: Recommendation,
    /// The decision in force on the item just before this event, if any
    /// (a reassignment counts as none: the item still waits).
    pub in_force: Option<(DecisionKind, i64)>,
    /// Whose part the item is in (`signoff::part_of`).
    pub part: &'a str,
}

impl Store {
    /// Adds each campaign's first sign-off and its close to `rules`.
    pub(super) fn load_lifecycle(&self, rules: &mut HashMap<i64, CampaignRules>) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT campaign, kind, seq, actor, at FROM event
             WHERE item IS NULL AND campaign IS NOT NULL
               AND kind IN ('campaign_signed_off', 'campaign_closed', 'campaign_cancelled')
             ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let campaign: i64 = row.get(0)?;
            let Some(rules) = rules.get_mut(&campaign) else {
                continue;
            };
            let seq: i64 = row.get(2)?;
            let kind = row.get_ref(1)?.as_str()?;
            if kind == "campaign_cancelled" {
                rules.cancelled.get_or_insert(seq);
                continue;
            }
            if rules.cancelled.is_some() && rules.after_cancel.is_none() {
                rules.after_cancel = Some((seq, kind.to_string()));
            }
            if kind == "campaign_signed_off" {
                rules.signed_off.get_or_insert(seq);
            } else if rules.closed.is_none() {
                rules.closed = Some((seq, row.get(3)?, row.get(4)?));
            }
        }
        let mut owners = self.conn.prepare("SELECT id, owner FROM campaign")?;
        let mut rows = owners.query([])?;
        while let Some(row) = rows.next()? {
            if let Some(rules) = rules.get_mut(&row.get::<_, i64>(0)?) {
                rules.owner = row.get(1)?;
            }
        }
        for signed in self.part_signoff_events()? {
            if let Some(rules) = rules.get_mut(&signed.campaign) {
                rules.parts_signed.entry(signed.part).or_insert((
                    signed.seq,
                    signed.actor,
                    signed.at,
                ));
            }
        }
        Ok(())
    }
}

impl CampaignRules {
    /// Why recording would have refused the decision, if it would have.
    pub(super) fn refused(&self, event: &DecisionEvent<'_>) -> Option<String> {
        let kind = event.kind.as_str();
        let article = if kind.starts_with(['a', 'e', 'u']) {
            "an"
        } else {
            "a"
        };
        let what = format!(
            "{article} {kind} of item {} in campaign {:?}",
            event.item, self.name
        );
        if let Some(cancelled) = self.cancelled
            && event.seq > cancelled
        {
            return Some(format!(
                "{what} recorded after the campaign was cancelled (event {cancelled}): the rules \
                 refuse it"
            ));
        }
        if let Some((closed, ..)) = &self.closed
            && event.seq > *closed
        {
            return Some(format!(
                "{what} recorded after the campaign was closed (event {closed}): the rules \
                 refuse it"
            ));
        }
        if event.body.close_action.is_some() {
            // Close records these itself: after the sign-off, just before
            // its own event, as the closer and at the close's time.
            let by_the_close = self.signed_off.is_some_and(|s| event.seq > s)
                && self.closed.as_ref().is_some_and(|(seq, actor, at)| {
                    event.seq < *seq && actor == event.actor && at == event.at
                });
            if !by_the_close {
                return Some(format!(
                    "{what} marked as a close action that the campaign's close did not \
                     record: the rules refuse it"
                ));
            }
            // A close decides only what nobody decided, and only as the
            // campaign says: otherwise a forged close rewrites outcomes
            // that were signed off.
            if let Some((decided, seq)) = event.in_force {
                return Some(format!(
                    "{what} marked as a close action, but the item was already decided \
                     ({decided}, event {seq}) and a close decides only what nobody decided: \
                     the rules refuse it"
                ));
            }
            let on_close = self.on_close?;
            // A rotate's date is the policy's period from the close's day.
            let rotate_by = match (&self.policy, day_of(event.at)) {
                (Some(policy), Some(day)) => rotation::close_action_by(day, policy),
                _ => event.body.by.unwrap_or_default(),
            };
            let expected = on_close.decision_for(event.recommendation, event.flags, rotate_by);
            let by_differs =
                matches!(expected, Decision::Rotate { by } if event.body.by != Some(by));
            let expected = expected.kind();
            if event.kind != expected
                || event.body.close_action.as_deref() != Some(on_close.as_str())
                || by_differs
            {
                return Some(format!(
                    "{what} marked as close action {:?}, but the campaign's recorded close \
                     action {on_close} gives this item {expected}: the rules refuse it",
                    event.body.close_action.as_deref().unwrap_or_default()
                ));
            }
            return None;
        }
        if let Some(signed) = self.signed_off
            && event.seq > signed
        {
            return Some(format!(
                "{what} recorded after the campaign was signed off (event {signed}): the \
                 rules refuse it"
            ));
        }
        if let Some((signed, signer, at)) = self.parts_signed.get(event.part)
            && event.seq > *signed
            && let Err(refusal) = signoff::part_accepts_decisions(
                &self.name,
                event.item,
                event.part,
                Some(signoff::Earlier {
                    signer,
                    seq: *signed,
                    at,
                }),
            )
        {
            return Some(format!(
                "{what} recorded after its part was signed off ({refusal}): the rules refuse it"
            ));
        }
        let policy = self.policy.as_ref()?;
        if !event.has_note
            && let Some(reason) =
                decision::note_required(policy, event.kind, event.flags, event.recommendation)
        {
            return Some(format!(
                "{what} without a note, which the campaign's recorded policy requires \
                 ({reason}): the rules refuse it"
            ));
        }
        if let (DecisionKind::Exception, Some(until), Some(day)) =
            (event.kind, event.body.until, day_of(event.at))
            && let Err(why) = decision::exception_end(until, day, policy)
        {
            return Some(format!(
                "{what} until {until}, refused by the recorded policy on its date {day} ({why}): \
                 the rules refuse it"
            ));
        }
        if event.kind == DecisionKind::Rotate {
            let Some(by) = event.body.by else {
                return Some(format!(
                    "{what} without the date it rotates by: the rules refuse it"
                ));
            };
            if let Some(day) = day_of(event.at)
                && let Err(why) = rotation::check_by(by, day, policy)
            {
                return Some(format!(
                    "{what} by {by}, refused by the recorded policy on its date {day} ({why}): \
                     the rules refuse it"
                ));
            }
        }
        None
    }
}

/// The day (UTC, as decisions date exceptions) of an event's time.
fn day_of(at: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc).date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> CampaignRules {
        CampaignRules {
            name: "Q4".into(),
            policy: Some(Policy::default()),
            on_close: Some(OnClose::Keep),
            signed_off: Some(10),
            closed: Some((20, "owner@x".into(), "2026-12-01T10:00:00.000Z".into())),
            owner: "owner@x".into(),
            ..CampaignRules::default()
        }
    }

    fn event<'a>(seq: i64, kind: DecisionKind, body: &'a DecisionBody) -> DecisionEvent<'a> {
        DecisionEvent {
            seq,
            item: 3,
            kind,
            body,
            actor: "owner@x",
            at: "2026-12-01T10:00:00.000Z",
            has_note: true,
            flags: FlagSet::default(),
            recommendation: Recommendation::Keep,
            in_force: None,
            part: "s@x",
        }
    }

    #[test]
    fn decisions_after_the_sign_off_or_close_are_refused_but_the_close_actions() {
        let rules = rules();
        let plain = DecisionBody::default();
        let close = DecisionBody {
            close_action: Some("keep".into()),
            ..DecisionBody::default()
        };
        assert_eq!(rules.refused(&event(9, DecisionKind::Attest, &plain)), None);
        let after_signoff = rules.refused(&event(11, DecisionKind::Attest, &plain));
        assert!(
            after_signoff
                .unwrap()
                .contains("after the campaign was signed off (event 10)")
        );
        assert_eq!(
            rules.refused(&event(15, DecisionKind::Attest, &close)),
            None
        );
        let after_close = rules.refused(&event(21, DecisionKind::Attest, &close));
        assert!(
            after_close
                .unwrap()
                .contains("after the campaign was closed (event 20)")
        );
        let early = rules.refused(&event(5, DecisionKind::Revoke, &close));
        assert!(early.unwrap().contains("close did not record"));
        let other_actor = DecisionEvent {
            actor: "someone@x",
            ..event(15, DecisionKind::Attest, &close)
        };
        assert!(rules.refused(&other_actor).is_some());
    }

    #[test]
    fn a_decision_on_a_part_after_its_sponsor_signed_it_is_refused() {
        let mut rules = CampaignRules {
            signed_off: None,
            closed: None,
            ..rules()
        };
        rules.parts_signed.insert(
            "s@x".into(),
            (6, "s@x".into(), "2026-11-20T09:00:00Z".into()),
        );
        let plain = DecisionBody::default();
        assert_eq!(rules.refused(&event(5, DecisionKind::Attest, &plain)), None);
        let late = rules
            .refused(&event(7, DecisionKind::Attest, &plain))
            .unwrap();
        assert!(
            late.contains("after its part was signed off (item 3 is in a part signed off by s@x")
                && late.contains("(event 6)"),
            "{late}"
        );
        let other = DecisionEvent {
            part: "owner@x",
            ..event(7, DecisionKind::Attest, &plain)
        };
        assert_eq!(rules.refused(&other), None, "other parts keep deciding");
    }

    #[test]
    fn a_close_action_decides_only_what_nobody_decided_and_as_the_campaign_says() {
        let rules = rules();
        let keep = DecisionBody {
            close_action: Some("keep".into()),
            ..DecisionBody::default()
        };
        let over_a_revoke = DecisionEvent {
            in_force: Some((DecisionKind::Revoke, 7)),
            ..event(15, DecisionKind::Attest, &keep)
        };
        let refused = rules.refused(&over_a_revoke).unwrap();
        assert!(
            refused.contains("already decided (revoke, event 7)"),
            "{refused}"
        );
        let revoked_on_keep = rules
            .refused(&event(15, DecisionKind::Revoke, &keep))
            .unwrap();
        assert!(
            revoked_on_keep.contains("close action keep gives this item attest"),
            "{revoked_on_keep}"
        );
        let other_action = DecisionBody {
            close_action: Some("revoke".into()),
            ..DecisionBody::default()
        };
        assert!(
            rules
                .refused(&event(15, DecisionKind::Attest, &other_action))
                .is_some()
        );
        let by_recommendation = CampaignRules {
            on_close: Some(OnClose::Recommendation),
            ..rules
        };
        let recommendation = DecisionBody {
            close_action: Some("recommendation".into()),
            ..DecisionBody::default()
        };
        let revoke_recommended = DecisionEvent {
            recommendation: Recommendation::Revoke,
            ..event(15, DecisionKind::Revoke, &recommendation)
        };
        assert_eq!(by_recommendation.refused(&revoke_recommended), None);
        assert_eq!(
            by_recommendation.refused(&event(15, DecisionKind::Attest, &recommendation)),
            None
        );
        assert!(
            by_recommendation
                .refused(&event(15, DecisionKind::Revoke, &recommendation))
                .is_some()
        );
    }

    /// As someone with recert's own code could: a decision appended with
    /// the store's chain writer, correctly hashed, after the sign-off.
    #[test]
    fn a_correctly_hashed_decision_after_the_sign_off_is_named() {
        use crate::store::ItemId;
        use crate::store::events::{ChainWriter, NewEvent};
        use crate::testing::{OWNER, acting, sample_store};
        let (mut store, q4) = sample_store();
        store
            .sign_off(q4.id, &acting(OWNER), "30 undecided", Some(1), Some(30))
            .unwrap();
        assert!(store.verify(&[], false).unwrap().ok());
        let body = DecisionBody {
            assigned_to: OWNER.into(),
            recommendation: "keep".into(),
            ..DecisionBody::default()
        };
        let mut chain = ChainWriter::start(&store.conn).unwrap();
        let seq = chain
            .append(
                &store.conn,
                &NewEvent {
                    kind: "attest",
                    campaign: Some(q4.id),
                    item: Some(ItemId(1)),
                    actor: OWNER,
                    actor_via: "asserted",
                    at: "2026-11-22T10:00:00.000Z",
                    note: Some("still needed"),
                    body: serde_json::to_string(&body).unwrap(),
                },
            )
            .unwrap();
        let v = store.verify(&[], false).unwrap();
        assert!(v.chain.first_break.is_none(), "the chain itself verifies");
        let refusal = v
            .discrepancies
            .iter()
            .find(|d| d.seq == Some(seq.0))
            .expect("the appended decision is named");
        assert_eq!(
            refusal.message,
            "an attest of item 1 in campaign \"Q4\" recorded after the campaign was signed off \
             (event 3): the rules refuse it"
        );
    }

    #[test]
    fn the_recorded_policy_is_replayed() {
        let rules = CampaignRules {
            signed_off: None,
            closed: None,
            ..rules()
        };
        let plain = DecisionBody::default();
        let silent = DecisionEvent {
            has_note: false,
            ..event(5, DecisionKind::Revoke, &plain)
        };
        assert!(
            rules
                .refused(&silent)
                .unwrap()
                .contains("a revoke needs a note")
        );
        let within = DecisionBody {
            until: NaiveDate::from_ymd_opt(2027, 12, 1),
            ..DecisionBody::default()
        };
        assert_eq!(
            rules.refused(&event(5, DecisionKind::Exception, &within)),
            None
        );
        let beyond = DecisionBody {
            until: NaiveDate::from_ymd_opt(2027, 12, 2),
            ..DecisionBody::default()
        };
        let refused = rules
            .refused(&event(5, DecisionKind::Exception, &beyond))
            .unwrap();
        assert!(
            refused.contains("on its date 2026-12-01") && refused.contains("maximum of 365 days"),
            "{refused}"
        );
        let unrecorded = CampaignRules {
            policy: None,
            ..CampaignRules::default()
        };
        assert_eq!(
            unrecorded.refused(&silent),
            None,
            "no policy, nothing to replay"
        );
    }

    #[test]
    fn rotates_are_replayed_with_their_date_and_the_close_actions_date() {
        let open = CampaignRules {
            signed_off: None,
            closed: None,
            ..rules()
        };
        // Decided on 2026-12-01: by the next day up to 90 days later.
        let by = |day: &str| DecisionBody {
            by: Some(crate::domain::date::parse_day(day).unwrap()),
            ..DecisionBody::default()
        };
        for (day, allowed) in [
            ("2026-12-01", false),
            ("2026-12-02", true),
            ("2027-03-01", true),
            ("2027-03-02", false),
        ] {
            let body = by(day);
            let refused = open.refused(&event(5, DecisionKind::Rotate, &body));
            assert_eq!(refused.is_none(), allowed, "{day}: {refused:?}");
        }
        let undated = DecisionBody::default();
        assert!(
            open.refused(&event(5, DecisionKind::Rotate, &undated))
                .unwrap()
                .contains("without the date")
        );

        let closing = CampaignRules {
            on_close: Some(OnClose::Recommendation),
            ..rules()
        };
        let unrotated: FlagSet = [crate::domain::Flag::UnrotatedCredential]
            .into_iter()
            .collect();
        let as_the_close_gives = DecisionBody {
            close_action: Some("recommendation".into()),
            ..by("2027-03-01")
        };
        let rotated = DecisionEvent {
            recommendation: Recommendation::RotateOrRevoke,
            flags: unrotated,
            ..event(15, DecisionKind::Rotate, &as_the_close_gives)
        };
        assert_eq!(closing.refused(&rotated), None);
        let revoked = DecisionEvent {
            kind: DecisionKind::Revoke,
            ..rotated
        };
        assert!(
            closing
                .refused(&revoked)
                .unwrap()
                .contains("gives this item rotate"),
            "the close action rotates what only needs rotating"
        );
        let other_date = DecisionBody {
            close_action: Some("recommendation".into()),
            ..by("2027-02-01")
        };
        let forged = DecisionEvent {
            body: &other_date,
            ..rotated
        };
        assert!(
            closing.refused(&forged).is_some(),
            "a date the close did not give"
        );
    }
}
