//! `asyncling watch`: the learner's main loop. It checks the current exercise on every save (a
//! debounced file watcher, falling back to polling, then to manual checks), never loses a save
//! (see `check_queue`), and answers single keys. The terminal is put back exactly as it was on
//! every way out: `q`, Ctrl-C, an error or a panic.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, terminal};
use notify_debouncer_mini::notify::{self, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer, new_debouncer_opt};

use crate::check::{Checker, Outcome};
use crate::check_queue::{Action, CheckQueue};
use crate::course::{Course, Exercise};
use crate::screen::{self, ListRow, ListView, MainView, Status};
use crate::shipped;
use crate::state::{Progress, Store};
use crate::target::Target;

/// Short, because every millisecond here is added to save → result. Editors that write a file in
/// several steps finish well within it.
const DEBOUNCE: Duration = Duration::from_millis(10);
const POLL_INTERVAL: Duration = Duration::from_millis(300);
const TICK: Duration = Duration::from_millis(250);

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

/// Restores the terminal when dropped, however the loop ends.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard> {
        let guard = TerminalGuard;
        crate::term::enter_full_screen()?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        crate::term::leave_full_screen();
    }
}

/// How long a message stays true, and so when it goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// Until the learner presses a key or saves (the welcome).
    Key,
    /// Until the exercise's file changes ("restored as shipped").
    Save,
    /// Until the next verdict ("not done yet").
    Verdict,
    /// Until the learner moves to another exercise ("New chapter").
    Move,
    /// For the whole session (the file watcher fell back to polling).
    Always,
}

enum Mode {
    Main,
    /// The output is printed whole on the normal screen; any key comes back.
    Whole,
    List {
        cursor: usize,
        filter: Filter,
    },
    CheckingAll {
        done: usize,
        total: usize,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Done,
    Pending,
}

enum Confirm {
    ResetCurrent,
    ResetListed(usize),
}

struct Watch<'a> {
    course: &'a Course,
    store: Store,
    progress: Progress,
    color: bool,
    tx: Sender<Event>,
    current: usize,
    queue: CheckQueue,
    generation: u64,
    cancel: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
    /// The running check-all: its stop flag and thread. Only one cargo runs at a time, so it is
    /// stopped (and waited for) before anything else starts one.
    all: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    all_generation: u64,
    started: Instant,
    built: usize,
    last_built: String,
    /// Dependencies compiled so far by the running check.
    dependencies: usize,
    /// When the running check's tests (or program) started.
    testing_since: Option<Instant>,
    outcome: Option<Outcome>,
    hints: usize,
    /// The hint just asked for: the screen scrolls to it.
    reveal_hint: Option<usize>,
    messages: Vec<(Until, String)>,
    /// Rows scrolled in the main view's scrollable part, and its page size when last drawn.
    scroll: usize,
    page: usize,
    /// `b`: every backtrace frame instead of the learner's own.
    full_backtrace: bool,
    mode: Mode,
    confirm: Option<Confirm>,
    watching: bool,
    /// Hash of the file's content when its last check started. Watchers report reads and
    /// attribute changes too (the compiler opening the file is one); only new content is a save.
    checked_content: Option<u64>,
    /// Size and modification time of the file when it was last read. Reading a file is itself an
    /// event for the watcher, so the content is read only when these changed; `stat` is silent.
    checked_stamp: Option<(u64, std::time::SystemTime)>,
    /// `ASYNCLING_TRACE=<file>`: when each result reaches the screen, for the speed benchmark.
    trace: Option<PathBuf>,
    result_undrawn: bool,
}

pub fn run(course: &Course, color: bool) -> Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(
            "`{c} watch` needs an interactive terminal, and this is not one. \
             Use `{c} run` to check the current exercise or `{c} verify` to check all.",
            c = crate::term::cmd()
        );
    }
    let store = Store::new(&course.root);
    // Unreadable progress does not stop watch: it starts from the beginning and says why.
    let (progress, unreadable) = match store.load() {
        Ok(p) => (p, None),
        Err(e) => (
            Progress::default(),
            Some(format!(
                "Progress cannot be read ({e:#}); starting from the first exercise."
            )),
        ),
    };
    let warning: Vec<String> = store.take_notices().into_iter().chain(unreadable).collect();
    let (tx, rx) = mpsc::channel();
    let exercises_dir = course
        .root
        .join("exercises")
        .canonicalize()
        .context("Failed to open the exercises folder")?;
    let (debouncer, watch_message) = start_watcher(&exercises_dir, tx.clone());
    let mut w = Watch {
        current: progress.current_index(course),
        course,
        store,
        progress,
        color,
        tx: tx.clone(),
        queue: CheckQueue::default(),
        generation: 0,
        cancel: Arc::new(AtomicBool::new(false)),
        worker: None,
        all: None,
        all_generation: 0,
        started: Instant::now(),
        built: 0,
        last_built: String::new(),
        dependencies: 0,
        testing_since: None,
        outcome: None,
        hints: 0,
        reveal_hint: None,
        messages: warning
            .into_iter()
            .chain(watch_message)
            .map(|m| (Until::Always, m))
            .collect(),
        scroll: 0,
        page: 1,
        full_backtrace: false,
        mode: Mode::Main,
        confirm: None,
        watching: debouncer.is_some(),
        checked_content: None,
        checked_stamp: None,
        trace: std::env::var_os("ASYNCLING_TRACE").map(PathBuf::from),
        result_undrawn: false,
    };
    if w.progress.done.is_empty()
        && let Some(welcome) = &course.welcome_message
    {
        w.messages.push((Until::Key, welcome.trim().to_string()));
    }
    w.messages
        .push((Until::Move, chapter_pointer(&course.exercises[w.current])));
    let guard = TerminalGuard::enter()?;
    spawn_input(tx);
    let result = w.event_loop(&rx);
    w.stop_worker();
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

/// Watches the exercises with the platform's notifications; if they cannot start (inotify limits,
/// a network filesystem), polls instead; if even that fails, checks only when asked.
fn start_watcher(
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

/// Keys and resizes from the terminal; a tick while nothing happens keeps the clock moving.
fn spawn_input(tx: Sender<Event>) {
    thread::spawn(move || {
        loop {
            let sent = match event::poll(TICK) {
                Ok(true) => match event::read() {
                    Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                        tx.send(Event::Key(k))
                    }
                    Ok(TermEvent::Resize(..)) => tx.send(Event::Redraw),
                    Ok(_) => Ok(()),
                    Err(_) => return,
                },
                Ok(false) => tx.send(Event::Tick),
                Err(_) => return,
            };
            if sent.is_err() {
                return;
            }
        }
    });
}

impl Watch<'_> {
    fn exercise(&self) -> &Exercise {
        &self.course.exercises[self.current]
    }

    fn event_loop(&mut self, rx: &Receiver<Event>) -> Result<bool> {
        if self.watching {
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
                || self.queue.is_running()
                || matches!(self.mode, Mode::CheckingAll { .. });
            match event {
                Event::Key(k) => {
                    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
                        return Ok(true);
                    }
                    self.forget(&[Until::Key]);
                    if !self.key(k)? {
                        return Ok(true);
                    }
                }
                Event::Redraw | Event::Tick => {}
                Event::Changed(paths) => {
                    let target = self.course.root.join(self.exercise().path());
                    let target = target.canonicalize().unwrap_or(target);
                    if paths.contains(&target)
                        && self.stamp() != self.checked_stamp
                        && self.content_hash() != self.checked_content
                    {
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
                    if name == crate::check::TESTS_STARTED {
                        self.testing_since = Some(Instant::now());
                    } else {
                        self.built += 1;
                        if name != self.exercise().name {
                            self.dependencies += 1;
                        }
                        self.last_built = name;
                    }
                }
                Event::Checked(generation, result) => {
                    if generation == self.generation {
                        self.check_finished(result)?;
                    }
                }
                Event::AllProgress(done) => {
                    if let Mode::CheckingAll { done: d, .. } = &mut self.mode {
                        *d = done;
                    }
                }
                Event::AllBuilt(name) => {
                    self.built += 1;
                    self.last_built = name;
                }
                Event::AllChecked(generation, result) => {
                    if generation == self.all_generation {
                        self.all = None;
                        self.all_checked(result)?;
                    }
                }
            }
        }
    }

    /// Handles one key; returns false to quit.
    fn key(&mut self, k: KeyEvent) -> Result<bool> {
        if let Some(confirm) = self.confirm.take() {
            if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                let index = match confirm {
                    Confirm::ResetCurrent => self.current,
                    Confirm::ResetListed(i) => i,
                };
                self.reset(index)?;
            }
            return Ok(true);
        }
        if let Mode::List { .. } = self.mode {
            return self.list_key(k);
        }
        if let Mode::CheckingAll { .. } = self.mode {
            if k.code == KeyCode::Char('q') {
                return Ok(false);
            }
            if !matches!(k.code, KeyCode::Char('n' | 'r' | 'x' | 'c') | KeyCode::Esc) {
                return Ok(true);
            }
            self.stop_check_all();
        }
        if let Mode::Whole = self.mode {
            // Back from the whole output to the watch screen.
            execute!(
                std::io::stdout(),
                terminal::EnterAlternateScreen,
                cursor::Hide
            )?;
            self.mode = Mode::Main;
            return Ok(true);
        }
        let page = self.page.max(2) - 1;
        match k.code {
            KeyCode::Char('q') => return Ok(false),
            KeyCode::Char('n') => {
                if self.is_passed() {
                    self.next();
                } else {
                    self.forget(&[Until::Verdict]);
                    self.say((
                        Until::Verdict,
                        format!(
                            "{} is not done yet: make it pass first (h shows a hint).",
                            self.exercise().name
                        ),
                    ));
                }
            }
            KeyCode::Char('h') => self.hint(),
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll += 1,
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += page,
            KeyCode::Home => self.scroll = 0,
            KeyCode::Char('b') => self.full_backtrace = !self.full_backtrace,
            KeyCode::Char('o') => self.show_whole()?,
            KeyCode::Char('r') => self.request_check(),
            KeyCode::Char('x') => self.confirm = Some(Confirm::ResetCurrent),
            KeyCode::Char('l') => {
                self.mode = Mode::List {
                    cursor: self.current,
                    filter: Filter::All,
                }
            }
            KeyCode::Char('c') => self.check_all(),
            _ => {}
        }
        Ok(true)
    }

    fn list_key(&mut self, k: KeyEvent) -> Result<bool> {
        let rows = self.list_indices();
        let Mode::List { cursor, filter } = &mut self.mode else {
            return Ok(true);
        };
        let pos = rows.iter().position(|&i| i == *cursor).unwrap_or(0);
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => {
                *cursor = rows.get(pos.saturating_sub(1)).copied().unwrap_or(*cursor)
            }
            KeyCode::Down | KeyCode::Char('j') => {
                *cursor = rows.get(pos + 1).copied().unwrap_or(*cursor)
            }
            KeyCode::Char('d') => *filter = Filter::Done,
            KeyCode::Char('p') => *filter = Filter::Pending,
            KeyCode::Char('a') => *filter = Filter::All,
            KeyCode::Char('r') => {
                if let Some(&i) = rows.get(pos) {
                    self.confirm = Some(Confirm::ResetListed(i));
                }
            }
            KeyCode::Enter => {
                if let Some(&i) = rows.get(pos) {
                    self.mode = Mode::Main;
                    self.go_to(i);
                }
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('l') | KeyCode::Backspace => {
                self.mode = Mode::Main
            }
            _ => {}
        }
        // Keep the cursor on a row the filter shows.
        let rows = self.list_indices();
        if let Mode::List { cursor, .. } = &mut self.mode
            && !rows.contains(cursor)
            && let Some(&first) = rows.first()
        {
            *cursor = first;
        }
        Ok(true)
    }

    fn list_indices(&self) -> Vec<usize> {
        let filter = match self.mode {
            Mode::List { filter, .. } => filter,
            _ => Filter::All,
        };
        (0..self.course.exercises.len())
            .filter(|&i| {
                let done = self.progress.is_done(&self.course.exercises[i].name);
                match filter {
                    Filter::All => true,
                    Filter::Done => done,
                    Filter::Pending => !done,
                }
            })
            .collect()
    }

    fn is_passed(&self) -> bool {
        self.outcome.as_ref().is_some_and(Outcome::passed) && !self.queue.is_running()
    }

    fn request_check(&mut self) {
        match self.queue.saved() {
            Action::Start => self.start_check(),
            Action::Cancel => self.cancel.store(true, Ordering::SeqCst),
            Action::Nothing => {}
        }
    }

    fn stamp(&self) -> Option<(u64, std::time::SystemTime)> {
        let meta = std::fs::metadata(self.course.root.join(self.exercise().path())).ok()?;
        Some((meta.len(), meta.modified().ok()?))
    }

    fn content_hash(&mut self) -> Option<u64> {
        self.checked_stamp = self.stamp();
        use std::hash::{DefaultHasher, Hash, Hasher};
        let bytes = std::fs::read(self.course.root.join(self.exercise().path())).ok()?;
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        Some(h.finish())
    }

    fn start_check(&mut self) {
        self.stop_worker();
        self.stop_check_all();
        self.checked_content = self.content_hash();
        self.generation += 1;
        self.cancel = Arc::new(AtomicBool::new(false));
        self.started = Instant::now();
        self.built = 0;
        self.dependencies = 0;
        self.testing_since = None;
        let tx = self.tx.clone();
        let progress_tx = Mutex::new(self.tx.clone());
        let checker = Checker {
            layout: self.course.layout.clone(),
            color: self.color,
            cancel: Some(self.cancel.clone()),
            progress: Some(Arc::new(move |name: &str| {
                if let Ok(tx) = progress_tx.lock() {
                    let _ = tx.send(Event::Built(name.to_string()));
                }
            })),
        };
        let ex = self.exercise().clone();
        let generation = self.generation;
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
    fn stop_worker(&mut self) {
        if let Some(worker) = self.worker.take() {
            self.cancel.store(true, Ordering::SeqCst);
            let _ = worker.join();
        }
    }

    fn check_finished(&mut self, result: Result<Outcome, String>) -> Result<()> {
        let (current, next) = self.queue.finished();
        if next == Action::Start {
            self.start_check();
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
        self.scroll = 0;
        self.result_undrawn = true;
        Ok(())
    }

    /// Saves a change to the progress. When it cannot be saved, watch goes on with the change kept
    /// in memory and says so; a repaired state file is announced too.
    fn save(&mut self, change: impl Fn(&mut Progress)) {
        match self.store.update(&change) {
            Ok(p) => self.progress = p,
            Err(e) => {
                change(&mut self.progress);
                let why = (
                    Until::Always,
                    format!(
                        "Progress cannot be saved ({e:#}). Checks go on, but what is done here \
                         is not kept after watch ends."
                    ),
                );
                if !self.messages.contains(&why) {
                    self.say(why);
                }
            }
        }
        for notice in self.store.take_notices() {
            self.say((Until::Always, notice));
        }
    }

    fn go_to(&mut self, index: usize) {
        // "New chapter" only when moving on into one, not when going back.
        let chapter_changed = index > self.current
            && self.exercise().chapter() != self.course.exercises[index].chapter();
        self.current = index;
        let name = self.exercise().name.clone();
        self.outcome = None;
        self.hints = 0;
        self.reveal_hint = None;
        self.scroll = 0;
        self.messages.retain(|(until, _)| *until == Until::Always);
        self.save(|p| p.go_to(&name));
        if chapter_changed {
            self.say((
                Until::Move,
                format!("New chapter! {}", chapter_pointer(self.exercise())),
            ));
        }
        self.queue.abandon();
        if self.queue.is_running() {
            self.cancel.store(true, Ordering::SeqCst);
        } else {
            self.request_check();
        }
    }

    fn next(&mut self) {
        match self.progress.next_pending(self.course, self.current) {
            Some(j) => self.go_to(j),
            None => {
                let text = self
                    .course
                    .final_message
                    .as_deref()
                    .unwrap_or("Every exercise is done.")
                    .trim()
                    .to_string();
                self.messages.retain(|(until, _)| *until == Until::Always);
                self.say((Until::Move, text));
            }
        }
    }

    /// Asks for the next hint. It is counted as shown only once it is drawn (see `draw`).
    fn hint(&mut self) {
        let ex = self.exercise();
        let total = ex.hints.len();
        let recorded = self.progress.hints_shown(&ex.name);
        if total == 0 {
            let text = format!("{} has no hints.", ex.name);
            self.say((Until::Verdict, text));
            return;
        }
        self.hints = (self.hints.max(recorded) + 1).min(total);
        self.reveal_hint = Some(self.hints);
    }

    /// Shows a message, scrolling back to the top where messages are.
    fn say(&mut self, message: (Until, String)) {
        self.messages.push(message);
        self.scroll = 0;
    }

    /// Drops the messages that stop being true at this change.
    fn forget(&mut self, which: &[Until]) {
        self.messages.retain(|(until, _)| !which.contains(until));
    }

    /// `o`: the output printed whole on the normal screen, where the terminal's own scrollback
    /// reaches all of it; any key comes back.
    fn show_whole(&mut self) -> Result<()> {
        let Some(outcome) = &self.outcome else {
            return Ok(());
        };
        let output = if self.full_backtrace {
            outcome.output.clone()
        } else {
            crate::fold::backtraces(&outcome.output)
        };
        let mut text = output.trim_end().to_string();
        for note in &outcome.notes {
            text.push_str("\n\nnote: ");
            text.push_str(note);
        }
        let mut out = std::io::stdout().lock();
        execute!(out, terminal::LeaveAlternateScreen, cursor::Show)?;
        let (w, _) = terminal::size().unwrap_or((80, 24));
        let rows = screen::rows(&text, w as usize);
        out.write_all(b"\r\n")?;
        out.write_all(rows.join("\r\n").as_bytes())?;
        out.write_all(
            b"\r\n\r\n-- the whole output of the last check; press any key to go back --",
        )?;
        out.flush()?;
        self.mode = Mode::Whole;
        Ok(())
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
            self.hints = 0;
            self.reveal_hint = None;
            self.request_check();
        }
        Ok(())
    }

    /// Stops a running check-all (its cargo or tests are killed) and waits for its thread.
    fn stop_check_all(&mut self) {
        if let Some((cancel, thread)) = self.all.take() {
            cancel.store(true, Ordering::SeqCst);
            let _ = thread.join();
            self.all_generation += 1;
            if let Mode::CheckingAll { .. } = self.mode {
                self.mode = Mode::Main;
            }
            self.say((
                Until::Move,
                "Checking every exercise was stopped.".to_string(),
            ));
        }
    }

    fn check_all(&mut self) {
        // One cargo at a time: a running single check is dropped (check-all covers it).
        if self.queue.is_running() {
            self.generation += 1;
            self.stop_worker();
            self.queue = CheckQueue::default();
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let generation = self.all_generation;
        self.built = 0;
        self.last_built.clear();
        let total = self.course.exercises.len();
        self.mode = Mode::CheckingAll { done: 0, total };
        let exercises = self.course.exercises.clone();
        let layout = self.course.layout.clone();
        let color = self.color;
        let tx = self.tx.clone();
        let stop = cancel.clone();
        let thread = thread::spawn(move || {
            let targets: Vec<Target> = exercises.iter().map(Target::exercise).collect();
            let build_tx = tx.clone();
            let checker = Checker {
                layout,
                color,
                cancel: Some(stop),
                // The screen says what cargo compiles, so it never sits still while it builds.
                progress: Some(Arc::new(move |name: &str| {
                    if name != crate::check::TESTS_STARTED {
                        let _ = build_tx.send(Event::AllBuilt(name.to_string()));
                    }
                })),
            };
            let count = std::sync::atomic::AtomicUsize::new(0);
            let progress_tx = Mutex::new(tx.clone());
            let result = checker
                .check_all(&targets, &|_, _| {
                    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                    if let Ok(tx) = progress_tx.lock() {
                        let _ = tx.send(Event::AllProgress(n));
                    }
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

    fn all_checked(&mut self, result: Result<Vec<(String, bool)>, String>) -> Result<()> {
        self.mode = Mode::Main;
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
                if self.progress.is_done(&self.exercise().name) {
                    self.next();
                }
                self.say((Until::Save, summary));
            }
            Err(e) => self.say((Until::Save, format!("Checking every exercise failed: {e}"))),
        }
        Ok(())
    }

    fn draw(&mut self) -> Result<()> {
        if let Mode::Whole = self.mode {
            return Ok(());
        }
        let said = self.messages.len();
        self.draw_screen()?;
        if self.messages.len() != said {
            // Drawing recorded a hint and that said something (progress cannot be saved).
            self.draw_screen()?;
        }
        if std::mem::take(&mut self.result_undrawn)
            && let Some(trace) = &self.trace
        {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let verdict = match &self.outcome {
                Some(o) if o.passed() => "passed",
                _ => "failed",
            };
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(trace)
                .with_context(|| format!("Failed to open {}", trace.display()))?;
            writeln!(f, "{nanos} {verdict}")?;
        }
        Ok(())
    }

    fn draw_screen(&mut self) -> Result<()> {
        let (w, h) = terminal::size().unwrap_or((80, 24));
        let (w, h) = (w as usize, h as usize);
        let reset_question = |path: std::path::PathBuf| {
            format!(
                "Reset {} as shipped? y/n (your version is saved to a backup first)",
                path.display()
            )
        };
        let prompt = self.confirm.as_ref().map(|c| match c {
            Confirm::ResetCurrent => reset_question(self.exercise().path()),
            Confirm::ResetListed(i) => reset_question(self.course.exercises[*i].path()),
        });
        let lines = match &self.mode {
            Mode::List { cursor, filter } => {
                let rows = self
                    .list_indices()
                    .into_iter()
                    .map(|i| {
                        let e = &self.course.exercises[i];
                        ListRow {
                            number: i + 1,
                            chapter: e.chapter(),
                            name: &e.name,
                            done: self.progress.is_done(&e.name),
                            current: i == self.current,
                        }
                    })
                    .collect::<Vec<_>>();
                let pos = self
                    .list_indices()
                    .iter()
                    .position(|i| i == cursor)
                    .unwrap_or(0);
                let filter = match filter {
                    Filter::All => "all",
                    Filter::Done => "done",
                    Filter::Pending => "pending",
                };
                screen::list_lines(
                    &ListView {
                        rows,
                        cursor: pos,
                        filter,
                        prompt: prompt.as_deref(),
                    },
                    w,
                    h,
                )
            }
            Mode::CheckingAll { done, total } => {
                let mut lines = screen::wrap(
                    "Checking every exercise… (the first time, this builds them all)",
                    w,
                );
                if self.built > 0 {
                    lines.extend(screen::wrap(
                        &format!(
                            "Building: {} crates compiled, last {}",
                            self.built, self.last_built
                        ),
                        w,
                    ));
                }
                lines.push(screen::progress_bar(*done, *total, w));
                lines
            }
            Mode::Whole => return Ok(()),
            Mode::Main => self.main_lines(prompt.as_deref(), w, h),
        };
        let mut out = std::io::stdout().lock();
        queue!(
            out,
            terminal::Clear(terminal::ClearType::All),
            cursor::MoveTo(0, 0)
        )?;
        // Every row is its own line already (see `screen::rows`): raw mode needs the \r.
        out.write_all(lines.join("\r\n").as_bytes())?;
        out.flush()?;
        Ok(())
    }

    fn main_lines(&mut self, prompt: Option<&str>, w: usize, h: usize) -> Vec<String> {
        let ex = self.exercise().clone();
        let path = ex.path().display().to_string();
        let solution = ex.solution_path().display().to_string();
        let status = if self.queue.is_running() {
            match self.testing_since {
                Some(since) => Status::Testing {
                    elapsed_secs: since.elapsed().as_secs(),
                    deadline_secs: ex.timeout.as_secs(),
                },
                None => Status::Building {
                    elapsed_secs: self.started.elapsed().as_secs(),
                    dependencies: self.dependencies,
                    last: self.last_built.clone(),
                },
            }
        } else {
            match &self.outcome {
                Some(o) if o.passed() => Status::Passed,
                Some(o) if !o.is_verdict() => Status::CheckerFailed,
                Some(o) => Status::Failed {
                    step: o.failed.map_or("?", |s| s.label()),
                },
                None => Status::Idle,
            }
        };
        let (output, notes) = match &self.outcome {
            Some(o) if !self.queue.is_running() => {
                let output = if self.full_backtrace {
                    o.output.clone()
                } else {
                    crate::fold::backtraces(&o.output)
                };
                (output, o.notes.clone())
            }
            _ => (String::new(), Vec::new()),
        };
        let hints: Vec<(usize, usize, &str)> = ex
            .hints
            .iter()
            .take(self.hints)
            .enumerate()
            .map(|(i, h)| (i + 1, ex.hints.len(), h.as_str()))
            .collect();
        let messages: Vec<String> = self.messages.iter().map(|(_, m)| m.clone()).collect();
        let layout = screen::main_lines(
            &MainView {
                name: &ex.name,
                path: &path,
                solution: &solution,
                done: self.progress.done.len(),
                total: self.course.exercises.len(),
                status,
                output: &output,
                notes: &notes,
                hints: &hints,
                messages: &messages,
                prompt,
                scroll: self.scroll,
                reveal_hint: self.reveal_hint.take(),
            },
            w,
            h,
        );
        self.scroll = layout.scroll;
        self.page = layout.page;
        // A hint counts as shown once it has been on the screen.
        if layout.hints_drawn > self.progress.hints_shown(&ex.name) {
            let drawn = layout.hints_drawn;
            let name = ex.name.clone();
            self.save(|p| p.hints_seen(&name, drawn));
        }
        layout.lines
    }
}
