// wrong answer: the next id is never advanced, so every client gets id 0; reusing_one_id_for_every_client_is_rejected catches it.
// chat3: the chat server
//
// The broker from chat1 and the client task from chat2 are below, finished. What is left is the
// piece that connects them: `serve` starts the broker, then accepts connections forever and
// gives each one its own client task with a fresh id and a clone of the event sender.
//
//     serve ─ spawn ─► broker
//       └─ loop: accept ─ spawn ─► client(0, ..)   client(1, ..)   client(2, ..) ...
//
// Everything runs on the reference multi-threaded runtime: the client tasks are spread over its
// workers, and whichever worker is idle steals the others' work (chapter 14).
//
// Write `serve`. The tests connect 20 clients that each send 5 lines; each client must receive
// the 95 lines of the other 19.

use std::collections::HashMap;

use runtime_reference::executor::spawn;
use runtime_reference::future::{Either, select};
use runtime_reference::net::{TcpListener, TcpStream};
use runtime_reference::sync::mpsc::{self, Receiver, UnboundedSender};

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

/// Accepts clients forever: one broker for the server, one client task per connection.
pub async fn serve(listener: TcpListener) {
    let (events, events_rx) = mpsc::unbounded();
    spawn(broker(events_rx));
    let mut next_id: ClientId = 0;
    loop {
        // One failed accept (the peer gave up during the handshake) is no reason to stop.
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Spawn, don't await: awaiting would serve one client until it leaves.
        spawn(client(next_id, stream, events.clone()));
    }
}

// ---- from chat1 and chat2, finished ----

pub async fn broker(mut events: Receiver<Event>) {
    let mut clients: HashMap<ClientId, UnboundedSender<String>> = HashMap::new();
    while let Some(event) = events.recv().await {
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
                clients.retain(|&id, inbox| id == from || inbox.send(text.clone()).is_ok());
            }
        }
    }
}

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
            Either::Left(Ok(0)) | Either::Left(Err(_)) => break,
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
            Either::Right(None) => break,
        }
    }
    let _ = events.send(Event::Leave { id });
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::multi::Runtime as MultiRuntime;
    use runtime_reference::time::timeout;
    use std::collections::{BTreeSet, HashSet};
    use std::net::SocketAddr;
    use std::time::Duration;

    /// The test's side of one connection.
    struct Peer {
        stream: TcpStream,
        pending: Vec<u8>,
        lines: Vec<String>,
    }

    impl Peer {
        async fn connect(addr: SocketAddr) -> Peer {
            let stream = TcpStream::connect(addr).await.unwrap();
            Peer {
                stream,
                pending: Vec::new(),
                lines: Vec::new(),
            }
        }

        async fn next_line(&mut self, what: &str) -> String {
            let mut buf = [0u8; 4096];
            while self.lines.is_empty() {
                let n = timeout(Duration::from_millis(500), self.stream.read(&mut buf))
                    .await
                    .unwrap_or_else(|_| panic!("waited 0.5 s for {what}"))
                    .unwrap();
                assert!(
                    n > 0,
                    "the server closed the connection while {what} was expected"
                );
                self.pending.extend_from_slice(&buf[..n]);
                self.lines.extend(take_lines(&mut self.pending));
            }
            self.lines.remove(0)
        }

        /// Reads the greeting and returns the id in it.
        async fn welcome(&mut self) -> ClientId {
            let line = self.next_line("the \"welcome <id>\" line").await;
            let id = line
                .strip_prefix("welcome ")
                .unwrap_or_else(|| panic!("not a welcome: {line:?}"));
            id.parse().unwrap()
        }
    }

    fn start() -> (MultiRuntime, SocketAddr) {
        let rt = MultiRuntime::new(2);
        let listener = rt.block_on(async { TcpListener::bind("127.0.0.1:0").unwrap() });
        let addr = listener.local_addr().unwrap();
        rt.spawn(serve(listener));
        (rt, addr)
    }

    #[test]
    fn reusing_one_id_for_every_client_is_rejected() {
        let (rt, addr) = start();
        rt.block_on(async {
            let mut ids = HashSet::new();
            let mut peers = Vec::new();
            for _ in 0..3 {
                let mut peer = Peer::connect(addr).await;
                ids.insert(peer.welcome().await);
                peers.push(peer);
            }
            assert_eq!(
                ids.len(),
                3,
                "three clients got the ids {ids:?}: each needs its own"
            );
        });
    }

    #[test]
    fn serving_one_client_at_a_time_is_rejected() {
        let (rt, addr) = start();
        rt.block_on(async {
            let mut first = Peer::connect(addr).await;
            first.welcome().await;
            // The first client stays connected while the second arrives.
            let mut second = Peer::connect(addr).await;
            second.welcome().await;
            second.stream.write_all(b"hi first\n").await.unwrap();
            let line = first.next_line("the second client's line").await;
            assert!(line.ends_with(": hi first"), "got {line:?}");
        });
    }

    #[test]
    fn twenty_clients_hear_each_other() {
        let (rt, addr) = start();
        rt.block_on(async {
            let mut peers = Vec::new();
            let mut ids = Vec::new();
            // Everyone is in the room before anyone speaks.
            for _ in 0..20 {
                let mut peer = Peer::connect(addr).await;
                ids.push(peer.welcome().await);
                peers.push(peer);
            }
            let talkers: Vec<_> = peers
                .into_iter()
                .zip(ids.clone())
                .map(|(mut peer, me)| {
                    spawn(async move {
                        for n in 0..5 {
                            let line = format!("line {n} from {me}\n");
                            peer.stream.write_all(line.as_bytes()).await.unwrap();
                        }
                        let mut heard = BTreeSet::new();
                        while heard.len() < 19 * 5 {
                            heard.insert(peer.next_line("the other clients' lines").await);
                        }
                        (me, heard)
                    })
                })
                .collect();
            for talker in talkers {
                let (me, heard) = talker.await.unwrap();
                let expected: BTreeSet<String> = ids
                    .iter()
                    .filter(|&&other| other != me)
                    .flat_map(|&other| {
                        (0..5).map(move |n| format!("{other}: line {n} from {other}"))
                    })
                    .collect();
                assert_eq!(
                    heard, expected,
                    "client {me} must hear each other client's 5 lines"
                );
            }
        });
    }
}
