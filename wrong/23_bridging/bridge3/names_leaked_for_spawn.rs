// wrong answer: fetches concurrently in spawned tasks and satisfies `'static` by leaking each name with `Box::leak`; names_leaked_to_make_them_static_are_rejected fails (the process's memory grows by the leaked names on every call).
// bridge3: no `block_on` inside async code
//
// `Handle::block_on` (and `Runtime::block_on`) block the current thread until a future is done.
// Called from a plain thread, that is the bridge of runtime3. Called from code that is already
// running on the runtime, it is a deadlock in the making: the thread it blocks is the one that
// should be driving the future. Tokio refuses and panics with "Cannot start a runtime from
// within a runtime". Wrapping it in `block_in_place` only moves the problem (it panics on a
// `current_thread` runtime and ties up a worker on the others).
//
// The fix is to stay async all the way: a function that needs the result of a future becomes
// `async` itself and `.await`s it. Closures cannot `.await`, so an iterator chain that called
// the sync helper becomes a `for` loop.
//
// Fix `total_size` so it no longer needs `size_of_blocking`, then delete that helper. Do not
// change the tests.

use std::time::Duration;

/// Asks a (slow) remote service for the size of `name`.
async fn fetch_size(name: &str) -> u64 {
    tokio::time::sleep(Duration::from_millis(10)).await;
    name.len() as u64 * 100
}

/// The total size of every named item.
async fn total_size(names: &[&str]) -> u64 {
    let mut set = tokio::task::JoinSet::new();
    for name in names {
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        set.spawn(fetch_size(name));
    }
    let mut total = 0;
    while let Some(size) = set.join_next().await {
        total += size.unwrap();
    }
    total
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{finishes_within, resident_bytes};
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::time::Instant;

    /// Runs `test` on a fresh single-thread runtime with a paused clock, on a thread of its own,
    /// and fails after 400 ms of real time instead of hanging: a `total_size` that blocks its
    /// thread waiting for a timer only this same thread could drive never comes back.
    fn run_paused<T: Send + 'static>(test: impl Future<Output = T> + Send + 'static) -> T {
        finishes_within(
            Duration::from_millis(400),
            "total_size never returned: it blocked the runtime's only thread while waiting for a \
             fetch that needs that thread to run (await it instead)",
            move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .start_paused(true)
                    .build()
                    .unwrap()
                    .block_on(test)
            },
        )
    }

    #[test]
    fn block_on_inside_the_runtime_is_rejected() {
        let totals =
            run_paused(async { (total_size(&["a", "bb", "ccc"]).await, total_size(&[]).await) });
        assert_eq!(totals, (600, 0));
    }

    #[test]
    fn waiting_on_a_thread_that_this_runtime_must_drive_is_rejected() {
        // Sending the fetch to another thread and joining it blocks this runtime's only thread;
        // the fetch's timer belongs to this runtime, so nothing ever fires.
        assert_eq!(run_paused(async { total_size(&["abcd"]).await }), 400);
    }

    #[test]
    fn names_leaked_to_make_them_static_are_rejected() {
        const MIB: usize = 1 << 20;
        // Four names of a mebibyte each. Copies that are freed again are reused from one call to
        // the next; copies leaked to get a `&'static str` for a spawned task add 4 MiB a call.
        let grew = run_paused(async {
            let names: Vec<String> = (0..4).map(|n| "n".repeat(MIB + n)).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            total_size(&names).await; // warm up
            let before = resident_bytes()?;
            for _ in 0..10 {
                assert_eq!(total_size(&names).await, (4 * MIB as u64 + 6) * 100);
            }
            Some(resident_bytes()?.saturating_sub(before))
        });
        // Elsewhere than on Linux there is nothing to measure.
        if let Some(grew) = grew {
            assert!(
                grew < 20 * MIB as u64,
                "memory grew by {} MiB over ten calls: `Box::leak` to get a `'static` name for a \
                 spawned task? Move an owned copy (`name.to_string()`) into the task instead",
                grew / MIB as u64
            );
        }
    }

    #[test]
    fn blocking_the_runtime_thread_while_waiting_is_rejected() {
        let (total, ticked, waited) = run_paused(async {
            let ticks = Arc::new(AtomicU32::new(0));
            let ticker = tokio::spawn({
                let ticks = ticks.clone();
                async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        ticks.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
            let start = Instant::now();
            let total = total_size(&["x", "y", "z"]).await;
            let waited = start.elapsed();
            ticker.abort();
            (total, ticks.load(Ordering::SeqCst), waited)
        });
        assert_eq!(total, 300);
        assert!(
            waited >= Duration::from_millis(10),
            "total_size took {waited:?} of this runtime's clock, less than one 10 ms fetch: the \
             fetches ran on another runtime while this thread sat blocked"
        );
        let waited_ms = waited.as_millis() as u32;
        assert!(
            ticked + 2 >= waited_ms,
            "the ticker ticked {ticked} times during {waited_ms} ms of fetching: total_size \
             blocked the runtime thread instead of awaiting"
        );
    }
}
