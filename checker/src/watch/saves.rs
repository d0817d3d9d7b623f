//! Save detection: a file watcher (the platform's notifications, else polling, else none: the
//! learner presses `r`), and the rule for what counts as a save. Watchers report reads and
//! attribute changes too (the compiler opening the file is one); only new content is a save. A
//! save of a file the exercise declares with `#[path]` (an earlier step of a project) counts as
//! a save of the exercise.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, SystemTime};

use notify_debouncer_mini::notify::{self, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer, new_debouncer_opt};

use super::Event;
use crate::includes;

/// Short, because every millisecond here is added to save → result. Editors that write a file in
/// several steps finish well within it.
const DEBOUNCE: Duration = Duration::from_millis(10);
const POLL_INTERVAL: Duration = Duration::from_millis(300);

type Stamp = (u64, SystemTime);

#[derive(Default)]
pub struct Saves {
    /// Whether saves are watched at all (else only `r` checks).
    pub watching: bool,
    /// What the last check started from, per file: the exercise's file and every file it
    /// declares with `#[path]` (a project's earlier steps), since a save of any of them changes
    /// what the check compiles.
    files: HashMap<PathBuf, Seen>,
}

#[derive(Default)]
struct Seen {
    /// Hash of the file's content when the last check started.
    checked_content: Option<u64>,
    /// Size and modification time of the file when it was last read. Reading a file is itself an
    /// event for the watcher, so the content is read only when these changed; `stat` is silent.
    read_stamp: Option<Stamp>,
}

impl Saves {
    pub fn new(watching: bool) -> Saves {
        Saves {
            watching,
            ..Saves::default()
        }
    }

    /// The watcher reported `changed`: is any of it new content, in `file` or in a file `file`
    /// declares, since the last check of `file` started?
    pub fn is_new_save(&mut self, file: &Path, changed: &[PathBuf]) -> bool {
        let mut new = false;
        for part in parts(file) {
            if !changed.contains(&part) {
                continue;
            }
            let seen = self.files.entry(part.clone()).or_default();
            let stamp = stamp(&part);
            if stamp == seen.read_stamp {
                continue;
            }
            seen.read_stamp = stamp;
            new |= content_hash(&part) != seen.checked_content;
        }
        new
    }

    /// A check of `file` starts: the content of its files now is what the result will describe.
    pub fn checking(&mut self, file: &Path) {
        self.files = parts(file)
            .into_iter()
            .map(|part| {
                let seen = Seen {
                    read_stamp: stamp(&part),
                    checked_content: content_hash(&part),
                };
                (part, seen)
            })
            .collect();
    }
}

/// `file` (canonical, as the watcher reports paths) and the files it declares with `#[path]`.
fn parts(file: &Path) -> Vec<PathBuf> {
    let own = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    std::iter::once(own).chain(includes::of(file)).collect()
}

fn stamp(file: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(file).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

fn content_hash(file: &Path) -> Option<u64> {
    let bytes = std::fs::read(file).ok()?;
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    Some(h.finish())
}

/// Watches the exercises with the platform's notifications; if they cannot start (inotify limits,
/// a network filesystem), polls instead; if even that fails, checks only when asked.
pub fn start_watcher(
    dir: &Path,
    tx: Sender<Event>,
) -> (Option<Box<dyn std::any::Any>>, Option<String>) {
    let handler = move |result: DebounceEventResult| {
        let _ = match result {
            Ok(events) => tx.send(Event::Changed(events.into_iter().map(|e| e.path).collect())),
            Err(e) => tx.send(Event::WatchFailed(e.to_string())),
        };
    };
    let forced_poll = std::env::var_os("ASYNCLING_POLL").is_some();
    let native = if forced_poll {
        Err("polling was asked for (ASYNCLING_POLL)".to_string())
    } else {
        new_debouncer(DEBOUNCE, handler.clone())
            .map_err(|e| e.to_string())
            .and_then(|mut d| {
                d.watcher()
                    .watch(dir, RecursiveMode::Recursive)
                    .map_err(|e| e.to_string())?;
                Ok(d)
            })
    };
    match native {
        Ok(d) => (Some(Box::new(d)), None),
        Err(why) => {
            let config = notify_debouncer_mini::Config::default()
                .with_timeout(DEBOUNCE)
                .with_notify_config(
                    // Modification times can be too coarse to tell a save that lands in the
                    // middle of a scan; the exercise files are few and small, so compare contents.
                    notify::Config::default()
                        .with_poll_interval(POLL_INTERVAL)
                        .with_compare_contents(true),
                );
            let polled: Result<Debouncer<notify::PollWatcher>, String> =
                new_debouncer_opt(config, handler)
                    .map_err(|e| e.to_string())
                    .and_then(|mut d| {
                        d.watcher()
                            .watch(dir, RecursiveMode::Recursive)
                            .map_err(|e| e.to_string())?;
                        Ok(d)
                    });
            match polled {
                Ok(d) => (
                    Some(Box::new(d)),
                    Some(format!(
                        "File notifications are unavailable ({why}); checking for saves every {} ms instead.",
                        POLL_INTERVAL.as_millis()
                    )),
                ),
                Err(e) => (
                    None,
                    Some(format!(
                        "Saves cannot be watched here ({why}; polling: {e}). Press r to check after saving."
                    )),
                ),
            }
        }
    }
}
