//! What Linux's `/proc` says about processes: parents and groups (to find every process the
//! checker started, even one that left its group), CPU time and memory, and the system call each
//! thread sits in (to tell what a hung test was doing). Everything here only reads; elsewhere (or
//! off Linux) the answers are empty.

use std::fs;
use std::time::Duration;

/// One line of `/proc/<pid>/stat`, the fields the checker uses.
#[derive(Clone, Debug)]
pub struct Stat {
    pub pid: i32,
    pub name: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    /// User plus system CPU time, all threads together.
    pub cpu: Duration,
}

fn ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a constant of the system and touches none of our memory.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

pub fn stat(pid: i32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(pid, &text)
}

fn parse_stat(pid: i32, text: &str) -> Option<Stat> {
    // The name is in parentheses and may itself contain spaces or parentheses.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let field = |i: usize| rest.get(i).and_then(|s| s.parse::<i64>().ok());
    let ticks = (field(11)? + field(12)?).max(0) as u64;
    let hz = ticks_per_second();
    Some(Stat {
        pid,
        name,
        state: rest.first()?.chars().next()?,
        ppid: field(1)? as i32,
        pgrp: field(2)? as i32,
        cpu: Duration::from_millis(ticks * 1000 / hz),
    })
}

/// Every process the system shows us.
pub fn all() -> Vec<Stat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .collect()
}

/// The processes whose parent is `pid`.
pub fn children(pid: i32) -> Vec<Stat> {
    all().into_iter().filter(|s| s.ppid == pid).collect()
}

/// `pid` and every process below it.
pub fn descendants(pid: i32) -> Vec<Stat> {
    let every = all();
    let mut found: Vec<Stat> = every.iter().filter(|s| s.pid == pid).cloned().collect();
    let mut i = 0;
    while i < found.len() {
        let parent = found[i].pid;
        found.extend(every.iter().filter(|s| s.ppid == parent).cloned());
        i += 1;
    }
    found
}

/// The value of an environment variable of `pid`, as it was when the process started.
pub fn env_var(pid: i32, name: &str) -> Option<String> {
    let environ = fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ.split(|&b| b == 0).find_map(|entry| {
        let value = entry.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
        Some(String::from_utf8_lossy(value).into_owned())
    })
}

/// How a process spent its life so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// CPU time used, all threads.
    pub cpu: Duration,
    /// The largest share of the time any one thread was running or ready to run (waiting only for
    /// a free core), 0.0 to 1.0. A busy loop is near 1 even on a crowded machine; a thread
    /// blocked on a wake-up that never comes is near 0. `None` when the kernel does not say.
    pub busiest_thread: Option<f64>,
    /// Peak resident memory, in bytes.
    pub peak_memory: u64,
}

/// Samples `pid`'s usage; `alive_for` is how long it has been running.
pub fn usage(pid: i32, alive_for: Duration) -> Option<Usage> {
    let cpu = stat(pid)?.cpu;
    let peak_memory = fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        })
        .unwrap_or(0);
    Some(Usage {
        cpu,
        busiest_thread: busiest_thread(pid, alive_for),
        peak_memory,
    })
}

fn busiest_thread(pid: i32, alive_for: Duration) -> Option<f64> {
    let wall = alive_for.as_nanos() as f64;
    if wall <= 0.0 {
        return None;
    }
    let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    tasks
        .filter_map(|t| {
            let path = t.ok()?.path().join("schedstat");
            let text = fs::read_to_string(path).ok()?;
            let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
            let (on_cpu, waiting) = (fields.next()??, fields.next()??);
            Some((on_cpu + waiting) as f64 / wall)
        })
        .reduce(f64::max)
        .map(|f| f.min(1.0))
}

/// One thread of a process, caught at one moment: its name and the system call it was in.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadCall {
    pub tid: i32,
    /// The thread's name (`comm`): at most 15 bytes, longer names are cut.
    pub name: String,
    /// The scheduler state from `stat`: `S` (sleeping), `D` (uninterruptible), `R` (running), ...
    pub state: char,
    /// The system call it was blocked in, when it was in one this module knows by name.
    pub call: Option<&'static str>,
}

/// The threads of `pid` and the system call each was in, read from `/proc/<pid>/task/<tid>/`.
/// `syscall` names the call; where it cannot be read (it needs the right to trace the process),
/// the kernel function in `wchan` stands in for the most common calls.
pub fn thread_calls(pid: i32) -> Vec<ThreadCall> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut threads: Vec<ThreadCall> = tasks
        .filter_map(|t| {
            let dir = t.ok()?.path();
            let tid: i32 = dir.file_name()?.to_str()?.parse().ok()?;
            let read = |file: &str| fs::read_to_string(dir.join(file)).ok();
            let state = parse_stat(tid, &read("stat")?)?.state;
            let name = read("comm")?.trim_end_matches('\n').to_string();
            let call = read("syscall")
                .and_then(|text| syscall_name(parse_syscall(&text)?))
                .or_else(|| call_from_wchan(read("wchan")?.trim()));
            Some(ThreadCall {
                tid,
                name,
                state,
                call,
            })
        })
        .collect();
    threads.sort_by_key(|t| t.tid);
    threads
}

/// The call number in `/proc/<pid>/task/<tid>/syscall`: `None` for `running` (on a CPU, in no
/// call) and for `-1` (stopped outside any call).
fn parse_syscall(text: &str) -> Option<i64> {
    let nr: i64 = text.split_whitespace().next()?.parse().ok()?;
    (nr >= 0).then_some(nr)
}

/// The blocking calls a hung test is found in, by number on this architecture.
#[cfg(target_os = "linux")]
fn syscall_name(nr: i64) -> Option<&'static str> {
    #[cfg(target_arch = "x86_64")]
    const ONLY_HERE: &[(i64, &str)] = &[
        (libc::SYS_nanosleep, "nanosleep"),
        (libc::SYS_epoll_wait, "epoll_wait"),
        (libc::SYS_poll, "poll"),
        (libc::SYS_select, "select"),
        (libc::SYS_accept, "accept"),
    ];
    #[cfg(not(target_arch = "x86_64"))]
    const ONLY_HERE: &[(i64, &str)] = &[];
    const EVERYWHERE: &[(i64, &str)] = &[
        (libc::SYS_clock_nanosleep, "clock_nanosleep"),
        (libc::SYS_futex, "futex"),
        (libc::SYS_read, "read"),
        (libc::SYS_readv, "readv"),
        (libc::SYS_pread64, "pread64"),
        (libc::SYS_recvfrom, "recvfrom"),
        (libc::SYS_recvmsg, "recvmsg"),
        (libc::SYS_accept4, "accept4"),
        (libc::SYS_connect, "connect"),
        (libc::SYS_wait4, "wait4"),
        (libc::SYS_epoll_pwait, "epoll_pwait"),
        (libc::SYS_ppoll, "ppoll"),
        (libc::SYS_pselect6, "pselect6"),
    ];
    EVERYWHERE
        .iter()
        .chain(ONLY_HERE)
        .find(|(n, _)| *n == nr)
        .map(|(_, name)| *name)
}

#[cfg(not(target_os = "linux"))]
fn syscall_name(_nr: i64) -> Option<&'static str> {
    None
}

/// The call a thread is in, told from the kernel function it sleeps in (`wchan`); only the
/// functions that name one call beyond doubt.
fn call_from_wchan(wchan: &str) -> Option<&'static str> {
    match wchan {
        "hrtimer_nanosleep" | "do_nanosleep" => Some("clock_nanosleep"),
        w if w.starts_with("futex_wait") => Some("futex"),
        "do_epoll_wait" | "ep_poll" => Some("epoll_wait"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_spaces_and_parentheses_is_parsed() {
        let s = parse_stat(7, "7 (a (b) c) S 1 7 7 0 -1 0 0 0 0 0 250 50 0 0").unwrap();
        assert_eq!(s.name, "a (b) c");
        assert_eq!((s.state, s.ppid, s.pgrp), ('S', 1, 7));
        assert!(s.cpu > Duration::ZERO);
    }

    #[test]
    fn a_syscall_line_gives_its_number_and_running_gives_none() {
        assert_eq!(
            parse_syscall("230 0x0 0x0 0x7ffd0c03fa70 0x7ffd0c03fab0 0x0 0x0 0x7ffd 0x7f63\n"),
            Some(230)
        );
        assert_eq!(parse_syscall("running\n"), None);
        assert_eq!(parse_syscall("-1 0x7ffd0c03fa70 0x7f634328b503\n"), None);
        assert_eq!(parse_syscall(""), None);
    }

    #[test]
    fn call_numbers_and_wchan_names_are_named() {
        assert_eq!(
            syscall_name(libc::SYS_clock_nanosleep),
            Some("clock_nanosleep")
        );
        assert_eq!(syscall_name(libc::SYS_futex), Some("futex"));
        assert_eq!(syscall_name(libc::SYS_getpid), None);
        assert_eq!(
            call_from_wchan("hrtimer_nanosleep"),
            Some("clock_nanosleep")
        );
        assert_eq!(call_from_wchan("futex_wait_queue"), Some("futex"));
        assert_eq!(call_from_wchan("0"), None);
    }

    #[test]
    fn a_blocked_thread_of_this_process_is_seen_in_its_call() {
        // Blocked until released, so there is no window to miss: a std channel waits in futex.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocked = std::thread::Builder::new()
            .name("procfs-blocked".to_string())
            .spawn(move || {
                let _ = wait.recv();
            })
            .unwrap();
        let me = std::process::id() as i32;
        // Until it has reached the call; the bound only guards a broken `/proc`.
        let seen = (0..400).find_map(|_| {
            std::thread::sleep(Duration::from_millis(5));
            thread_calls(me)
                .into_iter()
                .find(|t| t.name == "procfs-blocked" && t.call.is_some())
        });
        release.send(()).unwrap();
        blocked.join().unwrap();
        let seen = seen.expect("the blocked thread was never seen in a call");
        assert_eq!(seen.call, Some("futex"), "{seen:?}");
    }

    #[test]
    fn this_process_is_found() {
        let me = std::process::id() as i32;
        assert!(descendants(me).iter().any(|s| s.pid == me));
        assert!(usage(me, Duration::from_secs(1)).is_some());
    }
}
