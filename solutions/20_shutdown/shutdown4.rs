// shutdown4: a cancellation token built from a watch channel
//
// `tokio_util::sync::CancellationToken` is the usual way to tell many tasks "stop now". Its core
// is small enough to build from a `watch::channel(false)`: cancelling sets the value to `true`,
// and waiting means waiting until the value is `true`. Every clone of the token shares the one
// channel, so cancelling any clone cancels them all.
//
// Write `cancel`, `is_cancelled` and `cancelled`. `cancelled().await` finishes once the token is
// cancelled — also when that happened long before anyone started waiting. That is the trap:
// `changed()` waits for a value newer than the last one *this receiver* has marked as seen.
// A receiver from `Sender::subscribe()` starts with the current value marked as seen, so after a
// cancel its `changed()` waits for a second change that never comes. `Receiver::clone()` copies
// the original's seen version instead, so `self.receiver.clone().changed()` only works while no
// receiver has marked the cancel as seen: it depends on bookkeeping, not on the value.
// `watch::Receiver::wait_for` checks the current value first, whatever has been seen.

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
        let mut receiver = self.receiver.clone();
        // Looks at the current value first, then at every change. It only fails if the sender
        // is gone, and this token holds the sender.
        let _ = receiver.wait_for(|cancelled| *cancelled).await;
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::{Instant, timeout};

    // Time is paused: waiting that never ends fails at once instead of hanging.
    async fn cancelled_within(token: &CancelToken, limit: Duration) -> bool {
        timeout(limit, token.cancelled()).await.is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn resolving_before_cancel_is_rejected() {
        let token = CancelToken::new();
        assert!(!token.is_cancelled(), "a new token is not cancelled");
        assert!(
            !cancelled_within(&token, Duration::from_millis(50)).await,
            "cancelled() finished although nobody cancelled the token"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn missing_a_cancel_that_came_first_is_rejected() {
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
    }

    #[tokio::test(start_paused = true)]
    async fn waking_only_one_waiter_is_rejected() {
        let token = CancelToken::new();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let token = token.clone();
                tokio::spawn(async move { cancelled_within(&token, Duration::from_secs(1)).await })
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
    }

    #[tokio::test(start_paused = true)]
    async fn workers_stop_at_the_cancel() {
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
    }
}
