//! The public API as the course's exercises use it, from outside the crate.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use runtime_reference::executor::{JoinError, Runtime, run, spawn, yield_now};
use runtime_reference::future::{Either, Fuse, join, join_all, select};
use runtime_reference::io::{copy, read_exact, write_all};
use runtime_reference::multi;
use runtime_reference::net::{TcpListener, TcpStream};
use runtime_reference::sync::{Notify, mpsc, oneshot};
use runtime_reference::testing::TestClock;
use runtime_reference::time::{interval, sleep, timeout};

#[test]
fn echo_server_serves_three_clients_at_once() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        spawn(async move {
            loop {
                let (conn, _) = listener.accept().await.unwrap();
                spawn(async move {
                    let (mut r, mut w) = (&conn, &conn);
                    copy(&mut r, &mut w).await.unwrap();
                });
            }
        });
        let clients = (0..3u8).map(|i| async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            let msg = [i; 64];
            c.write_all(&msg).await.unwrap();
            let mut back = [0u8; 64];
            c.read_exact(&mut back).await.unwrap();
            back == msg
        });
        assert!(join_all(clients.collect()).await.into_iter().all(|ok| ok));
    });
}

#[test]
fn chat_broker_on_the_multi_threaded_runtime() {
    let rt = multi::Runtime::new(2);
    let delivered = rt.block_on(async {
        let (events, mut inbox) = mpsc::unbounded::<(usize, String)>();
        let clients: Vec<_> = (0..20).map(|_| mpsc::unbounded::<String>()).collect();
        let (outs, ins): (Vec<_>, Vec<_>) = clients.into_iter().unzip();
        let broker = spawn(async move {
            let mut sent = 0;
            while let Some((from, line)) = inbox.recv().await {
                for (i, out) in outs.iter().enumerate() {
                    if i != from {
                        out.send(line.clone()).unwrap();
                        sent += 1;
                    }
                }
            }
            sent
        });
        let readers: Vec<_> = ins
            .into_iter()
            .enumerate()
            .map(|(me, mut rx)| {
                let events = events.clone();
                spawn(async move {
                    for n in 0..5 {
                        events.send((me, format!("{me}:{n}"))).unwrap();
                    }
                    drop(events);
                    let mut got = 0;
                    while got < 19 * 5 {
                        let line = rx.recv().await.unwrap();
                        assert!(!line.starts_with(&format!("{me}:")));
                        got += 1;
                    }
                    got
                })
            })
            .collect();
        drop(events);
        let mut total = 0;
        for r in readers {
            total += r.await.unwrap();
        }
        assert_eq!(broker.await.unwrap(), total);
        total
    });
    assert_eq!(delivered, 20 * 19 * 5);
}

#[test]
fn select_loop_over_a_channel_and_an_interval_exits_when_the_channel_closes() {
    let clock = TestClock::new();
    let rt = Runtime::with_test_clock(clock.clone());
    let (ticks, msgs) = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        spawn(async move {
            for i in 0..3 {
                sleep(Duration::from_millis(250)).await;
                tx.send(i).await.unwrap();
            }
        });
        let mut every = interval(Duration::from_millis(100));
        let (mut ticks, mut msgs) = (0, 0);
        loop {
            match select(rx.recv(), every.tick()).await {
                Either::Left(Some(_)) => msgs += 1,
                Either::Left(None) => break,
                Either::Right(_) => ticks += 1,
            }
        }
        (ticks, msgs)
    });
    assert_eq!(msgs, 3);
    // Ticks at 0, 100, ..., 700 ms; the channel closes at 750 ms.
    assert_eq!(ticks, 8);
    assert_eq!(clock.elapsed(), Duration::from_millis(750));
}

#[test]
fn fuse_keeps_a_finished_branch_quiet_in_a_loop() {
    run(async {
        let (tx, rx) = oneshot::channel::<u8>();
        let mut rx = Fuse::new(rx);
        tx.send(1).unwrap();
        let mut got = Vec::new();
        for _ in 0..3 {
            match select(&mut rx, yield_now()).await {
                Either::Left(v) => got.push(v.unwrap()),
                Either::Right(()) => {}
            }
        }
        assert_eq!(got, [1]);
        assert!(rx.is_terminated());
    });
}

#[test]
fn timeout_join_abort_and_notify() {
    let rt = Runtime::with_test_clock(TestClock::new());
    rt.block_on(async {
        let (a, b) = join(async { 1 }, async {
            sleep(Duration::from_secs(1)).await;
            2
        })
        .await;
        assert_eq!(a + b, 3);
        assert!(
            timeout(Duration::from_millis(5), sleep(Duration::from_secs(1)))
                .await
                .is_err()
        );

        let h = spawn(std::future::pending::<()>());
        h.abort();
        assert_eq!(h.await, Err(JoinError::Aborted));

        let notify = Arc::new(Notify::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let waiter = spawn({
            let (notify, woken) = (Arc::clone(&notify), Arc::clone(&woken));
            async move {
                notify.notified().await;
                woken.fetch_add(1, Ordering::SeqCst);
            }
        });
        yield_now().await;
        notify.notify_one();
        waiter.await.unwrap();
        assert_eq!(woken.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn io_helpers_work_on_in_memory_buffers() {
    runtime_reference::park::block_on(async {
        let mut out = Vec::new();
        write_all(&mut out, b"abc").await.unwrap();
        let mut src = &out[..];
        let mut buf = [0u8; 3];
        read_exact(&mut src, &mut buf).await.unwrap();
        assert_eq!(&buf, b"abc");
        let fut = pin!(async { 5 });
        assert_eq!(fut.await, 5);
    });
}
