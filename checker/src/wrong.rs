//! The wrong-answer corpus: plausible wrong solutions a course author keeps beside the course, so
//! `verify --solutions` can prove that each exercise's tests reject them.
//!
//! Layout: `wrong/<dir>/<name>/<mistake>.rs` at the course root, one file per mistake, named
//! after it. A wrong answer has the exercise's tests (byte for byte), compiles, and must fail at
//! the test step within [`LIMIT`]: a wrong answer that is only caught by the checker's deadline
//! teaches the learner to wait, not to think.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use crate::course::{Course, Exercise};

pub const FOLDER: &str = "wrong";
/// How long a wrong answer's tests may run before it counts as a hang.
pub const LIMIT: Duration = Duration::from_secs(2);

/// One wrong answer of an exercise.
pub struct WrongAnswer {
    /// The file's stem: the mistake, in a few words joined by `_`.
    pub mistake: String,
    /// Relative to the course root.
    pub file: PathBuf,
}

/// The exercise's wrong answers, sorted by name. A file whose stem cannot be part of a module
/// name is still returned; checking it reports the problem.
pub fn of(course: &Course, ex: &Exercise) -> Vec<WrongAnswer> {
    let mut rel = PathBuf::from(FOLDER);
    if let Some(dir) = &ex.dir {
        rel.push(dir);
    }
    rel.push(&ex.name);
    let Ok(entries) = fs::read_dir(course.root.join(&rel)) else {
        return Vec::new();
    };
    let mut found: Vec<WrongAnswer> = entries
        .flatten()
        .map(|e| PathBuf::from(e.file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| {
            let mistake = p.file_stem()?.to_string_lossy().into_owned();
            Some(WrongAnswer {
                file: rel.join(&p),
                mistake,
            })
        })
        .collect();
    found.sort_by(|a, b| a.mistake.cmp(&b.mistake));
    found
}

/// Why `mistake` cannot name a wrong answer, if it cannot.
pub fn invalid_mistake(mistake: &str) -> Option<&'static str> {
    let ok = !mistake.is_empty()
        && mistake
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (!ok).then_some("a wrong answer's file name must be [a-z0-9_]+.rs")
}

/// The module name a wrong answer gets inside a batch crate (it has no bin of its own).
pub fn module_name(ex: &Exercise, mistake: &str) -> String {
    format!("{}__wrong__{mistake}", ex.name)
}
