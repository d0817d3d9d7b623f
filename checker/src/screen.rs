//! Drawing the watch screen. Pure text in, bytes out: the layout is computed for a given width and
//! height (any size, zero included), so it is testable without a terminal.

use std::sync::{Arc, Mutex};

use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// What the main view shows about the current exercise.
pub enum Status {
    /// The exercise (and, the first time, its dependencies) is being compiled.
    Building {
        elapsed_secs: u64,
        /// Dependencies compiled so far in this check, and the last one.
        dependencies: usize,
        last: String,
    },
    /// The tests (or the program) are running.
    Testing {
        elapsed_secs: u64,
        deadline_secs: u64,
    },
    Passed,
    Failed {
        step: &'static str,
    },
    /// File watching is off: the learner presses `r` to check.
    Idle,
    /// The checker itself failed (the output says why): no verdict on the learner's code.
    CheckerFailed,
}

pub struct MainView<'a> {
    pub name: &'a str,
    pub path: &'a str,
    /// The path as the top row shows it: a link to the file where the terminal shows links
    /// (`term::file_link`), else the same as `path`.
    pub path_link: &'a str,
    pub solution: &'a str,
    pub done: usize,
    pub total: usize,
    pub status: Status,
    pub output: &'a str,
    pub notes: &'a [String],
    pub hints: &'a [(usize, usize, &'a str)],
    pub messages: &'a [String],
    pub prompt: Option<&'a str>,
    /// Rows scrolled past at the top of the scrollable part.
    pub scroll: usize,
    /// Make sure the heading of this hint level is on screen (the one just asked for).
    pub reveal_hint: Option<usize>,
}

/// The main view laid out for one terminal size.
pub struct MainLayout {
    pub lines: Vec<String>,
    /// The scroll actually used (clamped, or moved to reveal a hint).
    pub scroll: usize,
    /// The highest hint level whose heading is on screen (0: none).
    pub hints_drawn: usize,
    /// Rows the scrollable part shows at once.
    pub page: usize,
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

/// Where a character of a line is: on screen, or inside an escape sequence (colours are CSI
/// sequences, `ESC [ ... m`; file links are OSC 8 sequences, `ESC ] 8 ;; URL ESC \`, whose URL
/// must not be counted or cut).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// Just after ESC.
    Start,
    /// Inside `ESC [`, until a final byte.
    Csi,
    /// Inside `ESC ]`, until BEL or `ESC \`.
    Osc,
    /// ESC inside an OSC: the string terminator's first half.
    OscEnd,
}

impl Escape {
    /// The state after `c`, and whether `c` shows on screen.
    fn step(self, c: char) -> (Escape, bool) {
        match (self, c) {
            (Escape::None, '\x1b') => (Escape::Start, false),
            (Escape::None, _) => (Escape::None, true),
            (Escape::Start, '[') => (Escape::Csi, false),
            (Escape::Start, ']') => (Escape::Osc, false),
            (Escape::Start, _) => (Escape::None, false),
            (Escape::Csi, '@'..='~') => (Escape::None, false),
            (Escape::Csi, _) => (Escape::Csi, false),
            (Escape::Osc, '\x07') => (Escape::None, false),
            (Escape::Osc, '\x1b') => (Escape::OscEnd, false),
            (Escape::Osc, _) => (Escape::Osc, false),
            (Escape::OscEnd, _) => (Escape::None, false),
        }
    }
}

/// Characters a line takes on screen, not counting escape sequences (colours, links).
fn visible_len(line: &str) -> usize {
    let mut state = Escape::None;
    let mut n = 0;
    for c in line.chars() {
        let (next, shown) = state.step(c);
        state = next;
        n += usize::from(shown);
    }
    n
}

/// Splits text into screen rows of at most `width` characters: at its newlines (raw mode moves
/// down without going back to the first column, so every row is drawn on its own), then where the
/// terminal would wrap. Tabs become spaces and carriage returns go, so nothing moves the cursor
/// behind the layout's back. Escape sequences (colours, links) are kept whole and not counted.
pub fn rows(text: &str, width: usize) -> Vec<String> {
    let w = width.max(1);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = line.replace('\t', "    ").replace('\r', "");
        if visible_len(&line) <= w {
            out.push(line);
            continue;
        }
        let mut row = String::new();
        let mut n = 0;
        let mut state = Escape::None;
        for c in line.chars() {
            let (next, shown) = state.step(c);
            state = next;
            if !shown {
                row.push(c);
                continue;
            }
            if n == w {
                out.push(std::mem::take(&mut row));
                n = 0;
            }
            row.push(c);
            n += 1;
        }
        out.push(row);
    }
    out
}

/// Text wrapped at word boundaries where it can be (for the messages, notes and hints, which are
/// plain words), hard-cut only inside a word longer than the width.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let w = width.max(1);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = line.replace('\t', "    ").replace('\r', "");
        if visible_len(&line) <= w {
            out.push(line);
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        let mut row = String::new();
        for word in line.split(' ') {
            let sep = usize::from(!row.is_empty());
            if !row.is_empty() && visible_len(&row) + sep + visible_len(word) > w {
                out.push(std::mem::take(&mut row));
                if indent.len() < w / 2 {
                    row.push_str(&indent);
                }
            } else if sep == 1 {
                row.push(' ');
            }
            if visible_len(&row) + visible_len(word) > w {
                // A word longer than a row: cut it where the terminal would.
                let mut pieces = rows(&format!("{row}{word}"), w);
                row = pieces.pop().unwrap_or_default();
                out.extend(pieces);
            } else {
                row.push_str(word);
            }
        }
        out.push(row);
    }
    out
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

const KEYS_FAILED: &str = "h hint · ↑↓ scroll · o output · b backtrace · l list · c check all · x reset · r recheck · q quit";
const KEYS_PASSED: &str =
    "n next · h hint · ↑↓ scroll · o output · l list · c check all · x reset · q quit";
const KEYS_MEDIUM_FAILED: &str =
    "h hint ↑↓ scroll o output b trace l list c all x reset r again q quit";
const KEYS_MEDIUM_PASSED: &str = "n next h hint ↑↓ scroll o output l list c all x reset q quit";
const KEYS_SHORT_FAILED: &str = "h hint ↑↓ o l c x r q";
const KEYS_SHORT_PASSED: &str = "n next h ↑↓ o l c x q";

/// The main view for a `width`×`height` terminal. Top to bottom, in order of importance: where
/// the learner is, the verdict (these two never scroll), then the messages, the plain-words
/// notes and the hints asked for, then the compiler's or the tests' output in the rows left;
/// everything below the verdict scrolls. The keys (or the question being asked) close the
/// screen. Nothing is cut sideways: long lines wrap.
pub fn main_lines(v: &MainView, width: usize, height: usize) -> MainLayout {
    let w = width.max(1);
    let h = height.max(1);
    // Narrow terminals get the short forms: every row counts.
    let narrow = w < 60;
    let top = top_rows(v, w, narrow);
    let mut bottom = key_rows(v, w);
    let (body, hint_rows) = body_rows(v, w);

    // The bar, when there is room to spare.
    let spare = h.saturating_sub(top.len() + bottom.len() + body.len());
    if spare >= 2 && h >= 16 {
        bottom.insert(0, progress_bar(v.done, v.total, w));
    }

    let mut room = h.saturating_sub(top.len() + bottom.len());
    if room == 0 && !body.is_empty() {
        // A tiny terminal: the keys give way to one row of the rest.
        bottom.clear();
        room = h.saturating_sub(top.len()).max(1);
    }
    let max_scroll = body.len().saturating_sub(room);
    let mut scroll = v.scroll.min(max_scroll);
    if let Some(level) = v.reveal_hint
        && let Some(&(_, row)) = hint_rows.iter().find(|(l, _)| *l == level)
        && (row < scroll || row >= scroll + room.saturating_sub(1))
    {
        // The heading right under the "rows above" marker.
        scroll = if room >= 3 {
            row.saturating_sub(1)
        } else {
            row
        }
        .min(max_scroll);
    }
    let mut shown: Vec<String> = body.iter().skip(scroll).take(room).cloned().collect();
    let above = scroll;
    let below = body.len().saturating_sub(scroll + shown.len());
    let mut first_shown = scroll;
    let mut last_shown = scroll + shown.len();
    if below > 0 && room >= 2 {
        shown.pop();
        last_shown -= 1;
        shown.push(fit(
            &format!(
                "↓ {} more rows: ↓/j scroll, o shows the output whole",
                below + 1
            ),
            w,
        ));
    }
    if above > 0 && room >= 3 {
        shown[0] = fit(&format!("↑ {} rows above: ↑/k scroll", above + 1), w);
        first_shown += 1;
    }
    let hints_drawn = hint_rows
        .iter()
        .filter(|(_, row)| *row >= first_shown && *row < last_shown)
        .map(|(level, _)| *level)
        .max()
        .unwrap_or(0);

    let mut lines = top;
    lines.truncate(h);
    let free = h.saturating_sub(lines.len());
    shown.truncate(free);
    lines.extend(shown);
    let free = h.saturating_sub(lines.len());
    // The gap between the body and the keys stays empty, so the keys sit at the bottom.
    let gap = free.saturating_sub(bottom.len());
    lines.extend(std::iter::repeat_n(String::new(), gap));
    bottom.truncate(free);
    lines.extend(bottom);
    MainLayout {
        lines,
        scroll,
        hints_drawn,
        page: room.max(1),
    }
}

/// The rows above the scrollable part: the exercise, the progress, the file, and the status.
fn top_rows(v: &MainView, w: usize, narrow: bool) -> Vec<String> {
    let mut top = if narrow {
        let mut top = wrap(&format!("{} · {}/{} done", v.name, v.done, v.total), w);
        top.extend(wrap(v.path_link, w));
        top
    } else {
        wrap(
            &format!(
                "asyncling · {} · {}/{} done · {}",
                v.name, v.done, v.total, v.path_link
            ),
            w,
        )
    };
    let status = match &v.status {
        Status::Building {
            elapsed_secs,
            dependencies,
            last,
        } => {
            let deps = if *dependencies > 0 {
                format!(" First the dependencies: {dependencies} compiled, last {last}.")
            } else {
                String::new()
            };
            format!("Building {}… {elapsed_secs} s.{deps}", v.name)
        }
        Status::Testing {
            elapsed_secs,
            deadline_secs,
        } => format!(
            "Running the tests of {}… {elapsed_secs} s (stopped at {deadline_secs} s).",
            v.name
        ),
        Status::Passed if narrow => format!(
            "{} {} is done! Compare with {}. n: next.",
            "✓".green().bold(),
            v.name.bold(),
            v.solution
        ),
        Status::Passed => format!(
            "{} {} is done! Compare with {}. Press n for the next exercise.",
            "✓".green().bold(),
            v.name.bold(),
            v.solution
        ),
        Status::Failed { step } if narrow => format!(
            "{} {} failed at the {step} step.",
            "✗".red().bold(),
            v.name.bold(),
        ),
        Status::Failed { step } => format!(
            "{} {} failed at the {step} step. Edit {} and save to check again.",
            "✗".red().bold(),
            v.name.bold(),
            v.path
        ),
        Status::Idle => format!("Save {} and press r to check it.", v.path),
        Status::CheckerFailed => format!(
            "{} {} could not be checked. Save it or press r to try again.",
            "✗".red().bold(),
            v.name.bold(),
        ),
    };
    top.extend(wrap(&status, w));
    top
}

/// The rows below it: the question waiting for an answer, or the keys that fit.
fn key_rows(v: &MainView, w: usize) -> Vec<String> {
    match v.prompt {
        Some(p) => wrap(p, w),
        None => {
            let passed = matches!(v.status, Status::Passed);
            let tiers = if passed {
                [KEYS_PASSED, KEYS_MEDIUM_PASSED, KEYS_SHORT_PASSED]
            } else {
                [KEYS_FAILED, KEYS_MEDIUM_FAILED, KEYS_SHORT_FAILED]
            };
            let keys = tiers
                .into_iter()
                .find(|k| k.chars().count() <= w)
                .unwrap_or(tiers[2]);
            wrap(keys, w)
        }
    }
}

/// The scrollable part: messages, notes, hints (with the row where each hint starts), output.
fn body_rows(v: &MainView, w: usize) -> (Vec<String>, Vec<(usize, usize)>) {
    let mut body: Vec<String> = Vec::new();
    for m in v.messages {
        body.extend(wrap(m, w));
    }
    if !v.messages.is_empty() {
        body.push(String::new());
    }
    for note in v.notes {
        body.extend(wrap(&format!("{} {note}", "note:".cyan().bold()), w));
        body.push(String::new());
    }
    let mut hint_rows: Vec<(usize, usize)> = Vec::new();
    for (level, total, text) in v.hints {
        hint_rows.push((*level, body.len()));
        body.push(format!(
            "{}",
            format!("Hint {level} of {total}:").yellow().bold()
        ));
        body.extend(wrap(text.trim(), w));
        body.push(String::new());
    }
    if !v.output.trim().is_empty() {
        body.extend(rows(v.output.trim_start_matches('\n').trim_end(), w));
    }
    while body.last().is_some_and(|l| l.is_empty()) {
        body.pop();
    }
    (body, hint_rows)
}

pub fn list_lines(v: &ListView, width: usize, height: usize) -> Vec<String> {
    let w = width.max(1);
    let keys = if w >= 90 {
        "↑↓ move · Enter jump · r reset · d done · p pending · a all · Esc back"
    } else {
        "↑↓ Enter=go r=reset d/p/a=filter Esc"
    };
    let mut lines = wrap(&format!("Exercises ({}) · {keys}", v.filter), w);
    let prompt = v.prompt.map(|p| wrap(p, w)).unwrap_or_default();
    let room = height.saturating_sub(lines.len() + prompt.len()).max(1);
    let start = v
        .cursor
        .saturating_sub(room / 2)
        .min(v.rows.len().saturating_sub(room));
    let name_w = v.rows.iter().map(|r| r.name.len()).max().unwrap_or(4);
    let chapter_w = v.rows.iter().map(|r| r.chapter.len()).max().unwrap_or(7);
    for (i, row) in v.rows.iter().enumerate().skip(start).take(room) {
        let pointer = if i == v.cursor { ">" } else { " " };
        let here = if row.current { "*" } else { " " };
        let state = if row.done { "done" } else { "pending" };
        // The state column always shows: the name gives way first, then the chapter.
        let lead = format!("{pointer}{here} {:>3} ", row.number);
        let fixed = lead.chars().count() + 1 + "pending".len();
        let line = if w >= fixed + name_w + 2 + chapter_w {
            format!(
                "{lead}{:<chapter_w$}  {:<name_w$} {state}",
                row.chapter, row.name
            )
        } else {
            let nw = w.saturating_sub(fixed).max(1);
            format!("{lead}{:<nw$} {state}", fit(row.name, nw))
        };
        let line = fit(&line, w);
        lines.push(if i == v.cursor {
            line.reversed().to_string()
        } else {
            line
        });
    }
    if v.rows.is_empty() {
        lines.push("(no exercise matches this filter)".to_string());
    }
    lines.truncate(height.saturating_sub(prompt.len()).max(1));
    lines.extend(prompt);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(output: &'a str, status: Status) -> MainView<'a> {
        MainView {
            name: "futures2",
            path: "exercises/01_futures/futures2.rs",
            path_link: "exercises/01_futures/futures2.rs",
            solution: "solutions/01_futures/futures2.rs",
            done: 3,
            total: 10,
            status,
            output,
            notes: &[],
            hints: &[],
            messages: &[],
            prompt: None,
            scroll: 0,
            reveal_hint: None,
        }
    }

    fn plain(lines: &[String]) -> String {
        lines.join("\n")
    }

    #[test]
    fn tiny_terminals_render_without_panicking() {
        let long = "error: a very long line\n".repeat(200);
        for (w, h) in [(0, 0), (1, 1), (10, 5), (10, 40), (80, 3)] {
            let layout = main_lines(&view(&long, Status::Failed { step: "test" }), w, h);
            assert!(!layout.lines.is_empty());
            assert!(
                layout.lines.len() <= h.max(1),
                "{w}x{h}: {}",
                layout.lines.len()
            );
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
        let layout = main_lines(&view(&long, Status::Failed { step: "build" }), 80, 24);
        let lines = layout.lines;
        assert_eq!(lines.len(), 24);
        assert!(lines.iter().any(|l| l.contains("line 0")));
        assert!(lines.iter().any(|l| l.contains("more rows")));
        assert!(lines.last().unwrap().contains("q quit"));
        assert!(lines[0].contains("3/10 done"), "{lines:?}");
    }

    #[test]
    fn notes_and_hints_come_before_the_output_and_wrap_at_40_columns() {
        let long = "a flood of output\n".repeat(300);
        let note = "The future is not `Send`: ".to_string() + &"words ".repeat(20);
        let notes = [note];
        let hints = [
            (1, 3, "First hint."),
            (2, 3, "Second hint, a bit longer than one row of forty."),
        ];
        let mut v = view(&long, Status::Failed { step: "build" });
        v.notes = &notes;
        v.hints = &hints;
        v.reveal_hint = Some(2);
        let layout = main_lines(&v, 40, 10);
        let text = plain(&layout.lines);
        assert_eq!(layout.lines.len(), 10, "{text}");
        assert!(layout.lines.iter().all(|l| visible_len(l) <= 40), "{text}");
        assert!(text.contains("Hint 2 of 3"), "{text}");
        assert_eq!(layout.hints_drawn, 2);
        assert!(text.contains("failed at the build step"), "{text}");
    }

    #[test]
    fn output_lines_become_rows_without_newlines_inside() {
        for row in rows("a\nb\tc\r\n0123456789abc", 10) {
            assert!(!row.contains('\n') && !row.contains('\r'), "{row:?}");
            assert!(visible_len(&row) <= 10);
        }
    }

    #[test]
    fn the_bar_is_drawn_by_indicatif_to_the_width() {
        let bar = progress_bar(3, 10, 40);
        assert!(bar.contains('#') && bar.contains("3/10"), "{bar}");
        assert_eq!(bar.chars().count(), 40, "{bar}");
    }

    #[test]
    fn passing_shows_the_solution_and_the_next_key() {
        let all = plain(&main_lines(&view("", Status::Passed), 120, 24).lines);
        assert!(all.contains("is done") && all.contains("solutions/01_futures/futures2.rs"));
        assert!(all.contains("n next"));
    }

    #[test]
    fn the_list_keeps_its_state_column_and_the_prompt_its_answer_at_40x10() {
        let rows = (1..30)
            .map(|i| ListRow {
                number: i,
                chapter: "03_a_rather_long_chapter",
                name: "an_exercise_with_a_long_name",
                done: i % 2 == 0,
                current: i == 3,
            })
            .collect();
        let v = ListView {
            rows,
            cursor: 2,
            filter: "all",
            prompt: Some(
                "Reset exercises/03_a_rather_long_chapter/x.rs as shipped? y/n (a backup is kept)",
            ),
        };
        let lines = list_lines(&v, 40, 10);
        let text = plain(&lines);
        assert!(lines.len() <= 10, "{text}");
        assert!(text.contains("y/n"), "{text}");
        assert!(
            lines
                .iter()
                .filter(|l| l.contains("pending") || l.contains("done"))
                .count()
                >= 3,
            "{text}"
        );
    }

    #[test]
    fn a_linked_path_is_measured_and_wrapped_by_its_visible_text() {
        let path = "exercises/01_futures/futures2.rs";
        let link = format!("\x1b]8;;file:///course/{path}\x1b\\{path}\x1b]8;;\x1b\\");
        assert_eq!(visible_len(&link), path.len());
        let mut linked = view("", Status::Idle);
        linked.path_link = &link;
        let plain = view("", Status::Idle);
        // As wide as the plain top row (it fits on one row), then narrower (it wraps): the rows
        // break where the plain ones do, and the link is never cut.
        let full = format!("asyncling · futures2 · 3/10 done · {path}")
            .chars()
            .count();
        for w in [full, full - 5, 40] {
            let with_link = top_rows(&linked, w, w < 60);
            let without = top_rows(&plain, w, w < 60);
            assert_eq!(with_link.len(), without.len(), "{with_link:?}");
            assert!(with_link.iter().any(|r| r.contains(&link)), "{with_link:?}");
        }
        assert_eq!(top_rows(&linked, full, false)[0].matches('\x1b').count(), 4);
    }
}
