//! Where a course's parts are on disk, worked out once when the course loads and handed to
//! whatever needs a path (the course root, where `info.toml` is, is `Course::root`): the manifest of the package
//! holding the exercise bins, the cargo workspace root, cargo's target directory and the
//! checker's own folder `.asyncling/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};
use toml::Table;

use crate::process::{self, Options};

/// The checker's folder in the course: progress, pass cache, shipped copies, backups.
pub const STATE_DIR: &str = ".asyncling";

#[derive(Debug)]
pub struct Layout {
    /// `exercises/Cargo.toml` when it exists (this course's layout), otherwise the root
    /// `Cargo.toml` (the rustlings layout).
    pub package_manifest: PathBuf,
    /// The folder of the cargo workspace the exercise package belongs to (the package's own
    /// folder when it is not in one).
    pub workspace_root: PathBuf,
    /// `.asyncling/` under the root.
    pub state_dir: PathBuf,
    /// Cargo's target directory: asked of `cargo metadata` the first time it is needed (only
    /// batch builds need it), then kept.
    target_dir: OnceLock<PathBuf>,
}

impl Layout {
    pub fn of(root: &Path) -> Layout {
        let nested = root.join("exercises").join("Cargo.toml");
        let package_manifest = if nested.is_file() {
            nested
        } else {
            root.join("Cargo.toml")
        };
        let package_dir = package_manifest.parent().unwrap_or(root);
        Layout {
            workspace_root: workspace_root(package_dir),
            package_manifest,
            state_dir: root.join(STATE_DIR),
            target_dir: OnceLock::new(),
        }
    }

    /// The course's root folder: the one `info.toml` is in, and target files are relative to.
    pub fn course_root(&self) -> &Path {
        self.state_dir.parent().unwrap_or(&self.workspace_root)
    }

    /// The exercise package's folder: where `cargo test` would run its tests.
    pub fn package_dir(&self) -> &Path {
        self.package_manifest.parent().unwrap_or(Path::new("."))
    }

    /// Cargo's target directory for the course (one `cargo metadata` per checker run).
    pub fn target_dir(&self) -> Result<PathBuf> {
        if let Some(dir) = self.target_dir.get() {
            return Ok(dir.clone());
        }
        let dir = target_directory(&self.package_manifest)?;
        Ok(self.target_dir.get_or_init(|| dir).clone())
    }
}

fn workspace_root(package_dir: &Path) -> PathBuf {
    package_dir
        .ancestors()
        .find(|d| {
            fs::read_to_string(d.join("Cargo.toml"))
                .ok()
                .and_then(|t| t.parse::<Table>().ok())
                .is_some_and(|t| t.contains_key("workspace"))
        })
        .unwrap_or(package_dir)
        .to_path_buf()
}

fn target_directory(package_manifest: &Path) -> Result<PathBuf> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--manifest-path",
    ])
    .arg(package_manifest);
    let out = process::run(
        cmd,
        &Options {
            timeout: Some(Duration::from_secs(60)),
            separate_stdout: true,
            cancel: None,
            on_line: None,
        },
    )?;
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("Failed to read cargo metadata: {}", out.output.render()))?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata named no target directory")
}
