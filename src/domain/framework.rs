//! Framework mapping: which controls of the OWASP Non-Human Identities
//! Top 10 and NIST CSF 2.0 each risk flag evidences. The mapping is data
//! (`assets/frameworks.toml`, compiled in), so that a compliance lead can
//! change it without touching the rules.
//!
//! Screens and reports ask [`Mapping::embedded`] once and then
//! [`Mapping::controls`] per flag or [`Mapping::for_flags`] per item.

use super::flags::{Flag, FlagSet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

const EMBEDDED: &str = include_str!("../../assets/frameworks.toml");

/// A framework the mapping cites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Short stable key, e.g. `owasp-nhi`.
    pub id: String,
    pub name: String,
    pub version: String,
    pub url: String,
}

/// One control (a risk of the OWASP list, a CSF subcategory).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// The framework's key, as in [`Framework::id`].
    pub framework: String,
    /// The control's own identifier, e.g. `NHI7:2025` or `PR.AA-05`.
    pub id: String,
    pub title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    framework: Vec<Framework>,
    control: Vec<Control>,
    flags: BTreeMap<String, Vec<String>>,
}

/// The parsed mapping.
#[derive(Clone, Debug)]
pub struct Mapping {
    frameworks: Vec<Framework>,
    controls: Vec<Control>,
    /// For each flag (indexed as in `Flag::ALL`), indexes into `controls`.
    by_flag: Vec<Vec<usize>>,
}

impl Mapping {
    /// The mapping compiled into this build. An error here is a defect in
    /// the asset, which the tests catch before release.
    pub fn embedded() -> Result<&'static Mapping, String> {
        static PARSED: OnceLock<Result<Mapping, String>> = OnceLock::new();
        PARSED
            .get_or_init(|| Mapping::parse(EMBEDDED))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses and checks a mapping: every flag is mapped, every cited
    /// control exists, every control belongs to a known framework.
    pub fn parse(text: &str) -> Result<Mapping, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("frameworks.toml: {e}"))?;
        let known: HashSet<&str> = file.framework.iter().map(|f| f.id.as_str()).collect();
        for control in &file.control {
            if !known.contains(control.framework.as_str()) {
                return Err(format!(
                    "control {} names framework {:?}, which is not listed",
                    control.id, control.framework
                ));
            }
        }
        let mut by_flag = vec![Vec::new(); Flag::ALL.len()];
        for (name, ids) in &file.flags {
            let flag = Flag::from_name(name).ok_or_else(|| {
                format!("{name:?} is not a flag; the flags are {}", Flag::names())
            })?;
            let slot = Flag::ALL.iter().position(|f| *f == flag).unwrap_or(0);
            for id in ids {
                let index = file
                    .control
                    .iter()
                    .position(|c| &c.id == id)
                    .ok_or_else(|| format!("flag {name} cites {id:?}, which is not a control"))?;
                by_flag[slot].push(index);
            }
        }
        if let Some(missing) = Flag::ALL
            .iter()
            .zip(&by_flag)
            .find(|(_, ids)| ids.is_empty())
        {
            return Err(format!("flag {} evidences no control", missing.0.name()));
        }
        Ok(Mapping {
            frameworks: file.framework,
            controls: file.control,
            by_flag,
        })
    }

    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
    }

    pub fn framework(&self, id: &str) -> Option<&Framework> {
        self.frameworks.iter().find(|f| f.id == id)
    }

    /// The controls one flag evidences, in the mapping's order.
    pub fn controls(&self, flag: Flag) -> impl Iterator<Item = &Control> {
        let slot = Flag::ALL.iter().position(|f| *f == flag);
        slot.map(|s| self.by_flag[s].as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.controls[i])
    }

    /// The controls an item's flags evidence together, each once, grouped
    /// by framework in the mapping's order.
    pub fn for_flags(&self, flags: FlagSet) -> Vec<&Control> {
        let mut indexes: Vec<usize> = flags
            .iter()
            .flat_map(|flag| {
                let slot = Flag::ALL.iter().position(|f| *f == flag).unwrap_or(0);
                self.by_flag[slot].iter().copied()
            })
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        indexes.into_iter().map(|i| &self.controls[i]).collect()
    }
}

/// The ids of the controls an item's flags evidence (empty if the embedded
/// mapping were unreadable), for listings that show only the ids.
pub fn control_ids(flags: FlagSet) -> Vec<&'static str> {
    Mapping::embedded()
        .map(|m| {
            m.for_flags(flags)
                .into_iter()
                .map(|c| c.id.as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_mapping_covers_every_flag() {
        let mapping = Mapping::embedded().unwrap();
        for flag in Flag::ALL {
            assert!(mapping.controls(*flag).next().is_some(), "{flag:?}");
        }
        assert!(mapping.framework("owasp-nhi").is_some());
        assert!(mapping.framework("nist-csf").is_some());
        let unrotated: Vec<&str> = mapping
            .controls(Flag::UnrotatedCredential)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(unrotated, ["NHI7:2025", "PR.AA-01"]);
    }

    #[test]
    fn an_items_controls_are_listed_once_each() {
        let flags: FlagSet = [Flag::Expired, Flag::Dormant].into_iter().collect();
        let ids = control_ids(flags);
        assert_eq!(ids, ["NHI1:2025", "PR.AA-05", "DE.CM-03"]);
        assert!(control_ids(FlagSet::default()).is_empty());
    }

    #[test]
    fn a_broken_mapping_is_refused_with_a_reason() {
        let base = r#"
            [[framework]]
            id = "f"
            name = "F"
            version = "1"
            url = "u"
            [[control]]
            framework = "f"
            id = "C1"
            title = "t"
        "#;
        let every = Flag::ALL
            .iter()
            .map(|f| format!("{} = [\"C1\"]", f.name()))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(Mapping::parse(&format!("{base}\n[flags]\n{every}")).is_ok());
        let missing = Mapping::parse(&format!("{base}\n[flags]\nexpired = [\"C1\"]")).unwrap_err();
        assert!(missing.contains("evidences no control"), "{missing}");
        let unknown =
            Mapping::parse(&format!("{base}\n[flags]\n{every}\ncolour = [\"C1\"]")).unwrap_err();
        assert!(unknown.contains("not a flag"), "{unknown}");
        let dangling = Mapping::parse(&format!(
            "{base}\n[flags]\n{}",
            every.replacen("[\"C1\"]", "[\"C9\"]", 1)
        ))
        .unwrap_err();
        assert!(dangling.contains("C9"), "{dangling}");
    }
}
