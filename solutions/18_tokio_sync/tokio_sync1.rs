// tokio_sync1: hold a lock across an .await with tokio::sync::Mutex
//
// `deposit` must keep the account locked while it awaits the audit log: read the balance, await
// `audit`, write the new balance. If the lock were released around the `.await`, two deposits
// could read the same old balance and one of them would be lost.
//
// With `std::sync::Mutex` that does not work. Its guard must not cross an `.await`: the guard is
// not `Send`, so `tokio::spawn` refuses the future (the compiler error below), and a task parked
// while holding it would block every thread that tries to lock. `tokio::sync::Mutex` is built for
// this: `lock().await` waits as a future, and its guard may be held across `.await`.
//
// Switch this file to tokio's Mutex so the tests compile, and keep the lock held across `audit`.

use std::sync::Arc;
use tokio::sync::Mutex;

struct Account {
    balance: u64,
    history: Vec<u64>,
}

type Shared = Arc<Mutex<Account>>;

fn new_account() -> Shared {
    Arc::new(Mutex::new(Account {
        balance: 0,
        history: Vec::new(),
    }))
}

// Stands for a slow async call made while the account is locked (a write to an audit service).
async fn audit(_amount: u64) {
    tokio::task::yield_now().await;
}

async fn deposit(account: Shared, amount: u64) {
    let mut acc = account.lock().await;
    let new_balance = acc.balance + amount;
    audit(amount).await;
    acc.balance = new_balance;
    acc.history.push(amount);
}

// Reads the account for the tests.
async fn snapshot(account: &Shared) -> (u64, Vec<u64>) {
    let acc = account.lock().await;
    (acc.balance, acc.history.clone())
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;
    use tokio::runtime::{Builder, Runtime};

    const STUCK: &str = "the deposits did not finish within a second of real time: a deposit is \
                         spinning on the lock (`try_lock` in a loop never lets the holder run) or \
                         waits for a lock it already holds";

    // Runs `body` on `runtime` in a thread of its own and fails the test if it has not finished
    // after one real second. A deposit that spins on `try_lock`, or waits for a lock its own task
    // holds, never finishes; this turns that into a failure instead of a hang.
    fn within_a_second<Fut: Future<Output = ()>>(
        runtime: Runtime,
        body: impl FnOnce() -> Fut + Send + 'static,
    ) {
        let (finished, outcome) = mpsc::channel();
        thread::spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| runtime.block_on(body())));
            let _ = finished.send(result);
        });
        match outcome.recv_timeout(Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => resume_unwind(panic),
            Err(_) => {
                // The stuck thread cannot be stopped and would starve the other tests: end the
                // whole test run now, with the reason written straight to stderr (not captured).
                let test = thread::current().name().unwrap_or("a test").to_string();
                let mut stderr = std::io::stderr();
                let _ = std::io::Write::write_all(
                    &mut stderr,
                    format!("\ntest {test} FAILED: {STUCK}\n").as_bytes(),
                );
                std::process::exit(101);
            }
        }
    }

    fn current_thread() -> Runtime {
        Builder::new_current_thread().enable_all().build().unwrap()
    }

    async fn deposit_concurrently(account: &Shared, amounts: &[u64]) {
        let mut handles = Vec::new();
        for &amount in amounts {
            // Each deposit is its own task: the future must be Send.
            handles.push(tokio::spawn(deposit(Arc::clone(account), amount)));
        }
        for handle in handles {
            handle.await.expect(
                "a deposit panicked (`blocking_lock` panics inside a runtime: await `lock()`)",
            );
        }
    }

    #[test]
    fn releasing_the_lock_around_the_await_is_rejected() {
        within_a_second(current_thread(), || async {
            let account = new_account();
            deposit_concurrently(&account, &[10, 20, 30, 40]).await;
            let (balance, history) = snapshot(&account).await;
            assert_eq!(
                balance, 100,
                "deposits were lost: the lock was released while `audit` was awaited, so another \
                 deposit read the same old balance"
            );
            assert_eq!(history.len(), 4);
        });
    }

    #[test]
    fn spinning_on_try_lock_is_rejected() {
        // One deposit holds the lock across `audit` while the other wants it. On one thread the
        // holder can only finish if the waiting deposit really waits (returns Pending).
        within_a_second(current_thread(), || async {
            let account = new_account();
            deposit_concurrently(&account, &[1, 2]).await;
            assert_eq!(snapshot(&account).await.0, 3);
        });
    }

    #[test]
    fn lost_updates_on_many_threads_are_rejected() {
        let runtime = Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        within_a_second(runtime, || async {
            let account = new_account();
            let amounts: Vec<u64> = (1..=50).collect();
            deposit_concurrently(&account, &amounts).await;
            let (balance, mut history) = snapshot(&account).await;
            assert_eq!(balance, amounts.iter().sum::<u64>(), "deposits were lost");
            history.sort();
            assert_eq!(
                history, amounts,
                "every deposit appears once in the history"
            );
        });
    }
}
