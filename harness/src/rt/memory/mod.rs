//! The weak memory model: a C11 view of interleave's atomics, opt-in per check
//! ([`MemoryModel::Weak`]).
//!
//! Each atomic keeps its latest stores ([`ATOMIC_HISTORY`](interleave_detector::ATOMIC_HISTORY)
//! of them, oldest first; a load never reads an older one). A load may read any kept store
//! that its thread does not already know a newer one than ([`history`]: the coherence rules);
//! which one it reads is a decision of the schedule (`Decision::Read`) wherever it has more
//! than one option. A read-modify-write always reads the newest store. What a load learns is
//! the detector's business: an Acquire load (or a Relaxed one followed by an Acquire fence)
//! joins the clock of the store it actually read, continued along its release sequence by
//! read-modify-writes (`interleave_detector`'s `atomic`).
//!
//! SeqCst operations and fences are totally ordered by the order the execution runs them:
//! each joins what the earlier ones knew (a SeqCst load before it reads, a SeqCst store after
//! it writes, a read-modify-write and a fence both), so store buffering and IRIW with SeqCst
//! give only sequentially consistent outcomes. That order is for coherence only: it is not
//! happens-before, and a data race between SeqCst-ordered threads is still one.
//!
//! Out of scope, as in loom: load buffering and out-of-thin-air values (a load never reads a
//! store that the execution has not run yet), and spurious failures of `compare_exchange_weak`.

mod history;
mod stale;

pub(crate) use stale::stale_reads;

use std::sync::atomic::Ordering;

use interleave_detector::{ObjectId, ThreadId, VectorClock};

use self::history::{History, Knowledge, Seen};
use super::context::{with, Context};
use super::Key;

/// Which memory model interleave's atomics follow in a check
/// ([`Config::memory_model`](crate::Config::memory_model), `INTERLEAVE_MEMORY_MODEL`).
///
/// # Examples
///
/// ```
/// use interleave::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
/// use interleave::sync::Arc;
/// use interleave::{thread, MemoryModel};
///
/// // Message passing with a Relaxed flag: the reader may see the flag and miss the data.
/// let report = interleave::Config::exhaustive()
///     .memory_model(MemoryModel::Weak)
///     .explore(|| {
///         let data = Arc::new(AtomicUsize::new(0));
///         let ready = Arc::new(AtomicBool::new(false));
///         let (d, r) = (Arc::clone(&data), Arc::clone(&ready));
///         let t = thread::spawn(move || {
///             d.store(42, Ordering::Relaxed);
///             r.store(true, Ordering::Relaxed);
///         });
///         if ready.load(Ordering::Relaxed) {
///             assert_eq!(data.load(Ordering::Relaxed), 42);
///         }
///         t.join().unwrap();
///     });
/// assert_eq!(report.findings[0].kind(), interleave::Kind::Panic);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum MemoryModel {
    /// Every load reads the latest store, whatever its ordering (the default).
    #[default]
    #[serde(rename = "sc")]
    SequentiallyConsistent,
    /// C11's: a load may read an older store than the latest, as the orderings allow.
    #[serde(rename = "weak")]
    Weak,
}

impl MemoryModel {
    /// The name `INTERLEAVE_MEMORY_MODEL` takes: `sc` or `weak`.
    pub fn name(self) -> &'static str {
        match self {
            MemoryModel::SequentiallyConsistent => "sc",
            MemoryModel::Weak => "weak",
        }
    }

    /// The model a name gives (`sc`, `weak`).
    pub(crate) fn parse(name: &str) -> Option<MemoryModel> {
        match name.trim() {
            "sc" => Some(MemoryModel::SequentiallyConsistent),
            "weak" => Some(MemoryModel::Weak),
            _ => None,
        }
    }
}

/// The weak memory model's state in one execution.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    /// Per object id: the atomic's history, once used.
    atomics: Vec<Option<History>>,
    /// Per thread id.
    threads: Vec<ThreadMemory>,
    /// What the SeqCst operations so far knew (epochs of other threads, operation counts).
    seq_cst_epochs: VectorClock,
    seq_cst_ops: VectorClock,
}

#[derive(Debug, Default, Clone)]
struct ThreadMemory {
    /// Atomic operations so far.
    ops: u32,
    /// What it learned from the SeqCst order.
    seq_cst_epochs: VectorClock,
    seq_cst_ops: VectorClock,
    /// Its operation count at its latest re-read of the same store.
    last_yield: Option<u32>,
    /// The store its latest load of each atomic read (a few atomics).
    last_read: Vec<(ObjectId, u64)>,
}

impl Memory {
    fn thread(&mut self, thread: ThreadId) -> &mut ThreadMemory {
        let t = thread.0 as usize;
        if self.threads.len() <= t {
            self.threads.resize(t + 1, ThreadMemory::default());
        }
        &mut self.threads[t]
    }

    /// The atomic's history, holding `bits` as its newest value: started at its first use, or
    /// afresh if its value changed without a store (`get_mut`, which no other thread can
    /// race with).
    fn history(&mut self, object: ObjectId, bits: u64) -> &mut History {
        let i = object.0 as usize;
        if self.atomics.len() <= i {
            self.atomics.resize(i + 1, None);
        }
        let slot = &mut self.atomics[i];
        if slot.as_ref().is_none_or(|h| h.latest().bits != bits) {
            *slot = Some(History::new(bits));
        }
        slot.as_mut().expect("just set")
    }

    /// A SeqCst operation of `thread` (whose happens-before clock is `clock`): it learns what
    /// the earlier ones knew, and the order learns what it knows.
    fn seq_cst(&mut self, thread: ThreadId, clock: &VectorClock) {
        let t = thread.0 as usize;
        let mut epochs = clock.clone();
        // Its own events are counted by operation: its epoch covers later ones too.
        epochs.set(t, 0);
        self.thread(thread);
        let Memory {
            threads,
            seq_cst_epochs: global_epochs,
            seq_cst_ops: global_ops,
            ..
        } = self;
        let mine = &mut threads[t];
        global_epochs.join(&epochs);
        global_epochs.join(&mine.seq_cst_epochs);
        global_ops.join(&mine.seq_cst_ops);
        global_ops.set(t, global_ops.get(t).max(mine.ops));
        mine.seq_cst_epochs.join(global_epochs);
        mine.seq_cst_ops.join(global_ops);
    }
}

impl Context {
    /// The current thread's happens-before clock.
    fn hb_clock(&self) -> VectorClock {
        self.detector
            .thread_clock(self.current)
            .cloned()
            .unwrap_or_default()
    }

    /// A SeqCst operation touches the SeqCst order: no two of them commute.
    fn touch_seq_cst(&mut self) {
        if let Some(steps) = self.steps.as_deref_mut() {
            steps.footprint.write(Key::SEQ_CST);
        }
    }
}

fn is_seq_cst(ordering: Ordering) -> bool {
    ordering == Ordering::SeqCst
}

/// Under the weak memory model, a load of `object` with `ordering`, whose newest value is
/// `bits`: picks the store it reads (asking the schedule where it has a choice) and returns
/// that store's value and its place in the modification order. `None` under the sequentially
/// consistent model (the load reads `bits`).
pub(crate) fn load(object: ObjectId, ordering: Ordering, bits: u64) -> Option<(u64, u64)> {
    let (readable, scheduler) = with(|c| {
        c.memory.as_ref()?;
        let thread = c.current;
        let clock = c.hb_clock();
        if is_seq_cst(ordering) {
            c.touch_seq_cst();
        }
        let memory = c.memory.as_deref_mut()?;
        if is_seq_cst(ordering) {
            memory.seq_cst(thread, &clock);
        }
        let mine = memory.thread(thread).clone();
        let history = memory.history(object, bits);
        let knowledge = Knowledge {
            thread,
            clock: &clock,
            seq_cst_epochs: &mine.seq_cst_epochs,
            seq_cst_ops: &mine.seq_cst_ops,
        };
        let readable = history.readable(&knowledge, is_seq_cst(ordering), mine.last_yield);
        Some((readable, c.scheduler.clone()))
    })
    .flatten()?;
    let choice = match (readable.len(), scheduler) {
        (2.., Some(scheduler)) => scheduler.borrow_mut().read_from(readable.len()),
        _ => 0,
    };
    let index = readable[choice.min(readable.len() - 1)];
    with(|c| {
        let thread = c.current;
        let epoch = c.hb_clock().get(thread.0 as usize);
        let memory = c.memory.as_deref_mut()?;
        let mine = memory.thread(thread);
        mine.ops += 1;
        let seen = Seen {
            epoch,
            op: mine.ops,
        };
        match mine.last_read.iter_mut().find(|(o, _)| *o == object) {
            Some((_, last)) => {
                if *last == index {
                    mine.last_yield = Some(seen.op);
                }
                *last = index;
            }
            None => mine.last_read.push((object, index)),
        }
        let history = memory.history(object, bits);
        history.read(index, thread, seen);
        let bits = history.store(index)?.bits;
        Some((bits, index))
    })
    .flatten()
}

/// Under the weak memory model, a store or read-modify-write of `object` that changed its
/// newest value from `before` to `after`: adds the store to its history (a read-modify-write
/// reads the newest store first). Does nothing under the sequentially consistent model.
pub(crate) fn store(object: ObjectId, before: u64, after: u64, ordering: Ordering, rmw: bool) {
    with(|c| {
        c.memory.as_ref()?;
        let thread = c.current;
        let clock = c.hb_clock();
        let seq_cst = is_seq_cst(ordering);
        if seq_cst {
            c.touch_seq_cst();
        }
        let memory = c.memory.as_deref_mut()?;
        if seq_cst && rmw {
            memory.seq_cst(thread, &clock);
        }
        let mine = memory.thread(thread);
        mine.ops += 1;
        let seen = Seen {
            epoch: clock.get(thread.0 as usize),
            op: mine.ops,
        };
        let history = memory.history(object, before);
        if rmw {
            let latest = history.latest().index;
            history.read(latest, thread, seen);
        }
        history.push(after, seq_cst, thread, seen);
        if seq_cst {
            memory.seq_cst(thread, &clock);
        }
        Some(())
    });
}

/// Under the weak memory model, a load that reads the newest store whatever the model says
/// (a failed `compare_exchange`, as a read-modify-write would): its thread has seen that store,
/// and never reads an older one after. Does nothing under the sequentially consistent model.
pub(crate) fn read_newest(object: ObjectId, bits: u64, ordering: Ordering) {
    with(|c| {
        c.memory.as_ref()?;
        let thread = c.current;
        let clock = c.hb_clock();
        let seq_cst = is_seq_cst(ordering);
        if seq_cst {
            c.touch_seq_cst();
        }
        let memory = c.memory.as_deref_mut()?;
        if seq_cst {
            memory.seq_cst(thread, &clock);
        }
        let mine = memory.thread(thread);
        mine.ops += 1;
        let seen = Seen {
            epoch: clock.get(thread.0 as usize),
            op: mine.ops,
        };
        let history = memory.history(object, bits);
        let latest = history.latest().index;
        history.read(latest, thread, seen);
        Some(())
    });
}

/// Under the weak memory model, a fence: a SeqCst one joins the SeqCst order (what it
/// acquires and releases is the detector's business).
pub(crate) fn fence(ordering: Ordering) {
    if !is_seq_cst(ordering) {
        return;
    }
    with(|c| {
        c.memory.as_ref()?;
        let thread = c.current;
        let clock = c.hb_clock();
        c.touch_seq_cst();
        let memory = c.memory.as_deref_mut()?;
        memory.thread(thread).ops += 1;
        memory.seq_cst(thread, &clock);
        Some(())
    });
}

/// Whether the running execution follows the weak memory model.
pub(crate) fn is_weak() -> bool {
    with(|c| c.memory.is_some()).unwrap_or(false)
}
