//! Terminal helpers: colour decisions, the command name, file links, warnings, progress bars, raw
//! mode. It depends on no other module of the checker (results are printed by `report`).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use colored::Colorize;
use indicatif::{ProgressBar, ProgressStyle};

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

/// `text` as a hyperlink to the file `path` (absolute) where stdout is a terminal that shows OSC 8
/// links, so a click opens the exercise; plain `text` anywhere else (pipes, CI logs, terminals
/// that would print the escape bytes). `supports-hyperlinks` knows the terminals;
/// `FORCE_HYPERLINK=1` forces links on.
pub fn file_link(path: &Path, text: &str) -> String {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let on = *ON.get_or_init(|| supports_hyperlinks::on(supports_hyperlinks::Stream::Stdout));
    if on {
        osc8(path, text)
    } else {
        text.to_string()
    }
}

/// The OSC 8 escape: `ESC ] 8 ; ; URL ESC \ text ESC ] 8 ; ; ESC \`.
fn osc8(path: &Path, text: &str) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    format!("\x1b]8;;{url}\x1b\\{text}\x1b]8;;\x1b\\")
}

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

pub fn progress_bar(total: usize, message: &str) -> Option<ProgressBar> {
    if !stderr_is_tty() {
        return None;
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template(
        "{spinner} {prefix} [{bar:30.cyan/blue}] {pos}/{len} {elapsed} {wide_msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(message.to_string());
    // The spinner and the clock move while cargo builds, before the first check finishes.
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
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
