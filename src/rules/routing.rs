//! Who reviews an item whose reviewer would be the identity itself.

use crate::domain::insight::is_self_review;
use crate::domain::people::person_key;
use crate::domain::policy::SelfReview;
use crate::domain::roster::Mode;
use std::borrow::Cow;

/// The policy a campaign is created under when the config leaves it
/// unset: in a shared database nobody reviews their own access; a personal
/// one (a single admin, often) keeps the item, flagged.
pub fn self_review_default(mode: Mode) -> SelfReview {
    match mode {
        Mode::Shared => SelfReview::Route,
        Mode::Personal => SelfReview::Flag,
    }
}

/// The reviewer of an item the reviewer rule gave to `picked`. Under
/// `route`, when `picked` is the identity itself (by identity id or
/// e-mail), the first of `fallbacks` (business owner, technical owner,
/// campaign owner) who is not; when every one is, or under `flag`, the
/// item stays with `picked` and the insights flag it.
pub fn reviewer<'a>(
    rule: SelfReview,
    picked: Cow<'a, str>,
    identity_id: &str,
    email: Option<&str>,
    fallbacks: [Option<&'a str>; 3],
) -> Cow<'a, str> {
    let is_self = |who: &str| is_self_review(identity_id, email, who);
    if rule == SelfReview::Flag || !is_self(&picked) {
        return picked;
    }
    fallbacks
        .into_iter()
        .flatten()
        .map(person_key)
        .find(|who| !who.is_empty() && !is_self(who))
        .unwrap_or(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANNA: &str = "a.kowalski@x";

    fn route(picked: &str, fallbacks: [Option<&'static str>; 3]) -> String {
        reviewer(
            SelfReview::Route,
            Cow::Owned(picked.to_string()),
            "akowalski",
            Some(ANNA),
            fallbacks,
        )
        .into_owned()
    }

    #[test]
    fn route_hands_a_self_review_to_the_first_who_is_not_the_identity() {
        let all = [Some("BO@x"), Some("to@x"), Some("owner@x")];
        assert_eq!(route(ANNA, all), "bo@x", "the business owner first");
        assert_eq!(
            route("AKowalski", [Some(ANNA), Some("to@x"), Some("owner@x")]),
            "to@x",
            "by identity id too; the business owner is the identity"
        );
        assert_eq!(
            route(ANNA, [None, Some(" "), Some("owner@x")]),
            "owner@x",
            "then the campaign owner"
        );
        assert_eq!(
            route(ANNA, [Some(ANNA), None, Some("A.Kowalski@x")]),
            ANNA,
            "nobody else: it stays, flagged"
        );
        assert_eq!(route("lee@x", all), "lee@x", "not a self-review");
    }

    #[test]
    fn flag_keeps_the_reviewer_and_the_mode_decides_when_unset() {
        let kept = reviewer(
            SelfReview::Flag,
            Cow::Borrowed(ANNA),
            "akowalski",
            Some(ANNA),
            [Some("bo@x"), None, Some("owner@x")],
        );
        assert_eq!(kept, ANNA);
        assert_eq!(self_review_default(Mode::Shared), SelfReview::Route);
        assert_eq!(self_review_default(Mode::Personal), SelfReview::Flag);
    }
}
