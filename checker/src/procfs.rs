//! What Linux's `/proc` says about processes: parents and groups (to find every process the
//! checker started, even one that left its group), and CPU time and memory (to tell what a hung
//! test was doing). Everything here only reads; elsewhere (or off Linux) the answers are empty.

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
    fn this_process_is_found() {
        let me = std::process::id() as i32;
        assert!(descendants(me).iter().any(|s| s.pid == me));
        assert!(usage(me, Duration::from_secs(1)).is_some());
    }
}
