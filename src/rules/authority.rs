//! Who acts, and what they may do: establishing the acting person from
//! what recert can know (a name given, the OS account, an SSH session),
//! admin-only work, and the authority to decide an item (its reviewer, a
//! delegate, the owner overriding, or, in a personal database, anyone on
//! the reviewer's behalf).

use super::Refusal;
use crate::domain::people::{person_key, same_person};
use crate::domain::roster::{Established, Mode, Person, Role};
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// What recert knows of whoever runs it, before deciding who that is.
#[derive(Clone, Copy, Debug, Default)]
pub struct Claim<'a> {
    /// `--as` or `RECERT_REVIEWER`, when given.
    pub given: Option<&'a str>,
    /// The config file's `reviewer`.
    pub configured: Option<&'a str>,
    /// The OS account running recert, as the system knows it.
    pub os_user: Option<&'a str>,
    /// The person registered with that OS account.
    pub os_person: Option<&'a Person>,
    /// A session on a shared review host: its person and the fingerprint
    /// of the key it was opened with.
    pub session: Option<(&'a Person, &'a str)>,
}

/// The acting person, established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// As people are kept (`person_key`).
    pub email: String,
    pub via: Established,
    /// The person's roles in the register (none when unregistered).
    pub roles: BTreeSet<Role>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// How a person names themselves, said wherever nobody is known.
pub const NAME_YOURSELF: &str = "name yourself with --as EMAIL, RECERT_REVIEWER=EMAIL or \
                                 reviewer = \"EMAIL\" in the config";

/// Who acts. In a personal database a name is taken as stated (recorded
/// as asserted) unless the OS account is that person's; in a shared one
/// the person must be established by their OS account or their session's
/// key, and a name given must be theirs. `registered` looks a person up in
/// the people register.
pub fn establish(
    mode: Mode,
    claim: &Claim<'_>,
    registered: impl Fn(&str) -> Option<Person>,
) -> Result<Actor, Refusal> {
    let known = |person: &Person, via: Established| Actor {
        email: person.email.clone(),
        via,
        roles: person.roles.clone(),
    };
    let proven = match (claim.session, claim.os_person) {
        (Some((person, fingerprint)), _) => {
            Some(known(person, Established::SshKey(fingerprint.to_string())))
        }
        (None, Some(person)) => Some(known(
            person,
            Established::OsUser(claim.os_user.unwrap_or_default().to_string()),
        )),
        (None, None) => None,
    };
    let given = claim.given.map(person_key).map(|g| g.into_owned());
    if given.as_deref() == Some("") {
        return Err(Refusal::invalid(
            "as",
            format!("--as (or RECERT_REVIEWER) is empty: who acts must be known; {NAME_YOURSELF}"),
        ));
    }
    match mode {
        Mode::Shared => {
            let Some(actor) = proven else {
                return Err(Refusal::NotAllowed(format!(
                    "this database is in shared mode, where who acts must be established, and the \
                     OS account {} is nobody's in the people register: an admin adds it with \
                     `recert people add EMAIL --os-user {}`, or reach it through its review \
                     host's SSH session",
                    claim.os_user.unwrap_or("(unknown)"),
                    claim.os_user.unwrap_or("NAME"),
                )));
            };
            if let Some(given) = &given
                && !same_person(given, &actor.email)
            {
                return Err(Refusal::NotAllowed(format!(
                    "recert takes you for {} ({}), and in shared mode --as may only name you: \
                     {given} must act for themselves",
                    actor.email,
                    describe(&actor.via)
                )));
            }
            Ok(actor)
        }
        Mode::Personal => {
            let named = given.or_else(|| {
                claim
                    .configured
                    .map(|c| person_key(c).into_owned())
                    .filter(|c| !c.is_empty())
            });
            let actor = match (named, proven) {
                (Some(name), Some(actor)) if same_person(&name, &actor.email) => actor,
                (Some(name), _) => Actor {
                    roles: registered(&name).map(|p| p.roles).unwrap_or_default(),
                    email: name,
                    via: Established::Asserted,
                },
                (None, Some(actor)) => actor,
                (None, None) => {
                    let os = claim
                        .os_user
                        .map(|u| person_key(u).into_owned())
                        .filter(|u| !u.is_empty())
                        .ok_or_else(|| {
                            Refusal::invalid(
                                "as",
                                format!(
                                    "who acts must be known, and neither --as, RECERT_REVIEWER, \
                                     the config's reviewer nor the OS account names anyone: \
                                     {NAME_YOURSELF}"
                                ),
                            )
                        })?;
                    Actor {
                        roles: registered(&os).map(|p| p.roles).unwrap_or_default(),
                        email: os,
                        via: Established::Asserted,
                    }
                }
            };
            readable(actor)
        }
    }
}

/// Refuses a stated name holding a control character or one that draws
/// nothing: recorded as the actor, it would be somebody else who looks the
/// same.
fn readable(actor: Actor) -> Result<Actor, Refusal> {
    if crate::domain::text::draws_as_is(&actor.email) {
        return Ok(actor);
    }
    Err(Refusal::invalid(
        "as",
        format!(
            "\"{}\" holds a control character or one that draws nothing: who acts must be named \
             as they read; {NAME_YOURSELF}",
            crate::domain::text::sanitize(&actor.email)
        ),
    ))
}

/// How someone was established, in words.
pub fn describe(via: &Established) -> String {
    match via {
        Established::Asserted => "as stated, not authenticated".to_string(),
        Established::OsUser(user) => format!("by the OS account {user}"),
        Established::SshKey(fingerprint) => format!("by the SSH key {fingerprint}"),
    }
}

/// Admin-only work (imports, the people register, the mode, creating and
/// cancelling campaigns): anyone's in a personal database, admins' only in
/// a shared one.
pub fn require_admin(mode: Mode, actor: &Actor, what: &str) -> Result<(), Refusal> {
    if mode == Mode::Personal || actor.has(Role::Admin) {
        return Ok(());
    }
    Err(Refusal::NotAllowed(format!(
        "{what} is for admins in a shared database, and {} is not one: an admin gives the role \
         with `recert people add {} --role admin`",
        actor.email, actor.email
    )))
}

/// Whether `actor` may switch the database from `current` to `to`. Only an
/// admin does; and a database becomes shared only at the hands of an admin
/// that shared mode will recognise (by their OS account or their SSH key),
/// so that nobody locks every admin out.
pub fn may_change_mode(current: Mode, to: Mode, actor: &Actor) -> Result<(), Refusal> {
    if current == to {
        return Err(Refusal::invalid(
            "mode",
            format!("the database is {to} already; nothing was changed"),
        ));
    }
    match to {
        Mode::Personal => require_admin(current, actor, "changing the mode"),
        Mode::Shared if !actor.has(Role::Admin) => Err(Refusal::NotAllowed(format!(
            "only an admin makes a database shared, and {} is not one in the people register: \
             `recert people add {} --role admin --os-user NAME` first",
            actor.email, actor.email
        ))),
        Mode::Shared if !actor.via.is_authenticated() => Err(Refusal::NotAllowed(format!(
            "in a shared database who acts must be established, and recert takes {} as stated: \
             register the OS account you run recert as (`recert people add {} --os-user NAME`) \
             and run this as that account, so that you can still act once it is shared",
            actor.email, actor.email
        ))),
        Mode::Shared => Ok(()),
    }
}

/// A shared database must keep an admin recert can establish (by OS
/// account or SSH key): a register change that would leave none is
/// refused, or nobody could change people, mode or imports again.
pub fn keeps_an_admin(mode: Mode, people: &[Person]) -> Result<(), Refusal> {
    let reachable =
        |p: &&Person| p.has(Role::Admin) && (p.os_user.is_some() || !p.ssh_keys.is_empty());
    if mode == Mode::Personal || people.iter().any(|p| reachable(&p)) {
        return Ok(());
    }
    Err(Refusal::NotAllowed(
        "this would leave the shared database without an admin recert can establish (one with an \
         OS account or an SSH key): nothing was changed"
            .into(),
    ))
}

/// A reviewer's hand-over of their items to someone else for a while.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegation {
    pub from: String,
    pub to: String,
    /// The last day it lasts.
    pub until: NaiveDate,
    /// One campaign's items, or every campaign's when `None`.
    pub campaign: Option<i64>,
}

impl Delegation {
    /// Whether it lets `to` act for `from` on `campaign` on `today`.
    pub fn covers(&self, from: &str, to: &str, campaign: i64, today: NaiveDate) -> bool {
        today <= self.until
            && self.campaign.is_none_or(|c| c == campaign)
            && same_person(&self.from, from)
            && same_person(&self.to, to)
    }
}

/// In what capacity a decision is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capacity {
    /// The item's current reviewer decides it.
    Reviewer,
    /// Someone the reviewer delegated to decides it for them.
    Delegate { of: String },
    /// In a personal database, someone else decides it on the reviewer's behalf.
    OnBehalf { of: String },
    /// The campaign owner decides another reviewer's item, with a note.
    Override { of: String },
}

/// What deciding an item needs to know about authority.
#[derive(Clone, Copy, Debug)]
pub struct DecideFacts<'a> {
    pub mode: Mode,
    pub item: i64,
    pub campaign: i64,
    pub owner: &'a str,
    /// Who the item waits for now.
    pub assignee: &'a str,
    pub delegations: &'a [Delegation],
    pub today: NaiveDate,
}

/// Whether `actor` may decide the item, and in what capacity. `overriding`
/// is the owner's explicit `--override`, which needs a note.
pub fn may_decide(
    facts: &DecideFacts<'_>,
    actor: &str,
    overriding: bool,
    note: Option<&str>,
) -> Result<Capacity, Refusal> {
    let of = facts.assignee.to_string();
    if overriding {
        if !same_person(actor, facts.owner) {
            return Err(Refusal::NotAllowed(format!(
                "only the campaign's owner, {}, may override a reviewer's decision; {actor} is not \
                 the owner",
                facts.owner
            )));
        }
        if same_person(actor, facts.assignee) {
            return Ok(Capacity::Reviewer);
        }
        if note.is_none_or(|n| n.trim().is_empty()) {
            return Err(Refusal::invalid(
                "note",
                format!(
                    "item {}: an override of {}'s item needs a note saying why",
                    facts.item, facts.assignee
                ),
            ));
        }
        return Ok(Capacity::Override { of });
    }
    if same_person(actor, facts.assignee) {
        return Ok(Capacity::Reviewer);
    }
    if facts
        .delegations
        .iter()
        .any(|d| d.covers(facts.assignee, actor, facts.campaign, facts.today))
    {
        return Ok(Capacity::Delegate { of });
    }
    if facts.mode == Mode::Personal {
        return Ok(Capacity::OnBehalf { of });
    }
    let delegates: Vec<&str> = facts
        .delegations
        .iter()
        .filter(|d| {
            facts.today <= d.until
                && d.campaign.is_none_or(|c| c == facts.campaign)
                && same_person(&d.from, facts.assignee)
        })
        .map(|d| d.to.as_str())
        .collect();
    Err(Refusal::NotAllowed(format!(
        "item {} is {}'s to decide{}; {actor} may not. The campaign's owner, {}, may decide it \
         with --override and a note",
        facts.item,
        facts.assignee,
        if delegates.is_empty() {
            String::new()
        } else {
            format!(" (or their delegate {})", delegates.join(", "))
        },
        facts.owner
    )))
}

/// A reassign's target must be someone recert knows; otherwise the item
/// would silently leave every queue. The refusal names the closest known
/// people.
pub fn known_target(target: &str, known: &BTreeSet<String>) -> Result<(), Refusal> {
    let target = person_key(target);
    if known.contains(target.as_ref()) {
        return Ok(());
    }
    let closest = closest(&target, known, 3);
    Err(Refusal::invalid(
        "to",
        format!(
            "{target} is not someone recert knows (the people register, or a sponsor, owner or \
             reviewer in the estate){}",
            if closest.is_empty() {
                String::new()
            } else {
                format!(": did you mean {}?", closest.join(", "))
            }
        ),
    ))
}

/// Up to `n` of `known` nearest to `name` by edit distance, nearest first;
/// only those near enough to be a plausible slip.
pub fn closest<'a>(name: &str, known: &'a BTreeSet<String>, n: usize) -> Vec<&'a str> {
    let local = |s: &str| s.split('@').next().unwrap_or(s).to_string();
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .map(|k| {
            let whole = edit_distance(name, k);
            let part = edit_distance(&local(name), &local(k));
            (whole.min(part), k.as_str())
        })
        .filter(|(d, k)| *d <= (local(k).len().min(local(name).len()) / 3).max(2))
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, k)| k).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(email: &str, roles: &[Role], os: Option<&str>) -> Person {
        Person {
            email: email.into(),
            roles: roles.iter().copied().collect(),
            os_user: os.map(str::to_string),
            ..Person::default()
        }
    }

    fn nobody(_: &str) -> Option<Person> {
        None
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_personal_database_takes_a_name_as_stated_unless_the_os_account_proves_it() {
        let dana = person("dana@x", &[Role::Admin], Some("dana"));
        let claim = Claim {
            given: Some(" Dana@X "),
            os_user: Some("dana"),
            os_person: Some(&dana),
            ..Claim::default()
        };
        let actor = establish(Mode::Personal, &claim, nobody).unwrap();
        assert_eq!(actor.via, Established::OsUser("dana".into()));
        assert!(actor.has(Role::Admin));

        let other = Claim {
            given: Some("lee@x"),
            ..claim
        };
        let actor = establish(Mode::Personal, &other, |e| {
            (e == "lee@x").then(|| person("lee@x", &[Role::Auditor], None))
        })
        .unwrap();
        assert_eq!(
            (
                actor.email.as_str(),
                actor.via.clone(),
                actor.has(Role::Auditor)
            ),
            ("lee@x", Established::Asserted, true)
        );

        let bare = Claim {
            os_user: Some("Someone"),
            ..Claim::default()
        };
        let actor = establish(Mode::Personal, &bare, nobody).unwrap();
        assert_eq!(
            (actor.email.as_str(), actor.via),
            ("someone", Established::Asserted)
        );
        assert!(establish(Mode::Personal, &Claim::default(), nobody).is_err());
        let empty = Claim {
            given: Some("  "),
            ..bare
        };
        assert!(matches!(
            establish(Mode::Personal, &empty, nobody),
            Err(Refusal::Invalid { field: "as", .. })
        ));
    }

    #[test]
    fn a_shared_database_needs_the_person_established_and_refuses_another_name() {
        let dana = person("dana@x", &[], Some("dana"));
        let local = Claim {
            os_user: Some("dana"),
            os_person: Some(&dana),
            ..Claim::default()
        };
        let actor = establish(Mode::Shared, &local, nobody).unwrap();
        assert_eq!(actor.via, Established::OsUser("dana".into()));
        let foreign = Claim {
            given: Some("lee@x"),
            ..local
        };
        let refused = establish(Mode::Shared, &foreign, nobody).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("recert takes you for dana@x (by the OS account dana)"),
            "{refused}"
        );
        let stranger = Claim {
            os_user: Some("mallory"),
            ..Claim::default()
        };
        let refused = establish(Mode::Shared, &stranger, nobody).unwrap_err();
        assert!(
            refused.to_string().contains("--os-user mallory"),
            "{refused}"
        );
        let session = Claim {
            session: Some((&dana, "SHA256:k")),
            os_user: Some("recert"),
            ..Claim::default()
        };
        assert_eq!(
            establish(Mode::Shared, &session, nobody).unwrap().via,
            Established::SshKey("SHA256:k".into())
        );
    }

    #[test]
    fn admin_work_is_anyones_in_a_personal_database_and_admins_in_a_shared_one() {
        let mut actor = Actor {
            email: "lee@x".into(),
            via: Established::Asserted,
            roles: BTreeSet::new(),
        };
        assert!(require_admin(Mode::Personal, &actor, "importing").is_ok());
        assert!(matches!(
            require_admin(Mode::Shared, &actor, "importing"),
            Err(Refusal::NotAllowed(_))
        ));
        actor.roles.insert(Role::Admin);
        assert!(require_admin(Mode::Shared, &actor, "importing").is_ok());
    }

    fn facts<'a>(mode: Mode, delegations: &'a [Delegation]) -> DecideFacts<'a> {
        DecideFacts {
            mode,
            item: 22,
            campaign: 1,
            owner: "owner@x",
            assignee: "e.hartley@x",
            delegations,
            today: day("2026-11-22"),
        }
    }

    #[test]
    fn the_reviewer_decides_and_in_shared_mode_nobody_else_without_authority() {
        let shared = facts(Mode::Shared, &[]);
        assert_eq!(
            may_decide(&shared, "E.Hartley@x", false, None),
            Ok(Capacity::Reviewer)
        );
        let refused = may_decide(&shared, "l.novak@x", false, None).unwrap_err();
        assert!(
            matches!(&refused, Refusal::NotAllowed(m) if m.contains("item 22 is e.hartley@x's to decide")
                && m.contains("owner@x, may decide it with --override")),
            "{refused}"
        );
        let personal = facts(Mode::Personal, &[]);
        assert_eq!(
            may_decide(&personal, "l.novak@x", false, None),
            Ok(Capacity::OnBehalf {
                of: "e.hartley@x".into()
            })
        );
    }

    #[test]
    fn a_delegate_decides_while_the_delegation_lasts_and_only_where_it_applies() {
        let delegations = [Delegation {
            from: "e.hartley@x".into(),
            to: "d.moreau@x".into(),
            until: day("2026-11-22"),
            campaign: Some(1),
        }];
        let shared = facts(Mode::Shared, &delegations);
        assert_eq!(
            may_decide(&shared, "d.moreau@x", false, None),
            Ok(Capacity::Delegate {
                of: "e.hartley@x".into()
            })
        );
        let later = DecideFacts {
            today: day("2026-11-23"),
            ..shared
        };
        assert!(
            may_decide(&later, "d.moreau@x", false, None).is_err(),
            "the day after"
        );
        let elsewhere = DecideFacts {
            campaign: 2,
            ..shared
        };
        assert!(may_decide(&elsewhere, "d.moreau@x", false, None).is_err());
        let refused = may_decide(&shared, "x@y", false, None).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("(or their delegate d.moreau@x)"),
            "{refused}"
        );
    }

    #[test]
    fn only_the_owner_overrides_and_says_why() {
        let shared = facts(Mode::Shared, &[]);
        assert_eq!(
            may_decide(&shared, "owner@x", true, Some("left the company")),
            Ok(Capacity::Override {
                of: "e.hartley@x".into()
            })
        );
        assert!(matches!(
            may_decide(&shared, "owner@x", true, Some(" ")),
            Err(Refusal::Invalid { field: "note", .. })
        ));
        assert!(matches!(
            may_decide(&shared, "l.novak@x", true, Some("why")),
            Err(Refusal::NotAllowed(_))
        ));
    }

    #[test]
    fn a_database_becomes_shared_at_the_hands_of_an_established_admin() {
        let mut actor = Actor {
            email: "dana@x".into(),
            via: Established::Asserted,
            roles: BTreeSet::new(),
        };
        let shared = |a: &Actor| may_change_mode(Mode::Personal, Mode::Shared, a);
        assert!(
            matches!(shared(&actor), Err(Refusal::NotAllowed(m)) if m.contains("only an admin"))
        );
        actor.roles.insert(Role::Admin);
        assert!(matches!(shared(&actor), Err(Refusal::NotAllowed(m)) if m.contains("as stated")));
        actor.via = Established::OsUser("dana".into());
        assert!(shared(&actor).is_ok());
        assert!(may_change_mode(Mode::Shared, Mode::Shared, &actor).is_err());
        assert!(may_change_mode(Mode::Shared, Mode::Personal, &actor).is_ok());
        actor.roles.clear();
        assert!(may_change_mode(Mode::Shared, Mode::Personal, &actor).is_err());
    }

    #[test]
    fn a_shared_database_keeps_an_admin_it_can_establish() {
        let admin = person("dana@x", &[Role::Admin], Some("dana"));
        let unreachable = person("lee@x", &[Role::Admin], None);
        assert!(keeps_an_admin(Mode::Shared, &[admin]).is_ok());
        assert!(keeps_an_admin(Mode::Shared, std::slice::from_ref(&unreachable)).is_err());
        assert!(keeps_an_admin(Mode::Personal, &[unreachable]).is_ok());
    }

    #[test]
    fn a_reassign_target_must_be_known_and_a_slip_is_answered_with_names() {
        let known: BTreeSet<String> = ["d.moreau@x", "f.alves@x", "e.hartley@x"]
            .into_iter()
            .map(String::from)
            .collect();
        assert!(known_target(" D.Moreau@x", &known).is_ok());
        let refused = known_target("f.als", &known).unwrap_err().to_string();
        assert!(refused.contains("did you mean f.alves@x"), "{refused}");
        let refused = known_target("zzzzzzzzzzzz@q", &known)
            .unwrap_err()
            .to_string();
        assert!(!refused.contains("did you mean"), "{refused}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
