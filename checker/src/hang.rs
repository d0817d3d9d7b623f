//! What a hung or killed test was doing, told from how it used the CPU rather than guessed: a
//! test whose thread was always running (or ready to run) is code that never waits, a busy loop;
//! one that sat idle was waiting for something that never happened (a wake-up, a channel's end, a
//! blocking call); one killed from outside with SIGKILL most likely ran out of memory. The system
//! call each thread sat in when it was stopped names the commonest async mistake outright: a
//! thread that runs async code, blocked in `std::thread::sleep` or a blocking read.

use std::time::Duration;

use crate::procfs::{ThreadCall, Usage};

/// Busier than this (share of the wall time one thread was running or ready to run): a busy loop.
const BUSY: f64 = 0.5;
/// Idler than this: nothing ran, everything waited.
const IDLE: f64 = 0.1;
/// Above this peak, memory is worth mentioning in a hang report.
const BIG_MEMORY: u64 = 1 << 30;

pub struct Hang<'a> {
    pub name: &'a str,
    pub timeout: Duration,
    pub unfinished: &'a [String],
    pub usage: Option<Usage>,
    /// Each thread of the test and the system call it was in when it was stopped.
    pub threads: &'a [ThreadCall],
    /// Course authors (verify --solutions) may raise the deadline; learners should not.
    pub for_author: bool,
}

/// The note for a check stopped at its deadline.
pub fn note(h: &Hang) -> String {
    let mut text = format!(
        "`{}` was still running after {} s and was stopped (every process it started was \
         killed).\n",
        h.name,
        h.timeout.as_secs()
    );
    if !h.unfinished.is_empty() {
        text += &format!("Still running when stopped: {}.\n", h.unfinished.join(", "));
    }
    // A thread caught in a blocking call is the concrete finding: it comes before the general
    // list, which a small terminal may have to cut.
    if let Some(blocked) = blocked_note(h.threads, h.unfinished) {
        text += &blocked;
        text += "\n";
    }
    text += &diagnosis(h.usage, h.timeout);
    if let Some(u) = h.usage.filter(|u| u.peak_memory >= BIG_MEMORY) {
        text += &format!(
            "\nIt was also using {} of memory: something keeps growing (a queue nobody drains, \
             tasks spawned in a loop).",
            megabytes(u.peak_memory)
        );
    }
    if h.for_author {
        text += "\nCourse authors: if this solution really needs longer, raise its `timeout_secs` \
                 in info.toml.";
    }
    text
}

fn busy_share(usage: Option<Usage>, timeout: Duration) -> Option<f64> {
    let u = usage?;
    u.busiest_thread.or_else(|| {
        let wall = timeout.as_secs_f64();
        (wall > 0.0).then(|| u.cpu.as_secs_f64() / wall)
    })
}

fn diagnosis(usage: Option<Usage>, timeout: Duration) -> String {
    let Some(share) = busy_share(usage, timeout) else {
        return format!("Look for either kind of hang:\n{SPINNING}\n{WAITING}");
    };
    let pct = (share * 100.0).round();
    let cpu = usage.map_or(0.0, |u| u.cpu.as_secs_f64());
    let cpu = format!("it used {cpu:.1} s of CPU");
    if share >= BUSY {
        format!(
            "It was busy: one thread was running, or ready to run and waiting only for a free \
             core, {pct}% of the time ({cpu}). That is code that never stops to wait:\n{SPINNING}"
        )
    } else if share < IDLE {
        format!(
            "It sat idle: no thread was running or ready to run more than {pct}% of the time \
             ({cpu}). Everything was waiting for something that never happened:\n{WAITING}"
        )
    } else {
        format!(
            "It was partly busy: its busiest thread was running or ready to run {pct}% of the \
             time ({cpu}). Look for either kind of hang:\n{SPINNING}\n{WAITING}"
        )
    }
}

const SPINNING: &str = "- a `poll` that loops or spins instead of returning `Poll::Pending`, a \
     `loop` that never reaches an `.await`, or long CPU-bound work on the runtime's thread. While \
     an executor thread runs such code it polls nothing else; on a single-threaded runtime (the \
     default of `#[tokio::test]`) nothing else runs at all, not even the future that would end \
     the loop.";

const WAITING: &str = "- a future returned `Poll::Pending` without arranging for its waker to be \
     called, so nothing ever polls it again (store `cx.waker().clone()` where the event will fire, \
     and call `wake()` there);\n\
     - a task is waiting on a channel whose senders are never dropped, or on a lock or \
     notification that nothing releases;\n\
     - a blocking call on the runtime's thread (`std::sync::Mutex::lock`, a std channel's `recv`, \
     `JoinHandle::join`) waiting for work that only that same thread could do.";

/// What a thread that runs async code is, as far as its name tells.
enum Role {
    /// A libtest thread, named after its test (`#[tokio::test]` runs its runtime on it).
    Test(String),
    /// A thread named as tokio names its workers, and its `spawn_blocking` threads too.
    Tokio(String),
}

/// Tokio's default thread name (`tokio-rt-worker` since 1.5x; older releases used
/// `tokio-runtime-worker`, which Linux cuts to 15 bytes).
fn is_tokio_thread(name: &str) -> bool {
    name == "tokio-rt-worker" || name.starts_with("tokio-runtime-w")
}

fn role(thread: &ThreadCall, unfinished: &[String]) -> Option<Role> {
    if is_tokio_thread(&thread.name) {
        return Some(Role::Tokio(thread.name.clone()));
    }
    // Linux keeps 15 bytes of a thread's name: match it against the start of a test's name.
    let test = unfinished
        .iter()
        .find(|t| !thread.name.is_empty() && t.starts_with(thread.name.as_str()))?;
    Some(Role::Test(test.clone()))
}

/// In plain words, what a blocking call is; `None` for the calls an idle runtime waits in.
fn blocking_call(call: &str) -> Option<&'static str> {
    match call {
        "nanosleep" | "clock_nanosleep" => Some("for example `std::thread::sleep`"),
        "read" | "readv" | "pread64" | "recvfrom" | "recvmsg" => {
            Some("a blocking read: `std::io::stdin`, a `std::net::TcpStream`, a pipe or a file")
        }
        "accept" | "accept4" => Some("a blocking `std::net::TcpListener::accept`"),
        "connect" => Some("a blocking `std::net::TcpStream::connect`"),
        "wait4" => Some("waiting for a child process: `std::process::Command::output` or `wait`"),
        _ => None,
    }
}

/// Names the threads that run async code and sat in a blocking call when the test was stopped.
/// A thread waiting in `epoll_wait` or `poll` is how an idle runtime waits, and `futex` is also
/// how an idle worker or an executor without I/O parks, so those are said only as far as they
/// can be told apart: a futex on a test thread is mentioned, with its doubt, when nothing
/// clearer was found.
fn blocked_note(threads: &[ThreadCall], unfinished: &[String]) -> Option<String> {
    let waiting = threads.iter().filter(|t| matches!(t.state, 'S' | 'D'));
    let mut lines = Vec::new();
    let mut futex_on_test = None;
    for t in waiting {
        let (Some(call), Some(role)) = (t.call, role(t, unfinished)) else {
            continue;
        };
        match (blocking_call(call), role) {
            (Some(what), Role::Test(test)) => lines.push(format!(
                "Thread `{test}` is blocked in `{call}` ({what}). If that call is inside async \
                 code (a `#[tokio::test]` runs the test's futures on this very thread), no other \
                 task can run on the thread while it waits: use the async version \
                 (`tokio::time::sleep`, tokio's I/O types) or move the work to `spawn_blocking`."
            )),
            (Some(what), Role::Tokio(name)) => lines.push(format!(
                "Thread `{name}` is blocked in `{call}` ({what}). tokio gives its workers and its \
                 `spawn_blocking` threads this same name: on a worker, no other task can run on \
                 the thread while it waits (use the async version, or move the work to \
                 `spawn_blocking`); on a `spawn_blocking` thread, blocking is what it is for."
            )),
            (None, Role::Test(test)) if call == "futex" => futex_on_test = Some(test),
            _ => {}
        }
    }
    if lines.is_empty()
        && let Some(test) = futex_on_test
    {
        lines.push(format!(
            "Thread `{test}` is waiting in `futex`: a `std::sync::Mutex`, a std channel's `recv`, \
             a `join` or a `park`. That blocks every task on the thread if it is inside async \
             code, but it is also how an executor with nothing to run waits for a wake-up, and \
             from outside the checker cannot tell the two apart."
        ));
    }
    lines.truncate(4);
    (!lines.is_empty()).then(|| {
        format!(
            "When it was stopped (one look, at the deadline):\n- {}",
            lines.join("\n- ")
        )
    })
}

/// The note for a test killed by a signal the checker did not send.
pub fn killed_note(sig: i32, usage: Option<Usage>) -> String {
    if sig != libc::SIGKILL {
        return format!("The test process was killed by signal {sig}.");
    }
    let seen = usage
        .filter(|u| u.peak_memory > 0)
        .map_or(String::new(), |u| {
            format!(" It was using {} when last seen.", megabytes(u.peak_memory))
        });
    format!(
        "The test process was killed with SIGKILL, and not by the checker.{seen} On Linux that is \
         almost always the kernel's out-of-memory killer: the program used more memory than the \
         machine could give. Look for something that only grows: a queue or buffer nobody \
         drains, a `Vec` pushed to in a loop, tasks spawned in a loop that never finish, an \
         unbounded channel whose receiver stopped reading."
    )
}

/// The note for processes that outlived the check outside its process group.
pub fn strays_note(strays: &[String]) -> Option<String> {
    (!strays.is_empty()).then(|| {
        format!(
            "The check left processes running outside its process group ({}); they were stopped. \
             A test should wait for every process it starts.",
            strays.join(", ")
        )
    })
}

fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes / (1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hang(busiest: f64) -> String {
        note(&Hang {
            name: "futures5",
            timeout: Duration::from_secs(10),
            unfinished: &["tests::wakes".to_string()],
            usage: Some(Usage {
                cpu: Duration::from_secs_f64(busiest * 10.0),
                busiest_thread: Some(busiest),
                peak_memory: 1 << 20,
            }),
            threads: &[],
            for_author: false,
        })
    }

    #[test]
    fn a_busy_loop_is_not_called_a_missing_wake() {
        let t = hang(0.97);
        assert!(t.contains("It was busy") && t.contains("97%"), "{t}");
        assert!(!t.contains("Pending` without"), "{t}");
        assert!(t.contains("tests::wakes"), "{t}");
    }

    #[test]
    fn an_idle_hang_is_a_missing_wake_and_learners_are_not_told_to_raise_the_deadline() {
        let t = hang(0.01);
        assert!(t.contains("without arranging for its waker"), "{t}");
        assert!(!t.contains("timeout_secs"), "{t}");
    }

    #[test]
    fn course_authors_are_told_about_timeout_secs() {
        let t = note(&Hang {
            name: "futures5_sol",
            timeout: Duration::from_secs(10),
            unfinished: &[],
            usage: None,
            threads: &[],
            for_author: true,
        });
        assert!(
            t.contains("Course authors") && t.contains("timeout_secs"),
            "{t}"
        );
    }

    fn thread(name: &str, state: char, call: &'static str) -> ThreadCall {
        ThreadCall {
            tid: 1,
            name: name.to_string(),
            state,
            call: Some(call),
        }
    }

    fn blocked(threads: &[ThreadCall]) -> Option<String> {
        blocked_note(threads, &["tests::blocks_the_runtime".to_string()])
    }

    #[test]
    fn a_test_thread_in_a_sleep_is_named_with_its_whole_test_name() {
        // Linux cuts thread names to 15 bytes.
        let t = blocked(&[thread("tests::blocks_t", 'S', "clock_nanosleep")]).unwrap();
        assert!(
            t.contains("`tests::blocks_the_runtime` is blocked in `clock_nanosleep`"),
            "{t}"
        );
        assert!(
            t.contains("std::thread::sleep") && t.contains("spawn_blocking"),
            "{t}"
        );
    }

    #[test]
    fn an_idle_runtime_is_not_called_blocked() {
        let idle = [
            thread("tests::blocks_t", 'S', "epoll_wait"),
            thread("tokio-rt-worker", 'S', "futex"),
            thread("tokio-rt-worker", 'S', "epoll_pwait"),
        ];
        assert_eq!(blocked(&idle), None);
    }

    #[test]
    fn a_futex_on_a_test_thread_is_told_with_its_doubt_and_only_without_a_clearer_call() {
        let t = blocked(&[thread("tests::blocks_t", 'S', "futex")]).unwrap();
        assert!(t.contains("cannot tell the two apart"), "{t}");
        let t = blocked(&[
            thread("tests::blocks_t", 'S', "futex"),
            thread("tokio-rt-worker", 'S', "read"),
        ])
        .unwrap();
        assert!(!t.contains("futex") && t.contains("blocking read"), "{t}");
        assert!(t.contains("`spawn_blocking` threads this same name"), "{t}");
    }

    #[test]
    fn running_threads_and_threads_of_no_test_are_left_out() {
        assert_eq!(blocked(&[thread("tests::blocks_t", 'R', "read")]), None);
        assert_eq!(
            blocked(&[thread("my-helper", 'S', "clock_nanosleep")]),
            None
        );
    }

    #[test]
    fn an_outside_sigkill_is_called_out_of_memory() {
        let u = Usage {
            cpu: Duration::ZERO,
            busiest_thread: None,
            peak_memory: 3 << 30,
        };
        let t = killed_note(libc::SIGKILL, Some(u));
        assert!(t.contains("out-of-memory") && t.contains("3072 MB"), "{t}");
    }
}
