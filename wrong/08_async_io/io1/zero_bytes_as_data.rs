// wrong answer: reports a 0-byte read as data instead of the peer closing its sending half; `closed_connection_mistaken_for_data_is_rejected` catches it.
// io1: "not yet" is not an error
//
// A blocking `read` on a socket puts the whole thread to sleep until data arrives: fine for a
// thread per connection, fatal for an executor running a thousand tasks on one thread. In
// non-blocking mode `read` returns at once, and when there is nothing to read it fails with
// `io::ErrorKind::WouldBlock`. That error means "not yet, try later", not "broken".
//
// Write `prepare` (switch the socket to non-blocking mode) and `try_read`, which turns the
// three answers a non-blocking read can give into a `ReadOutcome`.

use std::io::{self, Read};
use std::net::TcpStream;

#[derive(Debug, PartialEq)]
enum ReadOutcome {
    /// `n` bytes were read into the buffer.
    Data(usize),
    /// Nothing to read yet; the connection is fine.
    NotYet,
    /// The peer closed the connection (a read of 0 bytes).
    Closed,
}

/// Puts `stream` into non-blocking mode.
fn prepare(stream: &TcpStream) -> io::Result<()> {
    stream.set_nonblocking(true)
}

/// One non-blocking read into `buf`.
fn try_read(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<ReadOutcome> {
    match stream.read(buf) {
        Ok(n) => Ok(ReadOutcome::Data(n)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(ReadOutcome::NotYet),
        // A signal interrupted the call before anything happened: also "try again".
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(ReadOutcome::NotYet),
        Err(e) => Err(e),
    }
}

fn main() -> io::Result<()> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let _client = TcpStream::connect(listener.local_addr()?)?;
    let (mut server, _) = listener.accept()?;
    prepare(&server)?;
    println!("{:?}", try_read(&mut server, &mut [0; 16])?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    /// A connected (client, server) pair on 127.0.0.1, the server side prepared.
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        // A safety net, so that a still-blocking socket fails the tests instead of hanging them.
        server
            .set_read_timeout(Some(Duration::from_millis(400)))
            .unwrap();
        prepare(&server).unwrap();
        (client, server)
    }

    /// Calls `try_read` until it gives something other than `NotYet` (at most a second).
    fn read_until_ready(server: &mut TcpStream, buf: &mut [u8]) -> ReadOutcome {
        let limit = Instant::now() + Duration::from_secs(1);
        loop {
            match try_read(server, buf).expect("try_read failed") {
                ReadOutcome::NotYet if Instant::now() < limit => {
                    thread::sleep(Duration::from_millis(1))
                }
                other => return other,
            }
        }
    }

    #[test]
    fn blocking_read_is_rejected() {
        let (client, mut server) = pair();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(try_read(&mut server, &mut [0; 8]).map_err(|e| e.kind()));
        });
        let outcome = rx.recv_timeout(Duration::from_millis(200)).expect(
            "try_read did not return while no data was there: the socket is still blocking",
        );
        assert_eq!(outcome, Ok(ReadOutcome::NotYet));
        drop(client);
    }

    #[test]
    fn would_block_reported_as_an_error_is_rejected() {
        let (_client, mut server) = pair();
        let outcome = try_read(&mut server, &mut [0; 8]);
        assert!(
            matches!(outcome, Ok(ReadOutcome::NotYet)),
            "no data yet must be Ok(NotYet), got {outcome:?}"
        );
    }

    #[test]
    fn data_that_arrives_later_is_read() {
        let (mut client, mut server) = pair();
        let mut buf = [0; 16];
        assert_eq!(
            try_read(&mut server, &mut buf).unwrap(),
            ReadOutcome::NotYet
        );
        client.write_all(b"hello").unwrap();
        assert_eq!(
            read_until_ready(&mut server, &mut buf),
            ReadOutcome::Data(5)
        );
        assert_eq!(&buf[..5], b"hello");
    }

    #[test]
    fn closed_connection_mistaken_for_data_is_rejected() {
        let (client, mut server) = pair();
        drop(client);
        assert_eq!(
            read_until_ready(&mut server, &mut [0; 8]),
            ReadOutcome::Closed,
            "a read of 0 bytes means the peer closed the connection"
        );
    }
}
