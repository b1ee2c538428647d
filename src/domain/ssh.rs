//! What a shared review host needs of OpenSSH: the `authorized_keys` line
//! that binds each key of the people register to recert's forced command,
//! and which key opened a session (sshd's `ExposeAuthInfo` file).
//!
//! A line's command is read twice before it runs: sshd takes it out of the
//! double-quoted `command="…"` option (where only `\"` is an escape), then
//! runs it with the service account's shell (`$SHELL -c`). Every word is
//! quoted for the shell first, then the whole for the option; what neither
//! can carry (a control character, a newline above all, which would end
//! the line and start another of the attacker's making) is refused.

use super::roster::SshKey;

/// The `authorized_keys` line for `key`: the forced command
/// `PROGRAM --db DB session --person EMAIL --key FINGERPRINT`, with
/// `restrict` (no forwarding of any kind, no `~/.ssh/rc`, no user
/// environment) and `pty` back on for the console.
pub fn authorized_keys_line(
    program: &str,
    db: &str,
    email: &str,
    key: &SshKey,
) -> Result<String, String> {
    let fingerprint = key.fingerprint();
    let command = [
        shell_word(program, "the program's path")?,
        "--db".to_string(),
        shell_word(db, "the database's path")?,
        "session".to_string(),
        "--person".to_string(),
        shell_word(email, "the e-mail")?,
        "--key".to_string(),
        shell_word(&fingerprint, "the key's fingerprint")?,
    ]
    .join(" ");
    let mut line = format!(
        "restrict,pty,command=\"{}\" {} {}",
        command.replace('"', "\\\""),
        key.kind,
        key.blob
    );
    // A comment is for people reading the file; sshd ignores it.
    if let Some(comment) = &key.comment {
        line.push(' ');
        line.push_str(&super::text::sanitize(comment));
    }
    Ok(line)
}

/// `text` as one word for a POSIX shell: as it is when every character is
/// one no shell treats specially, else in single quotes (a quote inside
/// written `'\''`). Control characters are refused: no quoting carries a
/// newline through `authorized_keys`, and the others have no business in a
/// path or an e-mail.
pub fn shell_word(text: &str, what: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{what} {} holds a control character ({}), which an authorized_keys line cannot \
             carry safely: move or rename it",
            super::text::sanitize(text),
            c.escape_unicode()
        ));
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "@+:,./_-".contains(c);
    if text.chars().all(plain) {
        return Ok(text.to_string());
    }
    Ok(format!("'{}'", text.replace('\'', r"'\''")))
}

/// The public keys sshd says authenticated the session, from the file
/// `SSH_USER_AUTH` names when `ExposeAuthInfo` is on: one method a line,
/// `publickey TYPE BASE64` for keys. Other methods, certificates and lines
/// that do not read as a key are passed over.
pub fn session_keys(user_auth: &str) -> Vec<SshKey> {
    user_auth
        .lines()
        .filter_map(|line| line.strip_prefix("publickey "))
        .filter_map(|key| SshKey::parse(key).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwPfk5oJSAN6n5b7Tz3sR0K6K0bGv8+4qVfPzpr2wP3 dana@laptop";

    /// What sshd does with the option (OpenSSH's `opt_dequote`): `\"` is a
    /// quote, every other character is itself, a bare `"` ends it.
    fn dequote(line: &str) -> String {
        let body = line
            .strip_prefix("restrict,pty,command=\"")
            .expect("the options");
        let mut out = String::new();
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'"') => out.push(chars.next().unwrap()),
                '"' => return out,
                c => out.push(c),
            }
        }
        panic!("the option never ends: {line}");
    }

    /// The words a POSIX shell makes of `command` (it holds only plain
    /// words and single-quoted strings, as `shell_word` writes them).
    fn shell_words(command: &str) -> Vec<String> {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {command}"))
            .output()
            .expect("sh");
        String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn paths_with_spaces_and_quotes_reach_recert_as_they_are() {
        let key = SshKey::parse(KEY).unwrap();
        for (program, db, email) in [
            (
                "/usr/local/bin/recert",
                "/srv/recert/recert.db",
                "dana@x.example",
            ),
            (
                "/opt/my tools/recert",
                "/srv/it's \"here\"/a b.db",
                "o'brien@x.example",
            ),
            ("/x/$(touch pwned)", "/y/`id`;rm -rf ~", "a\\\"b@x"),
            ("/x/back\\slash\\", "/d\"\"/\\\"", "d@x"),
        ] {
            let line = authorized_keys_line(program, db, email, &key).unwrap();
            assert!(!line.contains('\n'));
            assert!(line.ends_with(" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwPfk5oJSAN6n5b7Tz3sR0K6K0bGv8+4qVfPzpr2wP3 dana@laptop"), "{line}");
            let words = shell_words(&dequote(&line));
            assert_eq!(
                words,
                [
                    program,
                    "--db",
                    db,
                    "session",
                    "--person",
                    email,
                    "--key",
                    "SHA256:0YS7ACIBC+D1e5CWCUygvcgGUfu+07ZcRYD25As9fk4"
                ],
                "{line}"
            );
        }
    }

    #[test]
    fn what_a_line_cannot_carry_is_refused() {
        let key = SshKey::parse(KEY).unwrap();
        for bad in [
            "/srv/a\nssh-ed25519 AAAA evil",
            "/srv/a\rb",
            "/srv/\u{1b}[2J",
            "",
        ] {
            let err = authorized_keys_line("/bin/recert", bad, "d@x", &key).unwrap_err();
            assert!(err.starts_with("the database's path"), "{err}");
        }
    }

    #[test]
    fn the_session_key_is_read_from_sshds_auth_info() {
        let info = format!(
            "keyboard-interactive\npublickey {}\npublickey garbage\n",
            &KEY[..KEY.len() - 12]
        );
        let keys = session_keys(&info);
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys[0].fingerprint(),
            "SHA256:0YS7ACIBC+D1e5CWCUygvcgGUfu+07ZcRYD25As9fk4"
        );
        assert!(session_keys("password\n").is_empty());
    }
}
