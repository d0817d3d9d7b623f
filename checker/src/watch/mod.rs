//! `asyncling watch`: the learner's main loop. It checks the current exercise on every save (a
//! debounced file watcher, falling back to polling, then to manual checks), never loses a save
//! (see `check_queue`), and answers single keys. The terminal is put back exactly as it was on
//! every way out: `q`, Ctrl-C, an error or a panic.
//!
//! The parts: `runner` (the check threads and cancelling them), `saves` (the file watcher, and
//! telling a save from a read), `input` (the terminal thread and what each key does, as a
//! `Flow`), `view` (what the screen shows and drawing it), `persist` (the progress and its
//! store). This module holds the event loop and the actions that touch several parts (moving to
//! an exercise, a result arriving, a reset).

mod input;
mod persist;
mod runner;
mod saves;
mod view;
mod warmup;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};

use anyhow::{Context, Result, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::check::Outcome;
use crate::course::{Course, Exercise};
use crate::shipped;
use crate::state::Progress;
use input::Flow;
use persist::Persisted;
use runner::Runner;
use saves::Saves;
use view::{Confirm, Filter, Mode, TerminalGuard, Trace, Until, View};

enum Event {
    Key(KeyEvent),
    /// The terminal was resized.
    Redraw,
    /// Time passed: only a running check's clock needs it.
    Tick,
    Changed(Vec<PathBuf>),
    WatchFailed(String),
    Built(String),
    Checked(u64, Result<Outcome, String>),
    AllProgress(usize),
    /// A crate compiled while every exercise is being checked.
    AllBuilt(String),
    /// Check-all ended; the number tells which one (a stopped one's result is dropped).
    AllChecked(u64, Result<Vec<(String, bool)>, String>),
}

/// The loop's state, one part per job: the runner owns the check threads, `saves` tells a save
/// from a read, `view` is what the screen shows, `state` the progress and its store.
struct Watch<'a> {
    course: &'a Course,
    current: usize,
    /// The current exercise's last result (none while it is being checked the first time).
    outcome: Option<Outcome>,
    runner: Runner,
    saves: Saves,
    view: View,
    state: Persisted,
    trace: Trace,
    /// Later exercises' dependencies, built in the background between checks.
    warmup: warmup::Warmup,
}

pub fn run(course: &Course, color: bool) -> Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(
            "`{c} watch` needs an interactive terminal, and this is not one. \
             Use `{c} run` to check the current exercise or `{c} verify` to check all.",
            c = crate::term::cmd()
        );
    }
    let (state, said) = Persisted::load(course);
    let (tx, rx) = mpsc::channel();
    let exercises_dir = course
        .root
        .join("exercises")
        .canonicalize()
        .context("Failed to open the exercises folder")?;
    let (debouncer, watch_message) = saves::start_watcher(&exercises_dir, tx.clone());
    let messages = said
        .into_iter()
        .chain(watch_message)
        .map(|m| (Until::Always, m))
        .collect();
    let current = state.progress.current_index(course);
    let mut w = Watch {
        current,
        warmup: warmup::Warmup::new(course, current),
        course,
        outcome: None,
        runner: Runner::new(tx.clone(), color),
        saves: Saves::new(debouncer.is_some()),
        view: View::new(messages),
        state,
        trace: Trace::from_env(),
    };
    if w.state.progress.done.is_empty()
        && let Some(welcome) = &course.welcome_message
    {
        w.view
            .messages
            .push((Until::Key, welcome.trim().to_string()));
    }
    w.view
        .messages
        .push((Until::Move, chapter_pointer(&course.exercises[w.current])));
    let guard = TerminalGuard::enter()?;
    input::spawn_input(tx);
    let result = w.event_loop(&rx);
    w.warmup.pause();
    w.runner.stop();
    w.stop_check_all();
    drop(debouncer);
    drop(guard);
    result
}

fn chapter_pointer(ex: &Exercise) -> String {
    format!(
        "Chapter {}: the lesson is exercises/{}/README.md",
        ex.chapter(),
        ex.chapter()
    )
}

impl Watch<'_> {
    fn exercise(&self) -> &Exercise {
        &self.course.exercises[self.current]
    }

    fn event_loop(&mut self, rx: &Receiver<Event>) -> Result<bool> {
        if self.saves.watching {
            self.request_check();
        } else {
            self.draw()?;
        }
        let mut redraw = true;
        loop {
            if redraw {
                self.draw()?;
            }
            let Ok(event) = rx.recv() else {
                return Ok(true);
            };
            // An idle screen is not redrawn for nothing: only a running check has a clock.
            redraw = !matches!(event, Event::Tick)
                || self.runner.is_running()
                || matches!(self.view.mode, Mode::CheckingAll { .. });
            match event {
                Event::Key(k) => {
                    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
                        return Ok(true);
                    }
                    self.forget(&[Until::Key]);
                    if self.key(k)? == Flow::Quit {
                        return Ok(true);
                    }
                }
                Event::Redraw => {}
                Event::Tick => self.warmup.tick(),
                Event::Changed(paths) => {
                    let file = self.file();
                    let file = file.canonicalize().unwrap_or(file);
                    if paths.contains(&file) && self.saves.is_new_save(&file) {
                        self.forget(&[Until::Key, Until::Save, Until::Verdict]);
                        self.request_check();
                    }
                }
                Event::WatchFailed(why) => {
                    self.say((
                        Until::Always,
                        format!("The file watcher stopped ({why}); press r to check after saving."),
                    ));
                }
                Event::Built(name) => {
                    let exercise = self.exercise().name.clone();
                    self.runner.built(name, &exercise);
                }
                Event::Checked(generation, result) => {
                    if self.runner.is_current(generation) {
                        self.check_finished(result)?;
                    }
                }
                Event::AllProgress(done) => {
                    if let Mode::CheckingAll { done: d, .. } = &mut self.view.mode {
                        *d = done;
                    }
                }
                Event::AllBuilt(name) => self.runner.all_built(name),
                Event::AllChecked(generation, result) => {
                    if self.runner.all_ended(generation) {
                        self.all_checked(result)?;
                    }
                }
            }
        }
    }

    fn is_passed(&self) -> bool {
        self.outcome.as_ref().is_some_and(Outcome::passed) && !self.runner.is_running()
    }

    fn request_check(&mut self) {
        if self.runner.saved() {
            self.start_check();
        }
    }

    /// The current exercise's file.
    fn file(&self) -> PathBuf {
        self.course.root.join(self.exercise().path())
    }

    fn start_check(&mut self) {
        self.warmup.pause();
        self.runner.stop();
        self.stop_check_all();
        let file = self.file();
        self.saves.checking(&file);
        self.runner
            .start(self.course, &self.course.exercises[self.current]);
    }

    fn check_finished(&mut self, result: Result<Outcome, String>) -> Result<()> {
        let (current, start_now) = self.runner.finished();
        if start_now {
            self.start_check();
        } else {
            self.warmup.resume_soon();
        }
        if !current {
            return Ok(());
        }
        let outcome = match result {
            Ok(o) => o,
            Err(e) => Outcome::checker_error(&e),
        };
        let name = self.exercise().name.clone();
        let passed = outcome.passed();
        // A cancelled check or a checker error says nothing about the learner's code.
        if outcome.is_verdict() {
            self.save(|p| p.record(&name, passed));
        }
        self.outcome = Some(outcome);
        self.forget(&[Until::Verdict]);
        self.view.scroll = 0;
        self.trace.undrawn = true;
        Ok(())
    }

    /// Saves a change to the progress (see `persist`), and shows what that said: a message
    /// already on the screen is not repeated.
    fn save(&mut self, change: impl Fn(&mut Progress)) {
        for text in self.state.save(change) {
            let message = (Until::Always, text);
            if !self.view.messages.contains(&message) {
                self.say(message);
            }
        }
    }

    fn go_to(&mut self, index: usize) {
        // "New chapter" only when moving on into one, not when going back.
        let chapter_changed = index > self.current
            && self.exercise().chapter() != self.course.exercises[index].chapter();
        self.current = index;
        let name = self.exercise().name.clone();
        self.outcome = None;
        self.view.hints = 0;
        self.view.reveal_hint = None;
        self.view.scroll = 0;
        self.view
            .messages
            .retain(|(until, _)| *until == Until::Always);
        self.save(|p| p.go_to(&name));
        if chapter_changed {
            self.say((
                Until::Move,
                format!("New chapter! {}", chapter_pointer(self.exercise())),
            ));
        }
        if self.runner.moved() {
            self.start_check();
        }
    }

    fn next(&mut self) {
        match self.state.progress.next_pending(self.course, self.current) {
            Some(j) => self.go_to(j),
            None => {
                let text = self
                    .course
                    .final_message
                    .as_deref()
                    .unwrap_or("Every exercise is done.")
                    .trim()
                    .to_string();
                self.view
                    .messages
                    .retain(|(until, _)| *until == Until::Always);
                self.say((Until::Move, text));
            }
        }
    }

    /// Asks for the next hint. It is counted as shown only once it is drawn (see `draw`).
    fn hint(&mut self) {
        let ex = self.exercise();
        let total = ex.hints.len();
        let recorded = self.state.progress.hints_shown(&ex.name);
        if total == 0 {
            let text = format!("{} has no hints.", ex.name);
            self.say((Until::Verdict, text));
            return;
        }
        self.view.hints = (self.view.hints.max(recorded) + 1).min(total);
        self.view.reveal_hint = Some(self.view.hints);
    }

    /// Shows a message, scrolling back to the top where messages are.
    fn say(&mut self, message: (Until, String)) {
        self.view.messages.push(message);
        self.view.scroll = 0;
    }

    /// Drops the messages that stop being true at this change.
    fn forget(&mut self, which: &[Until]) {
        self.view
            .messages
            .retain(|(until, _)| !which.contains(until));
    }

    fn reset(&mut self, index: usize) -> Result<()> {
        let ex = self.course.exercises[index].clone();
        let reset = shipped::reset(self.course, &ex);
        let reset_ok = reset.is_ok();
        let message = match reset {
            Ok(shipped::Reset {
                backup: Some(backup),
                source,
            }) => format!(
                "{} restored as shipped ({}); your version is in {}",
                ex.path().display(),
                source.describe(),
                backup
                    .strip_prefix(&self.course.root)
                    .unwrap_or(&backup)
                    .display()
            ),
            Ok(shipped::Reset { source, .. }) => {
                format!(
                    "{} was already as shipped ({}).",
                    ex.path().display(),
                    source.describe()
                )
            }
            Err(e) => format!("Reset failed: {e:#}"),
        };
        if reset_ok {
            self.save(|p| p.forget(&ex.name));
        }
        self.forget(&[Until::Save, Until::Verdict]);
        self.say((Until::Save, message));
        if index == self.current {
            self.view.hints = 0;
            self.view.reveal_hint = None;
            self.request_check();
        }
        Ok(())
    }

    /// Stops a running check-all (its cargo or tests are killed) and waits for its thread.
    fn stop_check_all(&mut self) {
        if self.runner.stop_all() {
            if let Mode::CheckingAll { .. } = self.view.mode {
                self.view.mode = Mode::Main;
            }
            self.say((
                Until::Move,
                "Checking every exercise was stopped.".to_string(),
            ));
        }
    }

    fn check_all(&mut self) {
        let total = self.course.exercises.len();
        self.view.mode = Mode::CheckingAll { done: 0, total };
        self.warmup.pause();
        self.runner.start_all(self.course);
    }

    fn all_checked(&mut self, result: Result<Vec<(String, bool)>, String>) -> Result<()> {
        self.view.mode = Mode::Main;
        self.warmup.resume_soon();
        match result {
            Ok(results) => {
                self.save(|p| {
                    for (name, passed) in &results {
                        p.record(name, *passed);
                    }
                });
                let passed = results.iter().filter(|r| r.1).count();
                self.forget(&[Until::Save, Until::Verdict]);
                let summary = format!(
                    "Checked every exercise: {passed} of {} pass.",
                    results.len()
                );
                // The one rule for moving on (see `state::Progress`): only when the current
                // exercise is done.
                if self.state.progress.is_done(&self.exercise().name) {
                    self.next();
                }
                self.say((Until::Save, summary));
            }
            Err(e) => self.say((Until::Save, format!("Checking every exercise failed: {e}"))),
        }
        Ok(())
    }
}
