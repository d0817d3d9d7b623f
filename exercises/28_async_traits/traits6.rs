// traits6: lend a transaction to an async closure: AsyncFnOnce(&mut Tx)
//
// A helper that *lends* something to the caller's code is a common shape: take a pooled
// connection, open a transaction, hold a lock; run the caller's closure with a `&mut` to it;
// clean up afterwards whatever the closure did. The closure's future must borrow that `&mut`
// until it is done, so the old bound `F: FnOnce(&mut Tx) -> Fut` cannot describe it (the same
// "one type is more general than the other" as traits5): use `AsyncFnOnce(&mut Tx) -> R`.
//
// Once is all `with_transaction` needs, so `AsyncFnOnce` is the right bound: it also accepts a
// closure that moves out of what it captured (`async move |tx| { tx.write(row); .. }`), which
// `AsyncFnMut` and `AsyncFn` would refuse.
//
// Write `with_transaction`: begin a transaction, run `body` with it, then commit it when the
// body returned `Ok` or roll it back when it returned `Err`, and return the body's result.
// `commit` is async: the commit happens only when its future is awaited.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// Rows written inside one transaction, not yet visible to anyone.
struct Tx {
    writes: Vec<String>,
}

impl Tx {
    fn write(&mut self, row: impl Into<String>) {
        self.writes.push(row.into());
    }
}

#[derive(Default)]
struct Db {
    rows: Mutex<Vec<String>>,
    open: Mutex<u32>,
}

impl Db {
    fn begin(&self) -> Tx {
        *self.open.lock().unwrap() += 1;
        Tx { writes: Vec::new() }
    }

    /// Makes the transaction's rows visible. Takes a millisecond: a round trip to the server.
    async fn commit(&self, tx: Tx) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.rows.lock().unwrap().extend(tx.writes);
        *self.open.lock().unwrap() -= 1;
    }

    /// Throws the transaction's rows away.
    fn rollback(&self, tx: Tx) {
        drop(tx);
        *self.open.lock().unwrap() -= 1;
    }

    fn rows(&self) -> Vec<String> {
        self.rows.lock().unwrap().clone()
    }

    fn open_transactions(&self) -> u32 {
        *self.open.lock().unwrap()
    }
}

/// Runs `body` inside a transaction: committed if it returns `Ok`, rolled back if `Err`.
// TODO: the body's future borrows the `&mut Tx` it is given, which `Fut` cannot express.
async fn with_transaction<T, E, F, Fut>(db: &Db, body: F) -> Result<T, E>
where
    F: FnOnce(&mut Tx) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    // TODO: begin, run the body, then commit or roll back.
    let _ = (db, body);
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;

    const STUCK: &str = "a test did not finish within a second of real time: something is spinning (a loop that never waits), which also freezes tokio's paused clock";

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

    #[test]
    fn commit_not_awaited_is_rejected() {
        paused(|| async {
            let db = Db::default();
            let result = with_transaction(&db, async |tx: &mut Tx| {
                tx.write("alice");
                tokio::time::sleep(Duration::from_millis(5)).await;
                tx.write("bob");
                Ok::<_, String>(2)
            })
            .await;
            assert_eq!(result, Ok(2));
            assert_eq!(
                db.rows(),
                vec!["alice", "bob"],
                "the body returned Ok but its rows were not committed: `commit` does nothing until its future is awaited"
            );
            assert_eq!(db.open_transactions(), 0);
        });
    }

    #[test]
    fn writes_kept_after_an_error_is_rejected() {
        paused(|| async {
            let db = Db::default();
            let result = with_transaction(&db, async |tx: &mut Tx| {
                tx.write("carol");
                Err::<u32, _>("disk full".to_string())
            })
            .await;
            assert_eq!(result, Err("disk full".to_string()));
            assert!(
                db.rows().is_empty(),
                "the body failed, so its rows must be rolled back, got {:?}",
                db.rows()
            );
        });
    }

    #[test]
    fn transaction_left_open_after_an_error_is_rejected() {
        paused(|| async {
            let db = Db::default();
            let _ = with_transaction(&db, async |_: &mut Tx| Err::<(), _>("no")).await;
            assert_eq!(
                db.open_transactions(),
                0,
                "a failed body's transaction must be rolled back, not just dropped: it is still open on the server"
            );
        });
    }

    #[test]
    fn body_that_moves_its_captures_is_accepted() {
        paused(|| async {
            let db = Db::default();
            let row = String::from("dave");
            // `row` is moved out of the closure: only an AsyncFnOnce bound accepts this closure.
            let result = with_transaction(&db, async move |tx: &mut Tx| {
                tx.write(row);
                Ok::<_, String>(())
            })
            .await;
            assert_eq!(result, Ok(()));
            assert_eq!(db.rows(), vec!["dave"]);
        });
    }
}
