//! The runtime's model of an execution, for exhaustive exploration: what each step touched
//! (its [`Footprint`]), which threads it made runnable, and which threads are **disabled**:
//! their announced operation could not go on now (a lock that is held, a join of a live thread,
//! a receive from an empty channel), so running them would only be a failed attempt.
//!
//! It is kept from the events the primitives emit, plus a few notes from the runtime for what
//! no event says (a channel's capacity and disconnection, a read of the virtual clock), through
//! the step log (`rt::steps`). Only exhaustive strategies turn it on: other strategies pay
//! nothing for it.
//!
//! A disabled thread is one whose failed attempt would change nothing another thread can see:
//! it would only join a wait queue and block. A failed attempt that does change something is
//! a step like any other (an `RwLock` writer's first attempt queues it, which holds off new
//! readers; a rendezvous send offers its message; a rendezvous receive makes room).

use interleave_detector::{Attempt, Event, EventKind, LockMode, ObjectClass, ObjectId, ThreadId};

use super::footprint::{Access, Footprint, Key};

/// What a thread announced it will do next, before its scheduling point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    None,
    Lock {
        lock: ObjectId,
        mode: LockMode,
        attempt: Attempt,
    },
    Join {
        child: ThreadId,
        /// The child had finished: the join takes no scheduling point.
        at_once: bool,
    },
    /// A blocking receive, or (`timed`) one with a timeout.
    Recv {
        channel: ObjectId,
        timed: bool,
    },
    Send {
        channel: ObjectId,
    },
    Park {
        timed: bool,
    },
    /// A task's wait for a permit, a notification or a worker: the model does not know the
    /// permits, so it never counts as disabled.
    Async {
        object: ObjectId,
    },
}

impl Pending {
    /// What else a timer's fire that ends this wait races with: for a receive, the drop of the
    /// channel's last sender, which would have ended it too (with `Disconnected`); for a send,
    /// the receiver's drop. Without it, "the timer first" is never tried against a drop.
    fn closed_key(self) -> Option<Key> {
        match self {
            Pending::Recv { channel, .. } => Some(Key::senders(channel)),
            Pending::Send { channel } => Some(Key::receiver(channel)),
            _ => None,
        }
    }

    /// What the announced operation touches: a failed attempt writes it (it joins the wait).
    fn key(self, thread: ThreadId) -> Option<Key> {
        match self {
            Pending::None => None,
            Pending::Lock { lock, .. } => Some(Key::object(lock)),
            Pending::Join { child, .. } => Some(Key::thread(child)),
            Pending::Recv { channel, .. } | Pending::Send { channel } => Some(Key::object(channel)),
            Pending::Park { .. } => Some(Key::park(thread)),
            Pending::Async { object } => Some(Key::object(object)),
        }
    }
}

#[derive(Debug, Clone)]
struct ThreadState {
    pending: Pending,
    /// It blocked since announcing `pending`: its attempt failed and it waits in the queue.
    failed: bool,
    finished: bool,
    park_token: bool,
    /// `unpark`s since its token was last consumed.
    unparks: u32,
    /// Its timer fired since it was armed.
    timer_fired: bool,
    /// The condvar of its timed wait: what its timer firing ends.
    waiting_on: Option<Key>,
    /// A task's waits: what its futures announced and then returned `Pending` on (a `select!`
    /// has several), each until it completes or its future gives up.
    waits: Vec<Pending>,
    /// A task between the start and the end of a poll: it runs on, whatever its futures wait
    /// for.
    polling: bool,
}

impl Default for ThreadState {
    fn default() -> Self {
        ThreadState {
            pending: Pending::None,
            failed: false,
            finished: false,
            park_token: false,
            unparks: 0,
            timer_fired: false,
            waiting_on: None,
            waits: Vec::new(),
            polling: false,
        }
    }
}

#[derive(Debug, Clone, Default)]
enum ObjectState {
    #[default]
    Other,
    Lock {
        rwlock: bool,
        holders: Vec<(ThreadId, LockMode)>,
    },
    Channel {
        /// Messages sent and not yet received.
        messages: u64,
        /// `None` until the channel says (`Some(None)`: unbounded; `Some(Some(0))`: rendezvous).
        bound: Option<Option<usize>>,
        /// A side is gone: a receive or send returns at once.
        closed: bool,
        /// The latest change was a send (what an empty channel's receive waits for).
        sent_last: bool,
    },
}

/// The model of the objects and threads of one execution.
#[derive(Debug, Default)]
pub(crate) struct Model {
    threads: Vec<ThreadState>,
    objects: Vec<ObjectState>,
}

impl Model {
    fn thread(&mut self, thread: ThreadId) -> &mut ThreadState {
        let index = thread.0 as usize;
        if self.threads.len() <= index {
            self.threads.resize(index + 1, ThreadState::default());
        }
        &mut self.threads[index]
    }

    fn object(&mut self, object: ObjectId) -> &mut ObjectState {
        let index = object.0 as usize;
        if self.objects.len() <= index {
            self.objects.resize(index + 1, ObjectState::Other);
        }
        &mut self.objects[index]
    }

    /// A channel's capacity (`None`: unbounded).
    pub(crate) fn channel_bound(&mut self, channel: ObjectId, bound: Option<usize>) {
        if let ObjectState::Channel { bound: known, .. } = self.object(channel) {
            *known = Some(bound);
        }
    }

    /// A task's future returned `Pending` on what the task announced last: one of the task's
    /// waits from now on, not what the task does next (its poll goes on).
    /// Returns what the future looked at to find it could not go on (a channel's queue, found
    /// empty or full, and whether the other side is still there): a read in the step where it
    /// looked, which may end before the task waits (at a scheduling point further down the same
    /// poll, such as a timeout's sleep's first).
    pub(crate) fn future_pending(&mut self, thread: ThreadId) -> [Option<Key>; 2] {
        let state = self.thread(thread);
        let pending = std::mem::replace(&mut state.pending, Pending::None);
        state.failed = false;
        if pending == Pending::None {
            return [None, None];
        }
        if !state.waits.contains(&pending) {
            state.waits.push(pending);
        }
        [pending.key(thread), pending.closed_key()]
    }

    /// `thread`, a task, waits (or no longer) on `object` between polls, with no event (see
    /// `steps::task_waits_on`).
    pub(crate) fn wait_on(&mut self, thread: ThreadId, object: ObjectId, waiting: bool) {
        let wait = Pending::Async { object };
        let state = self.thread(thread);
        if !waiting {
            state.waits.retain(|&w| w != wait);
        } else if !state.waits.contains(&wait) {
            state.waits.push(wait);
        }
    }

    /// `thread`'s announced receive or send is a try (`try_recv`, `try_send`): it waits for
    /// nothing, so the model forgets it (its `Received` or `Sent` is then what one that never
    /// waited touches).
    pub(crate) fn tried(&mut self, thread: ThreadId) {
        if matches!(
            self.thread(thread).pending,
            Pending::Recv { .. } | Pending::Send { .. }
        ) {
            self.complete(thread);
        }
    }

    /// A task starts (`true`) or ends a poll of its future.
    pub(crate) fn task_polling(&mut self, thread: ThreadId, polling: bool) {
        self.thread(thread).polling = polling;
    }

    /// `thread`'s operation on what `done` touches completed or was given up: no longer one
    /// of its waits.
    fn wait_over(&mut self, thread: ThreadId, done: &EventKind) {
        use EventKind as K;
        let state = self.thread(thread);
        if state.waits.is_empty() {
            return;
        }
        state.waits.retain(|wait| match (done, *wait) {
            (K::Joined { child } | K::JoinCancel { child }, Pending::Join { child: c, .. }) => {
                c != *child
            }
            (
                K::LockAcquired { lock, .. } | K::LockFailed { lock },
                Pending::Lock { lock: l, .. },
            ) => l != *lock,
            (K::Received { channel, .. }, Pending::Recv { channel: c, .. })
            | (K::Sent { channel, .. }, Pending::Send { channel: c })
            | (K::AsyncReady { object: channel }, Pending::Async { object: c }) => c != *channel,
            _ => true,
        });
    }

    /// A channel lost its last sender or its receiver. (A message sent last is still what a
    /// receive that takes it waited for: closing touches the senders, not the queue.)
    pub(crate) fn channel_closed(&mut self, channel: ObjectId) {
        if let ObjectState::Channel { closed, .. } = self.object(channel) {
            *closed = true;
        }
    }

    /// Updates the model with `event`, and adds what it touched to `footprint`, the threads
    /// it made runnable to `woken`, and what the thread's next step touches to `carried`.
    pub(crate) fn observe(
        &mut self,
        event: &Event,
        footprint: &mut Footprint,
        woken: &mut Vec<ThreadId>,
        carried: &mut Vec<(ThreadId, (Key, Access))>,
    ) {
        use EventKind as K;
        let t = event.thread;
        self.wait_over(t, &event.kind);
        match &event.kind {
            K::Spawn { child, .. } => {
                self.thread(*child);
                woken.push(*child);
            }
            K::Exit => {
                self.thread(t).finished = true;
                footprint.write(Key::thread(t));
            }
            K::JoinRequest { child } => {
                let at_once = self.thread(*child).finished;
                self.announce(
                    t,
                    Pending::Join {
                        child: *child,
                        at_once,
                    },
                );
            }
            K::JoinCancel { child } => {
                if matches!(self.thread(t).pending, Pending::Join { child: c, .. } if c == *child) {
                    self.complete(t);
                }
            }
            K::Joined { child } => {
                let at_once = matches!(self.thread(t).pending, Pending::Join { at_once: true, .. });
                self.complete(t);
                let access = (Key::thread(*child), Access::READ | Access::WAITED);
                if at_once {
                    // A join of a finished child takes no scheduling point: it ends the step
                    // that found the child finished. That step is not ordered after the exit
                    // (run before it, it would have stopped at the announcement, and the
                    // join waited in a step of its own), but every later one is: the thread's
                    // next step carries the join.
                    carried.push((t, access));
                } else {
                    footprint.touch(access.0, access.1);
                }
            }
            K::Park { timed } => self.announce(t, Pending::Park { timed: *timed }),
            K::Unparked => {
                self.complete(t);
                let state = self.thread(t);
                state.park_token = false;
                // The token of a single unpark: the park waited for it.
                let waited = std::mem::take(&mut state.unparks) == 1 && !state.timer_fired;
                let access = if waited {
                    Access::WRITE | Access::WAITED
                } else {
                    Access::WRITE
                };
                footprint.touch(Key::park(t), access);
            }
            K::Unpark { target } => {
                let state = self.thread(*target);
                state.park_token = true;
                state.unparks += 1;
                footprint.write(Key::park(*target));
            }
            K::Create { object, class, .. } => {
                *self.object(*object) = match class {
                    ObjectClass::Mutex | ObjectClass::RwLock => ObjectState::Lock {
                        rwlock: *class == ObjectClass::RwLock,
                        holders: Vec::new(),
                    },
                    ObjectClass::Channel => ObjectState::Channel {
                        messages: 0,
                        bound: None,
                        closed: false,
                        sent_last: false,
                    },
                    _ => ObjectState::Other,
                };
            }
            K::LockRequest {
                lock,
                mode,
                attempt,
            } => self.announce(
                t,
                Pending::Lock {
                    lock: *lock,
                    mode: *mode,
                    attempt: *attempt,
                },
            ),
            K::LockAcquired { lock, mode } => {
                // Got at the first attempt, where a failed attempt is a step of its own (a try
                // fails, an RwLock writer queues ahead of new readers), or at an attempt after
                // the request's timer fired (it gives up if the lock is held): run before the
                // release of the hold before it, that attempt fails, so it races with the
                // release, not only with the acquisition that release ends.
                let state = self.thread(t);
                let (pending, failed, timer_fired) =
                    (state.pending, state.failed, state.timer_fired);
                self.complete(t);
                let mut first_attempt = false;
                if let ObjectState::Lock { holders, rwlock } = self.object(*lock) {
                    holders.push((t, *mode));
                    first_attempt = match pending {
                        Pending::Lock {
                            attempt: Attempt::Try,
                            ..
                        } => true,
                        Pending::Lock {
                            attempt: Attempt::Timed,
                            ..
                        } if timer_fired => true,
                        _ => *rwlock && *mode == LockMode::Exclusive && !failed,
                    };
                }
                // Shared holds commute with each other (updates of the count of readers); an
                // exclusive one with everything. A try that fails reads the lock: it conflicts
                // with both (a `try_write` fails while a reader holds it).
                let access = if *mode == LockMode::Exclusive {
                    Access::WRITE
                } else {
                    Access::UPDATE
                };
                let access = access | Access::ACQUIRE;
                let access = if first_attempt {
                    access | Access::TRY
                } else {
                    access
                };
                footprint.touch(Key::object(*lock), access);
            }
            K::LockFailed { lock } => {
                // A timed request that gives up leaves the writers' queue: readers may get in.
                let timed = matches!(
                    self.thread(t).pending,
                    Pending::Lock {
                        attempt: Attempt::Timed,
                        ..
                    }
                );
                self.complete(t);
                footprint.add(Key::object(*lock), timed);
            }
            K::LockReleased { lock } => {
                let mut exclusive = true;
                if let ObjectState::Lock { holders, .. } = self.object(*lock) {
                    if let Some(i) = holders.iter().position(|&(h, _)| h == t) {
                        exclusive = holders.swap_remove(i).1 == LockMode::Exclusive;
                    }
                }
                let access = if exclusive {
                    Access::WRITE
                } else {
                    Access::UPDATE
                };
                footprint.touch(Key::object(*lock), access | Access::RELEASE);
            }
            K::CondvarWait { condvar, .. } => {
                self.thread(t).waiting_on = Some(Key::object(*condvar));
                footprint.write(Key::object(*condvar));
            }
            K::CondvarWoken { condvar, timed_out } => {
                let state = self.thread(t);
                state.waiting_on = None;
                // A waiter that timed out leaves the queue (a notification can no longer pick
                // it); one that was notified had already been picked. One whose timer fired
                // and that finds itself notified looked at the queue: a notification that came
                // after its timer fired picked it, and run after this step would have found it
                // gone (it would have timed out).
                if *timed_out {
                    footprint.write(Key::object(*condvar));
                } else if state.timer_fired {
                    footprint.read(Key::object(*condvar));
                }
            }
            K::CondvarNotify { condvar, .. } => footprint.write(Key::object(*condvar)),
            K::SendRequest { channel } => {
                self.announce(t, Pending::Send { channel: *channel });
            }
            K::Sent { channel, ok } => {
                // A blocking send (a try's announcement is forgotten: `tried`).
                let blocking = self.thread(t).pending == (Pending::Send { channel: *channel });
                if blocking {
                    self.complete(t);
                }
                if *ok {
                    if let ObjectState::Channel {
                        messages,
                        sent_last,
                        ..
                    } = self.object(*channel)
                    {
                        *messages += 1;
                        *sent_last = true;
                    }
                }
                // A message into the queue; a send that failed looked at it (a `try_send` that
                // found it full, or no receiver waiting on a rendezvous channel: a receive
                // that made room, or began to wait, first would have let it through). Either
                // way the send saw whether the receiver was there.
                if *ok {
                    let mut access = Access::WRITE;
                    if self.one_place(t, *channel) {
                        access = access | Access::ACQUIRE | Access::SLOT;
                        if !blocking {
                            access = access | Access::TRY;
                        }
                    }
                    footprint.touch(Key::object(*channel), access);
                } else if self.one_place(t, *channel) {
                    // It also looked at who holds the place: the send before it, whose message
                    // a receive may have taken since (`Access::SLOT`).
                    footprint.touch(Key::object(*channel), Access::READ | Access::SLOT);
                } else {
                    footprint.read(Key::object(*channel));
                }
                footprint.read(Key::receiver(*channel));
            }
            K::RecvRequest { channel, bounded } => self.announce(
                t,
                Pending::Recv {
                    channel: *channel,
                    timed: *bounded,
                },
            ),
            K::Received { channel, ok } => {
                let state = self.thread(t);
                // A timed receive that timed out leaves the idle receivers (a rendezvous sender
                // could have handed it a message): a write; other failures only looked.
                let timed_out = state.timer_fired
                    && state.pending
                        == (Pending::Recv {
                            channel: *channel,
                            timed: true,
                        });
                let announced = matches!(
                    state.pending,
                    Pending::Recv { channel: c, .. } if c == *channel
                );
                let blocking = state.pending
                    == (Pending::Recv {
                        channel: *channel,
                        timed: false,
                    });
                let timer_fired = state.timer_fired;
                if announced {
                    self.complete(t);
                }
                let mut access = if *ok || timed_out {
                    Access::WRITE
                } else {
                    Access::READ
                };
                // Finding no message, it saw whether every sender was gone. A blocking receive
                // that returns so waited for the last sender to go: it never comes first.
                if !*ok {
                    let waited = if blocking {
                        Access::WAITED
                    } else {
                        Access::READ
                    };
                    footprint.touch(Key::senders(*channel), Access::READ | waited);
                }
                if *ok {
                    if let ObjectState::Channel {
                        messages,
                        sent_last,
                        bound,
                        ..
                    } = self.object(*channel)
                    {
                        // A blocking receive that took the only message, which the latest
                        // change sent: it waited for that send. Not on a rendezvous channel:
                        // there its attempt before the send would have made it a receiver
                        // waiting, which a `try_send` needs to succeed.
                        let rendezvous = *bound == Some(Some(0));
                        if announced && !timer_fired && !rendezvous && *messages == 1 && *sent_last
                        {
                            access = access | Access::WAITED;
                        }
                        *messages = messages.saturating_sub(1);
                        *sent_last = false;
                    }
                    if self.one_place(t, *channel) {
                        access = access | Access::RELEASE | Access::SLOT;
                    }
                }
                footprint.touch(Key::object(*channel), access);
            }
            K::BarrierWait { barrier, .. } => footprint.write(Key::object(*barrier)),
            K::OnceBegin { once } | K::OnceComplete { once } => {
                footprint.write(Key::object(*once));
            }
            K::OnceWait { once } | K::OnceObserved { once } => footprint.read(Key::object(*once)),
            K::Atomic { object, op, .. } => {
                footprint.add(
                    Key::object(*object),
                    *op != interleave_detector::AtomicOp::Load,
                );
            }
            K::MemoryFree { objects, .. } => {
                for object in objects {
                    footprint.write(Key::object(*object));
                }
            }
            K::CellRead { cell } => footprint.read(Key::object(*cell)),
            K::CellWrite { cell } => footprint.write(Key::object(*cell)),
            K::TimerArm { .. } => {
                self.thread(t).timer_fired = false;
                footprint.read(Key::CLOCK);
                footprint.write(Key::TIMERS);
                footprint.write(Key::timer(t));
            }
            K::TimerCancel { .. } => {
                let state = self.thread(t);
                state.timer_fired = false;
                state.waiting_on = None;
                footprint.write(Key::TIMERS);
                footprint.write(Key::timer(t));
            }
            K::TimerFire { .. } => {
                // The fire is its owner's event: it ends the owner's wait, as what the owner
                // waits for would have.
                let state = self.thread(t);
                state.timer_fired = true;
                let ends = [
                    state.waiting_on,
                    state.pending.key(t),
                    state.pending.closed_key(),
                ];
                footprint.write(Key::TIMERS);
                footprint.touch(Key::timer(t), Access::WRITE | Access::WAITED);
                // It wakes its owner, as `fire_footprint` says the fire to come does.
                footprint.write(Key::park(t));
                let waits = state
                    .waits
                    .iter()
                    .flat_map(|w| [w.key(t), w.closed_key()])
                    .flatten();
                for key in ends.into_iter().flatten().chain(waits) {
                    footprint.write(key);
                }
                woken.push(t);
            }
            K::ClockAdvance { .. } => footprint.write(Key::CLOCK),
            K::DeadlineEnter { .. } | K::DeadlineExit => footprint.read(Key::CLOCK),
            // A failed attempt: it joined the wait queue of what it announced. So did the last
            // one of a deadlock, which finds nobody left to run (`Stuck`): in another order it
            // came first, and whoever it waits for waited.
            K::Block | K::Stuck => {
                let state = self.thread(t);
                state.failed = state.pending != Pending::None;
                // A task waits on each of its futures' waits: it joined each queue.
                for key in state.waits.iter().filter_map(|w| w.key(t)) {
                    footprint.write(key);
                }
                if let Some(key) = state.pending.key(t) {
                    footprint.write(key);
                }
            }
            // An async primitive's state changes on both (a permit or notification taken).
            K::AsyncWait { object } => {
                self.announce(t, Pending::Async { object: *object });
                footprint.write(Key::object(*object));
            }
            K::AsyncReady { object } => {
                if self.thread(t).pending == (Pending::Async { object: *object }) {
                    self.complete(t);
                }
                footprint.write(Key::object(*object));
            }
            K::AsyncRelease { object } | K::AsyncAcquire { object } => {
                footprint.write(Key::object(*object));
            }
            K::BarrierLeave { .. }
            | K::LostWaker
            | K::AwaitHolding { .. }
            | K::FutureHolds { .. }
            | K::Fence { .. }
            | K::StepLimit { .. }
            | K::Panic { .. }
            | K::MemoryError { .. } => {}
        }
    }

    fn announce(&mut self, thread: ThreadId, pending: Pending) {
        let state = self.thread(thread);
        state.pending = pending;
        state.failed = false;
    }

    fn complete(&mut self, thread: ThreadId) {
        let state = self.thread(thread);
        state.pending = Pending::None;
        state.failed = false;
    }

    /// Whether `thread`'s send or receive on `channel` takes or gives back the one place of a
    /// channel of bound 1 (`Access::SLOT`): a thread's, not a task's. A send that finds a
    /// channel full is not offered to a thread, as an acquisition of a held lock is not; a
    /// task's returns `Pending` and the task goes on (a `select!`), a step of its own.
    fn one_place(&mut self, thread: ThreadId, channel: ObjectId) -> bool {
        !self.thread(thread).polling
            && matches!(
                self.object(channel),
                ObjectState::Channel {
                    bound: Some(Some(1)),
                    ..
                }
            )
    }

    /// What firing `owner`'s timer would touch: what a `TimerFire` (and, if time `advances`, a
    /// `ClockAdvance`) adds to a footprint.
    pub(crate) fn fire_footprint(&self, owner: ThreadId, advances: bool) -> Footprint {
        let mut footprint = Footprint::default();
        if advances {
            footprint.write(Key::CLOCK);
        }
        footprint.write(Key::TIMERS);
        footprint.touch(Key::timer(owner), Access::WRITE | Access::WAITED);
        // The fire wakes its owner, as an unpark or a task's waker does (both write its park
        // token, which a task reads between polls to see whether it was cancelled): a task
        // woken by its timer polls again where one woken by its cancellation drops its future.
        footprint.write(Key::park(owner));
        if let Some(state) = self.threads.get(owner.0 as usize) {
            let waits = state
                .waits
                .iter()
                .flat_map(|w| [w.key(owner), w.closed_key()])
                .flatten();
            let ends = [
                state.waiting_on,
                state.pending.key(owner),
                state.pending.closed_key(),
            ];
            for key in ends.into_iter().flatten().chain(waits) {
                footprint.write(key);
            }
        }
        footprint
    }

    /// Whether `thread`'s announced operation cannot go on now, and trying it would change
    /// nothing: it would only wait.
    pub(crate) fn disabled(&self, thread: ThreadId) -> bool {
        let Some(state) = self.threads.get(thread.0 as usize) else {
            return false;
        };
        if state.pending == Pending::None && !state.waits.is_empty() {
            // A task between polls: it can go on if any of its waits can, or a timer of its
            // futures fired. In a poll, its futures' waits are not what it does next.
            return !state.polling
                && !state.timer_fired
                && state
                    .waits
                    .iter()
                    .all(|&wait| self.pending_disabled(thread, state, wait, true));
        }
        self.pending_disabled(thread, state, state.pending, state.failed)
    }

    /// Whether `pending`, an operation of `thread` (`failed`: it already tried and queued),
    /// cannot go on now.
    fn pending_disabled(
        &self,
        thread: ThreadId,
        state: &ThreadState,
        pending: Pending,
        failed: bool,
    ) -> bool {
        let object = |id: ObjectId| self.objects.get(id.0 as usize);
        match pending {
            Pending::None | Pending::Async { .. } => false,
            Pending::Lock {
                lock,
                mode,
                attempt,
            } => {
                if attempt == Attempt::Try || (attempt == Attempt::Timed && state.timer_fired) {
                    return false;
                }
                let Some(ObjectState::Lock { rwlock, holders }) = object(lock) else {
                    return false;
                };
                match mode {
                    // An RwLock writer's first attempt queues it: not a wasted step.
                    LockMode::Exclusive => !holders.is_empty() && (!rwlock || failed),
                    LockMode::Shared => {
                        let writer_holds = holders.iter().any(|&(_, m)| m == LockMode::Exclusive);
                        writer_holds || self.writer_queued(lock, thread)
                    }
                }
            }
            Pending::Join { child, .. } => self
                .threads
                .get(child.0 as usize)
                .is_some_and(|c| !c.finished),
            Pending::Recv { channel, timed } => {
                if timed && state.timer_fired {
                    return false;
                }
                // A rendezvous receive that waits lets a sender hand over: not filtered.
                matches!(
                    object(channel),
                    Some(ObjectState::Channel {
                        messages: 0,
                        bound: Some(bound),
                        closed: false,
                        ..
                    }) if *bound != Some(0)
                )
            }
            Pending::Send { channel } => matches!(
                object(channel),
                Some(ObjectState::Channel {
                    messages,
                    bound: Some(Some(bound)),
                    closed: false,
                    ..
                }) if *bound > 0 && *messages >= *bound as u64
            ),
            Pending::Park { timed } => !(state.park_token || timed && state.timer_fired),
        }
    }

    /// Whether a thread other than `me` waits in the writers' queue of `lock`.
    fn writer_queued(&self, lock: ObjectId, me: ThreadId) -> bool {
        self.threads.iter().enumerate().any(|(i, t)| {
            i != me.0 as usize
                && t.failed
                && matches!(t.pending, Pending::Lock { lock: l, mode: LockMode::Exclusive, attempt } if l == lock && attempt != Attempt::Try)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::steps::StepLog;
    use interleave_detector::Site;

    fn event(thread: u32, kind: EventKind) -> Event {
        Event {
            step: 0,
            thread: ThreadId(thread),
            site: Site::unknown(),
            kind,
        }
    }

    fn run(log: &mut StepLog, events: &[(u32, EventKind)]) {
        for (thread, kind) in events {
            log.observe(&event(*thread, kind.clone()));
        }
    }

    const L: ObjectId = ObjectId(0);

    fn create(class: ObjectClass) -> EventKind {
        EventKind::Create {
            object: L,
            class,
            name: None,
        }
    }

    fn request(mode: LockMode) -> EventKind {
        EventKind::LockRequest {
            lock: L,
            mode,
            attempt: Attempt::Blocking,
        }
    }

    #[test]
    fn a_request_for_a_held_mutex_is_disabled_until_it_is_released() {
        let mut log = StepLog::default();
        run(
            &mut log,
            &[
                (0, create(ObjectClass::Mutex)),
                (0, request(LockMode::Exclusive)),
                (
                    0,
                    EventKind::LockAcquired {
                        lock: L,
                        mode: LockMode::Exclusive,
                    },
                ),
                (1, request(LockMode::Exclusive)),
            ],
        );
        assert!(log.model.disabled(ThreadId(1)));
        assert!(!log.model.disabled(ThreadId(0)));
        log.clear_step();
        run(&mut log, &[(0, EventKind::LockReleased { lock: L })]);
        assert!(!log.model.disabled(ThreadId(1)));
        let (key, access) = log.footprint.accesses().next().unwrap();
        assert_eq!(key, Key::object(L));
        assert!(access.write() && access.release());
    }

    #[test]
    fn a_queued_rwlock_writer_holds_off_new_readers() {
        let mut log = StepLog::default();
        run(
            &mut log,
            &[
                (0, create(ObjectClass::RwLock)),
                (0, request(LockMode::Shared)),
                (
                    0,
                    EventKind::LockAcquired {
                        lock: L,
                        mode: LockMode::Shared,
                    },
                ),
                (1, request(LockMode::Exclusive)),
                (2, request(LockMode::Shared)),
            ],
        );
        // The writer's first attempt queues it: enabled. A reader may still join in.
        assert!(!log.model.disabled(ThreadId(1)));
        assert!(!log.model.disabled(ThreadId(2)));
        run(&mut log, &[(1, EventKind::Block)]);
        assert!(log.model.disabled(ThreadId(1)), "queued: waits");
        assert!(log.model.disabled(ThreadId(2)), "behind a queued writer");
    }

    #[test]
    fn a_task_waiting_on_a_select_is_disabled_only_if_every_arm_is() {
        // Task 0 polls a select over a join of task 1 and a receive on channel 0 (known
        // bounded: an empty receive waits): both arms return Pending.
        let mut log = StepLog::default();
        let c = ObjectId(0);
        let spawn = EventKind::Spawn {
            child: ThreadId(1),
            name: None,
        };
        run(&mut log, &[(0, spawn), (0, create(ObjectClass::Channel))]);
        log.model.channel_bound(c, Some(1));
        log.model.task_polling(ThreadId(0), true);
        run(
            &mut log,
            &[(0, EventKind::JoinRequest { child: ThreadId(1) })],
        );
        log.model.future_pending(ThreadId(0));
        assert!(
            !log.model.disabled(ThreadId(0)),
            "in its poll, the join is not what it does next"
        );
        let recv = EventKind::RecvRequest {
            channel: c,
            bounded: false,
        };
        run(&mut log, &[(0, recv)]);
        log.model.future_pending(ThreadId(0));
        log.model.task_polling(ThreadId(0), false);
        assert!(log.model.disabled(ThreadId(0)), "neither arm can go on");
        let sent = EventKind::Sent {
            channel: c,
            ok: true,
        };
        run(&mut log, &[(1, sent)]);
        assert!(!log.model.disabled(ThreadId(0)), "the receive can");
        // The select took the message and dropped the handle: no wait is left.
        let received = EventKind::Received {
            channel: c,
            ok: true,
        };
        run(
            &mut log,
            &[
                (0, received),
                (0, EventKind::JoinCancel { child: ThreadId(1) }),
            ],
        );
        assert!(log.model.threads[0].waits.is_empty());
    }

    #[test]
    fn joins_wait_for_the_exit_and_receives_for_a_message() {
        let mut log = StepLog::default();
        let c = ObjectId(0);
        run(
            &mut log,
            &[
                (
                    0,
                    EventKind::Spawn {
                        child: ThreadId(1),
                        name: None,
                    },
                ),
                (0, EventKind::JoinRequest { child: ThreadId(1) }),
                (0, create(ObjectClass::Channel)),
                (
                    1,
                    EventKind::RecvRequest {
                        channel: c,
                        bounded: false,
                    },
                ),
            ],
        );
        assert!(log.model.disabled(ThreadId(0)));
        assert!(!log.model.disabled(ThreadId(1)), "capacity not known yet");
        log.model.channel_bound(c, None);
        assert!(log.model.disabled(ThreadId(1)));
        run(
            &mut log,
            &[(
                0,
                EventKind::Sent {
                    channel: c,
                    ok: true,
                },
            )],
        );
        assert!(!log.model.disabled(ThreadId(1)));
        run(&mut log, &[(1, EventKind::Exit)]);
        assert!(!log.model.disabled(ThreadId(0)));
        assert_eq!(log.woken, [ThreadId(1)], "the spawn");
    }

    #[test]
    fn a_join_of_a_finished_thread_is_carried_to_the_joiner_s_next_step() {
        let mut log = StepLog::default();
        let spawn = EventKind::Spawn {
            child: ThreadId(1),
            name: None,
        };
        run(&mut log, &[(0, spawn), (1, EventKind::Exit)]);
        log.clear_step();
        let join = [
            (0, EventKind::JoinRequest { child: ThreadId(1) }),
            (0, EventKind::Joined { child: ThreadId(1) }),
        ];
        run(&mut log, &join);
        // The step that found the child finished did not wait for its exit.
        assert!(log.footprint.is_empty());
        log.clear_step();
        log.resumed(ThreadId(2));
        assert!(log.footprint.is_empty(), "another thread's step");
        log.resumed(ThreadId(0));
        let accesses: Vec<_> = log.footprint.accesses().collect();
        assert_eq!(
            accesses,
            [(Key::thread(ThreadId(1)), Access::READ | Access::WAITED)]
        );
        log.clear_step();
        log.resumed(ThreadId(0));
        assert!(log.footprint.is_empty(), "carried once");
    }

    #[test]
    fn a_join_that_waited_for_the_exit_is_in_its_own_step() {
        let mut log = StepLog::default();
        let spawn = EventKind::Spawn {
            child: ThreadId(1),
            name: None,
        };
        run(
            &mut log,
            &[
                (0, spawn),
                (0, EventKind::JoinRequest { child: ThreadId(1) }),
            ],
        );
        assert!(log.model.disabled(ThreadId(0)));
        run(&mut log, &[(1, EventKind::Exit)]);
        log.clear_step();
        run(&mut log, &[(0, EventKind::Joined { child: ThreadId(1) })]);
        let accesses: Vec<_> = log.footprint.accesses().collect();
        assert_eq!(
            accesses,
            [(Key::thread(ThreadId(1)), Access::READ | Access::WAITED)]
        );
        assert!(log.carried.is_empty());
    }
}
