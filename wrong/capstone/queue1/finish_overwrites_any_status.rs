// wrong answer: sets Done/Failed for any id, without checking that the job is Running; finish_counted_twice_or_for_unknown_jobs_is_rejected fails.
// queue1: the job queue's state, owned by one actor task
//
// The capstone builds an async job queue in six steps. Step one is its memory: which jobs wait,
// which run, how many finished. One task (the actor) owns that state; everyone else holds a
// cheap, clonable `QueueHandle` and sends it commands over a channel. Commands that need an
// answer carry a `oneshot::Sender` for the reply. No Mutex: only the actor touches the state,
// one command at a time, so every command sees the result of the ones before it.
//
// The handle, the commands and the actor loop are written. Implement `State::handle`:
// - Enqueue: give the job the next id (1, 2, 3, ...), queue it, mark it Queued, reply the id.
// - Dequeue: hand out the oldest queued job (first in, first out) and mark it Running;
//   reply None at once when nothing is queued.
// - Finish: a Running job becomes Done (ok) or Failed (not ok). Ignore any other id.
// - Status: reply the job's status, or None for an id never enqueued.
// - Stats: reply how many jobs are in each status.
// Every command with a `reply` must be answered: a dropped reply sender leaves the caller
// with nothing but an error.

use std::collections::{HashMap, VecDeque};

use tokio::sync::{mpsc, oneshot};

pub type JobId = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub payload: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub queued: usize,
    pub running: usize,
    pub done: usize,
    pub failed: usize,
}

enum Command {
    Enqueue {
        payload: String,
        reply: oneshot::Sender<JobId>,
    },
    Dequeue {
        reply: oneshot::Sender<Option<Job>>,
    },
    Finish {
        id: JobId,
        ok: bool,
    },
    Status {
        id: JobId,
        reply: oneshot::Sender<Option<JobStatus>>,
    },
    Stats {
        reply: oneshot::Sender<Stats>,
    },
}

#[derive(Default)]
struct State {
    last_id: JobId,
    waiting: VecDeque<Job>,
    status: HashMap<JobId, JobStatus>,
}

impl State {
    fn handle(&mut self, command: Command) {
        // A failed `send` means the caller stopped waiting for the answer; nothing to do.
        match command {
            Command::Enqueue { payload, reply } => {
                self.last_id += 1;
                let id = self.last_id;
                self.waiting.push_back(Job { id, payload });
                self.status.insert(id, JobStatus::Queued);
                let _ = reply.send(id);
            }
            Command::Dequeue { reply } => {
                let job = self.waiting.pop_front();
                if let Some(job) = &job {
                    self.status.insert(job.id, JobStatus::Running);
                }
                let _ = reply.send(job);
            }
            Command::Finish { id, ok } => {
                let status = if ok {
                    JobStatus::Done
                } else {
                    JobStatus::Failed
                };
                self.status.insert(id, status);
            }
            Command::Status { id, reply } => {
                let _ = reply.send(self.status.get(&id).copied());
            }
            Command::Stats { reply } => {
                let mut stats = Stats::default();
                for status in self.status.values() {
                    match status {
                        JobStatus::Queued => stats.queued += 1,
                        JobStatus::Running => stats.running += 1,
                        JobStatus::Done => stats.done += 1,
                        JobStatus::Failed => stats.failed += 1,
                    }
                }
                let _ = reply.send(stats);
            }
        }
    }
}

/// The actor: owns the state and applies commands in arrival order until every handle is gone.
async fn run_actor(mut commands: mpsc::Receiver<Command>) {
    let mut state = State::default();
    while let Some(command) = commands.recv().await {
        state.handle(command);
    }
}

#[derive(Clone)]
pub struct QueueHandle {
    commands: mpsc::Sender<Command>,
}

impl QueueHandle {
    /// Starts the actor on the current tokio runtime.
    pub fn spawn() -> QueueHandle {
        let (commands, inbox) = mpsc::channel(64);
        tokio::spawn(run_actor(inbox));
        QueueHandle { commands }
    }

    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> T {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .expect("the state actor has stopped");
        answer
            .await
            .expect("the state actor dropped the reply sender without answering")
    }

    pub async fn enqueue(&self, payload: impl Into<String>) -> JobId {
        let payload = payload.into();
        self.ask(|reply| Command::Enqueue { payload, reply }).await
    }

    pub async fn dequeue(&self) -> Option<Job> {
        self.ask(|reply| Command::Dequeue { reply }).await
    }

    pub async fn finish(&self, id: JobId, ok: bool) {
        self.commands
            .send(Command::Finish { id, ok })
            .await
            .expect("the state actor has stopped");
    }

    pub async fn status(&self, id: JobId) -> Option<JobStatus> {
        self.ask(|reply| Command::Status { id, reply }).await
    }

    pub async fn stats(&self) -> Stats {
        self.ask(|reply| Command::Stats { reply }).await
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn stats(queued: usize, running: usize, done: usize, failed: usize) -> Stats {
        Stats {
            queued,
            running,
            done,
            failed,
        }
    }

    #[tokio::test]
    async fn ids_that_repeat_or_do_not_grow_are_rejected() {
        let queue = QueueHandle::spawn();
        let ids = [
            queue.enqueue("a").await,
            queue.enqueue("b").await,
            queue.enqueue("c").await,
        ];
        assert_eq!(
            ids,
            [1, 2, 3],
            "ids start at 1 and grow by one per enqueued job"
        );
        assert_eq!(queue.status(2).await, Some(JobStatus::Queued));
        assert_eq!(
            queue.status(99).await,
            None,
            "an id never enqueued has no status"
        );
    }

    #[tokio::test]
    async fn lifo_dequeue_is_rejected() {
        let queue = QueueHandle::spawn();
        for payload in ["first", "second", "third"] {
            queue.enqueue(payload).await;
        }
        let mut order = Vec::new();
        while let Some(job) = queue.dequeue().await {
            order.push(job.payload);
            assert!(
                order.len() <= 3,
                "dequeue handed out more jobs than were enqueued"
            );
        }
        assert_eq!(
            order,
            ["first", "second", "third"],
            "the oldest job goes first"
        );
    }

    #[tokio::test]
    async fn dequeue_that_does_not_mark_running_is_rejected() {
        let queue = QueueHandle::spawn();
        let first = queue.enqueue("x").await;
        queue.enqueue("y").await;
        let job = queue.dequeue().await.expect("a job was queued");
        assert_eq!(
            job,
            Job {
                id: first,
                payload: "x".to_string()
            }
        );
        assert_eq!(queue.status(first).await, Some(JobStatus::Running));
        assert_eq!(queue.stats().await, stats(1, 1, 0, 0));
    }

    #[tokio::test]
    async fn empty_dequeue_that_waits_or_drops_the_reply_is_rejected() {
        let queue = QueueHandle::spawn();
        assert_eq!(
            queue.dequeue().await,
            None,
            "nothing queued: reply None at once"
        );
    }

    #[tokio::test]
    async fn finish_counted_twice_or_for_unknown_jobs_is_rejected() {
        let queue = QueueHandle::spawn();
        let good = queue.enqueue("good").await;
        let bad = queue.enqueue("bad").await;
        let waiting = queue.enqueue("still waiting").await;
        queue.dequeue().await;
        queue.dequeue().await;
        queue.finish(good, true).await;
        queue.finish(bad, false).await;
        queue.finish(good, false).await; // already done: ignored
        queue.finish(waiting, true).await; // never started: ignored
        queue.finish(77, true).await; // unknown: ignored
        assert_eq!(queue.status(good).await, Some(JobStatus::Done));
        assert_eq!(queue.status(bad).await, Some(JobStatus::Failed));
        assert_eq!(queue.status(waiting).await, Some(JobStatus::Queued));
        assert_eq!(queue.stats().await, stats(1, 0, 1, 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ids_shared_between_clients_are_rejected() {
        let queue = QueueHandle::spawn();
        let mut clients = Vec::new();
        for client in 0..10 {
            let queue = queue.clone();
            clients.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..10 {
                    ids.push(queue.enqueue(format!("{client}-{n}")).await);
                }
                ids
            }));
        }
        let mut all = HashSet::new();
        for client in clients {
            all.extend(client.await.unwrap());
        }
        assert_eq!(
            all.len(),
            100,
            "100 jobs from 10 clients need 100 different ids"
        );
        assert_eq!(queue.stats().await, stats(100, 0, 0, 0));
    }
}
