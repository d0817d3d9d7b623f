// wrong answer: the task is spawned but its JoinHandle is not awaited, so transfer returns before the deposit; returning_before_the_deposit_is_rejected.
// cancel3: spawn the part that must not be cancelled
//
// Some work is two steps that only make sense together: take money out of one account, then
// (after a slow round trip to the other bank) put it into another. If the future doing this is
// dropped between the steps (the caller hit a timeout, lost a `select!`, or hung up) the money
// has left one account and never reached the other.
//
// A spawned task is not cancelled when the code awaiting its `JoinHandle` is: dropping a
// `JoinHandle` detaches the task, it does not stop it. So put both steps in one task, spawn it,
// and await the handle. The caller can still give up waiting; the transfer still finishes.
//
//     caller:  transfer(..) --await--> JoinHandle      (may be dropped: fine)
//     task:    withdraw -> round trip -> deposit        (runs to the end either way)
//
// Change `transfer` so it survives its caller being cancelled. Do not change the tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The round trip to the other bank.
const ROUND_TRIP: Duration = Duration::from_millis(50);

#[derive(Default)]
struct Ledger {
    balances: Mutex<HashMap<&'static str, i64>>,
}

impl Ledger {
    fn with(accounts: &[(&'static str, i64)]) -> Arc<Ledger> {
        let ledger = Ledger::default();
        ledger
            .balances
            .lock()
            .unwrap()
            .extend(accounts.iter().copied());
        Arc::new(ledger)
    }

    fn add(&self, account: &'static str, amount: i64) {
        *self.balances.lock().unwrap().entry(account).or_insert(0) += amount;
    }

    fn balance(&self, account: &'static str) -> i64 {
        self.balances
            .lock()
            .unwrap()
            .get(account)
            .copied()
            .unwrap_or(0)
    }
}

/// Moves `amount` from `from` to `to`. Once started, it completes even if the caller stops
/// waiting; when it returns normally, both steps are done.
async fn transfer(ledger: Arc<Ledger>, from: &'static str, to: &'static str, amount: i64) {
    let both_steps = tokio::spawn(async move {
        ledger.add(from, -amount);
        tokio::time::sleep(ROUND_TRIP).await;
        ledger.add(to, amount);
    });
    drop(both_steps);
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    const STUCK: &str = "a test did not finish within a second of real time: some task is spinning (a loop that never waits), which also freezes tokio's paused clock";

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

    #[test]
    fn transfer_left_half_done_by_a_timeout_is_rejected() {
        paused(|| async {
            let ledger = Ledger::with(&[("alice", 100), ("bob", 0)]);
            // The caller gives up after 10 ms, in the middle of the round trip.
            let waited = tokio::time::timeout(
                Duration::from_millis(10),
                transfer(ledger.clone(), "alice", "bob", 30),
            )
            .await;
            assert!(
                waited.is_err(),
                "the round trip takes 50 ms: the caller timed out"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(ledger.balance("alice"), 70);
            assert_eq!(
                ledger.balance("bob"),
                30,
                "the caller was cancelled mid-transfer and the deposit never happened: 30 vanished"
            );
        });
    }

    #[test]
    fn returning_before_the_deposit_is_rejected() {
        paused(|| async {
            let ledger = Ledger::with(&[("alice", 100), ("bob", 0)]);
            transfer(ledger.clone(), "alice", "bob", 25).await;
            assert_eq!(
                (ledger.balance("alice"), ledger.balance("bob")),
                (75, 25),
                "when transfer returns, both steps must be done (await the JoinHandle)"
            );
        });
    }

    #[test]
    fn losing_branch_of_a_select_left_half_done_is_rejected() {
        paused(|| async {
            let ledger = Ledger::with(&[("alice", 100), ("bob", 0), ("carol", 0)]);
            // Two transfers race; select! drops the loser as soon as the winner is done.
            tokio::select! {
                _ = transfer(ledger.clone(), "alice", "bob", 10) => {}
                _ = transfer(ledger.clone(), "alice", "carol", 20) => {}
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let total: i64 = ["alice", "bob", "carol"]
                .iter()
                .map(|a| ledger.balance(a))
                .sum();
            assert_eq!(total, 100, "money was created or destroyed");
            assert_eq!(
                (ledger.balance("bob"), ledger.balance("carol")),
                (10, 20),
                "the losing transfer of the select! must still finish"
            );
        });
    }
}
