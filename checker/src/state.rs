//! The learner's progress: the current exercise and the set of exercises done, kept in
//! `.asyncling/state.json`. Every change is read-modify-write under an exclusive file lock and
//! lands by atomic rename, so two checkers at once (watch in one terminal, `run` in another)
//! never corrupt it, and a crash mid-write leaves the previous state intact.
//!
//! A file that cannot be read is never dropped silently: it is kept under a timestamped name
//! (earlier copies stay), and the repair is announced by whichever command made it. A store hands
//! its notices to the caller (`take_notices`, for watch's screen); any not taken are printed as
//! warnings when the store is dropped, so no command can forget to tell.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::course::Course;

pub const STATE_DIR: &str = ".asyncling";
const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "state.lock";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Progress {
    pub current: Option<String>,
    pub done: BTreeSet<String>,
    /// Exercises whose hints were asked for: name -> hint levels shown so far.
    #[serde(default)]
    pub hints_shown: std::collections::BTreeMap<String, usize>,
}

impl Progress {
    /// The current exercise's index, falling back to the first one not done.
    pub fn current_index(&self, course: &Course) -> usize {
        self.current
            .as_deref()
            .and_then(|name| course.exercises.iter().position(|e| e.name == name))
            .unwrap_or_else(|| self.first_pending(course).unwrap_or(0))
    }

    pub fn first_pending(&self, course: &Course) -> Option<usize> {
        course
            .exercises
            .iter()
            .position(|e| !self.done.contains(&e.name))
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.done.contains(name)
    }
}

/// Set when the checker is stopping (a signal): results of checks it kills are not progress.
static FROZEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, no change to the progress is saved.
pub fn freeze() {
    FROZEN.store(true, std::sync::atomic::Ordering::SeqCst);
}

pub struct Store {
    dir: PathBuf,
    notices: std::sync::Mutex<Vec<String>>,
}

impl Drop for Store {
    fn drop(&mut self) {
        for notice in self.take_notices() {
            crate::term::warn(&notice);
        }
    }
}

impl Store {
    pub fn new(course_root: &Path) -> Store {
        Store {
            dir: course_root.join(STATE_DIR),
            notices: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// What the store repaired since last asked (each to be shown to the learner once).
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn notice(&self, text: String) {
        self.notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text);
    }

    fn path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    fn lock(&self) -> Result<File> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("Failed to create {}", self.dir.display()))?;
        let lock_path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("Failed to open {}", lock_path.display()))?;
        file.lock()
            .with_context(|| format!("Failed to lock {}", lock_path.display()))?;
        Ok(file)
    }

    /// Reads the progress. A missing file is a fresh start; an unreadable one is moved aside (not
    /// deleted) and announced.
    pub fn load(&self) -> Result<Progress> {
        let _guard = self.lock()?;
        self.read_locked()
    }

    fn read_locked(&self) -> Result<Progress> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Progress::default());
            }
            Err(e) => return Err(e).with_context(|| format!("Failed to read {}", path.display())),
        };
        match serde_json::from_slice::<Progress>(&bytes) {
            Ok(p) => Ok(p),
            Err(err) => {
                let aside = self.set_aside(&path)?;
                self.notice(format!(
                    "The progress file {} could not be read ({err}); it was moved to {} and \
                     progress starts again from the first exercise. `{} verify` marks \
                     every exercise that passes as done again.",
                    path.display(),
                    aside.display(),
                    crate::term::cmd()
                ));
                Ok(Progress::default())
            }
        }
    }

    /// Moves an unreadable state file to a name of its own, never over an earlier copy.
    fn set_aside(&self, path: &Path) -> Result<PathBuf> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut aside = self.dir.join(format!("{STATE_FILE}.corrupt-{stamp}"));
        let mut n = 1;
        while aside.exists() {
            aside = self.dir.join(format!("{STATE_FILE}.corrupt-{stamp}-{n}"));
            n += 1;
        }
        fs::rename(path, &aside)
            .with_context(|| format!("Failed to move {} aside", path.display()))?;
        Ok(aside)
    }

    /// Applies `change` to the latest progress on disk, under the lock, and saves it.
    pub fn update(&self, change: impl FnOnce(&mut Progress)) -> Result<Progress> {
        let _guard = self.lock()?;
        if FROZEN.load(std::sync::atomic::Ordering::SeqCst) {
            anyhow::bail!("the checker is stopping");
        }
        let mut progress = self.read_locked()?;
        change(&mut progress);
        self.write_locked(&progress)?;
        Ok(progress)
    }

    fn write_locked(&self, progress: &Progress) -> Result<()> {
        let path = self.path();
        let tmp = self
            .dir
            .join(format!("{STATE_FILE}.{}.tmp", std::process::id()));
        let json = serde_json::to_vec_pretty(progress).context("Failed to encode progress")?;
        let mut f =
            File::create(&tmp).with_context(|| format!("Failed to write {}", tmp.display()))?;
        f.write_all(&json)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("Failed to write {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("Failed to replace {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("asyncling-state-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn concurrent_updates_lose_nothing() {
        let dir = temp_dir("concurrent");
        std::thread::scope(|s| {
            for t in 0..4 {
                let dir = &dir;
                s.spawn(move || {
                    let store = Store::new(dir);
                    for i in 0..25 {
                        store
                            .update(|p| {
                                p.done.insert(format!("t{t}_{i}"));
                            })
                            .unwrap();
                    }
                });
            }
        });
        let store = Store::new(&dir);
        let p = store.load().unwrap();
        assert!(store.take_notices().is_empty());
        assert_eq!(p.done.len(), 100);
    }

    #[test]
    fn corrupt_file_is_moved_aside_with_a_warning() {
        let dir = temp_dir("corrupt");
        fs::create_dir_all(dir.join(STATE_DIR)).unwrap();
        fs::write(dir.join(STATE_DIR).join(STATE_FILE), b"{\"current\": tru").unwrap();
        let store = Store::new(&dir);
        assert_eq!(store.load().unwrap(), Progress::default());
        let notices = store.take_notices();
        assert!(notices[0].contains("could not be read"), "{notices:?}");
        // A second corruption keeps the first copy.
        fs::write(dir.join(STATE_DIR).join(STATE_FILE), b"{").unwrap();
        store.load().unwrap();
        let copies = fs::read_dir(dir.join(STATE_DIR))
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().starts_with("state.json.corrupt-")
            })
            .count();
        assert_eq!(copies, 2);
    }
}
