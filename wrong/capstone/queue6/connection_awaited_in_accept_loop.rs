// wrong answer: serves each connection inside the accept loop instead of on its own task, so a silent client blocks everyone; one_client_at_a_time_is_rejected fails.
// queue6: a status endpoint — the queue's counts over HTTP
//
// Operators want to see the queue without attaching a debugger: `GET /status` on a small
// TCP port answers with the counts as JSON. This is HTTP/1.1 at its smallest: read the request
// line (`GET /status HTTP/1.1`) and the header lines up to the empty line, then write
//
//     HTTP/1.1 200 OK\r\n
//     Content-Type: application/json\r\n
//     Content-Length: <bytes in the body>\r\n
//     Connection: close\r\n
//     \r\n
//     {"queued":2,"running":1,"done":1,"failed":1}
//
// and close the connection. Anything other than `GET /status` gets `404 Not Found` (with a
// small JSON body, same headers). The counts come from the state actor of queue1 (below,
// finished), asked afresh for every request. Every connection gets a task of its own: a
// client that connects and says nothing must not hold up the next one.
//
// Write `serve_status` and `handle_connection`.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// Where connections come from: a `TcpListener`, or in the tests one whose accepts can fail.
pub trait Accept: Send + Sync + 'static {
    fn accept(&self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self).await
    }
}

/// Accepts connections forever, serving each in its own task.
pub async fn serve_status(listener: impl Accept, queue: QueueHandle) -> io::Result<()> {
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // One would-be client failed (it gave up during the handshake, or no file
            // descriptor was free): skip it. The short pause keeps an error that lasts a while
            // from turning this loop into a busy one.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let queue = queue.clone();
        let _ = handle_connection(stream, queue).await;
    }
}

/// Reads one request, answers it, closes the connection.
async fn handle_connection(stream: TcpStream, queue: QueueHandle) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    // Skip the headers: they end at the first empty line (or at EOF).
    loop {
        let mut header = String::new();
        let n = reader.read_line(&mut header).await?;
        if n == 0 || header.trim_end().is_empty() {
            break;
        }
    }
    let words: Vec<&str> = request_line.split_whitespace().collect();
    let (status, body) = match words.as_slice() {
        ["GET", "/status", _version] => ("200 OK", stats_json(queue.stats().await)),
        _ => ("404 Not Found", r#"{"error":"not found"}"#.to_string()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = reader.into_inner();
    stream.write_all(response.as_bytes()).await?;
    // Closing our side tells the client the response is complete.
    stream.shutdown().await
}

/// The counts as a JSON object.
pub fn stats_json(stats: Stats) -> String {
    format!(
        r#"{{"queued":{},"running":{},"done":{},"failed":{}}}"#,
        stats.queued, stats.running, stats.done, stats.failed
    )
}

// ---- The state actor from queue1, finished. ----

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
                if let Some(status) = self.status.get_mut(&id)
                    && *status == JobStatus::Running
                {
                    *status = if ok {
                        JobStatus::Done
                    } else {
                        JobStatus::Failed
                    };
                }
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::io::AsyncReadExt;
    use tokio::time::timeout;

    struct Response {
        status: u16,
        headers: HashMap<String, String>,
        body: String,
    }

    /// Starts the endpoint on a free loopback port.
    async fn start(queue: &QueueHandle) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve_status(listener, queue.clone()));
        addr
    }

    /// A bare-hands HTTP client: write the request, read until the server closes.
    async fn request(addr: SocketAddr, request_line: &str) -> Response {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("{request_line}\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        match timeout(Duration::from_secs(1), stream.read_to_end(&mut raw)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("reading the response failed: {e}"),
            Err(_) => panic!(
                "no complete response within a second: answer every request, and close the \
                 connection after the response (a task per client, so nobody waits in line)"
            ),
        }
        let raw = String::from_utf8(raw).expect("the response is text");
        let (head, body) = raw
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no empty line after the headers in {raw:?}"));
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .map(|line| {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad header line {line:?}"));
                (name.trim().to_ascii_lowercase(), value.trim().to_string())
            })
            .collect();
        Response {
            status,
            headers,
            body: body.to_string(),
        }
    }

    /// Reads a flat JSON object of numbers, whatever the spacing and key order.
    fn counts(body: &str) -> HashMap<String, u64> {
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let inner = compact
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or_else(|| panic!("the body is not a JSON object: {body:?}"));
        inner
            .split(',')
            .map(|pair| {
                let (key, value) = pair
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad JSON member {pair:?}"));
                let key = key.trim_matches('"').to_string();
                let value = value
                    .parse()
                    .unwrap_or_else(|_| panic!("{key} is not a number in {body:?}"));
                (key, value)
            })
            .collect()
    }

    fn expected(queued: u64, running: u64, done: u64, failed: u64) -> HashMap<String, u64> {
        [
            ("queued", queued),
            ("running", running),
            ("done", done),
            ("failed", failed),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    #[tokio::test]
    async fn status_with_wrong_counts_or_headers_is_rejected() {
        let queue = QueueHandle::spawn();
        for n in 0..5 {
            queue.enqueue(format!("job {n}")).await;
        }
        for _ in 0..3 {
            queue.dequeue().await;
        }
        queue.finish(1, true).await;
        queue.finish(2, false).await;
        let addr = start(&queue).await;
        let response = request(addr, "GET /status HTTP/1.1").await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        assert_eq!(
            response.headers.get("content-length"),
            Some(&response.body.len().to_string()),
            "Content-Length must be the body's length in bytes"
        );
        assert_eq!(counts(&response.body), expected(2, 1, 1, 1));
    }

    #[tokio::test]
    async fn counts_read_only_once_are_rejected() {
        let queue = QueueHandle::spawn();
        let addr = start(&queue).await;
        let before = request(addr, "GET /status HTTP/1.1").await;
        assert_eq!(counts(&before.body), expected(0, 0, 0, 0));
        queue.enqueue("late").await;
        let after = request(addr, "GET /status HTTP/1.1").await;
        assert_eq!(
            counts(&after.body),
            expected(1, 0, 0, 0),
            "every request must ask the state actor for fresh counts"
        );
    }

    #[tokio::test]
    async fn other_paths_served_as_status_are_rejected() {
        let queue = QueueHandle::spawn();
        let addr = start(&queue).await;
        for line in [
            "GET /nothing-here HTTP/1.1",
            "POST /status HTTP/1.1",
            "GET / HTTP/1.1",
        ] {
            let response = request(addr, line).await;
            assert_eq!(response.status, 404, "{line:?} must get 404 Not Found");
            assert_eq!(
                response.headers.get("content-length"),
                Some(&response.body.len().to_string())
            );
        }
    }

    /// A listener whose first `failures` accepts fail, as a real one's do when a peer gives up
    /// during the handshake or the process is out of file descriptors for a moment.
    struct Flaky {
        inner: TcpListener,
        failures: AtomicUsize,
    }

    impl Accept for Flaky {
        async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
            if self.failures.load(Ordering::SeqCst) > 0 {
                self.failures.fetch_sub(1, Ordering::SeqCst);
                return Err(io::ErrorKind::ConnectionAborted.into());
            }
            self.inner.accept().await
        }
    }

    #[tokio::test]
    async fn one_failed_accept_ending_the_server_is_rejected() {
        let queue = QueueHandle::spawn();
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let failures = AtomicUsize::new(2);
        let server = tokio::spawn(serve_status(Flaky { inner, failures }, queue.clone()));
        // The failing accepts return at once: a few turns are enough for the server to see them.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(
            !server.is_finished(),
            "serve_status returned after a failed accept: an error from accept concerns one \
             would-be client; skip it and accept the next"
        );
        let response = request(addr, "GET /status HTTP/1.1").await;
        assert_eq!(response.status, 200, "the server must still answer");
    }

    #[tokio::test]
    async fn one_client_at_a_time_is_rejected() {
        let queue = QueueHandle::spawn();
        let addr = start(&queue).await;
        // A client that connects and never sends a byte.
        let _silent = TcpStream::connect(addr).await.unwrap();
        tokio::task::yield_now().await;
        let response = request(addr, "GET /status HTTP/1.1").await;
        assert_eq!(
            response.status, 200,
            "a silent client must not block the others"
        );
    }
}
