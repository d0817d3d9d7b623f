//! Plain-words explanations added under the compiler's own output for the errors every async
//! learner meets. (A check that hung is explained by `hang`.)

use crate::cargo::Diagnostic;

struct Known {
    /// Does this diagnostic show the problem?
    matches: fn(&Diagnostic) -> bool,
    title: &'static str,
    text: &'static str,
}

const KNOWN: &[Known] = &[
    Known {
        matches: |d| {
            d.message.contains("cannot be sent between threads safely")
                || d.rendered.contains("future is not `Send`")
        },
        title: "The future is not `Send`",
        text: "A multi-threaded executor may move a task to another thread at any `.await`, so \
               everything the future keeps alive across an `.await` must be `Send`. An `Rc`, a \
               `RefCell` borrow or a `std::sync::MutexGuard` held over an `.await` makes the whole \
               future `!Send`. Usually the fix is to stop holding it there: end its scope with a \
               block `{ ... }` before the `.await` (a lock guard: lock, work, release, then await). \
               `drop(x)` is not always enough: a value that has been borrowed, as a guard is to \
               reach the data, counts as held until its scope ends. Replace an `Rc` with an `Arc`. \
               Reach for `tokio::sync::Mutex` only when the lock must really stay held across the \
               `.await`; it compiles, but every other task that wants the lock waits while this \
               one sleeps. The compiler's note \"has type ... which is not `Send`\" names the \
               culprit and \"await occurs here\" shows where it is held.",
    },
    Known {
        matches: |d| {
            matches!(
                d.code.as_deref(),
                Some("E0597" | "E0373" | "E0521" | "E0716")
            ) && (d.rendered.contains("'static") || d.rendered.contains("may outlive"))
        },
        title: "A spawned task must own what it uses (`'static`)",
        text: "`spawn` may run the task after the current function has returned, so the task cannot \
               borrow the caller's local variables. Move ownership into the task instead: an \
               `async move` block, a clone of an `Arc`, or an owned `String`/`Vec` rather than a \
               reference. If the work really must borrow, await it in place (or use a scoped API) \
               instead of spawning it.",
    },
    Known {
        matches: |d| d.message.contains("Unpin") || d.rendered.contains("cannot be unpinned"),
        title: "`Unpin` is not satisfied",
        text: "`Future::poll` takes `Pin<&mut Self>`. `Pin::new` and `.get_mut()` only work for \
               types that are `Unpin` (safe to move after being polled); an `async` block or a \
               struct with `PhantomPinned` is not. Pin it first: `std::pin::pin!(fut)` on the stack \
               or `Box::pin(fut)` on the heap, then poll `fut.as_mut()`. Inside your own combinator, \
               project the pin to the field instead of moving the field out.",
    },
    Known {
        matches: names_a_crate_the_exercise_lacks,
        title: "A crate this exercise is built without",
        text: "Each exercise is compiled with only the crates it needs (its `features` in \
               info.toml), so that a check never waits for crates it does not use: the first \
               exercise uses std alone, later ones add the reference runtime or tokio, and \
               `futures`, `tokio-util`, `tokio-stream`, `bytes` and `tracing` come with chapter \
               24 and later. Solve this one with what its file already imports.",
    },
];

/// The optional crates of this course's exercise package, as code names them.
const OPTIONAL_CRATES: &[&str] = &[
    "tokio",
    "runtime_reference",
    "futures",
    "tokio_util",
    "tokio_stream",
    "bytes",
    "tracing",
    "tracing_subscriber",
];

/// rustc's "cannot find module or crate `tokio`" (older: "unresolved module or unlinked crate",
/// "unresolved import") for one of the optional crates.
fn names_a_crate_the_exercise_lacks(d: &Diagnostic) -> bool {
    matches!(d.code.as_deref(), Some("E0432" | "E0433"))
        && OPTIONAL_CRATES.iter().any(|c| {
            let quoted = format!("`{c}`");
            d.message.contains(&format!("crate {quoted}"))
                || d.message == format!("unresolved import {quoted}")
        })
}

/// Explanations for the build errors of one exercise, each once.
pub fn for_build(diagnostics: &[Diagnostic]) -> Vec<String> {
    KNOWN
        .iter()
        .filter(|k| diagnostics.iter().any(|d| d.is_error() && (k.matches)(d)))
        .map(|k| format!("{}: {}", k.title, k.text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(code: Option<&str>, message: &str, rendered: &str) -> Diagnostic {
        Diagnostic {
            level: "error".into(),
            code: code.map(String::from),
            rendered: rendered.into(),
            file: None,
            line: None,
            message: message.into(),
        }
    }

    #[test]
    fn not_send_is_explained() {
        let d = diag(
            Some("E0277"),
            "`Rc<u8>` cannot be sent between threads safely",
            "",
        );
        let e = for_build(&[d]);
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("not `Send`"));
    }

    #[test]
    fn a_crate_the_exercise_is_built_without_is_explained() {
        for message in [
            "cannot find module or crate `tokio` in this scope",
            "failed to resolve: use of unresolved module or unlinked crate `futures`",
            "unresolved import `tracing`",
        ] {
            let e = for_build(&[diag(Some("E0433"), message, "")]);
            assert_eq!(e.len(), 1, "{message}");
            assert!(e[0].contains("features"), "{}", e[0]);
        }
        // A learner's own missing module is not that.
        let own = diag(
            Some("E0433"),
            "cannot find module or crate `helpers` in this scope",
            "",
        );
        assert!(for_build(&[own]).is_empty());
    }

    #[test]
    fn static_borrow_is_explained_and_unrelated_errors_are_not() {
        let spawn = diag(
            Some("E0597"),
            "`x` does not live long enough",
            "argument requires that `x` is borrowed for `'static`",
        );
        let typo = diag(Some("E0425"), "cannot find value `y` in this scope", "");
        let e = for_build(&[spawn, typo]);
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("'static"));
    }
}
