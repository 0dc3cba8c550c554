//! The feature-gated facade of `docs/guide.md`: interleave is an optional dependency, and the
//! `interleave` feature swaps std's types for interleave's in the whole crate — for its
//! integration tests in `tests/`, or for a real program built with the feature, whose ordinary
//! threads then run interleave's online lock-order detection.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

pub mod sync;

use sync::{Arc, Mutex};

/// Counts events from many threads.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    count: Arc<Mutex<u64>>,
}

impl Tally {
    /// A tally at zero.
    pub fn new() -> Self {
        Tally::default()
    }

    /// Counts one event.
    pub fn add(&self) {
        *self.count.lock().unwrap() += 1;
    }

    /// The events counted.
    pub fn get(&self) -> u64 {
        *self.count.lock().unwrap()
    }

    /// Counts `per_thread` events on each of `threads` threads of `sync::thread`.
    pub fn add_from_threads(&self, threads: usize, per_thread: u64) {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let tally = self.clone();
                sync::thread::spawn(move || (0..per_thread).for_each(|_| tally.add()))
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    }
}
