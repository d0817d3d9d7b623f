// tokio_io3: test a protocol in memory with tokio::io::duplex
//
// A protocol handler written against `TcpStream` can only be tested with real sockets. Written
// against the traits (`AsyncRead + AsyncWrite + Unpin`) it runs just as well on
// `tokio::io::duplex(capacity)`: two connected in-memory streams, each end readable and writable,
// with a small buffer in between, no ports and no kernel. The tests below drive your handler
// that way, with paused time, so a handler that forgets to answer fails at once.
//
// Write `serve`, a line protocol. For each line the client sends, reply with one line:
//   "PING"          -> "PONG"
//   "ECHO <text>"   -> "<text>"
//   anything else   -> "ERR unknown command"
// Every reply must reach the client before the next request is read (the client waits for it).
// At end of stream return how many requests were answered.

use std::io;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};

async fn serve<S>(stream: S) -> io::Result<usize>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (read_half, write_half) = tokio::io::split(stream);
    let mut lines = BufReader::new(read_half).lines();
    let mut out = BufWriter::new(write_half);
    let mut answered = 0;
    while let Some(line) = lines.next_line().await? {
        let reply = match line.as_str() {
            "PING" => "PONG",
            _ => line.strip_prefix("ECHO ").unwrap_or("ERR unknown command"),
        };
        out.write_all(reply.as_bytes()).await?;
        out.write_all(b"\n").await?;
        // The client waits for this reply before it sends the next line: push it out now.
        out.flush().await?;
        answered += 1;
    }
    Ok(answered)
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{
        AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
    };
    use tokio::task::JoinHandle;

    const STUCK: &str = "a test did not finish within a second of real time: serve is spinning (a loop that never waits), which also freezes tokio's paused clock";

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

    struct Client {
        replies: Lines<BufReader<ReadHalf<DuplexStream>>>,
        requests: WriteHalf<DuplexStream>,
        server: JoinHandle<io::Result<usize>>,
    }

    fn connect(capacity: usize) -> Client {
        let (client, server) = tokio::io::duplex(capacity);
        let server = tokio::spawn(serve(server));
        let (read_half, requests) = tokio::io::split(client);
        Client {
            replies: BufReader::new(read_half).lines(),
            requests,
            server,
        }
    }

    impl Client {
        // Sends one request and waits for its reply. Time is paused: if the server never
        // answers, the runtime jumps the clock and the timeout fires at once.
        async fn ask(&mut self, request: &str) -> String {
            self.requests
                .write_all(format!("{request}\n").as_bytes())
                .await
                .unwrap();
            let reply = tokio::time::timeout(Duration::from_secs(5), self.replies.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no reply to {request:?}: was it written but left in the BufWriter \
                         (flush after each reply), or not written at all?"
                    )
                });
            reply
                .expect("reading the reply failed")
                .expect("the server closed the stream instead of replying")
        }

        async fn finish(mut self) -> usize {
            self.requests.shutdown().await.unwrap();
            drop(self.requests);
            tokio::time::timeout(Duration::from_secs(5), self.server)
                .await
                .expect("serve did not return at end of stream")
                .expect("serve panicked")
                .expect("serve failed")
        }
    }

    #[test]
    fn replies_left_in_the_buffer_are_rejected() {
        paused(|| async {
            let mut client = connect(64);
            assert_eq!(client.ask("PING").await, "PONG");
            assert_eq!(client.ask("PING").await, "PONG");
        });
    }

    #[test]
    fn echo_with_the_command_left_in_is_rejected() {
        paused(|| async {
            let mut client = connect(64);
            assert_eq!(client.ask("ECHO hello duplex").await, "hello duplex");
            assert_eq!(client.ask("ECHO PING").await, "PING");
        });
    }

    #[test]
    fn silence_on_unknown_commands_is_rejected() {
        paused(|| async {
            let mut client = connect(64);
            assert_eq!(client.ask("JUMP").await, "ERR unknown command");
            assert_eq!(client.ask("ping").await, "ERR unknown command");
            assert_eq!(client.ask("PING").await, "PONG");
        });
    }

    #[test]
    fn wrong_request_count_is_rejected() {
        paused(|| async {
            let mut client = connect(8);
            for i in 0..10 {
                let text = format!("message number {i} is longer than the pipe");
                assert_eq!(client.ask(&format!("ECHO {text}")).await, text);
            }
            assert_eq!(client.ask("NOPE").await, "ERR unknown command");
            assert_eq!(
                client.finish().await,
                11,
                "serve returns how many requests it answered"
            );
        });
    }
}
