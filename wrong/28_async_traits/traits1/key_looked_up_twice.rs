// wrong answer: total asks once whether the key exists and again for its price, two round trips per key; looking_a_key_up_twice_is_rejected.
// traits1: an async function in a trait, implemented twice
//
// A trait can declare `async fn` (stable since Rust 1.75). Callers `.await` the method like any
// async function, and generic code works for every implementer. Under the hood the method is
// `fn lookup(&self, key: &str) -> impl Future<Output = Option<u32>>`: each implementer returns its
// own future type, and an implementer may write its method in either form.
//
//     trait Prices { async fn lookup(&self, key: &str) -> Option<u32>; }
//         Table   -- answers from its map at once
//         Remote  -- waits one round trip, counts the call, then asks its Table
//
// Finish `Remote`'s implementation and the generic `total`. Do not change the tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

trait Prices {
    /// The price of `key`, or `None` when there is no such item.
    async fn lookup(&self, key: &str) -> Option<u32>;
}

/// Prices kept in memory.
struct Table {
    prices: HashMap<&'static str, u32>,
}

impl Table {
    fn new(prices: &[(&'static str, u32)]) -> Table {
        Table {
            prices: prices.iter().copied().collect(),
        }
    }
}

impl Prices for Table {
    async fn lookup(&self, key: &str) -> Option<u32> {
        self.prices.get(key).copied()
    }
}

/// Prices on another machine: every lookup costs one round trip.
struct Remote {
    table: Table,
    round_trip: Duration,
    calls: AtomicUsize,
}

impl Prices for Remote {
    async fn lookup(&self, key: &str) -> Option<u32> {
        tokio::time::sleep(self.round_trip).await;
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.table.lookup(key).await
    }
}

/// The sum of the prices of `keys`, looked up one after another; an unknown key counts as 0.
async fn total<P: Prices>(prices: &P, keys: &[&str]) -> u32 {
    let mut sum = 0;
    for key in keys {
        if prices.lookup(key).await.is_some() {
            sum += prices.lookup(key).await.unwrap_or(0);
        }
    }
    sum
}

fn main() {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    const RTT: Duration = Duration::from_millis(40);

    fn remote() -> Remote {
        Remote {
            table: Table::new(&[("tea", 3), ("cake", 5)]),
            round_trip: RTT,
            calls: AtomicUsize::new(0),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn remote_answering_without_its_table_is_rejected() {
        let remote = remote();
        assert_eq!(remote.lookup("tea").await, Some(3));
        assert_eq!(remote.lookup("cake").await, Some(5));
        assert_eq!(
            remote.lookup("soup").await,
            None,
            "an unknown item has no price: Remote must answer what its table answers"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn remote_skipping_the_round_trip_is_rejected() {
        let remote = remote();
        let start = Instant::now();
        remote.lookup("tea").await;
        assert_eq!(
            start.elapsed(),
            RTT,
            "a Remote lookup waits exactly one round trip (tokio::time::sleep) before it answers"
        );
        assert_eq!(remote.calls.load(Ordering::SeqCst), 1, "count every call");
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_key_ending_the_total_is_rejected() {
        let table = Table::new(&[("tea", 3), ("cake", 5)]);
        assert_eq!(total(&table, &["tea", "cake"]).await, 8);
        assert_eq!(
            total(&table, &["tea", "soup", "cake"]).await,
            8,
            "an unknown key counts as 0; the keys after it still count"
        );
        assert_eq!(total(&table, &[]).await, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn looking_a_key_up_twice_is_rejected() {
        let remote = remote();
        let start = Instant::now();
        assert_eq!(total(&remote, &["tea", "tea", "cake"]).await, 11);
        assert_eq!(
            start.elapsed(),
            RTT * 3,
            "total looks the keys up one after another: three round trips"
        );
        assert_eq!(remote.calls.load(Ordering::SeqCst), 3, "one call per key");
    }
}
