//! A runtime of the running execution: its workers, the tasks it spawned, and which runtime
//! each thread of the execution belongs to.
//!
//! A worker is a token a task holds while it polls its future. `block_on` models a
//! current-thread runtime (one worker): a task that blocks on a *sync* primitive inside `poll`
//! keeps the worker, so every other task of that runtime waits, as on tokio's current-thread
//! runtime. `Runtime::new(n)` gives `n` workers; on such a multi-thread runtime `block_on`'s
//! future runs on the calling thread beside the workers, not on one (as tokio's). Waiting for a
//! worker is an `AsyncWait` on the runtime's object, which a deadlock report shows.
//!
//! On a runtime with one worker, tasks run one after the other on one OS thread: the worker
//! handed from one poll to the next orders them, as a lock would (`AsyncRelease` when a poll
//! gives it back, `AsyncAcquire` when the next takes it), so the race detector sees what the
//! polls did in that order. With several workers, tasks may run in parallel: no such order.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex as StdMutex};

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site, ThreadId};

use super::task::Cancel;
use crate::rt;

/// What a runtime shares with its tasks.
#[derive(Debug)]
pub(crate) struct RuntimeShared {
    pub(crate) object: ObjectId,
    /// One worker: its polls are ordered (happens-before through the worker).
    sequential: bool,
    /// A multi-thread runtime: `block_on` polls its future on the calling thread, which is not
    /// one of the workers (tokio: "the future … does not run as a worker"); on a current-thread
    /// runtime `block_on` drives the only worker.
    multi_thread: bool,
    /// A `LocalSet`'s worker: its tasks queue when made runnable, and whether one has been
    /// granted the worker is its own (`Key::park`) for exhaustive exploration, so that a task
    /// starting or looking at its grant commutes with the others' polls.
    local: bool,
    state: StdMutex<WorkerState>,
}

#[derive(Debug, Default)]
struct WorkerState {
    workers: usize,
    free: usize,
    /// Threads that have joined the runtime to poll on its workers: each `block_on` and each
    /// task that is not a blocking one (never fewer: a thread that is gone counts still).
    joined: usize,
    /// Tasks waiting for a worker, first come first served; `granted` ones have one.
    waiters: VecDeque<(ThreadId, bool)>,
    /// Every task spawned on it, for the shutdown.
    tasks: Vec<Arc<Cancel>>,
}

/// Per thread of the running execution (by index): the runtime it belongs to, and whether it
/// runs a blocking task's closure (`spawn_blocking`) outside any `block_on` (sync code that may
/// block on async operations, `blocking_recv` or `Handle::block_on`, as tokio allows there).
#[derive(Clone, Default)]
pub(crate) struct Membership {
    pub(crate) runtime: Option<Arc<RuntimeShared>>,
    pub(crate) blocking: bool,
    /// It runs a spawned task (a worker's or a blocking one): `task::id` is its.
    pub(crate) task: bool,
    /// It holds one of the runtime's workers now: in a poll of a worker's task (or of a
    /// current-thread runtime's `block_on`), until `block_in_place` gives it back. Between
    /// polls (a cancelled task's future dropped, say) it holds none.
    pub(crate) holds_worker: bool,
    /// The runtime it entered (`Handle::enter`): `spawn` and `Handle::current` use it, and
    /// it is no part of it.
    pub(crate) entered: Option<Arc<RuntimeShared>>,
    /// How many `enter` guards of the thread are alive (they must go in reverse order).
    pub(crate) enter_depth: usize,
    /// The `LocalSet` `spawn_local` spawns on: the set of a task of one, or the set driven
    /// (`run_until`) or entered (`LocalSet::enter`) on this thread.
    pub(crate) local: Option<Arc<super::local::LocalShared>>,
    /// It is a task of a `LocalSet`: the worker it holds while it polls is the set's.
    pub(crate) on_set: bool,
}

thread_local! {
    /// With the execution's generation, so a runtime of an earlier execution is never seen.
    static MEMBERSHIP: RefCell<(u64, Vec<Membership>)> = const { RefCell::new((0, Vec::new())) };
}

fn generation() -> u64 {
    rt::with(|c| c.generation).unwrap_or(0)
}

/// `thread`'s membership in the running execution (none yet: the default).
pub(crate) fn membership(thread: ThreadId) -> Membership {
    let generation = generation();
    MEMBERSHIP.with(|m| {
        let m = m.borrow();
        if m.0 != generation {
            return Membership::default();
        }
        m.1.get(thread.0 as usize).cloned().unwrap_or_default()
    })
}

/// The `LocalSet` `thread` is a task of, if any (without copying the rest of its membership:
/// every `yield_now` asks).
pub(crate) fn set_of_task(thread: ThreadId) -> Option<Arc<super::local::LocalShared>> {
    let generation = generation();
    MEMBERSHIP.with(|m| {
        let m = m.borrow();
        if m.0 != generation {
            return None;
        }
        m.1.get(thread.0 as usize)
            .filter(|m| m.on_set)
            .and_then(|m| m.local.clone())
    })
}

/// Sets `thread`'s membership in the running execution.
pub(crate) fn set_membership(thread: ThreadId, membership: Membership) {
    update_membership(thread, |m| *m = membership);
}

/// Changes `thread`'s membership in place (no clone of it: a poll does this twice).
fn update_membership<R>(thread: ThreadId, change: impl FnOnce(&mut Membership) -> R) -> R {
    let generation = generation();
    MEMBERSHIP.with(|m| {
        let mut m = m.borrow_mut();
        if m.0 != generation {
            *m = (generation, Vec::new());
        }
        let index = thread.0 as usize;
        if m.1.len() <= index {
            m.1.resize(index + 1, Membership::default());
        }
        change(&mut m.1[index])
    })
}

/// Sets whether `thread` holds a worker of its runtime now (see [`Membership::holds_worker`]);
/// returns whether it did.
pub(crate) fn set_holds_worker(thread: ThreadId, holds: bool) -> bool {
    update_membership(thread, |m| std::mem::replace(&mut m.holds_worker, holds))
}

/// The runtime the current thread belongs to (a task, or a thread inside `block_on`).
pub(crate) fn current() -> Option<Arc<RuntimeShared>> {
    let membership = membership(rt::current_thread());
    membership.entered.or(membership.runtime)
}

/// What taking or giving back a worker does to exhaustive exploration's view of the runtime,
/// with `free` workers before it: while no more threads have joined the runtime than it has
/// workers (none can ever wait for one), or with at least two free (one left after a take),
/// it commutes with every other take and give-back (a read of the runtime); else it is a
/// write. The first rule does not depend on the order of the takes and give-backs (whether
/// another thread took a worker first does not change what this one touches): on three
/// workers, two tasks and `block_on` never make a worker's take or give-back a race.
fn note_worker(object: ObjectId, state: &WorkerState) {
    let key = rt::Key::object(object);
    if state.joined <= state.workers || state.free >= 2 {
        rt::note_read(key);
    } else {
        rt::note_write(key);
    }
}

/// Registers a runtime (or a `LocalSet`'s worker) in the running execution, created at `site`.
fn register(site: &Site, name: Option<&str>) -> ObjectId {
    rt::with(|c| {
        let object = c.next_object();
        c.emit(
            EventKind::Create {
                object,
                class: ObjectClass::Runtime,
                name: name.map(str::to_owned),
            },
            site.clone(),
        );
        object
    })
    .expect("a runtime is created inside an execution")
}

impl RuntimeShared {
    /// A runtime with `workers` workers (`multi_thread`: `block_on` takes none of them),
    /// registered in the running execution at `site`.
    pub(crate) fn new(workers: usize, multi_thread: bool, site: &Site) -> Arc<Self> {
        let object = register(site, None);
        Arc::new(RuntimeShared {
            object,
            sequential: workers == 1 && !multi_thread,
            multi_thread,
            local: false,
            state: StdMutex::new(WorkerState {
                workers,
                free: workers,
                ..WorkerState::default()
            }),
        })
    }

    /// The one worker of a `LocalSet` (see `future::local`): its tasks poll on it one at a
    /// time, and it starts held by whoever drives the set (none is free), who lends it.
    pub(crate) fn new_local(site: &Site) -> Arc<Self> {
        let object = register(site, Some("LocalSet"));
        Arc::new(RuntimeShared {
            object,
            sequential: true,
            multi_thread: false,
            local: true,
            state: StdMutex::new(WorkerState {
                workers: 1,
                free: 0,
                // The driver: with one task, a take may wait.
                joined: 1,
                ..WorkerState::default()
            }),
        })
    }

    /// Queues `thread` for a worker, unless it is queued already (or was granted one it has
    /// not taken yet): a `LocalSet`'s task queues when it is spawned or woken, as tokio's
    /// run queue, not when it next runs. Returns whether it was queued now.
    pub(crate) fn enqueue(&self, thread: ThreadId) -> bool {
        let mut state = self.state();
        if state.waiters.iter().any(|&(t, _)| t == thread) {
            rt::note_read(rt::Key::park(thread));
            return false;
        }
        rt::note_write(rt::Key::object(self.object));
        rt::note_write(rt::Key::park(thread));
        state.waiters.push_back((thread, false));
        true
    }

    /// How many threads wait for a worker and were granted none yet.
    pub(crate) fn waiting(&self) -> usize {
        rt::note_read(rt::Key::object(self.object));
        self.state().waiters.iter().filter(|(_, g)| !g).count()
    }

    /// `thread` ended: it leaves the queue, and a worker it was granted and did not take goes
    /// to the next waiting.
    pub(crate) fn forget(&self, thread: ThreadId) {
        rt::note_write(rt::Key::park(thread));
        let granted = {
            let mut state = self.state();
            let granted = state.waiters.iter().any(|&(t, g)| t == thread && g);
            state.waiters.retain(|&(t, _)| t != thread);
            granted
        };
        if granted {
            self.release_worker();
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WorkerState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `block_on`'s thread polls on a worker (a current-thread runtime) or beside
    /// them (a multi-thread one).
    pub(crate) fn block_on_takes_worker(&self) -> bool {
        !self.multi_thread
    }

    /// A multi-thread runtime (tokio's `new_multi_thread()`): `block_in_place` may run there.
    pub(crate) fn is_multi_thread(&self) -> bool {
        self.multi_thread
    }

    pub(crate) fn add_task(&self, task: Arc<Cancel>) {
        self.state().tasks.push(task);
    }

    /// A thread joins the runtime to poll on its workers (`block_on`, or a spawn of a task that
    /// is not a blocking one, in the spawning thread's step). The one that makes them more than
    /// the workers writes the runtime: from then on a take may wait (see `note_worker`).
    pub(crate) fn join_workers(&self) {
        let mut state = self.state();
        state.joined += 1;
        if state.joined == state.workers + 1 {
            rt::note_write(rt::Key::object(self.object));
        }
    }

    /// Takes a worker for the current thread, waiting for one (first come first served) if
    /// all are busy; returns `false` if `cancelled` says to stop waiting.
    pub(crate) fn acquire_worker(&self, site: &Site, cancelled: impl Fn() -> bool) -> bool {
        self.acquire(site, cancelled, Some(usize::MAX))
    }

    /// As [`acquire_worker`](Self::acquire_worker), for a `LocalSet`'s task, which is queued
    /// (or will be) by whoever made it runnable: it does not queue itself.
    pub(crate) fn acquire_queued(&self, site: &Site, cancelled: impl Fn() -> bool) -> bool {
        self.acquire(site, cancelled, None)
    }

    /// As [`acquire_worker`](Self::acquire_worker), queued behind the first `ahead` of the
    /// threads waiting that were granted nothing yet (a `LocalSet`'s driver taking its worker
    /// back after a tick's budget of polls).
    pub(crate) fn acquire_after(&self, site: &Site, ahead: usize) -> bool {
        self.acquire(site, || false, Some(ahead))
    }

    /// Gives the current thread's clock to the worker's next taker without giving a worker
    /// (a `LocalSet` dropped: what its dropper did happens before its tasks drop their futures).
    pub(crate) fn release_clock(&self) {
        if self.sequential {
            rt::emit(
                EventKind::AsyncRelease {
                    object: self.object,
                },
                Site::unknown(),
            );
        }
    }

    /// Takes the clock [`release_clock`](Self::release_clock) gave.
    pub(crate) fn acquire_clock(&self) {
        self.took_worker();
    }

    /// Cancels the tasks one at a time, in the order they were spawned, each ending (dropping
    /// its future) before the next is cancelled: what dropping a tokio `LocalSet` does.
    pub(crate) fn shut_down_in_order(&self, site: &Site) {
        let tasks = std::mem::take(&mut self.state().tasks);
        for task in &tasks {
            self.release_clock();
            task.cancel();
            crate::thread::join_thread(task.thread, site);
        }
    }

    /// `push`: where the current thread queues, behind how many of the threads waiting that
    /// were granted nothing (`None`: it is queued already, or will be).
    fn acquire(&self, site: &Site, cancelled: impl Fn() -> bool, push: Option<usize>) -> bool {
        let me = rt::current_thread();
        {
            let mut state = self.state();
            // Taking one of several free workers commutes with taking or giving back another:
            // in either order neither waits. Taking the last one, or waiting, does not.
            if push.is_some() || state.free > 0 {
                note_worker(self.object, &state);
            }
            if self.local {
                rt::note_write(rt::Key::park(me));
            }
            // A free worker is not one granted to a waiter that has not taken it yet: those
            // were not counted free.
            if state.free > 0
                && !state
                    .waiters
                    .iter()
                    .any(|&(t, granted)| !granted || t == me)
            {
                state.free -= 1;
                drop(state);
                self.took_worker();
                return true;
            }
            if push == Some(usize::MAX) {
                state.waiters.push_back((me, false));
            } else if let Some(ahead) = push {
                // After the `ahead`-th waiter granted nothing (and any granted between).
                let mut seen = 0;
                let at = state
                    .waiters
                    .iter()
                    .position(|&(_, granted)| {
                        if !granted {
                            seen += 1;
                        }
                        seen > ahead
                    })
                    .unwrap_or(state.waiters.len());
                state.waiters.insert(at, (me, false));
            }
        }
        rt::emit(
            EventKind::AsyncWait {
                object: self.object,
            },
            site.clone(),
        );
        loop {
            let granted = {
                let mut state = self.state();
                let position = state.waiters.iter().position(|&(t, _)| t == me);
                match position.map(|i| (i, state.waiters[i].1)) {
                    Some((i, true)) => {
                        state.waiters.remove(i);
                        Some(true)
                    }
                    // First in line with a worker free (given back while it was queued by a
                    // wake, not waiting yet).
                    Some((0, false)) if state.free > 0 => {
                        state.free -= 1;
                        state.waiters.remove(0);
                        Some(true)
                    }
                    Some((i, false)) if cancelled() => {
                        state.waiters.remove(i);
                        Some(false)
                    }
                    // Not queued yet (a `LocalSet`'s task whose yield is deferred).
                    None if cancelled() => Some(false),
                    _ => None,
                }
            };
            if let Some(granted) = granted {
                rt::emit(
                    EventKind::AsyncReady {
                        object: self.object,
                    },
                    site.clone(),
                );
                if granted {
                    self.took_worker();
                }
                return granted;
            }
            rt::block_current(site);
        }
    }

    /// The only worker is the current thread's now: what the polls before did happens before.
    fn took_worker(&self) {
        if self.sequential {
            rt::emit(
                EventKind::AsyncAcquire {
                    object: self.object,
                },
                Site::unknown(),
            );
        }
    }

    /// Gives the current thread's worker back: to the longest waiting task, if any.
    pub(crate) fn release_worker(&self) {
        if self.sequential {
            rt::emit(
                EventKind::AsyncRelease {
                    object: self.object,
                },
                Site::unknown(),
            );
        }
        let wake = {
            let mut state = self.state();
            note_worker(self.object, &state);
            match state.waiters.iter_mut().find(|(_, granted)| !granted) {
                Some(waiter) => {
                    waiter.1 = true;
                    if self.local {
                        rt::note_write(rt::Key::park(waiter.0));
                    }
                    Some(waiter.0)
                }
                None => {
                    state.free += 1;
                    None
                }
            }
        };
        if let Some(thread) = wake {
            rt::unblock(thread);
        }
    }

    /// Cancels every task not finished yet, then waits for each to drop its future and end:
    /// what dropping a tokio runtime does. `site`: where the runtime shuts down.
    /// Cancels every task not finished yet and returns at once, as tokio's
    /// `Runtime::shutdown_background`: each task drops its future at its next wait, on its own.
    pub(crate) fn shut_down_background(&self) {
        let tasks = std::mem::take(&mut self.state().tasks);
        for task in &tasks {
            task.cancel();
        }
    }

    pub(crate) fn shut_down(&self, site: &Site) {
        let tasks = std::mem::take(&mut self.state().tasks);
        for task in &tasks {
            task.cancel();
        }
        for task in &tasks {
            crate::thread::join_thread(task.thread, site);
        }
    }
}
