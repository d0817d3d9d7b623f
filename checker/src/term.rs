//! Everything the checker draws on the terminal: colour decisions, check results, progress bars.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use colored::Colorize;
use indicatif::{ProgressBar, ProgressStyle};

use crate::check::Outcome;
use crate::course::Exercise;

/// Colour is used on a terminal unless `NO_COLOR` is set; `CLICOLOR_FORCE` forces it on.
pub fn init_color() -> bool {
    let forced = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
    let banned = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let on = !banned && (forced || std::io::stdout().is_terminal());
    colored::control::set_override(on);
    on
}

/// Whether watch's full screen (raw mode, alternate screen) is up, so a signal can take it down.
static FULL_SCREEN: AtomicBool = AtomicBool::new(false);

/// Raw mode and the alternate screen, for watch. Keys typed before this (while `cargo course`
/// was still building, say) are discarded: they were not meant for the screen that comes up.
pub fn enter_full_screen() -> anyhow::Result<()> {
    use anyhow::Context;
    crossterm::terminal::enable_raw_mode().context("Failed to switch the terminal to raw mode")?;
    FULL_SCREEN.store(true, Ordering::SeqCst);
    // SAFETY: tcflush takes a file descriptor and a constant; it touches none of our memory.
    unsafe {
        libc::tcflush(libc::STDIN_FILENO, libc::TCIFLUSH);
    }
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::cursor::Hide
    )
    .context("Failed to prepare the terminal")
}

/// Puts the terminal back as it was; does nothing when the full screen is not up. Safe to call
/// from any thread, more than once.
pub fn leave_full_screen() {
    if !FULL_SCREEN.swap(false, Ordering::SeqCst) {
        return;
    }
    // Holding stdout keeps a drawing thread from writing over the restored screen.
    let mut out = std::io::stdout().lock();
    let _ = crossterm::execute!(
        out,
        crossterm::cursor::Show,
        crossterm::terminal::LeaveAlternateScreen
    );
    let _ = crossterm::terminal::disable_raw_mode();
}

pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

pub fn warn(text: &str) {
    eprintln!("{} {text}", "warning:".yellow().bold());
}

/// The full report of one check: the failing step's output, explanations, what to do next.
pub fn print_outcome(ex: &Exercise, outcome: &Outcome) {
    let path = ex.path().display().to_string();
    match outcome.failed {
        None => {
            if !outcome.output.trim().is_empty() {
                println!("{}", outcome.output.trim_end());
                println!();
            }
            println!("{} {} passes.", "✓".green().bold(), ex.name.bold());
            println!(
                "  Compare with the reference solution: {}",
                ex.solution_path().display().to_string().underline()
            );
        }
        Some(step) => {
            if !outcome.output.trim().is_empty() {
                println!("{}", outcome.output.trim_end());
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
            println!("  Stuck? `asyncling hint {}` shows the next hint.", ex.name);
        }
    }
}

pub fn progress_bar(total: usize, message: &str) -> Option<ProgressBar> {
    if !stderr_is_tty() {
        return None;
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{msg} [{bar:30.cyan/blue}] {pos}/{len} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message.to_string());
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
