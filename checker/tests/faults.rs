//! Faults: signals, hangs of every kind, escaping processes, closed pipes, odd names, a broken
//! progress file, a missing solution, keys typed too early, a `reset` after an upstream change.
//! Every test runs the real binary on a fresh fixture course and ends by proving that no process
//! of the check is alive and that the learner's files and progress are as they were.
//!
//! Nothing here depends on timing windows: each wait polls for a condition, with a bound that
//! only guards against a broken build (the first build of a fixture may be slow on a busy machine).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

/// Only a broken checker takes this long; a busy machine building the fixture takes far less.
const BOUND: Duration = Duration::from_secs(600);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_asyncling"))
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target")
}

fn asyncling_cmd(course: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("--course").arg(course).args(args);
    cmd.env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    cmd
}

fn asyncling(course: &Path, args: &[&str]) -> Output {
    asyncling_cmd(course, args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < BOUND, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn seed_state(course: &Path, current: &str, done: &[&str]) {
    fs::create_dir_all(course.join(".asyncling")).unwrap();
    let state = serde_json::json!({ "current": current, "done": done, "hints_shown": {} });
    fs::write(course.join(".asyncling/state.json"), state.to_string()).unwrap();
}

/// The learner's files and progress, to compare before and after.
fn learner_view(course: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![course.join("exercises")];
    while let Some(dir) = dirs.pop() {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.insert(p.clone(), fs::read_to_string(&p).unwrap());
            }
        }
    }
    let state = course.join(".asyncling/state.json");
    let progress: Option<serde_json::Value> = fs::read(&state)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    files.insert(state, format!("{progress:?}"));
    files
}

// ---- processes, as /proc shows them ----

struct Proc {
    pid: i32,
    ppid: i32,
    state: char,
    name: String,
}

fn procs() -> Vec<Proc> {
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let close = stat.rfind(')')?;
            let name = stat.get(stat.find('(')? + 1..close)?.to_string();
            let mut rest = stat.get(close + 2..)?.split(' ');
            let state = rest.next()?.chars().next()?;
            let ppid = rest.next()?.parse().ok()?;
            Some(Proc {
                pid,
                ppid,
                state,
                name,
            })
        })
        .collect()
}

fn alive(pid: i32) -> bool {
    procs().iter().any(|p| p.pid == pid && p.state != 'Z')
}

fn descendants(pid: i32) -> Vec<i32> {
    let all = procs();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(all.iter().filter(|p| p.ppid == parent).map(|p| p.pid));
        i += 1;
    }
    found
}

/// Live processes that belong to this course's checks: run in it, or named on their command line.
fn of_course(course: &Path) -> Vec<String> {
    let me = std::process::id() as i32;
    let needle = course.to_string_lossy().into_owned();
    procs()
        .into_iter()
        .filter(|p| p.pid != me && p.state != 'Z')
        .filter(|p| {
            let cwd = fs::read_link(format!("/proc/{}/cwd", p.pid)).unwrap_or_default();
            let cmdline = fs::read(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
            cwd.starts_with(course) || String::from_utf8_lossy(&cmdline).contains(&needle)
        })
        .map(|p| format!("{} (pid {})", p.name, p.pid))
        .collect()
}

/// No process of the check is alive: none of `seen` (the checker's descendants seen while it
/// ran), and none working in or on the course. A SIGKILLed process takes a moment to go.
fn assert_nothing_left(course: &Path, seen: &[i32]) {
    let start = Instant::now();
    loop {
        let left: Vec<String> = seen
            .iter()
            .filter(|&&p| alive(p))
            .map(|p| format!("pid {p}"))
            .chain(of_course(course))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "still alive after the checker ended: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_pid(file: &Path) -> i32 {
    let mut pid = None;
    wait_until(&format!("{} to name a process", file.display()), || {
        pid = fs::read_to_string(file)
            .ok()
            .and_then(|t| t.trim().parse().ok());
        pid.is_some()
    });
    pid.unwrap()
}

fn send(pid: i32, sig: i32) {
    // SAFETY: kill takes two integers; the pid is the checker this test started.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// Waits for a child that the test started, within the bound.
fn finish(child: std::process::Child) -> Output {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    rx.recv_timeout(BOUND)
        .expect("the checker did not exit")
        .unwrap()
}

// ---- signals to run and verify ----

fn interrupted(tag: &str, args: &[&str], sig: i32) {
    let c = common::fixture("faults", tag);
    seed_state(&c, "long_spin", &["fine"]);
    let before = learner_view(&c);
    let child = asyncling_cmd(&c, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let checker = child.id() as i32;
    let spinner = read_pid(&c.join("long_spin.pid"));
    let mut seen = descendants(checker);
    seen.push(spinner);
    send(checker, sig);
    let out = finish(child);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(128 + sig), "{t}");
    assert!(t.contains("Stopped by") && !t.contains("panicked"), "{t}");
    assert_nothing_left(&c, &seen);
    assert_eq!(
        learner_view(&c),
        before,
        "the learner's files or progress changed"
    );
}

#[test]
fn sigint_to_run_stops_the_test_and_exits_130() {
    interrupted("run-int", &["run", "long_spin"], libc::SIGINT);
}

#[test]
fn sigterm_to_run_stops_the_test_and_exits_143() {
    interrupted("run-term", &["run", "long_spin"], libc::SIGTERM);
}

#[test]
fn sighup_to_run_stops_the_test_and_exits_129() {
    interrupted("run-hup", &["run", "long_spin"], libc::SIGHUP);
}

#[test]
fn sigint_to_verify_stops_every_test_and_exits_130() {
    interrupted("verify-int", &["verify", "--no-cache"], libc::SIGINT);
}

#[test]
fn sigterm_to_verify_stops_every_test_and_exits_143() {
    interrupted("verify-term", &["verify", "--no-cache"], libc::SIGTERM);
}

#[test]
fn sighup_to_verify_stops_every_test_and_exits_129() {
    interrupted("verify-hup", &["verify", "--no-cache"], libc::SIGHUP);
}

#[test]
fn sigterm_to_verify_solutions_stops_every_test_and_exits_143() {
    interrupted("verify-sol-term", &["verify", "--solutions"], libc::SIGTERM);
}

// ---- hangs and escapes ----

fn run_alone(tag: &str, name: &str) -> (PathBuf, Output) {
    let c = common::fixture("faults", tag);
    seed_state(&c, name, &[]);
    let before = learner_view(&c);
    let child = asyncling_cmd(&c, &["run", name])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seen_checker = child.id() as i32;
    let out = finish(child);
    assert_nothing_left(&c, &[seen_checker]);
    let mut after = learner_view(&c);
    let mut before = before;
    // A failing check leaves the state as it was, apart from what it may have created.
    let state = c.join(".asyncling/state.json");
    before.remove(&state);
    after.remove(&state);
    assert_eq!(after, before, "the learner's files changed");
    (c, out)
}

#[test]
fn a_busy_loop_is_reported_as_busy_not_as_a_missing_wake() {
    let (c, out) = run_alone("busy", "spin");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("It was busy:"), "{t}");
    assert!(!t.contains("without arranging for its waker"), "{t}");
    assert!(!t.contains("timeout_secs"), "{t}");
    assert!(!alive(read_pid(&c.join("spin.pid"))));
}

#[test]
fn a_never_woken_test_is_reported_as_idle() {
    let (c, out) = run_alone("idle", "idle");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("sat idle"), "{t}");
    assert!(t.contains("without arranging for its waker"), "{t}");
    assert!(
        !t.contains("It was busy") && !t.contains("timeout_secs"),
        "{t}"
    );
    assert!(!alive(read_pid(&c.join("idle.pid"))));
}

#[test]
fn a_test_thread_blocked_in_a_sleep_inside_async_code_is_named() {
    let (c, out) = run_alone("blocked", "blocked");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("sat idle"), "{t}");
    // Named by its whole test name, though Linux keeps only 15 bytes of a thread's name.
    assert!(
        t.contains("Thread `tests::blocks_the_runtime` is blocked in `clock_nanosleep`")
            || t.contains("Thread `tests::blocks_the_runtime` is blocked in `nanosleep`"),
        "{t}"
    );
    assert!(
        t.contains("std::thread::sleep") && t.contains("spawn_blocking"),
        "{t}"
    );
    assert!(!alive(read_pid(&c.join("blocked.pid"))));
}

#[test]
fn a_test_killed_from_outside_is_reported_as_out_of_memory() {
    let (_, out) = run_alone("memory", "memory");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("out-of-memory killer"), "{t}");
    assert!(!t.contains("without arranging for its waker"), "{t}");
}

#[test]
fn a_setsid_escapee_holding_the_output_open_is_stopped_and_named() {
    let (c, out) = run_alone("escapee", "escapee");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("the test left its sleeper running"), "{t}");
    // Named by its pid (its name is `sh` or `sleep`, depending on how far it got).
    let escapee = read_pid(&c.join("escapee.pid"));
    assert!(t.contains(&format!("(pid {escapee})")), "{t}");
    assert!(t.contains("they were stopped"), "{t}");
    assert!(!alive(escapee));
}

// ---- closed pipes and odd names ----

/// The checker's stdout is a pipe whose reader has already gone (`asyncling list | head -0`).
fn with_closed_stdout(course: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = asyncling_cmd(course, args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child)
}

#[test]
fn a_closed_pipe_ends_list_quietly_with_0_and_run_with_1() {
    let c = common::fixture("faults", "pipe");
    seed_state(&c, "fine", &[]);
    let before = learner_view(&c);
    let list = with_closed_stdout(&c, &["list"]);
    let t = text(&list);
    assert_eq!(list.status.code(), Some(0), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    let run = with_closed_stdout(&c, &["run", "fine"]);
    let t = text(&run);
    assert_eq!(run.status.code(), Some(1), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    assert_nothing_left(&c, &[]);
    assert_eq!(learner_view(&c), before);
}

#[test]
fn list_into_head_prints_its_first_line() {
    let c = common::fixture("faults", "head");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' --course '{}' list | head -1",
            bin().display(),
            c.display()
        ))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let t = text(&out);
    assert!(t.contains("chapter") && !t.contains("panicked"), "{t}");
}

/// Strings from a fixed-seed generator: ASCII, accents, CJK, emoji, combining marks, bidi
/// controls, spaces, dashes; empty and long.
fn odd_names(count: usize) -> Vec<String> {
    const POOL: &[char] = &[
        'a', 'z', '_', '0', '9', '-', ' ', '.', '/', 'é', 'ß', 'Ω', '日', '本', '🦀', '👩',
        '\u{200d}', '\u{301}', '\u{202e}', '\u{feff}', 'ﬁ', 'İ', 'ǅ', '\t',
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut names = vec![String::new(), "éé".to_string(), "日本語".to_string()];
    while names.len() < count {
        let len = (next() % 40) as usize;
        names.push(
            (0..len)
                .map(|_| POOL[(next() % POOL.len() as u64) as usize])
                .collect(),
        );
    }
    names
}

#[test]
fn any_unicode_name_is_answered_without_a_panic() {
    let c = common::fixture("faults", "names");
    seed_state(&c, "fine", &[]);
    let before = learner_view(&c);
    let real = [
        "fine",
        "long_spin",
        "spin",
        "idle",
        "memory",
        "escapee",
        "blocked",
    ];
    for (i, name) in odd_names(200).iter().enumerate() {
        if real.contains(&name.as_str()) {
            continue;
        }
        let command = ["run", "hint", "reset", "verify"][i % 4];
        let out = asyncling(&c, &[command, "--", name]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{command} {name:?}: {t}");
        assert!(
            t.contains("No exercise is named"),
            "{command} {name:?}: {t}"
        );
        assert!(!t.contains("panicked"), "{command} {name:?}: {t}");
    }
    assert_eq!(learner_view(&c), before);
}

#[test]
fn a_course_in_a_non_ascii_folder_works() {
    let plain = common::fixture("faults", "unicode-src");
    let c = plain.with_file_name("kurs ünï 日本 🦀");
    let _ = fs::remove_dir_all(&c);
    common::copy_dir(&plain, &c);
    let out = asyncling(&c, &["run", "fine"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let out = asyncling(&c, &["list"]);
    assert!(text(&out).contains("1/7 done"), "{}", text(&out));
}

// ---- progress and learner files ----

fn corrupt_copies(course: &Path) -> usize {
    fs::read_dir(course.join(".asyncling"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("state.json.corrupt-")
        })
        .count()
}

#[test]
fn every_command_announces_a_repaired_state_file_and_keeps_each_copy() {
    let c = common::fixture("basic", "faults-corrupt");
    let commands: &[&[&str]] = &[
        &["list"],
        &["hint", "pass1"],
        &["run", "pass1"],
        &["reset", "pass1"],
        &["verify"],
        &["run"],
    ];
    for (i, args) in commands.iter().enumerate() {
        let bytes = format!("{{ corrupt number {i}");
        fs::create_dir_all(c.join(".asyncling")).unwrap();
        fs::write(c.join(".asyncling/state.json"), &bytes).unwrap();
        let out = asyncling(&c, args);
        let t = text(&out);
        assert!(t.contains("could not be read"), "{args:?}: {t}");
        assert!(!t.contains("panicked at checker/src"), "{args:?}: {t}");
        assert_eq!(corrupt_copies(&c), i + 1, "{args:?}: {t}");
        let kept = fs::read_dir(c.join(".asyncling"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .any(|p| fs::read(p).is_ok_and(|b| b == bytes.as_bytes()));
        assert!(kept, "{args:?}: the corrupt bytes were not kept");
    }
    assert_nothing_left(&c, &[]);
}

#[test]
fn a_missing_solution_warns_learners_and_stops_only_verify_solutions() {
    let c = common::fixture("faults", "nosolution");
    fs::remove_file(c.join("solutions/ch/spin.rs")).unwrap();
    let out = asyncling(&c, &["run", "fine"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("warning:") && t.contains("solution file of `spin` is missing"),
        "{t}"
    );
    let out = asyncling(&c, &["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = asyncling(&c, &["verify", "--solutions"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("error:") && t.contains("solution file of `spin` is missing"),
        "{t}"
    );
    assert_nothing_left(&c, &[]);
}

fn git(course: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(course)
        .args([
            "-c",
            "user.name=Course",
            "-c",
            "user.email=course@example.com",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

#[test]
fn reset_in_a_git_checkout_restores_the_committed_version_after_a_pull() {
    let c = common::fixture("faults", "git");
    git(&c, &["init", "-q"]);
    git(&c, &["add", "-A"]);
    git(&c, &["commit", "-qm", "course"]);
    // The first command keeps its own copy of the file as first seen.
    asyncling(&c, &["list"]);
    // Upstream changes the exercise and the learner pulls it.
    let file = c.join("exercises/ch/fine.rs");
    let upstream = fs::read_to_string(&file).unwrap() + "// updated upstream\n";
    fs::write(&file, &upstream).unwrap();
    git(&c, &["commit", "-qam", "update"]);
    fs::write(&file, "// the learner's attempt\n").unwrap();
    let out = asyncling(&c, &["reset", "fine"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("committed in git"), "{t}");
    assert_eq!(fs::read_to_string(&file).unwrap(), upstream);
    let backup = t.split("saved to ").nth(1).map(|s| PathBuf::from(s.trim()));
    assert_eq!(
        fs::read_to_string(backup.expect("a backup is named")).unwrap(),
        "// the learner's attempt\n"
    );
}

#[test]
fn reset_outside_git_restores_the_first_seen_copy_and_says_so() {
    let c = common::fixture("faults", "nogit");
    let file = c.join("exercises/ch/fine.rs");
    let shipped = fs::read_to_string(&file).unwrap();
    asyncling(&c, &["list"]);
    fs::write(&file, "// mine\n").unwrap();
    let out = asyncling(&c, &["reset", "fine"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("not a git checkout"), "{t}");
    assert_eq!(fs::read_to_string(&file).unwrap(), shipped);
}

// ---- watch, in a real terminal ----

/// Watch (after `before`, a shell snippet) in a tmux terminal of its own (see `common/tmux.rs`).
fn start(tag: &str, course: &Path, before: &str) -> Tmux {
    let socket = format!("asyncling-faults-{tag}-{}", std::process::id());
    let script = format!(
        "cd '{}' && {before} env CARGO_TARGET_DIR='{}' NO_COLOR=1 RUST_BACKTRACE=0 '{}'; \
         echo EXITED:$?; stty -a; sleep 600",
        course.display(),
        target_dir().display(),
        bin().display()
    );
    Tmux::launch(socket, (120, 40), &script)
}

fn wait_for(t: &Tmux, text: &str) -> String {
    t.wait_for_within(text, BOUND)
}

/// The watch process of this course.
fn watch_pid(course: &Path) -> i32 {
    let mut found = None;
    wait_until("watch to start", || {
        found = procs().into_iter().map(|p| p.pid).find(|&pid| {
            fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == bin())
                && fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|d| d == course)
        });
        found.is_some()
    });
    found.unwrap()
}

/// Waits for watch to exit with `code` and the shell to print the terminal's settings; true when
/// the terminal is back in line mode with echo.
fn exited_restored(t: &Tmux, code: i32) -> (bool, String) {
    wait_for(t, &format!("EXITED:{code}"));
    // The last word of the line `stty -a` prints the local modes on.
    let screen = wait_for(t, "echoke");
    let ok = screen.contains(" icanon") && screen.contains(" echo ") && !screen.contains("-icanon");
    (ok, screen)
}

/// Watch checking a spinning test gets `sig` (`None`: its terminal is closed).
fn watch_interrupted(tag: &str, sig: Option<i32>) {
    let c = common::fixture("faults", tag);
    seed_state(&c, "long_spin", &["fine"]);
    let before = learner_view(&c);
    let t = start(tag, &c, "");
    let spinner = read_pid(&c.join("long_spin.pid"));
    let checker = watch_pid(&c);
    let mut seen = descendants(checker);
    seen.push(spinner);
    // `None`: the terminal is closed instead (below), which sends watch SIGHUP.
    if let Some(sig) = sig {
        send(checker, sig);
        let (restored, screen) = exited_restored(&t, 128 + sig);
        assert!(restored, "{screen}");
        assert!(screen.contains("Stopped by"), "{screen}");
    }
    // The terminal goes too (it holds the shell that ran watch).
    t.kill();
    seen.push(checker);
    assert_nothing_left(&c, &seen);
    assert_eq!(
        learner_view(&c),
        before,
        "the learner's files or progress changed"
    );
}

#[test]
fn sigint_to_watch_stops_the_check_and_restores_the_terminal() {
    watch_interrupted("watch-int", Some(libc::SIGINT));
}

#[test]
fn sigterm_to_watch_stops_the_check_and_restores_the_terminal() {
    watch_interrupted("watch-term", Some(libc::SIGTERM));
}

#[test]
fn sighup_to_watch_stops_the_check_and_restores_the_terminal() {
    watch_interrupted("watch-hup", Some(libc::SIGHUP));
}

#[test]
fn closing_the_terminal_of_watch_stops_the_check() {
    watch_interrupted("watch-close", None);
}

#[test]
fn check_all_then_q_stops_the_build_and_the_tests() {
    let c = common::fixture("faults", "watch-c-q");
    seed_state(&c, "fine", &[]);
    let t = start("c-q", &c, "");
    wait_for(&t, "fine is done");
    let checker = watch_pid(&c);
    let before = learner_view(&c);
    t.keys("c");
    wait_for(&t, "Checking every exercise");
    // Quit while check-all has something running: its cargo, or the spinning test.
    let mut seen: Vec<i32> = Vec::new();
    wait_until("check-all to start a process", || {
        let below = descendants(checker);
        seen.extend(below.iter().copied().filter(|p| *p != checker));
        below.len() > 1
    });
    t.keys("q");
    let (restored, screen) = exited_restored(&t, 0);
    assert!(restored, "{screen}");
    t.kill();
    seen.push(checker);
    assert_nothing_left(&c, &seen);
    assert_eq!(learner_view(&c), before);
}

#[test]
fn a_save_during_check_all_stops_it_before_checking_the_save() {
    let c = common::fixture("faults", "watch-c-save");
    seed_state(&c, "fine", &[]);
    let t = start("c-save", &c, "");
    wait_for(&t, "fine is done");
    t.keys("c");
    // Check-all runs the spinning test (600 s deadline): only stopping check-all ends it.
    let spinner = read_pid(&c.join("long_spin.pid"));
    let file = c.join("exercises/ch/fine.rs");
    let learner = fs::read_to_string(&file).unwrap().replace("42\n}", "41\n}");
    fs::write(&file, &learner).unwrap();
    let screen = wait_for(&t, "failed at the test step");
    assert!(
        screen.contains("Checking every exercise was stopped"),
        "{screen}"
    );
    assert!(screen.contains("asyncling · fine"), "{screen}");
    let start = Instant::now();
    while alive(spinner) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "check-all's test still runs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    t.keys("q");
    wait_for(&t, "EXITED:0");
    t.kill();
    assert_eq!(fs::read_to_string(&file).unwrap(), learner);
    assert_nothing_left(&c, &[spinner]);
}

#[test]
fn sigkill_to_run_still_takes_the_test_down() {
    let c = common::fixture("faults", "run-kill");
    seed_state(&c, "long_spin", &["fine"]);
    let before = learner_view(&c);
    let child = asyncling_cmd(&c, &["run", "long_spin"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let checker = child.id() as i32;
    let spinner = read_pid(&c.join("long_spin.pid"));
    send(checker, libc::SIGKILL);
    let out = finish(child);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(libc::SIGKILL)
    );
    // The parent-death signal: the test binary dies with the checker.
    assert_nothing_left(&c, &[spinner]);
    assert_eq!(learner_view(&c), before);
}

#[test]
fn keys_typed_before_watch_starts_are_discarded() {
    let c = common::fixture("faults", "watch-typeahead");
    seed_state(&c, "fine", &[]);
    // The terminal is ready before watch is (as while `cargo course` builds it).
    let t = start(
        "typeahead",
        &c,
        "echo READY; while [ ! -e go ]; do sleep 0.05; done;",
    );
    wait_for(&t, "READY");
    t.keys("qhn");
    // The terminal echoes them, so they are in its input queue before watch starts.
    wait_for(&t, "qhn");
    fs::write(c.join("go"), "").unwrap();
    let screen = wait_for(&t, "fine is done");
    assert!(!screen.contains("EXITED"), "{screen}");
    assert!(!screen.contains("Hint 1"), "{screen}");
    t.keys("q");
    wait_for(&t, "EXITED:0");
    t.kill();
    assert_nothing_left(&c, &[]);
}

#[test]
fn watch_announces_a_repaired_state_file() {
    let c = common::fixture("faults", "watch-corrupt");
    fs::create_dir_all(c.join(".asyncling")).unwrap();
    fs::write(c.join(".asyncling/state.json"), "{ not json").unwrap();
    let t = start("corrupt", &c, "");
    wait_for(&t, "could not be read");
    t.keys("q");
    wait_for(&t, "EXITED:0");
    t.kill();
    assert_eq!(corrupt_copies(&c), 1);
    assert_nothing_left(&c, &[]);
}

#[test]
fn watch_keeps_working_when_progress_cannot_be_saved() {
    let c = common::fixture("faults", "watch-readonly");
    seed_state(&c, "fine", &[]);
    let t = start("readonly", &c, "");
    wait_for(&t, "fine is done");
    // Nothing can replace the state file now (a directory in its place; chmod would not stop root).
    let state = c.join(".asyncling/state.json");
    fs::remove_file(&state).unwrap();
    fs::create_dir(&state).unwrap();
    fs::write(state.join("keep"), "").unwrap();
    t.keys("h");
    let screen = wait_for(&t, "Progress cannot be saved");
    assert!(screen.contains("Hint 1"), "{screen}");
    // Still checking saves.
    let file = c.join("exercises/ch/fine.rs");
    let learner = fs::read_to_string(&file).unwrap().replace("42\n}", "41\n}");
    fs::write(&file, &learner).unwrap();
    wait_for(&t, "failed at the test step");
    t.keys("q");
    wait_for(&t, "EXITED:0");
    t.kill();
    assert_eq!(fs::read_to_string(&file).unwrap(), learner);
    assert_nothing_left(&c, &[]);
}
