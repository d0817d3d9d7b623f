// load1: a load tester with a bounded number of requests in flight
//
// A load tester fires `total` requests at a server, never more than `concurrency` at once, and
// records how long each one took. Two parts:
//
// - `ping` is one request: connect to `addr`, send "PING\n", read one line back. "PONG" is a
//   success; any other answer is an `io::ErrorKind::InvalidData` error.
// - `run_load` calls `request()` `total` times, as tasks, holding a semaphore permit per request
//   so that at most `concurrency` are in flight. It measures each request's latency — from the
//   moment the request starts (after it got its permit: time spent queueing for a permit is not
//   the server's latency) to the moment it ends — and counts failed requests as errors
//   (no latency for those). Use `tokio::time::Instant`, so tests can run on paused time.
//
// What this measures is service time under a fixed concurrency, not the latency of users who
// arrive at a steady rate: when the server stalls, this tester stalls with it and sends the
// delayed requests later, so they look fast (coordinated omission; see the README).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::Instant;

#[derive(Debug)]
struct Report {
    latencies: Vec<Duration>,
    errors: usize,
}

async fn ping(addr: SocketAddr) -> io::Result<()> {
    // TODO: connect, write "PING\n", read one line, check it says PONG.
    todo!()
}

async fn run_load<F, Fut>(total: usize, concurrency: usize, request: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency));
    // TODO: for each request: wait for a permit, spawn a task that times the request and
    // returns its result with the latency; then collect every task's outcome into a Report.
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        max: AtomicUsize,
        served: AtomicUsize,
    }

    impl Gauge {
        fn enter(&self) {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(now, Ordering::SeqCst);
        }
        fn leave(&self) {
            self.now.fetch_sub(1, Ordering::SeqCst);
            self.served.fetch_add(1, Ordering::SeqCst);
        }
    }

    // A fake request on paused time: takes `millis`, fails when `fail` is set.
    async fn fake(gauge: Arc<Gauge>, millis: u64, fail: bool) -> io::Result<()> {
        gauge.enter();
        tokio::time::sleep(Duration::from_millis(millis)).await;
        gauge.leave();
        if fail {
            Err(io::Error::other("server said no"))
        } else {
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn more_than_concurrency_in_flight_is_rejected() {
        let gauge = Arc::new(Gauge::default());
        let report = run_load(12, 3, || fake(Arc::clone(&gauge), 10, false)).await;
        assert_eq!(
            gauge.served.load(Ordering::SeqCst),
            12,
            "every request must be sent"
        );
        let max = gauge.max.load(Ordering::SeqCst);
        assert!(
            max <= 3,
            "{max} requests were in flight with a concurrency of 3"
        );
        assert_eq!(
            max, 3,
            "with 12 requests and a concurrency of 3, three must run together"
        );
        assert_eq!(report.latencies.len(), 12);
    }

    #[tokio::test(start_paused = true)]
    async fn latency_including_the_wait_for_a_permit_is_rejected() {
        let gauge = Arc::new(Gauge::default());
        let report = run_load(8, 2, || fake(Arc::clone(&gauge), 10, false)).await;
        assert_eq!(
            report.latencies,
            vec![Duration::from_millis(10); 8],
            "each request takes 10 ms once it runs; time spent waiting for a permit is not latency"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failed_requests_counted_as_successes_are_rejected() {
        let gauge = Arc::new(Gauge::default());
        let calls = AtomicUsize::new(0);
        let report = run_load(10, 4, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            fake(Arc::clone(&gauge), 5, n.is_multiple_of(5))
        })
        .await;
        assert_eq!(report.errors, 2, "requests 0 and 5 failed");
        assert_eq!(
            report.latencies.len(),
            8,
            "only successful requests have a latency"
        );
    }

    // A local server: answers each request line after a short pause; every `nope_every`-th
    // connection gets "NOPE" instead of "PONG".
    async fn server(nope_every: usize) -> (SocketAddr, Arc<Gauge>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let gauge = Arc::new(Gauge::default());
        let server_gauge = Arc::clone(&gauge);
        tokio::spawn(async move {
            let mut accepted: usize = 0;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                accepted += 1;
                let reply: &[u8] = if accepted.is_multiple_of(nope_every) {
                    b"NOPE\n"
                } else {
                    b"PONG\n"
                };
                let gauge = Arc::clone(&server_gauge);
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    gauge.enter();
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    gauge.leave();
                    let _ = stream.write_all(reply).await;
                });
            }
        });
        (addr, gauge)
    }

    #[tokio::test]
    async fn ping_that_ignores_the_answer_is_rejected() {
        let (addr, _) = server(2).await;
        ping(addr)
            .await
            .expect("the first connection is answered PONG");
        let err = ping(addr)
            .await
            .expect_err("the second connection is answered NOPE");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[tokio::test]
    async fn drives_a_local_server_within_the_limit() {
        let (addr, gauge) = server(1_000).await;
        let report = run_load(12, 3, || ping(addr)).await;
        assert_eq!(report.errors, 0, "every request was answered PONG");
        assert_eq!(report.latencies.len(), 12);
        assert_eq!(gauge.served.load(Ordering::SeqCst), 12);
        let max = gauge.max.load(Ordering::SeqCst);
        assert!(
            max <= 3,
            "the server saw {max} requests at once with a concurrency of 3"
        );
        assert!(
            report
                .latencies
                .iter()
                .all(|l| *l >= Duration::from_millis(2)),
            "the server pauses 2 ms before answering, so no latency can be shorter"
        );
    }
}
