//! The real `asyncling` binary against fixture courses (`tests/fixtures/`). Every test works on a
//! fresh copy of its fixture under cargo's test scratch folder; the fixtures share one target
//! directory so their (std-only) builds stay quick.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::fixture;

fn asyncling_cmd(course: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asyncling"));
    cmd.arg("--course").arg(course).args(args);
    cmd.env(
        "CARGO_TARGET_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"),
    );
    // As installed with `cargo install`: no `CARGO` in the environment (see `cargo_course`).
    cmd.env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("CARGO")
        .env_remove("ASYNCLING_COMMAND")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// As `cargo course` starts it: cargo sets `CARGO`, and the binary lives in a `target` folder.
fn cargo_course(course: &Path, args: &[&str]) -> Output {
    asyncling_cmd(course, args)
        .env("CARGO", env!("CARGO"))
        .output()
        .unwrap()
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

fn state(course: &Path) -> serde_json::Value {
    let bytes = fs::read(course.join(".asyncling/state.json")).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn passing_exercise_exits_zero_and_is_marked_done() {
    let c = fixture("basic", "pass");
    let out = asyncling(&c, &["run", "pass1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("pass1 passes"), "{}", text(&out));
    let s = state(&c);
    assert!(s["done"].as_array().unwrap().iter().any(|n| n == "pass1"));
    // Passing the current exercise moved the course on.
    assert_eq!(s["current"], "fail_test");
}

#[test]
fn failing_test_shows_the_test_output_and_exits_one() {
    let c = fixture("basic", "failtest");
    let out = asyncling(&c, &["run", "fail_test"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("add must add"), "{t}");
    assert!(t.contains("failed at the test step"), "{t}");
}

#[test]
fn compile_error_gets_the_not_send_explanation() {
    let c = fixture("basic", "notsend");
    let out = asyncling(&c, &["run", "not_send"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("cannot be sent between threads safely"), "{t}");
    assert!(t.contains("The future is not `Send`"), "{t}");
    assert!(t.contains("failed at the build step"), "{t}");
}

#[test]
fn hang_is_killed_named_and_leaves_no_process() {
    let c = fixture("basic", "hang");
    let out = asyncling(&c, &["run", "hang"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("was still running after 2 s"), "{t}");
    assert!(
        t.contains("tests::waits_for_ready"),
        "the hung test is not named: {t}"
    );
    assert!(t.contains("Poll::Pending"), "{t}");
    let pid = fs::read_to_string(c.join("hang.pid")).unwrap();
    // The process group was killed and reaped before asyncling returned.
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "test process {pid} is still alive"
    );
}

#[test]
fn huge_output_is_capped_keeping_head_and_tail() {
    let c = fixture("basic", "huge");
    let out = asyncling(&c, &["run", "huge_output"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        t.len() < 100_000,
        "output was not capped: {} bytes",
        t.len()
    );
    assert!(t.contains("flood line 0\n"), "head missing");
    assert!(t.contains("the last words after the flood"), "tail missing");
    assert!(t.contains("of output cut here"), "the cut is not said");
}

#[test]
fn panic_in_a_spawned_thread_fails_and_is_shown() {
    let c = fixture("basic", "threadpanic");
    let out = asyncling(&c, &["run", "thread_panic"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("worker thread exploded"), "{t}");
    assert!(t.contains("the worker's result was lost"), "{t}");
}

#[test]
fn run_mode_checks_the_exit_code_of_main() {
    let c = fixture("basic", "runmode");
    let out = asyncling(&c, &["run", "run_mode"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("about to fail") && t.contains("failed at the run step"),
        "{t}"
    );
    fs::copy(
        c.join("solutions/ch/run_mode.rs"),
        c.join("exercises/ch/run_mode.rs"),
    )
    .unwrap();
    let out = asyncling(&c, &["run", "run_mode"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("all good"));
}

#[test]
fn malformed_info_toml_names_file_and_line() {
    let c = fixture("basic", "malformed");
    let info = c.join("info.toml");
    let good = fs::read_to_string(&info).unwrap();
    fs::write(
        &info,
        good.replacen("name = \"fail_test\"", "name = \"fail_test", 1),
    )
    .unwrap();
    let out = asyncling(&c, &["list"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("info.toml:15:"), "{t}");

    fs::write(&info, good.replacen("test = true", "tset = true", 1)).unwrap();
    let t = text(&asyncling(&c, &["list"]));
    assert!(t.contains("info.toml:9:") && t.contains("tset"), "{t}");

    fs::write(
        &info,
        good.replacen("name = \"hang\"", "name = \"pass1\"", 1),
    )
    .unwrap();
    let t = text(&asyncling(&c, &["list"]));
    assert!(
        t.contains("info.toml:27:") && t.contains("duplicate"),
        "{t}"
    );
}

#[test]
fn missing_exercise_file_is_named_with_its_line() {
    let c = fixture("basic", "missing");
    fs::remove_file(c.join("exercises/ch/hang.rs")).unwrap();
    let out = asyncling(&c, &["list"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("info.toml:26:") && t.contains("exercises/ch/hang.rs"),
        "{t}"
    );
}

#[test]
fn corrupted_state_is_recovered_with_a_warning() {
    let c = fixture("basic", "corrupt");
    fs::create_dir_all(c.join(".asyncling")).unwrap();
    fs::write(c.join(".asyncling/state.json"), "{ this is not json").unwrap();
    let out = asyncling(&c, &["list"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("could not be read"), "{t}");
    // Kept under a timestamped name, so a later repair cannot overwrite it.
    let kept = fs::read_dir(c.join(".asyncling")).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("state.json.corrupt-")
    });
    assert!(kept);
}

#[test]
fn reset_restores_the_shipped_file_and_keeps_a_backup() {
    let c = fixture("basic", "reset");
    let file = c.join("exercises/ch/fail_test.rs");
    let shipped = fs::read_to_string(&file).unwrap();
    // Any command keeps the shipped copy first.
    asyncling(&c, &["list"]);
    fs::write(&file, "// my own attempt\n").unwrap();
    let out = asyncling(&c, &["reset", "fail_test"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(fs::read_to_string(&file).unwrap(), shipped);
    let backup = t
        .split("saved to ")
        .nth(1)
        .map(|s| PathBuf::from(s.trim()))
        .expect("the backup path is printed");
    assert_eq!(fs::read_to_string(backup).unwrap(), "// my own attempt\n");
}

#[test]
fn hints_come_one_level_at_a_time() {
    let c = fixture("basic", "hints");
    let first = text(&asyncling(&c, &["hint", "fail_test"]));
    assert!(
        first.contains("Hint 1 of 2") && !first.contains("Return a + b"),
        "{first}"
    );
    let second = text(&asyncling(&c, &["hint", "fail_test"]));
    assert!(
        second.contains("Hint 2 of 2") && second.contains("Return a + b"),
        "{second}"
    );
}

#[test]
fn list_filters_done_and_pending() {
    let c = fixture("basic", "list");
    asyncling(&c, &["run", "pass1"]);
    let done = text(&asyncling(&c, &["list", "--done"]));
    assert!(
        done.contains("pass1") && !done.contains("fail_test"),
        "{done}"
    );
    let pending = text(&asyncling(&c, &["list", "--pending"]));
    assert!(
        !pending.contains("pass1 ") && pending.contains("fail_test"),
        "{pending}"
    );
}

#[test]
fn verify_json_reports_every_exercise() {
    let c = fixture("basic", "json");
    let out = asyncling(&c, &["verify", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["total"], 7);
    let checks = report["checks"].as_array().unwrap();
    let by_name = |n: &str| checks.iter().find(|c| c["name"] == n).unwrap().clone();
    assert_eq!(by_name("pass1")["ok"], true);
    assert_eq!(by_name("fail_test")["failed_step"], "test");
    assert_eq!(by_name("not_send")["failed_step"], "build");
    assert_eq!(by_name("hang")["failed_step"], "test");
    assert_eq!(by_name("run_mode")["failed_step"], "run");
    for key in ["name", "kind", "file", "ok", "passed", "cached", "message"] {
        assert!(checks[0].get(key).is_some(), "missing key {key}");
    }
    // verify records what passes as done.
    assert!(
        state(&c)["done"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "pass1")
    );
    // The test-mode exercises were compiled together, as modules of batch crates.
    let batches = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target/asyncling-batch");
    let ours = c.join("Cargo.toml").display().to_string();
    let sources: String = fs::read_dir(&batches)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|dir| fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|m| m.contains(&ours)))
        .flat_map(|dir| fs::read_dir(dir).unwrap())
        .filter_map(|e| fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert!(
        sources.contains("mod fail_test;") && sources.contains("mod hang;"),
        "{sources}"
    );
}

#[test]
fn verify_solutions_catches_a_free_pass_a_broken_solution_and_drifted_tests() {
    let c = fixture("author", "solutions");
    let out = asyncling(&c, &["verify", "--solutions", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failing: Vec<(String, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| {
            (
                c["name"].as_str().unwrap().into(),
                c["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expect = |n: &str, k: &str| (n.to_string(), k.to_string());
    assert!(
        failing.contains(&expect("passes_unsolved", "unsolved")),
        "{failing:?}"
    );
    assert!(
        failing.contains(&expect("bad_solution", "solution")),
        "{failing:?}"
    );
    assert!(
        failing.contains(&expect("drifted_tests", "solution")),
        "{failing:?}"
    );
    assert!(!failing.iter().any(|(n, _)| n == "good"), "{failing:?}");
    // The learner's files were not touched.
    assert!(!c.join(".asyncling/state.json").exists());
}

#[test]
fn verify_skips_unchanged_passes_and_rechecks_edits() {
    let c = fixture("author", "cache");
    let first = asyncling(&c, &["verify", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let cached = |r: &serde_json::Value, n: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()["cached"]
            .clone()
    };
    assert_eq!(cached(&report, "passes_unsolved"), false);
    let again = asyncling(&c, &["verify", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(cached(&report, "passes_unsolved"), true);
    // An edit invalidates the pass: the broken version is checked and fails.
    fs::write(
        c.join("exercises/ch/passes_unsolved.rs"),
        fs::read_to_string(c.join("exercises/ch/good.rs")).unwrap(),
    )
    .unwrap();
    let edited = asyncling(&c, &["verify", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&edited.stdout).unwrap();
    assert_eq!(cached(&report, "passes_unsolved"), false);
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "passes_unsolved")
        .unwrap()
        .clone();
    assert_eq!(check["ok"], false);
}

#[test]
fn github_actions_gets_error_annotations() {
    let c = fixture("author", "gha");
    let out = asyncling_cmd(&c, &["verify"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let t = text(&out);
    assert!(
        t.contains("::error file=exercises/ch/good.rs,line=14::good: panicked: assertion"),
        "{t}"
    );
}

#[test]
fn messages_name_the_command_the_learner_started() {
    let c = fixture("screen", "wording");
    let installed = text(&asyncling(&c, &["run", "three_hints"]));
    assert!(
        installed.contains("`asyncling hint three_hints`"),
        "{installed}"
    );
    assert!(!installed.contains("cargo course"), "{installed}");
    let alias = text(&cargo_course(&c, &["run", "three_hints"]));
    assert!(alias.contains("`cargo course hint three_hints`"), "{alias}");
    let hint = text(&cargo_course(&c, &["hint"]));
    assert!(hint.contains("Run `cargo course hint` again"), "{hint}");
    let usage = text(&cargo_course(&c, &["--help"]));
    assert!(usage.contains("Usage: cargo course"), "{usage}");
    let status = text(&asyncling(&c, &["list", "--done"]));
    assert!(!status.contains("cargo course"), "{status}");
}

#[test]
fn backtraces_show_the_learners_frames_and_fold_the_rest() {
    let c = fixture("screen", "backtrace");
    let out = asyncling_cmd(&c, &["run", "three_hints"])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let panic = t
        .find("panicked at exercises/ch/three_hints.rs:15")
        .expect(&t);
    let own = t.find("three_hints::tests::multiplying_instead").expect(&t);
    assert!(panic < own, "{t}");
    assert!(
        t.contains("frames of std, tokio or the runtime folded"),
        "{t}"
    );
    assert!(!t.contains("core::panicking"), "{t}");
    let full = text(
        &asyncling_cmd(&c, &["run", "three_hints", "--backtrace"])
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap(),
    );
    assert!(full.contains("core::panicking"), "{full}");
}

#[test]
fn the_learners_warnings_show_with_a_failure_and_as_a_note_on_a_pass() {
    let c = fixture("screen", "warnings");
    let failed = text(&asyncling(&c, &["run", "three_hints"]));
    assert!(
        failed.contains("The compiler also warned about your file"),
        "{failed}"
    );
    assert!(failed.contains("unused variable: `unused`"), "{failed}");
    let out = asyncling(&c, &["run", "warn_pass"]);
    let passed = text(&out);
    assert_eq!(out.status.code(), Some(0), "{passed}");
    assert!(passed.contains("unused variable: `forgotten`"), "{passed}");
    assert!(
        passed.contains("note: The check passes, but the compiler warned"),
        "{passed}"
    );
}

#[test]
fn exit_statuses_are_told_in_words() {
    let c = fixture("screen", "abort");
    let t = text(&asyncling(&c, &["run", "aborts"]));
    assert!(t.contains("killed by SIGABRT"), "{t}");
    assert!(!t.contains("signal 6"), "{t}");
    let basic = fixture("basic", "exitwords");
    let t = text(&asyncling(&basic, &["run", "run_mode"]));
    assert!(t.contains("exit status "), "{t}");
    assert!(!t.contains("Exited("), "{t}");
}

#[test]
fn annotations_point_at_the_failing_line_with_one_clean_message() {
    let c = fixture("screen", "annotations");
    let out = asyncling_cmd(&c, &["verify"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let t = text(&out);
    assert!(
        t.contains(
            "::error file=exercises/ch/three_hints.rs,line=15::three_hints: panicked: assertion `left == right` failed: add must add left: 6 right: 5"
        ),
        "{t}"
    );
    // The first compiler error, not line 1.
    assert!(
        t.contains("::error file=exercises/ch/not_send.rs,line=18::not_send: future cannot be sent between threads safely"),
        "{t}"
    );
    assert!(
        t.contains("::error file=exercises/ch2/later.rs,line=8::later: panicked: not yet"),
        "{t}"
    );
    assert!(!t.contains("three_hints: three_hints"), "{t}");
}

#[test]
fn verify_json_carries_step_message_file_and_line_per_failure() {
    let c = fixture("screen", "jsondiag");
    let out = asyncling(&c, &["verify", "--format", "json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let check = |n: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    let t = check("three_hints");
    assert_eq!(t["failed_step"], "test");
    assert_eq!(t["file"], "exercises/ch/three_hints.rs");
    assert_eq!(t["line"], 15);
    assert_eq!(t["diagnostics"][0]["line"], 15);
    assert!(
        t["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("add must add")
    );
    assert!(t["message"].as_str().unwrap().contains("test step"));
    let n = check("not_send");
    assert_eq!(n["failed_step"], "build");
    assert_eq!(n["line"], 18);
    assert_eq!(check("warn_pass")["line"], serde_json::Value::Null);
}

#[test]
fn verify_json_answers_with_an_error_object_when_the_course_cannot_load() {
    let c = fixture("basic", "jsonbroken");
    fs::write(
        c.join("info.toml"),
        "format_version = 1\n[[exercises]]\nname = \"x\"\nbogus = 3\n",
    )
    .unwrap();
    let out = asyncling(&c, &["verify", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let error: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert_eq!(error["ok"], false);
    assert!(
        error["error"].as_str().unwrap().contains("info.toml"),
        "{error}"
    );
}

#[test]
fn verify_half_way_with_nothing_changed_checks_nothing_and_shows_the_same() {
    let c = fixture("screen", "halfway");
    // Half the course passes (not_send and hang solved, warn_pass passes as shipped), half fails
    // by a test failing (a crash is never remembered, so `aborts` fails by a panic here).
    for name in ["not_send", "hang"] {
        fs::copy(
            c.join(format!("solutions/ch/{name}.rs")),
            c.join(format!("exercises/ch/{name}.rs")),
        )
        .unwrap();
    }
    fs::write(
        c.join("exercises/ch/aborts.rs"),
        "fn main() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        panic!(\"no\");\n    }\n}\n",
    )
    .unwrap();
    let first = asyncling(&c, &["verify"]);
    let started = std::time::Instant::now();
    let again = asyncling(&c, &["verify"]);
    let took = started.elapsed();
    let t = text(&again);
    assert_eq!(again.status.code(), Some(1), "{t}");
    // Told exactly as the first time, with nothing built or run again.
    let report = |out: &Output| {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_once("\n\n")
            .map(|(_, r)| r.to_string())
            .unwrap_or(text)
    };
    assert_eq!(report(&first), report(&again));
    assert!(
        t.contains("(6 unchanged since their last check skipped)"),
        "{t}"
    );
    assert!(t.contains("3 of 6 checks failed"), "{t}");
    // A generous bound for a loaded machine; bench/first-run.sh and checker-speed.sh measure it.
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    // The first failure as `run` shows it: the exercise's own test names, no batch internals,
    // paths relative to the course.
    assert!(
        t.contains("test tests::multiplying_instead_of_adding_is_rejected ... FAILED"),
        "{t}"
    );
    assert!(
        t.contains("panicked at exercises/ch/three_hints.rs:15:9"),
        "{t}"
    );
    assert!(t.contains("0 filtered out"), "{t}");
    assert!(t.contains("Stuck? `asyncling hint three_hints`"), "{t}");
    for internal in ["three_hints::tests::", "asyncling_batch", "== three_hints"] {
        assert!(!t.contains(internal), "{internal} in {t}");
    }
    assert!(!t.contains(&c.display().to_string()), "{t}");
}

#[test]
fn verify_solutions_proves_each_wrong_answer_is_rejected_fast() {
    let c = fixture("author", "wrong");
    let dir = c.join("wrong/ch/good");
    let solution = fs::read_to_string(c.join("solutions/ch/good.rs")).unwrap();
    let variant = |body: &str| solution.replace("    n * 2", body);
    // Right for the one value the test tries: the tests do not reject it.
    fs::write(dir.join("adds_four.rs"), variant("    n + 4")).unwrap();
    // Caught only by the time limit, not by a test.
    fs::write(dir.join("spins.rs"), variant("    loop {}")).unwrap();
    // A compile error is not a wrong answer the tests reject.
    fs::write(dir.join("typo.rs"), variant("    n * two")).unwrap();
    // Tests of its own prove nothing about the exercise's.
    fs::write(
        dir.join("own_tests.rs"),
        variant("    n + 1").replace("double(4), 8", "double(4), 5"),
    )
    .unwrap();
    let out = asyncling(&c, &["verify", "--solutions", "good", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wrong: Vec<(String, bool, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "wrong")
        .map(|c| {
            (
                c["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .into(),
                c["ok"].as_bool().unwrap(),
                c["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    let find = |f: &str| {
        wrong
            .iter()
            .find(|w| w.0 == f)
            .unwrap_or_else(|| panic!("{f} missing: {wrong:?}"))
    };
    assert!(find("adds_one.rs").1, "{wrong:?}");
    assert!(!find("adds_four.rs").1 && find("adds_four.rs").2.contains("passes every test"));
    assert!(!find("spins.rs").1 && find("spins.rs").2.contains("2 s limit"));
    assert!(!find("typo.rs").1 && find("typo.rs").2.contains("build step"));
    assert!(!find("own_tests.rs").1 && find("own_tests.rs").2.contains("differ"));
    // Only the exercise named was checked.
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] == "good"),
        "{report}"
    );
}

#[test]
fn a_rustlings_layout_course_may_fill_in_tests_in_its_solutions() {
    let c = fixture("author", "own-tests");
    let info = fs::read_to_string(c.join("info.toml")).unwrap();
    fs::write(
        c.join("info.toml"),
        info.replace("identical_solution_tests = true\n", ""),
    )
    .unwrap();
    let out = asyncling(
        &c,
        &["verify", "--solutions", "drifted_tests", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{}", text(&out));
}

/// A course in this repository's layout (bins in exercises/Cargo.toml), files only.
fn nested_course(tag: &str) -> PathBuf {
    let c = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fixtures")
        .join(format!("nested-{tag}"));
    let _ = fs::remove_dir_all(&c);
    fs::create_dir_all(c.join("exercises/ch")).unwrap();
    fs::create_dir_all(c.join("solutions/ch")).unwrap();
    fs::write(
        c.join("info.toml"),
        "format_version = 1\n\n[[exercises]]\nname = \"a1\"\ndir = \"ch\"\nhint = \"h\"\n",
    )
    .unwrap();
    fs::write(
        c.join("exercises/Cargo.toml"),
        "[package]\nname = \"nested\"\nedition = \"2021\"\n\n# ---- ch ----\n[[bin]]\n\
         name = \"a1\"\npath = \"ch/a1.rs\"\n[[bin]]\nname = \"a1_sol\"\npath = \"../solutions/ch/a1.rs\"\n",
    )
    .unwrap();
    for f in ["exercises/ch/a1.rs", "solutions/ch/a1.rs"] {
        fs::write(c.join(f), "fn main() {}\n").unwrap();
    }
    c
}

#[test]
fn dev_new_scaffolds_an_exercise_and_dev_check_guards_the_bins() {
    let c = nested_course("dev");
    let check = asyncling(&c, &["dev", "check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));

    let new = asyncling(&c, &["dev", "new", "b1", "--chapter", "ch2"]);
    assert_eq!(new.status.code(), Some(0), "{}", text(&new));
    for f in [
        "exercises/ch2/b1.rs",
        "solutions/ch2/b1.rs",
        "exercises/ch2/README.md",
    ] {
        assert!(c.join(f).is_file(), "{f} missing: {}", text(&new));
    }
    let manifest = fs::read_to_string(c.join("exercises/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("# ---- ch2 ----\n[[bin]]\nname = \"b1\"\npath = \"ch2/b1.rs\""),
        "{manifest}"
    );
    // The course still loads, and the new exercise is listed after the first.
    let list = asyncling(&c, &["list"]);
    let t = text(&list);
    assert!(t.find("a1").unwrap() < t.find("b1").unwrap(), "{t}");
    assert_eq!(asyncling(&c, &["dev", "check"]).status.code(), Some(0));
    // A second `new` of the same name refuses and overwrites nothing.
    let again = asyncling(&c, &["dev", "new", "b1", "--chapter", "ch2"]);
    assert_ne!(again.status.code(), Some(0));
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    // A bin removed by hand is named, and `update` puts it back.
    fs::write(
        c.join("exercises/Cargo.toml"),
        manifest.replace(
            "[[bin]]\nname = \"b1_sol\"\npath = \"../solutions/ch2/b1.rs\"\n",
            "",
        ),
    )
    .unwrap();
    let stale = asyncling(&c, &["dev", "check"]);
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    assert!(
        text(&stale).contains("missing bins: b1_sol"),
        "{}",
        text(&stale)
    );
    assert_eq!(asyncling(&c, &["dev", "update"]).status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(c.join("exercises/Cargo.toml")).unwrap(),
        manifest
    );
}

#[test]
fn dev_refuses_the_rustlings_layout_with_a_reason() {
    let c = fixture("author", "dev");
    let out = asyncling(&c, &["dev", "check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("rustlings layout"), "{}", text(&out));
}

/// The exercise names a `verify --format json` checked.
fn checked(out: &Output) -> Vec<String> {
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn verify_checks_what_is_selected_and_nothing_else() {
    let c = fixture("author", "select");
    let json = |args: &[&str]| {
        let mut all = vec!["verify", "--format", "json"];
        all.extend_from_slice(args);
        asyncling(&c, &all)
    };
    let one = json(&["passes_unsolved"]);
    assert_eq!(checked(&one), ["passes_unsolved"]);
    assert_eq!(one.status.code(), Some(0), "only what is selected counts");
    assert_eq!(
        checked(&json(&["--through", "bad_solution"])),
        ["good", "passes_unsolved", "bad_solution"]
    );
    assert_eq!(checked(&json(&["--chapter", "ch"])).len(), 4);
    // Selectors add up, in course order, each exercise once.
    assert_eq!(
        checked(&json(&["drifted_tests", "--through", "good", "good"])),
        ["good", "drifted_tests"]
    );
    // --done: what the progress file records as done.
    assert_eq!(
        asyncling(&c, &["run", "passes_unsolved"]).status.code(),
        Some(0)
    );
    assert_eq!(checked(&json(&["--done"])), ["passes_unsolved"]);

    for (args, says) in [
        (vec!["verify", "goood"], "did you mean good"),
        (vec!["verify", "--chapter", "chx"], "did you mean ch"),
        (
            vec!["verify", "--through", "nothing_like_it"],
            "No exercise is named",
        ),
    ] {
        let out = asyncling(&c, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    }
}

#[test]
fn junit_output_is_read_by_a_junit_parser_with_counts_and_failure_lines() {
    let c = fixture("author", "junit");
    let out = asyncling(&c, &["verify", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let xml = String::from_utf8(out.stdout.clone()).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml)
        .unwrap_or_else(|e| panic!("not JUnit: {e}\n{xml}"));
    assert_eq!(report.tests, 4, "{xml}");
    // good, bad_solution and drifted_tests fail as shipped; passes_unsolved passes.
    assert_eq!(report.failures, 3, "{xml}");
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "ch");
    let good = suite
        .test_cases
        .iter()
        .find(|t| t.name.as_str() == "good")
        .unwrap();
    match &good.status {
        quick_junit::TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } => {
            assert!(message.as_ref().unwrap().as_str().contains("test"), "{xml}");
            // The failing line: the assertion in the exercise's test.
            let place = description.as_ref().unwrap().as_str();
            assert!(place.starts_with("exercises/ch/good.rs:"), "{place}");
            assert_ne!(place.trim(), "exercises/ch/good.rs:1", "{xml}");
        }
        other => panic!("good must fail: {other:?}"),
    }
    assert_eq!(
        good.extra.get("file").map(|f| f.as_str()),
        Some("exercises/ch/good.rs")
    );
}

#[test]
fn github_gets_a_step_summary_with_chapters_and_linked_failures() {
    let c = fixture("author", "summary");
    let summary = c.join("summary.md");
    fs::write(&summary, "earlier step\n").unwrap();
    let out = asyncling_cmd(&c, &["verify"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_SERVER_URL", "https://example.invalid")
        .env("GITHUB_REPOSITORY", "someone/course")
        .env("GITHUB_SHA", "abc123")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let md = fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n"), "appends: {md}");
    assert!(md.contains("| ch | 1/4 | 3 |"), "{md}");
    assert!(
        md.contains("[exercises/ch/good.rs:")
            && md.contains(
                "](https://example.invalid/someone/course/blob/abc123/exercises/ch/good.rs#L"
            ),
        "{md}"
    );
}

#[test]
fn json_counts_checks_per_chapter() {
    let c = fixture("author", "chapters");
    let out = asyncling(&c, &["verify", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["chapters"],
        serde_json::json!([{"chapter": "ch", "total": 4, "ok": 1}]),
        "{report}"
    );
}

#[test]
fn file_paths_are_hyperlinks_only_where_the_terminal_shows_them() {
    let c = fixture("basic", "links");
    let linked = asyncling_cmd(&c, &["run", "fail_test"])
        .env("FORCE_HYPERLINK", "1")
        .output()
        .unwrap();
    let t = text(&linked);
    let target = fs::canonicalize(c.join("exercises/ch/fail_test.rs")).unwrap();
    let url = format!("\x1b]8;;file://{}\x1b\\", target.display());
    assert!(
        t.contains(&url),
        "no OSC 8 link to {}: {t:?}",
        target.display()
    );
    assert!(
        t.contains("exercises/ch/fail_test.rs\x1b]8;;\x1b\\"),
        "{t:?}"
    );
    // A pipe, as in CI logs: plain text.
    let plain = asyncling_cmd(&c, &["run", "fail_test"])
        .env_remove("FORCE_HYPERLINK")
        .output()
        .unwrap();
    assert!(!text(&plain).contains("\x1b]8;"), "{:?}", text(&plain));
}

#[test]
fn a_selection_that_passes_does_not_claim_the_course_is_finished() {
    let c = fixture("basic", "partial");
    let out = asyncling(&c, &["verify", "pass1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !text(&out).contains("Fixture course finished."),
        "{}",
        text(&out)
    );
}

#[test]
fn done_with_no_progress_says_how_to_commit_it_and_fails_nothing() {
    let c = fixture("basic", "done-empty");
    let out = asyncling(&c, &["verify", "--done"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("git add -f .asyncling/state.json"),
        "{}",
        text(&out)
    );
}

#[test]
fn steps_that_declare_earlier_steps_are_verified_in_every_build() {
    // step2 declares step1's file with `#[path]`; its wrong answer declares step1's solution.
    // A wrong answer forces the batch build, where each file is itself a `#[path]` module.
    let c = fixture("steps", "verify");
    let out = asyncling(&c, &["verify", "--solutions", "step1", "step2"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("ok step2 (wrong answer doubles_once)"), "{t}");
    assert!(t.contains("ok step2 (solution)"), "{t}");
}

#[test]
fn a_broken_earlier_step_is_named_as_the_file_to_edit() {
    let c = fixture("steps", "earlier");
    fs::copy(
        c.join("solutions/ch/step2.rs"),
        c.join("exercises/ch/step2.rs"),
    )
    .unwrap();
    // step1 unsolved: its tests run again inside step2 and fail there.
    let out = asyncling(&c, &["run", "step2"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("Edit exercises/ch/step1.rs, an earlier step step2 builds on"),
        "{t}"
    );
    // step1 does not compile: the error, and the file to edit, are step1's.
    let step1 = fs::read_to_string(c.join("exercises/ch/step1.rs")).unwrap();
    fs::write(
        c.join("exercises/ch/step1.rs"),
        step1.replace("n + 1", "n +"),
    )
    .unwrap();
    let t = text(&asyncling(&c, &["run", "step2"]));
    assert!(t.contains("failed at the build step"), "{t}");
    assert!(t.contains("--> exercises/ch/step1.rs:"), "{t}");
    assert!(
        t.contains("Edit exercises/ch/step1.rs, an earlier step"),
        "{t}"
    );
    // Both solved: step2 passes.
    fs::copy(
        c.join("solutions/ch/step1.rs"),
        c.join("exercises/ch/step1.rs"),
    )
    .unwrap();
    let out = asyncling(&c, &["run", "step2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn an_exercise_builds_with_the_features_it_lists_and_no_other() {
    let c = fixture("features", "cli");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("features-target-cli");
    let _ = fs::remove_dir_all(&target);
    let run = |name: &str| {
        asyncling_cmd(&c, &["run", name])
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap()
    };
    let first = run("first");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(
        !common::rlib_built(&target, "later"),
        "an exercise without `features` compiled the optional dependency"
    );
    // Without `--features later` cargo would refuse the bin (required-features).
    let second = run("second");
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert!(common::rlib_built(&target, "later"));
}

#[test]
fn a_remembered_result_is_forgotten_when_an_earlier_step_changes() {
    let c = fixture("steps", "cache");
    fs::copy(
        c.join("solutions/ch/step2.rs"),
        c.join("exercises/ch/step2.rs"),
    )
    .unwrap();
    let out = asyncling(&c, &["verify", "step2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // Only step1, which step2 declares, changes: step2's remembered failure no longer holds.
    fs::copy(
        c.join("solutions/ch/step1.rs"),
        c.join("exercises/ch/step1.rs"),
    )
    .unwrap();
    let out = asyncling(&c, &["verify", "step2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
