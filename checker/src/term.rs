//! Everything the checker draws on the terminal: colour decisions, check results, progress bars.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::check::Outcome;
use crate::course::Exercise;

/// How the learner starts the checker, for every command a message suggests: `cargo course`
/// through the alias in `.cargo/config.toml` (cargo sets `CARGO` for the programs it runs, and the
/// binary sits in a `target` folder), `asyncling` when installed with `cargo install`.
/// `ASYNCLING_COMMAND` overrides the guess.
pub fn cmd() -> &'static str {
    static CMD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CMD.get_or_init(|| {
        if let Some(c) = std::env::var_os("ASYNCLING_COMMAND").filter(|c| !c.is_empty()) {
            return c.to_string_lossy().into_owned();
        }
        let in_target = std::env::current_exe()
            .is_ok_and(|exe| exe.components().any(|c| c.as_os_str() == "target"));
        if std::env::var_os("CARGO").is_some() && in_target {
            "cargo course".to_string()
        } else {
            "asyncling".to_string()
        }
    })
}

/// Colour is used on a terminal unless `NO_COLOR` is set; `CLICOLOR_FORCE` forces it on.
pub fn init_color() -> bool {
    let forced = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
    let banned = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let on = !banned && (forced || std::io::stdout().is_terminal());
    colored::control::set_override(on);
    on
}

pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

pub fn warn(text: &str) {
    eprintln!("{} {text}", "warning:".yellow().bold());
}

/// The full report of one check: the failing step's output, explanations, what to do next.
/// Backtrace frames from std, tokio and the reference runtime are folded unless `full`.
pub fn print_outcome(ex: &Exercise, outcome: &Outcome, full: bool) {
    let path = ex.path().display().to_string();
    let folded;
    let output = if full {
        outcome.output.as_str()
    } else {
        folded = crate::fold::backtraces(&outcome.output);
        folded.as_str()
    };
    match outcome.failed {
        None => {
            if !output.trim().is_empty() {
                println!("{}", output.trim_end());
                println!();
            }
            for note in &outcome.notes {
                println!("{} {note}", "note:".cyan().bold());
                println!();
            }
            println!("{} {} passes.", "✓".green().bold(), ex.name.bold());
            println!(
                "  Compare with the reference solution: {}",
                ex.solution_path().display().to_string().underline()
            );
        }
        Some(step) => {
            if !output.trim().is_empty() {
                println!("{}", output.trim_end());
                println!();
            }
            for note in &outcome.notes {
                println!("{} {note}", "note:".cyan().bold());
                println!();
            }
            println!(
                "{} {} failed at the {} step. Edit {} and check again.",
                "✗".red().bold(),
                ex.name.bold(),
                step.label().bold(),
                path.underline()
            );
            println!("  Stuck? `{} hint {}` shows the next hint.", cmd(), ex.name);
        }
    }
}

/// A progress bar on standard error: `⠋ Checking [=====>    ] 12/40 7s message`. A thread redraws
/// it every 200 ms, so the spinner and the clock move while nothing else does (cargo building).
#[derive(Clone)]
pub struct Bar(Arc<BarInner>);

struct BarInner {
    state: Mutex<BarState>,
    started: Instant,
}

struct BarState {
    pos: usize,
    len: usize,
    prefix: String,
    message: String,
    tick: usize,
    finished: bool,
}

impl Bar {
    pub fn inc(&self, n: usize) {
        if let Ok(mut s) = self.0.state.lock() {
            s.pos += n;
        }
        self.draw(false);
    }

    pub fn set_message(&self, message: impl Into<String>) {
        if let Ok(mut s) = self.0.state.lock() {
            s.message = message.into();
        }
        self.draw(false);
    }

    /// Stops the bar and erases its line.
    pub fn finish_and_clear(&self) {
        if let Ok(mut s) = self.0.state.lock() {
            s.finished = true;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }

    fn draw(&self, tick: bool) {
        const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let Ok(mut s) = self.0.state.lock() else {
            return;
        };
        if s.finished {
            return;
        }
        if tick {
            s.tick += 1;
        }
        let cells = 30;
        let full = (cells * s.pos.min(s.len))
            .checked_div(s.len)
            .unwrap_or(cells);
        let bar = format!(
            "{}{}{}",
            "=".repeat(full),
            if full < cells { ">" } else { "" },
            " ".repeat(cells.saturating_sub(full + 1))
        );
        let line = format!(
            "{} {} [{bar}] {}/{} {}s {}",
            SPINNER[s.tick % SPINNER.len()],
            s.prefix,
            s.pos,
            s.len,
            self.0.started.elapsed().as_secs(),
            s.message
        );
        let width = crossterm::terminal::size().map_or(80, |(w, _)| w as usize);
        let line: String = line.chars().take(width.saturating_sub(1)).collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }
}

pub fn progress_bar(total: usize, prefix: &str) -> Option<Bar> {
    if !stderr_is_tty() {
        return None;
    }
    let bar = Bar(Arc::new(BarInner {
        state: Mutex::new(BarState {
            pos: 0,
            len: total,
            prefix: prefix.to_string(),
            message: String::new(),
            tick: 0,
            finished: false,
        }),
        started: Instant::now(),
    }));
    let weak = Arc::downgrade(&bar.0);
    std::thread::spawn(move || {
        while let Some(inner) = weak.upgrade() {
            let bar = Bar(inner);
            if bar.0.state.lock().map_or(true, |s| s.finished) {
                return;
            }
            bar.draw(true);
            drop(bar);
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    bar.draw(false);
    Some(bar)
}

/// One plain line per finished check, for logs and pipes.
pub fn plain_line(label: &str, ok: bool, detail: &str) -> String {
    let mark = if ok {
        "ok".green()
    } else {
        "FAIL".red().bold()
    };
    if detail.is_empty() {
        format!("{mark:>4} {label}")
    } else {
        format!("{mark:>4} {label} ({detail})")
    }
}
