//! The shipped version of each exercise, and `reset`.
//!
//! The first time the checker sees an exercise it keeps a copy of the file as shipped in
//! `.asyncling/shipped/`. `reset` restores that copy, after saving the learner's version to
//! `.asyncling/backups/`, so no work is ever lost.

use std::fs;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::course::{Course, Exercise};
use crate::state::STATE_DIR;

fn shipped_copy(course: &Course, ex: &Exercise) -> PathBuf {
    course.root.join(STATE_DIR).join("shipped").join(ex.path())
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

/// Restores the shipped file. Returns the backup of the learner's version, or `None` when the
/// file was already as shipped.
pub fn reset(course: &Course, ex: &Exercise) -> Result<Option<PathBuf>> {
    let copy = shipped_copy(course, ex);
    let shipped = match fs::read(&copy) {
        Ok(bytes) => bytes,
        Err(_) => bail!(
            "No shipped copy of `{}` was kept (expected {}); restore it from version control, \
             e.g. `git checkout -- {}`",
            ex.name,
            copy.display(),
            ex.path().display()
        ),
    };
    let target = course.root.join(ex.path());
    let current = fs::read(&target).ok();
    if current.as_deref() == Some(&shipped[..]) {
        return Ok(None);
    }
    let backup = match current {
        Some(bytes) => {
            let dir = course.root.join(STATE_DIR).join("backups");
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
    Ok(backup)
}
