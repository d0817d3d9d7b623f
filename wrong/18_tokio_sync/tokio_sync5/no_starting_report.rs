// wrong answer: the reporter waits for the first change before reporting, so the configuration it started with is never sent; missing_the_starting_configuration_is_rejected.
// tokio_sync5: live configuration with a watch channel
//
// A `tokio::sync::watch` channel holds one value: the latest. The sender replaces it; every
// receiver can read it (`borrow`) and wait until it changes (`changed().await`). A receiver that
// was busy while the value changed twice sees only the newest, which is what configuration wants.
// `changed()` returns `Err` once the sender is gone: nothing will ever change again.
//
// Write `reporter`. It sends `render(current config)` to `out` once at the start, then once after
// every change. It returns when the configuration sender is dropped, or when `out` is closed.
// A `borrow()` guard locks the channel: read what you need and let it go before any `.await`.

use tokio::sync::{mpsc, watch};

#[derive(Clone, Debug)]
struct Config {
    greeting: String,
    volume: u8,
}

fn render(config: &Config) -> String {
    format!("{} (volume {})", config.greeting, config.volume)
}

async fn reporter(mut config: watch::Receiver<Config>, out: mpsc::Sender<String>) {
    while config.changed().await.is_ok() {
        let line = render(&config.borrow_and_update());
        if out.send(line).await.is_err() {
            return;
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::task::JoinHandle;
    use tokio::time::timeout;

    const STUCK: &str = "a test did not finish within a second of real time: the reporter is spinning (a loop that never waits, e.g. on a closed channel), which also freezes tokio's paused clock";

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

    fn config(greeting: &str, volume: u8) -> Config {
        Config {
            greeting: greeting.to_string(),
            volume,
        }
    }

    struct Running {
        settings: watch::Sender<Config>,
        reports: mpsc::Receiver<String>,
        task: JoinHandle<()>,
    }

    fn start() -> Running {
        let (settings, receiver) = watch::channel(config("hello", 3));
        let (out, reports) = mpsc::channel(4);
        let task = tokio::spawn(reporter(receiver, out));
        Running {
            settings,
            reports,
            task,
        }
    }

    // Time is paused: a report that never comes fails the test at once instead of hanging.
    async fn next_report(reports: &mut mpsc::Receiver<String>, why: &str) -> String {
        timeout(Duration::from_secs(1), reports.recv())
            .await
            .unwrap_or_else(|_| panic!("no report came: {why}"))
            .unwrap_or_else(|| panic!("the reporter stopped early: {why}"))
    }

    #[test]
    fn missing_the_starting_configuration_is_rejected() {
        paused(|| async {
            let mut r = start();
            let first = next_report(&mut r.reports, "report the current configuration first").await;
            assert_eq!(first, "hello (volume 3)");
        });
    }

    #[test]
    fn never_looking_at_changes_is_rejected() {
        paused(|| async {
            let mut r = start();
            next_report(&mut r.reports, "report the current configuration first").await;
            r.settings.send_replace(config("hi", 5));
            assert_eq!(
                next_report(&mut r.reports, "each change must be reported").await,
                "hi (volume 5)"
            );
            r.settings.send_modify(|c| c.volume = 9);
            assert_eq!(
                next_report(&mut r.reports, "each change must be reported").await,
                "hi (volume 9)"
            );
        });
    }

    #[test]
    fn reporting_a_value_twice_is_rejected() {
        paused(|| async {
            let mut r = start();
            next_report(&mut r.reports, "report the current configuration first").await;
            r.settings.send_replace(config("once", 1));
            next_report(&mut r.reports, "each change must be reported").await;
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert!(
                r.reports.try_recv().is_err(),
                "a report arrived although nothing changed: report after `changed()`, and only once"
            );
        });
    }

    #[test]
    fn running_on_after_the_sender_is_dropped_is_rejected() {
        paused(|| async {
            let mut r = start();
            next_report(&mut r.reports, "report the current configuration first").await;
            drop(r.settings);
            timeout(Duration::from_secs(1), r.task)
                .await
                .expect(
                    "the reporter kept running after the configuration sender was dropped: \
                     `changed()` returning Err means stop",
                )
                .expect("the reporter panicked");
        });
    }

    #[test]
    fn reporting_into_a_closed_channel_is_rejected() {
        paused(|| async {
            let r = start();
            drop(r.reports);
            r.settings.send_replace(config("anyone?", 2));
            timeout(Duration::from_secs(1), r.task)
                .await
                .expect("the reporter kept running although nobody reads its reports")
                .expect("the reporter panicked");
        });
    }
}
