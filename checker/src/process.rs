//! The one module that starts processes. Every child runs in its own process group with a
//! deadline: on timeout (or when asked to stop) the whole group is killed, so a hung test and
//! any threads or processes it started are gone, and no zombie is left behind.
//!
//! Processes that leave their group (`setsid`, a double fork) are still ours: the checker is a
//! child subreaper, so every orphan below it becomes its child, and after each check any child the
//! checker did not start itself (a stray) is stopped. The deadline bounds the whole check, reading
//! the output included: a stray holding the output pipe open cannot make the checker wait. Each
//! child also gets a parent-death signal, so even a checker killed with SIGKILL leaves no test
//! binary or cargo running.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::output_cap::CappedOutput;
use crate::procfs::{self, Usage};
/// How a child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    /// Killed by a signal it did not ask for (a crash, an abort, the out-of-memory killer).
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
    /// The child's CPU time and memory, last sampled before it ended (before it was killed, on a
    /// timeout).
    pub usage: Option<Usage>,
    /// What each thread of the child was doing when it was killed at its deadline (empty
    /// otherwise).
    pub threads: Vec<procfs::ThreadCall>,
    /// Processes that outlived the child outside its group, and were stopped: "name (pid N)".
    pub strays: Vec<String>,
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

/// The process groups of the children running now, and whether the checker is shutting down.
struct Registry {
    groups: Vec<i32>,
    stopping: bool,
    /// Strays stopped so far, by the id of the run that started them (several checks run at once,
    /// and any of them may sweep another's stray first).
    strays: Vec<(u64, String)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    groups: Vec::new(),
    stopping: false,
    strays: Vec::new(),
});

/// Every child carries its run's id in this variable, and so does everything it starts: a stray
/// is traced back to its run by its environment.
const RUN_ID_VAR: &str = "ASYNCLING_RUN_ID";
static NEXT_RUN_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes every orphaned descendant a child of this process (Linux), so none can escape.
pub fn become_subreaper() {
    // SAFETY: prctl with integer arguments changes a flag of this process; no memory is shared.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// In the forked child, before exec: die with the thread that started us (Linux), so even a
/// checker killed with SIGKILL leaves nothing running. Only async-signal-safe calls.
fn die_with_parent(parent: libc::pid_t) -> std::io::Result<()> {
    // SAFETY: prctl, getppid and _exit are system calls that take integers; no memory, no locks.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        if libc::getppid() != parent {
            // The checker died before the signal was armed.
            libc::_exit(1);
        }
    }
    let _ = parent;
    Ok(())
}

const TICK: Duration = Duration::from_millis(20);
/// Usage is sampled every this many ticks (and once more before a kill).
const SAMPLE_EVERY: u32 = 10;
/// Bound on waiting for strays to die and for the output to end after the child is gone.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

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
    let id = NEXT_RUN_ID.fetch_add(1, Ordering::SeqCst);
    cmd.env(RUN_ID_VAR, id.to_string());
    let started = Instant::now();
    let child = spawn(cmd, &program)?;
    let pgid = child.id() as i32;
    let capped = read_capped(reader);
    let whole = out_reader.map(|r| read_lines(r, opts.on_line.clone()));
    let (tx, rx) = mpsc::channel::<std::io::Result<ExitStatus>>();
    thread::spawn(move || {
        let mut child = child;
        let _ = tx.send(child.wait());
    });
    let watched = watch(pgid, started, opts, &rx);
    // Whatever the child left running in its group (a detached thread pool, a grandchild) goes too.
    kill_group(pgid);
    forget(pgid);
    let (status, forced, usage, threads) =
        watched.with_context(|| format!("Lost track of `{program}`"))?;
    let output = drain(&capped).unwrap_or_else(lost_output);
    let stdout = whole.and_then(|w| drain(&w)).unwrap_or_default();
    let strays = strays_of(id);
    let ending = forced.unwrap_or_else(|| ending_of(status));
    Ok(Finished {
        ending,
        stdout,
        output,
        usage,
        threads,
        strays,
    })
}

/// Starts `cmd` in a group of its own and registers the group, unless the checker is stopping.
fn spawn(mut cmd: Command, program: &str) -> Result<std::process::Child> {
    // A new process group makes the child and everything it starts killable at once.
    cmd.process_group(0);
    // SAFETY: getpid is async-signal-safe and reads no memory of ours.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and only makes async-signal-safe
    // system calls; it allocates nothing and touches no lock.
    unsafe {
        cmd.pre_exec(move || die_with_parent(parent));
    }
    let mut reg = registry();
    if reg.stopping {
        bail!("The checker is stopping; `{program}` was not started");
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("Failed to start `{program}`"))?;
    reg.groups.push(child.id() as i32);
    Ok(child)
}

type Watched = (
    ExitStatus,
    Option<Ending>,
    Option<Usage>,
    Vec<procfs::ThreadCall>,
);

/// Waits for the child, killing its group at the deadline or on cancellation, sampling its usage
/// meanwhile.
fn watch(
    pgid: i32,
    started: Instant,
    opts: &Options,
    rx: &mpsc::Receiver<std::io::Result<ExitStatus>>,
) -> Result<Watched> {
    let mut forced = None;
    let mut usage = None;
    let mut threads = Vec::new();
    let mut ticks = 0u32;
    loop {
        let wait = match opts.timeout {
            Some(t) => t.saturating_sub(started.elapsed()).min(TICK),
            None => TICK,
        };
        match rx.recv_timeout(wait) {
            Ok(status) => {
                let status = status.context("Failed to wait for a child process")?;
                if forced.is_none() && registry().stopping {
                    // Killed by `stop_all`, not by a crash.
                    forced = Some(Ending::Cancelled);
                }
                return Ok((status, forced, usage, threads));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                ticks += 1;
                if forced.is_none() && ticks.is_multiple_of(SAMPLE_EVERY) {
                    usage = procfs::usage(pgid, started.elapsed()).or(usage);
                }
                let cancelled = opts
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::SeqCst));
                let late = opts.timeout.is_some_and(|t| started.elapsed() >= t);
                if forced.is_none() && (cancelled || late) {
                    // What the child was doing, read before it is gone.
                    usage = procfs::usage(pgid, started.elapsed()).or(usage);
                    if late {
                        threads = procfs::thread_calls(pgid);
                    }
                    forced = Some(if cancelled {
                        Ending::Cancelled
                    } else {
                        Ending::TimedOut
                    });
                    kill_group(pgid);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the waiting thread stopped"),
        }
    }
}

fn read_capped(reader: std::io::PipeReader) -> mpsc::Receiver<CappedOutput> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = reader;
        let mut cap = CappedOutput::default();
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            cap.push(&buf[..n]);
        }
        let _ = tx.send(cap);
    });
    rx
}

fn read_lines(reader: std::io::PipeReader, hook: Option<LineHook>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut all = Vec::new();
        let mut lines = std::io::BufReader::new(reader);
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
        let _ = tx.send(all);
    });
    rx
}

/// The output, once every writer is gone. Strays are swept again while waiting (one may have
/// been orphaned a moment after the last sweep); `None` if the pipe never closes.
fn drain<T>(rx: &mpsc::Receiver<T>) -> Option<T> {
    let started = Instant::now();
    while started.elapsed() < DRAIN_LIMIT {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(v) => return Some(v),
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                sweep_strays(&mut registry());
            }
        }
    }
    None
}

fn lost_output() -> CappedOutput {
    let mut cap = CappedOutput::default();
    cap.push(
        b"(the output could not be read: something kept it open after the check was stopped)\n",
    );
    cap
}

/// The group is gone: unregister it and stop whatever it left behind outside the group.
fn forget(pgid: i32) {
    let mut reg = registry();
    reg.groups.retain(|&g| g != pgid);
    sweep_strays(&mut reg);
}

/// The strays of run `id` that were stopped, whoever found them.
fn strays_of(id: u64) -> Vec<String> {
    let mut reg = registry();
    let (mine, others) = std::mem::take(&mut reg.strays)
        .into_iter()
        .partition(|(run, _)| *run == id);
    reg.strays = others;
    mine.into_iter().map(|(_, label)| label).collect()
}

/// Stops every child of the checker that no running check owns: processes orphaned by a check
/// that ended (the subreaper made them ours). What was stopped is recorded for its run.
fn sweep_strays(reg: &mut Registry) {
    // SAFETY: getpid reads no memory of ours.
    let me = unsafe { libc::getpid() };
    let started = Instant::now();
    while started.elapsed() < DRAIN_LIMIT {
        let strays: Vec<procfs::Stat> = procfs::children(me)
            .into_iter()
            .filter(|s| !reg.groups.contains(&s.pgrp))
            .collect();
        if strays.is_empty() {
            break;
        }
        for s in strays {
            if s.state != 'Z' {
                let run = procfs::env_var(s.pid, RUN_ID_VAR).and_then(|v| v.parse().ok());
                let label = format!("{} (pid {})", s.name, s.pid);
                let entry = (run.unwrap_or(0), label);
                if !reg.strays.contains(&entry) {
                    reg.strays.push(entry);
                }
            }
            stop_and_reap(&s);
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// SIGKILLs a process of ours (with its group, when it leads one) and reaps it if it has died.
fn stop_and_reap(s: &procfs::Stat) {
    // SAFETY: kill and waitpid take integers and a null status pointer; `s.pid` is our own child,
    // which no other code waits for (no running check owns its group).
    unsafe {
        if s.state != 'Z' {
            let target = if s.pgrp == s.pid { -s.pid } else { s.pid };
            libc::kill(target, libc::SIGKILL);
        }
        libc::waitpid(s.pid, std::ptr::null_mut(), libc::WNOHANG);
    }
}

/// Stops every process the checker started, however deep, and starts no more. Returns how many
/// were stopped. For signals: the checker exits right after.
pub fn stop_all() -> usize {
    let mut reg = registry();
    reg.stopping = true;
    // SAFETY: getpid reads no memory of ours.
    let me = unsafe { libc::getpid() };
    // Counted before the groups go, so the count covers everything that was running.
    let mut stopped: Vec<i32> = procfs::descendants(me)
        .into_iter()
        .filter(|s| s.pid != me && s.state != 'Z')
        .map(|s| s.pid)
        .collect();
    for &g in &reg.groups {
        kill_group(g);
    }
    reg.groups.clear();
    let started = Instant::now();
    while started.elapsed() < DRAIN_LIMIT {
        // Zombies are left to their waiting threads (or to init once we exit): reaping one here
        // would take its status from the thread waiting for it.
        let running: Vec<procfs::Stat> = procfs::descendants(me)
            .into_iter()
            .filter(|s| s.pid != me && s.state != 'Z')
            .collect();
        if running.is_empty() {
            break;
        }
        for s in &running {
            if !stopped.contains(&s.pid) {
                stopped.push(s.pid);
            }
            let target = if s.pgrp == s.pid { -s.pid } else { s.pid };
            // SAFETY: kill takes two integers; the process is one of ours.
            unsafe {
                libc::kill(target, libc::SIGKILL);
            }
        }
        thread::sleep(Duration::from_millis(5));
    }
    stopped.len()
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
    fn an_escapee_holding_the_output_open_is_stopped_and_named() {
        become_subreaper();
        let started = Instant::now();
        let f = run(
            // Reports the escapee once it leads a group of its own (it has left ours).
            sh("setsid sh -c 'exec sleep 300' & p=$!; \
                until [ \"$(cut -d' ' -f5 /proc/$p/stat)\" = \"$p\" ]; do :; done; echo $p >&2"),
            &opts(60_000),
        )
        .unwrap();
        assert_eq!(f.ending, Ending::Exited(0));
        let escapee: i32 = f.output.render().trim().parse().unwrap();
        assert!(
            f.strays
                .iter()
                .any(|s| s.ends_with(&format!("(pid {escapee})"))),
            "{:?}",
            f.strays
        );
        // Not held to the deadline by the open pipe.
        assert!(started.elapsed() < Duration::from_secs(60));
        let deadline = Instant::now() + Duration::from_secs(10);
        while alive(escapee) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert!(!alive(escapee), "the escapee {escapee} survived");
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
