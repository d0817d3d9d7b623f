//! The check runner: one thread checks the current exercise, or one thread checks every exercise
//! (`c`), never both, since only one cargo runs at a time. Each sends its progress and result to
//! the main loop as `Event`s tagged with a generation number; stopping a check sets its cancel
//! flag (cargo or the tests' process group is killed) and waits for its thread, and the
//! generation moves on, so a stale result is dropped when it arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::Event;
use crate::check::{self, Checker};
use crate::check_queue::{Action, CheckQueue};
use crate::course::{Course, Exercise};
use crate::target::Target;

/// What cargo and the tests have done so far in the running check, for the status line.
#[derive(Default)]
pub struct Progress {
    pub started: Option<Instant>,
    /// Crates compiled, and the last one.
    pub built: usize,
    pub last_built: String,
    /// Dependencies compiled (crates other than the exercise).
    pub dependencies: usize,
    /// When the tests (or the program) started.
    pub testing_since: Option<Instant>,
}

pub struct Runner {
    tx: Sender<Event>,
    color: bool,
    /// Whether a check of the current exercise runs, and whether a save made it stale.
    queue: CheckQueue,
    /// The running single check's number: results of older ones are dropped.
    generation: u64,
    cancel: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
    /// The running check-all: its stop flag and thread.
    all: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    all_generation: u64,
    pub progress: Progress,
}

impl Runner {
    pub fn new(tx: Sender<Event>, color: bool) -> Runner {
        Runner {
            tx,
            color,
            queue: CheckQueue::default(),
            generation: 0,
            cancel: Arc::new(AtomicBool::new(false)),
            worker: None,
            all: None,
            all_generation: 0,
            progress: Progress::default(),
        }
    }

    /// The current exercise was saved (or the learner asked): start a check, or cancel the
    /// running one so that a new one starts when it has stopped. True when one must start now.
    pub fn saved(&mut self) -> bool {
        match self.queue.saved() {
            Action::Start => true,
            Action::Cancel => {
                self.cancel();
                false
            }
            Action::Nothing => false,
        }
    }

    /// The learner moved to another exercise: a running check's result is no longer wanted.
    /// True when a check of the new exercise must start now (else it starts when the old one
    /// has stopped).
    pub fn moved(&mut self) -> bool {
        self.queue.abandon();
        if self.queue.is_running() {
            self.cancel();
            false
        } else {
            self.saved()
        }
    }

    fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Check number `generation` sent its result: whether it is the running one's.
    pub fn is_current(&self, generation: u64) -> bool {
        generation == self.generation
    }

    /// The running check ended. Returns whether its result describes the file as it is now
    /// (else it is dropped), and whether a new check must start now (a save made it stale).
    pub fn finished(&mut self) -> (bool, bool) {
        let (current, next) = self.queue.finished();
        (current, next == Action::Start)
    }

    pub fn is_running(&self) -> bool {
        self.queue.is_running()
    }

    /// Starts checking `ex` on a thread of its own (after stopping whatever ran).
    pub fn start(&mut self, course: &Course, ex: &Exercise) {
        self.stop();
        self.stop_all();
        self.generation += 1;
        self.cancel = Arc::new(AtomicBool::new(false));
        self.progress = Progress {
            started: Some(Instant::now()),
            ..Progress::default()
        };
        let progress_tx = self.tx.clone();
        let checker = Checker {
            layout: course.layout.clone(),
            color: self.color,
            cancel: Some(self.cancel.clone()),
            progress: Some(Arc::new(move |name: &str| {
                let _ = progress_tx.send(Event::Built(name.to_string()));
            })),
        };
        let ex = ex.clone();
        let generation = self.generation;
        let tx = self.tx.clone();
        self.worker = Some(thread::spawn(move || {
            let result = checker
                .check_all(&[Target::exercise(&ex)], &|_, _| {})
                .map_err(|e| format!("{e:#}"))
                .and_then(|mut v| {
                    v.pop()
                        .ok_or_else(|| "the check gave no result".to_string())
                });
            let _ = tx.send(Event::Checked(generation, result));
        }));
    }

    /// Stops a running check (its process group is killed) and waits for its thread.
    pub fn stop(&mut self) {
        if let Some(worker) = self.worker.take() {
            self.cancel();
            let _ = worker.join();
        }
    }

    /// A crate was compiled (or the tests started) in the running single check.
    pub fn built(&mut self, name: String, exercise: &str) {
        if name == check::TESTS_STARTED {
            self.progress.testing_since = Some(Instant::now());
        } else {
            self.progress.built += 1;
            if name != exercise {
                self.progress.dependencies += 1;
            }
            self.progress.last_built = name;
        }
    }

    /// Starts checking every exercise on a thread of its own. A running single check is dropped
    /// (check-all covers it).
    pub fn start_all(&mut self, course: &Course) {
        if self.queue.is_running() {
            self.generation += 1;
            self.stop();
            self.queue = CheckQueue::default();
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let generation = self.all_generation;
        self.progress = Progress::default();
        let exercises = course.exercises.clone();
        let build_tx = self.tx.clone();
        let checker = Checker {
            layout: course.layout.clone(),
            color: self.color,
            cancel: Some(cancel.clone()),
            // The screen says what cargo compiles, so it never sits still while it builds.
            progress: Some(Arc::new(move |name: &str| {
                if name != check::TESTS_STARTED {
                    let _ = build_tx.send(Event::AllBuilt(name.to_string()));
                }
            })),
        };
        let tx = self.tx.clone();
        let thread = thread::spawn(move || {
            let targets: Vec<Target> = exercises.iter().map(Target::exercise).collect();
            let count = AtomicUsize::new(0);
            let progress_tx = tx.clone();
            let result = checker
                .check_all(&targets, &|_, _| {
                    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                    let _ = progress_tx.send(Event::AllProgress(n));
                })
                .map(|outcomes| {
                    exercises
                        .iter()
                        .zip(outcomes)
                        .map(|(e, o)| (e.name.clone(), o.passed()))
                        .collect()
                })
                .map_err(|e| format!("{e:#}"));
            let _ = tx.send(Event::AllChecked(generation, result));
        });
        self.all = Some((cancel, thread));
    }

    /// A crate was compiled while every exercise is being checked.
    pub fn all_built(&mut self, name: String) {
        self.progress.built += 1;
        self.progress.last_built = name;
    }

    /// Check-all number `generation` ended; true when it is the running one (else it was
    /// stopped and its result is dropped).
    pub fn all_ended(&mut self, generation: u64) -> bool {
        let current = generation == self.all_generation;
        if current {
            self.all = None;
        }
        current
    }

    /// Stops a running check-all (its cargo or tests are killed) and waits for its thread.
    /// True when one was running.
    pub fn stop_all(&mut self) -> bool {
        let Some((cancel, thread)) = self.all.take() else {
            return false;
        };
        cancel.store(true, Ordering::SeqCst);
        let _ = thread.join();
        self.all_generation += 1;
        true
    }
}
