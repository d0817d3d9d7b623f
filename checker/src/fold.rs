//! Test output a learner can read: backtrace frames from std, tokio and the reference runtime
//! folded into one line, whatever `RUST_BACKTRACE` says; the place a test panicked; a batch run's
//! output made to read exactly like the exercise's own run.

use std::path::Path;

/// Frames of these crates are machinery, not the learner's code (a `<Type as Trait>` frame is
/// judged by its type).
const FOREIGN_PREFIXES: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "tokio::",
    "tokio_macros::",
    "runtime_reference::",
    "test::",
    "__rust",
    "rust_begin_unwind",
    "rust_panic",
    "F as ",
    "T as ",
    "__libc",
    "__clone",
];
const FOREIGN_EXACT: &[&str] = &[
    "main",
    "clone",
    "clone3",
    "start_thread",
    "_start",
    "<unknown>",
];

fn is_foreign(symbol: &str, location: Option<&str>) -> bool {
    if let Some(at) = location
        && (at.starts_with("/rustc/")
            || at.contains("/.cargo/registry/")
            || at.contains("runtime-reference/src/"))
    {
        return true;
    }
    let s = symbol.trim_start_matches('<');
    FOREIGN_EXACT.contains(&symbol) || FOREIGN_PREFIXES.iter().any(|p| s.starts_with(p))
}

/// A frame's number line: `  12: some::symbol`.
fn frame_symbol(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let (num, rest) = t.split_once(": ")?;
    (!num.is_empty() && num.chars().all(|c| c.is_ascii_digit())).then_some(rest.trim())
}

fn frame_location(line: &str) -> Option<&str> {
    line.trim_start().strip_prefix("at ")
}

/// Folds every run of machinery frames in the backtraces of `text` into one line. The learner's
/// own frames stay, with their `at file:line` lines.
pub fn backtraces(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut in_trace = false;
    let mut folded = 0usize;
    let flush = |out: &mut Vec<String>, folded: &mut usize| {
        if *folded > 0 {
            out.push(format!(
                "      … {} frame{} of std, tokio or the runtime folded (`{} run --backtrace` shows them)",
                folded,
                if *folded == 1 { "" } else { "s" },
                crate::term::cmd()
            ));
            *folded = 0;
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_end() == "stack backtrace:" {
            in_trace = true;
            out.push(line.to_string());
            i += 1;
            continue;
        }
        if in_trace && let Some(symbol) = frame_symbol(line) {
            let mut j = i + 1;
            while j < lines.len() && frame_location(lines[j]).is_some() {
                j += 1;
            }
            let location = lines.get(i + 1).and_then(|l| frame_location(l));
            if is_foreign(symbol, location) {
                folded += 1;
            } else {
                flush(&mut out, &mut folded);
                out.extend(lines[i..j].iter().map(|l| l.to_string()));
            }
            i = j;
            continue;
        }
        if in_trace {
            flush(&mut out, &mut folded);
            in_trace = false;
        }
        out.push(line.to_string());
        i += 1;
    }
    flush(&mut out, &mut folded);
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// The first panic inside `file`: its line and message (`thread '…' panicked at FILE:LINE:COL:`
/// followed by the message).
pub fn panic_in(text: &str, file: &Path) -> Option<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some((_, at)) = line.split_once("panicked at ") else {
            continue;
        };
        let at = at.trim_end().trim_end_matches(':');
        let mut parts = at.rsplitn(3, ':');
        let (_col, line_no, path) = (parts.next(), parts.next(), parts.next());
        let (Some(line_no), Some(path)) = (line_no.and_then(|l| l.parse().ok()), path) else {
            continue;
        };
        let p = Path::new(path);
        if !(p.ends_with(file) || file.ends_with(p)) {
            continue;
        }
        let message: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| {
                !l.trim().is_empty() && !l.starts_with("note: ") && **l != "stack backtrace:"
            })
            .take(3)
            .copied()
            .collect();
        let message: Vec<&str> = message.iter().map(|l| l.trim()).collect();
        return Some((line_no, message.join(" ")));
    }
    None
}

/// A batch run's output as the exercise's own run prints it: test names without the module
/// prefix, no crate name of the batch, no count of the other exercises' tests filtered out, and
/// paths relative to the workspace root.
pub fn unbatch(text: &str, module: &str, ws_root: &Path) -> String {
    let mut s = text.to_string();
    // `asyncling_batch_3::` in backtrace symbols: the exercise's own crate is named after it.
    let mut from = 0;
    while let Some(found) = s[from..].find("asyncling_batch_") {
        let at = from + found;
        let rest = &s[at + "asyncling_batch_".len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with("::") {
            s.replace_range(at..at + "asyncling_batch_".len() + digits + 2, "");
        } else {
            from = at + 1;
        }
    }
    // Test names: `module::tests::x` in the batch, `tests::x` in the exercise's own harness.
    for (before, after) in [
        (format!("test {module}::"), "test ".to_string()),
        (format!("---- {module}::"), "---- ".to_string()),
        (format!("thread '{module}::"), "thread '".to_string()),
        (format!("\n    {module}::"), "\n    ".to_string()),
    ] {
        s = s.replace(&before, &after);
    }
    let root = format!("{}/", ws_root.display());
    s = s.replace(&root, "");
    s.lines()
        .map(|l| match l.find(" filtered out") {
            Some(end) => {
                let start = l[..end].rfind("; ").map_or(0, |p| p + 2);
                format!("{}0{}", &l[..start], &l[end..])
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "\
thread 'tests::adds' panicked at exercises/ch/fail_test.rs:12:9:
assertion `left == right` failed
  left: 1
 right: 3
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/abc/library/std/src/panicking.rs:697:5
   1: core::panicking::panic_fmt
             at /rustc/abc/library/core/src/panicking.rs:75:14
   2: fail_test::tests::adds::{{closure}}
             at ./ch/fail_test.rs:12:9
   3: <core::pin::Pin<P> as core::future::future::Future>::poll
   4: tokio::runtime::park::CachedParkThread::block_on
             at /home/u/.cargo/registry/src/index/tokio-1.47.0/src/runtime/park.rs:285:60
   5: fail_test::tests::adds
             at ./ch/fail_test.rs:10:5
   6: core::ops::function::FnOnce::call_once
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
";

    #[test]
    fn machinery_frames_are_folded_and_the_learners_kept() {
        let f = backtraces(TRACE);
        assert!(f.contains("fail_test::tests::adds::{{closure}}"), "{f}");
        assert!(f.contains("at ./ch/fail_test.rs:10:5"), "{f}");
        assert!(!f.contains("tokio::runtime"), "{f}");
        assert!(!f.contains("rust_begin_unwind"), "{f}");
        assert!(f.contains("2 frames of std"), "{f}");
        assert!(f.contains("assertion `left == right` failed"));
        assert!(f.contains("note: Some details"));
    }

    #[test]
    fn the_panic_line_in_the_learners_file_is_found() {
        let (line, msg) = panic_in(TRACE, Path::new("exercises/ch/fail_test.rs")).unwrap();
        assert_eq!(line, 12);
        assert!(msg.starts_with("assertion `left == right` failed"), "{msg}");
        assert!(panic_in(TRACE, Path::new("exercises/ch/other.rs")).is_none());
    }

    #[test]
    fn batch_output_reads_like_the_exercises_own() {
        let text = "running 1 test\ntest fail_test::tests::adds ... FAILED\n\
                    thread 'fail_test::tests::adds' panicked at /w/c/exercises/ch/fail_test.rs:3:5:\n\
                    \x20  2: asyncling_batch_1::fail_test::tests::adds\n\
                    test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 224 filtered out; finished in 0.00s\n";
        let u = unbatch(text, "fail_test", Path::new("/w/c"));
        assert!(u.contains("test tests::adds ... FAILED"), "{u}");
        assert!(
            u.contains("panicked at exercises/ch/fail_test.rs:3:5"),
            "{u}"
        );
        assert!(u.contains("   2: fail_test::tests::adds"), "{u}");
        assert!(u.contains("; 0 filtered out; finished"), "{u}");
    }
}
