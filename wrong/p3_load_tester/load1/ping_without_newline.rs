// wrong answer: ping sends PING without its newline, so the server's read_line never ends and ping waits forever; the real-time limit fails ping_that_ignores_the_answer_is_rejected within a second.
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
//   (no latency for those), and so is a request whose task panicked: neither dropped nor
//   passed on as a panic. Use `tokio::time::Instant`, so tests can run on paused time.
//   The loop that keeps at most `concurrency` requests in flight is given: it is chapter 18's
//   (tokio_sync2), a permit first, then `request()`, then the spawn, and the tests still check
//   that order. What is yours is the measuring: the clock in each task, and the report.
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
pub struct Report {
    pub latencies: Vec<Duration>,
    pub errors: usize,
}

async fn ping(addr: SocketAddr) -> io::Result<()> {
    let mut stream = BufReader::new(TcpStream::connect(addr).await?);
    stream.write_all(b"PING").await?;
    let mut reply = String::new();
    stream.read_line(&mut reply).await?;
    if reply.trim_end() == "PONG" {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("expected PONG, got {reply:?}"),
        ))
    }
}

pub async fn run_load<F, Fut>(total: usize, concurrency: usize, request: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(total);
    for _ in 0..total {
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let work = request();
        tasks.push(tokio::spawn(async move {
            // The clock starts once the request may run, not while it waited for a permit.
            let started = Instant::now();
            let result = work.await;
            let latency = started.elapsed();
            drop(permit);
            result.map(|()| latency)
        }));
    }
    let mut report = Report {
        latencies: Vec::with_capacity(total),
        errors: 0,
    };
    for task in tasks {
        match task.await {
            Ok(Ok(latency)) => report.latencies.push(latency),
            // A failed request and a request whose task panicked are both errors.
            Ok(Err(_)) | Err(_) => report.errors += 1,
        }
    }
    report
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    const STUCK: &str = "a test did not finish within a second of real time: run_load or ping never finished (a request waiting for an answer that never comes, e.g. PING without its newline, or a task that never waits)";

    // Runs a test body on a current_thread runtime with paused time, in a thread of its own, and
    // fails the test if the body has not finished after one second of real time. The paused
    // clock only moves while every task waits, so a task that never stops running freezes it
    // and no `timeout` inside the body could fire: this real-time limit catches that case.
    fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        within_a_second(true, body)
    }

    // The same on the real clock, for the tests that talk to a local server.
    fn real_time<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        within_a_second(false, body)
    }

    // Runs a test body on a current_thread runtime (with paused time if asked), failing the test
    // if it is still running after a second of real time.
    fn within_a_second<Fut: Future<Output = ()>>(
        start_paused: bool,
        body: impl FnOnce() -> Fut + Send + 'static,
    ) {
        finishes_within(std::time::Duration::from_secs(1), STUCK, move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(start_paused)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        max: AtomicUsize,
        served: AtomicUsize,
        // Requests created by `request()` and not finished yet, and the most of those seen.
        created: AtomicUsize,
        max_created: AtomicUsize,
        // The most tasks alive in the runtime while a request was running.
        max_tasks: AtomicUsize,
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

    // A fake request on paused time: takes `millis`, fails when `fail` is set. Calling it counts
    // as creating the request (a real `request()` could already connect here).
    fn fake(gauge: Arc<Gauge>, millis: u64, fail: bool) -> impl Future<Output = io::Result<()>> {
        let created = gauge.created.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.max_created.fetch_max(created, Ordering::SeqCst);
        async move {
            gauge.enter();
            let tasks = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            gauge.max_tasks.fetch_max(tasks, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(millis)).await;
            gauge.leave();
            gauge.created.fetch_sub(1, Ordering::SeqCst);
            if fail {
                Err(io::Error::other("server said no"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn more_than_concurrency_in_flight_is_rejected() {
        paused(|| async {
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
        });
    }

    #[test]
    fn creating_a_request_before_its_permit_is_rejected() {
        paused(|| async {
            let gauge = Arc::new(Gauge::default());
            run_load(12, 3, || fake(Arc::clone(&gauge), 10, false)).await;
            let created = gauge.max_created.load(Ordering::SeqCst);
            assert!(
                created <= 3,
                "{created} requests had been created by `request()` at once with a concurrency of 3: \
                 get the permit first, then call `request()`"
            );
        });
    }

    #[test]
    fn acquiring_the_permit_inside_the_spawned_task_is_rejected() {
        paused(|| async {
            let gauge = Arc::new(Gauge::default());
            run_load(12, 3, || fake(Arc::clone(&gauge), 10, false)).await;
            let tasks = gauge.max_tasks.load(Ordering::SeqCst);
            assert!(
                tasks <= 3,
                "{tasks} tasks were alive at once with a concurrency of 3: acquire the permit before \
                 spawning, so the loop waits instead of spawning a task per request up front"
            );
        });
    }

    #[test]
    fn a_panicked_request_swallowed_or_propagated_is_rejected() {
        paused(|| async {
            let gauge = Arc::new(Gauge::default());
            let calls = AtomicUsize::new(0);
            let report = run_load(6, 2, || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                let request = fake(Arc::clone(&gauge), 5, false);
                async move {
                    if n == 3 {
                        // A panic that skips the panic hook (no message, no backtrace to print).
                        std::panic::resume_unwind(Box::new("request 3 panics on purpose"));
                    }
                    request.await
                }
            })
            .await;
            assert_eq!(
                report.errors, 1,
                "a request whose task panicked failed: count it as an error, do not drop it"
            );
            assert_eq!(report.latencies.len(), 5);
        });
    }

    #[test]
    fn latency_including_the_wait_for_a_permit_is_rejected() {
        paused(|| async {
            let gauge = Arc::new(Gauge::default());
            let report = run_load(8, 2, || fake(Arc::clone(&gauge), 10, false)).await;
            assert_eq!(
                report.latencies,
                vec![Duration::from_millis(10); 8],
                "each request takes 10 ms once it runs; time spent waiting for a permit is not latency"
            );
        });
    }

    #[test]
    fn failed_requests_counted_as_successes_are_rejected() {
        paused(|| async {
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
        });
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

    #[test]
    fn ping_that_ignores_the_answer_is_rejected() {
        real_time(|| async {
            let (addr, _) = server(2).await;
            ping(addr)
                .await
                .expect("the first connection is answered PONG");
            let err = ping(addr)
                .await
                .expect_err("the second connection is answered NOPE");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        });
    }

    #[test]
    fn drives_a_local_server_within_the_limit() {
        real_time(|| async {
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
        });
    }
}
