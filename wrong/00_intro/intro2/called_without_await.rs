// wrong answer: calls `record_visit(visits);` without `.await`, so the future is made and dropped unpolled (the compiler's unused-future warning says so); `future_created_but_never_awaited_is_rejected` catches it.
//
// Calling an `async fn` does not run its body. It builds a future: a value that holds the body
// and runs it only when something polls it, which is what `.await` does. A future that is built
// and then dropped has done nothing at all, and the compiler only warns about it.
//
// `check_in` below builds the future of `record_visit` and throws it away, so no visit is ever
// recorded. Make the visit happen exactly once. Do not change `record_visit`.

use std::sync::atomic::{AtomicUsize, Ordering};

async fn record_visit(visits: &AtomicUsize) {
    visits.fetch_add(1, Ordering::SeqCst);
}

async fn check_in(visits: &AtomicUsize) {
    record_visit(visits);
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn future_created_but_never_awaited_is_rejected() {
        let visits = AtomicUsize::new(0);
        check_in(&visits).await;
        assert_ne!(
            visits.load(Ordering::SeqCst),
            0,
            "no visit was recorded: the future of record_visit was created but never awaited"
        );
    }

    #[tokio::test]
    async fn visiting_more_than_once_is_rejected() {
        let visits = AtomicUsize::new(0);
        check_in(&visits).await;
        assert_eq!(
            visits.load(Ordering::SeqCst),
            1,
            "check_in must record exactly one visit"
        );
    }
}
