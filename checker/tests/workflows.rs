//! The repository's GitHub workflows, read as YAML: the learner's one verifies what is done and
//! caches the target directory, the course's one runs `.ci/run`, and the classroom example grades
//! every chapter of info.toml with the command that checks it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .into()
}

fn load(rel: &str) -> Yaml {
    let text = fs::read_to_string(root().join(rel)).unwrap();
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
        .remove(0)
}

/// Every step of every job.
fn steps(doc: &Yaml) -> Vec<Yaml> {
    doc["jobs"]
        .as_hash()
        .expect("a workflow has jobs")
        .values()
        .flat_map(|job| job["steps"].as_vec().cloned().unwrap_or_default())
        .collect()
}

fn runs(steps: &[Yaml]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect()
}

fn caches_the_target_dir(steps: &[Yaml]) -> bool {
    steps.iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/cache@"))
            && s["with"]["path"]
                .as_str()
                .is_some_and(|p| p.lines().any(|l| l.trim() == "target"))
            && s["with"]["key"]
                .as_str()
                .is_some_and(|k| k.contains("hashFiles('Cargo.lock')"))
    })
}

#[test]
fn the_learner_workflow_verifies_what_is_done_with_a_cached_target_dir() {
    let doc = load(".github/workflows/learner.yml");
    let steps = steps(&doc);
    assert!(caches_the_target_dir(&steps), "no cache step for target/");
    assert!(
        runs(&steps)
            .iter()
            .any(|r| r.contains("cargo course verify") && r.contains("--done")),
        "{:?}",
        runs(&steps)
    );
    // Only in forks: the course's own repository is not a learner's.
    let job = &doc["jobs"]["verify"];
    assert_eq!(job["if"].as_str(), Some("github.event.repository.fork"));
}

#[test]
fn the_course_workflow_runs_ci_run_with_a_cached_target_dir() {
    let doc = load(".github/workflows/course.yml");
    let steps = steps(&doc);
    assert!(caches_the_target_dir(&steps), "no cache step for target/");
    assert!(runs(&steps).iter().any(|r| r.trim() == "bash .ci/run"));
    assert!(
        runs(&steps).iter().any(|r| r.contains("tmux")),
        "the watch tests need tmux"
    );
}

#[test]
fn the_classroom_example_grades_every_chapter_and_is_what_dev_classroom_writes() {
    let rel = "docs/classroom/autograding.yml";
    let out = Command::new(env!("CARGO_BIN_EXE_asyncling"))
        .arg("--course")
        .arg(root())
        .args(["dev", "classroom"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        fs::read_to_string(root().join(rel)).unwrap(),
        "{rel} is stale: run `cargo course dev classroom > {rel}`"
    );

    let info: toml::Table = fs::read_to_string(root().join("info.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut chapters: Vec<(String, i64)> = Vec::new();
    for ex in info["exercises"].as_array().unwrap() {
        let dir = ex["dir"].as_str().unwrap().to_string();
        match chapters.last_mut() {
            Some((c, n)) if *c == dir => *n += 1,
            _ => chapters.push((dir, 1)),
        }
    }
    let doc = load(rel);
    let steps = steps(&doc);
    assert!(caches_the_target_dir(&steps));
    let graded: Vec<(String, i64)> = steps
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("autograding-command-grader"))
        })
        .map(|s| {
            let with = &s["with"];
            let command = with["command"].as_str().unwrap();
            let chapter = command
                .strip_prefix("cargo course verify --chapter ")
                .unwrap_or_else(|| panic!("unexpected command {command}"));
            (chapter.to_string(), with["max-score"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(graded, chapters);
}
