//! `asyncling verify`: every exercise in order, non-interactively. With `--solutions`, the course
//! author's proof: every shipped exercise fails, every solution passes strict clippy and its tests,
//! and every solution carries exactly the tests of its exercise.

use std::fs;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Result;
use serde::Serialize;

use crate::check::{Annotation, Checker, Outcome, Step, Target};
use crate::course::{Course, Exercise, Mode};
use crate::pass_cache::PassCache;
use crate::select::{self, Selection};
use crate::state::Store;
use crate::term;
use crate::wrong;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub struct Options {
    /// Which exercises to check.
    pub selection: Selection,
    pub solutions: bool,
    pub format: Format,
    pub use_cache: bool,
    pub color: bool,
}

/// What one check was for, and so what counts as success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// The learner's exercise: must pass.
    Exercise,
    /// The shipped exercise under `--solutions`: must fail.
    Unsolved,
    /// The solution under `--solutions`: must pass (strictly).
    Solution,
    /// A wrong answer from the corpus under `--solutions`: must fail at the test step, fast.
    Wrong,
}

#[derive(Serialize)]
struct Record {
    name: String,
    kind: Kind,
    file: String,
    /// Whether this check came out as it should.
    ok: bool,
    /// Whether the exercise (or solution) passed its checks.
    passed: bool,
    cached: bool,
    failed_step: Option<Step>,
    message: String,
    #[serde(skip)]
    output: String,
    #[serde(skip)]
    annotations: Vec<Annotation>,
}

#[derive(Serialize)]
struct Report {
    ok: bool,
    total: usize,
    failed: usize,
    checks: Vec<Record>,
}

pub fn run(course: &Course, opts: &Options) -> Result<bool> {
    let selected = select::exercises(course, &opts.selection)?;
    let mut records: Vec<Record> = Vec::new();
    let mut targets: Vec<(Kind, Target)> = Vec::new();
    for ex in selected {
        if opts.solutions {
            if course.identical_solution_tests
                && let Some(problem) = tests_differ(course, ex, &ex.solution_path())
            {
                let file = ex.solution_path();
                records.push(problem_record(ex, Kind::Solution, &file, problem));
            }
            if !ex.skip_check_unsolved {
                targets.push((Kind::Unsolved, Target::exercise(ex)));
            }
            targets.push((Kind::Solution, Target::solution(ex)));
            for answer in wrong::of(course, ex) {
                let problem =
                    wrong_problem(ex, &answer).or_else(|| tests_differ(course, ex, &answer.file));
                match problem {
                    Some(problem) => {
                        records.push(problem_record(ex, Kind::Wrong, &answer.file, problem))
                    }
                    None => targets.push((Kind::Wrong, Target::wrong(ex, &answer))),
                }
            }
        } else {
            targets.push((Kind::Exercise, Target::exercise(ex)));
        }
    }

    let mut cache = PassCache::open(course)?;
    let keys: Vec<Option<String>> = targets.iter().map(|(_, t)| cache.key(t)).collect();
    let mut to_check: Vec<usize> = Vec::new();
    let mut cached: Vec<usize> = Vec::new();
    for (i, (kind, t)) in targets.iter().enumerate() {
        let cacheable = matches!(kind, Kind::Exercise | Kind::Solution);
        if opts.use_cache && cacheable && cache.is_fresh_pass(t, keys[i].as_deref()) {
            cached.push(i);
        } else {
            to_check.push(i);
        }
    }

    let text = opts.format == Format::Text;
    let bar = if text {
        term::progress_bar(to_check.len(), "Checking")
    } else {
        None
    };
    if text && bar.is_none() && !to_check.is_empty() {
        println!(
            "Building {} exercise binaries ({} unchanged passes skipped)...",
            to_check.len(),
            cached.len()
        );
    }
    let checker = Checker {
        manifest: course.package_manifest(),
        color: opts.color && opts.format == Format::Text,
        cancel: None,
        progress: None,
    };
    let batch: Vec<Target> = to_check.iter().map(|&i| targets[i].1.clone()).collect();
    let lines = Mutex::new(());
    let outcomes = checker.check_all(&batch, &|j, outcome| {
        let (kind, t) = &targets[to_check[j]];
        let ok = expected(*kind, outcome);
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(t.bin.clone());
        } else if text {
            let _one = lines.lock();
            println!(
                "{}",
                term::plain_line(&label(*kind, t), ok, &detail(*kind, outcome))
            );
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    for &i in &cached {
        let (kind, t) = &targets[i];
        records.push(record(*kind, t, None));
    }
    for (j, outcome) in outcomes.iter().enumerate() {
        let (kind, t) = &targets[to_check[j]];
        if matches!(kind, Kind::Exercise | Kind::Solution) {
            cache.record(t, keys[to_check[j]].clone(), outcome.passed());
        }
        records.push(record(*kind, t, Some(outcome)));
    }
    cache.save()?;
    let order = |r: &Record| {
        course
            .exercises
            .iter()
            .position(|e| e.name == r.name)
            .unwrap_or(usize::MAX)
    };
    records
        .sort_by(|a, b| (order(a), a.kind as u8, &a.file).cmp(&(order(b), b.kind as u8, &b.file)));

    if !opts.solutions {
        let store = Store::new(&course.root);
        store.update(|p| {
            for r in &records {
                if r.passed {
                    p.done.insert(r.name.clone());
                } else {
                    p.done.remove(&r.name);
                }
            }
            let current_done = p.current.as_ref().is_none_or(|c| p.done.contains(c));
            if current_done {
                p.current = p
                    .first_pending(course)
                    .map(|i| course.exercises[i].name.clone());
            }
        })?;
    }

    let failed = records.iter().filter(|r| !r.ok).count();
    let report = Report {
        ok: failed == 0,
        total: records.len(),
        failed,
        checks: records,
    };
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        for r in report.checks.iter().filter(|r| !r.ok) {
            for a in &r.annotations {
                println!(
                    "::error file={},line={}::{}",
                    gha_escape(&a.file),
                    a.line,
                    gha_escape(&format!("{}: {}", r.name, a.message))
                );
            }
        }
    }
    match opts.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print_text(course, &report, opts.solutions),
    }
    Ok(report.ok)
}

fn print_text(course: &Course, report: &Report, solutions: bool) {
    use colored::Colorize;
    let failures: Vec<&Record> = report.checks.iter().filter(|r| !r.ok).collect();
    // The first failure in full; the rest as one line each.
    if let Some(first) = failures.first() {
        println!();
        println!(
            "{}",
            format!("== {} ({:?}) ==", first.name, first.kind).bold()
        );
        if !first.output.trim().is_empty() {
            println!("{}", first.output.trim_end());
        }
        println!("{}", first.message);
    }
    println!();
    let passed_ex = report.checks.iter().filter(|r| r.ok).count();
    if report.ok {
        println!(
            "{} all {} checks passed{}",
            "✓".green().bold(),
            report.total,
            if solutions {
                " (every exercise fails as shipped, every solution passes)"
            } else {
                ""
            }
        );
        if solutions && course.root.join(wrong::FOLDER).is_dir() {
            println!("{}", corpus_summary(report));
        }
        if !solutions && let Some(msg) = &course.final_message {
            println!("\n{}", msg.trim());
        }
    } else {
        println!(
            "{} {} of {} checks failed ({} ok):",
            "✗".red().bold(),
            failures.len(),
            report.total,
            passed_ex
        );
        for r in failures {
            println!("  {:<24} {}", r.name, r.message);
        }
    }
}

/// How many known wrong answers the checked exercises reject, and which exercises have none.
fn corpus_summary(report: &Report) -> String {
    let mut rejected: Vec<(&str, usize)> = Vec::new();
    for r in &report.checks {
        if rejected.last().is_none_or(|(n, _)| *n != r.name) {
            rejected.push((&r.name, 0));
        }
        if r.kind == Kind::Wrong
            && r.ok
            && let Some(last) = rejected.last_mut()
        {
            last.1 += 1;
        }
    }
    let total: usize = rejected.iter().map(|(_, n)| n).sum();
    let without: Vec<&str> = rejected
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(name, _)| *name)
        .collect();
    let mut line = format!(
        "Wrong answers: {total} known wrong answers rejected, in {} of {} exercises.",
        rejected.len() - without.len(),
        rejected.len()
    );
    if !without.is_empty() {
        let shown: Vec<&str> = without.iter().take(8).copied().collect();
        let more = without.len() - shown.len();
        line.push_str(&format!(
            " None kept yet for: {}{}.",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    line
}

fn expected(kind: Kind, outcome: &Outcome) -> bool {
    match kind {
        Kind::Unsolved => !outcome.passed() && !outcome.timed_out,
        Kind::Wrong => outcome.failed == Some(Step::Test) && !outcome.timed_out,
        Kind::Exercise | Kind::Solution => outcome.passed(),
    }
}

fn label(kind: Kind, t: &Target) -> String {
    match kind {
        Kind::Unsolved => format!("{} (as shipped must fail)", t.exercise.name),
        Kind::Solution => format!("{} (solution)", t.exercise.name),
        Kind::Wrong => format!("{} (wrong answer {})", t.exercise.name, mistake(t)),
        Kind::Exercise => t.exercise.name.clone(),
    }
}

fn detail(kind: Kind, outcome: &Outcome) -> String {
    match (kind, outcome.failed) {
        (Kind::Unsolved, Some(step)) if outcome.timed_out => {
            format!("fails at {} by hanging: it must fail fast", step.label())
        }
        (Kind::Unsolved, Some(step)) => format!("fails at {}", step.label()),
        (Kind::Unsolved, None) => "passes without being solved".to_string(),
        (Kind::Wrong, Some(Step::Test)) if outcome.timed_out => {
            format!("hangs past {} s: it must fail fast", wrong::LIMIT.as_secs())
        }
        (Kind::Wrong, Some(Step::Test)) => "rejected by the tests".to_string(),
        (Kind::Wrong, Some(step)) => format!("fails at {}, not at test", step.label()),
        (Kind::Wrong, None) => "PASSES: the tests do not reject it".to_string(),
        (_, Some(step)) => format!("{} failed", step.label()),
        (_, None) => String::new(),
    }
}

fn record(kind: Kind, t: &Target, outcome: Option<&Outcome>) -> Record {
    let file = t.file.display().to_string();
    let Some(outcome) = outcome else {
        return Record {
            name: t.exercise.name.clone(),
            kind,
            file,
            ok: true,
            passed: true,
            cached: true,
            failed_step: None,
            message: "passed (unchanged since its last pass)".to_string(),
            output: String::new(),
            annotations: Vec::new(),
        };
    };
    let ok = expected(kind, outcome);
    let message = match kind {
        Kind::Unsolved if outcome.passed() => {
            "the shipped exercise passes without being solved: its tests prove nothing yet (or mark it skip_check_unsolved)".to_string()
        }
        Kind::Unsolved if outcome.timed_out => {
            "the shipped exercise hangs instead of failing fast".to_string()
        }
        Kind::Unsolved => format!(
            "fails as shipped at the {} step",
            outcome.failed.map_or("?", |s| s.label())
        ),
        Kind::Wrong => wrong_message(t, outcome),
        _ if outcome.passed() => "passed".to_string(),
        _ => format!(
            "failed at the {} step",
            outcome.failed.map_or("?", |s| s.label())
        ),
    };
    let mut annotations = outcome.annotations.clone();
    if matches!(kind, Kind::Unsolved | Kind::Wrong) && !ok {
        annotations = vec![Annotation {
            file: file.clone(),
            line: 1,
            message: message.clone(),
        }];
    }
    let mut output = outcome.output.clone();
    for note in &outcome.notes {
        output.push_str("\n\nnote: ");
        output.push_str(note);
    }
    Record {
        name: t.exercise.name.clone(),
        kind,
        file,
        ok,
        passed: outcome.passed(),
        cached: false,
        failed_step: outcome.failed,
        message,
        output,
        annotations,
    }
}

/// The tests a solution (or a wrong answer) is proven against must be the learner's: everything
/// from the first `#[cfg(test)]` line to the end of the file must match.
fn tests_differ(course: &Course, ex: &Exercise, other: &Path) -> Option<String> {
    let read = |p: &Path| fs::read_to_string(course.root.join(p)).unwrap_or_default();
    let tail = |text: &str| {
        text.lines()
            .skip_while(|l| l.trim() != "#[cfg(test)]")
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (ex_tests, other_tests) = (tail(&read(&ex.path())), tail(&read(other)));
    (ex_tests != other_tests).then(|| {
        let line = ex_tests
            .lines()
            .zip(other_tests.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(ex_tests.lines().count().min(other_tests.lines().count()));
        format!(
            "the tests in {} differ from those in {} (from the #[cfg(test)] line on, line {} of that section): it must be checked against the learner's tests",
            other.display(),
            ex.path().display(),
            line + 1
        )
    })
}

/// A check that failed before anything was built.
fn problem_record(ex: &Exercise, kind: Kind, file: &Path, problem: String) -> Record {
    let file = file.display().to_string();
    Record {
        name: ex.name.clone(),
        kind,
        file: file.clone(),
        ok: false,
        passed: false,
        cached: false,
        failed_step: None,
        message: problem.clone(),
        output: String::new(),
        annotations: vec![Annotation {
            file,
            line: 1,
            message: problem,
        }],
    }
}

/// What makes a corpus file uncheckable before it is built.
fn wrong_problem(ex: &Exercise, answer: &wrong::WrongAnswer) -> Option<String> {
    if let Some(why) = wrong::invalid_mistake(&answer.mistake) {
        return Some(format!("{}: {why}", answer.file.display()));
    }
    (ex.mode != Mode::Test).then(|| {
        format!(
            "{}: wrong answers are checked only for exercises in test mode",
            answer.file.display()
        )
    })
}

fn mistake(t: &Target) -> String {
    t.file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn wrong_message(t: &Target, outcome: &Outcome) -> String {
    let m = mistake(t);
    match outcome.failed {
        Some(Step::Test) if outcome.timed_out => format!(
            "the wrong answer `{m}` is only stopped by the {} s limit: the tests must reject it quickly",
            wrong::LIMIT.as_secs()
        ),
        Some(Step::Test) => format!("the wrong answer `{m}` is rejected by the tests"),
        Some(step) => format!(
            "the wrong answer `{m}` fails at the {} step: it must compile and fail a test",
            step.label()
        ),
        None => format!("the wrong answer `{m}` passes every test: the tests do not reject it"),
    }
}

fn gha_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}
