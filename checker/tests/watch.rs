//! `asyncling watch` driven in a real terminal: tmux runs it, `send-keys` types, `capture-pane`
//! reads the screen. Each test uses its own tmux server (socket) and its own copy of the fixture.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

fn fixture(tag: &str) -> PathBuf {
    common::fixture("basic", &format!("watch-{tag}"))
}

fn start_at(course: &Path, current: &str, done: &[&str]) {
    fs::create_dir_all(course.join(".asyncling")).unwrap();
    let state = serde_json::json!({ "current": current, "done": done });
    fs::write(course.join(".asyncling/state.json"), state.to_string()).unwrap();
}

/// Watch on a fixture course in a tmux terminal of its own (see `common/tmux.rs`).
fn start(tag: &str, course: &Path) -> Tmux {
    start_with(tag, course, "")
}

fn start_with(tag: &str, course: &Path, env: &str) -> Tmux {
    start_sized(tag, course, env, (120, 40))
}

fn start_sized(tag: &str, course: &Path, env: &str, (w, h): (u16, u16)) -> Tmux {
    let socket = format!("asyncling-{tag}-{}", std::process::id());
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target");
    let script = format!(
        "cd '{}' && env RUST_BACKTRACE=0 {env} CARGO_TARGET_DIR='{}' NO_COLOR=1 '{}'; \
         echo EXITED:$?; stty -a; sleep 60",
        course.display(),
        target.display(),
        env!("CARGO_BIN_EXE_asyncling")
    );
    Tmux::launch(socket, (w, h), &script)
}

/// Waits for the screen to show `text`; the bound only guards against a broken build.
fn wait_for(t: &Tmux, text: &str) -> String {
    t.wait_for_within(text, Duration::from_secs(120))
}

#[test]
fn fail_then_save_the_solution_then_done_then_next() {
    let c = fixture("flow");
    start_at(&c, "fail_test", &["pass1"]);
    let t = start("flow", &c);
    let screen = wait_for(&t, "failed at the test step");
    assert!(screen.contains("add must add"), "{screen}");
    assert!(screen.contains("asyncling · fail_test"), "{screen}");

    fs::copy(
        c.join("solutions/ch/fail_test.rs"),
        c.join("exercises/ch/fail_test.rs"),
    )
    .unwrap();
    let screen = wait_for(&t, "fail_test is done");
    assert!(screen.contains("solutions/ch/fail_test.rs"), "{screen}");

    t.keys("n");
    wait_for(&t, "asyncling · not_send");
    let screen = wait_for(&t, "failed at the build step");
    assert!(screen.contains("not `Send`"), "{screen}");
}

#[test]
fn a_save_during_a_running_check_is_checked_again() {
    let c = fixture("midcheck");
    start_at(&c, "hang", &[]);
    let t = start("midcheck", &c);
    // The shipped test never finishes; while its check runs, save the fix.
    wait_for(&t, "hang…");
    while !c.join("hang.pid").exists() {
        std::thread::sleep(Duration::from_millis(10));
    }
    // An atomic-rename save, the way vim and VS Code write files.
    let tmp = c.join("exercises/ch/.hang.rs.swp");
    fs::copy(c.join("solutions/ch/hang.rs"), &tmp).unwrap();
    fs::rename(&tmp, c.join("exercises/ch/hang.rs")).unwrap();
    let screen = wait_for(&t, "hang is done");
    assert!(!screen.contains("still running"), "{screen}");
}

#[test]
fn without_file_notifications_it_polls_and_says_so() {
    let c = fixture("poll");
    start_at(&c, "fail_test", &["pass1"]);
    let t = start_with("poll", &c, "ASYNCLING_POLL=1");
    let screen = wait_for(&t, "failed at the test step");
    assert!(
        screen.contains("checking for saves every 300 ms"),
        "{screen}"
    );
    fs::copy(
        c.join("solutions/ch/fail_test.rs"),
        c.join("exercises/ch/fail_test.rs"),
    )
    .unwrap();
    wait_for(&t, "fail_test is done");
}

#[test]
fn q_quits_and_restores_the_terminal() {
    let c = fixture("quit");
    start_at(&c, "fail_test", &["pass1"]);
    let t = start("quit", &c);
    wait_for(&t, "failed at the test step");
    t.keys("q");
    wait_for(&t, "EXITED:0");
    // `stty -a` prints after the exit line: wait for its last flag.
    let screen = wait_for(&t, "extproc");
    // Raw mode is off again: the line discipline echoes and edits lines.
    assert!(
        screen.contains(" icanon") && screen.contains(" echo "),
        "{screen}"
    );
    assert!(!screen.contains("-icanon"), "{screen}");
}

#[test]
fn hint_list_and_reset_keys_work() {
    let c = fixture("keys");
    start_at(&c, "fail_test", &["pass1"]);
    let t = start("keys", &c);
    wait_for(&t, "failed at the test step");
    t.keys("h");
    wait_for(&t, "Hint 1 of 2");
    t.keys("l");
    let screen = wait_for(&t, "Exercises (all)");
    assert!(screen.contains("thread_panic"), "{screen}");
    t.keys("Escape");
    wait_for(&t, "q quit");
    fs::write(
        c.join("exercises/ch/fail_test.rs"),
        "// learner's attempt\nfn main() {}\n",
    )
    .unwrap();
    wait_for(&t, "fail_test is done");
    t.keys("x");
    wait_for(&t, "y/n");
    t.keys("y");
    wait_for(&t, "restored as shipped");
    wait_for(&t, "failed at the test step");
    let backups: Vec<_> = fs::read_dir(c.join(".asyncling/backups"))
        .unwrap()
        .collect();
    assert_eq!(backups.len(), 1);
}

#[test]
fn without_a_terminal_watch_says_what_to_use_instead() {
    let c = fixture("notty");
    let out = Command::new(env!("CARGO_BIN_EXE_asyncling"))
        .arg("--course")
        .arg(&c)
        .env("NO_COLOR", "1")
        .env_remove("CARGO")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("needs an interactive terminal"), "{text}");
    assert!(
        text.contains("asyncling run") && text.contains("asyncling verify"),
        "{text}"
    );
}

fn hints_shown(course: &Path, name: &str) -> u64 {
    fs::read(course.join(".asyncling/state.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|s| s["hints_shown"][name].as_u64())
        .unwrap_or(0)
}

fn solve(course: &Path, dir: &str, name: &str) {
    fs::copy(
        course.join(format!("solutions/{dir}/{name}.rs")),
        course.join(format!("exercises/{dir}/{name}.rs")),
    )
    .unwrap();
}

/// A row drawn without going back to the first column starts far to the right: a staircase.
fn assert_no_staircase(screen: &str) {
    for line in screen.lines() {
        let indent = line.len() - line.trim_start().len();
        assert!(
            indent < 12 || line.trim().is_empty(),
            "a row starts at column {indent}:\n{screen}"
        );
    }
}

/// The learner's first exercises at one terminal size: hints, the verdict, the notes, the hang
/// report and the messages must all be on screen, whatever the size and RUST_BACKTRACE.
fn walk_the_screen(tag: &str, size: (u16, u16), backtrace: &str) {
    let c = common::fixture("screen", &format!("watch-{tag}"));
    start_at(&c, "three_hints", &[]);
    let t = start_sized(tag, &c, &format!("RUST_BACKTRACE={backtrace}"), size);
    wait_for(&t, "failed at the test step");

    // Three presses, three hints, each on screen and counted once drawn.
    for level in 1..=3 {
        t.keys("h");
        let screen = wait_for(&t, &format!("Hint {level} of 3"));
        assert!(screen.contains("failed at the test step"), "{screen}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while hints_shown(&c, "three_hints") != level {
            assert!(Instant::now() < deadline, "hint {level} not counted");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // A message that stops being true goes: "not done yet" disappears with the pass.
    t.keys("n");
    wait_for(&t, "not done yet");
    solve(&c, "ch", "three_hints");
    let screen = wait_for(&t, "three_hints is done");
    assert!(!screen.contains("not done yet"), "{screen}");

    // The plain-words note for a future that is not Send.
    t.keys("n");
    let screen = wait_for(&t, "failed at the build step");
    assert!(screen.contains("note: The future is not"), "{screen}");
    assert_no_staircase(&screen);

    // The hang report: while the tests run the status says so, then the note, row by row.
    solve(&c, "ch", "not_send");
    wait_for(&t, "not_send is done");
    t.keys("n");
    wait_for(&t, "Running the tests of hang");
    let screen = wait_for(&t, "failed at the test step");
    assert!(screen.contains("note: `hang` was still"), "{screen}");
    assert_no_staircase(&screen);
    if size.1 >= 24 {
        assert!(
            screen
                .lines()
                .any(|l| l.starts_with("Still running when stopped: tests::waits_for_ready")),
            "{screen}"
        );
    }
}

#[test]
fn screen_at_40x10() {
    walk_the_screen("s40", (40, 10), "0");
}

#[test]
fn screen_at_40x10_with_backtraces() {
    walk_the_screen("s40bt", (40, 10), "1");
}

#[test]
fn screen_at_80x24() {
    walk_the_screen("s80", (80, 24), "0");
}

#[test]
fn screen_at_80x24_with_backtraces() {
    walk_the_screen("s80bt", (80, 24), "1");
}

#[test]
fn screen_at_200x60() {
    walk_the_screen("s200", (200, 60), "0");
}

#[test]
fn screen_at_200x60_with_backtraces() {
    walk_the_screen("s200bt", (200, 60), "1");
}

#[test]
fn reset_prompt_and_list_keep_their_essentials_at_40x10() {
    let c = common::fixture("screen", "watch-small");
    start_at(&c, "three_hints", &["warn_pass"]);
    let t = start_sized("small", &c, "", (40, 10));
    wait_for(&t, "failed at the test step");
    t.keys("x");
    let screen = wait_for(&t, "y/n");
    assert!(
        screen.contains("Reset exercises/ch/three_hints.rs"),
        "{screen}"
    );
    t.keys("n");
    t.keys("l");
    let screen = wait_for(&t, "Exercises (all)");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.ends_with("pending") || l.ends_with("done"))
        .collect();
    assert!(rows.len() >= 4, "{screen}");
    assert!(screen.contains("three_hints"), "{screen}");
    assert!(rows.iter().any(|l| l.ends_with("done")), "{screen}");
    t.keys("Escape");
    wait_for(&t, "failed at the test step");

    // "restored as shipped" is true until the learner saves again.
    fs::write(c.join("exercises/ch/three_hints.rs"), "fn main() {\n").unwrap();
    wait_for(&t, "failed at the build step");
    t.keys("x");
    wait_for(&t, "y/n");
    t.keys("y");
    wait_for(&t, "restored as");
    solve(&c, "ch", "three_hints");
    let screen = wait_for(&t, "three_hints is done");
    assert!(!screen.contains("restored as"), "{screen}");
}

#[test]
fn saving_an_earlier_step_checks_the_step_that_builds_on_it() {
    let c = common::fixture("steps", "watch-earlier");
    fs::copy(
        c.join("solutions/ch/step2.rs"),
        c.join("exercises/ch/step2.rs"),
    )
    .unwrap();
    start_at(&c, "step2", &["step1"]);
    let t = start("earlier", &c);
    // step2 is right, but the step1 it declares with `#[path]` is not: the screen says where.
    let screen = wait_for(&t, "failed at the test step");
    assert!(screen.contains("Edit exercises/ch/step1.rs"), "{screen}");
    // Saving step1, not step2, must check step2 again.
    fs::copy(
        c.join("solutions/ch/step1.rs"),
        c.join("exercises/ch/step1.rs"),
    )
    .unwrap();
    wait_for(&t, "step2 is done");
}

#[test]
fn watch_builds_later_exercises_dependencies_while_the_learner_reads() {
    let course = common::fixture("features", "watch-warmup");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("features-target-watch");
    let _ = fs::remove_dir_all(&target);
    let built = || common::rlib_built(&target, "later");
    let script = format!(
        "cd '{}' && env RUST_BACKTRACE=0 CARGO_TARGET_DIR='{}' NO_COLOR=1 '{}'; sleep 60",
        course.display(),
        target.display(),
        env!("CARGO_BIN_EXE_asyncling")
    );
    let t = Tmux::launch(
        format!("asyncling-warmup-{}", std::process::id()),
        (120, 40),
        &script,
    );
    wait_for(&t, "first is done");
    // The background build waits for the learner to leave the files alone for a moment.
    assert!(
        !built(),
        "the first check compiled the second exercise's dependency"
    );
    // No key, no save: the dependency of the next exercise gets built anyway.
    let bound = Instant::now() + Duration::from_secs(120);
    while !built() {
        assert!(
            Instant::now() < bound,
            "`later` was never built in the background"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    t.keys("n");
    wait_for(&t, "second is done");
}
