// wrong answer: writes back the whole 4 KiB buffer instead of the bytes just read; `connection_left_open_after_the_client_finished_is_rejected` and `serving_clients_one_at_a_time_is_rejected` see the extra bytes.
// echo3: the echo server
//
// Put it together: a server that accepts clients forever and echoes every byte each client
// sends back to that client, until the client closes its side. Everything it needs is built
// already. The listener and the stream are the runtime's own (`runtime_reference::net`): their
// `accept` and `read` wait with reactor4's readiness loop, their `write_all` is rw3's loop of
// partial writes, and `spawn` queues a task on the executor of chapter 10. Use them; do not
// write another readiness loop.
//
// The one rule: a task per client. If the accept loop awaited a client's whole conversation
// before accepting the next one, a second client would wait, unanswered, for as long as the
// first stays connected.
//
// Write `handle_client` and `serve`.

use std::io;

use runtime_reference::executor::spawn;
use runtime_reference::net::{TcpListener, TcpStream};

/// Echoes everything `conn` receives back to it; returns when the client closes its side
/// (dropping `conn` then closes ours, so the client sees the end of the echo).
async fn handle_client(mut conn: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf).await?;
    }
}

/// Accepts clients forever, each served by a task of its own.
async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (conn, _peer) = listener.accept().await?;
        spawn(async move {
            // One client's broken connection is that client's problem, not the server's.
            let _ = handle_client(conn).await;
        });
    }
}

fn main() -> io::Result<()> {
    runtime_reference::executor::run(async {
        let listener = TcpListener::bind("127.0.0.1:7878")?;
        println!(
            "echoing on {} (try: nc 127.0.0.1 7878)",
            listener.local_addr()?
        );
        serve(listener).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::Runtime;
    use std::io::{Read, Write};
    use std::net::{Shutdown, SocketAddr};
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    /// Starts the server on its own thread and runtime; returns its address.
    fn start_server() -> SocketAddr {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            Runtime::new().block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                serve(listener).await
            })
        });
        rx.recv_timeout(Duration::from_secs(1))
            .expect("the server did not start")
    }

    /// A blocking client whose reads give up after 400 ms instead of hanging.
    fn client(addr: SocketAddr) -> std::net::TcpStream {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(400)))
            .unwrap();
        stream
    }

    #[test]
    fn connection_left_open_after_the_client_finished_is_rejected() {
        let mut c = client(start_server());
        c.write_all(b"hello, echo").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap_or_else(|e| {
            panic!("no end of stream ({e}): return from handle_client when read gives 0")
        });
        assert_eq!(back, b"hello, echo");
    }

    /// Connects, sends `first`, and waits for its echo.
    fn first_echo(addr: SocketAddr, first: &[u8]) -> io::Result<std::net::TcpStream> {
        let mut c = std::net::TcpStream::connect(addr)?;
        c.set_read_timeout(Some(Duration::from_millis(400)))?;
        c.write_all(first)?;
        let mut back = vec![0u8; first.len()];
        c.read_exact(&mut back)?;
        assert_eq!(back, first, "a client got someone else's bytes");
        Ok(c)
    }

    #[test]
    fn serving_clients_one_at_a_time_is_rejected() {
        let addr = start_server();
        let (echoed_tx, echoed_rx) = mpsc::channel();
        let mut go = Vec::new();
        let mut clients = Vec::new();
        for i in 0..3u8 {
            let (go_tx, go_rx) = mpsc::channel::<()>();
            go.push(go_tx);
            let echoed_tx = echoed_tx.clone();
            clients.push(thread::spawn(move || {
                let first = vec![b'a' + i; 100 + usize::from(i)];
                let mut c = match first_echo(addr, &first) {
                    Ok(c) => c,
                    Err(e) => return echoed_tx.send(Err(e.to_string())).unwrap(),
                };
                echoed_tx.send(Ok(i)).unwrap();
                // Stay connected until every client has had its first echo.
                go_rx.recv().unwrap();
                let second = vec![b'A' + i; 5000];
                c.write_all(&second).unwrap();
                c.shutdown(Shutdown::Write).unwrap();
                let mut rest = Vec::new();
                c.read_to_end(&mut rest).unwrap();
                assert!(
                    rest == second,
                    "client {i}: the second message did not come back whole"
                );
            }));
        }
        for _ in 0..3 {
            match echoed_rx.recv_timeout(Duration::from_secs(1)) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!(
                    "a client failed ({e}). A client that gets no echo while others stay \
                     connected means the server serves one client at a time: spawn a task per client"
                ),
                Err(_) => panic!("the clients never reported back"),
            }
        }
        for g in go {
            g.send(()).unwrap();
        }
        for c in clients {
            c.join().expect("a client thread failed");
        }
    }
}
