// wrong answer: a read of 0 bytes is handled like data, so after the peer closed the client keeps reading nothing and never sends Leave; disconnect_without_leave_is_rejected catches it.
// chat2: a client task that selects over its socket and its inbox
//
// Each connection gets its own task. It waits on two things at once:
//
//     socket ── bytes ──► split into lines ──► Event::Message to the broker
//     inbox  ◄── "<from>: <line>" from the broker ──► written to the socket with a '\n'
//
// Waiting on the socket first and the inbox after (or the other way round) would be wrong: a
// client that only listens would never see anyone's lines, because its task sits in `read`. So
// each turn of the loop selects over `stream.read(..)` and `inbox.recv()` and handles whichever
// is ready. The loser is dropped, which is harmless for both: neither has consumed anything
// until it completes.
//
// The task ends when the peer closes the connection (a read of 0 bytes, or an error), when a
// write fails, or when the broker is gone (the inbox returns None); then it sends `Leave`.
//
// Write the loop in `client`. `take_lines` is written for you. Do not change the tests.

use runtime_reference::future::{Either, select};
use runtime_reference::net::TcpStream;
use runtime_reference::sync::mpsc::{self, UnboundedSender};

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

/// Removes every complete line from the front of `pending` and returns them without their
/// '\n'. An unfinished last line stays in `pending` for the next read.
pub fn take_lines(pending: &mut Vec<u8>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(end) = pending.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        lines.push(String::from_utf8_lossy(&line[..end]).into_owned());
    }
    lines
}

pub async fn client(id: ClientId, mut stream: TcpStream, events: UnboundedSender<Event>) {
    let (inbox_tx, mut inbox) = mpsc::unbounded();
    if events
        .send(Event::Join {
            id,
            inbox: inbox_tx,
        })
        .is_err()
    {
        return;
    }
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match select(stream.read(&mut buf), inbox.recv()).await {
            Either::Left(Err(_)) => break,
            Either::Left(Ok(n)) => {
                pending.extend_from_slice(&buf[..n]);
                for line in take_lines(&mut pending) {
                    let _ = events.send(Event::Message { from: id, line });
                }
            }
            Either::Right(Some(text)) => {
                if stream
                    .write_all(format!("{text}\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
            }
            // The broker dropped this client's inbox sender: nobody is listening any more.
            Either::Right(None) => break,
        }
    }
    let _ = events.send(Event::Leave { id });
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::spawn;
    use runtime_reference::multi::Runtime as MultiRuntime;
    use runtime_reference::net::TcpListener;
    use runtime_reference::sync::mpsc::Receiver;
    use runtime_reference::time::timeout;
    use std::time::Duration;

    /// Far longer than anything here takes on loopback, short enough to fail fast.
    const LIMIT: Duration = Duration::from_millis(500);

    /// Starts `client(7, ..)` on a fresh connection; returns the test's end of the socket, the
    /// broker's end of the events, and the inbox sender from the `Join`.
    async fn connect() -> (TcpStream, Receiver<Event>, UnboundedSender<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (events, mut events_rx) = mpsc::unbounded();
        spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            polled_at_most(1000, client(7, stream, events)).await;
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        match next_event(&mut events_rx, "Join").await {
            Event::Join { id: 7, inbox } => (stream, events_rx, inbox),
            other => panic!("the first event must be Join for client 7, got {other:?}"),
        }
    }

    /// Runs `fut`, counting its polls. A client here handles a few lines, so a few polls do; a
    /// client that loops on a read of 0 bytes or on a closed inbox is polled again and again,
    /// and fails here at once instead of running until a timeout.
    async fn polled_at_most(limit: usize, fut: impl Future<Output = ()>) {
        let mut fut = std::pin::pin!(fut);
        let mut polls = 0;
        std::future::poll_fn(|cx| {
            polls += 1;
            assert!(
                polls <= limit,
                "the client task was polled {limit} times: it spins. A read of 0 bytes (the \
                 peer closed) or None from the inbox (the broker is gone) ends the loop"
            );
            fut.as_mut().poll(cx)
        })
        .await
    }

    async fn next_event(rx: &mut Receiver<Event>, what: &str) -> Event {
        timeout(LIMIT, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("waited 0.5 s for the client task to send {what}"))
            .expect("the client task dropped its events sender")
    }

    async fn read_line(stream: &mut TcpStream, what: &str) -> String {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\n") {
            let n = timeout(LIMIT, stream.read(&mut byte))
                .await
                .unwrap_or_else(|_| panic!("waited 0.5 s for {what} on the socket"))
                .unwrap();
            assert!(
                n > 0,
                "the client task closed the socket while {what} was expected"
            );
            got.push(byte[0]);
        }
        String::from_utf8(got).unwrap()
    }

    #[test]
    fn socket_lines_become_messages() {
        MultiRuntime::new(2).block_on(async {
            let (mut stream, mut events, _inbox) = connect().await;
            // The second line is cut in two, and its second half is sent only once the client
            // has read the first write (its first line came out): two reads, one line.
            for (bytes, expected) in [(&b"hello\nwor"[..], "hello"), (&b"ld\n"[..], "world")] {
                stream.write_all(bytes).await.unwrap();
                match next_event(&mut events, "a Message").await {
                    Event::Message { from: 7, line } => assert_eq!(
                        line, expected,
                        "a line split across two reads must be put back together: keep the \
                         unfinished end of a read for the next one"
                    ),
                    other => {
                        panic!("expected Message {{ from: 7, line: {expected:?} }}, got {other:?}")
                    }
                }
            }
        });
    }

    #[test]
    fn waiting_on_the_socket_before_the_inbox_is_rejected() {
        MultiRuntime::new(2).block_on(async {
            let (mut stream, _events, inbox) = connect().await;
            // The peer sends nothing; a line arrives in the inbox.
            inbox.send("3: hey".to_string()).unwrap();
            assert_eq!(
                read_line(&mut stream, "the inbox line \"3: hey\"").await,
                "3: hey\n",
                "a quiet client must still get other clients' lines: select over the socket and \
                 the inbox"
            );
            inbox.send("4: ho".to_string()).unwrap();
            assert_eq!(
                read_line(&mut stream, "the second inbox line").await,
                "4: ho\n"
            );
        });
    }

    #[test]
    fn spinning_on_a_closed_inbox_is_rejected() {
        MultiRuntime::new(2).block_on(async {
            let (_stream, mut events, inbox) = connect().await;
            // The broker is gone: the inbox is closed for good.
            drop(inbox);
            match next_event(&mut events, "Leave after the inbox closed").await {
                Event::Leave { id: 7 } => {}
                other => panic!("expected Leave {{ id: 7 }}, got {other:?}"),
            }
        });
    }

    #[test]
    fn disconnect_without_leave_is_rejected() {
        MultiRuntime::new(2).block_on(async {
            let (stream, mut events, _inbox) = connect().await;
            drop(stream);
            match next_event(&mut events, "Leave after the peer closed the socket").await {
                Event::Leave { id: 7 } => {}
                other => panic!("expected Leave {{ id: 7 }}, got {other:?}"),
            }
        });
    }
}
