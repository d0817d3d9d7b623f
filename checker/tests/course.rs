//! The real course, proven: every shipped exercise fails, every solution passes strict clippy and
//! the exercise's own tests. This is what `cargo test` at the repository root runs for the course;
//! the exercises are compiled here, by the checker, not by the ordinary workspace build.

use std::path::Path;
use std::process::Command;

#[test]
fn every_exercise_fails_as_shipped_and_every_solution_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    // A target directory of its own: the outer `cargo test` may hold the workspace's build lock.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("course-target");
    let out = Command::new(env!("CARGO_BIN_EXE_asyncling"))
        .arg("--course")
        .arg(root)
        .args(["verify", "--solutions", "--no-cache"])
        .env("CARGO_TARGET_DIR", &target)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("asyncling runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "verify --solutions failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("every exercise fails as shipped"),
        "{stdout}"
    );
}
