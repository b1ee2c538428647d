//! Synthetic estates for benchmarks and scale tests: a deterministic
//! generator of canonical CSV with the mix of a real estate (a few percent
//! privileged, ~10% expired, ~20% dormant, shared and unsponsored rows,
//! MSP identities present in several tenants). Row `i` of generation `g`
//! is a pure function of (seed, i, g), so a later generation is a
//! realistic re-export: most rows unchanged, some changed, removed, added.

use chrono::NaiveDate;
use std::io::{self, Write};

/// Grants per identity, on average.
const GRANTS_PER_IDENTITY: u64 = 6;

const SYSTEMS: [(&str, &str); 8] = [
    ("m365", "corp"),
    ("aws-prod", "prod"),
    ("github", "corp"),
    ("salesforce", "prod"),
    ("snowflake", "prod"),
    ("okta", "corp"),
    ("jira", "corp"),
    ("azure", "prod"),
];

const ENTITLEMENTS: [&str; 12] = [
    "Mailbox",
    "ReadOnlyAccess",
    "org:member",
    "Partner Community User",
    "ANALYST",
    "App Assignment",
    "Project Viewer",
    "Reader",
    "Contributor",
    "Report Builder",
    "repo:write",
    "Support Agent",
];

const PRIVILEGED: [&str; 6] = [
    "Global Administrator",
    "AdministratorAccess",
    "org:owner",
    "System Administrator",
    "SYSADMIN",
    "Owner",
];

const ORGS: [&str; 8] = [
    "Copperline Engineering",
    "Saltmarsh Analytics",
    "Harbour Managed IT",
    "Ledgerly",
    "Brightwave Marketing",
    "Quillpoint Audit",
    "Wayfinder Logistics",
    "Medibridge",
];

pub const HEADER: &str = "tenant,system,identity_id,identity_name,identity_kind,relationship,organization,region,environment,entitlement,privileged,sponsor,business_owner,technical_owner,justification,granted_at,expires_at,last_used_at,credential_rotated_at,shared,ticket";

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EstateSpec {
    pub rows: u64,
    pub seed: u64,
    /// The day the export describes; dates are relative to it.
    pub today: NaiveDate,
    /// 0 for the first export; each later generation drifts from the one before.
    pub generation: u32,
}

/// SplitMix64: tiny, fast, and good enough to make data look varied.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Deterministic draws for one row.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = mix(self.0);
        self.0
    }

    /// True with probability `percent` / 100 (tenths of a percent allowed via `per_mille`).
    fn per_mille(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

impl EstateSpec {
    pub fn new(rows: u64, seed: u64, today: NaiveDate) -> EstateSpec {
        EstateSpec {
            rows,
            seed,
            today,
            generation: 0,
        }
    }

    pub fn tenants(&self) -> u64 {
        (self.rows / 40_000).clamp(3, 50)
    }

    /// Whether row `i` exists in this generation: each generation removes
    /// about 0.5% of the rows and adds as many past the first export's end.
    fn present(&self, i: u64) -> bool {
        (1..=self.generation)
            .all(|g| mix(self.seed ^ i.wrapping_mul(31) ^ u64::from(g) << 48) % 1000 >= 5)
    }

    /// How many rows of this generation lie beyond the first export's.
    fn added(&self) -> u64 {
        self.rows / 200 * u64::from(self.generation)
    }

    /// Writes the whole export as canonical CSV.
    pub fn write_csv(&self, out: impl Write) -> io::Result<u64> {
        let mut out = io::BufWriter::with_capacity(1 << 16, out);
        writeln!(out, "{HEADER}")?;
        let mut written = 0;
        let mut line = String::with_capacity(256);
        for i in 0..self.rows + self.added() {
            if i < self.rows && !self.present(i) {
                continue;
            }
            line.clear();
            self.row(i, &mut line);
            out.write_all(line.as_bytes())?;
            written += 1;
        }
        out.flush()?;
        Ok(written)
    }

    fn day(&self, days_ago: u64) -> String {
        (self.today - chrono::Duration::days(days_ago as i64))
            .format("%Y-%m-%d")
            .to_string()
    }

    /// Appends row `i` (with its newline) to `line`.
    pub fn row(&self, i: u64, line: &mut String) {
        use std::fmt::Write as _;
        let identity = i / GRANTS_PER_IDENTITY;
        let slot = i % GRANTS_PER_IDENTITY;
        let mut who = Draws(mix(self.seed ^ identity.wrapping_mul(0x1000_0001)));
        let mut what = Draws(mix(self.seed ^ i.wrapping_mul(0x2000_0003) ^ 0xABCD));
        // Later generations touch about 1% of rows: a new last-used date.
        let drift = (1..=self.generation)
            .filter(|g| mix(self.seed ^ i ^ u64::from(*g) << 40).is_multiple_of(100))
            .count() as u64;

        let kind_draw = who.below(100);
        let (kind, prefix) = match kind_draw {
            0..=79 => ("human", "u"),
            80..=87 => ("service_account", "svc"),
            88..=93 => ("api_key", "key"),
            94..=97 => ("delegated_admin", "gdap"),
            _ => ("break_glass", "bg"),
        };
        let relationship = match who.below(100) {
            0..=34 => "contractor",
            35..=59 => "partner",
            60..=74 => "msp",
            75..=84 => "vendor",
            85..=97 => "employee",
            _ => "unknown",
        };
        let tenants = self.tenants();
        // MSP identities recur in several tenants under the same id.
        let tenant_index = if relationship == "msp" {
            (identity + slot) % tenants
        } else {
            identity % tenants
        };
        let tenant = format!("tenant-{tenant_index:03}");
        let org = ORGS[who.below(ORGS.len() as u64) as usize];
        let region = ["eu-west", "eu-north", "us-east", "ap-south"][who.below(4) as usize];
        let sponsor = if relationship == "employee" || who.per_mille(50) {
            String::new()
        } else {
            format!("sponsor{}@{tenant}.example.com", who.below(40))
        };
        let (system, environment) =
            SYSTEMS[((identity * 3 + slot * 5) % SYSTEMS.len() as u64) as usize];
        let privileged = matches!(kind, "delegated_admin" | "break_glass") || what.per_mille(30);
        let entitlement = if privileged {
            PRIVILEGED[what.below(PRIVILEGED.len() as u64) as usize]
        } else {
            ENTITLEMENTS[what.below(ENTITLEMENTS.len() as u64) as usize]
        };
        let granted = 30 + what.below(1000);
        let expires = match what.below(100) {
            0..=9 => self.day(1 + what.below(300)),
            10..=49 => (self.today + chrono::Duration::days(1 + what.below(500) as i64))
                .format("%Y-%m-%d")
                .to_string(),
            _ => String::new(),
        };
        let last_used = match what.below(100) {
            0..=19 => self.day(91 + what.below(600)),
            20..=24 => String::new(),
            _ => self.day(what.below(90).saturating_sub(drift * 7)),
        };
        let rotated = if matches!(kind, "service_account" | "api_key") {
            self.day(what.below(400))
        } else {
            String::new()
        };
        let shared = kind == "human" && what.per_mille(20);
        let _ = writeln!(
            line,
            "{tenant},{system},{prefix}{identity:07}@{org_domain},{name} {identity},{kind},{relationship},{org},{region},{environment},{entitlement},{privileged},{sponsor},owner{bo}@{tenant}.example.com,it{to}@{tenant}.example.com,SOW-{sow},{granted},{expires},{last_used},{rotated},{shared},T-{i}",
            org_domain = org_domain(org),
            name = if kind == "human" { "Person" } else { "Robot" },
            bo = who.below(20),
            to = who.below(20),
            sow = what.below(900) + 100,
            granted = self.day(granted),
        );
    }
}

fn org_domain(org: &str) -> &'static str {
    match org.as_bytes().first() {
        Some(b'C') => "copperline.example.com",
        Some(b'S') => "saltmarsh.example.net",
        Some(b'H') => "harbourmsp.example.org",
        Some(b'L') => "ledgerly.example.com",
        Some(b'B') => "brightwave.example.com",
        Some(b'Q') => "quillpoint.example.com",
        Some(b'W') => "wayfinder.example.com",
        _ => "medibridge.example.com",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn generate(spec: EstateSpec) -> String {
        let mut out = Vec::new();
        spec.write_csv(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_same_spec_gives_the_same_bytes() {
        let spec = EstateSpec::new(2_000, 7, today());
        assert_eq!(generate(spec), generate(spec));
        let other = EstateSpec::new(2_000, 8, today());
        assert_ne!(generate(spec), generate(other));
    }

    #[test]
    fn an_estate_imports_cleanly_with_a_realistic_mix() {
        let text = generate(EstateSpec::new(6_000, 1, today()));
        let rows: Vec<_> =
            crate::import::canonical::Reader::new(text.as_bytes(), Default::default())
                .unwrap()
                .map(|r| r.unwrap().1)
                .collect();
        assert_eq!(rows.len(), 6_000);
        let share = |f: &dyn Fn(&crate::domain::EntitlementRecord) -> bool| {
            rows.iter().filter(|r| f(r)).count() * 100 / rows.len()
        };
        let expired = share(&|r| r.expires_at.is_some_and(|e| e.day() < today()));
        let dormant = share(&|r| {
            r.last_used_at
                .is_some_and(|u| (today() - u.day()).num_days() > 90)
        });
        let privileged = share(&|r| r.privileged);
        assert!((7..=13).contains(&expired), "expired {expired}%");
        assert!((15..=25).contains(&dormant), "dormant {dormant}%");
        assert!((2..=12).contains(&privileged), "privileged {privileged}%");
        assert!(rows.iter().any(|r| r.shared));
        assert!(
            rows.iter()
                .any(|r| r.sponsor.is_none() && r.relationship.is_external())
        );
        let mut keys: Vec<_> = rows
            .iter()
            .map(|r| (&r.tenant, &r.system, &r.identity_id, &r.entitlement))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), rows.len(), "keys are unique");
    }

    #[test]
    fn a_later_generation_drifts_a_little() {
        let first = generate(EstateSpec::new(20_000, 3, today()));
        let second = generate(EstateSpec {
            generation: 1,
            ..EstateSpec::new(20_000, 3, today())
        });
        let a: std::collections::HashSet<&str> = first.lines().collect();
        let b: std::collections::HashSet<&str> = second.lines().collect();
        let gone = a.difference(&b).count();
        let new = b.difference(&a).count();
        assert!(
            (100..=600).contains(&gone),
            "{gone} rows changed or removed"
        );
        assert!((100..=600).contains(&new), "{new} rows changed or added");
    }
}
