//! The people register: who takes part in recertification, the roles an
//! organisation gives them (admin, auditor), and how recert recognises
//! them (an OS account, SSH public keys); and how the person behind an
//! event was established. Campaign authority (owner, reviewer, sponsor) is
//! not kept here: it comes from each campaign.

use super::people::person_key;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

super::model::vocabulary!(
    /// What an organisation lets a person do beyond their campaigns.
    ///
    /// An admin imports, keeps the people register, sets the mode, creates
    /// and cancels campaigns; an auditor reads everything (items, reports,
    /// verify) and changes nothing.
    Role {
        Admin => "admin",
        Auditor => "auditor",
    }
);

super::model::vocabulary!(
    /// Whose database this is. `personal`: one person's, names are taken as
    /// stated. `shared`: many people's, each must be established.
    Mode {
        Personal => "personal",
        Shared => "shared",
    }
);

/// How recert knows who acts, recorded with every event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Established {
    /// Taken as stated (`--as`, `RECERT_REVIEWER`, the config's reviewer, or
    /// an OS account nobody registered): a personal database's way.
    Asserted,
    /// The OS account running recert is the person's registered `os_user`.
    OsUser(String),
    /// The SSH key a session on a shared review host was opened with,
    /// by its fingerprint (`SHA256:…`).
    SshKey(String),
}

impl Established {
    /// Whether anything beyond the person's own word stands behind it.
    pub fn is_authenticated(&self) -> bool {
        !matches!(self, Established::Asserted)
    }

    /// The method alone: `asserted`, `os_user` or `ssh_key`.
    pub fn method(&self) -> &'static str {
        match self {
            Established::Asserted => "asserted",
            Established::OsUser(_) => "os_user",
            Established::SshKey(_) => "ssh_key",
        }
    }

    /// Reads what [`Display`](fmt::Display) writes.
    pub fn parse(text: &str) -> Option<Established> {
        match text.split_once(':') {
            None if text == "asserted" => Some(Established::Asserted),
            Some(("os_user", user)) if !user.is_empty() => {
                Some(Established::OsUser(user.to_string()))
            }
            Some(("ssh_key", fingerprint)) if !fingerprint.is_empty() => {
                Some(Established::SshKey(fingerprint.to_string()))
            }
            _ => None,
        }
    }
}

/// An actor taken as stated, for callers that need a reference to one.
pub static ASSERTED: Established = Established::Asserted;

/// `asserted`, `os_user:NAME` or `ssh_key:SHA256:…`: how events store it.
impl fmt::Display for Established {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Established::Asserted => f.write_str("asserted"),
            Established::OsUser(user) => write!(f, "os_user:{user}"),
            Established::SshKey(fingerprint) => write!(f, "ssh_key:{fingerprint}"),
        }
    }
}

/// One person of the register.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The key: an e-mail, kept as people are kept (`person_key`).
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub roles: BTreeSet<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
    /// Public keys as `authorized_keys` lines take them: `TYPE BASE64 [COMMENT]`.
    #[serde(default)]
    pub ssh_keys: Vec<String>,
}

impl Person {
    pub fn new(email: &str) -> Person {
        Person {
            email: person_key(email).into_owned(),
            ..Person::default()
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether one of the person's keys has this fingerprint.
    pub fn holds_key(&self, fingerprint: &str) -> bool {
        self.ssh_keys
            .iter()
            .filter_map(|k| SshKey::parse(k).ok())
            .any(|k| k.fingerprint() == fingerprint)
    }
}

/// An SSH public key, as one line of `authorized_keys` without options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshKey {
    pub kind: String,
    /// The key's wire form, base64 as written.
    pub blob: String,
    pub comment: Option<String>,
}

/// The key types OpenSSH accepts in `authorized_keys`.
const KEY_TYPES: [&str; 10] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "rsa-sha2-256",
    "rsa-sha2-512",
];

impl SshKey {
    /// Reads `TYPE BASE64 [COMMENT]`, checking that the base64 decodes and
    /// names the same type inside, as sshd does: a key pasted wrongly is
    /// refused here rather than silently never matching.
    pub fn parse(line: &str) -> Result<SshKey, String> {
        let mut parts = line.split_whitespace();
        let kind = parts.next().ok_or("an SSH key is empty")?;
        if !KEY_TYPES.contains(&kind) {
            return Err(format!(
                "{kind:?} is not an SSH public key type (expected e.g. ssh-ed25519 or ssh-rsa; \
                 options such as command=… are not part of a key)"
            ));
        }
        let blob = parts
            .next()
            .ok_or_else(|| format!("the {kind} key has no key data after its type"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(blob)
            .map_err(|_| format!("the {kind} key's data is not base64"))?;
        let inner = bytes
            .get(..4)
            .map(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize)
            .and_then(|len| bytes.get(4..4 + len))
            .ok_or_else(|| format!("the {kind} key's data is truncated"))?;
        if inner != kind.as_bytes() {
            return Err(format!(
                "the key says {kind} but its data is a {} key",
                String::from_utf8_lossy(inner)
            ));
        }
        let comment = parts.collect::<Vec<_>>().join(" ");
        Ok(SshKey {
            kind: kind.to_string(),
            blob: blob.to_string(),
            comment: (!comment.is_empty()).then_some(comment),
        })
    }

    /// `SHA256:…` as `ssh-keygen -l` and sshd's logs print it.
    pub fn fingerprint(&self) -> String {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.blob)
            .unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
        )
    }

    /// The key as `authorized_keys` takes it, comment included.
    pub fn line(&self) -> String {
        match &self.comment {
            Some(c) => format!("{} {} {c}", self.kind, self.blob),
            None => format!("{} {}", self.kind, self.blob),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ed25519 key; `ssh-keygen -lf` prints the fingerprint asserted below.
    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEwPfk5oJSAN6n5b7Tz3sR0K6K0bGv8+4qVfPzpr2wP3 dana@laptop";

    #[test]
    fn a_key_reads_back_as_written_and_has_its_fingerprint() {
        let key = SshKey::parse(KEY).unwrap();
        assert_eq!(key.kind, "ssh-ed25519");
        assert_eq!(key.comment.as_deref(), Some("dana@laptop"));
        assert_eq!(key.line(), KEY);
        assert_eq!(
            key.fingerprint(),
            "SHA256:0YS7ACIBC+D1e5CWCUygvcgGUfu+07ZcRYD25As9fk4"
        );
    }

    #[test]
    fn keys_pasted_wrongly_are_refused_saying_why() {
        for (line, why) in [
            ("", "empty"),
            (
                "command=\"x\" ssh-ed25519 AAAA",
                "not an SSH public key type",
            ),
            ("ssh-ed25519", "no key data"),
            ("ssh-ed25519 !!!notbase64", "not base64"),
            ("ssh-ed25519 AAAA", "truncated"),
            (
                "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIEwPfk5oJSAN6n5b7Tz3sR0K6K0bGv8+4qVfPzpr2wP3",
                "data is a ssh-ed25519 key",
            ),
        ] {
            let err = SshKey::parse(line).unwrap_err();
            assert!(err.contains(why), "{line:?}: {err}");
        }
    }

    #[test]
    fn how_someone_was_established_reads_back() {
        for e in [
            Established::Asserted,
            Established::OsUser("msantos".into()),
            Established::SshKey("SHA256:abc".into()),
        ] {
            assert_eq!(Established::parse(&e.to_string()), Some(e));
        }
        assert_eq!(Established::parse("os_user:"), None);
        assert_eq!(Established::parse("magic"), None);
        assert!(!Established::Asserted.is_authenticated());
    }
}
