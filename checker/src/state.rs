//! The learner's progress: the current exercise and the set of exercises done, kept in
//! `.asyncling/state.json`. Every change is read-modify-write under an exclusive file lock and
//! lands by atomic rename, so two checkers at once (watch in one terminal, `run` in another)
//! never corrupt it, and a crash mid-write leaves the previous state intact.
//!
//! A file that cannot be read is never dropped silently: it is kept under a timestamped name
//! (earlier copies stay), and the repair is announced by whichever command made it. A store hands
//! its notices to the caller (`take_notices`, for watch's screen); any not taken are printed as
//! warnings when the store is dropped, so no command can forget to tell.
//!
//! This module owns the progress rules too (`Progress`'s methods: record a verdict, move on to the
//! next exercise, count hints, forget): front ends call them inside `Store::update` and never
//! change the fields themselves. `shipped::reset_and_forget` pairs a reset with `forget`.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::course::Course;

use crate::layout::STATE_DIR;
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

/// The progress rules, in one place. Every front end (`run`, `hint`, `reset`, `verify`, watch)
/// changes the progress only through these, inside `Store::update`, so they cannot drift apart.
///
/// **The next exercise** is the first one not done *after* the current one in course order,
/// wrapping round to the start (the current one itself comes last). The course moves there when
/// the current exercise becomes done: `run` passing it, `verify` or watch's check-all finding it
/// passes. An exercise checked elsewhere in the course never moves the current one.
///
/// **Hints** are counted as levels shown, from 0 (none yet) to the exercise's number of hints;
/// asking for a hint shows level `shown + 1`.
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

    /// The next exercise after `from`: the first one not done after it, wrapping round, `from`
    /// itself last. `None` when every exercise is done.
    pub fn next_pending(&self, course: &Course, from: usize) -> Option<usize> {
        let n = course.exercises.len();
        (1..=n)
            .map(|k| (from + k) % n)
            .find(|&j| !self.is_done(&course.exercises[j].name))
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.done.contains(name)
    }

    /// Records a check's verdict: a pass is done, a failure is not (any more).
    pub fn record(&mut self, name: &str, passed: bool) {
        if passed {
            self.done.insert(name.to_string());
        } else {
            self.done.remove(name);
        }
    }

    /// Applies the one rule for moving on: when the current exercise is done, the current one
    /// becomes the next exercise (with none set: the first one not done). Returns whether it moved.
    pub fn advance(&mut self, course: &Course) -> bool {
        let current_done = self.current.as_ref().is_none_or(|c| self.is_done(c));
        if !current_done {
            return false;
        }
        // With none set, the current exercise was the first one not done, so the next one is
        // the first one not done now.
        let from = self
            .current
            .as_deref()
            .and_then(|name| course.exercises.iter().position(|e| e.name == name));
        let next = match from {
            Some(i) => self.next_pending(course, i),
            None => self.first_pending(course),
        }
        .map(|i| course.exercises[i].name.clone());
        let moved = next != self.current;
        self.current = next;
        moved
    }

    /// Makes `name` the current exercise (the learner went there).
    pub fn go_to(&mut self, name: &str) {
        self.current = Some(name.to_string());
    }

    /// How many of `name`'s hints have been shown (0 when none).
    pub fn hints_shown(&self, name: &str) -> usize {
        self.hints_shown.get(name).copied().unwrap_or(0)
    }

    /// The hint level that asking for a hint shows next: one more than shown, at most `total`.
    pub fn next_hint(&self, name: &str, total: usize) -> usize {
        (self.hints_shown(name) + 1).min(total)
    }

    /// Counts `name`'s hints up to `level` as shown (never fewer than before).
    pub fn hints_seen(&mut self, name: &str, level: usize) {
        let shown = self.hints_shown.entry(name.to_string()).or_insert(0);
        *shown = (*shown).max(level);
    }

    /// Forgets everything about `name` (after a reset): not done, no hints shown.
    pub fn forget(&mut self, name: &str) {
        self.done.remove(name);
        self.hints_shown.remove(name);
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

    #[test]
    fn the_next_exercise_is_the_first_pending_after_the_current_one() {
        let course = Course::for_tests(&["a", "b", "c", "d"]);
        let mut p = Progress {
            current: Some("c".into()),
            ..Progress::default()
        };
        p.record("a", true);
        // Another exercise passing does not move the course.
        assert!(!p.advance(&course));
        p.record("c", true);
        assert!(p.advance(&course));
        assert_eq!(p.current.as_deref(), Some("d"));
        p.record("d", true);
        p.advance(&course);
        // Wraps round to the start.
        assert_eq!(p.current.as_deref(), Some("b"));
        p.record("b", true);
        p.advance(&course);
        assert_eq!(p.current, None);
    }

    #[test]
    fn hints_count_levels_shown_from_zero() {
        let mut p = Progress::default();
        assert_eq!(p.hints_shown("a"), 0);
        assert_eq!(p.next_hint("a", 2), 1);
        p.hints_seen("a", 1);
        assert_eq!(p.next_hint("a", 2), 2);
        p.hints_seen("a", 2);
        assert_eq!(p.next_hint("a", 2), 2);
        p.hints_seen("a", 1);
        assert_eq!(p.hints_shown("a"), 2);
        p.record("a", true);
        p.forget("a");
        assert!(!p.is_done("a"));
        assert_eq!(p.hints_shown("a"), 0);
    }
}
