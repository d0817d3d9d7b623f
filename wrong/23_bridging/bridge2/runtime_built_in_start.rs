// wrong answer: builds a new Runtime inside `start` for the plain threads and drops it there, which tokio refuses inside async code; every test fails.
// bridge2: a blocking front for an async service
//
// Not every caller is async. A plugin interface, a callback from a C library, or an old
// thread-per-request codebase wants a plain `fn get(&self, key) -> Option<String>` that blocks.
// The service behind it is an async task (an actor that owns the map and answers requests sent
// over a channel).
//
// The bridge has two halves:
//   - `start` runs inside the runtime: it spawns the store task and remembers the runtime with
//     `Handle::current()`. Plain threads have no runtime of their own, so they cannot call
//     `Handle::current()` (it panics there); they use the handle saved here.
//   - `get`/`set` run on plain threads: `self.handle.block_on(async { .. })` sends a request and
//     awaits the reply, blocking only the calling thread.
//
//     plain thread --block_on--> send Request{reply: oneshot} --> store task (on the runtime)
//                  <------------- reply over the oneshot <--------'
//
// Implement `start` and `call`. Do not change the tests.

use std::collections::HashMap;

use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

enum Request {
    Get(String, oneshot::Sender<Option<String>>),
    Set(String, String, oneshot::Sender<Option<String>>),
}

/// The async service: owns the map, answers one request at a time.
async fn store(mut requests: mpsc::Receiver<Request>) {
    let mut map = HashMap::new();
    while let Some(request) = requests.recv().await {
        match request {
            Request::Get(key, reply) => {
                let _ = reply.send(map.get(&key).cloned());
            }
            Request::Set(key, value, reply) => {
                let _ = reply.send(map.insert(key, value));
            }
        }
    }
}

struct BlockingKv {
    handle: Handle,
    requests: mpsc::Sender<Request>,
}

impl BlockingKv {
    /// Call from inside the runtime: starts the store task on it.
    fn start() -> BlockingKv {
        let (requests, inbox) = mpsc::channel(16);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.spawn(store(inbox));
        BlockingKv {
            handle: runtime.handle().clone(),
            requests,
        }
    }

    /// Call from a plain thread: sends the request built by `make` and blocks until the reply.
    fn call(
        &self,
        make: impl FnOnce(oneshot::Sender<Option<String>>) -> Request,
    ) -> Option<String> {
        let (reply, answer) = oneshot::channel();
        self.handle.block_on(async {
            self.requests
                .send(make(reply))
                .await
                .expect("the store task has stopped");
            answer.await.expect("the store task dropped the request")
        })
    }

    fn get(&self, key: &str) -> Option<String> {
        self.call(|reply| Request::Get(key.to_string(), reply))
    }

    /// Returns the previous value.
    fn set(&self, key: &str, value: &str) -> Option<String> {
        self.call(|reply| Request::Set(key.to_string(), value.to_string(), reply))
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Waits (without blocking the runtime's worker threads) for a plain thread to finish, for
    /// at most a second: a request that nobody answers fails here instead of hanging.
    async fn join_plain<T: Send + 'static>(thread: std::thread::JoinHandle<T>) -> T {
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(thread.join()));
        tokio::task::spawn_blocking(move || result.recv_timeout(Duration::from_secs(1)))
            .await
            .unwrap()
            .expect(
                "a plain thread got no answer within a second: is the store task spawned and \
                 does `call` await the reply?",
            )
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Runs `f` on a new plain thread (no runtime there) and waits for it.
    async fn on_plain_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        join_plain(std::thread::spawn(f)).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn handle_current_on_a_plain_thread_is_rejected() {
        let kv = Arc::new(BlockingKv::start());
        let old = on_plain_thread({
            let kv = kv.clone();
            move || kv.set("colour", "teal")
        })
        .await;
        assert_eq!(old, None);
        let now = on_plain_thread(move || kv.get("colour")).await;
        assert_eq!(now.as_deref(), Some("teal"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn eight_plain_threads_share_one_store() {
        let kv = Arc::new(BlockingKv::start());
        // Many plain threads at once, all talking to the one store task.
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let kv = kv.clone();
                std::thread::spawn(move || kv.set(&format!("k{i}"), &i.to_string()))
            })
            .collect();
        let mut previous = Vec::new();
        for thread in threads {
            previous.push(join_plain(thread).await);
        }
        assert!(previous.iter().all(Option::is_none));
        let values: Vec<Option<String>> =
            on_plain_thread(move || (0..8).map(|i| kv.get(&format!("k{i}"))).collect()).await;
        let want: Vec<Option<String>> = (0..8).map(|i| Some(i.to_string())).collect();
        assert_eq!(
            values, want,
            "every thread's write must reach the single store task"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reply_not_passed_back_to_the_caller_is_rejected() {
        let kv = Arc::new(BlockingKv::start());
        let olds = on_plain_thread(move || {
            vec![kv.set("a", "1"), kv.set("a", "2"), kv.get("a"), kv.get("b")]
        })
        .await;
        assert_eq!(
            olds,
            vec![None, Some("1".to_string()), Some("2".to_string()), None]
        );
    }
}
