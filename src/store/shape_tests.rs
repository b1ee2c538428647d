//! The store's own shape: its modules use one another in one direction
//! only. Two modules that use each other can be neither read nor moved
//! apart; what they share belongs in a leaf that both use (`effective` for
//! the register's SQL, `imports` for what every import records).
//!
//! Read from the source: the module that a production path (`super::x`,
//! `crate::store::x`, before the file's first `#[cfg(test)]`) names. A
//! directory module (`snapshots/`) is one module; its children's `super::`
//! paths stay inside it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Each store module's source files, by module name; tests left out.
fn modules(store: &Path) -> BTreeMap<String, Vec<(String, bool)>> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(store).expect("src/store") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let read = |path: &Path| std::fs::read_to_string(path).expect("readable source");
        if path.is_dir() {
            let mut files = Vec::new();
            for inner in std::fs::read_dir(&path).expect("a module directory") {
                let inner = inner.expect("an entry").path();
                if inner.extension().is_some_and(|e| e == "rs") {
                    // `mod.rs` is the module itself; the others, its children.
                    let child = inner.file_stem().is_some_and(|s| s != "mod");
                    files.push((read(&inner), child));
                }
            }
            modules.insert(name, files);
        } else if path.extension().is_some_and(|e| e == "rs")
            && name != "mod"
            && !name.ends_with("_tests")
        {
            modules.insert(name, vec![(read(&path), false)]);
        }
    }
    modules
}

/// The first name of every path that starts at `prefix` in `code`: `x` of
/// `prefix x::…`, and each of `a`, `b` of `prefix {a::…, b}`.
fn named_after(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let rest = &code[at + prefix.len()..];
        let Some(group) = rest.strip_prefix('{') else {
            names.push(ident(rest));
            continue;
        };
        let mut depth = 1;
        let mut element_start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 1 => break,
                '}' => depth -= 1,
                ',' if depth == 1 => element_start = true,
                c if c.is_whitespace() => {}
                _ if element_start && depth == 1 => {
                    names.push(ident(&group[i..]));
                    element_start = false;
                }
                _ => {}
            }
        }
    }
    names
}

/// The source without comments and tests: a `#[cfg(test)]` module declared
/// on one line is skipped, one written inline ends the production code.
fn production(source: &str) -> String {
    let mut code = String::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            match lines.next() {
                Some(item) if item.trim_end().ends_with(';') => continue,
                _ => break,
            }
        }
        code.push_str(line.split("//").next().unwrap_or_default());
        code.push('\n');
    }
    code
}

fn use_graph(store: &Path) -> Graph {
    let modules = modules(store);
    let mut graph = Graph::new();
    for (name, files) in &modules {
        let uses = graph.entry(name.clone()).or_default();
        for (source, nested) in files {
            let code = production(source);
            let parent = if *nested { "super::super::" } else { "super::" };
            let mut named = named_after(&code, "crate::store::");
            named.extend(named_after(&code, parent));
            uses.extend(
                named
                    .into_iter()
                    .filter(|n| n != name && modules.contains_key(n)),
            );
        }
    }
    graph
}

/// Modules that can reach themselves again.
fn in_cycles(graph: &Graph) -> BTreeSet<String> {
    let mut cyclic = BTreeSet::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&String> = graph[start].iter().collect();
        while let Some(module) = next.pop() {
            if module == start {
                cyclic.insert(start.clone());
                break;
            }
            if seen.insert(module) {
                next.extend(graph.get(module).into_iter().flatten());
            }
        }
    }
    cyclic
}

#[test]
fn store_modules_use_one_another_in_one_direction() {
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let graph = use_graph(&store);
    assert!(graph.len() > 20, "found the store's modules: {graph:?}");
    assert!(
        graph["creation"].contains("campaigns")
            && graph["register"].contains("imports")
            && graph["snapshots"].contains("register")
            && graph["snapshots"].contains("digest"),
        "found the uses: {graph:?}"
    );
    let shown: Vec<String> = graph
        .iter()
        .map(|(module, uses)| format!("{module} -> {uses:?}"))
        .collect();
    let mut cyclic = in_cycles(&graph);
    // Report streaming, leaving the store for `report` (issue 19).
    for leaving in ["reporting", "versions"] {
        cyclic.remove(leaving);
    }
    assert!(
        cyclic.is_empty(),
        "modules in an import cycle: {cyclic:?}\n{}",
        shown.join("\n")
    );
}

#[test]
fn paths_and_groups_name_their_first_module() {
    let code = "use super::{a::{B, c}, d, Store};\nuse super::e::F;\nlet x = crate::store::g::h();";
    assert_eq!(named_after(code, "super::"), ["a", "d", "Store", "e"]);
    assert_eq!(named_after(code, "crate::store::"), ["g"]);
    let mut graph = Graph::new();
    graph.insert("a".into(), ["b".into()].into());
    graph.insert("b".into(), ["c".into()].into());
    graph.insert("c".into(), ["a".into()].into());
    graph.insert("d".into(), ["a".into()].into());
    assert_eq!(in_cycles(&graph), ["a", "b", "c"].map(String::from).into());
    let source = "use super::a; // super::b\n#[cfg(test)]\nmod t;\nuse super::c;\n\
                  #[cfg(test)]\nmod tests {\n    use super::d;\n}\n";
    assert_eq!(named_after(&production(source), "super::"), ["a", "c"]);
}
