//! The view: what the screen shows (mode, messages, scroll, hints asked for, a question) and
//! drawing it with `screen`, plus the `ASYNCLING_TRACE` timestamps for the speed benchmark.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use crossterm::{cursor, execute, queue, terminal};

use super::Watch;
use crate::screen::{self, ListRow, ListView, MainView, Status};

/// Restores the terminal when dropped, however the loop ends.
pub struct TerminalGuard;

impl TerminalGuard {
    pub fn enter() -> Result<TerminalGuard> {
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
pub enum Until {
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

pub enum Mode {
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
pub enum Filter {
    All,
    Done,
    Pending,
}

pub enum Confirm {
    ResetCurrent,
    ResetListed(usize),
}

/// What the screen shows besides the check's result.
pub struct View {
    pub mode: Mode,
    /// Messages with how long each stays true.
    pub messages: Vec<(Until, String)>,
    /// Hints asked for in this visit to the exercise.
    pub hints: usize,
    /// The hint just asked for: the screen scrolls to it.
    pub reveal_hint: Option<usize>,
    /// Rows scrolled in the main view's scrollable part, and its page size when last drawn.
    pub scroll: usize,
    pub page: usize,
    /// `b`: every backtrace frame instead of the learner's own.
    pub full_backtrace: bool,
    /// A yes/no question waiting for its answer.
    pub confirm: Option<Confirm>,
}

impl View {
    pub fn new(messages: Vec<(Until, String)>) -> View {
        View {
            mode: Mode::Main,
            messages,
            hints: 0,
            reveal_hint: None,
            scroll: 0,
            page: 1,
            full_backtrace: false,
            confirm: None,
        }
    }
}

/// `ASYNCLING_TRACE=<file>`: when each result reaches the screen, for the speed benchmark.
pub struct Trace {
    file: Option<PathBuf>,
    /// A result arrived and has not been drawn yet.
    pub undrawn: bool,
}

impl Trace {
    pub fn from_env() -> Trace {
        Trace {
            file: std::env::var_os("ASYNCLING_TRACE").map(PathBuf::from),
            undrawn: false,
        }
    }

    /// Called after each draw: writes the time a new result reached the screen.
    fn drawn(&mut self, passed: bool) -> Result<()> {
        if !std::mem::take(&mut self.undrawn) {
            return Ok(());
        }
        let Some(trace) = &self.file else {
            return Ok(());
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let verdict = if passed { "passed" } else { "failed" };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(trace)
            .with_context(|| format!("Failed to open {}", trace.display()))?;
        writeln!(f, "{nanos} {verdict}")?;
        Ok(())
    }
}

impl Watch<'_> {
    pub(super) fn list_indices(&self) -> Vec<usize> {
        let filter = match self.view.mode {
            Mode::List { filter, .. } => filter,
            _ => Filter::All,
        };
        (0..self.course.exercises.len())
            .filter(|&i| {
                let done = self.state.progress.is_done(&self.course.exercises[i].name);
                match filter {
                    Filter::All => true,
                    Filter::Done => done,
                    Filter::Pending => !done,
                }
            })
            .collect()
    }

    /// `o`: the output printed whole on the normal screen, where the terminal's own scrollback
    /// reaches all of it; any key comes back.
    pub(super) fn show_whole(&mut self) -> Result<()> {
        let Some(outcome) = &self.outcome else {
            return Ok(());
        };
        let output = if self.view.full_backtrace {
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
        self.view.mode = Mode::Whole;
        Ok(())
    }

    pub(super) fn draw(&mut self) -> Result<()> {
        if let Mode::Whole = self.view.mode {
            return Ok(());
        }
        let said = self.view.messages.len();
        self.draw_screen()?;
        if self.view.messages.len() != said {
            // Drawing recorded a hint and that said something (progress cannot be saved).
            self.draw_screen()?;
        }
        let passed = self.outcome.as_ref().is_some_and(|o| o.passed());
        self.trace.drawn(passed)?;
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
        let prompt = self.view.confirm.as_ref().map(|c| match c {
            Confirm::ResetCurrent => reset_question(self.exercise().path()),
            Confirm::ResetListed(i) => reset_question(self.course.exercises[*i].path()),
        });
        let lines = match &self.view.mode {
            Mode::List { cursor, filter } => {
                self.list_lines(*cursor, *filter, prompt.as_deref(), w, h)
            }
            Mode::CheckingAll { done, total } => self.checking_all_lines(*done, *total, w),
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

    fn list_lines(
        &self,
        cursor: usize,
        filter: Filter,
        prompt: Option<&str>,
        w: usize,
        h: usize,
    ) -> Vec<String> {
        let shown = self.list_indices();
        let rows = shown
            .iter()
            .map(|&i| {
                let e = &self.course.exercises[i];
                ListRow {
                    number: i + 1,
                    chapter: e.chapter(),
                    name: &e.name,
                    done: self.state.progress.is_done(&e.name),
                    current: i == self.current,
                }
            })
            .collect::<Vec<_>>();
        let pos = shown.iter().position(|&i| i == cursor).unwrap_or(0);
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
                prompt,
            },
            w,
            h,
        )
    }

    fn checking_all_lines(&self, done: usize, total: usize, w: usize) -> Vec<String> {
        let mut lines = screen::wrap(
            "Checking every exercise… (the first time, this builds them all)",
            w,
        );
        let progress = &self.runner.progress;
        if progress.built > 0 {
            lines.extend(screen::wrap(
                &format!(
                    "Building: {} crates compiled, last {}",
                    progress.built, progress.last_built
                ),
                w,
            ));
        }
        lines.push(screen::progress_bar(done, total, w));
        lines
    }

    fn main_lines(&mut self, prompt: Option<&str>, w: usize, h: usize) -> Vec<String> {
        let ex = self.exercise().clone();
        // When an earlier step the exercise builds on is what fails, that is the file to edit.
        let path = self
            .outcome
            .as_ref()
            .and_then(|o| o.failing_elsewhere(&ex.path()))
            .map_or_else(|| ex.path().display().to_string(), str::to_string);
        let path_link = crate::term::file_link(&self.course.root.join(&path), &path);
        let solution = ex.solution_path().display().to_string();
        let progress = &self.runner.progress;
        let status = if self.runner.is_running() {
            match progress.testing_since {
                Some(since) => Status::Testing {
                    elapsed_secs: since.elapsed().as_secs(),
                    deadline_secs: ex.timeout.as_secs(),
                },
                None => Status::Building {
                    elapsed_secs: progress.started.map_or(0, |s| s.elapsed().as_secs()),
                    dependencies: progress.dependencies,
                    last: progress.last_built.clone(),
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
            Some(o) if !self.runner.is_running() => {
                let output = if self.view.full_backtrace {
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
            .take(self.view.hints)
            .enumerate()
            .map(|(i, h)| (i + 1, ex.hints.len(), h.as_str()))
            .collect();
        let messages: Vec<String> = self.view.messages.iter().map(|(_, m)| m.clone()).collect();
        let layout = screen::main_lines(
            &MainView {
                name: &ex.name,
                path: &path,
                path_link: &path_link,
                solution: &solution,
                done: self.state.progress.done.len(),
                total: self.course.exercises.len(),
                status,
                output: &output,
                notes: &notes,
                hints: &hints,
                messages: &messages,
                prompt,
                scroll: self.view.scroll,
                reveal_hint: self.view.reveal_hint.take(),
            },
            w,
            h,
        );
        self.view.scroll = layout.scroll;
        self.view.page = layout.page;
        // A hint counts as shown once it has been on the screen.
        if layout.hints_drawn > self.state.progress.hints_shown(&ex.name) {
            let drawn = layout.hints_drawn;
            let name = ex.name.clone();
            self.save(|p| p.hints_seen(&name, drawn));
        }
        layout.lines
    }
}
