//! Ctrl-C, `kill`, a closed terminal, a closed pipe: however the checker is told to stop, it
//! stops every process it started, puts the terminal back, and exits with the conventional status
//! (128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). Learner files and
//! progress are never half-written: both are replaced by atomic renames.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::{process, state, term};

/// Set once a stop has begun: the thread stopping everything is the one that exits.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// The exit status when stdout or stderr is closed under us (`asyncling list | head -1`).
static BROKEN_PIPE_STATUS: AtomicI32 = AtomicI32::new(0);

/// Starts listening for the stop signals, and makes closed pipes quiet. Call first thing.
pub fn install() {
    process::become_subreaper();
    quiet_broken_pipes();
    match Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    stop(sig);
                }
            });
        }
        Err(e) => term::warn(&format!(
            "Ctrl-C may leave processes running: the signal handlers failed to install ({e})"
        )),
    }
}

/// The status to exit with if output breaks: 0 for commands that only print, 1 for commands
/// whose status is a verdict that can no longer be given.
pub fn set_broken_pipe_status(code: i32) {
    BROKEN_PIPE_STATUS.store(code, Ordering::SeqCst);
}

fn name(sig: i32) -> &'static str {
    match sig {
        SIGINT => "Ctrl-C (SIGINT)",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP (the terminal closed)",
        _ => "a signal",
    }
}

/// Called by the main thread as it ends: if a stop is under way, leave the exit to it (with its
/// status and message) instead of racing it with an error about the killed checks.
pub fn wait_if_stopping() {
    while STOPPING.load(Ordering::SeqCst) {
        std::thread::park();
    }
}

fn stop(sig: i32) -> ! {
    STOPPING.store(true, Ordering::SeqCst);
    // The checks about to be killed must not be recorded as failures.
    state::freeze();
    // Killing comes first and does not wait for the terminal: a thread blocked writing to a full
    // pipe must not keep the children alive.
    let killer = std::thread::spawn(process::stop_all);
    // Held until exit, so no other thread draws over the restored terminal or prints.
    let _stdout = std::io::stdout().lock();
    let _stderr = std::io::stderr().lock();
    let stopped = killer.join().unwrap_or(0);
    term::leave_full_screen();
    // The terminal may be gone (SIGHUP): a failed write is fine, a panic is not.
    let _ = writeln!(
        std::io::stderr(),
        "\nStopped by {}. {}Your files and progress are as they were.",
        name(sig),
        match stopped {
            0 => String::new(),
            1 => "The 1 process the check had started was stopped. ".to_string(),
            n => format!("The {n} processes the check had started were stopped. "),
        }
    );
    std::process::exit(128 + sig)
}

/// Rust's printing macros panic when the reader has gone (`failed printing to stdout: Broken
/// pipe`). That is not a bug of ours: stop what runs and exit quietly instead.
fn quiet_broken_pipes() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            STOPPING.store(true, Ordering::SeqCst);
            let _stdout = std::io::stdout().lock();
            process::stop_all();
            term::leave_full_screen();
            std::process::exit(BROKEN_PIPE_STATUS.load(Ordering::SeqCst));
        }
        default(info);
    }));
}
