//! The console's modules import one another in one direction only: the
//! views read the state, `update` reads the state and speaks messages and
//! effects, the runner speaks them too, and nothing leads back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules under `src/tui` (the event loop in `tui/mod.rs` and the
/// tests use them all and are left out).
const MODULES: [&str; 9] = [
    "action", "app", "deferred", "effects", "keymap", "layout", "message", "update", "view",
];

/// Every `.rs` file of `module`: `module.rs`, or everything in `module/`.
fn files(tui: &Path, module: &str) -> Vec<PathBuf> {
    let single = tui.join(format!("{module}.rs"));
    if single.exists() {
        return vec![single];
    }
    let mut found = Vec::new();
    let mut dirs = vec![tui.join(module)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found
}

/// The names a path prefix leads to in `text`: `prefix name` or
/// `prefix{a, b::c}`.
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            names.extend(inner.split(',').map(|part| ident(part.trim())));
        } else {
            names.insert(ident(rest));
        }
    }
    names
}

/// Which other modules of `src/tui` each one imports.
fn imports() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let tui = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut graph = BTreeMap::new();
    for module in MODULES {
        let mut uses = BTreeSet::new();
        for file in files(&tui, module) {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut names = names_after(&text, "crate::tui::");
            // `super::` is `tui` itself only one level down.
            if file.parent() == Some(tui.as_path()) || file.ends_with("mod.rs") {
                names.extend(names_after(&text, "super::"));
            }
            uses.extend(
                MODULES
                    .into_iter()
                    .filter(|m| *m != module && names.contains(*m)),
            );
        }
        graph.insert(module, uses);
    }
    graph
}

#[test]
fn the_console_modules_import_one_another_in_one_direction() {
    let graph = imports();
    assert!(graph["view"].contains("app"), "the scan sees imports");
    // Depth-first: a module met again while its own imports are being
    // walked closes a cycle.
    fn walk<'a>(
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        module: &'a str,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|m| *m == module) {
            panic!(
                "import cycle: {} -> {module}\n{graph:#?}",
                path[at..].join(" -> ")
            );
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for next in &graph[module] {
            walk(graph, next, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in MODULES {
        walk(&graph, module, &mut Vec::new(), &mut done);
    }
}
