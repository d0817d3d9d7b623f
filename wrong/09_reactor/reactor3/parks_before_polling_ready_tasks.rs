// wrong answer: turn parks in the reactor first and only then polls, so it sleeps while a task is ready; parking_while_a_task_is_ready_is_rejected catches it.
// reactor3: an executor that sleeps in the reactor
//
// When no task is ready, an executor has nothing to poll. Spinning ("check the queue again")
// burns a core and never sees an I/O event, because events only arrive when someone asks mio.
// The executor must instead block in `reactor.wait`: the thread sleeps in the OS until a socket
// is ready, the reactor wakes that task's waker, the waker puts the task back on the ready queue,
// and the next turn polls it.
//
//   turn: ready queue has a task? --yes--> poll it
//                                  --no---> park in reactor.wait(..) until an event wakes one
//
// Implement `Executor::turn`. Everything else is given; `run` calls `turn` until every task
// has finished and stops with an error when a turn spins or parks for nothing.

use mio::event::Source;
use mio::net::TcpListener;
use mio::{Events, Interest, Token};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// The reactor of the last two exercises, counting how often it was asked to wait.
pub struct Reactor {
    poll: mio::Poll,
    events: Events,
    wakers: HashMap<Token, Waker>,
    next_token: usize,
    waits: usize,
}

impl Reactor {
    pub fn new() -> io::Result<Self> {
        Ok(Reactor {
            poll: mio::Poll::new()?,
            events: Events::with_capacity(64),
            wakers: HashMap::new(),
            next_token: 0,
            waits: 0,
        })
    }

    pub fn register(
        &mut self,
        source: &mut impl Source,
        interest: Interest,
        waker: Waker,
    ) -> io::Result<Token> {
        let token = Token(self.next_token);
        self.next_token += 1;
        self.poll.registry().register(source, token, interest)?;
        self.wakers.insert(token, waker);
        Ok(token)
    }

    pub fn set_waker(&mut self, token: Token, waker: Waker) {
        self.wakers.insert(token, waker);
    }

    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.waits += 1;
        self.poll.poll(&mut self.events, timeout)?;
        let mut woken = 0;
        for event in self.events.iter() {
            if let Some(waker) = self.wakers.get(&event.token()) {
                waker.wake_by_ref();
                woken += 1;
            }
        }
        Ok(woken)
    }

    pub fn waits(&self) -> usize {
        self.waits
    }
}

/// Waits for one connection on `listener`, with the reactor waking the task when one arrives.
pub struct Accept {
    listener: TcpListener,
    token: Option<Token>,
    reactor: Rc<RefCell<Reactor>>,
}

impl Accept {
    pub fn new(listener: TcpListener, reactor: Rc<RefCell<Reactor>>) -> Self {
        Accept {
            listener,
            token: None,
            reactor,
        }
    }
}

impl Future for Accept {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.listener.accept() {
            Ok(_) => Poll::Ready(Ok(())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut reactor = this.reactor.borrow_mut();
                match this.token {
                    Some(token) => reactor.set_waker(token, cx.waker().clone()),
                    None => {
                        let token = reactor.register(
                            &mut this.listener,
                            Interest::READABLE,
                            cx.waker().clone(),
                        )?;
                        this.token = Some(token);
                    }
                }
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

type ReadyQueue = Arc<Mutex<VecDeque<usize>>>;

/// Waking a task puts its id at the back of the ready queue.
struct TaskWaker {
    id: usize,
    ready: ReadyQueue,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        // The executor is not `Send`: every wake happens on its own thread, so a queue that is
        // already locked is locked by the executor itself, and waiting for it would never end.
        self.ready
            .try_lock()
            .expect(
                "a task was woken while the executor held the ready queue's lock (it would \
                 deadlock here): take the id out and release the lock before polling or parking",
            )
            .push_back(self.id);
    }
}

/// What one turn of the executor did.
#[derive(Debug, PartialEq)]
pub enum Turn {
    /// Took a task from the ready queue and polled it.
    Polled,
    /// Found the ready queue empty and blocked in the reactor, which woke `woken` tasks.
    Parked { woken: usize },
}

#[derive(Debug)]
pub enum RunError {
    Io(io::Error),
    /// `run` went round many times without finishing: the executor is spinning instead of parking.
    Spinning,
    /// A park woke nobody: the executor parked although a task was ready, or with no real timeout.
    ParkedForNothing,
}

/// How long one park may last before `run` gives up; far longer than any test needs.
const PARK_LIMIT: Duration = Duration::from_millis(150);
const MAX_TURNS: usize = 10_000;

pub struct Executor {
    reactor: Rc<RefCell<Reactor>>,
    tasks: HashMap<usize, Pin<Box<dyn Future<Output = ()>>>>,
    ready: ReadyQueue,
    next_id: usize,
    polls: usize,
}

impl Executor {
    pub fn new() -> io::Result<Self> {
        Ok(Executor {
            reactor: Rc::new(RefCell::new(Reactor::new()?)),
            tasks: HashMap::new(),
            ready: Arc::new(Mutex::new(VecDeque::new())),
            next_id: 0,
            polls: 0,
        })
    }

    pub fn reactor(&self) -> Rc<RefCell<Reactor>> {
        self.reactor.clone()
    }

    pub fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        let id = self.next_id;
        self.next_id += 1;
        self.tasks.insert(id, Box::pin(future));
        self.ready.lock().unwrap().push_back(id);
    }

    /// Polls task `id` once (if it still exists), removing it when it finishes.
    fn poll_task(&mut self, id: usize) {
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        self.polls += 1;
        let waker = Waker::from(Arc::new(TaskWaker {
            id,
            ready: self.ready.clone(),
        }));
        if task
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            self.tasks.remove(&id);
        }
    }

    /// One step: poll the next ready task, or, when the ready queue is empty, park in the
    /// reactor (for at most `PARK_LIMIT`) until an event wakes a task.
    fn turn(&mut self) -> io::Result<Turn> {
        let mut next = self.ready.lock().unwrap().pop_front();
        if next.is_none() || self.reactor.borrow().waits() == 0 {
            let woken = self.reactor.borrow_mut().wait(Some(PARK_LIMIT))?;
            if next.is_none() {
                return Ok(Turn::Parked { woken });
            }
            next = next.or(self.ready.lock().unwrap().pop_front());
        }
        match next {
            Some(id) => {
                self.poll_task(id);
                Ok(Turn::Polled)
            }
            None => {
                let woken = self.reactor.borrow_mut().wait(Some(PARK_LIMIT))?;
                Ok(Turn::Parked { woken })
            }
        }
    }

    pub fn run(&mut self) -> Result<(), RunError> {
        let mut turns = 0;
        while !self.tasks.is_empty() {
            turns += 1;
            if turns > MAX_TURNS {
                return Err(RunError::Spinning);
            }
            if self.turn().map_err(RunError::Io)? == (Turn::Parked { woken: 0 }) {
                return Err(RunError::ParkedForNothing);
            }
        }
        Ok(())
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn listener() -> TcpListener {
        TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap()
    }

    /// Spawns a task accepting one connection. A helper thread connects once the task has
    /// registered its listener and returned `Pending` (a handshake, not a sleep), so the
    /// executor is idle until the connection comes.
    fn spawn_accept(ex: &mut Executor) -> Rc<Cell<bool>> {
        let l = listener();
        let addr = l.local_addr().unwrap();
        let done = Rc::new(Cell::new(false));
        let mut accept = Box::pin(Accept::new(l, ex.reactor()));
        let flag = done.clone();
        let (go, wait_for_go) = std::sync::mpsc::channel();
        ex.spawn(async move {
            std::future::poll_fn(|cx| {
                let poll = accept.as_mut().poll(cx);
                if poll.is_pending() {
                    let _ = go.send(());
                }
                poll
            })
            .await
            .unwrap();
            flag.set(true);
        });
        // Not joined: if the task is never polled, the thread ends when the task is dropped.
        std::thread::spawn(move || {
            if wait_for_go.recv().is_ok() {
                let _ = std::net::TcpStream::connect(addr).unwrap();
            }
        });
        done
    }

    /// Runs a test body on its own thread and gives it 0.5 s, so that an executor stuck on its
    /// own lock fails the test instead of hanging it.
    fn on_a_thread(body: impl FnOnce() + Send + 'static) {
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = std::thread::spawn(move || {
            body();
            let _ = tx.send(());
        });
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(()) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                std::panic::resume_unwind(handle.join().unwrap_err())
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                "the executor was stuck for 0.5 s: it kept the ready queue locked while polling \
                 or parking, and a waker needs that lock to queue its task. Take the id out \
                 and release the lock first"
            ),
        }
    }

    #[test]
    fn busy_loop_while_idle_is_rejected() {
        on_a_thread(|| {
            let mut ex = Executor::new().unwrap();
            let done = spawn_accept(&mut ex);
            let result = ex.run();
            assert!(
                result.is_ok(),
                "run failed: {result:?} (an idle executor must park in the reactor)"
            );
            assert!(done.get(), "the accepting task never finished");
            assert_eq!(
                ex.polls, 2,
                "the task should be polled once to register and once after its event"
            );
            assert_eq!(
                ex.reactor().borrow().waits(),
                1,
                "while idle the executor should wait in the reactor once"
            );
        });
    }

    #[test]
    fn parking_while_a_task_is_ready_is_rejected() {
        on_a_thread(|| {
            let mut ex = Executor::new().unwrap();
            let ran = Rc::new(Cell::new(false));
            let flag = ran.clone();
            ex.spawn(async move { flag.set(true) });
            let result = ex.run();
            assert!(result.is_ok(), "run failed: {result:?}");
            assert!(ran.get(), "the spawned task never ran");
            assert_eq!(
                ex.reactor().borrow().waits(),
                0,
                "a task was ready, yet the executor parked in the reactor"
            );
        });
    }

    #[test]
    fn woken_task_left_unpolled_is_rejected() {
        on_a_thread(|| {
            let mut ex = Executor::new().unwrap();
            let first = spawn_accept(&mut ex);
            let second = spawn_accept(&mut ex);
            let result = ex.run();
            assert!(result.is_ok(), "run failed: {result:?}");
            assert!(
                first.get() && second.get(),
                "every task woken by an event must finish"
            );
            assert_eq!(
                ex.polls, 4,
                "each accepting task should be polled exactly twice"
            );
        });
    }

    #[test]
    fn polling_while_holding_the_ready_queue_lock_is_rejected() {
        // A task that wakes itself while it is polled (as a yield does) takes the ready queue's
        // lock inside the poll.
        on_a_thread(|| {
            let mut ex = Executor::new().unwrap();
            let mut yielded = false;
            ex.spawn(std::future::poll_fn(move |cx| {
                if yielded {
                    return Poll::Ready(());
                }
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }));
            let result = ex.run();
            assert!(result.is_ok(), "run failed: {result:?}");
        });
    }
}
