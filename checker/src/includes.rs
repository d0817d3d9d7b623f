//! The other files an exercise is made of: those its file declares as modules with
//! `#[path = "..."] mod name;` (each capstone step declares the step before it), followed from
//! file to file. rustc resolves such a path from the folder of the file that declares it, both
//! when the file is a crate root and when it is itself a `#[path]` module of a batch crate, so
//! the same files are compiled in every build the checker makes.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// How deep declarations are followed: a course has a handful of steps, a cycle stops earlier.
const MAX_DEPTH: usize = 32;

/// One out-of-line module declaration (`mod name;`) in a file's text.
#[derive(Debug, PartialEq, Eq)]
pub struct Declared {
    /// The `#[path = "..."]` on the line before it, if there is one.
    pub path: Option<String>,
}

/// Every `mod name;` (or `pub mod name;`) line of `text`, with the `#[path]` right above it.
pub fn declared(text: &str) -> Vec<Declared> {
    let mut found = Vec::new();
    let mut attribute: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let is_mod = line
            .strip_prefix("pub ")
            .unwrap_or(line)
            .starts_with("mod ");
        if is_mod && line.ends_with(';') {
            found.push(Declared {
                path: attribute.take(),
            });
            continue;
        }
        attribute = path_attribute(line);
    }
    found
}

/// `"x.rs"` from `#[path = "x.rs"]`.
fn path_attribute(line: &str) -> Option<String> {
    let inner = line.strip_prefix("#[path")?.strip_suffix(']')?.trim_start();
    let quoted = inner.strip_prefix('=')?.trim();
    let path = quoted.strip_prefix('"')?.strip_suffix('"')?;
    (!path.is_empty() && !path.contains('\\')).then(|| path.to_string())
}

/// The files `file` pulls in through `#[path]` module declarations, directly or through each
/// other, canonical, each once, in the order they are declared. Files that cannot be read are
/// left out: the compiler will say so.
pub fn of(file: &Path) -> Vec<PathBuf> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    if let Ok(own) = file.canonicalize() {
        seen.insert(own);
    }
    let mut found = Vec::new();
    let mut frontier = vec![file.to_path_buf()];
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for from in &frontier {
            let Ok(text) = fs::read_to_string(from) else {
                continue;
            };
            let dir = from.parent().unwrap_or(Path::new("."));
            for path in declared(&text).into_iter().filter_map(|d| d.path) {
                let Ok(target) = dir.join(path).canonicalize() else {
                    continue;
                };
                if seen.insert(target.clone()) {
                    found.push(target.clone());
                    next.push(target);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    found
}

/// [`of`], relative to `root` where the file lies under it (as compiler messages print them).
pub fn of_relative(root: &Path, file: &Path) -> Vec<PathBuf> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    of(&root.join(file))
        .into_iter()
        .map(|f| f.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_path_attributes_and_plain_modules() {
        let text = "// step two\n#[path = \"step1.rs\"]\nmod step1;\npub use step1::*;\n\
                    mod plain;\n#[path=\"../x.rs\"]\npub mod x;\nmod inline {\n}\n";
        assert_eq!(
            declared(text),
            [
                Declared {
                    path: Some("step1.rs".to_string())
                },
                Declared { path: None },
                Declared {
                    path: Some("../x.rs".to_string())
                },
            ]
        );
    }

    #[test]
    fn follows_declarations_from_each_files_own_folder() {
        let root = std::env::temp_dir().join(format!("asyncling-includes-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(
            root.join("a/three.rs"),
            "#[path = \"b/two.rs\"]\nmod two;\n",
        )
        .unwrap();
        fs::write(root.join("a/b/two.rs"), "#[path = \"one.rs\"]\nmod one;\n").unwrap();
        // A cycle back to the start ends the walk instead of looping.
        fs::write(
            root.join("a/b/one.rs"),
            "#[path = \"../three.rs\"]\nmod three;\n",
        )
        .unwrap();
        let found = of_relative(&root, Path::new("a/three.rs"));
        assert_eq!(
            found,
            [PathBuf::from("a/b/two.rs"), PathBuf::from("a/b/one.rs")]
        );
        let _ = fs::remove_dir_all(&root);
    }
}
