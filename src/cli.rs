//! The command line: global options and one subcommand per task.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "recert",
    version,
    about = "Access recertification in the terminal"
)]
pub struct Cli {
    /// The database file [default: in the platform data directory]
    #[arg(long, env = "RECERT_DB", global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Who is acting (reviewer, campaign owner) [default: the config's reviewer, else the OS user name]
    #[arg(
        long = "as",
        env = "RECERT_REVIEWER",
        global = true,
        value_name = "EMAIL"
    )]
    pub actor: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database
    Init,
    /// Import entitlement snapshots; each file is all-or-nothing
    Import(ImportArgs),
    /// Create, list and show review campaigns
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// List a campaign's items
    Items(ItemsArgs),
    /// Open the review console
    Review(ReviewArgs),
    /// Record a decision on one item from a script
    Decide(DecideArgs),
    /// Show what is being signed, then sign your part as a sponsor, or the whole campaign as its owner (--final)
    Signoff(SignoffArgs),
    /// Close a campaign after its final sign-off: undecided items get its close action
    Close(CloseArgs),
    /// Write a campaign report
    Report(ReportArgs),
    /// Show or create the config file (policy thresholds, weights, reviewer)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The people register: who takes part, their roles, OS account and SSH keys
    #[command(subcommand)]
    People(PeopleCommand),
    /// Show whose database this is (personal or shared), or change it (an admin, audited)
    Mode(ModeArgs),
    /// Hand your items to someone for a while (audited), or list the delegations in force
    Delegate(DelegateArgs),
    /// What waits for you across open campaigns: items to decide, parts to sign; overdue first
    Pending {
        #[arg(long)]
        json: bool,
    },
    /// Write one Markdown worklist per reviewer with items undecided, and index.csv for mail merge
    Remind(RemindArgs),
    /// As the owner, reassign the undecided items of a campaign past due to each item's fallback
    Escalate(EscalateArgs),
    /// List the risk flags: rule, weight, recommendation and framework controls
    Flags {
        #[arg(long)]
        json: bool,
    },
    /// List identities across tenants, as the identity register enriches them
    Identities(IdentitiesArgs),
    /// List a campaign's revocations and whether later imports proved them
    Remediation(RemediationArgs),
    /// List exceptions in force, live and expired, across campaigns
    Exceptions(ExceptionsArgs),
    /// Every campaign's items for one identity: decision, decider, when, note, remediation
    History(HistoryArgs),
    /// Check the audit log's hash chain and the evidence it protects
    Verify(VerifyArgs),
    /// Open the review console on a throwaway database seeded with demo data
    Demo(DemoArgs),
    /// The forced command of a shared review host: runs what the SSH client asked, as the key's person
    Session(SessionArgs),
    /// Copy the database to a new file while others work, then verify the copy
    Backup(BackupArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write recert.1 and a page per subcommand (recert-import.1, …) here
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// recert's own CSV
    Canonical,
    /// The AWS IAM credential report (CSV)
    AwsIam,
    /// SCIM 2.0 ListResponses of Users and Groups (JSON); all files one snapshot
    Scim,
    /// The identity register (CSV): relationship, organization, sponsor, owners, tier, contract end
    Register,
    /// The entitlement catalog (CSV): description, sensitivity, data classes, owner
    Catalog,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective config and where it came from
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Write the commented default config file (never overwrites one)
    Init,
}

#[derive(Debug, Args)]
pub struct IdentitiesArgs {
    /// Only people (by identity_id or e-mail) found in more than one tenant
    #[arg(long)]
    pub cross_tenant: bool,
    /// Filter FIELD=V[,V…] on register fields; repeat to combine
    #[arg(long = "where", value_name = "FIELD=V[,V…]")]
    pub filters: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Source files
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Source format [default: detected from the content]
    #[arg(long)]
    pub format: Option<ImportFormat>,
    /// Tenant for rows that do not name one (aws-iam: instead of the account id)
    #[arg(long)]
    pub tenant: Option<String>,
    /// System for rows that do not name one [aws-iam: aws-iam; scim: scim]
    #[arg(long)]
    pub system: Option<String>,
    /// The file covers only part of its scope: add and update, never mark removed
    #[arg(long)]
    pub partial: bool,
    /// Validate and count, then roll back
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign: freezes the in-scope grants as items
    New(CampaignNewArgs),
    /// List campaigns
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one campaign
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Scopes reviewed before, their last campaign and when the next is due; exit 1 if one is overdue
    Due {
        /// Only scopes due within this many days (overdue ones always)
        #[arg(long, value_name = "DAYS")]
        within: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// End a campaign made by mistake (its owner or an admin; audited): it takes no more decisions
    Cancel {
        name: String,
        /// Why it ends; required
        #[arg(long)]
        note: String,
    },
}

#[derive(Debug, Args)]
pub struct DelegateArgs {
    /// Who acts for you: someone recert knows
    #[arg(long, value_name = "EMAIL", required_unless_present = "list")]
    pub to: Option<String>,
    /// The last day the delegation lasts
    #[arg(long, value_name = "YYYY-MM-DD", required_unless_present = "list")]
    pub until: Option<String>,
    /// Only this campaign's items [default: every campaign's]
    #[arg(long, value_name = "NAME")]
    pub campaign: Option<String>,
    /// Recorded with the delegation
    #[arg(long)]
    pub note: Option<String>,
    /// List the delegations in force instead
    #[arg(long, conflicts_with_all = ["to", "until", "campaign", "note"])]
    pub list: bool,
    #[arg(long, requires = "list")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RemindArgs {
    pub campaign: String,
    /// The directory to write into (created owner-only; files in it must not exist yet)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct EscalateArgs {
    pub campaign: String,
    /// Days past the due date before items escalate
    #[arg(long, value_name = "N")]
    pub overdue_days: u32,
    /// Show what would move; record nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Add or update people from a CSV file: email,name,roles,os_user,ssh_key (all-or-nothing)
    Import {
        file: PathBuf,
        /// Check the file and say what would change; record nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Add a person, or update one: the options given replace what the register says
    Add(PeopleAddArgs),
    /// List the people register
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a person from the register (what they did stays theirs)
    Remove { email: String },
    /// Print the review host's authorized_keys file: each person's keys, bound to `recert session`
    AuthorizedKeys {
        /// The recert the host runs [default: this one]
        #[arg(long, value_name = "PATH")]
        program: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    /// The person the key belongs to, as the people register has them
    #[arg(long, value_name = "EMAIL")]
    pub person: String,
    /// The fingerprint of the key the authorized_keys line holds
    #[arg(long, value_name = "SHA256:…")]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The copy to create (created owner-only; never an existing file)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct PeopleAddArgs {
    /// The person's e-mail, their key in recert
    pub email: String,
    #[arg(long)]
    pub name: Option<String>,
    /// admin or auditor; repeat for both (replaces the person's roles)
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Remove every role
    #[arg(long, conflicts_with = "roles")]
    pub no_roles: bool,
    /// The OS account that establishes the person on this host
    #[arg(long, value_name = "NAME")]
    pub os_user: Option<String>,
    /// An SSH public key (`TYPE BASE64 [COMMENT]`); repeat for several; added to the person's keys
    #[arg(long = "ssh-key", value_name = "KEY")]
    pub ssh_keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeValue {
    /// One person's database: names are taken as stated (asserted)
    Personal,
    /// Many people's: each must be established by OS account or SSH key
    Shared,
}

#[derive(Debug, Args)]
pub struct ModeArgs {
    /// The mode to switch to; without it, the current mode is shown
    pub mode: Option<ModeValue>,
    /// Why, recorded with the change
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct CampaignNewArgs {
    pub name: String,
    /// Due date, YYYY-MM-DD
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub due: String,
    /// Scope filter FIELD=V[,V…]; repeat to combine [default: everything, or the --like campaign's scope]
    #[arg(long = "where", value_name = "FIELD=V[,V…]")]
    pub filters: Vec<String>,
    /// Who reviews each item: sponsor, business_owner, technical_owner or fixed:EMAIL [default: sponsor, or the --like campaign's]
    #[arg(long)]
    pub reviewer_rule: Option<String>,
    /// Evaluate insights as of this day [default: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// What undecided items get at close [default: keep, or the --like campaign's]
    #[arg(long, value_parser = ["keep", "revoke", "recommendation"])]
    pub on_close: Option<String>,
    /// Repeat this campaign: its scope, reviewer rule, policy and close action, each replaced by an explicit option
    #[arg(long, value_name = "PREVIOUS")]
    pub like: Option<String>,
}

#[derive(Debug, Args)]
pub struct ItemsArgs {
    pub campaign: String,
    /// Filter FIELD=V[,V…]; repeat to combine
    #[arg(long = "where", value_name = "FIELD=V[,V…]")]
    pub filters: Vec<String>,
    /// Text to find in identity, organization, system, entitlement or notes
    #[arg(long)]
    pub search: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Campaign to review [default: the latest]
    pub campaign: Option<String>,
    /// Today, for ages and due dates [default: the system date]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    pub campaign: String,
    /// The item's id (`recert items` lists them); or --where for every item it matches, or --from
    #[arg(
        value_parser = item_id,
        allow_negative_numbers = true,
        required_unless_present_any = ["filters", "from"]
    )]
    pub item: Option<i64>,
    /// Decide every item the filters match (AND; values of one filter OR),
    /// with --expect: attest or revoke only
    #[arg(long = "where", value_name = "FIELD=V[,V…]", global = true)]
    pub filters: Vec<String>,
    /// With --where: how many items the filters must match, or nothing is recorded
    #[arg(long, value_name = "N", global = true)]
    pub expect: Option<u64>,
    /// Record only if the item's latest event is still SEQ (`items --json`
    /// shows it as last_event; `none` for an item without events). Without
    /// it, a decision someone else recorded is never replaced.
    #[arg(
        long,
        global = true,
        value_name = "SEQ|none",
        allow_negative_numbers = true
    )]
    pub expect_event: Option<String>,
    /// As the campaign's owner, decide another reviewer's item (a note says why)
    #[arg(long = "override", global = true)]
    pub overriding: bool,
    /// Decisions from a CSV file, all or none: columns id (or item), decision, note, until (or exception_until), ticket, to; a CSV report with its decision and note columns edited works
    #[arg(
        long,
        value_name = "FILE.csv",
        conflicts_with_all = ["item", "filters", "expect", "expect_event", "overriding"]
    )]
    pub from: Option<std::path::PathBuf>,
    /// With --from: check every row and say what would be recorded; record nothing
    #[arg(long, requires = "from")]
    pub dry_run: bool,
    #[command(subcommand)]
    pub action: Option<DecideAction>,
}

#[derive(Debug, Args)]
pub struct NoteArg {
    /// Evidence note recorded with the decision
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DecideAction {
    /// Keep the access
    Attest(NoteArg),
    /// Remove the access
    Revoke(NoteArg),
    /// Keep until a date, with an optional ticket
    Exception {
        /// The last day the access is kept
        #[arg(long, value_name = "YYYY-MM-DD")]
        until: String,
        /// The ticket that approved the exception, if there is one
        #[arg(long)]
        ticket: Option<String>,
        #[command(flatten)]
        note: NoteArg,
    },
    /// Hand the item to another reviewer
    Reassign {
        #[arg(long, value_name = "EMAIL")]
        to: String,
        #[command(flatten)]
        note: NoteArg,
    },
    /// Keep the access, and rotate its credential by a date
    Rotate {
        /// The last day the credential may be rotated on
        #[arg(long, value_name = "YYYY-MM-DD")]
        by: String,
        #[command(flatten)]
        note: NoteArg,
    },
    /// Undo the decision in force
    Undo(NoteArg),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Csv,
    Json,
    #[value(alias = "markdown")]
    Md,
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    pub campaign: String,
    #[arg(long, default_value = "csv")]
    pub format: ReportFormat,
    /// Write to this file (created owner-only) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo database at this path instead of a temporary file
    #[arg(long, value_name = "PATH")]
    pub keep: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SignoffArgs {
    pub campaign: String,
    /// What the signer checked; required to sign
    #[arg(long, required_unless_present = "preview")]
    pub note: Option<String>,
    /// The owner's final sign-off: freezes the whole campaign (a sponsor signs only their part)
    #[arg(long = "final")]
    pub final_signoff: bool,
    /// Sign although this many items are undecided (must be their exact number)
    #[arg(long, value_name = "N", value_parser = count, allow_negative_numbers = true)]
    pub accept_undecided: Option<u64>,
    /// With --final: sign although this many sponsors' parts are unsigned (their exact number)
    #[arg(long, value_name = "N", value_parser = count, allow_negative_numbers = true,
          requires = "final_signoff")]
    pub accept_unsigned: Option<u64>,
    /// Only show what would be signed
    #[arg(long)]
    pub preview: bool,
    /// How many items of each list to show
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = count,
          allow_negative_numbers = true)]
    pub show: u64,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    pub campaign: String,
    /// Recorded with the close
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RemediationState {
    Pending,
    Verified,
    StillEffective,
    /// Rotations past their date with no newer rotation shown
    Overdue,
    /// Rotations whose grant a complete later snapshot no longer holds
    Removed,
}

#[derive(Debug, Args)]
pub struct RemediationArgs {
    pub campaign: String,
    /// Exit 1 when any revoked access is still effective or any rotation is overdue
    #[arg(long)]
    pub check: bool,
    /// Only tasks in this state
    #[arg(long)]
    pub status: Option<RemediationState>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExceptionsArgs {
    /// Only exceptions whose end date has passed
    #[arg(long)]
    pub expired: bool,
    /// The day that decides what has expired [default: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The identity's id as its source names it (case ignored)
    pub identity_id: String,
    /// Only the identity of this tenant
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A chain head hash from a report: check that it is still in the chain
    #[arg(long = "head", value_name = "HASH")]
    pub heads: Vec<String>,
    /// Only recompute the hash chain (and heads); skip the evidence checks
    #[arg(long)]
    pub chain_only: bool,
}

/// The largest id or count SQLite holds: numbers beyond it name nothing.
const LARGEST: u64 = i64::MAX as u64;

/// An item id: a whole number from 1. Anything else is refused here, with
/// what an id is, rather than failing later as a database type error.
fn item_id(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected an item id, a whole number (`recert items` lists them)".into());
    }
    match text.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!(
            "no item has this id: item ids are whole numbers from 1 to {LARGEST} \
             (`recert items` lists them)"
        )),
    }
}

/// A number of items: a whole number from 0 to the largest SQLite counts.
fn count(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n <= LARGEST => Ok(n),
        _ => Err(format!(
            "expected a number of items, a whole number from 0 to {LARGEST}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_and_counts_are_whole_numbers_sqlite_can_hold() {
        assert_eq!(item_id("42"), Ok(42));
        assert_eq!(item_id("9223372036854775807"), Ok(i64::MAX));
        for no_such in ["0", "-5", "9223372036854775808", "18446744073709551615"] {
            assert!(
                item_id(no_such)
                    .unwrap_err()
                    .starts_with("no item has this id")
            );
        }
        for malformed in ["", "-", "4x", "1.5", " 3", "+3"] {
            assert!(
                item_id(malformed)
                    .unwrap_err()
                    .starts_with("expected an item id")
            );
        }
        assert_eq!(count("0"), Ok(0));
        assert_eq!(count("9223372036854775807"), Ok(LARGEST));
        for bad in ["-1", "18446744073709551615", "9223372036854775808", "x", ""] {
            assert!(count(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
