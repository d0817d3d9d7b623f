// wrong answer: write_all writes once and returns, dropping whatever the socket did not take; `write_all_that_stops_after_one_write_is_rejected` catches it.
// echo2: async read and write_all
//
// A connection is a mio stream registered with the reactor. echo1's readiness loop is
// packaged in `Registered::io(direction, op)`: it runs `op` whenever the socket is ready and
// waits (without spinning) whenever `op` says `WouldBlock`. With it, `read` is one await.
//
// `write_all` needs a loop of its own: a non-blocking `write` takes only what fits in the
// socket's send buffer, which may be a fraction of `buf`. Keep writing the rest until it is
// all gone. A write that takes 0 bytes would loop forever: report it as
// `io::ErrorKind::WriteZero`.
//
// Write `Conn::read` and `Conn::write_all`.

use std::io::{self, Read, Write};

use runtime_reference::reactor::{Direction, Registered};

struct Conn {
    inner: Registered<mio::net::TcpStream>,
}

impl Conn {
    /// Takes over a connected std stream (call it inside the runtime).
    fn from_std(stream: std::net::TcpStream) -> io::Result<Conn> {
        stream.set_nonblocking(true)?;
        Ok(Conn {
            inner: Registered::new(mio::net::TcpStream::from_std(stream))?,
        })
    }

    /// Reads what is available (waiting until something is); `Ok(0)` at end of stream.
    async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // `Read` is implemented for `&mio::net::TcpStream`, hence the `mut s`.
        self.inner
            .io(Direction::Read, |mut s| s.read(&mut *buf))
            .await
    }

    /// Writes all of `buf`, waiting whenever the send buffer is full.
    async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.inner
            .io(Direction::Write, |mut s| s.write(buf))
            .await?;
        Ok(())
    }
}

fn main() -> io::Result<()> {
    runtime_reference::executor::run(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
        let conn = Conn::from_std(listener.accept()?.0)?;
        conn.write_all(b"hello").await?;
        let mut back = [0; 5];
        client.read_exact(&mut back)?;
        println!("{}", String::from_utf8_lossy(&back));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::{Runtime, spawn};
    use runtime_reference::time::sleep;
    use std::future::Future;
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    /// Runs `make()` on a fresh runtime on its own thread; fails instead of hanging.
    fn run_checked<T, Fut>(make: impl FnOnce() -> Fut + Send + 'static) -> T
    where
        T: Send + 'static,
        Fut: Future<Output = T>,
    {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(Runtime::new().block_on(async move { make().await }));
        });
        match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(out) => out,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("the test never finished: does every wait go through `io`?")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the code under test panicked"),
        }
    }

    /// (blocking std client, server `Conn`); call inside the runtime.
    fn pair() -> (std::net::TcpStream, Conn) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let conn = Conn::from_std(listener.accept().unwrap().0).unwrap();
        (client, conn)
    }

    #[test]
    fn read_that_does_not_wait_is_rejected() {
        run_checked(|| async {
            let (mut client, conn) = pair();
            let writer = spawn(async move {
                sleep(Duration::from_millis(10)).await;
                client.write_all(b"hello").unwrap();
                client
            });
            let mut buf = [0u8; 16];
            let n = conn.read(&mut buf).await.unwrap_or_else(|e| {
                panic!("read failed with {e}: wait until the socket is readable")
            });
            assert_eq!(&buf[..n], b"hello");
            drop(writer.await.unwrap());
        });
    }

    #[test]
    fn end_of_stream_reads_as_zero() {
        run_checked(|| async {
            let (client, conn) = pair();
            drop(client);
            assert_eq!(conn.read(&mut [0u8; 16]).await.unwrap(), 0);
        });
    }

    #[test]
    fn write_all_that_stops_after_one_write_is_rejected() {
        // 8 MiB is far more than a socket's send buffer takes in one non-blocking write.
        let data: Vec<u8> = (0..8u32 << 20).map(|i| (i % 249) as u8).collect();
        let expected = data.clone();
        let received = run_checked(move || async move {
            let (mut client, conn) = pair();
            // The reader starts late, so the send buffer fills up first.
            let reader = thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                let mut got = Vec::new();
                client.read_to_end(&mut got).unwrap();
                got
            });
            conn.write_all(&data).await.unwrap();
            drop(conn); // end of stream for the reader
            reader
        });
        let received = received.join().unwrap();
        assert_eq!(
            received.len(),
            expected.len(),
            "write_all returned before every byte was written"
        );
        assert!(
            received == expected,
            "the bytes arrived changed or out of order"
        );
    }
}
