//! Checking many exercises with few compilations.
//!
//! Every exercise bin is its own crate, and each one instantiates tokio's runtime and channel
//! generics for itself: about a third of a CPU-second per exercise, most of a cold `verify`. Here
//! the exercises become modules (`#[path = "..."] mod name;`) of a few generated crates, one per
//! core, in a package of their own under the target directory. It has the same dependencies, lock
//! file and profiles as the exercise package and shares cargo's target directory, so nothing is
//! built twice, and its binaries run each exercise's tests alone with `--exact` filters.
//!
//! The batch only speeds up verdicts, it never invents one: an exercise that does not compile in
//! the batch, or whose strict lints complain, is checked again as its own crate.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use toml::{Table, Value};

use crate::cargo::{self, Artifact, BuildRequest, Diagnostic};
use crate::course::Mode;
use crate::includes;
use crate::layout::Layout;
use crate::process::{self, Ending, Options};
use crate::target::Target;

/// Fewer exercises than this are built the ordinary way.
pub const MIN_BATCH: usize = 6;
const PACKAGE: &str = "asyncling-batch";

/// An exercise built inside a batch crate.
pub struct Batched {
    pub exe: PathBuf,
    /// The exercise's tests, as `--exact` names.
    pub tests: Vec<String>,
    /// Diagnostics whose primary span is in the exercise's file.
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Default)]
pub struct Built {
    /// Target index -> its batch build.
    pub batched: HashMap<usize, Batched>,
    /// Target index -> the errors that kept it out of the batch.
    pub errors: HashMap<usize, Vec<Diagnostic>>,
}

/// A module name for the exercise, if its file can be compiled as a module of another crate.
fn module_for(root: &Path, t: &Target) -> Option<(String, PathBuf)> {
    if t.exercise.mode != Mode::Test {
        return None;
    }
    let name = &t.bin;
    let starts_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    if !starts_ok || KEYWORDS.contains(&name.as_str()) {
        return None;
    }
    let file = root.join(&t.file).canonicalize().ok()?;
    let text = fs::read_to_string(&file).ok()?;
    // What would mean something else inside a module: crate-level attributes, paths from the
    // crate root, out-of-line submodules found by name, and the package's build-time
    // environment. A submodule with a `#[path]` is the same file either way (see `includes`).
    let unsafe_in_module = text.contains("#![")
        || text.contains("crate::")
        || text.contains("env!(\"CARGO")
        || includes::declared(&text).iter().any(|d| d.path.is_none());
    (!unsafe_in_module).then(|| (name.clone(), file))
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "main", "std", "core", "alloc", "test",
];

/// A batched target: its index among the targets, its module name and its file.
type Member = (usize, String, PathBuf);

/// Builds what can be batched among `targets`; the rest (and whatever failed to build in the
/// batch) is left for the ordinary build.
pub fn build(
    layout: &Layout,
    targets: &[Target],
    color: bool,
    timeout: Duration,
    cancel: Option<Arc<AtomicBool>>,
    progress: Option<cargo::Progress>,
) -> Result<Built> {
    let ws_root = &layout.workspace_root;
    let mut members: Vec<Member> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| module_for(ws_root, t).map(|(m, f)| (i, m, f)))
        .collect();
    let mut built = Built::default();
    // Targets without a bin of their own have no other way to be built.
    let must = targets.iter().any(|t| t.batch_only);
    if members.is_empty() || (members.len() < MIN_BATCH && !must) {
        return Ok(built);
    }
    let target_dir = layout.target_dir()?;
    let (dir, package, _lock) = package_dir(layout, &target_dir)?;

    // Build, set aside the modules that do not compile, and build again until all that is left
    // compiles (each round removes at least one module, or stops).
    loop {
        let groups = split(&members, crates());
        write_if_changed(
            &dir.join("Cargo.toml"),
            &manifest(&layout.package_manifest, ws_root, &package, groups.len())?,
        )?;
        write_sources(&dir, &groups)?;
        let bins: Vec<String> = (1..=groups.len())
            .map(|k| format!("asyncling_batch_{k}"))
            .collect();
        let report = cargo::build(&BuildRequest {
            manifest: &dir.join("Cargo.toml"),
            bins: &bins,
            features: &[],
            artifact: Artifact::Tests,
            color,
            timeout: Some(timeout),
            cancel: cancel.clone(),
            progress: progress.clone(),
            target_dir: Some(target_dir.clone()),
        })?;
        if matches!(report.ending, Ending::TimedOut | Ending::Cancelled) {
            return Ok(built);
        }
        let (broken, lost) = set_aside_failures(&groups, &bins, &report, &mut built);
        if broken.is_empty() || lost {
            keep_built(&groups, &bins, &report, &mut built)?;
            return Ok(built);
        }
        members.retain(|(i, _, _)| !broken.contains(i));
        if members.is_empty() || (members.len() < MIN_BATCH && !must) {
            return Ok(built);
        }
    }
}

/// The batch package's folder under the target directory, its package name, and the lock held
/// while it is used: two checkers of one course at once take turns, since the files are shared.
fn package_dir(layout: &Layout, target_dir: &Path) -> Result<(PathBuf, String, fs::File)> {
    // One batch package per course: two courses may share a target directory, and cargo names
    // outputs by package name, so the name carries the course too.
    let package = {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut h = DefaultHasher::new();
        layout.package_manifest.hash(&mut h);
        format!("{PACKAGE}-{:08x}", h.finish() as u32)
    };
    let dir = target_dir.join(PACKAGE).join(&package);
    fs::create_dir_all(&dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let lock = fs::File::create(dir.join(".lock"))
        .and_then(|f| f.lock().map(|()| f))
        .with_context(|| format!("Failed to lock {}", dir.display()))?;
    if let Ok(lock) = fs::read(layout.workspace_root.join("Cargo.lock")) {
        write_if_changed(&dir.join("Cargo.lock"), &String::from_utf8_lossy(&lock))?;
    }
    Ok((dir, package, lock))
}

/// One crate root per group: each exercise is a `#[path]` module.
fn write_sources(dir: &Path, groups: &[Vec<Member>]) -> Result<()> {
    for (k, group) in groups.iter().enumerate() {
        let mut src = String::from(
            "// Written by asyncling: each module is one exercise, compiled together.\n",
        );
        for (_, module, file) in group {
            let _ = writeln!(
                src,
                "#[path = {:?}]\nmod {module};",
                file.display().to_string()
            );
        }
        src.push_str("fn main() {}\n");
        write_if_changed(&dir.join(format!("batch_{}.rs", k + 1)), &src)?;
    }
    Ok(())
}

/// The members of groups that failed to build: those with errors in their own file (the errors
/// are kept in `built`), or the whole group when its errors cannot be placed in an exercise
/// (then `lost` is true: that group goes to the ordinary build).
fn set_aside_failures(
    groups: &[Vec<Member>],
    bins: &[String],
    report: &cargo::BuildReport,
    built: &mut Built,
) -> (HashSet<usize>, bool) {
    let mut broken: HashSet<usize> = HashSet::new();
    let mut lost = false;
    for (k, group) in groups.iter().enumerate() {
        let Some(bin) = report.bins.get(&bins[k]) else {
            continue;
        };
        if bin.executable.is_some() {
            continue;
        }
        let mut erring: Vec<usize> = Vec::new();
        for (i, _, file) in group {
            let files = member_files(file);
            let errors: Vec<Diagnostic> = bin
                .diagnostics
                .iter()
                .filter(|d| d.is_error() && in_member(d, &files))
                .cloned()
                .collect();
            if !errors.is_empty() {
                erring.push(*i);
                built.errors.insert(*i, errors);
            }
        }
        if erring.is_empty() {
            broken.extend(group.iter().map(|(i, _, _)| *i));
            lost = true;
        } else {
            broken.extend(erring);
        }
    }
    (broken, lost)
}

/// Records every member of a group that built: its test binary, its tests, its own warnings.
fn keep_built(
    groups: &[Vec<Member>],
    bins: &[String],
    report: &cargo::BuildReport,
    built: &mut Built,
) -> Result<()> {
    for (k, group) in groups.iter().enumerate() {
        let Some(exe) = report.bins.get(&bins[k]).and_then(|b| b.executable.clone()) else {
            continue;
        };
        let diagnostics = &report.bins[&bins[k]].diagnostics;
        let tests = list_tests(&exe)?;
        for (i, module, file) in group {
            let files = member_files(file);
            built.batched.insert(
                *i,
                Batched {
                    exe: exe.clone(),
                    tests: tests.get(module).cloned().unwrap_or_default(),
                    diagnostics: diagnostics
                        .iter()
                        .filter(|d| in_member(d, &files) && !is_batch_artifact(d))
                        .cloned()
                        .collect(),
                },
            );
        }
    }
    Ok(())
}

/// One batch crate per core: cargo compiles them side by side.
fn crates() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
}

fn split<T: Clone>(members: &[T], n: usize) -> Vec<Vec<T>> {
    let size = members.len().div_ceil(n.max(1)).max(1);
    members.chunks(size).map(<[T]>::to_vec).collect()
}

fn in_file(d: &Diagnostic, file: &Path) -> bool {
    d.file.as_deref().is_some_and(|f| {
        let f = Path::new(f);
        f == file || f.canonicalize().is_ok_and(|c| c == file)
    })
}

/// The files a member's diagnostics may point into: its own and those it declares with
/// `#[path]` (a project's earlier steps). Read once per member, not once per diagnostic.
fn member_files(file: &Path) -> Vec<PathBuf> {
    std::iter::once(file.to_path_buf())
        .chain(includes::of(file))
        .collect()
}

/// Whether `d` is about the exercise: in one of its `member_files`.
fn in_member(d: &Diagnostic, files: &[PathBuf]) -> bool {
    files.iter().any(|f| in_file(d, f))
}

/// A module's `main` is never called, unlike a crate's, and a file that several exercises
/// declare with `#[path]` (a project's earlier step) is loaded once per exercise in a batch
/// crate: those warnings are the batch's, not the learner's.
fn is_batch_artifact(d: &Diagnostic) -> bool {
    d.message == "function `main` is never used"
        || d.code.as_deref() == Some("clippy::duplicate_mod")
}

/// The tests of each module, from the harness's own list.
fn list_tests(exe: &Path) -> Result<HashMap<String, Vec<String>>> {
    let mut cmd = Command::new(exe);
    cmd.args(["--list", "--format", "terse"]);
    let listed = process::run(
        cmd,
        &Options {
            timeout: Some(Duration::from_secs(30)),
            separate_stdout: true,
            cancel: None,
            on_line: None,
        },
    )?;
    if !listed.ending.success() {
        bail!("Failed to list the tests of {}", exe.display());
    }
    let mut by_module: HashMap<String, Vec<String>> = HashMap::new();
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        if let Some(name) = line.strip_suffix(": test")
            && let Some((module, _)) = name.split_once("::")
        {
            by_module
                .entry(module.to_string())
                .or_default()
                .push(name.to_string());
        }
    }
    Ok(by_module)
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    // An unchanged file keeps its timestamp, so cargo sees nothing to rebuild.
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(path, text).with_context(|| format!("Failed to write {}", path.display()))
}

fn read_table(path: &Path) -> Result<Table> {
    let text =
        fs::read_to_string(path).with_context(|| format!("Failed to read {}", path.display()))?;
    text.parse::<Table>()
        .with_context(|| format!("Failed to parse {}", path.display()))
}

/// The batch package's manifest: the exercise package's dependencies, edition and lints, the
/// workspace's profiles, and one bin per batch crate.
fn manifest(package_manifest: &Path, ws_root: &Path, name: &str, crates: usize) -> Result<String> {
    let pkg = read_table(package_manifest)?;
    let ws = read_table(&ws_root.join("Cargo.toml")).unwrap_or_default();
    let ws_section = ws.get("workspace").and_then(Value::as_table);
    let inherited = |section: &str, key: &str| {
        ws_section
            .and_then(|w| w.get(section))
            .and_then(Value::as_table)
            .and_then(|t| t.get(key))
            .cloned()
    };
    let mut package = Table::new();
    package.insert("name".into(), name.into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("publish".into(), false.into());
    package.insert("autobins".into(), false.into());
    let edition = match pkg.get("package").and_then(|p| p.get("edition")) {
        Some(Value::String(e)) => Some(Value::String(e.clone())),
        Some(Value::Table(_)) => inherited("package", "edition"),
        _ => None,
    };
    package.insert("edition".into(), edition.unwrap_or_else(|| "2021".into()));

    let deps = dependencies(&pkg, package_manifest, ws_root, ws_section)?;

    let mut out = Table::new();
    out.insert("workspace".into(), Value::Table(Table::new()));
    out.insert("package".into(), Value::Table(package));
    let bins: Vec<Value> = (1..=crates)
        .map(|k| {
            Value::Table(Table::from_iter([
                ("name".to_string(), format!("asyncling_batch_{k}").into()),
                ("path".to_string(), format!("batch_{k}.rs").into()),
            ]))
        })
        .collect();
    out.insert("bin".into(), Value::Array(bins));
    out.insert("dependencies".into(), Value::Table(deps));
    copy_lints_and_profiles(&pkg, &ws, name, &mut out);
    let text = toml::to_string(&out).context("Failed to write the batch manifest")?;
    Ok(format!(
        "# Written by asyncling from {}; rewritten on every batch check.\n{text}",
        package_manifest.display()
    ))
}

/// The exercise package's dependencies and dev-dependencies as the batch package needs them:
/// inherited workspace entries merged in, relative paths made absolute, none optional.
fn dependencies(
    pkg: &Table,
    package_manifest: &Path,
    ws_root: &Path,
    ws_section: Option<&Table>,
) -> Result<Table> {
    let pkg_dir = package_manifest.parent().unwrap_or(Path::new("."));
    let inherited = |section: &str, key: &str| {
        ws_section
            .and_then(|w| w.get(section))
            .and_then(Value::as_table)
            .and_then(|t| t.get(key))
            .cloned()
    };
    let mut deps = Table::new();
    for section in ["dependencies", "dev-dependencies"] {
        let Some(table) = pkg.get(section).and_then(Value::as_table) else {
            continue;
        };
        for (name, spec) in table {
            let (mut spec, base) = match spec {
                Value::String(v) => (
                    Table::from_iter([("version".to_string(), v.clone().into())]),
                    pkg_dir,
                ),
                Value::Table(t) if t.get("workspace").and_then(Value::as_bool) == Some(true) => {
                    let mut merged = match inherited("dependencies", name) {
                        Some(Value::String(v)) => {
                            Table::from_iter([("version".to_string(), Value::String(v))])
                        }
                        Some(Value::Table(w)) => w,
                        _ => bail!(
                            "`{name}` in {} inherits a workspace dependency that does not exist",
                            package_manifest.display()
                        ),
                    };
                    if let Some(Value::Array(extra)) = t.get("features") {
                        let mut features = merged
                            .get("features")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        features.extend(extra.iter().cloned());
                        merged.insert("features".into(), Value::Array(features));
                    }
                    (merged, ws_root)
                }
                Value::Table(t) => (t.clone(), pkg_dir),
                _ => continue,
            };
            if let Some(Value::String(p)) = spec.get("path") {
                let abs = base.join(p);
                let abs = abs.canonicalize().unwrap_or(abs);
                spec.insert("path".into(), abs.display().to_string().into());
            }
            spec.remove("optional");
            deps.insert(name.clone(), Value::Table(spec));
        }
    }
    Ok(deps)
}

/// The exercise package's lints (or the workspace's, when it inherits them) and the workspace's
/// profiles, with the exercise package's profile overrides applied to the batch package.
fn copy_lints_and_profiles(pkg: &Table, ws: &Table, name: &str, out: &mut Table) {
    let pkg_name = pkg
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match pkg.get("lints") {
        Some(Value::Table(t)) if t.get("workspace").and_then(Value::as_bool) == Some(true) => {
            if let Some(lints) = ws.get("workspace").and_then(|w| w.get("lints")) {
                out.insert("lints".into(), lints.clone());
            }
        }
        Some(lints) => {
            out.insert("lints".into(), lints.clone());
        }
        None => {}
    }
    // Profiles live at the workspace root; overrides for the exercise package apply to ours.
    let profiles = ws.get("profile").or_else(|| pkg.get("profile"));
    if let Some(Value::Table(profiles)) = profiles {
        let mut profiles = profiles.clone();
        for (_, profile) in profiles.iter_mut() {
            if let Some(Value::Table(packages)) = profile.get_mut("package")
                && let Some(ours) = packages.remove(pkg_name)
            {
                packages.insert(name.into(), ours);
            }
        }
        out.insert("profile".into(), Value::Table(profiles));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_cover_every_member_once() {
        let members: Vec<usize> = (0..11).collect();
        let groups = split(&members, 3);
        assert_eq!(groups.len(), 3);
        let all: Vec<usize> = groups.concat();
        assert_eq!(all, members);
    }

    #[test]
    fn the_batch_manifest_inherits_dependencies_profiles_and_lints() {
        let root = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .join("asyncling-batch-manifest");
        fs::create_dir_all(root.join("exercises")).unwrap();
        fs::create_dir_all(root.join("helper")).unwrap();
        fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"exercises\"]\n[workspace.package]\nedition = \"2024\"\n\
             [workspace.dependencies]\ntokio = { version = \"1\", features = [\"rt\"] }\n\
             helper = { path = \"helper\" }\n[profile.dev]\ndebug = false\n\
             [profile.dev.package.course-exercises]\nincremental = false\n",
        )
        .unwrap();
        fs::write(
            root.join("exercises/Cargo.toml"),
            "[package]\nname = \"course-exercises\"\nedition.workspace = true\n\
             [dependencies]\ntokio = { workspace = true, features = [\"macros\"] }\n\
             helper.workspace = true\nmio = \"1\"\n[lints.rust]\ndead_code = \"allow\"\n",
        )
        .unwrap();
        let text = manifest(&root.join("exercises/Cargo.toml"), &root, "batch-x", 2).unwrap();
        let m: Table = text.parse().unwrap();
        assert_eq!(m["package"]["edition"].as_str(), Some("2024"));
        let tokio_features = m["dependencies"]["tokio"]["features"].as_array().unwrap();
        assert_eq!(tokio_features.len(), 2, "{text}");
        assert!(
            m["dependencies"]["helper"]["path"]
                .as_str()
                .unwrap()
                .ends_with("helper")
        );
        assert_eq!(m["dependencies"]["mio"]["version"].as_str(), Some("1"));
        assert_eq!(
            m["profile"]["dev"]["package"]["batch-x"]["incremental"].as_bool(),
            Some(false)
        );
        assert_eq!(m["lints"]["rust"]["dead_code"].as_str(), Some("allow"));
        assert_eq!(m["bin"].as_array().unwrap().len(), 2);
    }
}
