//! Checking exercises: build → test → clippy (when strict) → run, stopping at the first step that
//! fails and keeping that step's output. Many exercises are built by one cargo process, then their
//! binaries run directly, several at a time.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;

use crate::batch;
use crate::cargo::{self, Artifact, BuildReport, BuildRequest, Diagnostic};
use crate::course::Mode;
use crate::explain;
use crate::fold;
use crate::hang;
use crate::includes;
use crate::layout::Layout;
use crate::process::{self, Ending, Options};
use crate::target::Target;

/// Told to the progress hook when a check's tests (or program) start running: the build is over.
pub const TESTS_STARTED: &str = "\0tests started";

/// A build is allowed this long: the first one compiles tokio and friends from scratch.
const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Build,
    Test,
    Clippy,
    Run,
    /// Not a verdict: the check was stopped (a newer save, a key, a signal) before it finished.
    Cancelled,
    /// Not a verdict: the checker itself failed (cargo could not be started, a file could not be
    /// written); the output says why.
    Checker,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Build => "build",
            Step::Test => "test",
            Step::Clippy => "clippy",
            Step::Run => "run",
            Step::Cancelled => "cancelled",
            Step::Checker => "checker",
        }
    }

    /// Whether failing here says something about the learner's code (a pipeline step), rather
    /// than about the check (cancelled, or the checker failed).
    pub fn is_verdict(self) -> bool {
        !matches!(self, Step::Cancelled | Step::Checker)
    }
}

/// A place in a file a failure points at (compiler errors; otherwise the exercise's first line).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Annotation {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub failed: Option<Step>,
    /// The failing step's output, or the program's output on a pass in run mode.
    pub output: String,
    /// Plain-words explanations shown under the output.
    pub notes: Vec<String>,
    pub annotations: Vec<Annotation>,
    pub timed_out: bool,
    /// Killed by a signal it did not ask for: never remembered, it may not happen again.
    pub crashed: bool,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failed.is_none()
    }

    /// The file a failure points at when it is not `own` (relative to the course root): an
    /// earlier step of a project, declared with `#[path]`, that does not compile or panics.
    pub fn failing_elsewhere(&self, own: &Path) -> Option<&str> {
        if self.passed() {
            return None;
        }
        let first = self.annotations.first()?;
        (!Path::new(&first.file).ends_with(own)).then_some(first.file.as_str())
    }

    /// A pass or a failure of the learner's code: neither cancelled nor a checker error.
    pub fn is_verdict(&self) -> bool {
        self.failed.is_none_or(Step::is_verdict)
    }

    /// The check was stopped before it finished.
    pub fn cancelled() -> Outcome {
        Outcome::not_a_verdict(Step::Cancelled, "The check was stopped before it finished.")
    }

    /// The checker itself failed; `why` says how.
    pub fn checker_error(why: &str) -> Outcome {
        Outcome::not_a_verdict(Step::Checker, &format!("The check itself failed: {why}"))
    }

    fn not_a_verdict(step: Step, output: &str) -> Outcome {
        Outcome {
            failed: Some(step),
            output: output.to_string(),
            notes: Vec::new(),
            annotations: Vec::new(),
            timed_out: false,
            crashed: false,
        }
    }
}

pub struct Checker {
    pub layout: Arc<Layout>,
    pub color: bool,
    pub cancel: Option<Arc<AtomicBool>>,
    pub progress: Option<cargo::Progress>,
}

/// What a check of one target came to.
enum Verdict {
    Final(Outcome),
    /// The batch build cannot be trusted with this failure: check the exercise as its own crate.
    Recheck,
}

impl Checker {
    /// Checks every target; `done` is called (from worker threads, one at a time) as each finishes,
    /// with the target's index. Outcomes come back in the targets' order.
    pub fn check_all(
        &self,
        targets: &[Target],
        done: &(dyn Fn(usize, &Outcome) + Sync),
    ) -> Result<Vec<Outcome>> {
        let must_batch = targets.iter().any(|t| t.batch_only);
        let batch = if targets.len() >= batch::MIN_BATCH || must_batch {
            batch::build(
                &self.layout,
                targets,
                self.color,
                BUILD_TIMEOUT,
                self.cancel.clone(),
                self.progress.clone(),
            )?
        } else {
            batch::Built::default()
        };
        if self.cancelled() {
            return Ok(Vec::new());
        }
        let rest: Vec<usize> = (0..targets.len())
            .filter(|&i| !batch.batched.contains_key(&i) && !targets[i].batch_only)
            .collect();
        let reports = self.build_ordinary(targets, &rest)?;
        let all: Vec<usize> = (0..targets.len()).collect();
        let mut results = self.pool(
            &all,
            &|i| match batch.batched.get(&i) {
                Some(b) => self.finish_batched(&targets[i], b),
                None if targets[i].batch_only => Ok(Verdict::Final(unbatched(
                    &targets[i],
                    batch.errors.get(&i).map_or(&[], Vec::as_slice),
                ))),
                None => self
                    .finish(&targets[i], report_for(&reports, &targets[i]))
                    .map(Verdict::Final),
            },
            done,
        )?;
        let again: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| results[i].is_none() && !targets[i].batch_only)
            .collect();
        if !again.is_empty() {
            let reports = self.build_ordinary(targets, &again)?;
            let rechecked = self.pool(
                &again,
                &|i| {
                    self.finish(&targets[i], report_for(&reports, &targets[i]))
                        .map(Verdict::Final)
                },
                done,
            )?;
            for i in again {
                results[i] = rechecked[i].clone();
            }
        }
        Ok(results.into_iter().flatten().collect())
    }

    /// One cargo build per kind of artefact for the targets `which`.
    fn build_ordinary(
        &self,
        targets: &[Target],
        which: &[usize],
    ) -> Result<Vec<(Artifact, BuildReport)>> {
        let mut reports = Vec::new();
        for artifact in [Artifact::Tests, Artifact::Program] {
            let bins: Vec<String> = which
                .iter()
                .map(|&i| &targets[i])
                .filter(|t| t.artifact() == artifact)
                .map(|t| t.bin.clone())
                .collect();
            if bins.is_empty() {
                continue;
            }
            let mut features: Vec<String> = which
                .iter()
                .flat_map(|&i| targets[i].features().iter().cloned())
                .collect();
            features.sort();
            features.dedup();
            let report = cargo::build(&BuildRequest {
                manifest: &self.layout.package_manifest,
                bins: &bins,
                features: &features,
                artifact,
                color: self.color,
                timeout: Some(BUILD_TIMEOUT),
                cancel: self.cancel.clone(),
                progress: self.progress.clone(),
                target_dir: None,
            })?;
            reports.push((artifact, report));
        }
        Ok(reports)
    }

    /// Runs `check` for each index on a few threads. A `Final` verdict is reported to `done` and
    /// kept; a `Recheck` leaves `None` in its place.
    fn pool(
        &self,
        which: &[usize],
        check: &(dyn Fn(usize) -> Result<Verdict> + Sync),
        done: &(dyn Fn(usize, &Outcome) + Sync),
    ) -> Result<Vec<Option<Outcome>>> {
        let len = which.iter().max().map_or(0, |m| m + 1);
        let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; len]);
        let next = AtomicUsize::new(0);
        let notify = Mutex::new(());
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(which.len().max(1));
        let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    while !self.cancelled() {
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        let Some(&i) = which.get(k) else { break };
                        match check(i) {
                            Ok(Verdict::Final(outcome)) => {
                                {
                                    let _one_at_a_time = notify.lock();
                                    done(i, &outcome);
                                }
                                if let Ok(mut r) = results.lock() {
                                    r[i] = Some(outcome);
                                }
                            }
                            Ok(Verdict::Recheck) => {}
                            Err(e) => {
                                if let Ok(mut slot) = first_error.lock() {
                                    slot.get_or_insert(e);
                                }
                                break;
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = first_error.into_inner().ok().flatten() {
            return Err(e);
        }
        Ok(results.into_inner().unwrap_or_default())
    }

    /// The steps after the build for an exercise compiled in a batch crate (always test mode).
    fn finish_batched(&self, t: &Target, b: &batch::Batched) -> Result<Verdict> {
        if t.strict && !b.diagnostics.iter().all(|d| d.level != "warning") {
            return Ok(Verdict::Recheck);
        }
        let warnings = self.warnings_text(&b.diagnostics);
        if let Some(failed) = self.run_tests(t, &b.exe, &b.tests, Some(&b.tests))? {
            return Ok(Verdict::Final(with_warnings(failed, &warnings)));
        }
        Ok(Verdict::Final(with_warnings(
            passed(String::new()),
            &warnings,
        )))
    }

    /// The steps after the build, for one target.
    fn finish(&self, t: &Target, report: &BuildReport) -> Result<Outcome> {
        let ex = t.exercise;
        let built = report.bins.get(&t.bin);
        let diagnostics: &[Diagnostic] = built.map_or(&[], |b| &b.diagnostics);
        let Some(exe) = built.and_then(|b| b.executable.clone()) else {
            return Ok(build_failure(t, report, diagnostics));
        };

        // Not strict: warnings do not fail the check, but the learner sees them.
        let warnings = if t.strict {
            String::new()
        } else {
            self.warnings_text(diagnostics)
        };
        if ex.mode == Mode::Test
            && let Some(failed) = self.run_tests(t, &exe, &[], None)?
        {
            return Ok(with_warnings(failed, &warnings));
        }
        if t.strict
            && let Some(failed) = strict_lints(t, diagnostics)
        {
            return Ok(failed);
        }
        if ex.mode == Mode::Run {
            let outcome = self.run_program(t, &exe)?;
            return Ok(with_warnings(outcome, &warnings));
        }
        Ok(with_warnings(passed(String::new()), &warnings))
    }

    /// The run step: the program must exit with status 0 within the deadline.
    fn run_program(&self, t: &Target, exe: &Path) -> Result<Outcome> {
        if let Some(progress) = &self.progress {
            progress(TESTS_STARTED);
        }
        let mut cmd = Command::new(exe);
        cmd.current_dir(self.workdir());
        let run = process::run(cmd, &self.run_options(t))?;
        let output = run.output.render();
        Ok(match run.ending {
            Ending::Exited(0) => passed(output),
            Ending::Cancelled => Outcome::cancelled(),
            Ending::TimedOut => Outcome {
                failed: Some(Step::Run),
                output,
                notes: hang_notes(t, &run, &[]),
                annotations: vec![first_line(t, "the program hung and was stopped")],
                timed_out: true,
                crashed: false,
            },
            ending => Outcome {
                failed: Some(Step::Run),
                notes: match ending {
                    Ending::Signaled(libc::SIGKILL) => {
                        vec![hang::killed_note(libc::SIGKILL, run.usage)]
                    }
                    _ => vec![format!(
                        "The program ended with {}; it must exit with status 0.",
                        describe(ending)
                    )],
                },
                annotations: vec![
                    panic_annotation(self.layout.course_root(), t, &output).unwrap_or_else(|| {
                        first_line(t, &format!("the program ended with {}", describe(ending)))
                    }),
                ],
                output,
                timed_out: false,
                crashed: matches!(ending, Ending::Signaled(_)),
            },
        })
    }

    /// Runs the test harness `exe` (only the tests `filter` names exactly, when given). `None`
    /// when every test passed.
    fn run_tests(
        &self,
        t: &Target,
        exe: &Path,
        filter: &[String],
        listed: Option<&[String]>,
    ) -> Result<Option<Outcome>> {
        if listed.is_some() && filter.is_empty() {
            // A batched exercise without tests: nothing to run, nothing failed.
            return Ok(None);
        }
        if let Some(progress) = &self.progress {
            progress(TESTS_STARTED);
        }
        let mut cmd = Command::new(exe);
        cmd.args(["--color", if self.color { "always" } else { "never" }]);
        if !filter.is_empty() {
            cmd.arg("--exact").args(filter);
        }
        cmd.current_dir(self.workdir());
        let run = process::run(cmd, &self.run_options(t))?;
        Ok(match run.ending {
            Ending::Exited(0) => None,
            Ending::Cancelled => Some(Outcome::cancelled()),
            Ending::TimedOut => {
                let output = run.output.render();
                let mut unfinished = unfinished_tests(exe, &output, listed);
                let output = self.as_own_run(t, output, listed.is_some());
                if listed.is_some() {
                    let prefix = format!("{}::", t.bin);
                    for name in &mut unfinished {
                        if let Some(own) = name.strip_prefix(&prefix) {
                            *name = own.to_string();
                        }
                    }
                }
                Some(Outcome {
                    failed: Some(Step::Test),
                    output,
                    notes: hang_notes(t, &run, &unfinished),
                    annotations: vec![first_line(t, "the tests hung and were stopped")],
                    timed_out: true,
                    crashed: false,
                })
            }
            ending => {
                let mut notes: Vec<String> = hang::strays_note(&run.strays).into_iter().collect();
                if let Ending::Signaled(sig) = ending {
                    notes.push(if sig == libc::SIGKILL {
                        hang::killed_note(sig, run.usage)
                    } else {
                        format!(
                            "The test process was {}: it crashed instead of reporting a failure.",
                            describe(ending)
                        )
                    });
                }
                let output = self.as_own_run(t, run.output.render(), listed.is_some());
                let annotation = panic_annotation(self.layout.course_root(), t, &output)
                    .unwrap_or_else(|| {
                        first_line(t, &format!("the tests failed ({})", describe(ending)))
                    });
                Some(Outcome {
                    failed: Some(Step::Test),
                    output,
                    notes,
                    annotations: vec![annotation],
                    timed_out: false,
                    crashed: matches!(ending, Ending::Signaled(_)),
                })
            }
        })
    }

    /// Asked to stop: start nothing more.
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }

    /// A batched run's output as the exercise's own harness would print it.
    fn as_own_run(&self, t: &Target, output: String, batched: bool) -> String {
        if !batched {
            return output;
        }
        fold::unbatch(&output, &t.bin, &self.layout.workspace_root)
    }

    /// The learner's own warnings, rendered as the compiler prints them (paths relative to the
    /// workspace root, as in the exercise's own build).
    fn warnings_text(&self, diagnostics: &[Diagnostic]) -> String {
        let root = format!("{}/", self.layout.workspace_root.display());
        diagnostics
            .iter()
            .filter(|d| d.level == "warning")
            .map(|d| d.rendered.trim_end().replace(&root, ""))
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// Tests and programs run where `cargo test` would run them: the package's folder.
    fn workdir(&self) -> &Path {
        self.layout.package_dir()
    }

    fn run_options(&self, t: &Target) -> Options {
        Options {
            timeout: Some(t.timeout),
            separate_stdout: false,
            cancel: self.cancel.clone(),
            on_line: None,
        }
    }
}

/// Why a target hung (from its CPU time and memory), and what it left running, if anything.
fn hang_notes(t: &Target, run: &process::Finished, unfinished: &[String]) -> Vec<String> {
    let note = hang::note(&hang::Hang {
        name: &t.bin,
        timeout: t.timeout,
        unfinished,
        usage: run.usage,
        threads: &run.threads,
        for_author: t.bin != t.exercise.name,
    });
    std::iter::once(note)
        .chain(hang::strays_note(&run.strays))
        .collect()
}

fn report_for<'r>(reports: &'r [(Artifact, BuildReport)], t: &Target) -> &'r BuildReport {
    &reports
        .iter()
        .find(|(a, _)| *a == t.artifact())
        .expect("every artifact kind in use was built")
        .1
}

fn passed(output: String) -> Outcome {
    Outcome {
        failed: None,
        output,
        notes: Vec::new(),
        annotations: Vec::new(),
        timed_out: false,
        crashed: false,
    }
}

fn annotate<'d>(diagnostics: impl Iterator<Item = &'d Diagnostic>) -> Vec<Annotation> {
    diagnostics
        .filter_map(|d| {
            Some(Annotation {
                file: d.file.clone()?,
                line: d.line?,
                message: d.message.clone(),
            })
        })
        .collect()
}

/// A target that exists only as a batch module and did not compile there.
fn unbatched(t: &Target, errors: &[Diagnostic]) -> Outcome {
    let output = if errors.is_empty() {
        format!(
            "{} could not be compiled as a module of a batch crate (a file with `#![...]`, \
             `crate::` paths or `mod x;` lines cannot be).",
            t.file.display()
        )
    } else {
        errors
            .iter()
            .map(|d| d.rendered.trim_end())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let mut annotations = annotate(errors.iter());
    if annotations.is_empty() {
        annotations.push(first_line(t, "does not compile"));
    }
    Outcome {
        failed: Some(Step::Build),
        output,
        notes: Vec::new(),
        annotations,
        timed_out: false,
        crashed: false,
    }
}

/// The build step failed (or was stopped): the errors, explained.
fn build_failure(t: &Target, report: &BuildReport, diagnostics: &[Diagnostic]) -> Outcome {
    if report.ending == Ending::Cancelled {
        return Outcome::cancelled();
    }
    let mut annotations = annotate(diagnostics.iter().filter(|d| d.is_error()));
    if annotations.is_empty() {
        annotations.push(first_line(t, "the exercise does not compile"));
    }
    Outcome {
        failed: Some(Step::Build),
        output: report.failure_text(&t.bin),
        notes: explain::for_build(diagnostics),
        annotations,
        timed_out: report.ending == Ending::TimedOut,
        crashed: false,
    }
}

/// The clippy step of a strict target: clippy must be there, and no warning (rustc's or
/// clippy's) may be left.
fn strict_lints(t: &Target, diagnostics: &[Diagnostic]) -> Option<Outcome> {
    if !cargo::builds_run_clippy() {
        return Some(Outcome {
            failed: Some(Step::Clippy),
            output: "This check needs clippy, and `clippy-driver` was not found on PATH. \
                     Install it with `rustup component add clippy`."
                .to_string(),
            notes: Vec::new(),
            annotations: vec![first_line(t, "clippy is not installed")],
            timed_out: false,
            crashed: false,
        });
    }
    let warnings: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.level == "warning")
        .collect();
    if warnings.is_empty() {
        return None;
    }
    let output = warnings
        .iter()
        .map(|d| d.rendered.trim_end())
        .collect::<Vec<_>>()
        .join("\n\n");
    Some(Outcome {
        failed: Some(Step::Clippy),
        output: format!(
            "{output}\n\nThis exercise is checked strictly: every warning (from rustc or \
             clippy) must be fixed."
        ),
        notes: Vec::new(),
        annotations: annotate(warnings.into_iter()),
        timed_out: false,
        crashed: false,
    })
}

fn first_line(t: &Target, message: &str) -> Annotation {
    Annotation {
        file: t.file.display().to_string(),
        line: 1,
        message: message.to_string(),
    }
}

/// Where a file the learner's file declares with `#[path]` (an earlier step of a project, whose
/// own tests run again here) panicked, the earliest step first, since that is the first thing to
/// fix; failing that, where the learner's file panicked. With the panic message.
fn panic_annotation(root: &Path, t: &Target, output: &str) -> Option<Annotation> {
    // Declarations are listed outermost first: the step before, then the one before that.
    includes::of_relative(root, &t.file)
        .into_iter()
        .rev()
        .chain(std::iter::once(t.file.clone()))
        .find_map(|file| {
            let (line, message) = fold::panic_in(output, &file)?;
            Some(Annotation {
                file: file.display().to_string(),
                line,
                message: if message.is_empty() {
                    "panicked here".to_string()
                } else {
                    format!("panicked: {message}")
                },
            })
        })
}

/// The compiler's warnings about the learner's file: after a failing check's own output; on a
/// pass, as the output with a note saying the check passed anyway.
fn with_warnings(mut outcome: Outcome, warnings: &str) -> Outcome {
    if warnings.trim().is_empty() {
        return outcome;
    }
    if outcome.passed() {
        outcome.output = if outcome.output.trim().is_empty() {
            warnings.to_string()
        } else {
            format!("{}\n\n{warnings}", outcome.output.trim_end())
        };
        outcome.notes.push(
            "The check passes, but the compiler warned about your file (shown with the output). \
             A warning often names a real mistake: a future that is never awaited does nothing."
                .to_string(),
        );
    } else if outcome.failed != Some(Step::Build) {
        outcome.output = format!(
            "{}\n\nThe compiler also warned about your file:\n\n{warnings}",
            outcome.output.trim_end()
        );
    }
    outcome
}

/// How a process ended, in words: `exit status 1`, `killed by SIGABRT`.
pub fn describe(ending: Ending) -> String {
    match ending {
        Ending::Exited(code) => format!("exit status {code}"),
        Ending::Signaled(sig) => format!("killed by {}", signal_name(sig)),
        Ending::TimedOut => "stopped at its deadline".to_string(),
        Ending::Cancelled => "stopped before it finished".to_string(),
    }
}

fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// Tests the harness lists (or `listed`, when known) but never reported a result for: the ones
/// that hung.
fn unfinished_tests(exe: &Path, output: &str, listed: Option<&[String]>) -> Vec<String> {
    let finished: HashSet<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split(" ... ").nth(1).map(|_| l.split(" ... ").next()))
        .flatten()
        .collect();
    if let Some(listed) = listed {
        return listed
            .iter()
            .filter(|name| !finished.contains(name.as_str()))
            .cloned()
            .collect();
    }
    let mut cmd = Command::new(exe);
    cmd.args(["--list", "--format", "terse"]);
    let Ok(listed) = process::run(
        cmd,
        &Options {
            timeout: Some(Duration::from_secs(5)),
            separate_stdout: true,
            cancel: None,
            on_line: None,
        },
    ) else {
        return Vec::new();
    };
    let finished: HashSet<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split(" ... ").nth(1).map(|_| l.split(" ... ").next()))
        .flatten()
        .collect();
    String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .filter(|name| !finished.contains(name))
        .map(String::from)
        .collect()
}
