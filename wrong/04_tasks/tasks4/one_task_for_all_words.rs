// wrong answer: spawns one task that owns all the words, and returns a handle per word only for the first; `one_task_for_all_words_is_rejected` catches it.
// tasks4: a spawned task must own what it uses ('static)
//
// A spawned task runs on its own: the function that spawned it may return, and its locals be
// dropped, long before the task is polled for the first time. So `spawn` (ours, tokio's, any
// executor's) requires the future to be `'static`: it may not borrow anything from the caller.
// The fix is always the same: give the task its own data, by moving in an owned value (a
// clone, a `String` instead of a `&str`, an `Arc` for something shared).
//
// `spawn_lengths` starts one tokio task per word; each task answers its word's length. It does
// not compile: every task borrows a word that belongs to the caller. Make each task own its
// word. Keep one task per word, in order.

use tokio::task::JoinHandle;

fn spawn_lengths(words: &[String]) -> Vec<JoinHandle<usize>> {
    let words = words.to_vec();
    vec![tokio::spawn(async move { words.iter().map(|w| w.len()).sum() })]
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::resident_bytes;

    fn owned(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    async fn results(handles: Vec<JoinHandle<usize>>) -> Vec<usize> {
        let mut lengths = Vec::new();
        for handle in handles {
            lengths.push(handle.await.expect("the task panicked"));
        }
        lengths
    }

    #[tokio::test]
    async fn tasks_outlive_the_callers_words() {
        let handles = {
            let words = owned(&["spawn", "needs", "static"]);
            spawn_lengths(&words)
            // `words` is dropped here; the tasks must not need it.
        };
        assert_eq!(results(handles).await, [5, 5, 6]);
    }

    #[tokio::test]
    async fn one_task_for_all_words_is_rejected() {
        let words = owned(&["a", "bb", "ccc", "dddd"]);
        let handles = spawn_lengths(&words);
        assert_eq!(handles.len(), 4, "one task per word");
        assert_eq!(
            results(handles).await,
            [1, 2, 3, 4],
            "each task answers for its own word"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn handles_out_of_word_order_are_rejected() {
        let words: Vec<String> = (0..50).map(|n| "x".repeat(n)).collect();
        let lengths = results(spawn_lengths(&words)).await;
        assert_eq!(lengths, (0..50).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn words_leaked_to_make_them_static_are_rejected() {
        const MIB: usize = 1 << 20;
        // Four words of a mebibyte each. Copies that are freed again are reused from one call to
        // the next; copies leaked to get a `&'static str` for a task add 4 MiB a call.
        let words: Vec<String> = (0..4).map(|n| "w".repeat(MIB + n)).collect();
        results(spawn_lengths(&words)).await; // warm up
        let Some(before) = resident_bytes() else {
            return; // Elsewhere than on Linux there is nothing to measure.
        };
        for _ in 0..10 {
            let lengths = results(spawn_lengths(&words)).await;
            assert_eq!(lengths, [MIB, MIB + 1, MIB + 2, MIB + 3]);
        }
        let grew = resident_bytes().unwrap_or(before).saturating_sub(before);
        assert!(
            grew < 20 * MIB as u64,
            "memory grew by {} MiB over ten calls: `Box::leak` to get a `'static` word for a \
             spawned task? Move an owned copy (`word.clone()`) into the task instead",
            grew / MIB as u64
        );
    }
}
