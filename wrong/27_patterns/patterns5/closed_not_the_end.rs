// wrong answer: keeps receiving after Closed, spinning on a closed bus; the bounded wait in `finish` fails subscriber_missing_events_is_rejected.
// patterns5: an event bus over `broadcast`, and what to do when you fall behind
//
// `tokio::sync::broadcast` gives every subscriber every event. It keeps only the last
// `capacity` events: a subscriber that falls further behind does not block the publisher;
// instead its next `recv` returns `Err(RecvError::Lagged(n))`, meaning "you missed n events",
// and the following `recv` continues with the oldest event still kept.
//
//     publish 0..10, capacity 4:   [0 1 2 3 4 5 | 6 7 8 9]   a slow subscriber then gets
//                                    overwritten    kept      Lagged(6), 6, 7, 8, 9, Closed
//
// Lagged is not the end of the stream: note the loss and keep going. `Closed` (every sender
// gone, every kept event delivered) is the end.
//
// Write `listen`: collect the events one subscriber receives, count the ones it missed, and
// return when the bus closes.

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub received: Vec<u64>,
    pub missed: u64,
}

pub struct EventBus {
    sender: broadcast::Sender<u64>,
}

impl EventBus {
    pub fn new(capacity: usize) -> EventBus {
        EventBus {
            sender: broadcast::channel(capacity).0,
        }
    }

    /// A new subscriber sees the events published after it subscribed.
    pub fn subscribe(&self) -> broadcast::Receiver<u64> {
        self.sender.subscribe()
    }

    /// Returns how many subscribers the event went to (0 is fine: nobody listening).
    pub fn publish(&self, event: u64) -> usize {
        self.sender.send(event).unwrap_or(0)
    }
}

pub async fn listen(mut events: broadcast::Receiver<u64>) -> Summary {
    let mut summary = Summary::default();
    loop {
        match events.recv().await {
            Ok(event) => summary.received.push(event),
            // Fell behind: the bus already dropped `n` events we never saw. Count, carry on.
            Err(RecvError::Lagged(n)) => summary.missed += n,
            Err(RecvError::Closed) => continue,
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::task::JoinHandle;

    /// Waits a bounded number of turns for the listener to finish after the bus closed.
    async fn finish(listener: JoinHandle<Summary>) -> Summary {
        for _ in 0..100 {
            if listener.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(
            listener.is_finished(),
            "the listener kept going after the bus closed: RecvError::Closed is the end"
        );
        listener
            .await
            .expect("the listener panicked (did it unwrap a RecvError?)")
    }

    #[tokio::test]
    async fn subscriber_missing_events_is_rejected() {
        let bus = EventBus::new(16);
        let a = tokio::spawn(listen(bus.subscribe()));
        let b = tokio::spawn(listen(bus.subscribe()));
        for event in 0..5 {
            assert_eq!(bus.publish(event), 2);
        }
        drop(bus);
        let expected = Summary {
            received: vec![0, 1, 2, 3, 4],
            missed: 0,
        };
        assert_eq!(finish(a).await, expected);
        assert_eq!(finish(b).await, expected);
    }

    #[tokio::test]
    async fn lagged_taken_as_the_end_is_rejected() {
        let bus = EventBus::new(4);
        let slow = bus.subscribe();
        // Ten events before the slow subscriber reads anything: only the last four are kept.
        for event in 0..10 {
            bus.publish(event);
        }
        let listener = tokio::spawn(listen(slow));
        tokio::task::yield_now().await;
        bus.publish(10);
        drop(bus);
        let summary = finish(listener).await;
        assert_eq!(
            summary.received,
            [6, 7, 8, 9, 10],
            "after Lagged, keep receiving: the kept events and the later ones still arrive"
        );
    }

    #[tokio::test]
    async fn missed_events_not_counted_are_rejected() {
        let bus = EventBus::new(4);
        let slow = bus.subscribe();
        for event in 0..10 {
            bus.publish(event);
        }
        drop(bus);
        let summary = finish(tokio::spawn(listen(slow))).await;
        assert_eq!(
            summary.missed, 6,
            "Lagged(n) says how many events were lost: add them up"
        );
        assert_eq!(summary.received.len() as u64 + summary.missed, 10);
    }
}
