// wrong answer: decode reads the 4 header bytes without checking that they have arrived, so half a header panics; header_read_before_it_has_arrived_is_rejected.
// eco6: a length-prefixed protocol with tokio-util's codec
//
// A socket delivers bytes in whatever pieces the network chose: half a message, three and a
// half messages. In cancel4 you kept the unused bytes in a buffer by hand. `tokio_util::codec`
// turns that into two small traits, and `Framed` does the reading, the buffering and the
// writing around them:
//
//   Decoder::decode(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error>
//       `src` holds every byte read and not yet consumed. A whole frame at the front: remove it
//       from `src` and return it. Not yet a whole frame: return Ok(None) and leave `src` as it
//       is; Framed reads more and calls you again. Bad input: return an error.
//   Encoder::encode(&mut self, item, dst: &mut BytesMut) -> Result<(), Error>
//       append the bytes of one frame to `dst`.
//
// The protocol: a 4-byte big-endian length, then that many payload bytes. No frame may be
// longer than MAX_FRAME: a peer announcing more gets an `InvalidData` error at once (before its
// bytes arrive, so a liar cannot make you buffer gigabytes), and encoding a longer one is an
// `InvalidInput` error. When a frame is incomplete, `reserve` room for the rest of it in `src`,
// so the next read fills it without growing the buffer byte by byte.
//
// `BytesMut` (crate `bytes`) is a growable byte buffer: `split_to(n)` cuts off the first `n`
// bytes without copying the rest, `advance(n)` drops them (trait `Buf`), `put_u32` appends a
// big-endian u32 (trait `BufMut`), `freeze` makes the cut piece an immutable `Bytes`.
//
// Write `decode` and `encode`. `echo` shows them at work with `Framed`.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use std::io;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{Decoder, Encoder, Framed};

const HEADER: usize = 4;
const MAX_FRAME: usize = 8 * 1024;

struct LengthPrefixed;

impl Decoder for LengthPrefixed {
    type Item = Bytes;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        let len = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
        if len > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a frame of {len} bytes; the limit is {MAX_FRAME}"),
            ));
        }
        if src.len() < HEADER + len {
            src.reserve(HEADER + len - src.len());
            return Ok(None);
        }
        src.advance(HEADER);
        Ok(Some(src.split_to(len).freeze()))
    }
}

impl Encoder<Bytes> for LengthPrefixed {
    type Error = io::Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        if item.len() > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a frame of {} bytes; the limit is {MAX_FRAME}", item.len()),
            ));
        }
        dst.reserve(HEADER + item.len());
        dst.put_u32(item.len() as u32);
        dst.extend_from_slice(&item);
        Ok(())
    }
}

/// Sends every frame back, until the peer closes the connection or sends a bad frame.
async fn echo<T: AsyncRead + AsyncWrite + Unpin>(io: T) -> io::Result<()> {
    let mut framed = Framed::new(io, LengthPrefixed);
    while let Some(frame) = framed.next().await {
        framed.send(frame?).await?;
    }
    Ok(())
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;
    use std::future::Future;
    use std::time::Duration;

    const STUCK: &str = "a test did not finish within a second of real time: the codec is spinning (decode returning a frame without consuming it, again and again), which also freezes tokio's paused clock";

    // Runs a test body on a current_thread runtime with paused time, failing the test if it is
    // still running after a second of real time: a spinning task also freezes the paused clock.
    fn paused<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    /// The bytes of one frame on the wire, as the protocol defines them.
    fn wire(payload: &[u8]) -> Vec<u8> {
        let mut out = (payload.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn frame_returned_before_it_is_complete_is_rejected() {
        let frame = wire(b"hello");
        let mut src = BytesMut::from(&frame[..6]);
        let decoded = LengthPrefixed
            .decode(&mut src)
            .expect("a valid partial frame");
        assert_eq!(
            decoded, None,
            "only 2 of the 5 payload bytes are here: return Ok(None) and wait for the rest"
        );
        assert_eq!(
            &src[..],
            &frame[..6],
            "an incomplete frame stays in the buffer, untouched"
        );
        src.extend_from_slice(&frame[6..]);
        assert_eq!(
            LengthPrefixed.decode(&mut src).unwrap(),
            Some(Bytes::from_static(b"hello"))
        );
    }

    #[test]
    fn header_read_before_it_has_arrived_is_rejected() {
        let mut src = BytesMut::from(&[0u8, 0][..]);
        assert_eq!(
            LengthPrefixed
                .decode(&mut src)
                .expect("half a header is not an error"),
            None,
            "half a header: return Ok(None) and wait for more bytes"
        );
    }

    #[test]
    fn frame_left_in_the_buffer_is_rejected() {
        let mut src = BytesMut::new();
        src.extend_from_slice(&wire(b"one"));
        src.extend_from_slice(&wire(b""));
        src.extend_from_slice(&wire(b"three"));
        let mut frames = Vec::new();
        for _ in 0..4 {
            frames.push(LengthPrefixed.decode(&mut src).expect("valid frames"));
        }
        assert_eq!(
            frames,
            vec![
                Some(Bytes::from_static(b"one")),
                Some(Bytes::from_static(b"")),
                Some(Bytes::from_static(b"three")),
                None
            ],
            "a decoded frame (header included) must be removed from the buffer, and only that frame"
        );
        assert!(src.is_empty(), "every byte was consumed, got {src:?} left");
    }

    #[test]
    fn partial_frame_without_reserve_is_rejected() {
        let mut src = BytesMut::new();
        src.extend_from_slice(&1000u32.to_be_bytes());
        src.extend_from_slice(&[7; 10]);
        assert_eq!(LengthPrefixed.decode(&mut src).unwrap(), None);
        assert!(
            src.capacity() >= HEADER + 1000,
            "the header says 1000 bytes are coming: reserve room for the rest of the frame (capacity is {})",
            src.capacity()
        );
    }

    #[test]
    fn frame_over_the_maximum_accepted_is_rejected() {
        let mut src = BytesMut::from(&((MAX_FRAME as u32) + 1).to_be_bytes()[..]);
        let err = LengthPrefixed
            .decode(&mut src)
            .expect_err("a peer announcing more than MAX_FRAME bytes must be refused at once");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let mut src = BytesMut::from(&wire(&[1; MAX_FRAME])[..]);
        assert_eq!(
            LengthPrefixed.decode(&mut src).unwrap().map(|f| f.len()),
            Some(MAX_FRAME),
            "a frame of exactly MAX_FRAME bytes is allowed"
        );
    }

    #[test]
    fn frame_without_its_length_prefix_is_rejected() {
        let mut dst = BytesMut::new();
        LengthPrefixed
            .encode(Bytes::from_static(b"hi"), &mut dst)
            .unwrap();
        LengthPrefixed.encode(Bytes::new(), &mut dst).unwrap();
        let mut expected = wire(b"hi");
        expected.extend_from_slice(&wire(b""));
        assert_eq!(
            &dst[..],
            &expected[..],
            "each frame is its 4-byte big-endian length, then its payload, appended after what dst already holds"
        );
        let too_long = Bytes::from(vec![0; MAX_FRAME + 1]);
        let err = LengthPrefixed
            .encode(too_long, &mut dst)
            .expect_err("a frame longer than MAX_FRAME must not be sent");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn echo_over_a_byte_at_a_time_connection() {
        paused(|| async {
            // A one-byte pipe: every read on either side returns a single byte.
            let (client, server) = tokio::io::duplex(1);
            let server = tokio::spawn(echo(server));
            let mut client = Framed::new(client, LengthPrefixed);
            for message in [&b"hello"[..], b"", &[9; 300]] {
                client.send(Bytes::copy_from_slice(message)).await.unwrap();
                let back = client.next().await.expect("the echo ended early").unwrap();
                assert_eq!(&back[..], message);
            }
            drop(client);
            server
                .await
                .unwrap()
                .expect("a clean close is not an error");
        });
    }
}
