// wrong answer: Burst computes the next tick from now instead of from the scheduled time, so the ticks drift and missed ones are lost; burst_restarting_from_now_is_rejected catches it.
// timers4: Interval and missed ticks
//
// An interval ticks every `period`. When its task was busy and comes back late, some ticks were
// missed, and there are three reasonable answers to "when is the next tick?":
//
//   period 10 ms, a tick scheduled at 10 is only taken at 35:
//   Burst  next = scheduled + period = 20   (20 and 30 are already due: they fire at once,
//                                            catching up so the long-run count is right)
//   Delay  next = now + period       = 45   (restart the schedule from now: even spacing)
//   Skip   next = first grid point after now = 40  (drop 20 and 30, stay on the 10-ms grid)
//
// A tick taken on time gives `scheduled + period` under all three. Implement `next_tick`; the
// `Interval` below (on the reference runtime's `Sleep`) uses it after every tick.

use runtime_reference::time::{MissedTickBehavior, Sleep, now, sleep};
use std::time::{Duration, Instant};

/// When the tick after the one scheduled at `scheduled` is due, given that the tick was taken at
/// `now` (`now >= scheduled`).
pub fn next_tick(
    behavior: MissedTickBehavior,
    period: Duration,
    scheduled: Instant,
    now: Instant,
) -> Instant {
    match behavior {
        MissedTickBehavior::Burst => now + period,
        MissedTickBehavior::Delay => now + period,
        MissedTickBehavior::Skip => {
            let mut next = scheduled + period;
            if next <= now {
                let behind = (now - next).as_nanos() / period.as_nanos() + 1;
                next += period * u32::try_from(behind).unwrap_or(u32::MAX);
            }
            next
        }
    }
}

pub struct Interval {
    period: Duration,
    behavior: MissedTickBehavior,
    next: Instant,
    sleep: Sleep,
}

/// Ticks every `period`; the first tick is at once.
pub fn interval(period: Duration, behavior: MissedTickBehavior) -> Interval {
    let sleep = sleep(Duration::ZERO);
    Interval {
        period,
        behavior,
        next: sleep.deadline(),
        sleep,
    }
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        (&mut self.sleep).await;
        let scheduled = self.next;
        self.next = next_tick(self.behavior, self.period, scheduled, now());
        self.sleep.reset(self.next);
        scheduled
    }
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_reference::executor::Runtime;
    use runtime_reference::testing::TestClock;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn on_time_tick_drifting_is_rejected() {
        let t0 = Instant::now();
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert_eq!(
                next_tick(behavior, ms(10), t0 + ms(10), t0 + ms(10)),
                t0 + ms(20),
                "{behavior:?}: a tick taken on time is followed one period later"
            );
        }
    }

    #[test]
    fn burst_restarting_from_now_is_rejected() {
        let t0 = Instant::now();
        assert_eq!(
            next_tick(MissedTickBehavior::Burst, ms(10), t0 + ms(10), t0 + ms(35)),
            t0 + ms(20),
            "Burst keeps every scheduled tick: the next one is scheduled + period"
        );
    }

    #[test]
    fn delay_keeping_the_old_grid_is_rejected() {
        let t0 = Instant::now();
        assert_eq!(
            next_tick(MissedTickBehavior::Delay, ms(10), t0 + ms(10), t0 + ms(35)),
            t0 + ms(45),
            "Delay restarts from the moment the tick was taken: now + period"
        );
    }

    #[test]
    fn skip_landing_in_the_past_or_off_the_grid_is_rejected() {
        let t0 = Instant::now();
        let skip = |now| next_tick(MissedTickBehavior::Skip, ms(10), t0 + ms(10), t0 + ms(now));
        assert_eq!(
            skip(35),
            t0 + ms(40),
            "Skip: the first grid point after now"
        );
        assert_eq!(
            skip(20),
            t0 + ms(30),
            "Skip: a grid point equal to now is already past"
        );
        assert_eq!(
            skip(12),
            t0 + ms(20),
            "Skip: a tick that is only a little late misses nothing"
        );
        assert_eq!(
            skip(1009),
            t0 + ms(1010),
            "Skip: many periods behind, still on the grid"
        );
    }

    #[test]
    fn burst_waiting_for_missed_ticks_is_rejected() {
        let clock = TestClock::new();
        let rt = Runtime::with_test_clock(clock.clone());
        let c = clock.clone();
        rt.block_on(async move {
            let mut ticks = interval(ms(10), MissedTickBehavior::Burst);
            let t0 = ticks.tick().await;
            // Busy for 35 ms: the ticks at 10, 20 and 30 are missed.
            sleep(ms(35)).await;
            for expected in [10, 20, 30] {
                assert_eq!(ticks.tick().await, t0 + ms(expected));
                assert_eq!(
                    c.elapsed(),
                    ms(35),
                    "a missed tick must fire at once, without waiting"
                );
            }
            assert_eq!(ticks.tick().await, t0 + ms(40));
            assert_eq!(
                c.elapsed(),
                ms(40),
                "caught up: the next tick waits for its time"
            );
        });
    }
}
