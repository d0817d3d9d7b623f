//! Helpers shared by the integration tests: fresh copies of the fixture courses.

use std::fs;
use std::path::{Path, PathBuf};

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A fresh copy of fixture `name` for the test `tag`.
pub fn fixture(name: &str, tag: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fixtures")
        .join(format!("{name}-{tag}"));
    let _ = fs::remove_dir_all(&dest);
    copy_dir(&src, &dest);
    // Cargo names a workspace member's outputs by its place inside the workspace, not by the
    // workspace's own path: identical copies sharing a target directory would overwrite each
    // other's binaries. A package name of its own per copy keeps them apart.
    let copy = dest.file_name().unwrap().to_string_lossy().into_owned();
    for file in ["Cargo.toml", "Cargo.lock"] {
        let path = dest.join(file);
        let text = fs::read_to_string(&path).unwrap();
        let renamed = text.replace("name = \"fixture-", &format!("name = \"{copy}-fixture-"));
        fs::write(&path, renamed).unwrap();
    }
    dest
}

/// Whether cargo has compiled library `krate` (an `.rlib`) in the target directory `target`.
// Each test crate compiles this module; not all of them call this.
#[allow(dead_code)]
pub fn rlib_built(target: &Path, krate: &str) -> bool {
    let prefix = format!("lib{krate}-");
    fs::read_dir(target.join("debug/deps")).is_ok_and(|dir| {
        dir.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&prefix) && name.ends_with(".rlib")
        })
    })
}
