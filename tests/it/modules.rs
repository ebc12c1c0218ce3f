//! The crate's modules must not depend on each other in a circle.
//!
//! Reads every file under `src/`, collects the `crate::`, `super::` and `self::` paths it names
//! (in `use` trees and inline), and resolves each to the deepest module that has a file. An edge
//! from module A to module B is then lifted to the level where they part: `web::admin::exports` →
//! `web::admin::periods` is an edge between the siblings `exports` → `periods` under
//! `web::admin`, and `exports::sheet` → `services::results` one between `exports` → `services`
//! at the top. A parent may use its children and a child its parent; among siblings, at every
//! level, the graph must be acyclic.
//!
//! Comments and string literals are skipped, so doc links do not count. A name re-exported by a
//! parent counts as a use of the parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type ModulePath = Vec<String>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Other,
}

/// Splits Rust source into the few tokens paths are made of; comments, strings and char
/// literals disappear.
fn tokens(src: &str) -> Vec<Tok> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let ident_char = |c: char| c == '_' || c.is_alphanumeric();
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_string(&s, i);
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a), which stays an ident.
            if next == Some('\\') {
                i += 2;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if s.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if ident_char(c) {
            let start = i;
            while i < s.len() && ident_char(s[i]) {
                i += 1;
            }
            let word: String = s[start..i].iter().collect();
            let raw_string = (word == "r" || word == "br")
                && (s.get(i) == Some(&'"')
                    || (s.get(i) == Some(&'#') && matches!(s.get(i + 1), Some('"' | '#'))));
            if raw_string {
                i = skip_raw_string(&s, i);
            } else if word == "b" && s.get(i) == Some(&'"') {
                i = skip_string(&s, i);
            } else if word == "b" && s.get(i) == Some(&'\'') {
                i += 1;
                while i < s.len() && s[i] != '\'' {
                    i += if s[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            } else if !c.is_ascii_digit() {
                out.push(Tok::Ident(word));
            }
        } else {
            out.push(match (c, next) {
                (':', Some(':')) => {
                    i += 1;
                    Tok::PathSep
                }
                ('{', _) => Tok::Open,
                ('}', _) => Tok::Close,
                (',', _) => Tok::Comma,
                ('*', _) => Tok::Star,
                _ => Tok::Other,
            });
            i += 1;
        }
    }
    out
}

/// `s[i]` is the opening quote; returns the index after the closing one.
fn skip_string(s: &[char], mut i: usize) -> usize {
    i += 1;
    while i < s.len() && s[i] != '"' {
        i += if s[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// `s[i]` is the first `#` or the quote after `r`; returns the index after the closing delimiter.
fn skip_raw_string(s: &[char], mut i: usize) -> usize {
    let mut hashes = 0;
    while s.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    i += 1;
    while i < s.len() {
        if s[i] == '"' && (1..=hashes).all(|k| s.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// Parses a path from `toks[i]` on (which is its first segment), expanding `{..}` use groups.
/// Returns every full path named and the index after the last token used.
fn parse_path(toks: &[Tok], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    while let Some(Tok::Ident(name)) = toks.get(i) {
        prefix.push(name.clone());
        i += 1;
        if toks.get(i) != Some(&Tok::PathSep) {
            return (vec![prefix], i);
        }
        i += 1;
        match toks.get(i) {
            Some(Tok::Open) => {
                let mut paths = Vec::new();
                i += 1;
                loop {
                    match toks.get(i) {
                        Some(Tok::Close) | None => return (paths, i + 1),
                        Some(Tok::Comma) => i += 1,
                        Some(Tok::Ident(_)) => {
                            let (inner, after) = parse_path(toks, i);
                            paths.extend(inner.into_iter().map(|p| [prefix.clone(), p].concat()));
                            i = after;
                            // `name as alias`
                            if toks.get(i) == Some(&Tok::Ident("as".into())) {
                                i += 2;
                            }
                        }
                        Some(Tok::Open) => {
                            // `{..}` directly inside a group: parse it as if prefixed by nothing.
                            let (inner, after) = parse_group(toks, i);
                            paths.extend(inner.into_iter().map(|p| [prefix.clone(), p].concat()));
                            i = after;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            Some(Tok::Ident(_)) => {}
            _ => return (vec![prefix], i),
        }
    }
    (vec![prefix], i)
}

fn parse_group(toks: &[Tok], i: usize) -> (Vec<Vec<String>>, usize) {
    let mut fake = vec![Tok::Ident(String::new()), Tok::PathSep];
    fake.extend_from_slice(&toks[i..]);
    let (paths, after) = parse_path(&fake, 0);
    let paths = paths.into_iter().map(|p| p[1..].to_vec()).collect();
    (paths, after - 2 + i)
}

/// The module a file under `src/` defines: `web/admin/mod.rs` → `web::admin`.
fn module_of(relative: &Path) -> ModulePath {
    let mut parts: ModulePath = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// Every path that leaves its own module, as (from, to, the path as written).
fn references(module: &ModulePath, src: &str) -> Vec<(ModulePath, String)> {
    let toks = tokens(src);
    let mut out = Vec::new();
    // Inline modules (`mod tests { .. }`): their names and the brace depth they opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(word) if word == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Open)) = (toks.get(i + 1), toks.get(i + 2)) {
                    inline.push((name.clone(), depth));
                }
            }
            Tok::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && toks.get(i + 1) == Some(&Tok::PathSep)
                    && (i == 0 || toks[i - 1] != Tok::PathSep) =>
            {
                let (paths, after) = parse_path(&toks, i);
                let here: ModulePath = module
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(n, _)| n.clone()))
                    .collect();
                for path in paths {
                    let written = path.join("::");
                    let mut base = match path[0].as_str() {
                        "crate" => Vec::new(),
                        _ => here.clone(),
                    };
                    let mut rest = &path[..];
                    if path[0] == "crate" || path[0] == "self" {
                        rest = &rest[1..];
                    }
                    while rest.first().is_some_and(|s| s == "super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    base.extend(rest.iter().filter(|s| *s != "self").cloned());
                    out.push((base, written));
                }
                i = after;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Dependencies lifted to sibling level, each with one use that makes it (for the message).
#[derive(Debug, Default)]
struct Graph {
    /// parent → (child → (child it uses → "file: path")).
    levels: BTreeMap<ModulePath, BTreeMap<String, BTreeMap<String, String>>>,
}

impl Graph {
    fn add(&mut self, from: &ModulePath, to: &ModulePath, why: String) {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if common == from.len() || common == to.len() {
            return; // a parent using a child, or a child its parent
        }
        self.levels
            .entry(from[..common].to_vec())
            .or_default()
            .entry(from[common].clone())
            .or_default()
            .entry(to[common].clone())
            .or_insert(why);
    }

    fn uses(&self, parent: &[&str], from: &str, to: &str) -> bool {
        let parent: ModulePath = parent.iter().map(|s| s.to_string()).collect();
        self.levels
            .get(&parent)
            .and_then(|l| l.get(from))
            .is_some_and(|t| t.contains_key(to))
    }

    /// Every cycle among siblings, one per strongly connected group, with the uses that make it.
    fn cycles(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (parent, edges) in &self.levels {
            for group in strongly_connected(edges) {
                let scope = if parent.is_empty() {
                    "crate".to_string()
                } else {
                    parent.join("::")
                };
                let mut text = format!("cycle under {scope}: {}", group.join(", "));
                for from in &group {
                    for (to, why) in &edges[from] {
                        if group.contains(to) {
                            text.push_str(&format!("\n    {from} → {to}  ({why})"));
                        }
                    }
                }
                found.push(text);
            }
        }
        found
    }
}

/// Groups of two or more nodes that reach each other (Tarjan's algorithm).
fn strongly_connected(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        groups: Vec<Vec<String>>,
    }
    fn visit<'a>(st: &mut State<'a>, v: &'a str) {
        let n = st.index.len();
        st.index.insert(v, n);
        st.low.insert(v, n);
        st.stack.push(v);
        st.on_stack.insert(v);
        for w in st.edges.get(v).into_iter().flat_map(|t| t.keys()) {
            let w = w.as_str();
            if !st.index.contains_key(w) {
                visit(st, w);
                let low = st.low[v].min(st.low[w]);
                st.low.insert(v, low);
            } else if st.on_stack.contains(w) {
                let low = st.low[v].min(st.index[w]);
                st.low.insert(v, low);
            }
        }
        if st.low[v] == st.index[v] {
            let mut group = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack.remove(w);
                group.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                st.groups.push(group);
            }
        }
    }
    let mut st = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for v in edges.keys() {
        if !st.index.contains_key(v.as_str()) {
            visit(&mut st, v);
        }
    }
    st.groups
}

/// The sibling graph of the library under `src/` (the binary's `main.rs` only calls the library).
fn crate_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| !f.ends_with("main.rs"));
    let modules: BTreeSet<ModulePath> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&src).unwrap()))
        .collect();
    let mut graph = Graph::default();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let from = module_of(relative);
        let text = std::fs::read_to_string(file).unwrap();
        for (path, written) in references(&from, &text) {
            // The deepest module with a file: items and inline modules belong to their file.
            let Some(to) = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            graph.add(&from, &to, format!("src/{}: {written}", relative.display()));
        }
    }
    graph
}

#[test]
fn no_module_depends_on_itself_through_its_siblings() {
    let graph = crate_graph();
    // The reader must see the crate's real edges, or an empty graph would pass.
    assert!(graph.uses(&[], "web", "services"), "web → services not found");
    assert!(graph.uses(&[], "services", "db"), "services → db not found");
    assert!(
        graph.uses(&["web", "admin"], "periods", "guard"),
        "admin::periods → guard not found"
    );
    let cycles = graph.cycles();
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_follows_use_trees_super_and_inline_paths_but_not_comments_or_strings() {
    let src = r##"
        use super::periods::{self, parse as p, nested::{A, B}};
        use crate::{db, services::results::*};
        // use crate::jobs::Commented;
        /* crate::mail::Block */
        const S: &str = "crate::cli::InString";
        const R: &str = r#"crate::cli::Raw"#;
        fn f<'a>(x: &'a str) -> char { crate::domain::cases::late(x); '{' }
        mod tests { use super::super::sibling::X; }
    "##;
    let here: ModulePath = vec!["web".into(), "admin".into(), "exports".into()];
    let found: Vec<String> = references(&here, src)
        .into_iter()
        .map(|(p, _)| p.join("::"))
        .collect();
    assert_eq!(
        found,
        [
            "web::admin::periods",
            "web::admin::periods::parse",
            "web::admin::periods::nested::A",
            "web::admin::periods::nested::B",
            "db",
            "services::results",
            "domain::cases::late",
            "web::admin::sibling::X",
        ]
    );

    let mut graph = Graph::default();
    let m = |s: &str| -> ModulePath { s.split("::").map(String::from).collect() };
    graph.add(&m("web::admin::exports"), &m("web::admin::periods"), "a".into());
    graph.add(&m("web::admin::periods"), &m("web::admin::exports"), "b".into());
    graph.add(&m("exports::sheet"), &m("services::results"), "c".into());
    graph.add(&m("services::sheets"), &m("exports::sheet"), "d".into());
    graph.add(&m("web"), &m("web::admin"), "parent uses child".into());
    graph.add(&m("web::admin"), &m("web"), "child uses parent".into());
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 2, "{cycles:?}");
    assert!(
        cycles[0].starts_with("cycle under crate: exports, services"),
        "{}",
        cycles[0]
    );
    assert!(
        cycles[1].starts_with("cycle under web::admin: exports, periods"),
        "{}",
        cycles[1]
    );
}
