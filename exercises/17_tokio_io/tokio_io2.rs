// tokio_io2: split a connection into halves owned by two tasks
//
// A chat client reads and writes the same socket at the same time: lines typed by the user go
// out whenever they come, lines from the server come in whenever they come. One task cannot wait
// for both in sequence. `TcpStream::into_split` gives an `OwnedReadHalf` and an `OwnedWriteHalf`
// that can move into two different tasks (`split`, without `into_`, only borrows and cannot).
//
// Write `start`. It spawns two tasks and returns their handles, writer first:
// - the writer sends every line received on `outgoing` followed by "\n", and finishes when
//   `outgoing` is closed; dropping its write half then tells the peer "no more data";
// - the reader forwards every line from the socket (without the "\n") to `incoming`, and finishes
//   at end of stream or when `incoming` is closed.

use std::io;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

fn start(
    stream: TcpStream,
    mut outgoing: mpsc::Receiver<String>,
    incoming: mpsc::Sender<String>,
) -> (JoinHandle<io::Result<()>>, JoinHandle<io::Result<()>>) {
    // TODO: split the stream into owned halves, move one into each task.
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    const STUCK: &str = "a test did not finish within a second of real time: a task is spinning (for example a writer that goes round again on a closed channel)";

    // Runs a test body on a current_thread runtime in a thread of its own, and fails the test if
    // the body has not finished after one second of real time: a task that spins can keep the
    // body's own timeouts from ever being polled.
    fn real_time<Fut: std::future::Future<Output = ()>>(
        body: impl FnOnce() -> Fut + Send + 'static,
    ) {
        let (finished, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
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

    // The far end: answers every line with the same line in upper case, closes at end of stream.
    async fn uppercase_peer(stream: TcpStream) -> io::Result<()> {
        stream.set_nodelay(true)?;
        let mut stream = BufReader::new(stream);
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            stream.write_all(line.to_uppercase().as_bytes()).await?;
        }
    }

    struct Session {
        to_send: mpsc::Sender<String>,
        received: mpsc::Receiver<String>,
        writer: JoinHandle<io::Result<()>>,
        reader: JoinHandle<io::Result<()>>,
        peer: JoinHandle<io::Result<()>>,
    }

    async fn session() -> Session {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = tokio::spawn(async move { uppercase_peer(listener.accept().await?.0).await });
        let stream = TcpStream::connect(addr).await.unwrap();
        // Small lines go out at once instead of waiting for acknowledgements (Nagle).
        stream.set_nodelay(true).unwrap();
        let (to_send, outgoing) = mpsc::channel(16);
        let (incoming, received) = mpsc::channel(16);
        let (writer, reader) = start(stream, outgoing, incoming);
        Session {
            to_send,
            received,
            writer,
            reader,
            peer,
        }
    }

    async fn within<F: Future>(what: &str, fut: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(1), fut)
            .await
            .unwrap_or_else(|_| panic!("{what}"))
    }

    #[test]
    fn reading_only_after_writing_everything_is_rejected() {
        real_time(|| async {
            let mut s = session().await;
            for word in ["hello", "split", "halves"] {
                s.to_send.send(word.to_string()).await.unwrap();
                let reply = within(
                    "no reply arrived while `outgoing` was still open: the reader must run at the \
                     same time as the writer, in its own task",
                    s.received.recv(),
                )
                .await;
                assert_eq!(reply.as_deref(), Some(word.to_uppercase().as_str()));
            }
        });
    }

    #[test]
    fn write_half_kept_open_after_outgoing_closes_is_rejected() {
        real_time(|| async {
            let mut s = session().await;
            s.to_send.send("last".to_string()).await.unwrap();
            drop(s.to_send);
            within(
                "the writer task did not finish after `outgoing` was closed",
                &mut s.writer,
            )
            .await
            .expect("the writer task panicked")
            .expect("the writer task failed");
            within(
                "the peer never saw end of stream: drop the write half when `outgoing` closes",
                &mut s.peer,
            )
            .await
            .unwrap()
            .unwrap();
            assert_eq!(s.received.recv().await.as_deref(), Some("LAST"));
            within(
                "the reader task did not finish at end of stream",
                &mut s.reader,
            )
            .await
            .expect("the reader task panicked")
            .expect("the reader task failed");
            assert_eq!(
                s.received.recv().await,
                None,
                "no lines after end of stream"
            );
        });
    }

    #[test]
    fn lines_out_of_order_or_merged_are_rejected() {
        real_time(|| async {
            let mut s = session().await;
            let words: Vec<String> = (0..20).map(|i| format!("line {i}")).collect();
            for word in &words {
                s.to_send.send(word.clone()).await.unwrap();
            }
            for word in &words {
                let reply = within("a reply went missing", s.received.recv()).await;
                assert_eq!(
                    reply,
                    Some(word.to_uppercase()),
                    "one line in, one line out, in order"
                );
            }
        });
    }
}
