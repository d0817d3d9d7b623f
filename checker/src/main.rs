//! `asyncling`: the checker for the asyncling course.

mod batch;
mod cargo;
mod check;
mod check_queue;
mod course;
mod dev;
mod explain;
mod fold;
mod hang;
mod includes;
mod layout;
mod output_cap;
mod pass_cache;
mod process;
mod procfs;
mod report;
mod screen;
mod select;
mod shipped;
mod signals;
mod state;
mod target;
mod term;
mod verify;
mod watch;
mod wrong;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use colored::Colorize;

use crate::check::Checker;
use crate::course::Course;
use crate::state::Store;
use crate::target::Target;

/// Learn async Rust from the inside: exercises that fail until you make them pass.
///
/// `asyncling` (or `asyncling watch`) checks the current exercise every time you save it.
/// `asyncling run` checks it once, `asyncling hint` helps when you are stuck, and
/// `asyncling verify` checks everything.
#[derive(Parser)]
#[command(name = "asyncling", version, propagate_version = true)]
struct Cli {
    /// The course folder (the one holding info.toml). Default: the current folder or a parent.
    #[arg(long, global = true, value_name = "DIR")]
    course: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum DevCmd {
    /// Scaffold an exercise: exercise and solution files, the chapter lesson when the chapter is
    /// new, an info.toml entry after the chapter's last exercise, and the bins.
    New {
        name: String,
        /// The chapter folder under exercises/ (for example 03_wakers).
        #[arg(long, value_name = "DIR")]
        chapter: String,
    },
    /// Write the exercise package's bin list (`[[bin]]`) from info.toml.
    Update,
    /// Print a GitHub Classroom autograding workflow: one graded step per chapter.
    Classroom,
    /// Fail when the exercise package's bin list (`[[bin]]`) does not match info.toml (for CI).
    Check,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check the current exercise on every save (the default). Keys: n next, h hint, l list,
    /// c check all, x reset, r recheck, q quit.
    Watch,
    /// Check one exercise (the current one by default). Exits 0 when it passes.
    Run {
        /// The exercise's name, as `asyncling list` shows it.
        name: Option<String>,
        /// Show every backtrace frame (by default frames of std, tokio and the reference
        /// runtime are folded, whatever RUST_BACKTRACE says).
        #[arg(long)]
        backtrace: bool,
    },
    /// Show the next hint for an exercise (the current one by default).
    Hint {
        name: Option<String>,
        /// Show every hint at once.
        #[arg(long)]
        all: bool,
    },
    /// List every exercise in order with its chapter and whether it is done.
    List {
        /// Only the exercises that are done.
        #[arg(long, conflicts_with = "pending")]
        done: bool,
        /// Only the exercises still to do.
        #[arg(long)]
        pending: bool,
    },
    /// Restore an exercise as shipped. Your version is saved to a backup file first.
    Reset { name: String },
    /// Course authors: scaffold exercises and keep exercises/Cargo.toml in step with info.toml.
    #[command(subcommand)]
    Dev(DevCmd),
    /// Check every exercise in order, non-interactively (for CI). Exits 0 only when all pass.
    Verify {
        #[command(flatten)]
        selection: select::Selection,
        /// Course authors: prove every shipped exercise fails, every solution passes (with strict
        /// clippy, against the exercise's own tests), and every wrong answer kept in
        /// `wrong/<dir>/<name>/<mistake>.rs` fails a test within 2 s. Touches no learner file.
        #[arg(long)]
        solutions: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: report::Format,
        /// Check everything again, even exercises unchanged since they last passed.
        #[arg(long)]
        no_cache: bool,
    },
}

fn main() -> ExitCode {
    signals::install();
    // Usage lines name the command as the learner typed it (`cargo course` or `asyncling`).
    let matches = Cli::command().bin_name(term::cmd()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Tools reading `verify --format json` get a JSON answer even when the course cannot load.
    let json = matches!(
        cli.command,
        Some(Cmd::Verify {
            format: report::Format::Json,
            ..
        })
    );
    let result = real_main(cli);
    signals::wait_if_stopping();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            if json {
                let error = serde_json::json!({ "ok": false, "error": format!("{e:#}") });
                println!("{error}");
            }
            eprintln!("{} {e:#}", "error:".red().bold());
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> Result<bool> {
    let color = term::init_color();
    let course = match &cli.course {
        Some(dir) => Course::load(dir)?,
        None => Course::discover(
            &std::env::current_dir().context("Failed to read the current folder")?,
        )?,
    };
    let command = cli.command.unwrap_or(Cmd::Watch);
    let solutions = matches!(
        command,
        Cmd::Verify {
            solutions: true,
            ..
        }
    );
    if solutions && !course.missing_solutions.is_empty() {
        anyhow::bail!("{}", course.missing_solutions.join("\n"));
    }
    for missing in &course.missing_solutions {
        term::warn(missing);
    }
    // A verdict cut short by a closed pipe is not a pass.
    signals::set_broken_pipe_status(i32::from(matches!(
        command,
        Cmd::Run { .. } | Cmd::Verify { .. }
    )));
    if !solutions && !matches!(command, Cmd::Dev(_)) {
        shipped::remember_all(&course)?;
    }
    match command {
        Cmd::Watch => {
            let result = watch::run(&course, color);
            if result.is_err() {
                // Say where the learner is, so the suggested commands make sense.
                let _ = status(&course);
            }
            result
        }
        Cmd::Run { name, backtrace } => run(&course, name.as_deref(), color, backtrace),
        Cmd::Hint { name, all } => hint(&course, name.as_deref(), all),
        Cmd::List { done, pending } => list(&course, done, pending),
        Cmd::Reset { name } => reset(&course, &name),
        Cmd::Dev(dev) => dev_command(&course, dev),
        Cmd::Verify {
            selection,
            solutions,
            format,
            no_cache,
        } => verify::run(
            &course,
            &verify::Options {
                selection,
                solutions,
                format,
                use_cache: !no_cache,
                color,
            },
        ),
    }
}

fn dev_command(course: &Course, cmd: DevCmd) -> Result<bool> {
    match cmd {
        DevCmd::New { name, chapter } => {
            for file in dev::new(course, &name, &chapter)? {
                println!("wrote {}", file.display());
            }
            println!(
                "Next: write the exercise and its solution (tests identical from #[cfg(test)] on), \
                 real hints in info.toml, three wrong answers in wrong/{chapter}/{name}/, then \
                 `{} verify --solutions {name}`.",
                term::cmd()
            );
            Ok(true)
        }
        DevCmd::Update => {
            let changed = dev::update(course)?;
            println!(
                "{}",
                if changed {
                    "exercises/Cargo.toml: bins written from info.toml"
                } else {
                    "exercises/Cargo.toml: bins already match info.toml"
                }
            );
            Ok(true)
        }
        DevCmd::Classroom => {
            print!("{}", dev::classroom(course));
            Ok(true)
        }
        DevCmd::Check => match dev::check(course)? {
            None => {
                println!("exercises/Cargo.toml: bins match info.toml");
                Ok(true)
            }
            Some(problem) => {
                eprintln!("{problem}");
                Ok(false)
            }
        },
    }
}

/// Loads progress (a repair is announced when the store is dropped).
fn progress(store: &Store) -> Result<state::Progress> {
    store.load()
}

fn pick(course: &Course, store: &Store, name: Option<&str>) -> Result<usize> {
    match name {
        Some(n) => course.find(n),
        None => Ok(progress(store)?.current_index(course)),
    }
}

fn status(course: &Course) -> Result<bool> {
    let store = Store::new(&course.root);
    let p = progress(&store)?;
    let i = p.current_index(course);
    if let Some(w) = &course.welcome_message
        && p.done.is_empty()
    {
        println!("{}\n", w.trim());
    }
    let ex = &course.exercises[i];
    println!(
        "{}/{} done. Current exercise: {} ({})",
        p.done.len(),
        course.exercises.len(),
        ex.name.bold(),
        ex.path().display()
    );
    let c = term::cmd();
    println!("Check it with `{c} run`; `{c} --help` lists every command.");
    Ok(true)
}

fn run(course: &Course, name: Option<&str>, color: bool, full: bool) -> Result<bool> {
    let store = Store::new(&course.root);
    let i = pick(course, &store, name)?;
    let ex = &course.exercises[i];
    let path = ex.path().display().to_string();
    let path = term::file_link(&course.root.join(ex.path()), &path);
    println!("Checking {} ({path})...", ex.name.bold());
    let checker = Checker {
        layout: course.layout.clone(),
        color,
        cancel: None,
        progress: None,
    };
    let outcome = checker
        .check_all(&[Target::exercise(ex)], &|_, _| {})?
        .pop()
        .context("The check produced no result")?;
    report::print_outcome(&course.root, ex, &outcome, full);
    let passed = outcome.passed();
    if !outcome.is_verdict() {
        return Ok(false);
    }
    let p = store.update(|p| {
        p.record(&ex.name, passed);
        p.advance(course);
    })?;
    if passed {
        match p.first_pending(course) {
            None => {
                if let Some(msg) = &course.final_message {
                    println!("\n{}", msg.trim());
                }
            }
            Some(_) => {
                let next = &course.exercises[p.current_index(course)];
                if next.chapter() != ex.chapter() {
                    println!(
                        "\nNew chapter: read {} first.",
                        format!("exercises/{}/README.md", next.chapter()).underline()
                    );
                }
                println!("Next: `{} run {}`", term::cmd(), next.name);
            }
        }
    }
    Ok(passed)
}

fn hint(course: &Course, name: Option<&str>, all: bool) -> Result<bool> {
    let store = Store::new(&course.root);
    let i = pick(course, &store, name)?;
    let ex = &course.exercises[i];
    let total = ex.hints.len();
    let p = store.update(|p| {
        let level = if all {
            total
        } else {
            p.next_hint(&ex.name, total)
        };
        p.hints_seen(&ex.name, level);
    })?;
    let shown = p.hints_shown(&ex.name).max(1);
    for (level, text) in ex.hints.iter().enumerate().take(shown) {
        let head = format!("Hint {} of {total} for {}:", level + 1, ex.name);
        let head = if level + 1 == shown {
            head.bold()
        } else {
            head.dimmed()
        };
        println!("{head}\n{}\n", text.trim());
    }
    if shown < total {
        println!("Run `{} hint` again for the next one.", term::cmd());
    } else {
        println!(
            "That was the last hint. After you solve it, compare with {}.",
            ex.solution_path().display()
        );
    }
    Ok(true)
}

fn list(course: &Course, only_done: bool, only_pending: bool) -> Result<bool> {
    let store = Store::new(&course.root);
    let p = progress(&store)?;
    let current = p.current_index(course);
    let name_w = course
        .exercises
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(4);
    let chap_w = course
        .exercises
        .iter()
        .map(|e| e.chapter().len())
        .max()
        .unwrap_or(7);
    println!(
        "   {:>3}  {:<chap_w$}  {:<name_w$}  state",
        "#", "chapter", "name"
    );
    for (i, ex) in course.exercises.iter().enumerate() {
        let done = p.is_done(&ex.name);
        if (only_done && !done) || (only_pending && done) {
            continue;
        }
        let marker = if i == current { ">" } else { " " };
        let state = if done {
            "done".green()
        } else {
            "pending".yellow()
        };
        println!(
            "{marker}  {:>3}  {:<chap_w$}  {:<name_w$}  {state}",
            i + 1,
            ex.chapter(),
            ex.name
        );
    }
    println!(
        "\n{}/{} done; > marks the current exercise.",
        p.done.len(),
        course.exercises.len()
    );
    Ok(true)
}

fn reset(course: &Course, name: &str) -> Result<bool> {
    let ex = &course.exercises[course.find(name)?];
    let store = Store::new(&course.root);
    let reset = shipped::reset_and_forget(course, &store, ex)?;
    let how = reset.source.describe();
    match reset.backup {
        Some(backup) => println!(
            "Restored {} as shipped ({how}). Your version was saved to {}",
            ex.path().display(),
            backup.display()
        ),
        None => println!(
            "{} is already as shipped ({how}); nothing changed.",
            ex.path().display()
        ),
    }
    Ok(true)
}
