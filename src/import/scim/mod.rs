//! SCIM 2.0 (RFC 7643 / RFC 7644): ListResponses of Users and Groups,
//! given as one or more files (users, groups, or every page of either)
//! and imported together as one snapshot.
//!
//! Each user becomes an identity keyed by `userName`, with the grants
//! `account` (the directory account itself), `group:NAME` for every group
//! it belongs to — directly, through the user's own `groups`, or through a
//! group nested in a group — `entitlement:VALUE` and `role:VALUE`.
//! `userType` gives the relationship (and the kind for non-human types);
//! the enterprise extension gives the organization and, through the
//! manager's id, the sponsor. `active: false` is kept so that the insights
//! flag the account.
//!
//! Resolving memberships needs every user and group, so the files are read
//! first (each resource held in compact form, never the JSON document);
//! grants are then produced user by user.

mod json;
mod parse;
#[cfg(test)]
mod tests;

use super::{Defaults, Problem};
use crate::domain::{EntitlementRecord, IdentityKind, Relationship};
use parse::{Group, User};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;

/// The system grants are recorded under unless `--system` says otherwise.
pub const SYSTEM: &str = "scim";

/// A problem or warning in one of the import's files (by index).
pub type FileProblem = (usize, Problem);

/// What `userType` says, as (kind, relationship). Compared ignoring case
/// and any character that is not a letter or digit, so `Service Account`,
/// `service_account` and `ServiceAccount` agree. Types that say only
/// "not one of us" (`Guest`, `External`) and anything unrecognised are
/// `unknown`, for the identity register to classify.
pub fn classify_user_type(user_type: Option<&str>) -> (IdentityKind, Relationship) {
    let key: String = user_type
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    use IdentityKind::{ApiKey, Human, ServiceAccount};
    match key.as_str() {
        "employee" | "member" | "staff" | "internal" | "intern" | "fulltime" | "parttime" => {
            (Human, Relationship::Employee)
        }
        "contractor" | "contingent" | "contingentworker" | "temp" | "temporary" | "consultant"
        | "freelancer" => (Human, Relationship::Contractor),
        "partner" => (Human, Relationship::Partner),
        "vendor" | "supplier" => (Human, Relationship::Vendor),
        "msp" | "managedserviceprovider" => (Human, Relationship::Msp),
        "serviceaccount" | "service" | "application" | "app" | "bot" | "machine" | "workload"
        | "nonhuman" => (ServiceAccount, Relationship::Unknown),
        "apikey" | "apitoken" | "token" => (ApiKey, Relationship::Unknown),
        _ => (Human, Relationship::Unknown),
    }
}

/// Every user and group of the import, resolved.
pub struct Directory {
    users: Vec<User>,
    groups: Vec<Group>,
    /// Per user, the groups it belongs to directly.
    member_of: Vec<Vec<usize>>,
    /// Per user, groups it names in its own `groups` that are not among
    /// the group resources (reported by the provider all the same).
    named_groups: Vec<Vec<String>>,
    /// Per group, the groups that contain it directly. Enclosing groups
    /// at every depth are walked per user, never stored per group: a
    /// chain of n nested groups would hold n²/2 of them.
    parents: Vec<Vec<usize>>,
    group_names: Vec<String>,
    sponsors: Vec<Option<String>>,
    warnings: Vec<FileProblem>,
    tenant: String,
    system: String,
}

/// Reads every file and resolves them together. `partial` allows files
/// that hold only a page of a paginated response.
pub fn read<R: Read>(
    inputs: Vec<R>,
    defaults: &Defaults,
    partial: bool,
) -> Result<Directory, Vec<FileProblem>> {
    let mut problems: Vec<FileProblem> = Vec::new();
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut pages = Vec::new();
    for (file, input) in inputs.into_iter().enumerate() {
        let contents = parse::read_file(file, input);
        problems.extend(contents.problems.into_iter().map(|p| (file, p)));
        pages.push((
            file,
            contents.total_results,
            contents.users.len(),
            contents.groups.len(),
            contents.resources,
        ));
        users.extend(contents.users);
        groups.extend(contents.groups);
    }
    if !partial {
        check_pages(&pages, &mut problems);
    }
    check_unique(&users, &groups, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Directory::resolve(users, groups, defaults))
}

/// Refuses a file that holds fewer resources than its `totalResults`: it
/// is one page, and importing it whole would mark everything on the other
/// pages removed. Pages given as several files count together.
fn check_pages(
    pages: &[(usize, Option<u64>, usize, usize, usize)],
    problems: &mut Vec<FileProblem>,
) {
    let all_users: usize = pages.iter().map(|p| p.2).sum();
    let all_groups: usize = pages.iter().map(|p| p.3).sum();
    let all: usize = pages.iter().map(|p| p.4).sum();
    for &(file, total, users, groups, resources) in pages {
        let Some(total) = total else { continue };
        let held = match (users, groups) {
            (u, 0) if u == resources && u > 0 => all_users,
            (0, g) if g == resources && g > 0 => all_groups,
            _ => all,
        };
        if (held as u64) < total {
            problems.push((
                file,
                Problem::at_path(
                    "$.totalResults",
                    format!(
                        "the import holds {held} of {total} results: this is a page of a \
                         paginated response; give every page's file, or import with --partial"
                    ),
                ),
            ));
        }
    }
}

fn check_unique(users: &[User], groups: &[Group], problems: &mut Vec<FileProblem>) {
    let mut ids: HashMap<&str, &User> = HashMap::new();
    let mut names: HashMap<String, &User> = HashMap::new();
    for user in users {
        if let Some(first) = ids.insert(&user.id, user) {
            problems.push((
                user.origin.file,
                Problem::at_path(
                    format!("{}.id", user.origin.path()),
                    format!("id {:?} is also the id of {}", user.id, first.origin.path()),
                ),
            ));
        }
        // userName is unique ignoring case (RFC 7643 §4.1.1).
        if let Some(first) = names.insert(user.user_name.to_lowercase(), user) {
            problems.push((
                user.origin.file,
                Problem::at_path(
                    format!("{}.userName", user.origin.path()),
                    format!(
                        "userName {:?} is also the userName of {}",
                        user.user_name,
                        first.origin.path()
                    ),
                ),
            ));
        }
    }
    let mut group_ids: HashMap<&str, &Group> = HashMap::new();
    for group in groups {
        if let Some(first) = group_ids.insert(&group.id, group) {
            problems.push((
                group.origin.file,
                Problem::at_path(
                    format!("{}.id", group.origin.path()),
                    format!(
                        "id {:?} is also the id of {}",
                        group.id,
                        first.origin.path()
                    ),
                ),
            ));
        }
    }
}

impl Directory {
    fn resolve(users: Vec<User>, groups: Vec<Group>, defaults: &Defaults) -> Directory {
        let mut warnings = Vec::new();
        let user_by_id: HashMap<&str, usize> = users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.as_str(), i))
            .collect();
        let user_by_name: HashMap<String, usize> = users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.user_name.to_lowercase(), i))
            .collect();
        let group_by_id: HashMap<&str, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), i))
            .collect();

        // displayName need not be unique; two groups of one name stay apart.
        let mut name_count: HashMap<&str, usize> = HashMap::new();
        for g in &groups {
            *name_count.entry(g.display.as_str()).or_default() += 1;
        }
        let group_names: Vec<String> = groups
            .iter()
            .map(|g| match name_count.get(g.display.as_str()) {
                Some(&n) if n > 1 => format!("{} ({})", g.display, g.id),
                _ => g.display.clone(),
            })
            .collect();

        let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); users.len()];
        let mut parents: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
        for (g, group) in groups.iter().enumerate() {
            for member in &group.members {
                let as_user = || user_by_id.get(member.value.as_str()).copied();
                let as_group = || group_by_id.get(member.value.as_str()).copied();
                match member.kind.as_deref() {
                    Some("group") => match as_group() {
                        Some(child) => parents[child].push(g),
                        None => warnings.push(dangling(group, member, "group")),
                    },
                    Some("user") => match as_user() {
                        Some(u) => member_of[u].push(g),
                        None => warnings.push(dangling(group, member, "user")),
                    },
                    _ => match (as_user(), as_group()) {
                        (Some(u), _) => member_of[u].push(g),
                        (None, Some(child)) => parents[child].push(g),
                        (None, None) => warnings.push(dangling(group, member, "user or group")),
                    },
                }
            }
        }
        let mut named_groups: Vec<Vec<String>> = vec![Vec::new(); users.len()];
        for (u, user) in users.iter().enumerate() {
            for (id, display) in &user.groups {
                match id.as_deref().and_then(|id| group_by_id.get(id)) {
                    Some(&g) => member_of[u].push(g),
                    None => named_groups[u].extend(display.clone().or_else(|| id.clone())),
                }
            }
        }
        let sponsors = users
            .iter()
            .map(|user| {
                let manager = user.manager.as_ref()?;
                let found = manager.value.as_deref().and_then(|v| {
                    user_by_id
                        .get(v)
                        .or_else(|| user_by_name.get(&v.to_lowercase()))
                        .copied()
                });
                match found {
                    Some(m) => {
                        let m = &users[m];
                        Some(m.email.clone().unwrap_or_else(|| m.user_name.clone()))
                    }
                    None => {
                        let kept = manager.display.clone().or_else(|| manager.value.clone());
                        warnings.push((
                            user.origin.file,
                            Problem::at_path(
                                &manager.path,
                                format!(
                                    "manager {:?} of {:?} is not among the users: the sponsor \
                                     is recorded as {:?}",
                                    manager.value.as_deref().unwrap_or_default(),
                                    user.user_name,
                                    kept.as_deref().unwrap_or_default()
                                ),
                            ),
                        ));
                        kept
                    }
                }
            })
            .collect();

        Directory {
            tenant: defaults.tenant.clone().unwrap_or_default(),
            system: defaults
                .system
                .clone()
                .unwrap_or_else(|| SYSTEM.to_string()),
            users,
            groups,
            member_of,
            named_groups,
            parents,
            group_names,
            sponsors,
            warnings,
        }
    }

    /// Dangling members and unresolved managers: reported, not fatal.
    pub fn warnings(&self) -> &[FileProblem] {
        &self.warnings
    }

    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The (tenant, system) scope the import speaks for.
    pub fn scope(&self) -> (&str, &str) {
        (&self.tenant, &self.system)
    }

    /// The grant names of one user, each once, in order. The groups are
    /// its own and, breadth-first up the `parents`, every group enclosing
    /// one of them; `walk` marks those seen, so that a cycle ends and a
    /// group reached twice is taken once. The work is the groups reached
    /// and the memberships among them, for this user only.
    fn grants_of(&self, u: usize, walk: &mut Walk) -> BTreeSet<String> {
        let user = &self.users[u];
        let mut names = BTreeSet::new();
        names.insert("account".to_string());
        walk.start();
        for &direct in &self.member_of[u] {
            walk.visit(direct);
        }
        while let Some(g) = walk.next() {
            names.insert(format!("group:{}", self.group_names[g]));
            for &parent in &self.parents[g] {
                walk.visit(parent);
            }
        }
        for name in &self.named_groups[u] {
            names.insert(format!("group:{name}"));
        }
        names.extend(user.entitlements.iter().map(|e| format!("entitlement:{e}")));
        names.extend(user.roles.iter().map(|r| format!("role:{r}")));
        names
    }

    /// Every grant, user by user, with the user's 1-based position in its
    /// file's `Resources` as the source line.
    pub fn records(&self) -> impl Iterator<Item = (u64, EntitlementRecord)> + '_ {
        let mut walk = Walk::new(self.groups.len());
        self.users.iter().enumerate().flat_map(move |(u, user)| {
            let mut base = EntitlementRecord::new(
                self.system.clone(),
                user.user_name.clone(),
                user.display.clone(),
                user.kind,
                user.relationship,
                String::new(),
            );
            base.tenant = self.tenant.clone();
            base.email = user.email.clone();
            base.organization = user.organization.clone();
            base.sponsor = self.sponsors[u].clone();
            base.active = user.active;
            let line = user.origin.index as u64 + 1;
            self.grants_of(u, &mut walk)
                .into_iter()
                .map(move |entitlement| {
                    let mut record = base.clone();
                    record.entitlement = entitlement;
                    (line, record)
                })
        })
    }
}

/// One user's breadth-first walk over the groups. A group is marked with
/// the number of the walk that reached it, so a new walk starts without
/// clearing: one mark per group and a queue, for the whole import.
struct Walk {
    mark: Vec<u32>,
    walk: u32,
    queue: Vec<usize>,
    next: usize,
}

impl Walk {
    fn new(groups: usize) -> Walk {
        Walk {
            mark: vec![0; groups],
            walk: 0,
            queue: Vec::new(),
            next: 0,
        }
    }

    fn start(&mut self) {
        self.queue.clear();
        self.next = 0;
        self.walk = match self.walk.checked_add(1) {
            Some(walk) => walk,
            None => {
                // After 2^32 - 1 walks the marks are ambiguous: clear them.
                self.mark.fill(0);
                1
            }
        };
    }

    /// Queues `g` unless this walk has reached it already.
    fn visit(&mut self, g: usize) {
        if self.mark[g] != self.walk {
            self.mark[g] = self.walk;
            self.queue.push(g);
        }
    }

    fn next(&mut self) -> Option<usize> {
        let g = self.queue.get(self.next).copied()?;
        self.next += 1;
        Some(g)
    }
}

fn dangling(group: &Group, member: &parse::Member, what: &str) -> FileProblem {
    (
        group.origin.file,
        Problem::at_path(
            &member.path,
            format!(
                "member {:?} of group {:?} is not a {what} in this import: that membership \
                 is not imported",
                member.value, group.display
            ),
        ),
    )
}
