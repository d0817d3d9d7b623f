//! Dependencies built ahead of need. The first exercises build without tokio (see `features` in
//! info.toml), so a learner's first verdict does not wait for it; once a verdict is on screen
//! and nothing else runs, the crates that later exercises need are compiled in the background,
//! in the order the course reaches them. Any check pauses this first, because cargo lets one
//! build at a time use the target directory; it resumes once the learner has left the files
//! alone for a moment (so quick saves never race it), and what cargo had finished is kept.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::cargo::{self, Artifact, BuildRequest};
use crate::course::Course;
use crate::process::Ending;
use crate::target::Target;

/// Generous: a slow machine builds the ecosystem crates in minutes, and a pause stops it anyway.
const LIMIT: Duration = Duration::from_secs(1800);

/// How long after a verdict, with no save in between, the background builds go on.
const IDLE: Duration = Duration::from_secs(2);

/// One build that leaves a set of features' dependencies compiled: a solution bin that needs
/// exactly that set (cargo has no "dependencies only" build).
#[derive(Clone, Debug, PartialEq)]
struct Plan {
    features: Vec<String>,
    bin: String,
    artifact: Artifact,
}

pub struct Warmup {
    manifest: PathBuf,
    pending: Arc<Mutex<Vec<Plan>>>,
    running: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    /// When `tick` should resume them.
    due: Option<Instant>,
}

impl Warmup {
    /// The feature sets of the exercises from `from` on, then of the ones before it, each once.
    pub fn new(course: &Course, from: usize) -> Warmup {
        Warmup {
            manifest: course.layout.package_manifest.clone(),
            pending: Arc::new(Mutex::new(plans(course, from))),
            running: None,
            due: None,
        }
    }

    /// A verdict is on screen: go on with the background builds once the learner has been idle
    /// for a moment.
    pub fn resume_soon(&mut self) {
        self.due = Some(Instant::now() + IDLE);
    }

    /// Called on every clock tick of the watch loop.
    pub fn tick(&mut self) {
        if self.due.is_some_and(|due| Instant::now() >= due) {
            self.due = None;
            self.resume();
        }
    }

    /// Starts (or goes on with) the background builds, unless they are running or all done.
    fn resume(&mut self) {
        if self.running.is_some() || lock(&self.pending).is_empty() {
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let pending = self.pending.clone();
        let manifest = self.manifest.clone();
        let stop = cancel.clone();
        let thread = thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Some(plan) = lock(&pending).first().cloned() else {
                    break;
                };
                let bins = [plan.bin.clone()];
                let report = cargo::build(&BuildRequest {
                    manifest: &manifest,
                    bins: &bins,
                    features: &plan.features,
                    artifact: plan.artifact,
                    color: false,
                    timeout: Some(LIMIT),
                    cancel: Some(stop.clone()),
                    progress: None,
                    target_dir: None,
                });
                let paused = match &report {
                    Ok(r) => r.ending == Ending::Cancelled,
                    Err(_) => stop.load(Ordering::SeqCst),
                };
                if paused {
                    break;
                }
                // Built, or failed for a reason a retry would not change: the learner's own
                // check will report it when it gets there.
                lock(&pending).retain(|p| *p != plan);
            }
        });
        self.running = Some((cancel, thread));
    }

    /// Stops the background build (cargo's process group is killed) and waits for it.
    pub fn pause(&mut self) {
        self.due = None;
        if let Some((cancel, thread)) = self.running.take() {
            cancel.store(true, Ordering::SeqCst);
            let _ = thread.join();
        }
    }
}

impl Drop for Warmup {
    fn drop(&mut self) {
        self.pause();
    }
}

fn lock(pending: &Mutex<Vec<Plan>>) -> std::sync::MutexGuard<'_, Vec<Plan>> {
    pending
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One plan per distinct non-empty feature set, in the order the learner will meet them.
fn plans(course: &Course, from: usize) -> Vec<Plan> {
    let from = from.min(course.exercises.len());
    let order = course.exercises[from..]
        .iter()
        .chain(&course.exercises[..from]);
    let mut plans: Vec<Plan> = Vec::new();
    for ex in order {
        if ex.features.is_empty() || plans.iter().any(|p| p.features == ex.features) {
            continue;
        }
        let target = Target::solution(ex);
        plans.push(Plan {
            features: ex.features.clone(),
            bin: target.bin.clone(),
            artifact: target.artifact(),
        });
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::Mode;

    fn course(sets: &[&[&str]]) -> Course {
        let mut course = Course::for_tests(&["a", "b", "c", "d"]);
        for (ex, set) in course.exercises.iter_mut().zip(sets) {
            ex.features = set.iter().map(|s| s.to_string()).collect();
            ex.mode = Mode::Test;
        }
        course
    }

    #[test]
    fn each_feature_set_is_built_once_in_course_order_from_the_learner() {
        let c = course(&[&[], &["tokio"], &["ecosystem"], &["tokio"]]);
        let got: Vec<(Vec<String>, String)> = plans(&c, 2)
            .into_iter()
            .map(|p| (p.features, p.bin))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec!["ecosystem".to_string()], "c_sol".to_string()),
                (vec!["tokio".to_string()], "d_sol".to_string()),
            ]
        );
    }

    #[test]
    fn a_course_without_features_builds_nothing_ahead() {
        let c = course(&[&[], &[], &[], &[]]);
        assert!(plans(&c, 0).is_empty());
    }
}
