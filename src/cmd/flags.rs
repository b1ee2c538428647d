//! `recert flags`: every risk flag with the rule behind it under the
//! effective policy, its weight, its recommendation and the framework
//! controls it evidences; then the segregation-of-duties rules in force.

use super::Env;
use super::table::Table;
use crate::domain::Flag;
use crate::domain::framework::Mapping;
use crate::domain::insight::describe_rule;
use crate::domain::text::sanitize;
use color_eyre::Result;
use color_eyre::eyre::eyre;
use serde::Serialize;

#[derive(Serialize)]
struct FlagJson<'a> {
    name: &'static str,
    code: &'static str,
    label: &'static str,
    rule: String,
    weight: i64,
    recommendation: &'static str,
    #[serde(skip)]
    recommendation_label: &'static str,
    controls: Vec<ControlJson<'a>>,
}

#[derive(Serialize)]
struct ControlJson<'a> {
    framework: &'a str,
    id: &'a str,
    title: &'a str,
}

pub fn run(json: bool, env: &Env) -> Result<()> {
    let mapping = Mapping::embedded().map_err(|e| eyre!("the framework mapping: {e}"))?;
    let policy = env.policy();
    let flags: Vec<FlagJson<'_>> = Flag::ALL
        .iter()
        .map(|&flag| FlagJson {
            name: flag.name(),
            code: flag.code(),
            label: flag.label(),
            rule: describe_rule(flag, policy),
            weight: policy.weights.of(flag),
            recommendation: flag.recommendation().as_str(),
            recommendation_label: flag.recommendation().label(),
            controls: mapping
                .controls(flag)
                .map(|c| ControlJson {
                    framework: mapping
                        .framework(&c.framework)
                        .map_or(c.framework.as_str(), |f| f.name.as_str()),
                    id: &c.id,
                    title: &c.title,
                })
                .collect(),
        })
        .collect();
    if json {
        let value = serde_json::json!({
            "flags": flags,
            "frameworks": mapping.frameworks(),
            "sod": policy.sod,
        });
        super::print_json(&value)?;
        return Ok(());
    }
    let mut table = Table::new(&["FLAG", "CODE", "WEIGHT", "RECOMMENDATION", "CONTROLS"]);
    for f in &flags {
        table.row(vec![
            f.name.to_string(),
            f.code.to_string(),
            f.weight.to_string(),
            f.recommendation_label.to_string(),
            f.controls
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    out!("{}", table.render())?;
    outln!()?;
    for f in &flags {
        outln!("{:<17} {}", f.name, f.rule)?;
    }
    outln!()?;
    if policy.sod.is_empty() {
        outln!("Segregation of duties: no [[policy.sod]] rules in the config.")?;
    } else {
        let n = policy.sod.len();
        outln!(
            "Segregation of duties ({n} rule{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for rule in &policy.sod {
            let system = rule.system.as_deref().map_or_else(
                || "any system".to_string(),
                |s| format!("system {}", sanitize(s)),
            );
            outln!(
                "  {}: {} with {} ({system}){}",
                sanitize(&rule.name),
                sanitize(&rule.a),
                sanitize(&rule.b),
                if rule.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", sanitize(&rule.reason))
                }
            )?;
        }
    }
    outln!()?;
    for framework in mapping.frameworks() {
        outln!(
            "{} {}: {}",
            framework.name,
            framework.version,
            framework.url
        )?;
    }
    Ok(())
}
