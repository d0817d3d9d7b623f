// tokio_depth2: tell a busy current_thread runtime how often to look beyond its local queue
//
// A current_thread runtime keeps two queues of ready tasks. A task spawned or woken on the
// runtime's own thread goes to the back of the local queue; a task spawned or woken from any
// other thread (through a `Handle`, from a blocking thread) goes to the global queue. The local
// queue comes first, but every `global_queue_interval`-th scheduling tick the global queue is
// looked at first (31 by default). Timers and I/O are checked by the drivers, which run when no
// task is ready or after `event_interval` tasks in a row (61 by default).
//
// So while a task that spawns a lot keeps the local queue full, work from outside waits up to 30
// tasks, and an expired timer waits up to 61 tasks before it is even noticed.
//
// Write `busy_runtime`: a current_thread runtime with every driver enabled, whose scheduler takes
// a task from the global queue first at every `global_every`-th tick and runs its drivers after
// at most `events_every` tasks in a row. Do not change the tests.

use tokio::runtime::{Builder, Runtime};

fn busy_runtime(global_every: u32, events_every: u32) -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .global_queue_interval(global_every)
        .event_interval(events_every)
        .build()
        .expect("failed to build the runtime")
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Poll;
    use std::time::Duration;
    use tokio::runtime::RuntimeFlavor;

    /// How many local tasks ran before a task from the global queue, while a task that spawns a
    /// lot keeps 200 children in the local queue.
    fn local_tasks_before_outside_work(rt: &Runtime) -> usize {
        let ran = Arc::new(AtomicUsize::new(0));
        let seen_by_outside = ran.clone();
        // Spawned from outside the runtime: this task goes to the global queue.
        let outside = rt.spawn(async move { seen_by_outside.load(Ordering::SeqCst) });
        rt.block_on(async {
            let children: Vec<_> = (0..200)
                .map(|_| {
                    let ran = ran.clone();
                    tokio::spawn(async move {
                        ran.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for child in children {
                child.await.expect("a child task failed");
            }
            outside.await.expect("the outside task failed")
        })
    }

    #[test]
    fn outside_work_left_behind_30_local_tasks_is_rejected() {
        let before = local_tasks_before_outside_work(&busy_runtime(4, 61));
        assert!(
            before < 4,
            "with global_every = 4, {before} local tasks ran before the task from the global queue: \
             the scheduler must look at its global queue first every 4th tick \
             (Builder::global_queue_interval)"
        );
        let before = local_tasks_before_outside_work(&busy_runtime(1, 61));
        assert_eq!(
            before, 0,
            "with global_every = 1 the global queue must come first on every tick"
        );
    }

    /// How many turns of two always-ready tasks ran before a task whose timer had already expired
    /// got to run.
    fn turns_before_the_timer_task(rt: &Runtime) -> usize {
        rt.block_on(async {
            tokio::time::pause();
            let turns = Arc::new(AtomicUsize::new(0));
            let seen_by_timer = turns.clone();
            let timer = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                seen_by_timer.load(Ordering::SeqCst)
            });
            // Let the timer task register its sleep.
            tokio::task::yield_now().await;
            // Two tasks that are ready again at once every time they run, 200 turns each.
            let busy: Vec<_> = (0..2)
                .map(|_| {
                    let turns = turns.clone();
                    let mut left = 200;
                    tokio::spawn(poll_fn(move |cx| {
                        if left == 0 {
                            return Poll::Ready(());
                        }
                        left -= 1;
                        turns.fetch_add(1, Ordering::SeqCst);
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }))
                })
                .collect();
            // The timer is now well past its deadline; only the time driver can tell its task.
            tokio::time::advance(Duration::from_secs(2)).await;
            let seen = timer.await.expect("the timer task failed");
            for task in busy {
                task.await.expect("a busy task failed");
            }
            seen
        })
    }

    #[test]
    fn expired_timer_noticed_after_61_tasks_is_rejected() {
        let turns = turns_before_the_timer_task(&busy_runtime(31, 8));
        assert!(
            turns < 20,
            "with events_every = 8, {turns} turns of busy tasks ran before the task of an expired \
             timer: the drivers must run after at most 8 tasks in a row (Builder::event_interval)"
        );
    }

    #[test]
    fn multi_thread_runtime_is_rejected() {
        let rt = busy_runtime(31, 61);
        assert_eq!(
            rt.handle().runtime_flavor(),
            RuntimeFlavor::CurrentThread,
            "build a current_thread runtime: these counts are about one thread's queues"
        );
    }
}
