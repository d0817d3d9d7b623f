//! Async TCP on the reactor (course chapters p1_echo and 11).
//!
//! Both types are a mio socket plus a [`Registered`] entry: each operation is tried, and a
//! `WouldBlock` parks the task until the reactor reports readiness again.
//!
//! ```
//! use runtime_reference::executor::{Runtime, spawn};
//! use runtime_reference::net::{TcpListener, TcpStream};
//!
//! Runtime::new().block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = spawn(async move {
//!         let (mut conn, _) = listener.accept().await.unwrap();
//!         let mut buf = [0u8; 4];
//!         conn.read_exact(&mut buf).await.unwrap();
//!         conn.write_all(&buf).await.unwrap();
//!     });
//!     let mut client = TcpStream::connect(addr).await.unwrap();
//!     client.write_all(b"ping").await.unwrap();
//!     let mut back = [0u8; 4];
//!     client.read_exact(&mut back).await.unwrap();
//!     assert_eq!(&back, b"ping");
//!     server.await.unwrap();
//! });
//! ```

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::{AsyncRead, AsyncWrite};
use crate::reactor::{Direction, Registered};

/// A listening socket registered with the current runtime.
pub struct TcpListener {
    inner: Registered<mio::net::TcpListener>,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}

impl TcpListener {
    /// Bind (use `127.0.0.1:0` in tests and read the port from
    /// [`local_addr`](Self::local_addr)).
    ///
    /// # Panics
    /// Outside a runtime.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        Self::from_std(std::net::TcpListener::bind(addr)?)
    }

    /// Take over a bound std listener (it is switched to non-blocking mode).
    ///
    /// # Panics
    /// Outside a runtime.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            inner: Registered::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Accept one connection, waiting until a client arrives.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Poll for one connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self
            .inner
            .poll_io(cx, Direction::Read, mio::net::TcpListener::accept)
        {
            Poll::Ready(Ok((stream, addr))) => {
                Poll::Ready(TcpStream::from_mio(stream).map(|s| (s, addr)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A connected socket registered with the current runtime.
///
/// `&TcpStream` is also `AsyncRead` and `AsyncWrite`, so one task can read while another
/// writes (share it in an `Arc`).
pub struct TcpStream {
    inner: Registered<mio::net::TcpStream>,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

impl TcpStream {
    /// Connect to `addr` without blocking the thread.
    ///
    /// # Panics
    /// Outside a runtime.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last_err = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for addr in addr.to_socket_addrs()? {
            match Self::connect_one(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = Self::from_mio(mio::net::TcpStream::connect(addr)?)?;
        // A non-blocking connect finishes when the socket becomes writable; then the outcome
        // is in `take_error`, and `peer_addr` tells a finished connect from a spurious event.
        stream
            .inner
            .io(Direction::Write, |s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
            .await?;
        Ok(stream)
    }

    /// Take over a connected std stream (it is switched to non-blocking mode).
    ///
    /// # Panics
    /// Outside a runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Self::from_mio(mio::net::TcpStream::from_std(stream))
    }

    fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Registered::new(stream)?,
        })
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Disable Nagle's algorithm (small writes go out at once).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// Close the writing half: the peer reads end of stream, and can still send to us.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.inner.get_ref().shutdown(Shutdown::Write)
    }

    /// Poll a read into `buf`; `Ok(0)` is end of stream.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        self.inner
            .poll_io(cx, Direction::Read, |mut s| s.read(&mut *buf))
    }

    /// Poll a write of some of `buf`.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        self.inner
            .poll_io(cx, Direction::Write, |mut s| s.write(buf))
    }

    /// Read some bytes; `Ok(0)` at end of stream.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Fill `buf` completely.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        crate::io::read_exact(self, buf).await
    }

    /// Read until the peer closes its writing half.
    pub async fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        crate::io::read_to_end(self, out).await
    }

    /// Write some of `buf`.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Write all of `buf`, waiting while the send buffer is full.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        crate::io::write_all(self, buf).await
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        TcpStream::poll_read(&self, cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        TcpStream::poll_write(&self, cx, buf)
    }
}

impl AsyncRead for &TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        TcpStream::poll_read(&self, cx, buf)
    }
}

impl AsyncWrite for &TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        TcpStream::poll_write(&self, cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::{Runtime, spawn};
    use crate::io::copy;

    #[test]
    fn echo_with_many_concurrent_clients() {
        Runtime::new().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = spawn(async move {
                loop {
                    let (conn, _) = listener.accept().await.unwrap();
                    spawn(async move {
                        let (mut r, mut w) = (&conn, &conn);
                        copy(&mut r, &mut w).await.unwrap();
                        conn.shutdown_write().unwrap();
                    });
                }
            });
            let clients: Vec<_> = (0..50u8)
                .map(|i| {
                    spawn(async move {
                        let mut c = TcpStream::connect(addr).await.unwrap();
                        let msg = vec![i; 1000 + usize::from(i) * 37];
                        c.write_all(&msg).await.unwrap();
                        c.shutdown_write().unwrap();
                        let mut back = Vec::new();
                        c.read_to_end(&mut back).await.unwrap();
                        assert!(back == msg, "client {i} got someone else's bytes");
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            server.abort();
        });
    }

    #[test]
    fn write_all_under_a_full_send_buffer_and_copy_a_mebibyte() {
        Runtime::new().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 253) as u8).collect();
            let sent = data.clone();
            // The writer pushes 1 MiB before anyone reads: the send buffer fills and
            // write_all must wait for room rather than fail or spin.
            let writer = spawn(async move {
                let mut c = TcpStream::connect(addr).await.unwrap();
                c.write_all(&sent).await.unwrap();
                c.shutdown_write().unwrap();
            });
            let (mut conn, _) = listener.accept().await.unwrap();
            crate::time::sleep(std::time::Duration::from_millis(2)).await;
            let mut got = Vec::new();
            copy(&mut conn, &mut got).await.unwrap();
            writer.await.unwrap();
            assert!(got == data, "1 MiB must arrive intact");
        });
    }

    #[test]
    fn connect_to_a_closed_port_fails() {
        Runtime::new().block_on(async {
            let addr = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap()
            };
            assert!(TcpStream::connect(addr).await.is_err());
        });
    }

    #[test]
    fn closed_streams_leave_no_reactor_entries() {
        Runtime::new().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let reactor = listener.inner.registration().reactor().clone();
            for _ in 0..5 {
                let c = TcpStream::connect(addr).await.unwrap();
                let (s, _) = listener.accept().await.unwrap();
                drop((c, s));
            }
            assert_eq!(reactor.source_count(), 1, "only the listener is left");
        });
    }
}
