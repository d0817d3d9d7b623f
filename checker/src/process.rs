//! The one module that starts processes. Every child runs in its own process group with a
//! deadline: on timeout (or when asked to stop) the whole group is killed, so a hung test and
//! any threads or processes it started are gone, and no zombie is left behind.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::output_cap::CappedOutput;

/// How a child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    /// Killed by a signal it did not ask for (a crash, an abort).
    Signaled(i32),
    /// Still running at the deadline; killed.
    TimedOut,
    /// Stopped because the caller asked (a newer save arrived, the learner quit).
    Cancelled,
}

impl Ending {
    pub fn success(self) -> bool {
        self == Ending::Exited(0)
    }
}

pub struct Finished {
    pub ending: Ending,
    /// Standard output, whole, when it was asked for separately (cargo's JSON messages).
    pub stdout: Vec<u8>,
    /// Standard error, or both streams interleaved, capped.
    pub output: CappedOutput,
}

pub struct Options {
    pub timeout: Option<Duration>,
    /// Keep stdout apart, uncapped (for machine-readable output); otherwise it joins stderr.
    pub separate_stdout: bool,
    /// Set from another thread to stop the child early.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called with each line of the separate stdout as it arrives (build progress).
    pub on_line: Option<LineHook>,
}

pub type LineHook = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// Runs `cmd` to completion, the deadline or cancellation.
pub fn run(mut cmd: Command, opts: &Options) -> Result<Finished> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let (reader, writer) = std::io::pipe().context("Failed to create a pipe")?;
    let (out_reader, stdout) = if opts.separate_stdout {
        let (r, w) = std::io::pipe().context("Failed to create a pipe")?;
        (Some(r), Stdio::from(w))
    } else {
        (
            None,
            Stdio::from(writer.try_clone().context("Failed to create a pipe")?),
        )
    };
    cmd.stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::from(writer));
    // A new process group makes the child and everything it starts killable at once.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("Failed to start `{program}`"))?;
    // The parent's copies of the write ends were moved into `cmd`; drop it so EOF can arrive.
    drop(cmd);
    let pgid = child.id() as i32;

    let capped = thread::spawn(move || {
        let mut reader = reader;
        let mut cap = CappedOutput::default();
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            cap.push(&buf[..n]);
        }
        cap
    });
    let hook = opts.on_line.clone();
    let whole = out_reader.map(|r| {
        thread::spawn(move || {
            let mut all = Vec::new();
            let mut lines = std::io::BufReader::new(r);
            let mut line = Vec::new();
            while let Ok(n) = std::io::BufRead::read_until(&mut lines, b'\n', &mut line) {
                if n == 0 {
                    break;
                }
                if let Some(hook) = &hook {
                    hook(&line);
                }
                all.append(&mut line);
            }
            all
        })
    });

    let (tx, rx) = mpsc::channel::<std::io::Result<ExitStatus>>();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });

    let mut forced = None;
    let status = loop {
        let tick = Duration::from_millis(20);
        let wait = match opts.timeout {
            Some(t) => t.saturating_sub(started.elapsed()).min(tick),
            None => tick,
        };
        match rx.recv_timeout(wait) {
            Ok(status) => break status.context("Failed to wait for a child process")?,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let cancelled = opts
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::SeqCst));
                let late = opts.timeout.is_some_and(|t| started.elapsed() >= t);
                if forced.is_none() && (cancelled || late) {
                    forced = Some(if cancelled {
                        Ending::Cancelled
                    } else {
                        Ending::TimedOut
                    });
                    kill_group(pgid);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                anyhow::bail!("Lost track of the child process `{program}`")
            }
        }
    };
    // Whatever the child left running in its group (a detached thread pool, a grandchild) goes too.
    kill_group(pgid);
    let output = capped.join().unwrap_or_default();
    let stdout = whole
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    let ending = forced.unwrap_or_else(|| ending_of(status));
    Ok(Finished {
        ending,
        stdout,
        output,
    })
}

fn ending_of(status: ExitStatus) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(sig)) => Ending::Signaled(sig),
        (None, None) => Ending::Exited(-1),
    }
}

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) takes two integers and touches none of our memory. A negative pid signals
    // the group we created; a group already gone makes it return ESRCH, the outcome we want.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// Is a process with this id still alive (not counting zombies we have reaped)?
#[cfg(test)]
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists; no memory is involved.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    fn opts(timeout_ms: u64) -> Options {
        Options {
            timeout: Some(Duration::from_millis(timeout_ms)),
            separate_stdout: false,
            cancel: None,
            on_line: None,
        }
    }

    #[test]
    fn exit_codes_and_output_are_reported() {
        let f = run(sh("echo out; echo err >&2; exit 3"), &opts(5000)).unwrap();
        assert_eq!(f.ending, Ending::Exited(3));
        let text = f.output.render();
        assert!(text.contains("out") && text.contains("err"), "{text}");
    }

    #[test]
    fn a_hang_is_killed_with_its_whole_group() {
        let f = run(sh("sleep 30 & echo $! > /dev/stderr; sleep 30"), &opts(200)).unwrap();
        assert_eq!(f.ending, Ending::TimedOut);
        let grandchild: i32 = f.output.render().trim().parse().unwrap();
        // The group was SIGKILLed; give the kernel a moment to reap the orphan.
        let deadline = Instant::now() + Duration::from_secs(2);
        while alive(grandchild) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert!(!alive(grandchild), "the grandchild {grandchild} survived");
    }

    #[test]
    fn cancellation_stops_the_child() {
        let cancel = Arc::new(AtomicBool::new(true));
        let o = Options {
            timeout: None,
            separate_stdout: false,
            cancel: Some(cancel),
            on_line: None,
        };
        let f = run(sh("sleep 30"), &o).unwrap();
        assert_eq!(f.ending, Ending::Cancelled);
    }
}
