//! One atomic's store history, and which of its stores a load may read.
//!
//! The modification order of an atomic is the order in which the execution ran its stores (a
//! store is a step of its own, so every execution fixes one): a store is always the newest.
//! What varies is what a load reads: any store that its thread does not already know a newer
//! one than. A thread knows a store when it, or any thread whose knowledge it has (through
//! happens-before, or through the order of SeqCst operations), stored it or read it (loom's
//! `first_seen`, CDSChecker's coherence rules). That gives the four coherence rules: a thread
//! never reads older than what it read (read-read), wrote (write-read), or what happened
//! before its load (write-read through happens-before); and a store is newer than every store
//! its thread knows (read-write, write-write), since it is the newest of all.

use std::collections::VecDeque;

use interleave_detector::{ThreadId, VectorClock, ATOMIC_HISTORY};

/// What a thread knows: its happens-before clock (the detector's: an entry is the epoch of
/// that thread's events it knows, its own entry aside), what the SeqCst order told it (epochs
/// and atomic-operation counts), and its own count of atomic operations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Knowledge<'a> {
    pub(crate) thread: ThreadId,
    pub(crate) clock: &'a VectorClock,
    pub(crate) seq_cst_epochs: &'a VectorClock,
    pub(crate) seq_cst_ops: &'a VectorClock,
}

/// When a thread first saw a store: its epoch (the detector's entry for it) and its count of
/// atomic operations then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) epoch: u32,
    pub(crate) op: u32,
}

/// One store of the history.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    /// Its place in the modification order (0: the value the execution first found).
    pub(crate) index: u64,
    /// The value, as bits.
    pub(crate) bits: u64,
    pub(crate) seq_cst: bool,
    /// Per thread (execution-local id): when it first saw the store.
    first_seen: Vec<Option<Seen>>,
}

impl Store {
    fn seen_by(&self, thread: ThreadId) -> Option<Seen> {
        self.first_seen.get(thread.0 as usize).copied().flatten()
    }

    fn touch(&mut self, thread: ThreadId, seen: Seen) {
        let t = thread.0 as usize;
        if self.first_seen.len() <= t {
            self.first_seen.resize(t + 1, None);
        }
        self.first_seen[t].get_or_insert(seen);
    }

    /// Whether a thread with `knowledge` knows this store.
    fn known(&self, knowledge: &Knowledge<'_>) -> bool {
        self.first_seen.iter().enumerate().any(|(u, seen)| {
            let Some(seen) = seen else {
                return false;
            };
            if u == knowledge.thread.0 as usize {
                return true;
            }
            seen.epoch <= knowledge.clock.get(u)
                || seen.epoch <= knowledge.seq_cst_epochs.get(u)
                || seen.op <= knowledge.seq_cst_ops.get(u)
        })
    }
}

/// The latest [`ATOMIC_HISTORY`] stores of one atomic, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct History {
    stores: VecDeque<Store>,
}

impl History {
    /// A history holding the value `bits` the execution found at its first use of the atomic:
    /// a store that every thread knows.
    pub(crate) fn new(bits: u64) -> Self {
        History {
            stores: VecDeque::from([Store {
                index: 0,
                bits,
                seq_cst: false,
                first_seen: Vec::new(),
            }]),
        }
    }

    /// The newest store.
    pub(crate) fn latest(&self) -> &Store {
        self.stores.back().expect("a history is never empty")
    }

    /// A store by its place in the modification order, if still kept.
    pub(crate) fn store(&self, index: u64) -> Option<&Store> {
        self.stores.iter().find(|s| s.index == index)
    }

    /// Adds a store of `bits` by `thread`, who sees it at `seen`.
    pub(crate) fn push(&mut self, bits: u64, seq_cst: bool, thread: ThreadId, seen: Seen) {
        let index = self.latest().index + 1;
        if self.stores.len() == ATOMIC_HISTORY {
            self.stores.pop_front();
        }
        let mut store = Store {
            index,
            bits,
            seq_cst,
            first_seen: Vec::new(),
        };
        store.touch(thread, seen);
        self.stores.push_back(store);
    }

    /// The stores a load of a thread with `knowledge` may read, newest first (never empty: the
    /// newest store is always readable). `seq_cst`: the load is SeqCst, and reads no SeqCst
    /// store older than the newest SeqCst one. `last_yield`: the thread's operation count at
    /// its latest re-read (spinning): a store it saw before then is not read again where a
    /// newer one exists, so that a spin loop ends (loom's rule).
    pub(crate) fn readable(
        &self,
        knowledge: &Knowledge<'_>,
        seq_cst: bool,
        last_yield: Option<u32>,
    ) -> Vec<u64> {
        let mut readable = Vec::new();
        let mut newer_known = false;
        let mut newer_seq_cst = false;
        for (i, store) in self.stores.iter().enumerate().rev() {
            let newest = i + 1 == self.stores.len();
            let spun = last_yield.is_some_and(|y| {
                store
                    .seen_by(knowledge.thread)
                    .is_some_and(|seen| seen.op <= y)
            });
            let hidden =
                newer_known || (seq_cst && store.seq_cst && newer_seq_cst) || (spun && !newest);
            if !hidden {
                readable.push(store.index);
            }
            newer_known |= store.known(knowledge);
            newer_seq_cst |= store.seq_cst;
            if newer_known {
                // Every older store is hidden too.
                break;
            }
        }
        readable
    }

    /// A thread read the store at `index` (kept: it was readable), seeing it at `seen`.
    pub(crate) fn read(&mut self, index: u64, thread: ThreadId, seen: Seen) {
        if let Some(store) = self.stores.iter_mut().find(|s| s.index == index) {
            store.touch(thread, seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge<'a>(thread: u32, clock: &'a VectorClock, none: &'a VectorClock) -> Knowledge<'a> {
        Knowledge {
            thread: ThreadId(thread),
            clock,
            seq_cst_epochs: none,
            seq_cst_ops: none,
        }
    }

    fn clock(entries: &[u32]) -> VectorClock {
        let mut clock = VectorClock::new();
        for (t, &e) in entries.iter().enumerate() {
            clock.set(t, e);
        }
        clock
    }

    fn seen(epoch: u32, op: u32) -> Seen {
        Seen { epoch, op }
    }

    #[test]
    fn a_load_reads_any_store_newer_than_what_it_knows() {
        let none = VectorClock::new();
        let mut history = History::new(0);
        // Thread 1 stores 1 then 2 at its epoch 1.
        history.push(1, false, ThreadId(1), seen(1, 1));
        history.push(2, false, ThreadId(1), seen(1, 2));
        // Thread 2 knows nothing of thread 1: it may read every store.
        let c1 = clock(&[1, 0, 1]);
        let k = knowledge(2, &c1, &none);
        assert_eq!(history.readable(&k, false, None), [2, 1, 0]);
        // Thread 1 knows its own latest store (write-read coherence).
        let c2 = clock(&[1, 1]);
        let k = knowledge(1, &c2, &none);
        assert_eq!(history.readable(&k, false, None), [2]);
        // Thread 2 read store 1: never older again (read-read coherence).
        history.read(1, ThreadId(2), seen(1, 1));
        let c3 = clock(&[1, 0, 1]);
        let k = knowledge(2, &c3, &none);
        assert_eq!(history.readable(&k, false, None), [2, 1]);
        // Thread 0 learned thread 1's epoch 1 (an acquire): both stores happened before.
        let c4 = clock(&[1, 1]);
        let k = knowledge(0, &c4, &none);
        assert_eq!(history.readable(&k, false, None), [2]);
    }

    #[test]
    fn a_seq_cst_load_skips_older_seq_cst_stores_and_a_spinner_moves_on() {
        let none = VectorClock::new();
        let mut history = History::new(0);
        history.push(1, true, ThreadId(1), seen(1, 1));
        history.push(2, true, ThreadId(1), seen(1, 2));
        let c5 = clock(&[1, 0, 1]);
        let k = knowledge(2, &c5, &none);
        assert_eq!(history.readable(&k, true, None), [2, 0]);
        // Thread 2 read the initial value at its operation 3, then spun at operation 4.
        history.read(0, ThreadId(2), seen(1, 3));
        assert_eq!(history.readable(&k, false, Some(4)), [2, 1]);
    }

    #[test]
    fn it_keeps_the_latest_stores() {
        let mut history = History::new(0);
        for v in 1..=20 {
            history.push(v, false, ThreadId(1), seen(1, v as u32));
        }
        assert_eq!(history.latest().index, 20);
        assert!(history.store(20 - ATOMIC_HISTORY as u64).is_none());
        assert_eq!(history.store(21 - ATOMIC_HISTORY as u64).unwrap().bits, 13);
    }
}
