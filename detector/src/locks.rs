//! Lock events: the lock-order graph's input, self-deadlocks, and the lock clocks.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::clock::VectorClock;
use crate::detector::Detector;
use crate::error::EventError;
use crate::event::{Attempt, Event, LockMode, ObjectClass, ObjectId};
use crate::finding::{CycleEdge, Detail, Finding, Kind, StepRange};
use crate::fingerprint::FindingBuilder;
use crate::identity::Identities;
use crate::lock_order::{Context, Cycle, Witness};
use crate::site::Site;
use crate::state::{Held, PendingOp};

/// Interned lock contexts: a thread (with its fork/join clock) and the stack of locks it holds.
///
/// A repeated request from a known context for a known lock is one hash lookup; only a new
/// context builds witnesses and searches the graph.
#[derive(Debug, Default)]
pub(crate) struct Contexts {
    /// Per thread, its (fork/join clock, context) roots: a short list, searched without
    /// cloning the clock.
    roots: FxHashMap<u32, Vec<(VectorClock, u32)>>,
    children: FxHashMap<(u32, u32, LockMode), u32>,
    /// (context, requested lock, mode) already recorded in the lock-order graph.
    requests: FxHashSet<(u32, u32, LockMode)>,
    /// (context, RwLock) exclusive requests already noted as writers.
    pub(crate) writers: FxHashSet<(u32, u32)>,
    next: u32,
    /// The latest (parent, lock, mode, child) of [`child`](Self::child), in a slot chosen by
    /// parent and lock: a thread that takes a lock again under the same context (a loop)
    /// finds it here, without hashing. An interned child never changes, so a slot never goes
    /// stale.
    recent_children: [Option<(u32, u32, LockMode, u32)>; RECENT_CHILDREN],
}

/// How many slots [`Contexts::child`] remembers its latest lookups in.
const RECENT_CHILDREN: usize = 8;

impl Contexts {
    pub(crate) fn root(&mut self, thread: u32, fork_join: &VectorClock) -> u32 {
        if let Some(roots) = self.roots.get(&thread) {
            if let Some(&(_, id)) = roots.iter().find(|(clock, _)| clock == fork_join) {
                return id;
            }
        }
        let id = self.fresh();
        self.roots
            .entry(thread)
            .or_default()
            .push((fork_join.clone(), id));
        id
    }

    pub(crate) fn child(&mut self, parent: u32, lock: u32, mode: LockMode) -> u32 {
        let slot =
            (parent as usize).wrapping_add((lock as usize).wrapping_mul(3)) % RECENT_CHILDREN;
        if let Some((p, l, m, id)) = self.recent_children[slot] {
            if (p, l, m) == (parent, lock, mode) {
                return id;
            }
        }
        let id = match self.children.get(&(parent, lock, mode)) {
            Some(&id) => id,
            None => {
                let id = self.fresh();
                self.children.insert((parent, lock, mode), id);
                id
            }
        };
        self.recent_children[slot] = Some((parent, lock, mode, id));
        id
    }

    fn fresh(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    /// Contexts interned, requests recorded and writers noted (see `Detector::kept_size`).
    pub(crate) fn size(&self) -> usize {
        self.next as usize + self.requests.len() + self.writers.len()
    }
}

impl Detector {
    pub(crate) fn lock_request(
        &mut self,
        event: &Event,
        lock: ObjectId,
        mode: LockMode,
        attempt: Attempt,
    ) -> Result<(), EventError> {
        let state = self.object(event.step, lock, ObjectClass::Mutex)?;
        let (stable, class) = (state.stable, state.class);
        if class == ObjectClass::Mutex && mode == LockMode::Shared {
            return Err(EventError::WrongClass {
                step: event.step,
                object: lock,
                expected: "rwlock",
                found: class,
            });
        }
        let t = event.thread.index();
        self.set_pending(
            event,
            PendingOp::Lock {
                lock,
                mode,
                attempt,
            },
        );
        if attempt != Attempt::Blocking {
            // A try never waits and a timed request gives up: neither can deadlock, so
            // neither adds lock-order edges (as lockdep treats trylock).
            return Ok(());
        }
        if let Some(held) = self.threads[t].holds(lock).cloned() {
            // A task whose other future holds an async lock waits for it (a futurelock, if it
            // waits for good); a thread holding it itself waits for itself.
            if held.mode.conflicts_with(mode) && !self.held_by_own_future(t, lock) {
                self.self_deadlock(event, &held, mode);
                return Ok(());
            }
        }
        // The task's own future holds it: no order between two locks (and a futurelock if the
        // task waits for good, which the wait-for analysis reports).
        if self.config.lock_order && !self.held_by_own_future(t, lock) {
            let context = self.lock_context(t);
            if class == ObjectClass::RwLock
                && mode == LockMode::Exclusive
                && self.check.contexts.writers.insert((context, stable))
            {
                let thread = &self.threads[t];
                let writer = Context {
                    thread: thread.stable,
                    holding: thread.held.iter().map(|h| (h.stable, h.mode)).collect(),
                    fork_join: thread.fork_join.clone(),
                };
                let cycles = self.check.lock_order.note_writer(stable, writer);
                self.report_cycles(cycles);
            }
            if !self.threads[t].held.is_empty()
                && self.check.contexts.requests.insert((context, stable, mode))
            {
                self.record_edges(event, stable, mode);
            }
        }
        let contended = self.objects[lock.index()]
            .as_ref()
            .is_some_and(|o| o.holders.iter().any(|&(_, m)| m.conflicts_with(mode)));
        if contended || mode == LockMode::Shared {
            self.check_wait_cycle(event);
        }
        Ok(())
    }

    /// A new context requests `requested`: one witness per held lock.
    fn record_edges(&mut self, event: &Event, requested: u32, mode: LockMode) {
        let thread = &self.threads[event.thread.index()];
        let holding: std::sync::Arc<[(u32, LockMode)]> =
            thread.held.iter().map(|h| (h.stable, h.mode)).collect();
        let witnesses: Vec<(u32, Witness)> = thread
            .held
            .iter()
            .map(|held| {
                let witness = Witness {
                    context: Context {
                        thread: thread.stable,
                        holding: holding.clone(),
                        fork_join: thread.fork_join.clone(),
                    },
                    held_mode: held.mode,
                    held_at: held.site.clone(),
                    requested_mode: mode,
                    requested_at: event.site.clone(),
                    execution: self.execution,
                    step: event.step,
                };
                (held.stable, witness)
            })
            .collect();
        for (held, witness) in witnesses {
            let cycles = self.check.lock_order.add(held, requested, witness);
            self.report_cycles(cycles);
        }
    }

    fn report_cycles(&mut self, cycles: Vec<Cycle>) {
        for cycle in cycles {
            let finding = cycle_finding(&self.check.identities, &cycle, self.execution);
            self.findings.push(finding);
        }
    }

    fn self_deadlock(&mut self, event: &Event, held: &Held, requested_mode: LockMode) {
        let t = &self.threads[event.thread.index()];
        let finding = self_deadlock_finding(
            &self.check.identities,
            t.stable,
            (held.stable, held.mode, &held.site),
            (requested_mode, &event.site),
            StepRange {
                execution: self.execution,
                first: event.step,
                last: event.step,
            },
        );
        self.deadlock_reported = true;
        self.findings.push(finding);
    }

    pub(crate) fn lock_acquired(
        &mut self,
        event: &Event,
        lock: ObjectId,
        mode: LockMode,
    ) -> Result<(), EventError> {
        let stable = self.object(event.step, lock, ObjectClass::Mutex)?.stable;
        let t = event.thread.index();
        self.end_future_hold(t, lock);
        let parent = self.lock_context(t);
        let object = self.objects[lock.index()].as_mut().expect("checked above");
        object.holders.push((event.thread, mode));
        let thread = &mut self.threads[t];
        thread.pending = None;
        thread.timed_out = None;
        thread.clock.join(&object.sync);
        if mode == LockMode::Exclusive {
            thread.clock.join(&object.read_sync);
        }
        let context = self.check.contexts.child(parent, stable, mode);
        thread.held.push(Held {
            lock,
            stable,
            mode,
            site: event.site.clone(),
            context,
        });
        Ok(())
    }

    pub(crate) fn lock_failed(&mut self, event: &Event, lock: ObjectId) -> Result<(), EventError> {
        self.object(event.step, lock, ObjectClass::Mutex)?;
        self.end_future_hold(event.thread.index(), lock);
        self.threads[event.thread.index()].pending = None;
        Ok(())
    }

    pub(crate) fn lock_released(
        &mut self,
        event: &Event,
        lock: ObjectId,
    ) -> Result<(), EventError> {
        self.object(event.step, lock, ObjectClass::Mutex)?;
        let t = event.thread.index();
        let Some(position) = self.threads[t].held.iter().rposition(|h| h.lock == lock) else {
            return Err(EventError::NotHeld {
                step: event.step,
                thread: event.thread,
                lock,
            });
        };
        let object = self.objects[lock.index()].as_mut().expect("checked above");
        if let Some(i) = object.holders.iter().position(|&(h, _)| h == event.thread) {
            object.holders.swap_remove(i);
        }
        let thread = &mut self.threads[t];
        if thread.held[position].mode == LockMode::Shared {
            object.read_sync.join(&thread.clock);
        } else {
            object.sync.join(&thread.clock);
        }
        thread.clock.tick(t);
        // Nearly always the latest lock taken: popped, with no shift (a call of its own).
        if position + 1 == thread.held.len() {
            thread.held.pop();
        } else {
            thread.held.remove(position);
        }
        // Locks taken after the released one now sit on a shorter stack.
        let mut context = match position {
            0 => thread.root_context,
            _ => thread.held[position - 1].context,
        };
        for held in &mut thread.held[position..] {
            context = self.check.contexts.child(context, held.stable, held.mode);
            held.context = context;
        }
        Ok(())
    }
}

/// The potential-deadlock finding of a cycle, found in `execution` (0: on real threads).
pub(crate) fn cycle_finding(identities: &Identities, cycle: &Cycle, execution: u64) -> Finding {
    let mut builder = FindingBuilder::new();
    let n = cycle.locks.len();
    // Read chronologically: start with the edge that was seen first.
    let start = (0..n)
        .min_by_key(|&i| (cycle.witnesses[i].execution, cycle.witnesses[i].step))
        .unwrap_or(0);
    let edges: Vec<CycleEdge> = (start..start + n)
        .map(|i| i % n)
        .map(|i| {
            let w = &cycle.witnesses[i];
            CycleEdge {
                held: builder.object(identities, cycle.locks[i]),
                held_mode: w.held_mode,
                held_at: w.held_at.clone(),
                requested: builder.object(identities, cycle.locks[(i + 1) % n]),
                requested_mode: w.requested_mode,
                requested_at: w.requested_at.clone(),
                thread: builder.thread(identities, w.context.thread),
                execution: w.execution,
                step: w.step,
            }
        })
        .collect();
    let here = edges.iter().filter(|e| e.execution == execution);
    let first = here.clone().map(|e| e.step).min().unwrap_or(0);
    let last = here.map(|e| e.step).max().unwrap_or(0);
    let headline = if n == 1 {
        "potential deadlock: a thread re-acquires a read lock it holds while another thread may wait to write it".to_owned()
    } else {
        format!("potential deadlock: lock-order cycle between {n} threads")
    };
    builder.finish(
        Kind::PotentialDeadlock,
        headline,
        StepRange {
            execution,
            first,
            last,
        },
        Detail::LockCycle { edges },
    )
}

/// The deadlock finding of a thread (stable id) that requests, in `requested` (mode and site),
/// a lock it holds as `held` (stable id, mode, where it acquired it), in a conflicting mode.
pub(crate) fn self_deadlock_finding(
    identities: &Identities,
    thread: u32,
    held: (u32, LockMode, &Site),
    requested: (LockMode, &Site),
    steps: StepRange,
) -> Finding {
    let (held_lock, held_mode, held_at) = held;
    let (requested_mode, requested_at) = requested;
    let mut builder = FindingBuilder::new();
    let thread_index = builder.thread(identities, thread);
    let lock = builder.object(identities, held_lock);
    let what = match (held_mode, requested_mode) {
        (LockMode::Exclusive, LockMode::Exclusive) => "locks a lock it already holds",
        (LockMode::Shared, _) => "requests write access to a lock it holds for reading",
        (LockMode::Exclusive, LockMode::Shared) => {
            "requests read access to a lock it holds for writing"
        }
    };
    builder.finish(
        Kind::Deadlock,
        format!(
            "deadlock: thread `{}` {what}",
            identities.thread(thread).name
        ),
        steps,
        Detail::SelfDeadlock {
            thread: thread_index,
            lock,
            held_mode,
            held_at: held_at.clone(),
            requested_mode,
            requested_at: requested_at.clone(),
        },
    )
}
