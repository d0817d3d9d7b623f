// wrong answer: the broker loops for ever and skips None from recv without yielding, so once every sender is gone it spins on the closed channel; broker_outliving_its_event_senders_is_rejected catches it.
// chat1: the broker task owns the client map
//
// A chat server has shared state: who is connected, and how to reach each of them. Instead of
// putting that map behind a mutex that every connection locks, one task owns it, the broker, and
// everyone else talks to the broker through a channel of events:
//
//     client task 1 ──┐                     ┌──► inbox of client 1
//     client task 2 ──┼── Event channel ──► broker (owns HashMap<ClientId, inbox>) ──► inbox of 2
//     client task 3 ──┘                     └──► inbox of client 3
//
// Only the broker touches the map, so it needs no lock, and events are handled one at a time in
// the order they arrived. The broker runs until every event sender is gone.
//
// Write `broker`:
//   - `Join { id, inbox }`: remember the inbox, and send the newcomer "welcome <id>".
//   - `Leave { id }`: forget the client (dropping its inbox sender ends its inbox).
//   - `Message { from, line }`: send "<from>: <line>" to every *other* client.
//   A client can vanish without a Leave; sending to its inbox then fails. That is not a reason
//   for the broker to crash: forget that client and carry on.

use std::collections::HashMap;

use runtime_reference::sync::mpsc::{Receiver, UnboundedSender};

pub type ClientId = usize;

#[derive(Debug)]
pub enum Event {
    Join {
        id: ClientId,
        inbox: UnboundedSender<String>,
    },
    Leave {
        id: ClientId,
    },
    Message {
        from: ClientId,
        line: String,
    },
}

pub async fn broker(mut events: Receiver<Event>) {
    let mut clients: HashMap<ClientId, UnboundedSender<String>> = HashMap::new();
    loop {
        let Some(event) = events.recv().await else {
            continue;
        };
        match event {
            Event::Join { id, inbox } => {
                if inbox.send(format!("welcome {id}")).is_ok() {
                    clients.insert(id, inbox);
                }
            }
            Event::Leave { id } => {
                clients.remove(&id);
            }
            Event::Message { from, line } => {
                let text = format!("{from}: {line}");
                // A failed send means that client's task is gone: drop it from the map.
                clients.retain(|&id, inbox| id == from || inbox.send(text.clone()).is_ok());
            }
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::spawn;
    use runtime_reference::multi::Runtime as MultiRuntime;
    use runtime_reference::sync::mpsc::{self, Receiver, UnboundedSender};
    use runtime_reference::task::JoinHandle;
    use runtime_reference::time::timeout;
    use std::time::Duration;

    /// Far longer than anything here takes on loopback, short enough to fail fast.
    const LIMIT: Duration = Duration::from_millis(500);

    fn start() -> (UnboundedSender<Event>, JoinHandle<()>) {
        let (events, rx) = mpsc::unbounded();
        (events, spawn(polled_at_most(1000, broker(rx))))
    }

    /// Runs `fut`, counting its polls. The broker here handles a few events, so a few polls do;
    /// a broker that keeps going after `recv()` said `None` (the channel is closed for good)
    /// is polled again and again, and fails here at once instead of running until a timeout.
    async fn polled_at_most(limit: usize, fut: impl Future<Output = ()>) {
        let mut fut = std::pin::pin!(fut);
        let mut polls = 0;
        std::future::poll_fn(|cx| {
            polls += 1;
            assert!(
                polls <= limit,
                "the broker was polled {limit} times: it spins. When recv() returns None every \
                 sender is gone, so return"
            );
            fut.as_mut().poll(cx)
        })
        .await
    }

    fn join(events: &UnboundedSender<Event>, id: ClientId) -> Receiver<String> {
        let (inbox, rx) = mpsc::unbounded();
        events.send(Event::Join { id, inbox }).unwrap();
        rx
    }

    async fn next_line(rx: &mut Receiver<String>, what: &str) -> Option<String> {
        timeout(LIMIT, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("waited 0.5 s for {what}"))
    }

    fn say(events: &UnboundedSender<Event>, from: ClientId, line: &str) {
        let line = line.to_string();
        events.send(Event::Message { from, line }).unwrap();
    }

    #[test]
    fn echoing_a_message_to_its_sender_is_rejected() {
        MultiRuntime::new(2).block_on(async {
            let (events, _broker) = start();
            let mut one = join(&events, 1);
            let mut two = join(&events, 2);
            let mut three = join(&events, 3);
            for (rx, id) in [(&mut one, 1), (&mut two, 2), (&mut three, 3)] {
                let welcome = next_line(rx, "the welcome").await;
                assert_eq!(welcome, Some(format!("welcome {id}")));
            }
            say(&events, 1, "hi");
            say(&events, 2, "hello");
            assert_eq!(
                next_line(&mut two, "1's line").await.as_deref(),
                Some("1: hi")
            );
            assert_eq!(
                next_line(&mut three, "1's line").await.as_deref(),
                Some("1: hi")
            );
            assert_eq!(
                next_line(&mut one, "2's line").await.as_deref(),
                Some("2: hello"),
                "client 1 must get 2's line and never its own: skip the sender"
            );
        });
    }

    #[test]
    fn leave_not_forgetting_the_client_is_rejected() {
        MultiRuntime::new(2).block_on(async {
            let (events, _broker) = start();
            let mut one = join(&events, 1);
            let mut two = join(&events, 2);
            events.send(Event::Leave { id: 2 }).unwrap();
            say(&events, 1, "anyone?");
            assert_eq!(
                next_line(&mut two, "the welcome").await.as_deref(),
                Some("welcome 2")
            );
            assert_eq!(
                next_line(&mut two, "the end of 2's inbox").await,
                None,
                "client 2 left, so the broker must drop its inbox sender (ending the inbox) and \
                 send it nothing more"
            );
            assert_eq!(
                next_line(&mut one, "the welcome").await.as_deref(),
                Some("welcome 1")
            );
        });
    }

    #[test]
    fn crashing_on_a_vanished_client_is_rejected() {
        MultiRuntime::new(2).block_on(async {
            let (events, broker) = start();
            let gone = join(&events, 1);
            let mut two = join(&events, 2);
            assert_eq!(
                next_line(&mut two, "the welcome").await.as_deref(),
                Some("welcome 2")
            );
            drop(gone);
            say(&events, 2, "still there?");
            let mut three = join(&events, 3);
            say(&events, 2, "hi 3");
            assert_eq!(
                next_line(&mut three, "the welcome").await.as_deref(),
                Some("welcome 3"),
                "after sending to a client that disappeared without a Leave, the broker stopped \
                 working (did it unwrap a failed send?)"
            );
            assert_eq!(
                next_line(&mut three, "2's line").await.as_deref(),
                Some("2: hi 3")
            );
            drop(events);
            let done = timeout(LIMIT, broker).await.expect("broker still running");
            assert!(done.is_ok(), "the broker task failed: {done:?}");
        });
    }

    #[test]
    fn broker_outliving_its_event_senders_is_rejected() {
        MultiRuntime::new(2).block_on(async {
            let (events, broker) = start();
            let _one = join(&events, 1);
            drop(events);
            let done = timeout(LIMIT, broker).await;
            assert!(
                matches!(done, Ok(Ok(()))),
                "every event sender is gone, so no event can come: the broker must return"
            );
        });
    }
}
