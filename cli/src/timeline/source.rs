//! The function a step ran in, read from the source file its site names: the runtime records
//! only `file:line:column` (`Location` has no function), so `explain` looks the line up in the
//! source, when the source is there.
//!
//! Only a relative path to a `.rs` file without `..` is read, from the current directory or
//! the workspace root above it, a regular file of at most 4 MiB: a site in an artifact never
//! makes `explain` read anything else. Only function names are shown from it.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The largest source file read.
const MAX_SOURCE_BYTES: u64 = 4 << 20;

/// The functions of the source files looked up so far.
#[derive(Default)]
pub(super) struct Sources {
    roots: Vec<PathBuf>,
    files: HashMap<String, Option<Functions>>,
}

/// One file's lines' indentation and its `fn` declarations (line, indentation, name).
struct Functions {
    indents: Vec<usize>,
    decls: Vec<(u32, usize, String)>,
}

impl Sources {
    /// Looks files up from the current directory, then from the workspace root above it.
    pub(super) fn here() -> Sources {
        let mut roots = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            if let Some(root) = crate::run::workspace_root(&cwd) {
                if root != cwd {
                    roots.push(cwd);
                }
                roots.push(root);
            } else {
                roots.push(cwd);
            }
        }
        Sources {
            roots,
            files: HashMap::new(),
        }
    }

    /// The function that line `line` of `file` is in: the last `fn` declared at or before it
    /// and indented less than it (a closure's line gives the function the closure is in).
    pub(super) fn function(&mut self, file: &str, line: u32) -> Option<String> {
        if !self.files.contains_key(file) {
            let functions = self.read(file);
            self.files.insert(file.to_owned(), functions);
        }
        let functions = self.files.get(file)?.as_ref()?;
        let indent = *functions.indents.get(line.checked_sub(1)? as usize)?;
        functions
            .decls
            .iter()
            .rev()
            .find(|(at, decl_indent, _)| *at <= line && *decl_indent < indent)
            .map(|(_, _, name)| name.clone())
    }

    fn read(&self, file: &str) -> Option<Functions> {
        let path = Path::new(file);
        let plain = path.extension().is_some_and(|e| e == "rs")
            && path.components().all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return None;
        }
        let text = self.roots.iter().find_map(|root| {
            interleave_detector::read_text(&root.join(path), MAX_SOURCE_BYTES, "a source file").ok()
        })?;
        Some(parse(&text))
    }
}

fn parse(text: &str) -> Functions {
    let mut indents = Vec::new();
    let mut decls = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let body = line.trim_start();
        // A blank line or a comment is as deep as anything: it never ends a function.
        let indent = if body.is_empty() || body.starts_with("//") {
            usize::MAX
        } else {
            line.len() - body.len()
        };
        indents.push(indent);
        if let Some(name) = declared(body) {
            decls.push((i as u32 + 1, indent, name));
        }
    }
    Functions { indents, decls }
}

/// The name of the function `line` declares, if it declares one.
fn declared(line: &str) -> Option<String> {
    let mut rest = line;
    loop {
        let before = rest;
        for qualifier in [
            "pub ",
            "async ",
            "const ",
            "unsafe ",
            "default ",
            "extern \"C\" ",
        ] {
            rest = rest.strip_prefix(qualifier).unwrap_or(rest);
        }
        if let Some(scoped) = rest.strip_prefix("pub(") {
            rest = scoped.split_once(')').map_or(rest, |(_, r)| r.trim_start());
        }
        if rest == before {
            break;
        }
    }
    let name: String = rest
        .strip_prefix("fn ")?
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::{declared, parse};

    #[test]
    fn a_closure_line_is_in_the_function_around_it() {
        let source = "\
/// docs
pub(crate) fn outer<const F: bool>() {
    let x = 1;
    spawn(move || {
        fn nested() {
            work();
        }
        lock();
    });
}

async fn second() {
    other();
}
";
        let functions = parse(source);
        let at = |line: u32| {
            let indent = functions.indents[line as usize - 1];
            functions
                .decls
                .iter()
                .rev()
                .find(|(l, i, _)| *l <= line && *i < indent)
                .map(|(_, _, n)| n.as_str())
        };
        assert_eq!(at(3), Some("outer"));
        assert_eq!(at(6), Some("nested"));
        assert_eq!(at(8), Some("outer"));
        assert_eq!(at(13), Some("second"));
        assert_eq!(at(1), None);
    }

    #[test]
    fn declarations_with_qualifiers_are_recognised() {
        assert_eq!(
            declared("pub(in crate::a) unsafe fn f(x: u8)"),
            Some("f".into())
        );
        assert_eq!(declared("pub const fn g() {}"), Some("g".into()));
        assert_eq!(declared("let fnord = 1;"), None);
        assert_eq!(declared("// fn commented()"), None);
    }
}
