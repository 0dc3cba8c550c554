//! A counter built on loom's atomics, with a lost update in `add_racy`.

use loom::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default)]
pub struct Counter(AtomicUsize);

impl Counter {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }

    /// A read, then a write: two threads can both read the old value.
    pub fn add_racy(&self) {
        let seen = self.0.load(Ordering::Acquire);
        self.0.store(seen + 1, Ordering::Release);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}
