//! The shipped version of each exercise, and `reset`.
//!
//! In a git checkout, what the course shipped is the committed version of the file (`git show
//! HEAD:<path>`): an exercise edited before the first checker command, or updated by a `git pull`,
//! is restored as the course has it now. Outside git, the first time the checker sees an exercise
//! it keeps a copy of the file in `.asyncling/shipped/`, and `reset` restores that. Either way
//! the learner's version is saved to `.asyncling/backups/` first, so no work is ever lost.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::course::{Course, Exercise};
use crate::process::{self, Options};

/// Where the restored version came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The version committed in git (HEAD).
    Git,
    /// The copy the checker kept the first time it saw the exercise.
    FirstSeen,
}

impl Source {
    /// Where the shipped version came from, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Source::Git => "the version committed in git, HEAD",
            Source::FirstSeen => {
                "the copy asyncling kept when it first saw the file; this is not a git checkout"
            }
        }
    }
}

pub struct Reset {
    /// The learner's version, saved; `None` when the file was already as shipped.
    pub backup: Option<PathBuf>,
    pub source: Source,
}

fn shipped_copy(course: &Course, ex: &Exercise) -> PathBuf {
    course.layout.state_dir.join("shipped").join(ex.path())
}

/// Keeps a copy of every exercise the checker has not seen before.
pub fn remember_all(course: &Course) -> Result<()> {
    for ex in &course.exercises {
        let copy = shipped_copy(course, ex);
        if copy.exists() {
            continue;
        }
        if let Some(dir) = copy.parent() {
            fs::create_dir_all(dir)
                .with_context(|| format!("Failed to create {}", dir.display()))?;
        }
        let source = course.root.join(ex.path());
        fs::copy(&source, &copy).with_context(|| {
            format!(
                "Failed to keep the shipped copy of {} in {}",
                source.display(),
                copy.display()
            )
        })?;
    }
    Ok(())
}

/// The committed version of the exercise, when the course is a git checkout that has it.
fn committed(course: &Course, ex: &Exercise) -> Option<Vec<u8>> {
    let mut cmd = Command::new("git");
    cmd.current_dir(&course.root)
        .arg("show")
        .arg(format!("HEAD:./{}", ex.path().display()));
    let shown = process::run(
        cmd,
        &Options {
            timeout: Some(Duration::from_secs(30)),
            separate_stdout: true,
            cancel: None,
            on_line: None,
        },
    )
    .ok()?;
    shown.ending.success().then_some(shown.stdout)
}

/// What the course shipped, and where that came from.
fn shipped(course: &Course, ex: &Exercise) -> Result<(Vec<u8>, Source)> {
    if let Some(bytes) = committed(course, ex) {
        return Ok((bytes, Source::Git));
    }
    let copy = shipped_copy(course, ex);
    match fs::read(&copy) {
        Ok(bytes) => Ok((bytes, Source::FirstSeen)),
        Err(_) => bail!(
            "No shipped copy of `{}` was kept (expected {}) and the course is not a git checkout \
             that has it",
            ex.name,
            copy.display()
        ),
    }
}

/// Restores the shipped file, after saving the learner's version.
pub fn reset(course: &Course, ex: &Exercise) -> Result<Reset> {
    let (shipped, source) = shipped(course, ex)?;
    let target = course.root.join(ex.path());
    let current = fs::read(&target).ok();
    if current.as_deref() == Some(&shipped[..]) {
        return Ok(Reset {
            backup: None,
            source,
        });
    }
    let backup = match current {
        Some(bytes) => {
            let dir = course.layout.state_dir.join("backups");
            fs::create_dir_all(&dir)
                .with_context(|| format!("Failed to create {}", dir.display()))?;
            let stamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let backup = dir.join(format!("{}-{stamp}.rs", ex.name));
            fs::write(&backup, bytes)
                .with_context(|| format!("Failed to write the backup {}", backup.display()))?;
            Some(backup)
        }
        None => None,
    };
    // Write beside the target and rename, so an editor never sees a half-written file.
    let tmp = target.with_extension("rs.asyncling-tmp");
    fs::write(&tmp, &shipped).with_context(|| format!("Failed to write {}", tmp.display()))?;
    fs::rename(&tmp, &target).with_context(|| format!("Failed to restore {}", target.display()))?;
    Ok(Reset { backup, source })
}

/// `reset`: restores the shipped file, then forgets the exercise's progress (not done, no hints
/// shown). The progress is forgotten only once the file is restored.
pub fn reset_and_forget(
    course: &Course,
    store: &crate::state::Store,
    ex: &Exercise,
) -> Result<Reset> {
    let reset = reset(course, ex)?;
    store.update(|p| p.forget(&ex.name))?;
    Ok(reset)
}
