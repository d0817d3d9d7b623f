//! What `verify` found, and every way of telling it: text for a person, JSON for tools, JUnit XML
//! for CI systems' test reports, `::error` annotations and a Markdown step summary on GitHub
//! Actions.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use colored::Colorize;
use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;

use crate::check::{Annotation, Outcome, Step};
use crate::course::{Course, Exercise};
use crate::term;
use crate::wrong;

/// What one check was for, and so what counts as success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The learner's exercise: must pass.
    Exercise,
    /// The shipped exercise under `--solutions`: must fail.
    Unsolved,
    /// The solution under `--solutions`: must pass (strictly).
    Solution,
    /// A wrong answer from the corpus under `--solutions`: must fail at the test step, fast.
    Wrong,
}

impl Kind {
    /// How the check is named in reports.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Exercise => "exercise",
            Kind::Unsolved => "as shipped, must fail",
            Kind::Solution => "solution",
            Kind::Wrong => "wrong answer, must be rejected",
        }
    }
}

#[derive(Serialize)]
pub struct Record {
    pub name: String,
    pub kind: Kind,
    pub file: String,
    /// Whether this check came out as it should.
    pub ok: bool,
    /// Whether the exercise (or solution) passed its checks.
    pub passed: bool,
    pub cached: bool,
    pub failed_step: Option<Step>,
    pub message: String,
    /// The line a failure points at in `file` (the panic, the first compiler error).
    pub line: Option<usize>,
    /// The failure as `run` shows it (backtrace frames of std and tokio folded).
    pub output: String,
    /// Every place the failure points at, for editors and CI.
    #[serde(rename = "diagnostics")]
    pub annotations: Vec<Annotation>,
    #[serde(skip)]
    pub outcome: Option<Outcome>,
}

#[derive(Serialize)]
pub struct Report {
    pub ok: bool,
    /// Every exercise of the course was checked (no selection): only then is the course finished.
    #[serde(skip)]
    pub whole_course: bool,
    pub total: usize,
    pub failed: usize,
    /// Per chapter, in course order: how many checks, and how many came out as they should.
    pub chapters: Vec<ChapterCount>,
    pub checks: Vec<Record>,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct ChapterCount {
    pub chapter: String,
    pub total: usize,
    pub ok: usize,
}

impl Report {
    pub fn new(course: &Course, checks: Vec<Record>) -> Report {
        let failed = checks.iter().filter(|r| !r.ok).count();
        let mut chapters: Vec<ChapterCount> = Vec::new();
        for r in &checks {
            let chapter = course
                .exercises
                .iter()
                .find(|e| e.name == r.name)
                .map_or("", |e| e.chapter());
            if chapters.last().is_none_or(|c| c.chapter != chapter) {
                chapters.push(ChapterCount {
                    chapter: chapter.to_string(),
                    total: 0,
                    ok: 0,
                });
            }
            if let Some(c) = chapters.last_mut() {
                c.total += 1;
                c.ok += usize::from(r.ok);
            }
        }
        Report {
            ok: failed == 0,
            whole_course: true,
            total: checks.len(),
            failed,
            chapters,
            checks,
        }
    }
}

/// Tells the report in `format`, plus what GitHub Actions reads when the run is there.
pub fn publish(course: &Course, report: &Report, format: Format, solutions: bool) -> Result<()> {
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        print_annotations(report);
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("Failed to open {}", path.to_string_lossy()))?;
        file.write_all(step_summary(report, &links()).as_bytes())
            .with_context(|| format!("Failed to write {}", path.to_string_lossy()))?;
    }
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(report)?),
        Format::Junit => print!("{}", junit(report)?),
        Format::Text => print_text(course, report, solutions),
    }
    Ok(())
}

fn print_annotations(report: &Report) {
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

/// Where a file's line lives on the forge, when the run knows (GitHub Actions sets these).
fn links() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    Some(format!(
        "{}/{}/blob/{}",
        var("GITHUB_SERVER_URL")?,
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_SHA")?
    ))
}

/// The Markdown GitHub shows on the run's page: a row per chapter, then every failure with a
/// link to its line.
pub fn step_summary(report: &Report, blob_base: &Option<String>) -> String {
    let mut md = String::from("## asyncling verify\n\n");
    let _ = writeln!(
        md,
        "{} {} of {} checks passed\n",
        if report.ok { "✅" } else { "❌" },
        report.total - report.failed,
        report.total
    );
    md.push_str("| chapter | done | failures |\n| --- | --- | --- |\n");
    for c in &report.chapters {
        let _ = writeln!(
            md,
            "| {} | {}/{} | {} |",
            md_cell(&c.chapter),
            c.ok,
            c.total,
            c.total - c.ok
        );
    }
    let failures: Vec<&Record> = report.checks.iter().filter(|r| !r.ok).collect();
    if !failures.is_empty() {
        md.push_str("\n### Failures\n\n");
        for r in failures {
            let line = r.line.unwrap_or(1);
            let place = format!("{}:{line}", r.file);
            let place = match blob_base {
                Some(base) => format!("[{place}]({base}/{}#L{line})", r.file),
                None => format!("`{place}`"),
            };
            let _ = writeln!(md, "- **{}** {place}: {}", r.name, md_cell(&r.message));
        }
    }
    md.push('\n');
    md
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// JUnit XML: a test suite per chapter, a test case per check; a failure carries the message,
/// the file and line (as attributes GitLab and others read, and in the text) and the output.
pub fn junit(report: &Report) -> Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let xml = |e: std::io::Error| anyhow::anyhow!("Failed to write the JUnit report: {e}");
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(xml)?;
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "asyncling verify"));
    suites.push_attribute(("tests", report.total.to_string().as_str()));
    suites.push_attribute(("failures", report.failed.to_string().as_str()));
    suites.push_attribute(("errors", "0"));
    w.write_event(Event::Start(suites)).map_err(xml)?;
    let mut checks = report.checks.iter().peekable();
    for c in &report.chapters {
        let mut suite = BytesStart::new("testsuite");
        let name = if c.chapter.is_empty() {
            "course"
        } else {
            &c.chapter
        };
        suite.push_attribute(("name", name));
        suite.push_attribute(("tests", c.total.to_string().as_str()));
        suite.push_attribute(("failures", (c.total - c.ok).to_string().as_str()));
        suite.push_attribute(("errors", "0"));
        suite.push_attribute(("skipped", "0"));
        w.write_event(Event::Start(suite)).map_err(xml)?;
        for r in checks.by_ref().take(c.total) {
            write_case(&mut w, name, r).map_err(xml)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))
            .map_err(xml)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))
        .map_err(xml)?;
    let mut text = String::from_utf8(w.into_inner()).context("The JUnit report is not UTF-8")?;
    text.push('\n');
    Ok(text)
}

fn write_case(w: &mut Writer<Vec<u8>>, suite: &str, r: &Record) -> std::io::Result<()> {
    let mut case = BytesStart::new("testcase");
    let name = match r.kind {
        Kind::Exercise => r.name.clone(),
        kind => format!("{} ({})", r.name, kind.label()),
    };
    case.push_attribute(("name", name.as_str()));
    case.push_attribute(("classname", suite));
    case.push_attribute(("file", r.file.as_str()));
    if let Some(line) = r.line {
        case.push_attribute(("line", line.to_string().as_str()));
    }
    if r.ok {
        return w.write_event(Event::Empty(case));
    }
    w.write_event(Event::Start(case))?;
    let mut failure = BytesStart::new("failure");
    failure.push_attribute(("message", r.message.as_str()));
    failure.push_attribute(("type", r.failed_step.map_or("check", |s| s.label())));
    w.write_event(Event::Start(failure))?;
    let place = format!("{}:{}\n", r.file, r.line.unwrap_or(1));
    w.write_event(Event::Text(BytesText::new(&place)))?;
    w.write_event(Event::End(BytesEnd::new("failure")))?;
    if !r.output.trim().is_empty() {
        w.write_event(Event::Start(BytesStart::new("system-out")))?;
        // CDATA cannot hold its own end marker; split it where it occurs.
        // Colour is off for this format, so the output is plain text.
        for (k, part) in r.output.split("]]>").enumerate() {
            if k > 0 {
                w.write_event(Event::CData(BytesCData::new("]]")))?;
                w.write_event(Event::CData(BytesCData::new(">")))?;
            }
            w.write_event(Event::CData(BytesCData::new(part)))?;
        }
        w.write_event(Event::End(BytesEnd::new("system-out")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
}

fn print_text(course: &Course, report: &Report, solutions: bool) {
    use colored::Colorize;
    let failures: Vec<&Record> = report.checks.iter().filter(|r| !r.ok).collect();
    // The first failure in full; the rest as one line each.
    if let Some(first) = failures.first() {
        println!();
        match (
            &first.outcome,
            course.exercises.iter().find(|e| e.name == first.name),
        ) {
            // The learner's exercise: exactly as `run` shows it.
            (Some(outcome), Some(ex)) if first.kind == Kind::Exercise => {
                print_outcome(&course.root, ex, outcome, false)
            }
            _ => {
                println!("{}", format!("{} ({}):", first.name, first.file).bold());
                if !first.output.trim().is_empty() {
                    println!("{}", first.output.trim_end());
                }
                println!("{}", first.message);
            }
        }
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
        if !solutions
            && report.whole_course
            && let Some(msg) = &course.final_message
        {
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

fn gha_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// How `verify` writes its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// JUnit XML: one test case per check, for CI systems' test reports.
    Junit,
}

/// The full report of one check: the failing step's output, explanations, what to do next.
/// Backtrace frames from std, tokio and the reference runtime are folded unless `full`.
pub fn print_outcome(root: &Path, ex: &Exercise, outcome: &Outcome, full: bool) {
    let path = term::file_link(&root.join(ex.path()), &ex.path().display().to_string());
    let folded;
    let output = if full {
        outcome.output.as_str()
    } else {
        folded = crate::fold::backtraces(&outcome.output);
        folded.as_str()
    };
    match outcome.failed {
        None => {
            if !output.trim().is_empty() {
                println!("{}", output.trim_end());
                println!();
            }
            for note in &outcome.notes {
                println!("{} {note}", "note:".cyan().bold());
                println!();
            }
            println!("{} {} passes.", "✓".green().bold(), ex.name.bold());
            println!(
                "  Compare with the reference solution: {}",
                term::file_link(
                    &root.join(ex.solution_path()),
                    &ex.solution_path()
                        .display()
                        .to_string()
                        .underline()
                        .to_string()
                )
            );
        }
        Some(step) if !step.is_verdict() => {
            println!("{}", output.trim_end());
            println!("{} {} was not checked.", "✗".red().bold(), ex.name.bold());
        }
        Some(step) => {
            if !output.trim().is_empty() {
                println!("{}", output.trim_end());
                println!();
            }
            for note in &outcome.notes {
                println!("{} {note}", "note:".cyan().bold());
                println!();
            }
            let edit = match outcome.failing_elsewhere(&ex.path()) {
                Some(earlier) => format!(
                    "{}, an earlier step {} builds on,",
                    term::file_link(&root.join(earlier), earlier).underline(),
                    ex.name
                ),
                None => path.underline().to_string(),
            };
            println!(
                "{} {} failed at the {} step. Edit {edit} and check again.",
                "✗".red().bold(),
                ex.name.bold(),
                step.label().bold(),
            );
            println!(
                "  Stuck? `{} hint {}` shows the next hint.",
                term::cmd(),
                ex.name
            );
        }
    }
}
