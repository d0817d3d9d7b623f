// wrong answer: kick cancels the server token instead of the session token, which ends every session; kicking_one_session_ends_every_session_is_rejected.
// eco4: one cancellation token per session, all children of the server's token
//
// In shutdown4 you built a cancellation token from a `watch` channel: one flag that every clone
// shares. `tokio_util::sync::CancellationToken` is that token, and it adds a tree:
// `token.child_token()` makes a new token that is cancelled when its parent is, while
// cancelling the child leaves the parent (and every other child) alone. A clone, by contrast,
// *is* the same token: cancelling a clone cancels the original. `cancel()` marks the token,
// `is_cancelled()` reads the mark, `cancelled().await` finishes once it is set, at once if it
// was set before the wait began. A child made from a token that is already cancelled starts out
// cancelled.
//
// A chat server runs one task per session. Kicking a user ends that session only; shutting the
// server down ends every session, and a session opened after the shutdown ends at once.
//
// Write `session` (a heartbeat every TICK, and an end as soon as its token is cancelled, even
// in the middle of a TICK), then `open`, `kick` and `shutdown`.

use std::collections::HashMap;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const TICK: Duration = Duration::from_millis(100);

/// Sends a heartbeat every TICK until `token` is cancelled; returns the number sent.
async fn session(token: CancellationToken) -> u32 {
    let mut beats = 0;
    loop {
        tokio::select! {
            _ = token.cancelled() => return beats,
            _ = tokio::time::sleep(TICK) => beats += 1,
        }
    }
}

struct Sessions {
    /// Cancelled when the whole server shuts down.
    shutdown: CancellationToken,
    /// The token of every open session, by session id.
    open: HashMap<u32, CancellationToken>,
}

impl Sessions {
    fn new() -> Self {
        Sessions {
            shutdown: CancellationToken::new(),
            open: HashMap::new(),
        }
    }

    /// Starts session `id` as a task of its own.
    fn open(&mut self, id: u32) -> JoinHandle<u32> {
        let token = self.shutdown.child_token();
        self.open.insert(id, token.clone());
        tokio::spawn(session(token))
    }

    /// Ends session `id`, and no other.
    fn kick(&mut self, id: u32) {
        if self.open.remove(&id).is_some() {
            self.shutdown.cancel();
        }
    }

    /// Ends every session, those opened later included.
    fn shutdown(&self) {
        self.shutdown.cancel();
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;
    use tokio::time::{Instant, sleep, timeout};

    const STUCK: &str = "a test did not finish within a second of real time: a session is spinning (a loop that never waits), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, failing the test if it is
    // still running after a second of real time: a spinning task also freezes the paused clock.
    fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    /// The heartbeats of a session that must have ended, or a failure naming `why`.
    async fn ended(session: JoinHandle<u32>, why: &str) -> u32 {
        match timeout(Duration::from_secs(10), session).await {
            Ok(beats) => beats.expect("a session panicked"),
            Err(_) => panic!("{why}"),
        }
    }

    #[test]
    fn kicking_one_session_ends_every_session_is_rejected() {
        paused(|| async {
            let mut sessions = Sessions::new();
            let first = sessions.open(1);
            let second = sessions.open(2);
            sleep(Duration::from_millis(250)).await;
            sessions.kick(1);
            assert_eq!(ended(first, "a kicked session must end").await, 2);
            sleep(Duration::from_millis(100)).await;
            assert!(
                !second.is_finished(),
                "kicking session 1 ended session 2 too: each session needs a child token, not a clone of the server's (cancelling a clone cancels the original)"
            );
            sessions.shutdown();
            assert_eq!(ended(second, "shutdown must end every session").await, 3);
        });
    }

    #[test]
    fn shutdown_missing_a_session_is_rejected() {
        paused(|| async {
            let mut sessions = Sessions::new();
            let open: Vec<_> = (1..=3).map(|id| sessions.open(id)).collect();
            sleep(Duration::from_millis(150)).await;
            sessions.shutdown();
            for session in open {
                let beats = ended(
                    session,
                    "a session was still running after shutdown: its token must be a child of the server's token",
                )
                .await;
                assert_eq!(beats, 1);
            }
        });
    }

    #[test]
    fn cancel_noticed_only_at_the_next_heartbeat_is_rejected() {
        paused(|| async {
            let mut sessions = Sessions::new();
            let one = sessions.open(1);
            sleep(Duration::from_millis(250)).await;
            sessions.kick(1);
            let kicked_at = Instant::now();
            assert_eq!(ended(one, "a kicked session must end").await, 2);
            assert_eq!(
                kicked_at.elapsed(),
                Duration::ZERO,
                "the session went on until its next heartbeat: wait for the token's cancelled() and the TICK at the same time"
            );
        });
    }

    #[test]
    fn session_opened_after_shutdown_keeps_running_is_rejected() {
        paused(|| async {
            let mut sessions = Sessions::new();
            sessions.shutdown();
            let late = sessions.open(7);
            let beats = ended(
                late,
                "a session opened after shutdown kept running: a child of a cancelled token starts out cancelled",
            )
            .await;
            assert_eq!(beats, 0);
        });
    }

    #[test]
    fn kicking_an_unknown_session_is_harmless() {
        paused(|| async {
            let mut sessions = Sessions::new();
            let one = sessions.open(1);
            sessions.kick(99);
            sleep(Duration::from_millis(150)).await;
            assert!(!one.is_finished());
            sessions.shutdown();
            assert_eq!(ended(one, "shutdown must end every session").await, 1);
        });
    }
}
