//! Cargo invocations and their JSON messages.
//!
//! Many exercises are built by one cargo process (`--keep-going`), so the dependency graph is
//! resolved once and the compiler jobs fill every core, instead of one cargo per exercise queuing
//! on the build lock. When `clippy-driver` is installed it compiles the exercise package
//! (`RUSTC_WORKSPACE_WRAPPER`): the build then reports clippy's lints too, so strict clippy needs
//! no second pass and no separate `check` build of the dependencies.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Result;
use serde::Deserialize;

use crate::process::{self, Ending, Options};

/// Which artefact of an exercise bin to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Artifact {
    /// The libtest harness (`cargo test --no-run`).
    Tests,
    /// The program itself (`cargo build`).
    Program,
}

pub struct BuildRequest<'a> {
    pub manifest: &'a Path,
    pub bins: &'a [String],
    /// Cargo features to turn on (the bins' `required-features`).
    pub features: &'a [String],
    pub artifact: Artifact,
    pub color: bool,
    pub timeout: Option<Duration>,
    pub cancel: Option<Arc<AtomicBool>>,
    /// Told the name of each crate as cargo finishes compiling it.
    pub progress: Option<Progress>,
    /// Build here instead of the package's own target directory.
    pub target_dir: Option<PathBuf>,
}

pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// One diagnostic the compiler (or clippy) emitted for a target.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub level: String,
    pub code: Option<String>,
    pub rendered: String,
    /// Primary span: file and line, for editor and CI annotations.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.level.starts_with("error")
    }
}

#[derive(Default, Debug)]
pub struct BinBuild {
    pub executable: Option<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

pub struct BuildReport {
    pub bins: HashMap<String, BinBuild>,
    /// Diagnostics for targets that are not one of the requested bins (a broken dependency).
    pub other: Vec<Diagnostic>,
    /// Cargo's own text (manifest errors, the compiler crashing, a missing toolchain).
    pub cargo_text: String,
    pub ending: Ending,
}

impl BuildReport {
    /// Everything that explains why `bin` has no executable.
    pub fn failure_text(&self, bin: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(b) = self.bins.get(bin) {
            let mut diags: Vec<&Diagnostic> = b.diagnostics.iter().collect();
            // Errors first: they are what stopped the build; warnings are context.
            diags.sort_by_key(|d| !d.is_error());
            parts.extend(diags.iter().map(|d| d.rendered.trim_end().to_string()));
        }
        if parts.is_empty() {
            parts.extend(
                self.other
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.rendered.trim_end().to_string()),
            );
        }
        if parts.is_empty() || self.ending == Ending::TimedOut {
            let text = self.cargo_text.trim();
            if !text.is_empty() {
                parts.push(text.to_string());
            }
        }
        if self.ending == Ending::TimedOut {
            parts.push("The build did not finish in time and was stopped.".to_string());
        }
        parts.join("\n\n")
    }
}

/// `clippy-driver`, unless the caller already set a wrapper of their own. Beside the cargo that
/// runs us (`cargo course` sets `CARGO`) is the toolchain's own, which skips rustup's proxy on
/// every compile; otherwise the first on PATH.
fn clippy_wrapper() -> Option<PathBuf> {
    if std::env::var_os("RUSTC_WORKSPACE_WRAPPER").is_some() {
        return None;
    }
    let beside_cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|cargo| Some(cargo.parent()?.join("clippy-driver")))
        .filter(|p| p.is_file());
    beside_cargo.or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("clippy-driver"))
            .find(|p| p.is_file())
    })
}

/// True when builds lint with clippy as they compile.
pub fn builds_run_clippy() -> bool {
    clippy_wrapper().is_some()
}

pub fn build(req: &BuildRequest) -> Result<BuildReport> {
    let mut report = build_once(req, req.bins)?;
    // `cargo test` has no --keep-going: after the first target that fails to compile it starts no
    // new ones. Ask again for the targets that neither built nor failed, while that makes progress.
    while req.artifact == Artifact::Tests
        && !matches!(report.ending, Ending::Cancelled | Ending::TimedOut)
    {
        let unsettled: Vec<String> = report
            .bins
            .iter()
            .filter(|(_, b)| b.executable.is_none() && !b.diagnostics.iter().any(|d| d.is_error()))
            .map(|(name, _)| name.clone())
            .collect();
        if unsettled.is_empty() {
            break;
        }
        let next = build_once(req, &unsettled)?;
        let progressed = next
            .bins
            .values()
            .any(|b| b.executable.is_some() || b.diagnostics.iter().any(|d| d.is_error()));
        report.bins.extend(next.bins);
        report.other.extend(next.other);
        report.cargo_text = next.cargo_text;
        report.ending = next.ending;
        if !progressed {
            break;
        }
    }
    Ok(report)
}

fn build_once(req: &BuildRequest, bins: &[String]) -> Result<BuildReport> {
    let wrapper = clippy_wrapper();
    let report = build_with(req, bins, wrapper.as_deref())?;
    // A rustup proxy exists for clippy-driver even when the clippy component is not installed.
    if wrapper.is_some()
        && !report.ending.success()
        && report.cargo_text.contains("clippy-driver")
        && report.cargo_text.contains("not installed")
    {
        return build_with(req, bins, None);
    }
    Ok(report)
}

fn build_with(req: &BuildRequest, bins: &[String], wrapper: Option<&Path>) -> Result<BuildReport> {
    let cmd = command(req, bins, wrapper);
    let finished = process::run(
        cmd,
        &Options {
            timeout: req.timeout,
            separate_stdout: true,
            cancel: req.cancel.clone(),
            on_line: req.progress.clone().map(|tell| {
                let hook: process::LineHook = Arc::new(move |line: &[u8]| {
                    if let Ok(m) = serde_json::from_slice::<Message>(line)
                        && m.reason == "compiler-artifact"
                        && let Some(t) = &m.target
                    {
                        tell(&t.name);
                    }
                });
                hook
            }),
        },
    )?;
    let mut report = BuildReport {
        bins: bins
            .iter()
            .map(|b| (b.clone(), BinBuild::default()))
            .collect(),
        other: Vec::new(),
        cargo_text: finished.output.render(),
        ending: finished.ending,
    };
    read_messages(&finished.stdout, &mut report);
    Ok(report)
}

/// The cargo command for a build request: JSON messages, one `--bin` per bin.
fn command(req: &BuildRequest, bins: &[String], wrapper: Option<&Path>) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    match req.artifact {
        Artifact::Tests => cmd.args(["test", "--no-run"]),
        Artifact::Program => cmd.args(["build", "--keep-going"]),
    };
    cmd.arg("--manifest-path").arg(req.manifest);
    cmd.args(["--quiet", "--message-format"]);
    cmd.arg(if req.color {
        "json-diagnostic-rendered-ansi"
    } else {
        "json"
    });
    cmd.args(["--color", if req.color { "always" } else { "never" }]);
    for bin in bins {
        cmd.args(["--bin", bin]);
    }
    if !req.features.is_empty() {
        cmd.arg("--features").arg(req.features.join(","));
    }
    if let Some(w) = wrapper {
        cmd.env("RUSTC_WORKSPACE_WRAPPER", w);
    }
    cmd.env("CARGO_TERM_PROGRESS_WHEN", "never");
    if let Some(dir) = &req.target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    cmd
}

/// Sorts cargo's JSON messages: each bin's executable and diagnostics, and the rest.
fn read_messages(stdout: &[u8], report: &mut BuildReport) {
    for line in stdout.split(|&b| b == b'\n') {
        if line.is_empty() || line[0] != b'{' {
            continue;
        }
        let Ok(msg) = serde_json::from_slice::<Message>(line) else {
            continue;
        };
        let bin = msg
            .target
            .as_ref()
            .filter(|t| t.kind.iter().any(|k| k == "bin"))
            .and_then(|t| report.bins.get_mut(&t.name));
        match (msg.reason.as_str(), bin) {
            ("compiler-artifact", Some(bin)) => {
                if let Some(exe) = msg.executable {
                    bin.executable = Some(exe);
                }
            }
            ("compiler-message", bin) => {
                let Some(d) = msg.message.map(Diagnostic::from) else {
                    continue;
                };
                match bin {
                    Some(bin) => bin.diagnostics.push(d),
                    None => report.other.push(d),
                }
            }
            _ => {}
        }
    }
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<Target>,
    executable: Option<PathBuf>,
    message: Option<CompilerMessage>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct CompilerMessage {
    message: String,
    level: String,
    code: Option<Code>,
    rendered: Option<String>,
    #[serde(default)]
    spans: Vec<Span>,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

#[derive(Deserialize)]
struct Span {
    file_name: String,
    line_start: usize,
    is_primary: bool,
}

impl From<CompilerMessage> for Diagnostic {
    fn from(m: CompilerMessage) -> Self {
        let primary = m.spans.iter().find(|s| s.is_primary);
        Diagnostic {
            level: m.level,
            code: m.code.map(|c| c.code),
            rendered: m.rendered.unwrap_or_else(|| m.message.clone()),
            file: primary.map(|s| s.file_name.clone()),
            line: primary.map(|s| s.line_start),
            message: m.message,
        }
    }
}
