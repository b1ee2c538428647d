//! The config file: the policy behind the insights (thresholds, weights,
//! when a note is needed) and the default acting reviewer. It lives in the
//! platform config directory (`directories`), or wherever `RECERT_CONFIG`
//! points; without a file recert runs on the built-in defaults. This is the
//! only place that looks for it.

use crate::domain::Policy;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The variable that names a config file explicitly.
pub const ENV: &str = "RECERT_CONFIG";

/// The commented default config, as `recert config init` writes it.
pub const DEFAULT_TEXT: &str = include_str!("../assets/config.toml");

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Who acts when neither `--as` nor `RECERT_REVIEWER` says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    pub policy: Policy,
    pub console: ConsoleSettings,
}

/// How the console behaves in the terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// The wheel scrolls and a click selects; off leaves the mouse to the
    /// terminal (selecting text to copy without holding Shift).
    pub mouse: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings { mouse: true }
    }
}

/// Where the effective config came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Origin {
    /// Read from this file.
    File { path: PathBuf },
    /// No file there (or no home directory to look in): built-in defaults.
    Defaults { looked_at: Option<PathBuf> },
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::File { path } => format!("{} (read)", path.display()),
            Origin::Defaults {
                looked_at: Some(path),
            } => format!("built-in defaults (no file at {})", path.display()),
            Origin::Defaults { looked_at: None } => {
                "built-in defaults (no home directory to look in)".into()
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub origin: Origin,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config {path}: cannot read it: {detail}")]
    Unreadable { path: String, detail: String },
    #[error("config {path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The config file recert reads: `RECERT_CONFIG` if set (which must
/// exist), else `config.toml` in the platform config directory.
pub fn location() -> (Option<PathBuf>, bool) {
    match std::env::var_os(ENV).filter(|v| !v.is_empty()) {
        Some(path) => (Some(PathBuf::from(path)), true),
        None => (default_path(), false),
    }
}

/// `config.toml` in the platform config directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "recert").map(|d| d.config_dir().join("config.toml"))
}

/// Loads the effective config.
pub fn load() -> Result<Loaded, ConfigError> {
    let (path, explicit) = location();
    let Some(path) = path else {
        return Ok(Loaded {
            config: Config::default(),
            origin: Origin::Defaults { looked_at: None },
        });
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Loaded {
            config: parse(&text, &path)?,
            origin: Origin::File { path },
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(Loaded {
            config: Config::default(),
            origin: Origin::Defaults {
                looked_at: Some(path),
            },
        }),
        Err(e) => Err(ConfigError::Unreadable {
            path: shown(&path),
            detail: if explicit && e.kind() == std::io::ErrorKind::NotFound {
                format!("{ENV} names a file that does not exist")
            } else {
                e.to_string()
            },
        }),
    }
}

fn shown(path: &Path) -> String {
    crate::domain::text::sanitize(&path.display().to_string()).into_owned()
}

/// Parses config text; errors carry the line and column they are at.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |span| span.start);
        let before = &text[..at.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        ConfigError::Invalid {
            path: shown(path),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    if let Some(reviewer) = &config.reviewer
        && reviewer.trim().is_empty()
    {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with("reviewer"))
            .map_or(1, |n| n + 1);
        return Err(ConfigError::Invalid {
            path: shown(path),
            line,
            column: 1,
            message: "reviewer is empty: remove the line or name the reviewer".into(),
        });
    }
    Ok(config)
}

/// The effective config as TOML, for `recert config show`.
pub fn to_toml(config: &Config) -> String {
    toml::to_string_pretty(config).unwrap_or_else(|e| format!("# cannot show the config: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_config_is_the_built_in_policy() {
        let config = parse(DEFAULT_TEXT, Path::new("assets/config.toml")).unwrap();
        assert_eq!(config.policy, Policy::default());
        assert_eq!(config.reviewer, None);
        assert!(config.console.mouse, "the mouse is on unless turned off");
        let again = parse(&to_toml(&config), Path::new("x")).unwrap();
        assert_eq!(again, config, "what config show prints reads back");
    }

    #[test]
    fn overrides_leave_the_rest_at_their_defaults() {
        let text = "reviewer = \"audit@northwind.example.com\"\n\n[policy]\ndormant_days = 30\n\n[policy.weights]\nshared = 5\n";
        let config = parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(
            config.reviewer.as_deref(),
            Some("audit@northwind.example.com")
        );
        assert_eq!(config.policy.dormant_days, 30);
        assert_eq!(config.console, ConsoleSettings::default());
        let off = parse("[console]\nmouse = false\n", Path::new("c.toml")).unwrap();
        assert!(!off.console.mouse);
        assert_eq!(config.policy.weights.shared, 5);
        assert_eq!(
            config.policy.never_used_days,
            Policy::default().never_used_days
        );
    }

    #[test]
    fn sod_rules_read_from_the_config_and_the_example_is_one() {
        // The shipped example, uncommented, is a rule that reads.
        let example: String = DEFAULT_TEXT
            .lines()
            .skip_while(|l| !l.starts_with("# [[policy.sod]]"))
            .take_while(|l| l.starts_with('#'))
            .map(|l| format!("{}\n", l.trim_start_matches("# ")))
            .collect();
        let config = parse(&example, Path::new("c.toml")).unwrap();
        assert_eq!(config.policy.sod.len(), 1);
        assert_eq!(config.policy.sod[0].b, "Z_AP_CLERK*");
        assert_eq!(config.policy.sod[0].system.as_deref(), Some("sap-erp"));
        let again = parse(&to_toml(&config), Path::new("x")).unwrap();
        assert_eq!(again, config, "what config show prints reads back");
        let err = parse(
            "[[policy.sod]]\nname = \"x\"\na = \"A\"\nb = \" \"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("config c.toml:"), "{err}");
        assert!(err.contains("`b` names no entitlement"), "{err}");
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let cases = [
            ("[policy]\ndormant_days = \"ninety\"\n", 2, "invalid type"),
            ("[policy]\n\ndormant_dayz = 9\n", 3, "unknown field"),
            ("[policy.weights]\nshared = -4\n", 2, "from 0 to"),
            ("[policy\n", 1, ""),
            ("reviewer = \"  \"\n", 1, "reviewer is empty"),
        ];
        for (text, line, words) in cases {
            let err = parse(text, Path::new("c.toml")).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("config c.toml:{line}:")),
                "{text:?}: {err}"
            );
            assert!(err.contains(words), "{text:?}: {err}");
        }
    }
}
