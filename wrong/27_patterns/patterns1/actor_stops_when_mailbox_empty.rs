// wrong answer: drains the mailbox with `try_recv`, so the actor stops as soon as no message is waiting; incr_that_loses_its_reply_is_rejected fails.
// patterns1: an actor with oneshot replies
//
// An actor is a task that owns some state and a mailbox (an mpsc receiver). Other tasks never
// touch the state; they hold a handle that sends messages. A message that needs an answer
// carries a `oneshot::Sender`, and the caller awaits the matching receiver.
//
//     handle.incr(5) ──Incr{by: 5, reply}──▶ [mailbox] ──▶ actor: value += 5; reply.send(value)
//            ◀──────────────── value ────────────────────────────────┘
//
// Because the actor handles one message at a time, "add 5" is one message and cannot interleave
// with another: a read-modify-write done by the caller (get, then set) can.
//
// Write `run_counter` (the actor's loop, which must end once every handle is dropped) and
// `CounterHandle::incr`.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

enum Message {
    Get {
        reply: oneshot::Sender<u64>,
    },
    Set {
        value: u64,
    },
    Incr {
        by: u64,
        reply: oneshot::Sender<u64>,
    },
}

async fn run_counter(mut mailbox: mpsc::Receiver<Message>) {
    let mut value = 0;
    // `recv` returns None once every sender (every handle) is gone: the actor's cue to stop.
    while let Ok(message) = mailbox.try_recv() {
        match message {
            Message::Get { reply } => {
                let _ = reply.send(value);
            }
            Message::Set { value: new } => value = new,
            Message::Incr { by, reply } => {
                value += by;
                let _ = reply.send(value);
            }
        }
    }
}

#[derive(Clone)]
pub struct CounterHandle {
    mailbox: mpsc::Sender<Message>,
}

/// Starts the actor; returns a handle and the actor task's JoinHandle.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<()>) {
    let (mailbox, inbox) = mpsc::channel(16);
    let task = tokio::spawn(run_counter(inbox));
    (CounterHandle { mailbox }, task)
}

impl CounterHandle {
    pub async fn get(&self) -> u64 {
        let (reply, answer) = oneshot::channel();
        self.mailbox
            .send(Message::Get { reply })
            .await
            .expect("the counter actor stopped");
        answer.await.expect("the counter actor dropped the reply")
    }

    pub async fn set(&self, value: u64) {
        self.mailbox
            .send(Message::Set { value })
            .await
            .expect("the counter actor stopped");
    }

    /// Adds `by` in one step inside the actor; returns the new value.
    pub async fn incr(&self, by: u64) -> u64 {
        let (reply, answer) = oneshot::channel();
        self.mailbox
            .send(Message::Incr { by, reply })
            .await
            .expect("the counter actor stopped");
        answer.await.expect("the counter actor dropped the reply")
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn incr_that_loses_its_reply_is_rejected() {
        let (counter, _task) = spawn_counter();
        assert_eq!(
            counter.incr(5).await,
            5,
            "incr returns the value after adding"
        );
        assert_eq!(counter.incr(2).await, 7);
        assert_eq!(counter.get().await, 7);
        counter.set(100).await;
        assert_eq!(counter.incr(1).await, 101);
    }

    #[tokio::test]
    async fn incr_as_get_then_set_is_rejected() {
        let (counter, _task) = spawn_counter();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let counter = counter.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..50 {
                    counter.incr(1).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(
            counter.get().await,
            500,
            "increments were lost: a get followed by a set lets other tasks slip in between; \
             send one Incr message and let the actor do the addition"
        );
    }

    #[tokio::test]
    async fn actor_that_outlives_its_handles_is_rejected() {
        let (counter, task) = spawn_counter();
        let other = counter.clone();
        counter.incr(1).await;
        drop(counter);
        drop(other);
        // A bounded number of turns for the actor to notice its mailbox is closed.
        for _ in 0..100 {
            if task.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(
            task.is_finished(),
            "the actor kept running after every handle was dropped: stop when recv returns None"
        );
        task.await.expect("the actor panicked");
    }
}
