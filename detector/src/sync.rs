//! Happens-before through condvars, channels, barriers, once, park/unpark and atomics.
//!
//! Each synchronisation object keeps a release clock: a releasing operation joins the
//! thread's clock into it (then the thread ticks, so its later accesses are new epochs), an
//! acquiring operation joins it into the thread's clock. Relaxed atomics synchronise nothing;
//! fences follow the C++ fence rules.

use crate::clock::VectorClock;
use crate::detector::Detector;
use crate::error::EventError;
use crate::event::{AtomicOp, Event, MemoryOrdering, ObjectClass, ObjectId, ThreadId};
use crate::state::PendingOp;

impl Detector {
    fn release_into(&mut self, t: ThreadId, object: ObjectId) {
        let thread = &mut self.threads[t.index()];
        let state = self.objects[object.index()]
            .as_mut()
            .expect("checked by caller");
        state.sync.join(&thread.clock);
        thread.clock.tick(t.index());
    }

    fn acquire_from(&mut self, t: ThreadId, object: ObjectId) {
        let state = self.objects[object.index()]
            .as_ref()
            .expect("checked by caller");
        self.threads[t.index()].clock.join(&state.sync);
    }

    /// A permit or notification made available: a release of the semaphore's or notify's clock.
    pub(crate) fn async_release(
        &mut self,
        event: &Event,
        object: ObjectId,
    ) -> Result<(), EventError> {
        self.async_sync_object(event.step, object)?;
        self.release_into(event.thread, object);
        Ok(())
    }

    /// A permit or notification taken: an acquire of the semaphore's or notify's clock.
    pub(crate) fn async_acquire(
        &mut self,
        event: &Event,
        object: ObjectId,
    ) -> Result<(), EventError> {
        self.async_sync_object(event.step, object)?;
        self.acquire_from(event.thread, object);
        Ok(())
    }

    fn async_sync_object(&self, step: u64, object: ObjectId) -> Result<(), EventError> {
        let class = self
            .objects
            .get(object.index())
            .and_then(Option::as_ref)
            .map(|o| o.class);
        match class {
            Some(ObjectClass::Semaphore | ObjectClass::Notify | ObjectClass::Runtime) => Ok(()),
            Some(found) => Err(EventError::WrongClass {
                step,
                object,
                expected: "semaphore, notify or runtime",
                found,
            }),
            None => Err(EventError::UnknownObject { step, object }),
        }
    }

    pub(crate) fn condvar_wait(
        &mut self,
        event: &Event,
        condvar: ObjectId,
        lock: ObjectId,
        timed: bool,
    ) -> Result<(), EventError> {
        self.object(event.step, condvar, ObjectClass::Condvar)?;
        self.object(event.step, lock, ObjectClass::Mutex)?;
        self.set_pending(event, PendingOp::Condvar { condvar, timed });
        Ok(())
    }

    pub(crate) fn condvar_woken(
        &mut self,
        event: &Event,
        condvar: ObjectId,
        timed_out: bool,
    ) -> Result<(), EventError> {
        self.object(event.step, condvar, ObjectClass::Condvar)?;
        let now = self.now_ns;
        if !timed_out {
            let woken = self.threads[event.thread.index()].stable;
            let state = self.objects[condvar.index()]
                .as_mut()
                .expect("checked above");
            if let Some((site, step)) = state.last_notify.clone() {
                state.last_woke = Some((site, step, woken));
            }
        }
        let thread = &mut self.threads[event.thread.index()];
        let waited_since_ns = thread.pending.take().map_or(now, |p| p.since_ns);
        if timed_out {
            // Until it has its mutex back, the wait has not returned.
            thread.timed_out = Some(crate::state::TimedOut {
                condvar,
                waited_since_ns,
                at_ns: now,
                site: event.site.clone(),
            });
        } else {
            self.acquire_from(event.thread, condvar);
        }
        Ok(())
    }

    pub(crate) fn condvar_notify(
        &mut self,
        event: &Event,
        condvar: ObjectId,
    ) -> Result<(), EventError> {
        self.object(event.step, condvar, ObjectClass::Condvar)?;
        let anyone_waiting = self.threads.iter().any(|t| {
            t.alive
                && matches!(t.pending.as_ref().map(|p| p.op), Some(PendingOp::Condvar { condvar: c, .. }) if c == condvar)
        });
        let state = self.objects[condvar.index()]
            .as_mut()
            .expect("checked above");
        state.unheard_notify = (!anyone_waiting).then(|| event.site.clone());
        state.last_notify = Some((event.site.clone(), event.step));
        self.release_into(event.thread, condvar);
        Ok(())
    }

    pub(crate) fn send_request(
        &mut self,
        event: &Event,
        channel: ObjectId,
    ) -> Result<(), EventError> {
        self.object(event.step, channel, ObjectClass::Channel)?;
        self.set_pending(event, PendingOp::Send { channel });
        Ok(())
    }

    pub(crate) fn sent(
        &mut self,
        event: &Event,
        channel: ObjectId,
        ok: bool,
    ) -> Result<(), EventError> {
        self.object(event.step, channel, ObjectClass::Channel)?;
        let t = event.thread.index();
        let thread = &mut self.threads[t];
        thread.pending = None;
        if ok {
            let state = self.objects[channel.index()]
                .as_mut()
                .expect("checked above");
            state.messages.push_back(thread.clock.clone());
            thread.clock.tick(t);
        }
        Ok(())
    }

    pub(crate) fn recv_request(
        &mut self,
        event: &Event,
        channel: ObjectId,
        bounded: bool,
    ) -> Result<(), EventError> {
        self.object(event.step, channel, ObjectClass::Channel)?;
        self.set_pending(event, PendingOp::Recv { channel, bounded });
        Ok(())
    }

    pub(crate) fn received(
        &mut self,
        event: &Event,
        channel: ObjectId,
        ok: bool,
    ) -> Result<(), EventError> {
        self.object(event.step, channel, ObjectClass::Channel)?;
        let thread = &mut self.threads[event.thread.index()];
        thread.pending = None;
        if ok {
            let state = self.objects[channel.index()]
                .as_mut()
                .expect("checked above");
            if let Some(clock) = state.messages.pop_front() {
                thread.clock.join(&clock);
            }
        }
        Ok(())
    }

    pub(crate) fn barrier_wait(
        &mut self,
        event: &Event,
        barrier: ObjectId,
        generation: u64,
    ) -> Result<(), EventError> {
        self.object(event.step, barrier, ObjectClass::Barrier)?;
        self.set_pending(event, PendingOp::Barrier { barrier });
        let t = event.thread.index();
        let thread = &mut self.threads[t];
        let state = self.objects[barrier.index()]
            .as_mut()
            .expect("checked above");
        // Only the last two generations can still be left from.
        state.generations.retain(|&(g, _)| g + 1 >= generation);
        match state.generations.iter_mut().find(|(g, _)| *g == generation) {
            Some((_, clock)) => clock.join(&thread.clock),
            None => state.generations.push((generation, thread.clock.clone())),
        }
        thread.clock.tick(t);
        Ok(())
    }

    pub(crate) fn barrier_leave(
        &mut self,
        event: &Event,
        barrier: ObjectId,
        generation: u64,
    ) -> Result<(), EventError> {
        self.object(event.step, barrier, ObjectClass::Barrier)?;
        let thread = &mut self.threads[event.thread.index()];
        thread.pending = None;
        let state = self.objects[barrier.index()]
            .as_ref()
            .expect("checked above");
        if let Some((_, clock)) = state.generations.iter().find(|(g, _)| *g == generation) {
            thread.clock.join(clock);
        }
        Ok(())
    }

    pub(crate) fn once_begin(&mut self, event: &Event, once: ObjectId) -> Result<(), EventError> {
        self.object(event.step, once, ObjectClass::Once)?;
        self.threads[event.thread.index()].pending = None;
        let state = self.objects[once.index()].as_mut().expect("checked above");
        state.runner = Some(event.thread);
        // A poisoned once run again learns what the failed run did.
        self.acquire_from(event.thread, once);
        Ok(())
    }

    pub(crate) fn once_wait(&mut self, event: &Event, once: ObjectId) -> Result<(), EventError> {
        self.object(event.step, once, ObjectClass::Once)?;
        self.set_pending(event, PendingOp::Once { once });
        self.check_wait_cycle(event);
        Ok(())
    }

    pub(crate) fn once_complete(
        &mut self,
        event: &Event,
        once: ObjectId,
    ) -> Result<(), EventError> {
        self.object(event.step, once, ObjectClass::Once)?;
        self.objects[once.index()]
            .as_mut()
            .expect("checked above")
            .runner = None;
        self.release_into(event.thread, once);
        Ok(())
    }

    pub(crate) fn once_observed(
        &mut self,
        event: &Event,
        once: ObjectId,
    ) -> Result<(), EventError> {
        self.object(event.step, once, ObjectClass::Once)?;
        self.threads[event.thread.index()].pending = None;
        self.acquire_from(event.thread, once);
        Ok(())
    }

    pub(crate) fn park(&mut self, event: &Event, timed: bool) {
        self.set_pending(event, PendingOp::Park { timed });
    }

    pub(crate) fn unparked(&mut self, t: ThreadId) {
        let thread = &mut self.threads[t.index()];
        thread.pending = None;
        let token = std::mem::take(&mut thread.park_token);
        thread.clock.join(&token);
        thread.park_token = token;
    }

    pub(crate) fn unpark(&mut self, event: &Event, target: ThreadId) -> Result<(), EventError> {
        if target.index() >= self.threads.len() {
            return Err(EventError::UnknownThread {
                step: event.step,
                thread: target,
            });
        }
        let t = event.thread.index();
        let clock = self.threads[t].clock.clone();
        self.threads[target.index()].park_token.join(&clock);
        self.threads[t].clock.tick(t);
        Ok(())
    }

    /// Release/acquire through atomics, with release sequences and fences.
    ///
    /// Each store's clock is what a later acquiring load of it learns: a releasing store's is
    /// the thread's clock; a relaxed store's the clock of the thread's last release fence (or
    /// nothing); a read-modify-write continues the release sequence of the store it read (the
    /// latest) and so adds to its clock. A load learns the clock of the store it read: the
    /// latest, or under the weak memory model the one `reads` names.
    pub(crate) fn atomic(
        &mut self,
        event: &Event,
        object: ObjectId,
        op: AtomicOp,
        ordering: MemoryOrdering,
        reads: Option<u64>,
    ) -> Result<(), EventError> {
        self.object(event.step, object, ObjectClass::Atomic)?;
        let t = event.thread.index();
        let thread = &mut self.threads[t];
        let state = self.objects[object.index()]
            .as_mut()
            .expect("checked above");
        if state.stores.is_empty() {
            // The value the atomic had when the execution first used it.
            state.stores.push_back((0, VectorClock::new()));
        }
        let latest = state.stores.back().map_or(0, |(index, _)| *index);
        let read = match (op, reads) {
            (AtomicOp::Load, Some(store)) => state
                .stores
                .iter()
                .position(|(index, _)| *index == store)
                .ok_or(EventError::UnknownStore {
                    step: event.step,
                    object,
                    store,
                })?,
            _ => state.stores.len() - 1,
        };
        let read_sync = &state.stores[read].1;
        if op != AtomicOp::Store {
            if ordering.acquires() {
                thread.clock.join(read_sync);
            } else {
                thread.fence_acquirable.join(read_sync);
            }
        }
        if op != AtomicOp::Load {
            let published = if ordering.releases() {
                Some(&thread.clock)
            } else {
                thread.release_fence.as_ref()
            };
            let mut sync = if op == AtomicOp::Rmw {
                read_sync.clone()
            } else {
                VectorClock::new()
            };
            if let Some(clock) = published {
                sync.join(clock);
            }
            if state.stores.len() == crate::ATOMIC_HISTORY {
                state.stores.pop_front();
            }
            state.stores.push_back((latest + 1, sync));
            if ordering.releases() {
                thread.clock.tick(t);
            }
        }
        Ok(())
    }

    pub(crate) fn fence(&mut self, t: ThreadId, ordering: MemoryOrdering) {
        let thread = &mut self.threads[t.index()];
        if ordering.acquires() {
            let acquirable = std::mem::take(&mut thread.fence_acquirable);
            thread.clock.join(&acquirable);
        }
        if ordering.releases() {
            thread.release_fence = Some(thread.clock.clone());
            thread.clock.tick(t.index());
        }
    }
}
