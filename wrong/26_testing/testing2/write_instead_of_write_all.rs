// wrong answer: sends each reply with one `write` and checks only that it wrote something, though it may take only part of the reply; partial_write_of_a_reply_is_rejected fails.
// testing2: test a line protocol over an in-memory duplex pipe
//
// `serve` speaks a tiny line protocol on any byte stream:
//
//     PING          ->  PONG
//     ADD <a> <b>   ->  the sum
//     anything else ->  ERR <the line>
//
// Every reply ends with '\n'. `serve` returns Ok(()) when the client closes its side.
// `reply` (done for you) computes one answer; you write the I/O loop in `serve`.
//
// Because `serve` is generic over AsyncRead + AsyncWrite, the tests need no socket:
// `tokio::io::duplex(n)` hands out two connected in-memory ends whose buffer holds n bytes.
// A tiny buffer turns every read and write into a partial one, and the test decides exactly
// how the bytes are chunked. That is how the tests find the classic protocol bugs.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// The answer to one request line, without the trailing newline.
pub fn reply(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["PING"] => "PONG".to_string(),
        ["ADD", a, b] => match (a.parse::<i64>(), b.parse::<i64>()) {
            (Ok(a), Ok(b)) => a.saturating_add(b).to_string(),
            _ => format!("ERR {line}"),
        },
        _ => format!("ERR {line}"),
    }
}

pub async fn serve<S>(stream: S) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // A read returns whatever bytes have arrived: half a line, or three lines. BufReader
    // collects them and hands out whole lines; it also passes writes through to the stream.
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(()); // EOF: the client closed its side.
        }
        let mut answer = reply(line.trim_end_matches(['\r', '\n']));
        answer.push('\n');
        // `write` may take only part of the buffer; `write_all` loops until all of it is sent.
        let sent = stream.write(answer.as_bytes()).await?;
        if sent == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{DuplexStream, duplex};
    use tokio::task::JoinHandle;
    use tokio::time::{sleep, timeout};

    /// Starts `serve` on one end of a duplex pipe whose buffer holds `capacity` bytes.
    fn start(capacity: usize) -> (DuplexStream, JoinHandle<io::Result<()>>) {
        let (client, server) = duplex(capacity);
        (client, tokio::spawn(serve(server)))
    }

    /// Reads `n` reply lines. The clock is paused, so the timeout costs no real time: it fires
    /// only once every task is stuck waiting.
    async fn read_replies<R: AsyncRead + Unpin>(
        reader: &mut BufReader<R>,
        n: usize,
    ) -> Vec<String> {
        let mut replies = Vec::new();
        for _ in 0..n {
            let mut line = String::new();
            match timeout(Duration::from_secs(5), reader.read_line(&mut line)).await {
                Ok(Ok(_)) if line.ends_with('\n') => replies.push(line.trim_end().to_string()),
                other => panic!(
                    "expected {n} complete reply lines, got {replies:?} and then {other:?} / {line:?}: \
                     a reply was never sent, cut short (use write_all), or the server stopped"
                ),
            }
        }
        replies
    }

    #[tokio::test(start_paused = true)]
    async fn one_read_taken_as_one_request_is_rejected() {
        let (client, _server) = start(64);
        let (read, mut write) = tokio::io::split(client);
        let mut reader = BufReader::new(read);
        // Half a request, a pause long enough for the server to read it, then the rest.
        write.write_all(b"PI").await.unwrap();
        sleep(Duration::from_millis(1)).await;
        write.write_all(b"NG\nADD 2 3\n").await.unwrap();
        assert_eq!(
            read_replies(&mut reader, 2).await,
            ["PONG", "5"],
            "a request split across two reads is still one request: buffer until '\\n'"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_requests_in_one_read_are_both_answered() {
        let (client, _server) = start(64);
        let (read, mut write) = tokio::io::split(client);
        let mut reader = BufReader::new(read);
        write.write_all(b"PING\nADD 40 2\nHELLO\n").await.unwrap();
        assert_eq!(
            read_replies(&mut reader, 3).await,
            ["PONG", "42", "ERR HELLO"],
            "three requests that arrive in one read get three replies, in order"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn line_ending_left_in_the_request_is_rejected() {
        let (client, _server) = start(64);
        let (read, mut write) = tokio::io::split(client);
        let mut reader = BufReader::new(read);
        write.write_all(b"HELLO\nBYE\r\nPING\n").await.unwrap();
        assert_eq!(
            read_replies(&mut reader, 3).await,
            ["ERR HELLO", "ERR BYE", "PONG"],
            "strip \"\\n\" (and \"\\r\\n\") before answering: an error reply that echoes the \
             line ending sends an extra, empty line"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn partial_write_of_a_reply_is_rejected() {
        // A 4-byte pipe: every write the server makes can take at most 4 bytes.
        let (client, _server) = start(4);
        let (read, mut write) = tokio::io::split(client);
        let mut reader = BufReader::new(read);
        let long = "X".repeat(40);
        // Write from another task: the replies fill the tiny pipe while requests still flow.
        let writer = tokio::spawn(async move {
            write
                .write_all(format!("{long}\nADD 1000000 2000000\n").as_bytes())
                .await
                .unwrap();
            write
        });
        assert_eq!(
            read_replies(&mut reader, 2).await,
            [format!("ERR {}", "X".repeat(40)), "3000000".to_string()],
            "every byte of every reply must arrive: `write` may send only part of a buffer"
        );
        drop(writer.await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn session_that_ignores_eof_is_rejected() {
        let (mut client, server) = start(64);
        client.write_all(b"PING\n").await.unwrap();
        let mut reader = BufReader::new(client);
        assert_eq!(read_replies(&mut reader, 1).await, ["PONG"]);
        drop(reader); // the client hangs up
        // Give the server a bounded number of turns to notice EOF and return. (Not a timeout:
        // a server that spins at EOF keeps the runtime busy, so the paused clock never moves.)
        for _ in 0..100 {
            if server.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(
            server.is_finished(),
            "serve kept running after the client closed: a read of 0 bytes means EOF"
        );
        match server.await.unwrap() {
            Ok(()) => {}
            Err(e) => panic!("serve must return Ok(()) at EOF, not an error: {e}"),
        }
    }
}
