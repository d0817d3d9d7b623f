//! What the checker checks: one bin (an exercise, its solution, or a wrong answer from the
//! corpus) with the limits it is checked under. Its own module so that `check` (which runs the
//! pipeline) and `batch` (which builds many targets as one crate) both use it without depending
//! on each other.

use std::path::PathBuf;
use std::time::Duration;

use crate::cargo::Artifact;
use crate::course::{Exercise, Mode};
use crate::wrong;

/// One thing to check: an exercise's own bin, or its solution's bin.
#[derive(Clone)]
pub struct Target<'a> {
    pub exercise: &'a Exercise,
    pub bin: String,
    /// The file this bin compiles, relative to the course root (for annotations).
    pub file: PathBuf,
    /// Run clippy with warnings as errors, whatever the exercise says.
    pub strict: bool,
    /// How long its tests or program may run.
    pub timeout: Duration,
    /// It has no bin in the exercise package and is only ever built as a batch module.
    pub batch_only: bool,
}

impl<'a> Target<'a> {
    pub fn exercise(ex: &'a Exercise) -> Self {
        Target {
            exercise: ex,
            bin: ex.name.clone(),
            file: ex.path(),
            strict: ex.strict_clippy,
            timeout: ex.timeout,
            batch_only: false,
        }
    }

    pub fn solution(ex: &'a Exercise) -> Self {
        Target {
            exercise: ex,
            bin: ex.solution_bin(),
            file: ex.solution_path(),
            strict: true,
            timeout: ex.timeout,
            batch_only: false,
        }
    }

    /// A wrong answer from the corpus: it must fail at the test step, fast.
    pub fn wrong(ex: &'a Exercise, answer: &wrong::WrongAnswer) -> Self {
        Target {
            exercise: ex,
            bin: wrong::module_name(ex, &answer.mistake),
            file: answer.file.clone(),
            strict: false,
            timeout: wrong::LIMIT,
            batch_only: true,
        }
    }

    /// The cargo features its bin needs: the exercise's (a wrong answer needs none of its own,
    /// since batches build every dependency).
    pub fn features(&self) -> &[String] {
        &self.exercise.features
    }

    pub fn artifact(&self) -> Artifact {
        match self.exercise.mode {
            Mode::Test => Artifact::Tests,
            Mode::Run | Mode::Build => Artifact::Program,
        }
    }
}
