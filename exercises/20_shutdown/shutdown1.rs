// shutdown1: broadcast a shutdown signal to every worker
//
// A server has many workers, each waiting for its next job. To stop them, one message has to
// reach all of them, and each has to notice it while it is waiting for a job, not only between
// jobs. A `tokio::sync::broadcast` channel delivers every message to every receiver
// (`sender.subscribe()` makes one per worker); `tokio::select!` waits for a job and for the signal
// at the same time.
//
// Make `worker` stop as soon as the shutdown signal arrives — or as soon as the shutdown sender
// is dropped, which `recv` reports as an error and which also means "stop". It also stops when
// its job channel is closed. It returns how many jobs it handled; each job `n` is handled by
// sending `n * 2` on `done`.

use tokio::sync::{broadcast, mpsc};

async fn worker(
    mut jobs: mpsc::Receiver<u32>,
    mut shutdown: broadcast::Receiver<()>,
    done: mpsc::UnboundedSender<u32>,
) -> usize {
    let mut handled = 0;
    // TODO: this loop only ever waits for jobs. Wait for a job or the shutdown signal at once.
    while let Some(job) = jobs.recv().await {
        let _ = done.send(job * 2);
        handled += 1;
    }
    handled
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::task::JoinHandle;
    use tokio::time::timeout;

    const STUCK: &str = "a test did not finish within a second of real time: a worker is spinning (a select! loop whose shutdown branch keeps returning Err(Closed) without stopping), which also freezes tokio's paused clock";

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

    struct Pool {
        job_senders: Vec<mpsc::Sender<u32>>,
        workers: Vec<JoinHandle<usize>>,
        done: mpsc::UnboundedReceiver<u32>,
    }

    fn pool(shutdown: &broadcast::Sender<()>, size: usize) -> Pool {
        let (done_tx, done) = mpsc::unbounded_channel();
        let mut job_senders = Vec::new();
        let mut workers = Vec::new();
        for _ in 0..size {
            let (tx, rx) = mpsc::channel(8);
            job_senders.push(tx);
            workers.push(tokio::spawn(worker(
                rx,
                shutdown.subscribe(),
                done_tx.clone(),
            )));
        }
        Pool {
            job_senders,
            workers,
            done,
        }
    }

    // Time is paused: a worker that never stops fails the test at once instead of hanging.
    async fn all_stopped(workers: Vec<JoinHandle<usize>>, why: &str) -> Vec<usize> {
        let mut counts = Vec::new();
        for handle in workers {
            let count = timeout(Duration::from_secs(1), handle)
                .await
                .unwrap_or_else(|_| panic!("a worker did not stop: {why}"))
                .expect("a worker panicked");
            counts.push(count);
        }
        counts
    }

    #[test]
    fn waiting_only_for_jobs_is_rejected() {
        paused(|| async {
            let (shutdown, _) = broadcast::channel(1);
            let p = pool(&shutdown, 3);
            shutdown.send(()).unwrap();
            let counts = all_stopped(
                p.workers,
                "the shutdown signal was sent while it was waiting for a job",
            )
            .await;
            assert_eq!(counts, vec![0, 0, 0]);
            drop(p.job_senders); // kept open until here, so only the signal could stop the workers
        });
    }

    #[test]
    fn stopping_after_the_first_job_is_rejected() {
        paused(|| async {
            let (shutdown, _) = broadcast::channel(1);
            let mut p = pool(&shutdown, 2);
            for (i, tx) in p.job_senders.iter().enumerate() {
                for n in 0..3 {
                    tx.send(10 * i as u32 + n).await.unwrap();
                }
            }
            let mut results = Vec::new();
            for _ in 0..6 {
                let result = timeout(Duration::from_secs(1), p.done.recv()).await;
                results.push(result.expect("a job was never handled").unwrap());
            }
            results.sort();
            assert_eq!(results, vec![0, 2, 4, 20, 22, 24]);
            shutdown.send(()).unwrap();
            let counts = all_stopped(p.workers, "the shutdown signal was sent").await;
            assert_eq!(
                counts,
                vec![3, 3],
                "each worker reports the jobs it handled"
            );
            drop(p.job_senders);
        });
    }

    #[test]
    fn ignoring_a_dropped_shutdown_sender_is_rejected() {
        paused(|| async {
            let (shutdown, _) = broadcast::channel(1);
            let p = pool(&shutdown, 2);
            tokio::task::yield_now().await;
            drop(shutdown);
            all_stopped(
                p.workers,
                "the shutdown sender was dropped; recv() returning Err(Closed) means stop too",
            )
            .await;
            drop(p.job_senders);
        });
    }

    #[test]
    fn running_on_after_the_job_channel_closes_is_rejected() {
        paused(|| async {
            let (shutdown, _) = broadcast::channel(1);
            let p = pool(&shutdown, 2);
            drop(p.job_senders);
            all_stopped(p.workers, "its job channel was closed").await;
            drop(shutdown);
        });
    }
}
