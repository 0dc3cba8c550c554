//! The step log: what exhaustive exploration learns from the running execution between two
//! scheduling decisions (the footprint of the step in progress, the threads it made runnable,
//! whether it ended by yielding, the timers that fired naturally in it), and the notes the
//! runtime and the primitives add for what no event says.

use interleave_detector::{Event, ObjectId, ThreadId};

use super::footprint::{Access, Footprint, Key};
use super::model::Model;

/// What exhaustive exploration learns of the step in progress, and the model, to tell which
/// threads are disabled.
#[derive(Debug, Default)]
pub(crate) struct StepLog {
    pub(crate) footprint: Footprint,
    /// Threads the step made runnable: spawned, woken from a wait, whose timer it fired. Their
    /// next step comes after this one.
    pub(crate) woken: Vec<ThreadId>,
    /// The step ended by yielding (`yield_now`, or a re-read under the spin rule).
    pub(crate) yielding: bool,
    /// What each timer that fired naturally during the step touched (no thread could run):
    /// the clock's step, taken inside this one.
    pub(crate) natural_fires: Vec<Footprint>,
    /// Accesses that belong to a thread's next step (a join that took no scheduling point).
    pub(crate) carried: Vec<(ThreadId, (Key, Access))>,
    /// A timer is firing naturally: its events are the clock's step (`natural_fires`), not the
    /// step in progress's (the thread did not wait for it, nor touch what it touches).
    pub(crate) in_natural_fire: bool,
    pub(crate) model: Model,
}

impl StepLog {
    /// Forgets the step in progress (the model stays).
    #[cfg(test)]
    pub(crate) fn clear_step(&mut self) {
        self.footprint.clear();
        self.woken.clear();
        self.yielding = false;
        self.natural_fires.clear();
    }

    /// Adds an event of the step in progress.
    pub(crate) fn observe(&mut self, event: &Event) {
        let mut fire = Footprint::default();
        let footprint = if self.in_natural_fire {
            &mut fire
        } else {
            &mut self.footprint
        };
        self.model
            .observe(event, footprint, &mut self.woken, &mut self.carried);
    }

    /// `thread` begins a step: what an earlier step of its own left for it joins the footprint.
    pub(crate) fn resumed(&mut self, thread: ThreadId) {
        if self.carried.is_empty() {
            return;
        }
        let footprint = &mut self.footprint;
        self.carried.retain(|&(owner, (key, access))| {
            if owner == thread {
                footprint.touch(key, access);
            }
            owner != thread
        });
    }
}

/// Runs `f` on the step log of the running execution, if exhaustive exploration keeps one.
fn with_log(f: impl FnOnce(&mut StepLog)) {
    super::with(|c| {
        if let Some(steps) = c.steps.as_deref_mut() {
            f(steps);
        }
    });
}

/// The step in progress read `key` without an event saying so (`Once::is_completed` finding it
/// incomplete, say).
pub(crate) fn note_read(key: Key) {
    with_log(|log| log.footprint.read(key));
}

/// The step in progress changed `key` without an event saying so (an async primitive's permits
/// or waiters, a task's wake).
pub(crate) fn note_write(key: Key) {
    with_log(|log| log.footprint.write(key));
}

/// The step in progress ends by yielding: a `yield_now`, or a re-read under the spin rule.
pub(crate) fn note_yield() {
    with_log(|log| log.yielding = true);
}

/// A channel registered in the running execution, with its capacity (`None`: unbounded;
/// `Some(0)`: rendezvous).
pub(crate) fn channel_registered(channel: ObjectId, bound: Option<usize>) {
    with_log(|log| log.model.channel_bound(channel, bound));
}

/// A channel's `Sender` (or `SyncSender`) was dropped; `last`: it was the last one, and the
/// channel is closed (a receive now returns at once). Every drop is an update of the count
/// (`Access::UPDATE`), the last one too: drops commute with each other (after all of them the
/// channel is closed, whichever came last), and what a drop touches does not depend on the
/// order of the drops.
pub(crate) fn sender_dropped(channel: ObjectId, last: bool) {
    with_log(|log| {
        log.footprint.touch(Key::senders(channel), Access::UPDATE);
        if last {
            log.model.channel_closed(channel);
        }
    });
}

/// A task's future returned `Pending` on the operation the task announced last: one of the
/// task's waits, not what it does next.
pub(crate) fn future_pending() {
    super::with(|c| {
        let me = c.current;
        if let Some(steps) = c.steps.as_deref_mut() {
            for key in steps.model.future_pending(me).into_iter().flatten() {
                steps.footprint.read(key);
            }
        }
    });
}

/// The current task's future returns `Pending` and may be woken through `object` without an
/// event saying so (`waiting`; a `LocalSet` it drives, whose tasks' wakes wake it), or no
/// longer (`!waiting`: its next poll began): one of its waits, which is never disabled.
pub(crate) fn task_waits_on(object: ObjectId, waiting: bool) {
    super::with(|c| {
        let me = c.current;
        if let Some(steps) = c.steps.as_deref_mut() {
            steps.model.wait_on(me, object, waiting);
            if waiting {
                steps.footprint.read(Key::object(object));
            }
        }
    });
}

/// The receive or send the current thread just announced is a `try_recv` or `try_send`: it
/// waits for nothing (a receive that takes the only message did not wait for its send, and
/// may run before it, finding the channel empty; a send that took a channel's one place did
/// not wait for the receive that gave it back).
pub(crate) fn announced_try() {
    super::with(|c| {
        let me = c.current;
        if let Some(steps) = c.steps.as_deref_mut() {
            steps.model.tried(me);
        }
    });
}

/// A task starts (`true`) or ends a poll of its future.
pub(crate) fn task_polling(thread: ThreadId, polling: bool) {
    with_log(|log| log.model.task_polling(thread, polling));
}

/// A channel's `Receiver` was dropped: a send now returns at once.
pub(crate) fn receiver_dropped(channel: ObjectId) {
    with_log(|log| {
        log.model.channel_closed(channel);
        log.footprint.write(Key::receiver(channel));
    });
}

/// Whether `thread` has finished (a read of its life, for exhaustive exploration); `true`
/// outside an execution.
pub(crate) fn thread_finished(thread: ThreadId) -> bool {
    super::with(|c| {
        if let Some(steps) = c.steps.as_deref_mut() {
            steps.footprint.read(Key::thread(thread));
        }
        c.thread(thread).finished
    })
    .unwrap_or(true)
}
