// streams2: a channel as a stream
//
// A channel receiver already is a stream in all but name: `recv().await` hands out items one at
// a time and returns `None` once every sender is gone. To use it where a `Stream` is expected,
// wrap it and implement `poll_next` with the receiver's *poll* method, `poll_recv(cx)`. That one
// call does all three jobs: it returns an item if one is queued, `None` if the channel is closed
// and empty, and otherwise registers the waker so a later `send` wakes the task.
//
// The tempting alternative, `try_recv`, never registers a waker: a stream built on it returns
// `Pending` and is never woken again.
//
// Implement `poll_next` for `ChannelStream` and `collect`, which gathers a whole stream into a
// `Vec`. Do not change the tests.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

trait Stream {
    type Item;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;
}

/// The next item of a stream, as a future.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

struct ChannelStream<T> {
    rx: mpsc::Receiver<T>,
}

impl<T> Stream for ChannelStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }
}

/// Every item of `stream`, in order, once it has ended.
async fn collect<S: Stream + Unpin>(mut stream: S) -> Vec<S::Item> {
    let mut items = Vec::new();
    while let Some(item) = next(&mut stream).await {
        items.push(item);
    }
    items
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::{CountingWaker, poll_once};
    use std::pin::pin;
    use std::time::Duration;

    /// Passes a stream through, but fails when it is polled far more often than it has items:
    /// a stream that wakes itself while the channel is empty would keep the runtime busy, so
    /// the paused clock would never move and a timeout would never fire.
    struct Bounded<S> {
        inner: S,
        polls: usize,
        limit: usize,
    }

    impl<S: Stream + Unpin> Stream for Bounded<S> {
        type Item = S::Item;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
            self.polls += 1;
            assert!(
                self.polls <= self.limit,
                "the stream was polled {} times for a handful of items: it wakes itself while \
                 the channel is empty instead of letting poll_recv arrange the wake-up",
                self.polls
            );
            Pin::new(&mut self.inner).poll_next(cx)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn items_lost_or_reordered_is_rejected() {
        let (tx, rx) = mpsc::channel(4);
        let producer = tokio::spawn(async move {
            for n in 0..10u32 {
                tx.send(n).await.unwrap();
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        });
        let stream = Bounded {
            inner: ChannelStream { rx },
            polls: 0,
            limit: 100,
        };
        let items = tokio::time::timeout(Duration::from_secs(1), collect(stream))
            .await
            .expect("collect did not finish after the sender was dropped");
        producer.await.unwrap();
        assert_eq!(items, (0..10).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn pending_without_a_wake_up_is_rejected() {
        let (tx, rx) = mpsc::channel(1);
        let mut stream = ChannelStream { rx };
        let counter = CountingWaker::new();
        let waker = counter.waker();
        assert!(
            poll_once(pin!(next(&mut stream)), &waker).is_pending(),
            "the channel is empty and open: the stream must be Pending"
        );
        tokio::task::yield_now().await;
        assert_eq!(
            counter.count(),
            0,
            "nothing was sent, yet the waker was woken: a stream that wakes itself while empty \
             spins; poll_recv wakes the task when an item arrives"
        );
        tx.send(5).await.unwrap();
        assert!(
            counter.count() >= 1,
            "the stream returned Pending but the send did not wake it (try_recv registers no \
             waker; poll_recv does)"
        );
        assert_eq!(
            poll_once(pin!(next(&mut stream)), &waker),
            Poll::Ready(Some(5))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn empty_but_open_channel_ending_the_stream_is_rejected() {
        let (tx, rx) = mpsc::channel::<u8>(1);
        let mut stream = ChannelStream { rx };
        let waker = CountingWaker::new().waker();
        assert_eq!(
            poll_once(pin!(next(&mut stream)), &waker),
            Poll::Pending,
            "an empty channel whose sender is alive is not the end of the stream"
        );
        drop(tx);
        assert_eq!(
            poll_once(pin!(next(&mut stream)), &waker),
            Poll::Ready(None),
            "every sender is gone and nothing is queued: the stream has ended"
        );
    }
}
