// wrong answer: `handle` is called inside `in_scope`, which only creates the future in the span; the lines are logged later, when the future is polled outside it; caught by lines_outside_any_request_span_are_rejected
// seeing1: a span that follows each request across its `.await`s
//
// `serve` runs every request as a task of its own. Each request's log lines must carry which
// request they belong to: run each task inside a `request` span with the field `id`.
//
// A span is "entered" on a thread. `span.enter()` returns a guard that keeps it entered until
// the guard is dropped, and a guard held across an `.await` stays entered on the thread while
// *other* tasks run there: their lines land in the wrong request. `Instrument::instrument`
// wraps a future so that the span is entered on every poll and exited when the poll returns.
// (`#[tracing::instrument]` on an `async fn` writes the same wrapper for you.)
//
// Write `serve`. Do not change `handle` or the tests.

use std::time::Duration;

/// One request: a line when it starts, a wait for the backend, a line when it is done. It does
/// not know its id: the span it runs in carries that.
async fn handle(backend: Duration) {
    tracing::info!("start");
    tokio::time::sleep(backend).await;
    tracing::info!("done");
}

/// Runs every request as its own spawned task, each inside an `info_span!("request", id)`, and
/// returns when all of them have finished.
async fn serve(requests: Vec<(u64, Duration)>) {
    let mut tasks = Vec::new();
    for (id, backend) in requests {
        let span = tracing::info_span!("request", id);
        tasks.push(tokio::spawn(span.in_scope(|| handle(backend))));
    }
    for task in tasks {
        task.await.expect("a request panicked");
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;

    /// The `id` field of a `request` span, kept in the span's extensions.
    struct RequestId(u64);

    /// Reads the fields the tests look at: a span's `id`, an event's message.
    #[derive(Default)]
    struct Fields {
        id: Option<u64>,
        message: String,
    }

    impl Visit for Fields {
        fn record_u64(&mut self, field: &Field, value: u64) {
            if field.name() == "id" {
                self.id = Some(value);
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            match field.name() {
                "message" => self.message = format!("{value:?}"),
                "id" => self.id = format!("{value:?}").parse().ok(),
                _ => {}
            }
        }
    }

    /// Every event as `(message, id of the request span it happened in)`.
    type Seen = Arc<Mutex<Vec<(String, Option<u64>)>>>;

    /// A layer that records, for each event, the request span that was current when it fired.
    struct Recorder(Seen);

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            attrs.record(&mut fields);
            if let (Some(span), Some(request)) = (ctx.span(id), fields.id) {
                span.extensions_mut().insert(RequestId(request));
            }
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let request = ctx.event_span(event).and_then(|span| {
                span.scope()
                    .find_map(|s| s.extensions().get::<RequestId>().map(|r| r.0))
            });
            self.0.lock().unwrap().push((fields.message, request));
        }
    }

    /// Runs `serve(requests)` on a paused current_thread runtime under a recording subscriber
    /// (set for this thread only) and returns what it saw.
    fn record(requests: Vec<(u64, Duration)>) -> Vec<(String, Option<u64>)> {
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry().with(Recorder(Arc::clone(&seen)));
        tracing::subscriber::with_default(subscriber, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(serve(requests));
        });
        seen.lock().unwrap().clone()
    }

    #[test]
    fn lines_outside_any_request_span_are_rejected() {
        let seen = record(vec![(7, Duration::from_millis(10))]);
        assert_eq!(
            seen,
            vec![
                ("start".to_string(), Some(7)),
                ("done".to_string(), Some(7))
            ],
            "both lines of request 7 must be inside its `request` span with `id = 7`: instrument \
             the future you spawn (not the JoinHandle, and not the code that spawns it)"
        );
    }

    #[test]
    fn enter_guard_held_across_await_is_rejected() {
        // All three start on this one thread, then finish in the order they started: 1 first,
        // while 2 and 3 are still waiting at their `.await`.
        let seen = record(vec![
            (1, Duration::from_millis(10)),
            (2, Duration::from_millis(20)),
            (3, Duration::from_millis(30)),
        ]);
        let done: Vec<(String, Option<u64>)> =
            seen.into_iter().filter(|(m, _)| m == "done").collect();
        assert_eq!(
            done,
            vec![
                ("done".to_string(), Some(1)),
                ("done".to_string(), Some(2)),
                ("done".to_string(), Some(3)),
            ],
            "a request's `done` line was logged in another request's span: a span entered with \
             `enter()` stays entered on the thread while the task waits at `.await` and other \
             tasks run; use `.instrument(span)` so it is entered only while the task is polled"
        );
    }
}
