//! Checking exercises: build → test → clippy (when strict) → run, stopping at the first step that
//! fails and keeping that step's output. Many exercises are built by one cargo process, then their
//! binaries run directly, several at a time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;

use crate::cargo::{self, Artifact, BuildReport, BuildRequest, Diagnostic};
use crate::course::{Exercise, Mode};
use crate::explain;
use crate::process::{self, Ending, Options};

/// A build is allowed this long: the first one compiles tokio and friends from scratch.
const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Build,
    Test,
    Clippy,
    Run,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Build => "build",
            Step::Test => "test",
            Step::Clippy => "clippy",
            Step::Run => "run",
        }
    }
}

/// A place in a file a failure points at (compiler errors; otherwise the exercise's first line).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Annotation {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub failed: Option<Step>,
    /// The failing step's output, or the program's output on a pass in run mode.
    pub output: String,
    /// Plain-words explanations shown under the output.
    pub notes: Vec<String>,
    pub annotations: Vec<Annotation>,
    pub timed_out: bool,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failed.is_none()
    }
}

/// One thing to check: an exercise's own bin, or its solution's bin.
pub struct Target<'a> {
    pub exercise: &'a Exercise,
    pub bin: String,
    /// The file this bin compiles, relative to the course root (for annotations).
    pub file: PathBuf,
    /// Run clippy with warnings as errors, whatever the exercise says.
    pub strict: bool,
}

impl<'a> Target<'a> {
    pub fn exercise(ex: &'a Exercise) -> Self {
        Target {
            exercise: ex,
            bin: ex.name.clone(),
            file: ex.path(),
            strict: ex.strict_clippy,
        }
    }

    pub fn solution(ex: &'a Exercise) -> Self {
        Target {
            exercise: ex,
            bin: ex.solution_bin(),
            file: ex.solution_path(),
            strict: true,
        }
    }

    fn artifact(&self) -> Artifact {
        match self.exercise.mode {
            Mode::Test => Artifact::Tests,
            Mode::Run | Mode::Build => Artifact::Program,
        }
    }
}

pub struct Checker {
    pub manifest: PathBuf,
    pub color: bool,
    pub cancel: Option<Arc<AtomicBool>>,
    pub progress: Option<cargo::Progress>,
}

impl Checker {
    /// Checks every target; `done` is called (from worker threads, one at a time) as each finishes,
    /// with the target's index. Outcomes come back in the targets' order.
    pub fn check_all(
        &self,
        targets: &[Target],
        done: &(dyn Fn(usize, &Outcome) + Sync),
    ) -> Result<Vec<Outcome>> {
        let mut reports: Vec<(Artifact, BuildReport)> = Vec::new();
        for artifact in [Artifact::Tests, Artifact::Program] {
            let bins: Vec<String> = targets
                .iter()
                .filter(|t| t.artifact() == artifact)
                .map(|t| t.bin.clone())
                .collect();
            if bins.is_empty() {
                continue;
            }
            let report = cargo::build(&BuildRequest {
                manifest: &self.manifest,
                bins: &bins,
                artifact,
                color: self.color,
                timeout: Some(BUILD_TIMEOUT),
                cancel: self.cancel.clone(),
                progress: self.progress.clone(),
            })?;
            reports.push((artifact, report));
        }
        let report_for = |t: &Target| {
            &reports
                .iter()
                .find(|(a, _)| *a == t.artifact())
                .expect("every artifact kind in use was built")
                .1
        };

        let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; targets.len()]);
        let next = AtomicUsize::new(0);
        let notify = Mutex::new(());
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(targets.len().max(1));
        let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(t) = targets.get(i) else { break };
                        match self.finish(t, report_for(t)) {
                            Ok(outcome) => {
                                {
                                    let _one_at_a_time = notify.lock();
                                    done(i, &outcome);
                                }
                                if let Ok(mut r) = results.lock() {
                                    r[i] = Some(outcome);
                                }
                            }
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
        let results = results.into_inner().unwrap_or_default();
        Ok(results.into_iter().flatten().collect())
    }

    /// The steps after the build, for one target.
    fn finish(&self, t: &Target, report: &BuildReport) -> Result<Outcome> {
        let ex = t.exercise;
        let built = report.bins.get(&t.bin);
        let diagnostics: &[Diagnostic] = built.map_or(&[], |b| &b.diagnostics);
        let Some(exe) = built.and_then(|b| b.executable.clone()) else {
            if report.ending == Ending::Cancelled {
                return Ok(cancelled());
            }
            let mut annotations: Vec<Annotation> = diagnostics
                .iter()
                .filter(|d| d.is_error())
                .filter_map(|d| {
                    Some(Annotation {
                        file: d.file.clone()?,
                        line: d.line?,
                        message: d.message.clone(),
                    })
                })
                .collect();
            if annotations.is_empty() {
                annotations.push(first_line(t, "the exercise does not compile"));
            }
            return Ok(Outcome {
                failed: Some(Step::Build),
                output: report.failure_text(&t.bin),
                notes: explain::for_build(diagnostics),
                annotations,
                timed_out: report.ending == Ending::TimedOut,
            });
        };
        let workdir = self.manifest.parent().unwrap_or(Path::new("."));

        if ex.mode == Mode::Test {
            let mut cmd = Command::new(&exe);
            cmd.args(["--color", if self.color { "always" } else { "never" }]);
            cmd.current_dir(workdir);
            let run = process::run(cmd, &self.run_options(ex))?;
            match run.ending {
                Ending::Exited(0) => {}
                Ending::Cancelled => return Ok(cancelled()),
                Ending::TimedOut => {
                    let output = run.output.render();
                    let unfinished = unfinished_tests(&exe, &output);
                    return Ok(Outcome {
                        failed: Some(Step::Test),
                        output,
                        notes: vec![explain::for_hang(&t.bin, ex.timeout.as_secs(), &unfinished)],
                        annotations: vec![first_line(t, "the tests hung and were stopped")],
                        timed_out: true,
                    });
                }
                ending => {
                    let mut notes = Vec::new();
                    if let Ending::Signaled(sig) = ending {
                        notes.push(format!("The test process was killed by signal {sig}."));
                    }
                    return Ok(Outcome {
                        failed: Some(Step::Test),
                        output: run.output.render(),
                        notes,
                        annotations: vec![first_line(t, "tests failed")],
                        timed_out: false,
                    });
                }
            }
        }

        if t.strict {
            if !cargo::builds_run_clippy() {
                return Ok(Outcome {
                    failed: Some(Step::Clippy),
                    output: "This check needs clippy, and `clippy-driver` was not found on PATH. \
                             Install it with `rustup component add clippy`."
                        .to_string(),
                    notes: Vec::new(),
                    annotations: vec![first_line(t, "clippy is not installed")],
                    timed_out: false,
                });
            }
            let warnings: Vec<&Diagnostic> = diagnostics
                .iter()
                .filter(|d| d.level == "warning")
                .collect();
            if !warnings.is_empty() {
                let output = warnings
                    .iter()
                    .map(|d| d.rendered.trim_end())
                    .collect::<Vec<_>>()
                    .join("\n\n");
                let annotations = warnings
                    .iter()
                    .filter_map(|d| {
                        Some(Annotation {
                            file: d.file.clone()?,
                            line: d.line?,
                            message: d.message.clone(),
                        })
                    })
                    .collect();
                return Ok(Outcome {
                    failed: Some(Step::Clippy),
                    output: format!(
                        "{output}\n\nThis exercise is checked strictly: every warning (from rustc or \
                         clippy) must be fixed."
                    ),
                    notes: Vec::new(),
                    annotations,
                    timed_out: false,
                });
            }
        }

        if ex.mode == Mode::Run {
            let mut cmd = Command::new(&exe);
            cmd.current_dir(workdir);
            let run = process::run(cmd, &self.run_options(ex))?;
            let output = run.output.render();
            return Ok(match run.ending {
                Ending::Exited(0) => Outcome {
                    failed: None,
                    output,
                    notes: Vec::new(),
                    annotations: Vec::new(),
                    timed_out: false,
                },
                Ending::Cancelled => cancelled(),
                Ending::TimedOut => Outcome {
                    failed: Some(Step::Run),
                    output,
                    notes: vec![explain::for_hang(&t.bin, ex.timeout.as_secs(), &[])],
                    annotations: vec![first_line(t, "the program hung and was stopped")],
                    timed_out: true,
                },
                ending => Outcome {
                    failed: Some(Step::Run),
                    output,
                    notes: vec![format!(
                        "The program ended with {ending:?}; it must exit with 0."
                    )],
                    annotations: vec![first_line(t, "the program failed")],
                    timed_out: false,
                },
            });
        }

        Ok(Outcome {
            failed: None,
            output: String::new(),
            notes: Vec::new(),
            annotations: Vec::new(),
            timed_out: false,
        })
    }

    fn run_options(&self, ex: &Exercise) -> Options {
        Options {
            timeout: Some(ex.timeout),
            separate_stdout: false,
            cancel: self.cancel.clone(),
            on_line: None,
        }
    }
}

fn cancelled() -> Outcome {
    Outcome {
        failed: Some(Step::Build),
        output: "The check was stopped before it finished.".to_string(),
        notes: Vec::new(),
        annotations: Vec::new(),
        timed_out: false,
    }
}

fn first_line(t: &Target, message: &str) -> Annotation {
    Annotation {
        file: t.file.display().to_string(),
        line: 1,
        message: format!("{}: {message}", t.bin),
    }
}

/// Tests the harness lists but never reported a result for: the ones that hung.
fn unfinished_tests(exe: &Path, output: &str) -> Vec<String> {
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
