// wrong answer: the moved text is counted at once without awaiting `count_words_later`, so the future never waits its turn; `counting_before_the_await_is_rejected` catches it.
//
// A future built from an `async fn` that takes `&str` holds that reference until it finishes,
// across every `.await`. Such a future cannot outlive the string it borrows, so it cannot be
// stored for later, handed to a task queue or sent to another thread, all of which need a
// `'static` future.
//
// `count_words_later` is fine as it is. `start_count` must return a future that owns what it
// needs: as written it just forwards the borrow, and the compiler refuses because the return
// type promises `'static`. Fix `start_count` (only its body): copy the text into a `String`,
// move that into an `async move` block, and await `count_words_later` on a borrow of the
// block's own copy. Borrowing inside the future is fine; the future owns the string it borrows.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Pending once (after waking its waker), then Ready. Given; do not change.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Waits for its turn, then counts the words of `text`. Holds `text` across the await.
async fn count_words_later(text: &str) -> usize {
    YieldOnce { yielded: false }.await;
    text.split_whitespace().count()
}

/// Starts counting the words of `text`; the returned future may outlive `text`.
fn start_count(text: &str) -> impl Future<Output = usize> + 'static {
    let owned = text.to_owned();
    async move { owned.split_whitespace().count() }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, block_on_checked, poll_once};
    use std::pin::pin;

    #[test]
    fn future_outlives_the_text_it_counts() {
        let fut = {
            let text = String::from("the future owns its data");
            start_count(&text)
            // `text` is dropped here, before the future runs.
        };
        assert_eq!(block_on_checked(fut), 5);
    }

    #[test]
    fn hard_coded_count_is_rejected() {
        for (text, words) in [("", 0), ("one", 1), ("  spaced   out  words ", 3)] {
            assert_eq!(
                block_on_checked(start_count(text)),
                words,
                "words in {text:?}"
            );
        }
    }

    #[test]
    fn counting_before_the_await_is_rejected() {
        let counter = CountingWaker::new();
        let mut fut = pin!(start_count("still waits its turn"));
        assert!(
            poll_once(fut.as_mut(), &counter.waker()).is_pending(),
            "the future must still wait once, as count_words_later does"
        );
        assert_eq!(poll_once(fut.as_mut(), &counter.waker()), Poll::Ready(4));
    }

    #[test]
    fn non_send_future_is_rejected() {
        let fut = start_count("sent across threads");
        let handle = std::thread::spawn(move || block_on_checked(fut));
        assert_eq!(handle.join().unwrap(), 3);
    }
}
