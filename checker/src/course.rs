//! The course: `info.toml` parsed and validated into an ordered list of exercises.
//!
//! The format is a superset of rustlings v6 (`format_version = 1`). Every problem found is reported
//! as `file:line: message`, all of them at once, so a course author fixes them in one pass.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use toml::Spanned;

use crate::layout::Layout;

pub const INFO_FILE: &str = "info.toml";
/// Long enough for a cold test binary on a slow machine, short enough that a hang is noticed.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
const MAX_TIMEOUT_SECS: u64 = 600;
const MAX_NAME_LEN: usize = 32;

/// What checking an exercise means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Build the file's tests and run them (the default when `test = true`).
    Test,
    /// Build the binary and run `main`; a non-zero exit fails (the default when `test = false`).
    Run,
    /// Only compile: the exercise is about making the compiler accept the code.
    Build,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInfo {
    format_version: Spanned<u32>,
    welcome_message: Option<String>,
    final_message: Option<String>,
    identical_solution_tests: Option<bool>,
    #[serde(default)]
    exercises: Vec<Spanned<RawExercise>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    name: Spanned<String>,
    dir: Option<Spanned<String>>,
    test: Option<bool>,
    #[serde(default)]
    strict_clippy: bool,
    hint: Option<Spanned<String>>,
    hints: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    skip_check_unsolved: bool,
    timeout_secs: Option<Spanned<u64>>,
    mode: Option<Spanned<Mode>>,
    features: Option<Spanned<Vec<String>>>,
}

#[derive(Clone, Debug)]
pub struct Exercise {
    pub name: String,
    pub dir: Option<String>,
    pub mode: Mode,
    pub strict_clippy: bool,
    pub hints: Vec<String>,
    pub skip_check_unsolved: bool,
    pub timeout: Duration,
    /// Cargo features of the exercise package its bins need (`required-features`), e.g. the
    /// optional crates a later chapter teaches. Empty for most courses.
    pub features: Vec<String>,
}

impl Exercise {
    /// The learner's file, relative to the course root.
    pub fn path(&self) -> PathBuf {
        self.rel_in("exercises")
    }

    pub fn solution_path(&self) -> PathBuf {
        self.rel_in("solutions")
    }

    fn rel_in(&self, top: &str) -> PathBuf {
        let mut p = PathBuf::from(top);
        if let Some(dir) = &self.dir {
            p.push(dir);
        }
        p.push(format!("{}.rs", self.name));
        p
    }

    /// The chapter is the exercise's folder; exercises without one share the chapter "".
    pub fn chapter(&self) -> &str {
        self.dir.as_deref().unwrap_or("")
    }

    pub fn solution_bin(&self) -> String {
        format!("{}_sol", self.name)
    }
}

#[derive(Debug)]
pub struct Course {
    pub root: PathBuf,
    /// Where the course's parts are (manifest, workspace, target and state folders).
    pub layout: Arc<Layout>,
    pub welcome_message: Option<String>,
    pub final_message: Option<String>,
    /// Whether `verify --solutions` requires each solution's `#[cfg(test)]` section to equal its
    /// exercise's. The default is yes for this layout (`exercises/Cargo.toml`) and no for the
    /// rustlings layout, whose solutions may fill in TODOs inside test modules.
    pub identical_solution_tests: bool,
    pub exercises: Vec<Exercise>,
    /// "info.toml:LINE: the solution file of `x` is missing: PATH", one per missing solution.
    /// Learners need only the exercises, so this is an error only for `verify --solutions`.
    pub missing_solutions: Vec<String>,
}

impl Course {
    /// Finds the course whose `info.toml` is in `start` or one of its parents.
    pub fn discover(start: &Path) -> Result<Course> {
        let start = start
            .canonicalize()
            .with_context(|| format!("Failed to open the course folder {}", start.display()))?;
        let root = start
            .ancestors()
            .find(|dir| dir.join(INFO_FILE).is_file())
            .with_context(|| {
                format!(
                    "Failed to find {INFO_FILE} in {} or any folder above it; run asyncling from \
                     the course folder or pass --course <DIR>",
                    start.display()
                )
            })?;
        Course::load(root)
    }

    pub fn load(root: &Path) -> Result<Course> {
        let info_path = root.join(INFO_FILE);
        let text = std::fs::read_to_string(&info_path)
            .with_context(|| format!("Failed to read {}", info_path.display()))?;
        let (mut course, missing) = parse(&text, root).map_err(|problems| {
            let mut msg = String::new();
            for (line, problem) in &problems {
                let _ = writeln!(msg, "{}:{line}: {problem}", info_path.display());
            }
            anyhow::anyhow!("{}", msg.trim_end())
        })?;
        course.missing_solutions = missing
            .iter()
            .map(|(line, problem)| format!("{}:{line}: {problem}", info_path.display()))
            .collect();
        Ok(course)
    }

    pub fn find(&self, name: &str) -> Result<usize> {
        match self.exercises.iter().position(|e| e.name == name) {
            Some(i) => Ok(i),
            None => {
                let close: Vec<&str> = self
                    .exercises
                    .iter()
                    .map(|e| e.name.as_str())
                    .filter(|n| {
                        let prefix: String = name.chars().take(3).collect();
                        !prefix.is_empty() && n.starts_with(&prefix)
                    })
                    .take(5)
                    .collect();
                if close.is_empty() {
                    bail!(
                        "No exercise is named `{name}`; `{} list` shows them all",
                        crate::term::cmd()
                    )
                }
                bail!(
                    "No exercise is named `{name}`; did you mean {}?",
                    close.join(", ")
                )
            }
        }
    }

    /// The manifest of the package that holds the exercise bins (see `Layout`).
    pub fn package_manifest(&self) -> PathBuf {
        self.layout.package_manifest.clone()
    }
}

type Problems = Vec<(usize, String)>;

fn line_of(text: &str, span: &Range<usize>) -> usize {
    text[..span.start.min(text.len())].matches('\n').count() + 1
}

/// The course, and the solutions it lacks (with their lines).
fn parse(text: &str, root: &Path) -> std::result::Result<(Course, Problems), Problems> {
    let raw: RawInfo = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, &s)).unwrap_or(1);
        vec![(line, e.message().trim().to_string())]
    })?;
    let mut problems = Problems::new();
    if *raw.format_version.get_ref() != 1 {
        problems.push((
            line_of(text, &raw.format_version.span()),
            format!(
                "format_version {} is not supported; this checker reads format_version = 1",
                raw.format_version.get_ref()
            ),
        ));
    }
    if raw.exercises.is_empty() {
        problems.push((1, "the course has no [[exercises]]".to_string()));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut exercises = Vec::new();
    let mut missing = Problems::new();
    for table in raw.exercises {
        let line = line_of(text, &table.span());
        let raw = table.into_inner();
        if let Some(ex) = exercise(raw, line, text, root, &mut seen, &mut problems) {
            if !root.join(ex.solution_path()).is_file() {
                missing.push((
                    line,
                    format!(
                        "the solution file of `{}` is missing: {}",
                        ex.name,
                        ex.solution_path().display()
                    ),
                ));
            }
            exercises.push(ex);
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.0);
        return Err(problems);
    }
    let course = Course {
        root: root.to_path_buf(),
        layout: Arc::new(Layout::of(root)),
        welcome_message: raw.welcome_message,
        final_message: raw.final_message,
        identical_solution_tests: raw
            .identical_solution_tests
            .unwrap_or_else(|| root.join("exercises").join("Cargo.toml").is_file()),
        exercises,
        missing_solutions: Vec::new(),
    };
    Ok((course, missing))
}

fn exercise(
    raw: RawExercise,
    line: usize,
    text: &str,
    root: &Path,
    seen: &mut HashMap<String, usize>,
    problems: &mut Problems,
) -> Option<Exercise> {
    let before = problems.len();
    let name_line = line_of(text, &raw.name.span());
    let name = raw.name.into_inner();
    if let Some(why) = invalid_name(&name) {
        problems.push((name_line, format!("exercise name `{name}` {why}")));
    } else if let Some(first) = seen.insert(name.clone(), name_line) {
        problems.push((
            name_line,
            format!("duplicate exercise name `{name}` (first used at line {first})"),
        ));
    }
    let dir = raw.dir.map(|d| {
        let dir_line = line_of(text, &d.span());
        let dir = d.into_inner();
        if let Some(why) = invalid_dir(&dir) {
            problems.push((dir_line, format!("dir `{dir}` of exercise `{name}` {why}")));
        }
        dir
    });
    let hints = hints(&name, line, text, raw.hint, raw.hints, problems);
    let timeout = timeout(&name, text, raw.timeout_secs, problems);
    let mode = mode(&name, text, raw.mode, raw.test, problems);
    let features = features(&name, text, raw.features, problems);
    let ex = Exercise {
        name,
        dir,
        mode,
        strict_clippy: raw.strict_clippy,
        hints,
        skip_check_unsolved: raw.skip_check_unsolved,
        timeout: Duration::from_secs(timeout),
        features,
    };
    if problems.len() == before && !root.join(ex.path()).is_file() {
        problems.push((
            line,
            format!(
                "the exercise file of `{}` is missing: {}",
                ex.name,
                ex.path().display()
            ),
        ));
    }
    (problems.len() == before).then_some(ex)
}

/// The cargo features an exercise needs: names cargo accepts, each once.
fn features(
    name: &str,
    text: &str,
    raw: Option<Spanned<Vec<String>>>,
    problems: &mut Problems,
) -> Vec<String> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let line = line_of(text, &raw.span());
    let mut features = raw.into_inner();
    for f in &features {
        let valid = !f.is_empty()
            && f.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/'));
        if !valid {
            problems.push((
                line,
                format!("feature `{f}` of exercise `{name}` is not a cargo feature name"),
            ));
        }
    }
    features.sort();
    features.dedup();
    features
}

/// The exercise's hints, from `hint` (rustlings) or `hints`; exactly one must be given.
fn hints(
    name: &str,
    line: usize,
    text: &str,
    hint: Option<Spanned<String>>,
    hints: Option<Spanned<Vec<String>>>,
    problems: &mut Problems,
) -> Vec<String> {
    match (hint, hints) {
        (Some(h), Some(_)) => {
            problems.push((
                line_of(text, &h.span()),
                format!("exercise `{name}` has both `hint` and `hints`; keep one"),
            ));
            Vec::new()
        }
        (Some(h), None) => {
            let hint_line = line_of(text, &h.span());
            let h = h.into_inner();
            if h.trim().is_empty() {
                problems.push((hint_line, format!("the hint of exercise `{name}` is empty")));
            }
            vec![h.trim().to_string()]
        }
        (None, Some(hs)) => {
            let hints_line = line_of(text, &hs.span());
            let hs = hs.into_inner();
            if hs.is_empty() || hs.iter().any(|h| h.trim().is_empty()) {
                problems.push((
                    hints_line,
                    format!("exercise `{name}` has an empty hint in `hints`"),
                ));
            }
            hs.into_iter().map(|h| h.trim().to_string()).collect()
        }
        (None, None) => {
            problems.push((
                line,
                format!("exercise `{name}` has no hint: add `hint = \"...\"` or `hints = [...]`"),
            ));
            Vec::new()
        }
    }
}

/// The check's deadline in seconds (the default when not given).
fn timeout(
    name: &str,
    text: &str,
    timeout_secs: Option<Spanned<u64>>,
    problems: &mut Problems,
) -> u64 {
    match timeout_secs {
        Some(t) => {
            let secs = *t.get_ref();
            if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
                problems.push((
                    line_of(text, &t.span()),
                    format!("timeout_secs of `{name}` must be between 1 and {MAX_TIMEOUT_SECS}"),
                ));
            }
            secs
        }
        None => DEFAULT_TIMEOUT_SECS,
    }
}

/// The mode: `mode` when given (it must agree with `test = true`), else from `test`.
fn mode(
    name: &str,
    text: &str,
    mode: Option<Spanned<Mode>>,
    test: Option<bool>,
    problems: &mut Problems,
) -> Mode {
    match (mode, test) {
        (Some(m), test) => {
            let mode = *m.get_ref();
            if test == Some(true) && mode != Mode::Test {
                problems.push((
                    line_of(text, &m.span()),
                    format!("exercise `{name}` says `test = true` but its mode is not \"test\""),
                ));
            }
            mode
        }
        (None, Some(false)) => Mode::Run,
        (None, _) => Mode::Test,
    }
}

/// Why `dir` cannot be a chapter folder, if it cannot.
pub fn invalid_dir(dir: &str) -> Option<&'static str> {
    let ok = !dir.is_empty()
        && !dir.starts_with('.')
        && dir
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (!ok).then_some("must be one folder name of [A-Za-z0-9_-]")
}

/// Why `name` cannot name an exercise, if it cannot.
pub fn invalid_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.len() > MAX_NAME_LEN {
        Some("is longer than 32 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Some("may only use a-z, 0-9 and _")
    } else if name.ends_with("_sol") {
        Some("may not end in `_sol` (that suffix names solution bins)")
    } else {
        None
    }
}

#[cfg(test)]
impl Course {
    /// A course of test-mode exercises with these names and nothing else, for unit tests.
    pub fn for_tests(names: &[&str]) -> Course {
        Course {
            root: PathBuf::new(),
            layout: std::sync::Arc::new(crate::layout::Layout::of(Path::new("."))),
            welcome_message: None,
            final_message: None,
            identical_solution_tests: true,
            missing_solutions: Vec::new(),
            exercises: names
                .iter()
                .map(|n| Exercise {
                    name: (*n).to_string(),
                    dir: None,
                    mode: Mode::Test,
                    strict_clippy: false,
                    hints: Vec::new(),
                    skip_check_unsolved: false,
                    timeout: std::time::Duration::from_secs(1),
                    features: Vec::new(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Problems {
        parse(text, Path::new("/nonexistent")).unwrap_err()
    }

    #[test]
    fn syntax_error_names_its_line() {
        let p = problems("format_version = 1\n\n[[exercises]]\nname = \"a\nhint = \"x\"\n");
        assert_eq!(p[0].0, 4, "{p:?}");
    }

    #[test]
    fn unknown_key_names_its_line() {
        let p = problems(
            "format_version = 1\n[[exercises]]\nname = \"a\"\nhint = \"x\"\ntset = true\n",
        );
        assert_eq!(p[0].0, 5, "{p:?}");
        assert!(p[0].1.contains("tset"), "{p:?}");
    }

    #[test]
    fn duplicate_names_point_at_both() {
        let text = "format_version = 1\n[[exercises]]\nname = \"a\"\nhint = \"x\"\n\
                    [[exercises]]\nname = \"a\"\nhint = \"y\"\n";
        let p = problems(text);
        assert!(
            p.iter().any(|(l, m)| *l == 6 && m.contains("line 3")),
            "{p:?}"
        );
    }

    #[test]
    fn empty_hint_and_bad_name_are_errors() {
        let text = "format_version = 1\n[[exercises]]\nname = \"Bad-Name\"\nhint = \"x\"\n\
                    [[exercises]]\nname = \"ok\"\nhints = [\"a\", \" \"]\n";
        let p = problems(text);
        assert!(p.iter().any(|(l, m)| *l == 3 && m.contains("a-z")), "{p:?}");
        assert!(
            p.iter().any(|(l, m)| *l == 7 && m.contains("empty hint")),
            "{p:?}"
        );
    }

    #[test]
    fn a_rustlings_v6_course_file_parses() {
        // Every key a rustlings v6 community course uses, in its own layout and style.
        let root = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .join("asyncling-rustlings-format");
        for (dir, name) in [
            ("00_intro", "intro1"),
            ("01_vars", "variables1"),
            ("", "quiz1"),
        ] {
            for top in ["exercises", "solutions"] {
                let d = root.join(top).join(dir);
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(d.join(format!("{name}.rs")), "fn main() {}\n").unwrap();
            }
        }
        let text = r#"format_version = 1

welcome_message = """Is this your first time?"""
final_message = "Done!"

[[exercises]]
name = "intro1"
dir = "00_intro"
test = false
skip_check_unsolved = true
hint = """
Enter `n` to move on."""

[[exercises]]
name = "variables1"
dir = "01_vars"
test = false
strict_clippy = true
hint = "Declare it with `let`."

[[exercises]]
name = "quiz1"
hint = "No hints this time ;)"
"#;
        let (course, _) = parse(text, &root).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(course.exercises.len(), 3);
        assert_eq!(course.exercises[0].mode, Mode::Run);
        assert!(course.exercises[0].skip_check_unsolved);
        assert!(course.exercises[1].strict_clippy);
        assert_eq!(course.exercises[2].mode, Mode::Test);
        assert_eq!(
            course.exercises[2].path(),
            PathBuf::from("exercises/quiz1.rs")
        );
        assert_eq!(course.final_message.as_deref(), Some("Done!"));
    }

    #[test]
    fn missing_files_are_reported_at_the_exercise() {
        let p = problems(
            "format_version = 1\n[[exercises]]\nname = \"a\"\ndir = \"d\"\nhint = \"x\"\n",
        );
        assert!(
            p.iter()
                .any(|(l, m)| *l == 2 && m.contains("exercises/d/a.rs")),
            "{p:?}"
        );
    }
}
