// wrong answer: drops stale connections without counting them in `evicted`; stale_connection_reused_is_rejected fails.
// pool2: evict connections that sat idle too long
//
// A connection that nobody used for a while is a liability: the server (or a NAT box between
// you) may have closed it silently, and it holds resources on both ends. Pools therefore drop
// connections that have been idle longer than `max_idle`, and open a fresh one when needed.
//
//     checkin(conn)   remember *when it came back*
//     evict_idle()    drop every connection idle for longer than max_idle
//     checkout()      evict first, then reuse the most recently returned one, else connect()
//
// Reusing the most recently returned connection (last in, first out) keeps the busy ones busy
// and lets the surplus age out; first in, first out would keep every connection just warm
// enough never to be evicted.
//
// The clock is `tokio::time::Instant`, not `std::time::Instant`: tokio's follows the paused test
// clock (`tokio::time::advance`), so a test can let an hour pass in no time.
//
// Implement `checkin`, `evict_idle` and `checkout`. Do not change the tests.

use std::time::Duration;

use tokio::time::Instant;

struct IdlePool<C> {
    /// Idle connections with the time each came back, the most recently returned last.
    idle: Vec<(C, Instant)>,
    max_idle: Duration,
    connect: Box<dyn FnMut() -> C>,
    /// How many connections were dropped for idling too long.
    evicted: usize,
}

impl<C> IdlePool<C> {
    fn new(max_idle: Duration, connect: impl FnMut() -> C + 'static) -> IdlePool<C> {
        IdlePool {
            idle: Vec::new(),
            max_idle,
            connect: Box::new(connect),
            evicted: 0,
        }
    }

    /// Takes a connection back into the pool.
    fn checkin(&mut self, conn: C) {
        self.idle.push((conn, Instant::now()));
    }

    /// Drops every connection that has been idle for longer than `max_idle`.
    fn evict_idle(&mut self) {
        let now = Instant::now();
        self.idle
            .retain(|(_, since)| now.duration_since(*since) <= self.max_idle);
    }

    /// Lends out a connection: a recently used idle one if there is one, else a new one.
    fn checkout(&mut self) -> C {
        self.evict_idle();
        match self.idle.pop() {
            Some((conn, _)) => conn,
            None => (self.connect)(),
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::advance;

    const MAX_IDLE: Duration = Duration::from_secs(30);

    /// A pool whose connections are numbered 0, 1, 2, .. in the order they were opened.
    fn numbered_pool() -> IdlePool<u32> {
        let mut opened = 0;
        IdlePool::new(MAX_IDLE, move || {
            opened += 1;
            opened - 1
        })
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[tokio::test(start_paused = true)]
    async fn stale_connection_reused_is_rejected() {
        let mut pool = numbered_pool();
        let conn = pool.checkout();
        assert_eq!(conn, 0);
        pool.checkin(conn);
        advance(secs(31)).await;
        assert_eq!(
            pool.checkout(),
            1,
            "connection 0 was idle for 31 s (> 30 s): it must be dropped and a new one opened \
             (is the clock tokio::time::Instant, which follows the paused test clock?)"
        );
        assert_eq!(pool.evicted, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn fresh_connection_evicted_is_rejected() {
        let mut pool = numbered_pool();
        let conn = pool.checkout();
        pool.checkin(conn);
        advance(secs(30)).await;
        assert_eq!(
            pool.checkout(),
            0,
            "idle for exactly max_idle is not too long: reuse it"
        );
        assert_eq!(pool.evicted, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_counted_from_checkout_is_rejected() {
        let mut pool = numbered_pool();
        let conn = pool.checkout();
        // In use for a whole minute: that is not idle time.
        advance(secs(60)).await;
        pool.checkin(conn);
        advance(secs(1)).await;
        assert_eq!(
            pool.checkout(),
            0,
            "the connection came back 1 s ago; idle time starts at checkin"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reusing_the_oldest_first_is_rejected() {
        let mut pool = numbered_pool();
        let (a, b) = (pool.checkout(), pool.checkout());
        pool.checkin(a);
        advance(secs(20)).await;
        pool.checkin(b);
        advance(secs(5)).await;
        assert_eq!(
            pool.checkout(),
            b,
            "lend out the most recently returned connection"
        );
        advance(secs(10)).await;
        pool.evict_idle();
        assert!(
            pool.idle.is_empty(),
            "connection {a} has now been idle for 35 s and must be gone"
        );
        assert_eq!(pool.evicted, 1);
    }
}
