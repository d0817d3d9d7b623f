//! `asyncling dev`: tools for course authors. The exercise package lists one `[[bin]]` for every
//! exercise and one for its solution, in info.toml's order; `update` writes that list from
//! info.toml, `check` fails when it is stale, and `new` scaffolds an exercise with its solution,
//! its info.toml entry and its bins.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::course::{self, Course, Exercise, INFO_FILE};

/// Where the generated bin list starts: everything above it is the author's.
const MARKER: &str = "# ---- ";

/// The exercise package's manifest, when it is the one this tool manages.
fn manifest(course: &Course) -> Result<PathBuf> {
    let path = course.root.join("exercises").join("Cargo.toml");
    if !path.is_file() {
        bail!(
            "asyncling dev manages exercises/Cargo.toml, and this course has none: its bins live in \
             the root Cargo.toml (the rustlings layout), which rustlings' own tooling maintains"
        );
    }
    Ok(path)
}

/// The bin list info.toml implies, one chapter marker before each chapter's first exercise.
pub fn bins_text(exercises: &[Exercise]) -> String {
    let mut out = String::new();
    let mut chapter: Option<&str> = None;
    for ex in exercises {
        if chapter != Some(ex.chapter()) {
            chapter = Some(ex.chapter());
            let label = if ex.chapter().is_empty() {
                "(no folder)"
            } else {
                ex.chapter()
            };
            out.push_str(&format!("{MARKER}{label} ----\n"));
        }
        let rel = |top: &str| {
            let mut p = PathBuf::from(top);
            if let Some(dir) = &ex.dir {
                p.push(dir);
            }
            p.push(format!("{}.rs", ex.name));
            p.display().to_string()
        };
        for (bin, path) in [
            (ex.name.clone(), rel("")),
            (ex.solution_bin(), rel("../solutions")),
        ] {
            out.push_str(&format!("[[bin]]\nname = {bin:?}\npath = {path:?}\n"));
            if !ex.features.is_empty() {
                let list: Vec<String> = ex.features.iter().map(|f| format!("{f:?}")).collect();
                out.push_str(&format!("required-features = [{}]\n", list.join(", ")));
            }
        }
    }
    out
}

/// The author's part of the manifest: everything before the first chapter marker (or bin).
fn header(text: &str) -> &str {
    let cut = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain([0])
        .filter(|&i| {
            let rest = &text[i..];
            rest.starts_with(MARKER) || rest.starts_with("[[bin]]")
        })
        .min()
        .unwrap_or(text.len());
    &text[..cut]
}

fn expected(course: &Course, current: &str) -> String {
    format!("{}{}", header(current), bins_text(&course.exercises))
}

/// Rewrites the bin list; returns whether anything changed.
pub fn update(course: &Course) -> Result<bool> {
    let path = manifest(course)?;
    let current = read(&path)?;
    let want = expected(course, &current);
    if want == current {
        return Ok(false);
    }
    fs::write(&path, want).with_context(|| format!("Failed to write {}", path.display()))?;
    Ok(true)
}

/// `None` when the bin list matches info.toml, otherwise what differs, in words.
pub fn check(course: &Course) -> Result<Option<String>> {
    let path = manifest(course)?;
    let current = read(&path)?;
    let want = expected(course, &current);
    if want == current {
        return Ok(None);
    }
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("name = "))
            .map(|n| n.trim_matches('"').to_string())
            .collect()
    };
    let have = names(&current[header(&current).len()..]);
    let need = names(&bins_text(&course.exercises));
    let missing: Vec<&String> = need.iter().filter(|n| !have.contains(n)).collect();
    let extra: Vec<&String> = have.iter().filter(|n| !need.contains(n)).collect();
    let mut what = format!("{} does not match {INFO_FILE}:", rel(course, &path));
    if !missing.is_empty() {
        what.push_str(&format!("\n  missing bins: {}", join(&missing)));
    }
    if !extra.is_empty() {
        what.push_str(&format!("\n  bins of no exercise: {}", join(&extra)));
    }
    if missing.is_empty() && extra.is_empty() {
        what.push_str("\n  the bins are not in the course's order, or not in the generated form");
    }
    what.push_str(&format!(
        "\nRun `{} dev update` to write the bins from info.toml.",
        crate::term::cmd()
    ));
    Ok(Some(what))
}

/// Scaffolds exercise `name` in chapter `dir`: the exercise and solution files, the lesson when
/// the chapter is new, the info.toml entry after the chapter's last exercise, and the bins.
/// Returns the files written.
pub fn new(course: &Course, name: &str, dir: &str) -> Result<Vec<PathBuf>> {
    let manifest_path = manifest(course)?;
    if let Some(why) = course::invalid_name(name) {
        bail!("exercise name `{name}` {why}");
    }
    if let Some(why) = course::invalid_dir(dir) {
        bail!("chapter `{dir}` {why}");
    }
    if course.exercises.iter().any(|e| e.name == name) {
        bail!("an exercise named `{name}` already exists");
    }
    let mut written = Vec::new();
    let exercise = Path::new("exercises").join(dir).join(format!("{name}.rs"));
    let solution = Path::new("solutions").join(dir).join(format!("{name}.rs"));
    let lesson = Path::new("exercises").join(dir).join("README.md");
    for file in [&exercise, &solution] {
        if course.root.join(file).exists() {
            bail!("{} already exists; not overwriting it", file.display());
        }
    }
    let body = template(name);
    for file in [&exercise, &solution] {
        write_new(&course.root.join(file), &body)?;
        written.push(file.clone());
    }
    if !course.root.join(&lesson).exists() {
        write_new(
            &course.root.join(&lesson),
            &format!(
                "# {dir}\n\nThe idea in plain words, the pitfall this chapter's exercises catch, \
                 and what comes next.\n"
            ),
        )?;
        written.push(lesson);
    }
    let info = course.root.join(INFO_FILE);
    let text = read(&info)?;
    fs::write(&info, insert_entry(&text, name, dir))
        .with_context(|| format!("Failed to write {}", info.display()))?;
    written.push(PathBuf::from(INFO_FILE));
    // Load the course again so the bins follow the new entry.
    let course = Course::load(&course.root)?;
    update(&course)?;
    written.push(PathBuf::from(rel(&course, &manifest_path)));
    Ok(written)
}

/// A GitHub Classroom autograding workflow with one graded step per chapter, worth one point per
/// exercise: each step passes when `cargo course verify --chapter DIR` does.
pub fn classroom(course: &Course) -> String {
    let mut chapters: Vec<(&str, usize)> = Vec::new();
    for ex in &course.exercises {
        match chapters.last_mut() {
            Some((c, n)) if *c == ex.chapter() => *n += 1,
            _ => chapters.push((ex.chapter(), 1)),
        }
    }
    let id = |c: &str| format!("ch-{}", c.replace('_', "-").to_lowercase());
    let mut out = String::from(CLASSROOM_HEAD);
    for (chapter, count) in &chapters {
        out.push_str(&format!(
            "      - name: {chapter}\n        id: {}\n        uses: \
             classroom-resources/autograding-command-grader@v1\n        with:\n          \
             test-name: {chapter}\n          command: cargo course verify --chapter {chapter}\n          \
             timeout: 10\n          max-score: {count}\n",
            id(chapter)
        ));
    }
    out.push_str(
        "      - name: Autograding Reporter\n        uses: \
         classroom-resources/autograding-grading-reporter@v1\n        env:\n",
    );
    for (chapter, _) in &chapters {
        let id = id(chapter);
        out.push_str(&format!(
            "          {}_RESULTS: \"${{{{steps.{id}.outputs.result}}}}\"\n",
            id.to_uppercase()
        ));
    }
    let runners: Vec<String> = chapters.iter().map(|(c, _)| id(c)).collect();
    out.push_str(&format!(
        "        with:\n          runners: {}\n",
        runners.join(",")
    ));
    out
}

const CLASSROOM_HEAD: &str = "\
# GitHub Classroom autograding for this course: one graded step per chapter, worth one point per
# exercise. Copy this file to .github/workflows/classroom.yml in the assignment's template
# repository (see docs/CLASSROOM.md). Each step runs `cargo course verify --chapter DIR`, which
# exits 0 only when every exercise of that chapter passes. Written by `asyncling dev classroom`.
name: Autograding Tests

on:
  - push
  - repository_dispatch

permissions:
  checks: write
  actions: read
  contents: read

jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Cache cargo's downloads and target directory
        uses: actions/cache@v4
        with:
          path: |
            ~/.cargo/registry/index
            ~/.cargo/registry/cache
            target
          key: classroom-${{ runner.os }}-${{ hashFiles('Cargo.lock') }}-${{ github.sha }}
          restore-keys: classroom-${{ runner.os }}-${{ hashFiles('Cargo.lock') }}-
      - name: Clippy, and the checker built once
        run: rustup component add clippy && cargo course list > /dev/null
";

fn template(name: &str) -> String {
    format!(
        "// {name}: <one line: what the learner builds>\n\
         //\n\
         // <What to change, what not to touch, the concept in two or three lines.>\n\
         \n\
         // TODO: <what to do here>\n\
         fn answer() -> u32 {{\n\
         \x20   todo!(\"write the exercise\")\n\
         }}\n\
         \n\
         fn main() {{}}\n\
         \n\
         #[cfg(test)]\n\
         mod tests {{\n\
         \x20   use super::*;\n\
         \n\
         \x20   // Name each test after the wrong answer it rejects.\n\
         \x20   #[test]\n\
         \x20   fn a_plausible_wrong_answer_is_rejected() {{\n\
         \x20       assert_eq!(answer(), 42);\n\
         \x20   }}\n\
         }}\n"
    )
}

/// info.toml with a new entry after the last exercise of chapter `dir` (at the end for a new
/// chapter). The text is edited, not re-serialised, so the author's comments and layout stay.
fn insert_entry(text: &str, name: &str, dir: &str) -> String {
    let entry = format!(
        "[[exercises]]\nname = \"{name}\"\ndir = \"{dir}\"\nhints = [\n  \"A nudge towards the \
         idea, in words.\",\n  \"The last hint may show code.\",\n]\n"
    );
    let starts: Vec<usize> = text
        .match_indices("[[exercises]]")
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || text[..i].ends_with('\n'))
        .collect();
    let dir_line = format!("dir = \"{dir}\"");
    let mut after: Option<usize> = None;
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        if text[start..end].lines().any(|l| l.trim() == dir_line) {
            // The end of this entry's own lines: before the blank lines and comments that
            // belong to the next one.
            let mut own: Vec<&str> = text[start..end].lines().collect();
            while own
                .last()
                .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            {
                own.pop();
            }
            let len: usize = own.iter().map(|l| l.len() + 1).sum();
            after = Some((start + len - 1).min(text.len()));
        }
    }
    match after {
        Some(at) => format!("{}\n\n{}{}", &text[..at], entry.trim_end(), &text[at..]),
        None => format!("{}\n\n{entry}", text.trim_end()),
    }
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    }
    fs::write(path, text).with_context(|| format!("Failed to write {}", path.display()))
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("Failed to read {}", path.display()))
}

fn rel(course: &Course, path: &Path) -> String {
    path.strip_prefix(&course.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "format_version = 1\n\n[[exercises]]\nname = \"a1\"\ndir = \"a\"\nhint = \"x\"\n\n\
                        # chapter b\n[[exercises]]\nname = \"b1\"\ndir = \"b\"\nhint = \"y\"\n";

    #[test]
    fn a_new_exercise_goes_after_its_chapter_and_before_the_next_chapters_comment() {
        let out = insert_entry(INFO, "a2", "a");
        let a2 = out.find("name = \"a2\"").unwrap();
        assert!(out.find("name = \"a1\"").unwrap() < a2);
        assert!(a2 < out.find("# chapter b").unwrap(), "{out}");
        assert!(out.parse::<toml::Table>().is_ok(), "{out}");
    }

    #[test]
    fn a_new_chapter_goes_at_the_end() {
        let out = insert_entry(INFO, "c1", "c");
        assert!(out.find("name = \"c1\"").unwrap() > out.find("name = \"b1\"").unwrap());
        assert!(out.parse::<toml::Table>().is_ok(), "{out}");
    }

    #[test]
    fn the_header_ends_at_the_first_marker_or_bin() {
        assert_eq!(header("[package]\n# ---- a ----\n[[bin]]\n"), "[package]\n");
        assert_eq!(header("[package]\n[[bin]]\n"), "[package]\n");
        assert_eq!(header("[package]\n"), "[package]\n");
    }
}
