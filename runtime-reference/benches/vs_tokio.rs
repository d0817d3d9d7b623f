//! The reference runtime against tokio, measured in one run on this machine.
//!
//! `cargo bench -p runtime-reference --bench vs_tokio`
//!
//! Each workload runs on both runtimes in the same process: single-threaded (ours `executor::
//! Runtime` vs tokio `current_thread`) and multi-threaded (ours `multi::Runtime` vs tokio
//! `multi_thread`, same worker count). Every figure is the best of a few rounds; the ratio is
//! ours / tokio, so below 1.0 means ours was faster.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use runtime_reference::executor::{self, spawn};
use runtime_reference::future::join;
use runtime_reference::multi;
use runtime_reference::net::{TcpListener, TcpStream};
use runtime_reference::sync::mpsc;

const ROUNDS: usize = 5;
const TASKS: usize = 100_000;
const MESSAGES: usize = 1_000_000;
const CONNECTIONS: usize = 64;
const PAYLOAD: usize = 1 << 20;
const CPU_TASKS: usize = 2_000;

fn best_of<F: FnMut()>(mut f: F) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

// ---- workloads on the reference runtime ----

async fn ours_spawn_join() {
    let handles: Vec<_> = (0..TASKS).map(|i| spawn(async move { i })).collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap();
    }
    black_box(sum);
}

async fn ours_ping_pong() {
    let (ping_tx, mut ping_rx) = mpsc::channel::<usize>(16);
    let (pong_tx, mut pong_rx) = mpsc::channel::<usize>(16);
    let echo = spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            if pong_tx.send(v).await.is_err() {
                break;
            }
        }
    });
    // Each round trip is two messages.
    for i in 0..MESSAGES / 2 {
        ping_tx.send(i).await.unwrap();
        black_box(pong_rx.recv().await.unwrap());
    }
    drop(ping_tx);
    echo.await.unwrap();
}

async fn ours_tcp_echo() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn(async move {
        for _ in 0..CONNECTIONS {
            let (conn, _) = listener.accept().await.unwrap();
            spawn(async move {
                let (mut r, mut w) = (&conn, &conn);
                runtime_reference::io::copy(&mut r, &mut w).await.unwrap();
                conn.shutdown_write().unwrap();
            });
        }
    });
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            spawn(async move {
                let conn = TcpStream::connect(addr).await.unwrap();
                let data = vec![7u8; PAYLOAD];
                let (mut r, mut w) = (&conn, &conn);
                let send = async {
                    runtime_reference::io::write_all(&mut w, &data)
                        .await
                        .unwrap();
                    conn.shutdown_write().unwrap();
                };
                let mut back = Vec::with_capacity(PAYLOAD);
                let recv = runtime_reference::io::read_to_end(&mut r, &mut back);
                let ((), got) = join(send, recv).await;
                assert_eq!(got.unwrap(), PAYLOAD);
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    server.await.unwrap();
}

fn cpu_work(seed: u64) -> u64 {
    // About 50 µs of arithmetic the optimiser cannot remove.
    let mut x = seed;
    for _ in 0..300_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }
    black_box(x)
}

async fn ours_cpu() {
    let handles: Vec<_> = (0..CPU_TASKS as u64)
        .map(|i| spawn(async move { cpu_work(i) }))
        .collect();
    for h in handles {
        black_box(h.await.unwrap());
    }
}

// ---- the same workloads on tokio ----

async fn tokio_spawn_join() {
    let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap();
    }
    black_box(sum);
}

async fn tokio_ping_pong() {
    let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<usize>(16);
    let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<usize>(16);
    let echo = tokio::spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            if pong_tx.send(v).await.is_err() {
                break;
            }
        }
    });
    for i in 0..MESSAGES / 2 {
        ping_tx.send(i).await.unwrap();
        black_box(pong_rx.recv().await.unwrap());
    }
    drop(ping_tx);
    echo.await.unwrap();
}

async fn tokio_tcp_echo() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        for _ in 0..CONNECTIONS {
            let (mut conn, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut r, mut w) = conn.split();
                tokio::io::copy(&mut r, &mut w).await.unwrap();
                w.shutdown().await.unwrap();
            });
        }
    });
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            tokio::spawn(async move {
                let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
                let data = vec![7u8; PAYLOAD];
                let (mut r, mut w) = conn.split();
                let send = async {
                    w.write_all(&data).await.unwrap();
                    w.shutdown().await.unwrap();
                };
                let mut back = Vec::with_capacity(PAYLOAD);
                let recv = r.read_to_end(&mut back);
                let ((), got) = tokio::join!(send, recv);
                assert_eq!(got.unwrap(), PAYLOAD);
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    server.await.unwrap();
}

async fn tokio_cpu() {
    let handles: Vec<_> = (0..CPU_TASKS as u64)
        .map(|i| tokio::spawn(async move { cpu_work(i) }))
        .collect();
    for h in handles {
        black_box(h.await.unwrap());
    }
}

// ---- runners ----

fn ours_single<F: Future<Output = ()>>(f: impl Fn() -> F) -> Duration {
    let rt = executor::Runtime::new();
    best_of(|| rt.block_on(f()))
}

fn ours_multi<F: Future<Output = ()>>(workers: usize, f: impl Fn() -> F) -> Duration {
    let rt = multi::Runtime::new(workers);
    // The workload runs as a task so that its spawns go through a worker, as in an
    // application where the server's tasks spawn the per-client ones.
    best_of(|| rt.block_on(f()))
}

fn tokio_single<F: Future<Output = ()>>(f: impl Fn() -> F) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    best_of(|| rt.block_on(f()))
}

fn tokio_multi<F: Future<Output = ()>>(workers: usize, f: impl Fn() -> F) -> Duration {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    best_of(|| rt.block_on(f()))
}

fn row(name: &str, ours: impl FnOnce() -> Duration, tokio: impl FnOnce() -> Duration) {
    if !selected(name) {
        return;
    }
    // For profiling one side: VS_TOKIO_SIDE=ours (or tokio) skips the other (ratio shown as 0).
    let side = std::env::var("VS_TOKIO_SIDE").unwrap_or_default();
    let ours = if side == "tokio" {
        Duration::ZERO
    } else {
        ours()
    };
    let tokio = if side == "ours" {
        Duration::from_nanos(1)
    } else {
        tokio()
    };
    let ratio = ours.as_secs_f64() / tokio.as_secs_f64();
    let verdict = if ratio <= 1.5 { "ok" } else { "MISSED" };
    println!(
        "{name:<44} {:>10.2} ms {:>10.2} ms {ratio:>7.2}x  {verdict}",
        ours.as_secs_f64() * 1e3,
        tokio.as_secs_f64() * 1e3
    );
}

/// Whether a workload was selected: `cargo bench ... -- <word>` runs only the workloads whose
/// name contains the word; with no word, all of them.
fn selected(name: &str) -> bool {
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    words.is_empty() || words.iter().any(|w| name.contains(w.as_str()))
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!(
        "reference runtime vs tokio, best of {ROUNDS}, {cores} cores, ratio = ours / tokio (goal <= 1.5x)\n"
    );
    println!(
        "{:<44} {:>13} {:>13} {:>8}",
        "workload", "ours", "tokio", "ratio"
    );

    row(
        "spawn+join 100k tasks, current-thread",
        || ours_single(ours_spawn_join),
        || tokio_single(tokio_spawn_join),
    );
    row(
        &format!("spawn+join 100k tasks, multi-thread ({cores}w)"),
        || ours_multi(cores, || async { spawn(ours_spawn_join()).await.unwrap() }),
        || {
            tokio_multi(cores, || async {
                tokio::spawn(tokio_spawn_join()).await.unwrap()
            })
        },
    );
    row(
        "mpsc ping-pong 1M messages, current-thread",
        || ours_single(ours_ping_pong),
        || tokio_single(tokio_ping_pong),
    );
    row(
        &format!("mpsc ping-pong 1M messages, multi-thread ({cores}w)"),
        || ours_multi(cores, || async { spawn(ours_ping_pong()).await.unwrap() }),
        || {
            tokio_multi(cores, || async {
                tokio::spawn(tokio_ping_pong()).await.unwrap()
            })
        },
    );
    row(
        "tcp echo 64 conns x 1 MiB, current-thread",
        || ours_single(ours_tcp_echo),
        || tokio_single(tokio_tcp_echo),
    );
    row(
        &format!("tcp echo 64 conns x 1 MiB, multi-thread ({cores}w)"),
        || ours_multi(cores, || async { spawn(ours_tcp_echo()).await.unwrap() }),
        || {
            tokio_multi(cores, || async {
                tokio::spawn(tokio_tcp_echo()).await.unwrap()
            })
        },
    );

    // Scaling: the same CPU-bound batch on 1 worker and on every core.
    if selected("cpu batch") {
        let ours_1 = ours_multi(1, || async { spawn(ours_cpu()).await.unwrap() });
        let ours_n = ours_multi(cores, || async { spawn(ours_cpu()).await.unwrap() });
        let tokio_1 = tokio_multi(1, || async { tokio::spawn(tokio_cpu()).await.unwrap() });
        let tokio_n = tokio_multi(cores, || async { tokio::spawn(tokio_cpu()).await.unwrap() });
        row(
            "cpu batch 2k x ~50us, multi-thread (1w)",
            || ours_1,
            || tokio_1,
        );
        row(
            &format!("cpu batch 2k x ~50us, multi-thread ({cores}w)"),
            || ours_n,
            || tokio_n,
        );
        println!(
            "\nscaling 1 -> {cores} workers: ours {:.2}x faster, tokio {:.2}x faster",
            ours_1.as_secs_f64() / ours_n.as_secs_f64(),
            tokio_1.as_secs_f64() / tokio_n.as_secs_f64()
        );
    }
}
