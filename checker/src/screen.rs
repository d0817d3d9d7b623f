//! Drawing the watch screen. Pure text in, bytes out: the layout is computed for a given width and
//! height (any size, zero included), so it is testable without a terminal.

use std::sync::{Arc, Mutex};

use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// What the main view shows about the current exercise.
pub enum Status {
    Checking {
        elapsed_secs: u64,
        built: usize,
        last: String,
    },
    Passed,
    Failed {
        step: &'static str,
    },
    /// File watching is off: the learner presses `r` to check.
    Idle,
}

pub struct MainView<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub solution: &'a str,
    pub chapter: &'a str,
    pub done: usize,
    pub total: usize,
    pub status: Status,
    pub output: &'a str,
    pub notes: &'a [String],
    pub hints: &'a [(usize, usize, &'a str)],
    pub messages: &'a [String],
    pub prompt: Option<&'a str>,
}

pub struct ListRow<'a> {
    pub number: usize,
    pub chapter: &'a str,
    pub name: &'a str,
    pub done: bool,
    pub current: bool,
}

pub struct ListView<'a> {
    pub rows: Vec<ListRow<'a>>,
    pub cursor: usize,
    pub filter: &'a str,
    pub prompt: Option<&'a str>,
}

/// Characters a line takes on screen, not counting colour escape sequences.
fn visible_len(line: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, c) if c.is_ascii_alphabetic() => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Screen rows a line occupies once the terminal wraps it.
fn rows_of(line: &str, width: usize) -> usize {
    visible_len(line).div_ceil(width.max(1)).max(1)
}

/// Cuts plain text to `width` characters (for lines that must not wrap).
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        text.chars()
            .take(width.saturating_sub(1))
            .chain(['…'])
            .collect::<String>()
    }
}

/// An indicatif bar rendered into a string, so it can sit inside our own layout.
#[derive(Debug, Clone)]
struct Capture {
    width: u16,
    text: Arc<Mutex<String>>,
}

impl TermLike for Capture {
    fn width(&self) -> u16 {
        self.width
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.write_str(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        // indicatif follows the bar with an empty write; keep the bar.
        if !s.is_empty()
            && let Ok(mut t) = self.text.lock()
        {
            *t = s.to_string();
        }
        Ok(())
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let text = Arc::new(Mutex::new(String::new()));
    let capture = Capture {
        width: width.min(u16::MAX as usize) as u16,
        text: text.clone(),
    };
    let bar = ProgressBar::with_draw_target(
        Some(total as u64),
        ProgressDrawTarget::term_like(Box::new(capture)),
    );
    if let Ok(style) = ProgressStyle::with_template("Progress [{wide_bar:.green/blue}] {pos}/{len}")
    {
        bar.set_style(style.progress_chars("#>-"));
    }
    bar.set_position(done as u64);
    bar.force_draw();
    let drawn = text.lock().map(|t| t.clone()).unwrap_or_default();
    if drawn.is_empty() {
        format!("Progress {done}/{total}")
    } else {
        drawn
    }
}

const KEYS_RUNNING: &str = "h hint · l list · c check all · x reset · r recheck · q quit";
const KEYS_PASSED: &str = "n next · h hint · l list · c check all · x reset · q quit";

/// The main view as lines for a `width`×`height` terminal: the exercise, the failing step's output
/// (cut to fit, the first lines kept), hints, then the status, the bar and the keys at the bottom.
pub fn main_lines(v: &MainView, width: usize, height: usize) -> Vec<String> {
    let w = width.max(1);
    let header = fit(
        &format!(
            "asyncling · {} · {} · chapter {}",
            v.name, v.path, v.chapter
        ),
        w,
    );
    let mut body: Vec<String> = Vec::new();
    if !v.output.trim().is_empty() {
        body.extend(v.output.trim_end().lines().map(String::from));
        body.push(String::new());
    }
    for note in v.notes {
        body.push(format!("{} {note}", "note:".cyan().bold()));
        body.push(String::new());
    }
    for (level, total, text) in v.hints {
        body.push(format!(
            "{}",
            format!("Hint {level} of {total}:").yellow().bold()
        ));
        body.extend(text.lines().map(String::from));
        body.push(String::new());
    }

    let status = match &v.status {
        Status::Checking {
            elapsed_secs,
            built,
            last,
        } => {
            // More than the exercise itself: dependencies are being built (the first run).
            let building = if *built > 1 {
                format!(" (building dependencies: {built} crates compiled, last {last})")
            } else {
                String::new()
            };
            format!("Checking {}… {elapsed_secs}s{building}", v.name)
        }
        Status::Passed => format!(
            "{} {} is done! Compare with {}. Press n for the next exercise.",
            "✓".green().bold(),
            v.name.bold(),
            v.solution
        ),
        Status::Failed { step } => format!(
            "{} {} failed at the {step} step. Edit {} and save to check again.",
            "✗".red().bold(),
            v.name.bold(),
            v.path
        ),
        Status::Idle => format!("Save {} and press r to check it.", v.path),
    };
    let keys = match (&v.status, v.prompt) {
        (_, Some(p)) => p.to_string(),
        (Status::Passed, None) => KEYS_PASSED.to_string(),
        _ => KEYS_RUNNING.to_string(),
    };
    let mut footer: Vec<String> = v.messages.iter().map(|m| fit(m, w)).collect();
    footer.push(status);
    footer.push(progress_bar(v.done, v.total, w));
    footer.push(fit(&keys, w));

    let footer_rows: usize = footer.iter().map(|l| rows_of(l, w)).sum();
    let room = height.saturating_sub(footer_rows + 1);
    let mut lines = vec![header];
    let mut used = 0;
    let mut cut = 0;
    for (i, line) in body.iter().enumerate() {
        let rows = rows_of(line, w);
        if used + rows > room.saturating_sub(1) && i + 1 < body.len() {
            cut = body.len() - i;
            break;
        }
        used += rows;
        lines.push(line.clone());
    }
    if cut > 0 {
        lines.push(fit(
            &format!(
                "… {cut} more lines; `asyncling run {}` prints them all",
                v.name
            ),
            w,
        ));
    }
    lines.extend(footer);
    lines
}

pub fn list_lines(v: &ListView, width: usize, height: usize) -> Vec<String> {
    let w = width.max(1);
    let mut lines = vec![fit(
        &format!(
            "Exercises ({}) · ↑↓ move · Enter jump · r reset · d done · p pending · a all · Esc back",
            v.filter
        ),
        w,
    )];
    let room = height.saturating_sub(3).max(1);
    let start = v
        .cursor
        .saturating_sub(room / 2)
        .min(v.rows.len().saturating_sub(room));
    for (i, row) in v.rows.iter().enumerate().skip(start).take(room) {
        let pointer = if i == v.cursor { ">" } else { " " };
        let here = if row.current { "*" } else { " " };
        let state = if row.done { "done" } else { "pending" };
        let line = fit(
            &format!(
                "{pointer}{here} {:>3}  {:<18} {:<28} {state}",
                row.number, row.chapter, row.name
            ),
            w,
        );
        lines.push(if i == v.cursor {
            line.reversed().to_string()
        } else {
            line
        });
    }
    if v.rows.is_empty() {
        lines.push("(no exercise matches this filter)".to_string());
    }
    if let Some(p) = v.prompt {
        lines.push(fit(p, w));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(output: &'a str, status: Status) -> MainView<'a> {
        MainView {
            name: "futures2",
            path: "exercises/01_futures/futures2.rs",
            solution: "solutions/01_futures/futures2.rs",
            chapter: "01_futures",
            done: 3,
            total: 10,
            status,
            output,
            notes: &[],
            hints: &[],
            messages: &[],
            prompt: None,
        }
    }

    #[test]
    fn tiny_terminals_render_without_panicking() {
        let long = "error: a very long line\n".repeat(200);
        for (w, h) in [(0, 0), (1, 1), (10, 5), (10, 40), (80, 3)] {
            let lines = main_lines(&view(&long, Status::Failed { step: "test" }), w, h);
            assert!(!lines.is_empty());
            let rows = ListView {
                rows: vec![ListRow {
                    number: 1,
                    chapter: "01_futures",
                    name: "futures1",
                    done: false,
                    current: true,
                }],
                cursor: 0,
                filter: "all",
                prompt: None,
            };
            assert!(!list_lines(&rows, w, h).is_empty());
        }
    }

    #[test]
    fn long_output_is_cut_to_the_screen_keeping_the_status_and_keys() {
        let long = (0..500).map(|i| format!("line {i}\n")).collect::<String>();
        let lines = main_lines(&view(&long, Status::Failed { step: "build" }), 80, 24);
        assert!(lines.len() <= 24, "{} lines", lines.len());
        assert!(lines.iter().any(|l| l.contains("line 0")));
        assert!(lines.iter().any(|l| l.contains("more lines")));
        assert!(lines.last().unwrap().contains("q quit"));
        assert!(lines.iter().any(|l| l.contains("3/10")), "{lines:?}");
    }

    #[test]
    fn the_bar_is_drawn_by_indicatif_to_the_width() {
        let bar = progress_bar(3, 10, 40);
        assert!(bar.contains('#') && bar.contains("3/10"), "{bar}");
        assert_eq!(bar.chars().count(), 40, "{bar}");
    }

    #[test]
    fn passing_shows_the_solution_and_the_next_key() {
        let lines = main_lines(&view("", Status::Passed), 120, 24);
        let all = lines.join("\n");
        assert!(all.contains("is done") && all.contains("solutions/01_futures/futures2.rs"));
        assert!(all.contains("n next"));
    }
}
