//! The layers of ARCHITECTURE.md, read off the code's own imports: every arrow points
//! inward, so a newcomer can tell which of two modules is the inner one, and a change that
//! turns an arrow round (the township importing the wire, the app naming a SQLite error)
//! fails here instead of in a review.

use std::path::{Path, PathBuf};

/// Which crate modules each folder (or file) of `src/` may name.
const MAY_USE: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("picture", &[]),
    ("fonts", &[]),
    ("voice", &[]),
    ("store", &["domain"]),
    ("installation", &["domain", "voice"]),
    ("app", &["domain", "store", "picture", "installation"]),
    ("devices", &["domain", "installation"]),
    ("print", &["domain", "app", "fonts"]),
    // The township's use cases; the HTTP server in `sync` is the outermost township piece.
    ("township", &["domain", "store", "app", "picture", "installation"]),
    (
        "sync",
        &["domain", "store", "app", "picture", "installation", "township"],
    ),
    // The web console: pages over the township's use cases, beside `sync`, never in it.
    ("console", &["domain", "store", "app", "township", "fonts"]),
];

/// Crates only one place may name.
const ONLY_IN: &[(&str, &[&str])] = &[
    ("slint", &["ui"]),
    ("rusqlite", &["store"]),
    ("tokio_postgres", &["store"]),
    ("deadpool_postgres", &["store"]),
];

#[test]
fn every_arrow_points_inward() {
    let mut wrong = Vec::new();
    for file in sources() {
        let module = top_module(&file);
        let Some((_, allowed)) = MAY_USE.iter().find(|(m, _)| *m == module) else {
            continue;
        };
        for (line, used) in crate_paths(&file) {
            if used != module && !allowed.contains(&used.as_str()) {
                wrong.push(format!("{}:{line}: {module} uses crate::{used}", rel(&file)));
            }
        }
    }
    assert!(wrong.is_empty(), "arrows pointing outward:\n{}", wrong.join("\n"));
}

#[test]
fn slint_sql_and_postgres_are_named_in_their_own_module_only() {
    let mut wrong = Vec::new();
    for file in sources() {
        let module = top_module(&file);
        for (krate, homes) in ONLY_IN {
            if homes.contains(&module.as_str()) {
                continue;
            }
            for (n, line) in code_lines(&file) {
                if names_crate(&line, krate) {
                    wrong.push(format!("{}:{n}: {krate} outside {}", rel(&file), homes.join(", ")));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_front_end_imports_the_benchmarks() {
    // The binary's `main` hands `jifen bench` its arguments (as `jifen::bench`); in the
    // library only `lib.rs` declares it.
    let allowed = ["src/lib.rs"];
    let mut wrong = Vec::new();
    for file in sources() {
        let name = rel(&file);
        if name.starts_with("src/bench/") || allowed.contains(&name.as_str()) {
            continue;
        }
        for (line, used) in crate_paths(&file) {
            if used == "bench" {
                wrong.push(format!("{name}:{line}"));
            }
        }
    }
    assert!(wrong.is_empty(), "front ends importing bench:\n{}", wrong.join("\n"));
}

fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(out.len() > 50, "found only {} source files", out.len());
    out
}

fn rel(file: &Path) -> String {
    file.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .display()
        .to_string()
}

/// `src/app/apply/plan.rs` → `app`; `src/picture.rs` → `picture`.
fn top_module(file: &Path) -> String {
    let rel = rel(file);
    let inner = rel.trim_start_matches("src/");
    inner.split('/').next().unwrap().trim_end_matches(".rs").to_string()
}

/// Lines that are code: comments (line and doc) left out.
fn code_lines(file: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").to_string()))
        .collect()
}

/// Every `crate::<module>` a file's code names, with its line.
fn crate_paths(file: &Path) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in code_lines(file) {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push((n, name));
            } else if after.starts_with('{') {
                // `use crate::{a, b}` would hide its modules from this check: one path each.
                out.push((n, "{…}".to_string()));
            }
            rest = after;
        }
    }
    out
}

/// True when the line names `krate` as a path (`slint::`, `use slint`, `rusqlite::Error`).
fn names_crate(line: &str, krate: &str) -> bool {
    let mut rest = line;
    while let Some(at) = rest.find(krate) {
        let before = rest[..at].chars().last();
        let after = &rest[at + krate.len()..];
        let boundary_before = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '"'));
        if boundary_before && (after.starts_with("::") || after.starts_with(';') || after.starts_with(" as ")) {
            return true;
        }
        rest = after;
    }
    false
}
