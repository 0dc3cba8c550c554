//! The channel shared by both ends: its queue, its waiters, and the protocol that reports
//! every send and receive to the detector in step with the queue (one `Sent { ok: true }` per
//! message entering it, one `Received { ok: true }` per message leaving it, oldest first).

use std::collections::VecDeque;
use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};
use std::sync::{Mutex as StdMutex, MutexGuard as StdMutexGuard, PoisonError};
use std::time::Duration;

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site, ThreadId};

use crate::rt;
use crate::sync::Registration;

/// A rendezvous sender waiting, with its message, for a receiver to take it.
struct Offer<T> {
    sender: ThreadId,
    message: T,
    /// Where it sends: the site of the `Sent` event recorded when the message is taken.
    site: Site,
}

struct State<T> {
    registration: Registration,
    /// Messages sent and not yet received, oldest first.
    queue: VecDeque<T>,
    /// Rendezvous senders waiting for a receiver, oldest first.
    offers: VecDeque<Offer<T>>,
    /// Live `Sender`s and `SyncSender`s.
    senders: usize,
    /// Whether the `Receiver` is alive.
    receiver: bool,
    /// Threads blocked in a send, woken when they may be able to go on.
    waiting_senders: Vec<ThreadId>,
    /// Threads blocked in a receive, woken when they may be able to go on.
    waiting_receivers: Vec<ThreadId>,
    /// Receivers in `recv` that found nothing to take: a rendezvous sender may hand each one a
    /// message without waiting.
    idle_receivers: usize,
    /// Real threads (outside any execution) asleep on `Channel::real`.
    real_waiting: usize,
}

/// The state shared by both ends.
pub(super) struct Channel<T> {
    /// `None`: unbounded; `Some(0)`: rendezvous.
    bound: Option<usize>,
    state: StdMutex<State<T>>,
    /// Wakes the real threads (outside any execution) blocked in a send or a receive, which
    /// look again: every change that may let one go on notifies it.
    real: std::sync::Condvar,
}

/// What one attempt at sending came to.
enum SendStep<T> {
    /// The message is in the queue; the receivers to wake.
    Delivered(Vec<ThreadId>),
    /// A receiver took this thread's offer (and recorded the send).
    Taken,
    /// The receiver is gone: the message comes back.
    Disconnected(T),
    /// No room, and the send may not wait: the message comes back.
    Full(T),
    /// No room: the thread is registered as a waiter.
    Wait,
}

/// What one attempt at receiving came to.
enum RecvStep<T> {
    /// A message from the queue; the senders to wake.
    Got(T, Vec<ThreadId>),
    /// A waiting rendezvous sender's offer.
    Took(Offer<T>),
    /// Nothing to take, and every sender is gone.
    Disconnected,
    /// Nothing to take, and the receive may not wait.
    Empty,
    /// Nothing to take: the thread is registered as a waiter.
    Wait,
}

/// Whether a destructor may act on the running execution: one is running and going on, and the
/// thread dropping is still alive (not, say, dropping what it left behind after it exited).
fn execution_goes_on() -> bool {
    rt::with(|c| c.stop.is_none() && !c.thread(c.current).finished).unwrap_or(false)
}

/// A scheduling point, except while unwinding (a panic is being reported).
fn schedule() {
    if !std::thread::panicking() {
        rt::switch();
    }
}

/// Records an event of `thread`, a sender blocked in `send` whose send the current thread
/// completes by taking its offer: the send completes at this step, with the sender's clock.
fn emit_for(thread: ThreadId, kind: EventKind, site: Site) {
    rt::with(|c| {
        let current = std::mem::replace(&mut c.current, thread);
        c.emit(kind, site);
        c.current = current;
    });
}

fn add_waiter(waiters: &mut Vec<ThreadId>, me: ThreadId) {
    if !waiters.contains(&me) {
        waiters.push(me);
    }
}

impl<T> Channel<T> {
    pub(super) fn new(bound: Option<usize>, site: &Site, name: Option<&str>) -> Self {
        let channel = Channel {
            bound,
            state: StdMutex::new(State {
                registration: name.map_or_else(Registration::default, Registration::named),
                queue: VecDeque::new(),
                offers: VecDeque::new(),
                senders: 1,
                receiver: true,
                waiting_senders: Vec::new(),
                waiting_receivers: Vec::new(),
                idle_receivers: 0,
                real_waiting: 0,
            }),
            real: std::sync::Condvar::new(),
        };
        channel.object(site);
        channel
    }

    fn lock(&self) -> StdMutexGuard<'_, State<T>> {
        // Nothing panics while holding this internal lock, but stay usable if it ever did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The channel's id in the running execution, or `None` outside one. A channel first used
    /// in this execution is registered now: what waited on it in an earlier execution is
    /// forgotten, and the messages it still holds count as sent here.
    fn object(&self, site: &Site) -> Option<ObjectId> {
        let (channel, carried_over, abandoned) = {
            let mut state = self.lock();
            let (channel, fresh) = state
                .registration
                .object(ObjectClass::Channel, None, site)?;
            if state.real_waiting > 0 {
                drop(state);
                panic!(
                    "interleave: a thread outside this execution waits on this channel; an object cannot be shared between a check and real threads: create it inside the scenario"
                );
            }
            if fresh {
                rt::channel_registered(channel, self.bound);
                state.waiting_senders.clear();
                state.waiting_receivers.clear();
                state.idle_receivers = 0;
                (
                    channel,
                    state.queue.len(),
                    std::mem::take(&mut state.offers),
                )
            } else {
                (channel, 0, VecDeque::new())
            }
        };
        // The senders of abandoned offers never run again; drop their messages outside the
        // lock (a message's destructor may use this channel).
        drop(abandoned);
        for _ in 0..carried_over {
            rt::emit(EventKind::Sent { channel, ok: true }, site.clone());
        }
        Some(channel)
    }

    fn has_room(&self, state: &State<T>) -> bool {
        match self.bound {
            None => true,
            Some(0) => state.queue.len() < state.idle_receivers,
            Some(bound) => state.queue.len() < bound,
        }
    }

    /// One attempt at sending. `message` is `None` while this thread's offer holds it.
    fn send_step(
        &self,
        state: &mut State<T>,
        message: &mut Option<T>,
        me: ThreadId,
        site: &Site,
        blocking: bool,
    ) -> SendStep<T> {
        let Some(value) = message.take() else {
            // Offered earlier: taken, reclaimed, or still waiting.
            return match state.offers.iter().position(|o| o.sender == me) {
                None => SendStep::Taken,
                Some(i) if !state.receiver => {
                    let offer = state.offers.remove(i).expect("the position was just found");
                    SendStep::Disconnected(offer.message)
                }
                Some(_) => {
                    add_waiter(&mut state.waiting_senders, me);
                    SendStep::Wait
                }
            };
        };
        if !state.receiver {
            return SendStep::Disconnected(value);
        }
        if self.has_room(state) {
            state.queue.push_back(value);
            return SendStep::Delivered(std::mem::take(&mut state.waiting_receivers));
        }
        if !blocking {
            return SendStep::Full(value);
        }
        if self.bound == Some(0) {
            // No receiver is waiting (it would have made room), so none needs waking.
            state.offers.push_back(Offer {
                sender: me,
                message: value,
                site: site.clone(),
            });
        } else {
            *message = Some(value);
        }
        add_waiter(&mut state.waiting_senders, me);
        SendStep::Wait
    }

    /// One attempt at receiving. `idle` says whether this receive already counts among the
    /// idle receivers.
    fn recv_step(
        &self,
        state: &mut State<T>,
        me: ThreadId,
        idle: &mut bool,
        blocking: bool,
    ) -> RecvStep<T> {
        let leave_idle = |state: &mut State<T>, idle: &mut bool| {
            if std::mem::replace(idle, false) {
                state.idle_receivers -= 1;
            }
        };
        if let Some(message) = state.queue.pop_front() {
            leave_idle(state, idle);
            // Room for a blocked sender of a bounded channel.
            let wake = if matches!(self.bound, Some(bound) if bound > 0) {
                std::mem::take(&mut state.waiting_senders)
            } else {
                Vec::new()
            };
            return RecvStep::Got(message, wake);
        }
        if let Some(offer) = state.offers.pop_front() {
            leave_idle(state, idle);
            state.waiting_senders.retain(|&s| s != offer.sender);
            return RecvStep::Took(offer);
        }
        if state.senders == 0 {
            leave_idle(state, idle);
            return RecvStep::Disconnected;
        }
        if !blocking {
            return RecvStep::Empty;
        }
        if !*idle {
            *idle = true;
            state.idle_receivers += 1;
        }
        add_waiter(&mut state.waiting_receivers, me);
        RecvStep::Wait
    }

    /// Wakes the real threads waiting on the channel, if any (they look again).
    fn wake_real(&self, state: &State<T>) {
        if state.real_waiting > 0 {
            self.real.notify_all();
        }
    }

    /// Sleeps until the channel changes (or `deadline` passes: then `false`).
    fn sleep_real<'a>(
        &self,
        mut state: StdMutexGuard<'a, State<T>>,
        deadline: Option<std::time::Instant>,
    ) -> (StdMutexGuard<'a, State<T>>, bool) {
        state.real_waiting += 1;
        let mut in_time = true;
        state = match deadline {
            None => self
                .real
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let now = std::time::Instant::now();
                if now >= deadline {
                    in_time = false;
                    state
                } else {
                    self.real
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            }
        };
        state.real_waiting -= 1;
        (state, in_time)
    }

    /// A send on a real thread (outside any execution), as std's.
    fn send_real(&self, message: T) -> Result<(), SendError<T>> {
        let me = crate::real::thread_key();
        let site = Site::unknown();
        let mut message = Some(message);
        let mut state = self.lock();
        loop {
            match self.send_step(&mut state, &mut message, me, &site, true) {
                SendStep::Delivered(_) => {
                    self.wake_real(&state);
                    return Ok(());
                }
                SendStep::Taken => return Ok(()),
                SendStep::Disconnected(message) => return Err(SendError(message)),
                SendStep::Full(_) => unreachable!("a blocking send waits"),
                SendStep::Wait => state = self.sleep_real(state, None).0,
            }
        }
    }

    /// A receive on a real thread (outside any execution), giving up at `deadline`, as std's.
    fn recv_real(&self, deadline: Option<std::time::Instant>) -> Result<T, RecvTimeoutError> {
        let me = crate::real::thread_key();
        let mut idle = false;
        let mut state = self.lock();
        loop {
            match self.recv_step(&mut state, me, &mut idle, true) {
                RecvStep::Got(message, _) => {
                    self.wake_real(&state);
                    return Ok(message);
                }
                RecvStep::Took(offer) => {
                    // The rendezvous sender waits for its offer to be taken.
                    self.wake_real(&state);
                    return Ok(offer.message);
                }
                RecvStep::Disconnected => return Err(RecvTimeoutError::Disconnected),
                RecvStep::Empty => unreachable!("a blocking receive waits"),
                RecvStep::Wait => {
                    let (next, in_time) = self.sleep_real(state, deadline);
                    state = next;
                    if !in_time {
                        // No longer a receiver a rendezvous sender could hand its message to.
                        if std::mem::replace(&mut idle, false) {
                            state.idle_receivers -= 1;
                        }
                        return Err(RecvTimeoutError::Timeout);
                    }
                }
            }
        }
    }

    pub(super) fn send(&self, message: T, site: Site) -> Result<(), SendError<T>> {
        let Some(channel) = self.object(&site) else {
            return self.send_real(message);
        };
        rt::emit(EventKind::SendRequest { channel }, site.clone());
        rt::switch();
        let me = rt::current_thread();
        let mut message = Some(message);
        loop {
            let step = self.send_step(&mut self.lock(), &mut message, me, &site, true);
            match step {
                SendStep::Delivered(wake) => {
                    rt::emit(EventKind::Sent { channel, ok: true }, site);
                    wake.into_iter().for_each(rt::unblock);
                    return Ok(());
                }
                SendStep::Taken => return Ok(()),
                SendStep::Disconnected(message) => {
                    rt::emit(EventKind::Sent { channel, ok: false }, site);
                    return Err(SendError(message));
                }
                SendStep::Full(_) => unreachable!("a blocking send waits"),
                SendStep::Wait => rt::block_current(&site),
            }
        }
    }

    pub(super) fn try_send(&self, message: T, site: Site) -> Result<(), TrySendError<T>> {
        let Some(channel) = self.object(&site) else {
            return self.try_send_plain(message);
        };
        schedule();
        let me = rt::current_thread();
        let step = self.send_step(&mut self.lock(), &mut Some(message), me, &site, false);
        rt::emit(EventKind::SendRequest { channel }, site.clone());
        rt::announced_try();
        let (ok, result) = match step {
            SendStep::Delivered(wake) => {
                wake.into_iter().for_each(rt::unblock);
                (true, Ok(()))
            }
            SendStep::Full(message) => (false, Err(TrySendError::Full(message))),
            SendStep::Disconnected(message) => (false, Err(TrySendError::Disconnected(message))),
            SendStep::Taken | SendStep::Wait => unreachable!("a try_send neither offers nor waits"),
        };
        rt::emit(EventKind::Sent { channel, ok }, site);
        result
    }

    /// Outside an execution: a send that never waits.
    fn try_send_plain(&self, message: T) -> Result<(), TrySendError<T>> {
        let mut state = self.lock();
        let step = self.send_step(
            &mut state,
            &mut Some(message),
            crate::real::thread_key(),
            &Site::unknown(),
            false,
        );
        match step {
            SendStep::Delivered(_) => {
                self.wake_real(&state);
                Ok(())
            }
            SendStep::Full(message) => Err(TrySendError::Full(message)),
            SendStep::Disconnected(message) => Err(TrySendError::Disconnected(message)),
            SendStep::Taken | SendStep::Wait => unreachable!("a try_send neither offers nor waits"),
        }
    }

    pub(super) fn recv(&self, site: Site) -> Result<T, RecvError> {
        let Some(channel) = self.object(&site) else {
            return self.recv_real(None).map_err(|_| RecvError);
        };
        rt::emit(
            EventKind::RecvRequest {
                channel,
                bounded: false,
            },
            site.clone(),
        );
        rt::switch();
        let me = rt::current_thread();
        let mut idle = false;
        loop {
            let step = self.recv_step(&mut self.lock(), me, &mut idle, true);
            match step {
                RecvStep::Got(message, wake) => {
                    rt::emit(EventKind::Received { channel, ok: true }, site);
                    wake.into_iter().for_each(rt::unblock);
                    return Ok(message);
                }
                RecvStep::Took(offer) => return Ok(Self::take_offer(channel, offer, site)),
                RecvStep::Disconnected => {
                    rt::emit(EventKind::Received { channel, ok: false }, site);
                    return Err(RecvError);
                }
                RecvStep::Empty => unreachable!("a blocking receive waits"),
                RecvStep::Wait => rt::block_current(&site),
            }
        }
    }

    /// `recv`, giving up after `timeout` of virtual time.
    pub(super) fn recv_timeout(
        &self,
        timeout: Duration,
        site: Site,
    ) -> Result<T, RecvTimeoutError> {
        let Some(channel) = self.object(&site) else {
            // A timeout too long to count waits for as long as it takes.
            return self.recv_real(std::time::Instant::now().checked_add(timeout));
        };
        rt::emit(
            EventKind::RecvRequest {
                channel,
                bounded: true,
            },
            site.clone(),
        );
        rt::arm_timer(timeout, &site);
        rt::switch();
        let me = rt::current_thread();
        let mut idle = false;
        loop {
            let step = self.recv_step(&mut self.lock(), me, &mut idle, true);
            match step {
                RecvStep::Got(message, wake) => {
                    rt::disarm_timer();
                    rt::emit(EventKind::Received { channel, ok: true }, site);
                    wake.into_iter().for_each(rt::unblock);
                    return Ok(message);
                }
                RecvStep::Took(offer) => {
                    rt::disarm_timer();
                    return Ok(Self::take_offer(channel, offer, site));
                }
                RecvStep::Disconnected => {
                    rt::disarm_timer();
                    rt::emit(EventKind::Received { channel, ok: false }, site);
                    return Err(RecvTimeoutError::Disconnected);
                }
                RecvStep::Empty => unreachable!("a timed receive waits"),
                RecvStep::Wait if rt::take_timeout() => {
                    // No longer a receiver a rendezvous sender could hand its message to.
                    let mut state = self.lock();
                    if std::mem::replace(&mut idle, false) {
                        state.idle_receivers -= 1;
                    }
                    state.waiting_receivers.retain(|&r| r != me);
                    drop(state);
                    rt::emit(EventKind::Received { channel, ok: false }, site);
                    return Err(RecvTimeoutError::Timeout);
                }
                RecvStep::Wait => rt::block_current(&site),
            }
        }
    }

    pub(super) fn try_recv(&self, site: Site) -> Result<T, TryRecvError> {
        let Some(channel) = self.object(&site) else {
            return self.try_recv_plain();
        };
        schedule();
        let me = rt::current_thread();
        let step = self.recv_step(&mut self.lock(), me, &mut false, false);
        rt::emit(
            EventKind::RecvRequest {
                channel,
                bounded: true,
            },
            site.clone(),
        );
        rt::announced_try();
        let (ok, result) = match step {
            RecvStep::Got(message, wake) => {
                wake.into_iter().for_each(rt::unblock);
                (true, Ok(message))
            }
            RecvStep::Took(offer) => return Ok(Self::take_offer(channel, offer, site)),
            RecvStep::Disconnected => (false, Err(TryRecvError::Disconnected)),
            RecvStep::Empty => (false, Err(TryRecvError::Empty)),
            RecvStep::Wait => unreachable!("a try_recv does not wait"),
        };
        rt::emit(EventKind::Received { channel, ok }, site);
        result
    }

    /// Outside an execution: a receive that never waits.
    fn try_recv_plain(&self) -> Result<T, TryRecvError> {
        let mut state = self.lock();
        let step = self.recv_step(&mut state, crate::real::thread_key(), &mut false, false);
        match step {
            RecvStep::Got(message, _) => {
                self.wake_real(&state);
                Ok(message)
            }
            RecvStep::Took(offer) => {
                self.wake_real(&state);
                Ok(offer.message)
            }
            RecvStep::Disconnected => Err(TryRecvError::Disconnected),
            RecvStep::Empty => Err(TryRecvError::Empty),
            RecvStep::Wait => unreachable!("a try_recv does not wait"),
        }
    }

    /// The receiving thread takes a waiting sender's offer: the send completes (recorded as the
    /// sender's), then the receive, and the sender wakes.
    fn take_offer(channel: ObjectId, offer: Offer<T>, site: Site) -> T {
        emit_for(
            offer.sender,
            EventKind::Sent { channel, ok: true },
            offer.site,
        );
        rt::emit(EventKind::Received { channel, ok: true }, site);
        rt::unblock(offer.sender);
        offer.message
    }

    pub(super) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// A `Sender` or `SyncSender` is dropped; the last one disconnects the channel.
    pub(super) fn drop_sender(&self) {
        let (observed, live) = {
            let state = self.lock();
            let live = state.registration.current().is_some() && execution_goes_on();
            (state.senders == 1 && state.receiver, live)
        };
        if observed && live {
            schedule();
        }
        let wake = {
            let mut state = self.lock();
            state.senders -= 1;
            if state.senders == 0 {
                self.wake_real(&state);
            }
            if let (true, Some(channel)) = (live, state.registration.current()) {
                rt::sender_dropped(channel, state.senders == 0);
            }
            if state.senders == 0 && live {
                std::mem::take(&mut state.waiting_receivers)
            } else {
                Vec::new()
            }
        };
        wake.into_iter().for_each(rt::unblock);
    }

    /// The `Receiver` is dropped: the channel disconnects, its messages are dropped, and blocked
    /// senders wake to take theirs back.
    pub(super) fn drop_receiver(&self) {
        let (observed, live) = {
            let state = self.lock();
            let live = state.registration.current().is_some() && execution_goes_on();
            (state.senders > 0, live)
        };
        if observed && live {
            schedule();
        }
        let (discarded, wake) = {
            let mut state = self.lock();
            state.receiver = false;
            self.wake_real(&state);
            let wake = if live {
                if let Some(channel) = state.registration.current() {
                    rt::receiver_dropped(channel);
                }
                std::mem::take(&mut state.waiting_senders)
            } else {
                Vec::new()
            };
            (std::mem::take(&mut state.queue), wake)
        };
        // Outside the lock: a message's destructor may use the channel.
        drop(discarded);
        wake.into_iter().for_each(rt::unblock);
    }
}
