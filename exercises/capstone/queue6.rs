// queue6: the front door — a line protocol over TCP, then run the service and load it
//
// This step builds on your queue5: the whole service. What is missing is a way in from the
// network. One request per line, one answer per line:
//
//     SUBMIT <payload>   OK <id>            (waits while the intake is full) | CLOSED
//     WAIT <id>          DONE <output> | DEAD <error>   (answers when the job is over) | UNKNOWN
//     STATUS <id>        QUEUED | RUNNING <n> | BACKOFF <n> | DONE <output> | DEAD <error> | UNKNOWN
//     STATS              accepted=A queued=Q running=R backoff=B done=D dead=X
//     anything else      ERROR <what was wrong>
//
// Every answer comes from the ledger at the moment of the request: the port is a window on the
// service, not a copy of it. `WAIT` answers only when the ledger says the job is over (a client
// that hears DONE may rely on the work having happened), and it keeps answering after shutdown,
// so a client can still ask how its jobs ended. `serve` gives each connection a task of its own.
//
// Write `respond` and `serve_connection`. Then run the service and load it (see the README):
//
//     cargo run --release -p asyncling-exercises --features ecosystem --bin queue6 -- bench

#[path = "queue5.rs"]
mod queue5;
pub use queue5::*;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What a connection needs: a way in, and the ledger to read.
#[derive(Clone)]
pub struct Front {
    pub submitter: Submitter,
    pub books: Books,
}

impl Front {
    pub fn of(service: &Service) -> Front {
        Front {
            submitter: service.submitter.clone(),
            books: service.books.clone(),
        }
    }
}

/// The answer to one request line (without its line ending).
pub async fn respond(front: &Front, line: &str) -> String {
    // TODO: split the line into a command and its argument and answer it from the ledger (and
    //       the submitter for SUBMIT), as the table at the top of the file says.
    todo!()
}

/// Answers the requests of one client, a line each, until it hangs up.
pub async fn serve_connection(stream: TcpStream, front: Front) -> io::Result<()> {
    // TODO: read the client's lines one by one and write `respond`'s answer, plus a newline,
    //       for each, until the client hangs up.
    todo!()
}

/// Accepts clients until the task is dropped or aborted, each on a task of its own.
pub async fn serve(listener: TcpListener, front: Front) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, front.clone()));
            }
            // One failed handshake is one client's problem; pause briefly, keep serving.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// The work the demo service does: `cpu <n>` hashes for n rounds (CPU-bound), `fail <k>` fails
/// its first k attempts, anything else fails every attempt.
pub fn demo_work() -> Work {
    Arc::new(|job: &Job, attempt: u32| {
        let (kind, arg) = job.payload.split_once(' ').unwrap_or((&job.payload, ""));
        let n: u64 = arg.parse().unwrap_or(0);
        match kind {
            "cpu" => {
                // FNV-1a over the round counter: a stand-in for real computation.
                let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
                for round in 0..n {
                    hash = (hash ^ round).wrapping_mul(0x0100_0000_01b3);
                }
                Ok(format!("{hash:016x}"))
            }
            "fail" if u64::from(attempt) > n => Ok(format!("ok after {attempt}")),
            "fail" => Err(format!("attempt {attempt} failed")),
            _ => Err(format!("no such job: {:?}", job.payload)),
        }
    })
}

/// A client of the line protocol.
struct Client {
    lines: tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: SocketAddr) -> io::Result<Client> {
        let (read, write) = TcpStream::connect(addr).await?.into_split();
        let lines = BufReader::new(read).lines();
        Ok(Client { lines, write })
    }

    async fn ask(&mut self, request: &str) -> io::Result<String> {
        self.write
            .write_all(format!("{request}\n").as_bytes())
            .await?;
        self.lines
            .next_line()
            .await?
            .ok_or_else(|| io::Error::other("the server hung up"))
    }
}

// The bench is the course's own load tester (Project 3) aimed at this service: your `run_load`
// from load1 keeps `clients` requests in flight, your `summarize` from load2 reads the latencies.
// Only the program compiles them (`cfg(not(test))`), so queue6's tests do not depend on them.
#[cfg(not(test))]
#[path = "../p3_load_tester/load1.rs"]
mod load1;
#[cfg(not(test))]
#[path = "../p3_load_tester/load2.rs"]
mod load2;

/// `queue6 bench [jobs] [clients] [rounds]`: starts the service on a free loopback port and
/// loads it with load1's `run_load`, `clients` requests at a time; a request connects, SUBMITs
/// one job and WAITs for it. Prints the throughput and load2's summary of the latencies.
#[cfg(not(test))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("bench") {
        println!("usage: queue6 bench [jobs] [clients] [rounds of cpu work per job]");
        return;
    }
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (jobs, clients, rounds) = (arg(1, 5_000), arg(2, 8).max(1), arg(3, 20_000));
    let runtime = tokio::runtime::Runtime::new().expect("failed to start tokio");
    if let Err(e) = runtime.block_on(bench(jobs, clients, rounds)) {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

#[cfg(not(test))]
async fn bench(jobs: usize, clients: usize, rounds: usize) -> io::Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let config = Config {
        capacity: 64,
        workers,
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
    };
    let service = Service::start(config, demo_work());
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve(listener, Front::of(&service)));
    println!(
        "queue6 bench: {jobs} jobs (cpu {rounds}; every 10th fails once), {clients} at a time, \
         {workers} workers, on {addr}"
    );
    let sent = Arc::new(AtomicUsize::new(0));
    let started = tokio::time::Instant::now();
    let report = load1::run_load(jobs, clients, move || {
        let n = sent.fetch_add(1, Ordering::Relaxed);
        let payload = if n % 10 == 9 {
            "fail 1".to_string()
        } else {
            format!("cpu {rounds}")
        };
        async move { submit_and_wait(addr, &payload).await }
    })
    .await;
    let elapsed = started.elapsed();
    let stats = Client::connect(addr).await?.ask("STATS").await?;
    let shut = service.shutdown().await;
    server.abort();
    let done = report.latencies.len();
    println!(
        "throughput: {:.0} jobs/s ({done} jobs done in {:.2} s, {} errors)",
        done as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        report.errors
    );
    match load2::summarize(&report.latencies) {
        Some(s) => println!(
            "latency, connect to done: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
            s.p50, s.p90, s.p99, s.max
        ),
        None => println!("no job finished: is load1 solved?"),
    }
    println!("status before shutdown: {stats}");
    println!("after shutdown: {:?}", shut.stats);
    Ok(())
}

/// One request of the bench: its own connection, one SUBMIT, one WAIT.
#[cfg(not(test))]
async fn submit_and_wait(addr: SocketAddr, payload: &str) -> io::Result<()> {
    let mut client = Client::connect(addr).await?;
    let accepted = client.ask(&format!("SUBMIT {payload}")).await?;
    let id = accepted
        .strip_prefix("OK ")
        .ok_or_else(|| io::Error::other(format!("SUBMIT answered {accepted:?}")))?;
    let over = client.ask(&format!("WAIT {id}")).await?;
    if over.starts_with("DONE") {
        Ok(())
    } else {
        Err(io::Error::other(format!("job {id} ended {over:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::testing::finishes_within;

    const STUCK: &str = "the test did not finish within a second: a request that is never \
                         answered (WAIT on a job that never ends, a connection never served)?";

    /// Runs `body` on a two-thread runtime on the real clock (the network is real), failing
    /// after 2 s.
    fn live<Fut: Future<Output = ()>>(body: impl FnOnce() -> Fut + Send + 'static) {
        finishes_within(Duration::from_secs(1), STUCK, move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("failed to build the test runtime")
                .block_on(body())
        });
    }

    fn config() -> Config {
        Config {
            capacity: 16,
            workers: 2,
            max_attempts: 3,
            base_backoff: Duration::from_millis(1),
        }
    }

    /// The demo work, plus `gate`: a job that runs until the test sends on the channel.
    fn gated_work(gate: std::sync::mpsc::Receiver<()>) -> Work {
        let gate = std::sync::Mutex::new(gate);
        let demo = demo_work();
        Arc::new(move |job: &Job, attempt: u32| {
            if job.payload == "gate" {
                let _ = gate.lock().unwrap().recv();
                return Ok("opened".to_string());
            }
            demo(job, attempt)
        })
    }

    async fn open(front: Front) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, front));
        addr
    }

    fn count(stats: &str, key: &str) -> usize {
        stats
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {key}=<number> in {stats:?}"))
    }

    #[test]
    fn answering_wait_before_the_job_is_over_is_rejected() {
        live(|| async {
            let (open_gate, gate) = std::sync::mpsc::channel();
            let service = Service::start(config(), gated_work(gate));
            let addr = open(Front::of(&service)).await;
            let mut client = Client::connect(addr).await.unwrap();
            assert_eq!(client.ask("SUBMIT gate").await.unwrap(), "OK 1");
            let mut waiter = Client::connect(addr).await.unwrap();
            let answer = tokio::spawn(async move { waiter.ask("WAIT 1").await.unwrap() });
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert!(
                !answer.is_finished(),
                "WAIT answered while the job was still running: answer when the ledger says it \
                 is over"
            );
            assert_eq!(client.ask("STATUS 1").await.unwrap(), "RUNNING 1");
            open_gate.send(()).unwrap();
            assert_eq!(answer.await.unwrap(), "DONE opened");
            assert_eq!(client.ask("WAIT 1").await.unwrap(), "DONE opened");
        });
    }

    #[test]
    fn stats_from_a_stale_copy_are_rejected() {
        live(|| async {
            let service = Service::start(config(), demo_work());
            let front = Front::of(&service);
            let addr = open(front.clone()).await;
            let mut client = Client::connect(addr).await.unwrap();
            let before = client.ask("STATS").await.unwrap();
            assert_eq!(count(&before, "accepted"), 0);
            // Jobs that come in another way than this connection.
            let id = service.submitter.submit("cpu 10").await.unwrap();
            front
                .books
                .with(|ledger| ledger.wait(id))
                .unwrap()
                .await
                .unwrap();
            let after = client.ask("STATS").await.unwrap();
            assert_eq!(
                (count(&after, "accepted"), count(&after, "done")),
                (1, 1),
                "STATS must read the ledger at each request, got {after:?}"
            );
        });
    }

    #[test]
    fn a_dead_job_reported_as_done_is_rejected() {
        live(|| async {
            let service = Service::start(config(), demo_work());
            let addr = open(Front::of(&service)).await;
            let mut client = Client::connect(addr).await.unwrap();
            assert_eq!(client.ask("SUBMIT fail 7").await.unwrap(), "OK 1");
            assert_eq!(client.ask("WAIT 1").await.unwrap(), "DEAD attempt 3 failed");
            assert_eq!(
                client.ask("STATUS 1").await.unwrap(),
                "DEAD attempt 3 failed"
            );
            assert_eq!(client.ask("WAIT 99").await.unwrap(), "UNKNOWN");
            assert!(client.ask("FLY 1").await.unwrap().starts_with("ERROR"));
        });
    }

    #[test]
    fn one_client_holding_up_the_others_is_rejected() {
        live(|| async {
            let (_open_gate, gate) = std::sync::mpsc::channel();
            let service = Service::start(config(), gated_work(gate));
            let addr = open(Front::of(&service)).await;
            let mut stuck = Client::connect(addr).await.unwrap();
            assert_eq!(stuck.ask("SUBMIT gate").await.unwrap(), "OK 1");
            let waiting = tokio::spawn(async move { stuck.ask("WAIT 1").await });
            let mut other = Client::connect(addr).await.unwrap();
            assert_eq!(other.ask("SUBMIT cpu 5").await.unwrap(), "OK 2");
            assert!(other.ask("WAIT 2").await.unwrap().starts_with("DONE"));
            waiting.abort();
        });
    }

    #[test]
    fn end_to_end_nothing_lost_or_duplicated() {
        live(|| async {
            let service = Service::start(config(), demo_work());
            let addr = open(Front::of(&service)).await;
            // Three clients submit a mix: CPU jobs, jobs that fail then succeed, hopeless jobs.
            let mut clients = Vec::new();
            for c in 0..3 {
                clients.push(tokio::spawn(async move {
                    let mut client = Client::connect(addr).await.unwrap();
                    let mut ids = Vec::new();
                    for n in 0..10 {
                        let payload = match n % 5 {
                            0 => "fail 1",
                            1 => "fail 2",
                            2 => "fail 9",
                            _ => "cpu 1000",
                        };
                        let answer = client.ask(&format!("SUBMIT {payload}")).await.unwrap();
                        let id: JobId = answer
                            .strip_prefix("OK ")
                            .and_then(|id| id.parse().ok())
                            .unwrap_or_else(|| panic!("client {c}: SUBMIT answered {answer:?}"));
                        ids.push((id, payload));
                    }
                    ids
                }));
            }
            let mut submitted = Vec::new();
            for client in clients {
                submitted.extend(client.await.unwrap());
            }
            let report = service.shutdown().await;
            let mut client = Client::connect(addr).await.unwrap();
            assert_eq!(client.ask("SUBMIT cpu 1").await.unwrap(), "CLOSED");
            let mut ids: Vec<JobId> = submitted.iter().map(|(id, _)| *id).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), 30, "30 submits must get 30 different ids");
            for (id, payload) in &submitted {
                let over = client.ask(&format!("WAIT {id}")).await.unwrap();
                let expected = if *payload == "fail 9" { "DEAD" } else { "DONE" };
                assert!(
                    over.starts_with(expected),
                    "job {id} ({payload}) ended {over:?}, expected {expected}"
                );
            }
            let stats = client.ask("STATS").await.unwrap();
            assert_eq!(
                ["accepted", "queued", "running", "backoff", "done", "dead"]
                    .map(|key| count(&stats, key)),
                [30, 0, 0, 0, 24, 6],
                "after shutdown, over the port: {stats}"
            );
            assert_eq!(report.stats.done + report.stats.dead, 30);
            assert_eq!(
                report.dead_letters.len(),
                6,
                "one dead letter per hopeless job"
            );
        });
    }
}
