//! Remembered results. A result (a pass or a failure, with everything `run` would show) is stored
//! under a key hashed from everything that could change it: the checked file and the files it
//! declares with `#[path]`, the exercise's settings, the manifests and lock file, the sources of
//! path dependencies (the reference runtime), the toolchain and this checker's version. When the
//! key is unchanged the check would come out the same, so `verify` need not build or run it. A
//! timeout or a crash is never remembered: it may not happen again.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::check::Outcome;
use crate::course::Course;
use crate::includes;
use crate::process::{self, Options};
use crate::target::Target;

const CACHE_FILE: &str = "results.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    outcome: Outcome,
}

pub struct PassCache {
    path: PathBuf,
    /// bin name -> its last result and the key it was checked under
    entries: BTreeMap<String, Entry>,
    /// Hash of the inputs every exercise shares.
    shared: u64,
    root: PathBuf,
}

impl PassCache {
    /// `color`: whether the outputs are drawn with colour (a remembered output is shown as is).
    pub fn open(course: &Course, color: bool) -> Result<PassCache> {
        let path = course.layout.state_dir.join(CACHE_FILE);
        // An unreadable cache is only a slower verify, never an error.
        let entries = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Ok(PassCache {
            path,
            entries,
            shared: {
                let mut h = DefaultHasher::new();
                shared_inputs(course)?.hash(&mut h);
                color.hash(&mut h);
                h.finish()
            },
            root: course.root.clone(),
        })
    }

    /// The key for `t` as its inputs are now. Take it before building, so an edit made during the
    /// build can never be recorded as passing.
    pub fn key(&self, t: &Target) -> Option<String> {
        let mut h = DefaultHasher::new();
        self.shared.hash(&mut h);
        t.bin.hash(&mut h);
        t.strict.hash(&mut h);
        format!("{:?}", t.exercise.mode).hash(&mut h);
        t.exercise.timeout.hash(&mut h);
        let file = self.root.join(&t.file);
        fs::read(&file).ok()?.hash(&mut h);
        // The earlier steps it declares with `#[path]` are compiled into it.
        for part in includes::of(&file) {
            part.hash(&mut h);
            fs::read(&part).ok()?.hash(&mut h);
        }
        Some(format!("{:016x}", h.finish()))
    }

    /// The remembered result for `t`, when it was checked with exactly these inputs.
    pub fn lookup(&self, t: &Target, key: Option<&str>) -> Option<&Outcome> {
        let key = key?;
        self.entries
            .get(&t.bin)
            .filter(|e| e.key == key)
            .map(|e| &e.outcome)
    }

    pub fn record(&mut self, t: &Target, key: Option<String>, outcome: &Outcome) {
        match key {
            Some(key) if !outcome.timed_out && !outcome.crashed => {
                self.entries.insert(
                    t.bin.clone(),
                    Entry {
                        key,
                        outcome: outcome.clone(),
                    },
                );
            }
            _ => {
                self.entries.remove(&t.bin);
            }
        }
    }

    pub fn save(&self) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)
                .with_context(|| format!("Failed to create {}", dir.display()))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let json = serde_json::to_vec(&self.entries).context("Failed to encode the cache")?;
        fs::write(&tmp, json).with_context(|| format!("Failed to write {}", tmp.display()))?;
        fs::rename(&tmp, &self.path)
            .with_context(|| format!("Failed to replace {}", self.path.display()))
    }
}

fn shared_inputs(course: &Course) -> Result<u64> {
    let mut h = DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    toolchain().hash(&mut h);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
    ] {
        std::env::var_os(var).hash(&mut h);
    }
    crate::cargo::builds_run_clippy().hash(&mut h);
    let manifest = course.package_manifest();
    let mut files = vec![
        course.root.join("Cargo.toml"),
        course.root.join("Cargo.lock"),
        manifest.clone(),
    ];
    for dir in path_dependencies(&course.root.join("Cargo.toml"), &manifest) {
        collect_files(&dir, &mut files);
    }
    files.sort();
    files.dedup();
    for f in files {
        f.hash(&mut h);
        fs::read(&f).ok().hash(&mut h);
    }
    Ok(h.finish())
}

/// `rustc -vV`: the compiler's exact version, so an upgrade invalidates every pass.
fn toolchain() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut cmd = Command::new(rustc);
    cmd.arg("-vV");
    process::run(
        cmd,
        &Options {
            timeout: Some(Duration::from_secs(30)),
            separate_stdout: true,
            cancel: None,
            on_line: None,
        },
    )
    .map(|f| String::from_utf8_lossy(&f.stdout).into_owned())
    .unwrap_or_default()
}

/// Folders of `path = ...` dependencies named by the workspace or the exercise package.
fn path_dependencies(root_manifest: &Path, package_manifest: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for (manifest, keys) in [
        (root_manifest, &["workspace", "dependencies"][..]),
        (package_manifest, &["dependencies"][..]),
    ] {
        let Some(table) = fs::read_to_string(manifest)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
        else {
            continue;
        };
        let mut node = Some(&table);
        for k in keys {
            node = node.and_then(|t| t.get(*k)).and_then(|v| v.as_table());
        }
        let base = manifest.parent().unwrap_or(Path::new("."));
        for dep in node.into_iter().flat_map(|t| t.values()) {
            if let Some(p) = dep.get("path").and_then(|p| p.as_str()) {
                dirs.push(base.join(p));
            }
        }
    }
    dirs
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut seen: HashMap<PathBuf, ()> = HashMap::new();
    for entry in entries.flatten() {
        let p = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out);
        } else if seen.insert(p.clone(), ()).is_none() {
            out.push(p);
        }
    }
}
