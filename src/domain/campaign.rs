//! Campaign settings: who reviews each item, what happens to undecided
//! items at close, and the lifecycle states.

use super::model::vocabulary;
use std::fmt;
use std::str::FromStr;

vocabulary!(
    /// The lifecycle: open → signed_off → closed.
    CampaignState {
        Open => "open",
        SignedOff => "signed_off",
        Closed => "closed",
    }
);

vocabulary!(
    /// What an item nobody decided gets when the campaign closes.
    OnClose {
        Keep => "keep",
        Revoke => "revoke",
        Recommendation => "recommendation",
    }
);

/// Who reviews an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewerRule {
    Sponsor,
    BusinessOwner,
    TechnicalOwner,
    Fixed(String),
}

impl FromStr for ReviewerRule {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "sponsor" => Ok(ReviewerRule::Sponsor),
            "business_owner" => Ok(ReviewerRule::BusinessOwner),
            "technical_owner" => Ok(ReviewerRule::TechnicalOwner),
            _ => match text.strip_prefix("fixed:") {
                Some(email) if !email.trim().is_empty() => {
                    Ok(ReviewerRule::Fixed(email.trim().to_string()))
                }
                _ => Err(format!(
                    "{text:?} is not a reviewer rule: use sponsor, business_owner, \
                     technical_owner or fixed:EMAIL"
                )),
            },
        }
    }
}

impl fmt::Display for ReviewerRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewerRule::Sponsor => f.write_str("sponsor"),
            ReviewerRule::BusinessOwner => f.write_str("business_owner"),
            ReviewerRule::TechnicalOwner => f.write_str("technical_owner"),
            ReviewerRule::Fixed(email) => write!(f, "fixed:{email}"),
        }
    }
}

impl ReviewerRule {
    /// The reviewer for an item; when the rule's person is unknown the
    /// campaign owner reviews it, so that nothing falls through.
    pub fn pick<'a>(
        &'a self,
        sponsor: Option<&'a str>,
        business_owner: Option<&'a str>,
        technical_owner: Option<&'a str>,
        owner: &'a str,
    ) -> &'a str {
        let chosen = match self {
            ReviewerRule::Sponsor => sponsor,
            ReviewerRule::BusinessOwner => business_owner,
            ReviewerRule::TechnicalOwner => technical_owner,
            ReviewerRule::Fixed(email) => Some(email.as_str()),
        };
        chosen.filter(|s| !s.trim().is_empty()).unwrap_or(owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviewer_rules_parse_and_fall_back_to_the_owner() {
        let rule: ReviewerRule = "sponsor".parse().unwrap();
        assert_eq!(rule.pick(Some("s@x"), None, None, "o@x"), "s@x");
        assert_eq!(rule.pick(None, Some("b@x"), None, "o@x"), "o@x");
        let fixed: ReviewerRule = "fixed:audit@x".parse().unwrap();
        assert_eq!(fixed.to_string(), "fixed:audit@x");
        assert_eq!(fixed.pick(Some("s@x"), None, None, "o@x"), "audit@x");
        assert!("fixed:".parse::<ReviewerRule>().is_err());
        assert!("manager".parse::<ReviewerRule>().is_err());
    }
}
