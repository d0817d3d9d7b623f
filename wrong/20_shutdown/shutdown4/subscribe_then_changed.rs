// wrong answer: cancelled() waits for changed() on a new subscribe(), which counts the current value as seen, so a cancel that came first is missed; missing_a_cancel_that_came_first_is_rejected.
// shutdown4: a cancellation token built from a watch channel
//
// `tokio_util::sync::CancellationToken` is the usual way to tell many tasks "stop now". Its core
// is small enough to build from a `watch::channel(false)`: cancelling sets the value to `true`,
// and waiting means waiting until the value is `true`. Every clone of the token shares the one
// channel, so cancelling any clone cancels them all.
//
// Write `cancel`, `is_cancelled` and `cancelled`. `cancelled().await` finishes once the token is
// cancelled — also when that happened long before anyone started waiting. That is the trap:
// `changed()` waits for the *next* change, and a fresh receiver counts the current value as seen.
// `watch::Receiver::wait_for` checks the current value first.

use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
struct CancelToken {
    sender: Arc<watch::Sender<bool>>,
    receiver: watch::Receiver<bool>,
}

impl CancelToken {
    fn new() -> Self {
        let (sender, receiver) = watch::channel(false);
        CancelToken {
            sender: Arc::new(sender),
            receiver,
        }
    }

    fn cancel(&self) {
        // `send` fails when no receiver is left; `send_replace` stores the value regardless.
        self.sender.send_replace(true);
    }

    fn is_cancelled(&self) -> bool {
        *self.receiver.borrow()
    }

    async fn cancelled(&self) {
        let mut receiver = self.sender.subscribe();
        let _ = receiver.changed().await;
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::{Instant, timeout};

    const STUCK: &str = "a test did not finish within a second of real time: cancelled() is spinning (a loop that never waits, such as checking the flag and yielding), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, in a thread of its own, and
    // fails the test if the body has not finished after one second of real time. The paused
    // clock only moves while every task waits, so a task that never stops running freezes it
    // and no `timeout` inside the body could fire: this real-time limit catches that case.
    fn paused<Fut: std::future::Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime");
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(body())));
            let _ = finished.send(result);
        });
        match outcome.recv_timeout(std::time::Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => {
                // The stuck thread cannot be stopped and would starve the other tests: end the
                // whole test run now, with the reason written straight to stderr (not captured).
                let test = std::thread::current()
                    .name()
                    .unwrap_or("a test")
                    .to_string();
                let mut stderr = std::io::stderr();
                let _ = std::io::Write::write_all(
                    &mut stderr,
                    format!(
                        "
test {test} FAILED: {STUCK}
"
                    )
                    .as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

    // Time is paused: waiting that never ends fails at once instead of hanging.
    async fn cancelled_within(token: &CancelToken, limit: Duration) -> bool {
        timeout(limit, token.cancelled()).await.is_ok()
    }

    #[test]
    fn resolving_before_cancel_is_rejected() {
        paused(|| async {
            let token = CancelToken::new();
            assert!(!token.is_cancelled(), "a new token is not cancelled");
            assert!(
                !cancelled_within(&token, Duration::from_millis(50)).await,
                "cancelled() finished although nobody cancelled the token"
            );
        });
    }

    #[test]
    fn missing_a_cancel_that_came_first_is_rejected() {
        paused(|| async {
            let token = CancelToken::new();
            let clone = token.clone();
            clone.cancel();
            assert!(
                token.is_cancelled(),
                "cancelling a clone cancels every clone"
            );
            assert!(
                cancelled_within(&token, Duration::from_millis(50)).await,
                "the token was cancelled before cancelled() was called; it must finish at once \
                 (a fresh receiver's changed() waits for a change that already happened)"
            );
            assert!(
                cancelled_within(&clone.clone(), Duration::from_millis(50)).await,
                "a clone made after the cancel must see it too"
            );
        });
    }

    // A token whose receiver has already marked the cancel as seen: after a `borrow_and_update()`
    // or an earlier `changed()`, or because it subscribed after the cancel.
    fn token_that_has_seen_its_cancel(subscribe: bool) -> CancelToken {
        let (sender, mut receiver) = watch::channel(false);
        sender.send_replace(true);
        let receiver = if subscribe {
            sender.subscribe()
        } else {
            receiver.borrow_and_update();
            receiver
        };
        CancelToken {
            sender: Arc::new(sender),
            receiver,
        }
    }

    #[test]
    fn waiting_for_a_change_instead_of_the_value_is_rejected() {
        paused(|| async {
            for subscribe in [false, true] {
                let token = token_that_has_seen_its_cancel(subscribe);
                assert!(
                    token.is_cancelled(),
                    "the value is true: the token is cancelled"
                );
                assert!(
                    cancelled_within(&token, Duration::from_millis(50)).await,
                    "the token's receiver had already seen the cancel, and cancelled() waited for \
                     another change: `changed()` on a clone of that receiver (the clone copies what it \
                     has seen) or on a new `subscribe()` waits for a change that never comes. Look at \
                     the value itself (`wait_for`)"
                );
            }
        });
    }

    #[test]
    fn waking_only_one_waiter_is_rejected() {
        paused(|| async {
            let token = CancelToken::new();
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let token = token.clone();
                    tokio::spawn(
                        async move { cancelled_within(&token, Duration::from_secs(1)).await },
                    )
                })
                .collect();
            tokio::task::yield_now().await;
            token.cancel();
            for waiter in waiters {
                assert!(
                    waiter.await.unwrap(),
                    "every waiting clone must wake on cancel"
                );
            }
        });
    }

    #[test]
    fn workers_stop_at_the_cancel() {
        paused(|| async {
            let token = CancelToken::new();
            let worker = {
                let token = token.clone();
                tokio::spawn(async move {
                    let mut ticks = 0;
                    loop {
                        tokio::select! {
                            _ = token.cancelled() => return ticks,
                            _ = tokio::time::sleep(Duration::from_millis(10)) => ticks += 1,
                        }
                    }
                })
            };
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(35)).await;
            token.cancel();
            let ticks = timeout(Duration::from_secs(1), worker)
                .await
                .expect("the worker never saw the cancel")
                .unwrap();
            assert_eq!(
                ticks, 3,
                "the worker ticks every 10 ms until the cancel at 35 ms"
            );
            assert_eq!(start.elapsed(), Duration::from_millis(35));
        });
    }
}
