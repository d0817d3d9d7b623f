// load2: latency percentiles for the load tester's report
//
// An average hides the slow requests that users notice, so load testers report percentiles:
// p90 is the latency that 90% of requests did not exceed. Use the nearest-rank method:
//
//   sort the n latencies ascending; the p-th percentile (1 <= p <= 100) is the value at rank
//   ceil(p * n / 100), where rank 1 is the smallest value.
//
// So it is always one of the measured values, never an average of two. Compute the rank with
// integers: `(p * n).div_ceil(100)` — floating point would turn 99% of 100 into 99.00000000000001
// and round it up to the wrong rank. Ranks count from 1, slice indexes from 0.
//
// Write `percentile` (its input is already sorted) and `summarize` (its input is not; do not
// change the caller's slice). A summary of no latencies at all is `None`.

use std::time::Duration;

#[derive(Debug, PartialEq)]
pub struct Summary {
    pub min: Duration,
    pub mean: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

// TODO: nearest rank on a sorted, non-empty slice.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    todo!()
}

// TODO: sort a copy, then fill every field of the Summary (the mean is the total divided by n).
pub fn summarize(latencies: &[Duration]) -> Option<Summary> {
    todo!()
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn off_by_one_rank_is_rejected() {
        let sorted = ms(&[10, 20, 30, 40]);
        assert_eq!(
            percentile(&sorted, 50),
            Duration::from_millis(20),
            "rank 2 of 4 is 20 ms"
        );
        assert_eq!(
            percentile(&sorted, 25),
            Duration::from_millis(10),
            "rank 1 of 4 is 10 ms"
        );
        assert_eq!(
            percentile(&sorted, 100),
            Duration::from_millis(40),
            "p100 is the maximum"
        );
        let ten: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        assert_eq!(
            percentile(&ten, 90),
            Duration::from_millis(9),
            "rank 9 of 10 is 9 ms"
        );
        assert_eq!(
            percentile(&ten, 1),
            Duration::from_millis(1),
            "p1 is rank 1, the minimum"
        );
    }

    #[test]
    fn averaging_neighbours_is_rejected() {
        let sorted = ms(&[10, 20]);
        assert_eq!(
            percentile(&sorted, 50),
            Duration::from_millis(10),
            "nearest rank returns a measured value: rank 1 of 2, not the 15 ms between them"
        );
        assert_eq!(
            percentile(&sorted, 51),
            Duration::from_millis(20),
            "rank 2 of 2"
        );
    }

    #[test]
    fn floating_point_rank_is_rejected() {
        let hundred: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(
            percentile(&hundred, 99),
            Duration::from_millis(99),
            "p99 of 1..=100 ms is rank 99 exactly"
        );
        assert_eq!(percentile(&hundred, 50), Duration::from_millis(50));
        assert_eq!(
            percentile(&hundred, 7),
            Duration::from_millis(7),
            "p7 of 1..=100 ms is rank 7; 0.07 * 100.0 in floating point is slightly above 7"
        );
        assert_eq!(percentile(&hundred, 55), Duration::from_millis(55));
        let quarter: Vec<Duration> = (1..=25).map(Duration::from_millis).collect();
        assert_eq!(
            percentile(&quarter, 28),
            Duration::from_millis(7),
            "28% of 25 is rank 7"
        );
        let thousand: Vec<Duration> = (1..=1000).map(Duration::from_micros).collect();
        assert_eq!(percentile(&thousand, 57), Duration::from_micros(570));
    }

    #[test]
    fn forgetting_to_sort_is_rejected() {
        // 1..=100 ms in a scrambled but fixed order (37 and 100 share no factor).
        let scrambled: Vec<Duration> = (0..100u64)
            .map(|i| Duration::from_millis((i * 37) % 100 + 1))
            .collect();
        let before = scrambled.clone();
        let summary = summarize(&scrambled).expect("100 latencies have a summary");
        assert_eq!(
            summary,
            Summary {
                min: Duration::from_millis(1),
                mean: Duration::from_micros(50_500),
                p50: Duration::from_millis(50),
                p90: Duration::from_millis(90),
                p99: Duration::from_millis(99),
                max: Duration::from_millis(100),
            }
        );
        assert_eq!(
            scrambled, before,
            "summarize must not reorder the caller's latencies"
        );
    }

    #[test]
    fn panicking_on_no_latencies_is_rejected() {
        assert_eq!(summarize(&[]), None, "no latencies, no summary");
    }

    #[test]
    fn a_single_latency_is_every_percentile() {
        let one = Duration::from_millis(42);
        assert_eq!(
            summarize(&[one]),
            Some(Summary {
                min: one,
                mean: one,
                p50: one,
                p90: one,
                p99: one,
                max: one,
            })
        );
    }
}
