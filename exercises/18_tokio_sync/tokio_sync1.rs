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

// TODO: this is the std Mutex. Use the one from tokio::sync.
use std::sync::{Arc, Mutex};

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
    // TODO: tokio's `lock` is async: it returns a future, and no `Result`.
    let mut acc = account.lock().unwrap();
    let new_balance = acc.balance + amount;
    audit(amount).await;
    acc.balance = new_balance;
    acc.history.push(amount);
}

// Reads the account for the tests.
async fn snapshot(account: &Shared) -> (u64, Vec<u64>) {
    // TODO: this also uses the std lock; switch it to tokio's like `deposit`.
    let acc = account.lock().unwrap();
    (acc.balance, acc.history.clone())
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    async fn deposit_concurrently(account: &Shared, amounts: &[u64]) {
        let mut handles = Vec::new();
        for &amount in amounts {
            // Each deposit is its own task: the future must be Send.
            handles.push(tokio::spawn(deposit(Arc::clone(account), amount)));
        }
        for handle in handles {
            handle.await.expect("a deposit panicked");
        }
    }

    #[tokio::test]
    async fn releasing_the_lock_around_the_await_is_rejected() {
        let account = new_account();
        deposit_concurrently(&account, &[10, 20, 30, 40]).await;
        let (balance, history) = snapshot(&account).await;
        assert_eq!(
            balance, 100,
            "deposits were lost: the lock was released while `audit` was awaited, so another \
             deposit read the same old balance"
        );
        assert_eq!(history.len(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lost_updates_on_many_threads_are_rejected() {
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
    }
}
