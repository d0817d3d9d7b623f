// wrong answer: next_task always takes the slot's task first, so two tasks waking each other starve the queue; uncapped_lifo_slot_starving_the_queue_is_rejected catches it.
// steal6: a LIFO slot for the task just woken, with a cap
//
// Message passing makes a common pattern: task A sends to task B and waits, B wakes, answers,
// wakes A. With a FIFO queue, B goes to the back, behind everything already queued, although its
// message is hot in the cache right now. So a worker keeps one LIFO slot: a task woken by the
// task running on this worker goes into the slot and runs next. A task already in the slot is
// moved to the back of the queue.
//
// But A and B can keep waking each other through the slot forever while the queue starves. So
// the slot is capped: after LIFO_LIMIT tasks in a row came from the slot, the next task comes
// from the queue, and the count starts again.
//
//     queue [100 200]   slot: 1   →  runs 1 2 1 | 100 | 2 1 2 | 200 | 1 ...   (LIFO_LIMIT = 3)
//
// Tasks are numbers here. Write `schedule_woken` and `next_task`. Do not change the tests.

use std::collections::VecDeque;

pub const LIFO_LIMIT: usize = 3;

#[derive(Default)]
pub struct LocalScheduler {
    pub lifo: Option<u32>,
    pub queue: VecDeque<u32>,
    /// How many tasks in a row came from the LIFO slot.
    pub lifo_streak: usize,
}

impl LocalScheduler {
    /// A new task, or one woken from elsewhere: back of the queue.
    pub fn schedule_new(&mut self, task: u32) {
        self.queue.push_back(task);
    }

    /// A task woken by the task running on this worker.
    pub fn schedule_woken(&mut self, task: u32) {
        if let Some(previous) = self.lifo.replace(task) {
            self.queue.push_back(previous);
        }
    }

    pub fn next_task(&mut self) -> Option<u32> {
        // The cap applies only when the queue has something to run instead; a worker never
        // idles because of it.
        if let Some(task) = self.lifo.take() {
            self.lifo_streak += 1;
            return Some(task);
        }
        self.lifo_streak = 0;
        self.queue.pop_front()
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tasks 1 and 2 wake each other on every run; every other task just finishes.
    fn run_ping_pong(s: &mut LocalScheduler, steps: usize) -> Vec<u32> {
        let mut ran = Vec::new();
        for _ in 0..steps {
            let Some(task) = s.next_task() else { break };
            ran.push(task);
            match task {
                1 => s.schedule_woken(2),
                2 => s.schedule_woken(1),
                _ => {}
            }
        }
        ran
    }

    #[test]
    fn woken_task_waiting_behind_the_queue_is_rejected() {
        let mut s = LocalScheduler::default();
        for t in [10, 11, 12] {
            s.schedule_new(t);
        }
        s.schedule_woken(9);
        assert_eq!(
            s.next_task(),
            Some(9),
            "the task just woken runs before the queue"
        );
        assert_eq!(s.next_task(), Some(10));
    }

    #[test]
    fn displaced_slot_task_lost_is_rejected() {
        let mut s = LocalScheduler::default();
        s.schedule_new(10);
        s.schedule_woken(7);
        s.schedule_woken(8);
        let order: Vec<u32> = std::iter::from_fn(|| s.next_task()).collect();
        assert_eq!(
            order,
            vec![8, 10, 7],
            "8 took the slot from 7: 7 must move to the back of the queue, not vanish"
        );
    }

    #[test]
    fn uncapped_lifo_slot_starving_the_queue_is_rejected() {
        let mut s = LocalScheduler::default();
        s.schedule_new(100);
        s.schedule_new(200);
        s.schedule_woken(1);
        let ran = run_ping_pong(&mut s, 10);
        assert!(
            ran.contains(&100),
            "tasks 1 and 2 kept waking each other through the LIFO slot and task 100 in the \
             queue never ran: {ran:?}. After LIFO_LIMIT slot tasks in a row, take the queue"
        );
        assert_eq!(
            ran,
            vec![1, 2, 1, 100, 2, 1, 2, 200, 1, 2],
            "after LIFO_LIMIT = 3 slot tasks one queue task runs, then the count starts again"
        );
    }

    #[test]
    fn cap_idling_a_worker_is_rejected() {
        let mut s = LocalScheduler::default();
        s.schedule_woken(1);
        assert_eq!(
            run_ping_pong(&mut s, 8),
            vec![1, 2, 1, 2, 1, 2, 1, 2],
            "with an empty queue the cap has nothing to be fair to: keep running the slot"
        );
    }

    #[test]
    fn nothing_to_run_is_none() {
        assert_eq!(LocalScheduler::default().next_task(), None);
    }
}
