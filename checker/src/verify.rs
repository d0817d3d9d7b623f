//! `asyncling verify`: every exercise in order, non-interactively. With `--solutions`, the course
//! author's proof: every shipped exercise fails, every solution passes strict clippy and its tests,
//! and every solution carries exactly the tests of its exercise.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;

use crate::check::{Annotation, Checker, Outcome, Step};
use crate::course::{Course, Exercise, Mode};
use crate::pass_cache::PassCache;
use crate::report::{self, Format, Kind, Record, Report};
use crate::select::{self, Selection};
use crate::state::Store;
use crate::target::Target;
use crate::term;
use crate::wrong;

pub struct Options {
    /// Which exercises to check.
    pub selection: Selection,
    pub solutions: bool,
    pub format: Format,
    pub use_cache: bool,
    pub color: bool,
}

pub fn run(course: &Course, opts: &Options) -> Result<bool> {
    let (mut records, targets) = plan(course, opts)?;
    if records.is_empty() && targets.is_empty() && opts.selection.done {
        // A fork whose progress file is not committed yet: nothing fails, and the learner is
        // told how to make this check mean something.
        term::warn(&format!(
            "Nothing to verify: the progress file (.asyncling/state.json) records no exercise as \
             done. Solve some with `{}`, then commit the file once with \
             `git add -f .asyncling/state.json`.",
            term::cmd()
        ));
    }
    records.extend(check(course, opts, &targets)?);
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
        record_progress(course, &records)?;
    }
    let mut report = Report::new(course, records);
    report.whole_course = opts.selection.is_everything();
    report::publish(course, &report, opts.format, opts.solutions)?;
    Ok(report.ok)
}

/// What one check is for, and what it checks.
type Planned<'c> = (Kind, Target<'c>);

/// What to check for the selected exercises, and the problems found before building anything.
fn plan<'c>(course: &'c Course, opts: &Options) -> Result<(Vec<Record>, Vec<Planned<'c>>)> {
    let mut records: Vec<Record> = Vec::new();
    let mut targets: Vec<(Kind, Target)> = Vec::new();
    for ex in select::exercises(course, &opts.selection)? {
        if !opts.solutions {
            targets.push((Kind::Exercise, Target::exercise(ex)));
            continue;
        }
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
    }
    Ok((records, targets))
}

/// Checks the targets whose inputs changed since their last check, and takes the rest from
/// the remembered results.
fn check(course: &Course, opts: &Options, targets: &[Planned]) -> Result<Vec<Record>> {
    // A remembered failure is told again as it was drawn: with colour or without.
    let color = opts.color && opts.format == Format::Text;
    let mut cache = PassCache::open(course, color)?;
    let keys: Vec<Option<String>> = targets.iter().map(|(_, t)| cache.key(t)).collect();
    let mut records = Vec::new();
    let mut to_check: Vec<usize> = Vec::new();
    for (i, (kind, t)) in targets.iter().enumerate() {
        // A wrong answer shares its exercise's bin name: its results are not remembered.
        let cacheable = !matches!(kind, Kind::Wrong);
        match cache
            .lookup(t, keys[i].as_deref())
            .filter(|_| opts.use_cache && cacheable)
        {
            Some(outcome) => {
                let mut r = record(*kind, t, outcome);
                r.cached = true;
                records.push(r);
            }
            None => to_check.push(i),
        }
    }
    let text = opts.format == Format::Text;
    let bar = if text {
        term::progress_bar(to_check.len(), "Checking")
    } else {
        None
    };
    if text && bar.is_none() {
        println!(
            "Checking {} exercises ({} unchanged since their last check skipped)...",
            to_check.len(),
            records.len()
        );
    }
    let checker = Checker {
        layout: course.layout.clone(),
        color,
        cancel: None,
        progress: bar.as_ref().map(build_progress),
    };
    let batch: Vec<Target> = to_check.iter().map(|&i| targets[i].1.clone()).collect();
    let lines = Mutex::new(());
    let outcomes = checker.check_all(&batch, &|j, outcome| {
        let (kind, t) = &targets[to_check[j]];
        if let Some(bar) = &bar {
            bar.inc(1);
            bar.set_message(t.bin.clone());
        } else if text {
            let _one = lines.lock();
            let ok = expected(*kind, outcome);
            println!(
                "{}",
                term::plain_line(&label(*kind, t), ok, &detail(*kind, outcome))
            );
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for (j, outcome) in outcomes.iter().enumerate() {
        let (kind, t) = &targets[to_check[j]];
        if !matches!(kind, Kind::Wrong) {
            cache.record(t, keys[to_check[j]].clone(), outcome);
        }
        records.push(record(*kind, t, outcome));
    }
    cache.save()?;
    Ok(records)
}

/// While cargo builds, the bar says what it compiles, so it never sits still.
fn build_progress(bar: &indicatif::ProgressBar) -> crate::cargo::Progress {
    let bar = bar.clone();
    let compiled = AtomicUsize::new(0);
    Arc::new(move |name: &str| {
        if name == crate::check::TESTS_STARTED {
            return;
        }
        let n = compiled.fetch_add(1, Ordering::SeqCst) + 1;
        bar.set_message(format!("building ({n} crates compiled, last {name})"));
    })
}

/// The learner's progress follows the verdicts: passes are done, failures are not.
fn record_progress(course: &Course, records: &[Record]) -> Result<()> {
    Store::new(&course.root).update(|p| {
        // A cancelled check or a checker error says nothing about the exercise.
        for r in records
            .iter()
            .filter(|r| r.failed_step.is_none_or(Step::is_verdict))
        {
            p.record(&r.name, r.passed);
        }
        p.advance(course);
    })?;
    Ok(())
}

fn expected(kind: Kind, outcome: &Outcome) -> bool {
    match kind {
        Kind::Unsolved => !outcome.passed() && outcome.is_verdict() && !outcome.timed_out,
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

fn record(kind: Kind, t: &Target, outcome: &Outcome) -> Record {
    let file = t.file.display().to_string();
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
    let mut output = crate::fold::backtraces(&outcome.output);
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
        line: (!ok).then(|| annotations.first().map(|a| a.line)).flatten(),
        output: if ok { String::new() } else { output },
        annotations: if ok { Vec::new() } else { annotations },
        outcome: Some(outcome.clone()),
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
        line: Some(1),
        output: String::new(),
        annotations: vec![Annotation {
            file,
            line: 1,
            message: problem,
        }],
        outcome: None,
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
