// wrong answer: treats a 0-byte read like WouldBlock instead of the peer closing; `close_after_data_is_reported` catches it.
// io3: edge-triggered readiness means "drain it"
//
// mio reports readiness on *edges*: one event when a socket goes from "nothing to read" to
// "something to read". If you then read only part of what is there, no new event comes for
// the rest (nothing changed, it was already readable), and those bytes sit unread until the
// peer happens to send more. So on every readable event, read in a loop until the socket says
// `WouldBlock`: only then is it back to "nothing to read", ready to produce the next edge.
//
// Fix `on_readable`.

use std::io::{self, Read};

use mio::net::TcpStream;

/// Called on a readable event: appends everything `stream` has right now to `out`. Returns
/// `Ok(true)` when the peer has closed the connection.
fn on_readable(stream: &mut TcpStream, out: &mut Vec<u8>) -> io::Result<bool> {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(false),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // Drained: the next edge will bring a new event.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn main() {
    println!("run the tests: asyncling run io3");
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Events, Interest, Poll, Token};
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Duration;

    const SERVER: Token = Token(1);

    /// A connected pair: a blocking std client and a registered, non-blocking mio server side.
    fn pair(poll: &Poll) -> (std::net::TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let mut server = TcpStream::from_std(server);
        poll.registry()
            .register(&mut server, SERVER, Interest::READABLE)
            .unwrap();
        (client, server)
    }

    /// Handles events until `want` bytes arrived, the peer closed, or 50 ms pass without an
    /// event. Returns what was read and whether the close was seen.
    fn serve(poll: &mut Poll, server: &mut TcpStream, want: usize) -> (Vec<u8>, bool) {
        let mut events = Events::with_capacity(8);
        let mut received = Vec::new();
        loop {
            poll.poll(&mut events, Some(Duration::from_millis(50)))
                .unwrap();
            if events.is_empty() {
                return (received, false);
            }
            for event in &events {
                assert_eq!(event.token(), SERVER);
                if on_readable(server, &mut received).expect("on_readable failed") {
                    return (received, true);
                }
            }
            if received.len() >= want {
                return (received, false);
            }
        }
    }

    #[test]
    fn reading_once_per_event_is_rejected() {
        let mut poll = Poll::new().unwrap();
        let (mut client, mut server) = pair(&poll);
        // 16 KiB sent in one burst, before the server looks: one edge for all of it.
        let sent: Vec<u8> = (0..16 * 1024).map(|i| (i % 251) as u8).collect();
        client.write_all(&sent).unwrap();
        let (received, _) = serve(&mut poll, &mut server, sent.len());
        assert_eq!(
            received.len(),
            sent.len(),
            "only part of the burst was read and no further event came: read until WouldBlock"
        );
        assert!(
            received == sent,
            "the bytes arrived out of order or changed"
        );
    }

    #[test]
    fn would_block_reported_as_an_error_is_rejected() {
        let poll = Poll::new().unwrap();
        let (_client, mut server) = pair(&poll);
        let mut out = Vec::new();
        match on_readable(&mut server, &mut out) {
            Ok(closed) => assert!(!closed, "nothing to read is not a closed connection"),
            Err(e) => panic!("nothing to read yet must not be an error, got {e}"),
        }
        assert!(out.is_empty());
    }

    #[test]
    fn close_after_data_is_reported() {
        let mut poll = Poll::new().unwrap();
        let (mut client, mut server) = pair(&poll);
        client.write_all(b"last words").unwrap();
        drop(client);
        let (received, closed) = serve(&mut poll, &mut server, usize::MAX);
        assert_eq!(received, b"last words");
        assert!(
            closed,
            "a read of 0 bytes means the peer closed: return Ok(true)"
        );
    }
}
