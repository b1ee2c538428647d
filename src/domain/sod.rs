//! Segregation of duties: pairs of entitlements that policy says one
//! identity must not hold together (`[[policy.sod]]` in the config). Both
//! grants of a pair are flagged, each naming the other and the rule.

use serde::{Deserialize, Serialize};

/// One rule: whoever holds an entitlement matching `a` must not also hold
/// one matching `b` (in `system`, when it is given; else in any system).
/// `*` in a pattern matches any run of characters; the rest matches exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRule")]
pub struct SodRule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub a: String,
    pub b: String,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    #[serde(default)]
    system: Option<String>,
    a: String,
    b: String,
    #[serde(default)]
    reason: String,
}

impl TryFrom<RawRule> for SodRule {
    type Error = String;
    fn try_from(raw: RawRule) -> Result<SodRule, String> {
        let name = raw.name.trim().to_string();
        if name.is_empty() {
            return Err("a [[policy.sod]] rule needs a name".into());
        }
        for (side, pattern) in [("a", &raw.a), ("b", &raw.b)] {
            if pattern.trim().is_empty() {
                return Err(format!("rule {name:?}: `{side}` names no entitlement"));
            }
        }
        Ok(SodRule {
            name,
            system: raw
                .system
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            a: raw.a.trim().to_string(),
            b: raw.b.trim().to_string(),
            reason: raw.reason.trim().to_string(),
        })
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of
/// characters (none included). Linear in practice: the greedy match
/// backtracks only to the last `*`.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Which sides of a rule a grant matches, as bits: 1 for `a`, 2 for `b`.
pub fn sides(rule: &SodRule, system: &str, entitlement: &str) -> u8 {
    if rule.system.as_deref().is_some_and(|s| s != system) {
        return 0;
    }
    u8::from(glob(&rule.a, entitlement)) | (u8::from(glob(&rule.b, entitlement)) << 1)
}

/// A grant an identity holds that matches a side of some rule: what
/// campaign creation keeps per identity, and only for such grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub system: Box<str>,
    pub entitlement: Box<str>,
    /// Per rule (by index), the sides it matches (see [`sides`]).
    pub sides: Box<[u8]>,
}

impl Held {
    /// The grant as the rules see it; `None` when no rule names it.
    pub fn of(rules: &[SodRule], system: &str, entitlement: &str) -> Option<Held> {
        let sides: Box<[u8]> = rules
            .iter()
            .map(|r| sides(r, system, entitlement))
            .collect();
        sides.iter().any(|s| *s != 0).then(|| Held {
            system: system.into(),
            entitlement: entitlement.into(),
            sides,
        })
    }
}

/// The other half of a pair: the rule and the grant it pairs this one with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SodConflict {
    pub rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub system: String,
    pub entitlement: String,
}

/// The conflicts of `grant` with the other grants its identity holds
/// (`held`, which may include `grant` itself): for every rule, each held
/// grant on the opposite side. Work is the identity's matching grants
/// times the rules, never all grants.
pub fn conflicts(rules: &[SodRule], grant: &Held, held: &[Held]) -> Vec<SodConflict> {
    let mut found = Vec::new();
    for (n, rule) in rules.iter().enumerate() {
        let mine = grant.sides[n];
        if mine == 0 {
            continue;
        }
        for other in held {
            if other.system == grant.system && other.entitlement == grant.entitlement {
                continue;
            }
            let theirs = other.sides[n];
            // This one an `a` and the other a `b`, or the other way round.
            let pair = (mine & 1 != 0 && theirs & 2 != 0) || (mine & 2 != 0 && theirs & 1 != 0);
            if pair {
                found.push(SodConflict {
                    rule: rule.name.clone(),
                    reason: rule.reason.clone(),
                    system: other.system.to_string(),
                    entitlement: other.entitlement.to_string(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(system: Option<&str>) -> SodRule {
        SodRule {
            name: "release payments and keep the books".into(),
            system: system.map(str::to_string),
            a: "Z_PAYMENT_RUN_RELEASE".into(),
            b: "Z_AP_CLERK*".into(),
            reason: "one person could enter and pay the same invoice".into(),
        }
    }

    #[test]
    fn globs_match_runs_and_nothing_else() {
        assert!(glob("Z_AP_CLERK*", "Z_AP_CLERK"));
        assert!(glob("Z_AP_CLERK*", "Z_AP_CLERK_DE"));
        assert!(!glob("Z_AP_CLERK*", "Z_AP_CLER"));
        assert!(!glob("Z_AP_CLERK*", "X_Z_AP_CLERK"));
        assert!(glob("*admin*", "tenant-admin-role"));
        assert!(glob("a*b*c", "aXbYbc"));
        assert!(!glob("a*b*c", "aXbYbd"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("*", ""));
    }

    #[test]
    fn both_grants_of_a_pair_name_each_other() {
        let rules = [rule(Some("sap-erp"))];
        let release = Held::of(&rules, "sap-erp", "Z_PAYMENT_RUN_RELEASE").unwrap();
        let clerk = Held::of(&rules, "sap-erp", "Z_AP_CLERK_DE").unwrap();
        let held = [release.clone(), clerk.clone()];
        let on_release = conflicts(&rules, &release, &held);
        assert_eq!(on_release.len(), 1);
        assert_eq!(on_release[0].entitlement, "Z_AP_CLERK_DE");
        assert_eq!(on_release[0].rule, rules[0].name);
        let on_clerk = conflicts(&rules, &clerk, &held);
        assert_eq!(on_clerk[0].entitlement, "Z_PAYMENT_RUN_RELEASE");
        assert!(conflicts(&rules, &clerk, std::slice::from_ref(&clerk)).is_empty());
    }

    #[test]
    fn a_system_restricts_both_sides_and_none_means_any() {
        let scoped = [rule(Some("sap-erp"))];
        assert!(Held::of(&scoped, "oracle-ebs", "Z_PAYMENT_RUN_RELEASE").is_none());
        let any = [rule(None)];
        let release = Held::of(&any, "sap-erp", "Z_PAYMENT_RUN_RELEASE").unwrap();
        let clerk = Held::of(&any, "oracle-ebs", "Z_AP_CLERK").unwrap();
        let found = conflicts(&any, &release, &[release.clone(), clerk]);
        assert_eq!(found[0].system, "oracle-ebs");
    }

    #[test]
    fn rules_need_a_name_and_both_sides() {
        let parse = |text: &str| toml::from_str::<SodRule>(text);
        assert!(parse("name = 'x'\na = 'A'\nb = 'B'").is_ok());
        let err = parse("name = ' '\na = 'A'\nb = 'B'").unwrap_err();
        assert!(err.to_string().contains("needs a name"), "{err}");
        let err = parse("name = 'x'\na = 'A'\nb = ''").unwrap_err();
        assert!(
            err.to_string().contains("`b` names no entitlement"),
            "{err}"
        );
        assert!(parse("name = 'x'\na = 'A'\nb = 'B'\nc = 'C'").is_err());
    }
}
