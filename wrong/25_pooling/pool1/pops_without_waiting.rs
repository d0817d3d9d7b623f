// wrong answer: pops an idle connection without waiting for a permit and panics when the deque is empty; empty_pool_failing_instead_of_waiting_is_rejected fails.
// pool1: a connection pool with return-on-drop
//
// Opening a connection is slow, and the server on the other end allows only so many. A pool
// keeps a fixed set of connections and lends them out: `get` waits until one is free, and the
// borrowed connection goes back by itself when the borrower drops it (an RAII guard, like a
// `MutexGuard`).
//
// Two pieces, each doing one job:
//   - a `Semaphore` with one permit per connection decides *who may take one*, and queues the
//     waiters fairly when all are lent out;
//   - a `Mutex<VecDeque<C>>` holds the idle connections themselves.
//
//     get:   acquire permit (waits)  ->  pop an idle connection  ->  Pooled { conn, permit }
//     drop:  push the connection back  ->  the permit is released (next waiter wakes)
//
// The order in `drop` matters: the connection must be back in the deque before the permit is
// released, or the woken waiter finds the deque empty. `Pooled` holds its permit in a field;
// fields are dropped after `Drop::drop` runs, which gives exactly that order.
//
// Implement `Pool::get` and `Drop for Pooled`. Do not change the tests.

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

struct Pool<C> {
    idle: Arc<Mutex<VecDeque<C>>>,
    permits: Arc<Semaphore>,
}

/// A connection on loan from the pool. It goes back to the pool when dropped.
struct Pooled<C> {
    conn: Option<C>,
    idle: Arc<Mutex<VecDeque<C>>>,
    _permit: OwnedSemaphorePermit,
}

impl<C> Pool<C> {
    fn new(conns: Vec<C>) -> Pool<C> {
        let permits = Arc::new(Semaphore::new(conns.len()));
        Pool {
            idle: Arc::new(Mutex::new(conns.into())),
            permits,
        }
    }

    /// Waits until a connection is free and lends it out.
    async fn get(&self) -> Pooled<C> {
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .expect("no connection is free");
        // Holding a permit means an idle connection is there for us.
        let conn = self.idle.lock().unwrap().pop_front();
        let conn = conn.expect("a permit without an idle connection");
        Pooled {
            conn: Some(conn),
            idle: self.idle.clone(),
            _permit: permit,
        }
    }
}

impl<C> Drop for Pooled<C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.idle.lock().unwrap().push_back(conn);
        }
        // `_permit` is dropped after this, which lets the next waiter in.
    }
}

impl<C> Deref for Pooled<C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn.as_ref().expect("only taken in drop")
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A stand-in for a connection: just an id.
    #[derive(Debug, PartialEq)]
    struct Conn(u32);

    async fn get_or_fail<C>(pool: &Pool<C>) -> Pooled<C> {
        tokio::time::timeout(Duration::from_secs(1), pool.get())
            .await
            .expect("get waited for a connection that never came back")
    }

    #[tokio::test(start_paused = true)]
    async fn connection_not_returned_on_drop_is_rejected() {
        let pool = Pool::new(vec![Conn(7)]);
        for _ in 0..5 {
            let conn = get_or_fail(&pool).await;
            assert_eq!(*conn, Conn(7));
            drop(conn);
        }
        assert_eq!(pool.idle.lock().unwrap().len(), 1, "the connection is back");
    }

    #[tokio::test(start_paused = true)]
    async fn empty_pool_failing_instead_of_waiting_is_rejected() {
        let pool = Arc::new(Pool::new(vec![Conn(1)]));
        let held = get_or_fail(&pool).await;
        let waiter = tokio::spawn({
            let pool = pool.clone();
            async move { get_or_fail(&pool).await.0 }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let waited = !waiter.is_finished();
        drop(held);
        assert!(waited, "the only connection is lent out: get must wait");
        assert_eq!(
            waiter
                .await
                .expect("get must wait for a connection, not panic"),
            1,
            "dropping the borrowed connection must hand it to the waiter"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn more_loans_than_connections_is_rejected() {
        let pool = Arc::new(Pool::new(vec![Conn(0), Conn(1), Conn(2)]));
        let in_use = Arc::new(AtomicUsize::new(0));
        let max_in_use = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let (pool, in_use, max_in_use) = (pool.clone(), in_use.clone(), max_in_use.clone());
            tasks.push(tokio::spawn(async move {
                let conn = get_or_fail(&pool).await;
                let now = in_use.fetch_add(1, Ordering::SeqCst) + 1;
                max_in_use.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                in_use.fetch_sub(1, Ordering::SeqCst);
                conn.0
            }));
        }
        for task in tasks {
            assert!(task.await.unwrap() < 3);
        }
        assert_eq!(
            max_in_use.load(Ordering::SeqCst),
            3,
            "three connections: three borrowers at a time, never more"
        );
        assert_eq!(pool.idle.lock().unwrap().len(), 3, "all three are back");
    }
}
