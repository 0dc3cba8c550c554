//! Async channels: tokio's `mpsc`, bounded and unbounded.
//!
//! A bounded channel's senders wait for room first come first served, and room a receive
//! frees is handed at once to the waiting requests it covers (tokio's semaphore: a granted send
//! holds its slot until its next poll, however late); a receive waits for a message or for
//! every sender to go. Room can be reserved ahead of the message, as tokio's
//! `reserve` does: a [`Permit`] holds a slot (counted against the capacity as a message is)
//! until it sends into it or is dropped. Sends and receives are the channel events of sync
//! channels, so exhaustive exploration knows when a receive or a send must wait, and a
//! deadlock report says "waits for a message on" or "room on" the channel.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site};

use super::closed::CloseSignal;
use super::queue::{look, touch};
use crate::rt;
use crate::sync::Registration;

struct Chan<T> {
    state: StdMutex<ChanState<T>>,
    bound: Option<usize>,
    /// Wakes the senders' `closed()` futures.
    close_signal: CloseSignal,
}

struct ChanState<T> {
    registration: Registration,
    messages: VecDeque<T>,
    senders: usize,
    /// Weak senders ([`WeakSender`], [`WeakUnboundedSender`]): they do not keep it open.
    weak: usize,
    /// The receiver was dropped or closed.
    closed: bool,
    /// The receiver was dropped: a permit's message is dropped too.
    rx_dropped: bool,
    /// Slots held by permits, and those handed to waiting requests (all of a granted one's,
    /// the first waiting one's share).
    reserved: usize,
    recv_waker: Option<Waker>,
    /// Sends and reservations waiting for room, first come first served.
    send_waiters: VecDeque<SendWaiter>,
    /// Requests handed all the slots they asked for, whose futures have not taken them yet:
    /// ticket, slots.
    granted: Vec<(u64, usize)>,
    next_ticket: u64,
}

/// A send or reservation waiting for room.
struct SendWaiter {
    ticket: u64,
    needed: usize,
    /// Slots already handed to it (the first waiting request takes what room there is, as
    /// tokio's semaphore: the others wait behind it).
    assigned: usize,
    waker: Waker,
}

impl<T> Chan<T> {
    fn new(bound: Option<usize>, site: &Site) -> Arc<Self> {
        let chan = Arc::new(Chan {
            state: StdMutex::new(ChanState {
                registration: Registration::default(),
                messages: VecDeque::new(),
                senders: 1,
                weak: 0,
                closed: false,
                rx_dropped: false,
                reserved: 0,
                recv_waker: None,
                send_waiters: VecDeque::new(),
                granted: Vec::new(),
                next_ticket: 0,
            }),
            bound,
            close_signal: CloseSignal::default(),
        });
        if rt::in_execution() {
            chan.object(site);
        }
        chan
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ChanState<T>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn object(&self, site: &Site) -> ObjectId {
        let (object, fresh) = self
            .state()
            .registration
            .object(ObjectClass::Channel, None, site)
            .unwrap_or_else(|| rt::outside_a_check("an async channel", Some(site)));
        if fresh {
            rt::channel_registered(object, self.bound);
        }
        object
    }

    /// Slots free now: neither holding a message nor reserved.
    fn free(&self, state: &ChanState<T>) -> usize {
        self.bound.map_or(usize::MAX, |bound| {
            bound.saturating_sub(state.messages.len() + state.reserved)
        })
    }

    /// A look at the channel's state (`is_closed`, `len`, `capacity`): a read of `keys` of
    /// its object ([`look`]).
    fn look<const N: usize>(&self, site: &Site, keys: [fn(ObjectId) -> rt::Key; N]) {
        if rt::in_execution() {
            let object = self.object(site);
            look(&keys.map(|key| key(object)));
        }
    }

    /// Whether the receiver is gone or closed the channel (a sender's `is_closed`).
    fn receiver_closed(&self, site: &Site) -> bool {
        self.look(site, [rt::Key::receiver]);
        self.state().closed
    }

    /// Whether the receiver closed the channel or every sender is gone (the receiver's
    /// `is_closed`).
    fn senders_gone(&self, site: &Site) -> bool {
        self.look(site, [rt::Key::senders]);
        let state = self.state();
        state.closed || state.senders == 0
    }

    /// How many messages wait in the channel.
    fn len(&self, site: &Site) -> usize {
        self.look(site, [rt::Key::object]);
        self.state().messages.len()
    }

    /// Waits until the receiver is gone or closed the channel (a sender's `closed`).
    async fn closed(&self, site: Site) {
        self.close_signal
            .wait(site, |site| self.object(site), || self.state().closed)
            .await;
    }

    /// Slots free now (`capacity`): the receiver's drop empties the channel too.
    fn capacity(&self, site: &Site) -> usize {
        self.look(site, [rt::Key::object, rt::Key::receiver]);
        self.free(&self.state())
    }

    fn has_room(&self, state: &ChanState<T>) -> bool {
        self.free(state) > 0
    }

    /// Puts `value` in, or gives it back if the receiver is gone. Wakes the receiver. With
    /// `reserved`, the value takes a slot a permit held: it goes in after `Receiver::close`
    /// too (as tokio's permits), and is dropped only once the receiver is.
    fn push(&self, value: T, site: &Site, reserved: bool) -> Result<(), T> {
        let object = self.object(site);
        let (result, waker) = {
            let mut state = self.state();
            if reserved {
                state.reserved -= 1;
            }
            let refused = if reserved {
                state.rx_dropped
            } else {
                state.closed
            };
            if refused {
                (Err(value), None)
            } else {
                state.messages.push_back(value);
                (Ok(()), state.recv_waker.take())
            }
        };
        rt::emit(
            EventKind::Sent {
                channel: object,
                ok: result.is_ok(),
            },
            site.clone(),
        );
        if let Some(waker) = waker {
            waker.wake();
        }
        result
    }

    /// Room was made: hands it to the waiting requests first come first served, as tokio's
    /// semaphore does when a slot is freed: each request it covers is granted (its future
    /// takes the slots at its next poll, whenever that is), the first one it does not cover
    /// takes what is left. Returns the wakers of those granted.
    fn assign(&self, state: &mut ChanState<T>) -> Vec<Waker> {
        let mut wakers = Vec::new();
        // Closed: the waiting requests fail, none is handed room.
        if state.closed {
            return wakers;
        }
        loop {
            let free = self.free(state);
            let Some(first) = state.send_waiters.front_mut() else {
                break;
            };
            let give = free.min(first.needed - first.assigned);
            first.assigned += give;
            state.reserved += give;
            if first.assigned < first.needed {
                break;
            }
            let waiter = state.send_waiters.pop_front().expect("a first waiter");
            state.granted.push((waiter.ticket, waiter.needed));
            wakers.push(waiter.waker);
        }
        wakers
    }

    /// Takes request `ticket` out of the queue, or out of the granted ones: the slots handed
    /// to it (all it asked for, or its share).
    fn take_request(state: &mut ChanState<T>, ticket: u64) -> usize {
        if let Some(i) = state.send_waiters.iter().position(|w| w.ticket == ticket) {
            state.send_waiters.remove(i).map_or(0, |w| w.assigned)
        } else if let Some(i) = state.granted.iter().position(|&(t, _)| t == ticket) {
            state.granted.swap_remove(i).1
        } else {
            0
        }
    }

    /// `slots` reserved go back (a permit dropped unused, a waiting request cancelled): to
    /// the waiting requests they cover, and once the channel is closed and no slot is held, a
    /// waiting receive ends. Returns the wakers to wake.
    fn give_back(&self, state: &mut ChanState<T>, slots: usize) -> Vec<Waker> {
        state.reserved -= slots;
        let mut wakers = self.assign(state);
        if state.closed && state.reserved == 0 {
            wakers.extend(state.recv_waker.take());
        }
        wakers
    }

    /// Takes `needed` slots now if they are free and nobody waits (`try_reserve`): `Err(true)`
    /// closed, `Err(false)` no room. A scheduling point and a send request, as `try_send`.
    fn try_reserve(&self, needed: usize, site: &Site) -> Result<(), bool> {
        let object = self.object(site);
        rt::switch();
        rt::emit(EventKind::SendRequest { channel: object }, site.clone());
        // As tokio's: more than the capacity is `Full` even when closed; nothing is `Ok` even
        // while requests wait.
        let result = {
            let mut state = self.state();
            if self.bound.is_some_and(|bound| needed > bound) {
                Err(false)
            } else if state.closed {
                Err(true)
            } else if needed > 0 && (!state.send_waiters.is_empty() || self.free(&state) < needed) {
                Err(false)
            } else {
                state.reserved += needed;
                Ok(())
            }
        };
        if result.is_ok() {
            touch(object);
        }
        // The request ends without a message (a permit sends later).
        rt::emit(
            EventKind::Sent {
                channel: object,
                ok: false,
            },
            site.clone(),
        );
        result
    }

    /// Permits dropped unused: their slots go back ([`Chan::give_back`]).
    fn release(&self, slots: usize) {
        if slots == 0 {
            return;
        }
        let wakers = self.give_back(&mut self.state(), slots);
        if rt::in_execution() {
            touch(self.object(&Site::unknown()));
        }
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether a receive on the empty channel ends: every sender is gone or the receiver
    /// closed it, and no permit can still send.
    fn ended(state: &ChanState<T>) -> bool {
        (state.senders == 0 || state.closed) && state.reserved == 0
    }
}

/// A request for `needed` slots of a bounded channel: a scheduling point and a send request,
/// then queued first come first served; shared by `send` and the `reserve`s.
struct Room<'a, T> {
    chan: &'a Chan<T>,
    needed: usize,
    site: Site,
    object: Option<ObjectId>,
    ticket: Option<u64>,
    done: bool,
}

impl<'a, T> Room<'a, T> {
    fn new(chan: &'a Chan<T>, needed: usize, site: Site) -> Self {
        Room {
            chan,
            needed,
            site,
            object: None,
            ticket: None,
            done: false,
        }
    }

    /// `Ready(true)`: the slots are reserved (`state.reserved` counts them); `Ready(false)`:
    /// the channel is closed, nothing reserved.
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let object = match self.object {
            Some(object) => object,
            None => {
                let object = self.chan.object(&self.site);
                rt::switch();
                rt::emit(
                    EventKind::SendRequest { channel: object },
                    self.site.clone(),
                );
                self.object = Some(object);
                object
            }
        };
        let mut wakers = Vec::new();
        let reserved = {
            let mut guard = self.chan.state();
            let state = &mut *guard;
            match self.ticket {
                None if state.closed => false,
                // Room now and nobody waiting (no room is free while somebody waits: it was
                // handed to them); asking for nothing never waits, as tokio's.
                None if self.needed == 0
                    || (state.send_waiters.is_empty() && self.chan.free(state) >= self.needed) =>
                {
                    state.reserved += self.needed;
                    true
                }
                None => {
                    let ticket = state.next_ticket;
                    state.next_ticket += 1;
                    state.send_waiters.push_back(SendWaiter {
                        ticket,
                        needed: self.needed,
                        assigned: 0,
                        waker: cx.waker().clone(),
                    });
                    self.ticket = Some(ticket);
                    // First in line: it takes what room there is, a change others see (a
                    // `try_send` that fits no more, `capacity`).
                    let share = self.chan.free(state) > 0;
                    let wakers = self.chan.assign(state);
                    debug_assert!(wakers.is_empty(), "a request that fits does not queue");
                    drop(guard);
                    if share {
                        touch(object);
                    }
                    crate::future::task::pending_at(&self.site);
                    return Poll::Pending;
                }
                Some(ticket) => {
                    if state.closed {
                        // It fails, handed its slots or not (as tokio's), and gives back those
                        // handed to it: a receive waiting for them to end may end.
                        let slots = Chan::take_request(state, ticket);
                        self.ticket = None;
                        wakers = self.chan.give_back(state, slots);
                        // The room given back is a change others see (a receive that ends,
                        // `capacity`), as a permit's drop is.
                        if slots > 0 {
                            touch(object);
                        }
                        false
                    } else if let Some(i) = state.granted.iter().position(|&(t, _)| t == ticket) {
                        // Handed its slots while it waited (`state.reserved` counts them).
                        state.granted.swap_remove(i);
                        self.ticket = None;
                        true
                    } else {
                        if let Some(waiter) =
                            state.send_waiters.iter_mut().find(|w| w.ticket == ticket)
                        {
                            waiter.waker.clone_from(cx.waker());
                        }
                        drop(guard);
                        crate::future::task::pending_at(&self.site);
                        return Poll::Pending;
                    }
                }
            }
        };
        self.done = true;
        if reserved {
            touch(object);
        }
        for waker in wakers {
            waker.wake();
        }
        Poll::Ready(reserved)
    }

    /// Waits for the slots, then ends the send request without a message (`reserve`).
    async fn reserve(mut self) -> Result<(), SendError<()>> {
        let reserved = std::future::poll_fn(|cx| self.poll_room(cx)).await;
        if let Some(object) = self.object {
            rt::emit(
                EventKind::Sent {
                    channel: object,
                    ok: false,
                },
                self.site.clone(),
            );
        }
        if reserved {
            Ok(())
        } else {
            Err(SendError(()))
        }
    }
}

impl<T> Drop for Room<'_, T> {
    fn drop(&mut self) {
        let (Some(object), Some(ticket), false) = (self.object, self.ticket, self.done) else {
            return;
        };
        // Cancelled while waiting for room: it leaves the queue, and the slots it was handed
        // go back.
        let (slots, wakers) = {
            let mut guard = self.chan.state();
            let state = &mut *guard;
            let slots = Chan::take_request(state, ticket);
            (slots, self.chan.give_back(state, slots))
        };
        if rt::in_execution() {
            // Room given back (or handed on) is a change others see; leaving the queue with
            // none is not (no room is free while a request waits).
            if slots > 0 {
                touch(object);
            }
            rt::emit(
                EventKind::Sent {
                    channel: object,
                    ok: false,
                },
                self.site.clone(),
            );
        }
        for waker in wakers {
            waker.wake();
        }
    }
}

/// The receiver was gone: the value comes back.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("channel closed")]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

/// Why `try_send` did not send.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError<T> {
    /// No room now.
    #[error("no available capacity")]
    Full(T),
    /// The receiver is gone.
    #[error("channel closed")]
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(SendError(value): SendError<T>) -> Self {
        TrySendError::Closed(value)
    }
}

/// As tokio's: the variant's name, quoted.
impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => fmt::Debug::fmt("Full(..)", f),
            TrySendError::Closed(_) => fmt::Debug::fmt("Closed(..)", f),
        }
    }
}

/// Why `send_timeout` did not send.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendTimeoutError<T> {
    /// No room came in time.
    #[error("timed out waiting on send operation")]
    Timeout(T),
    /// The receiver is gone.
    #[error("channel closed")]
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(value) | SendTimeoutError::Closed(value) => value,
        }
    }
}

/// As tokio's: the variant's name, quoted.
impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => fmt::Debug::fmt("Timeout(..)", f),
            SendTimeoutError::Closed(_) => fmt::Debug::fmt("Closed(..)", f),
        }
    }
}

/// Why `try_recv` received nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// No message now.
    #[error("receiving on an empty channel")]
    Empty,
    /// No message, and every sender is gone.
    #[error("receiving on a closed channel")]
    Disconnected,
}

/// A bounded channel of `buffer` messages: tokio's `mpsc::channel`.
///
/// # Panics
///
/// If `buffer` is 0 (as tokio).
///
/// # Examples
///
/// ```
/// use interleave::future::{self, sync::mpsc};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let (tx, mut rx) = mpsc::channel(1);
///         let producer = future::spawn(async move {
///             for i in 0..3 {
///                 tx.send(i).await.unwrap();
///             }
///         });
///         let mut got = Vec::new();
///         while let Some(i) = rx.recv().await {
///             got.push(i);
///         }
///         assert_eq!(got, [0, 1, 2]);
///         producer.await.unwrap();
///     });
/// });
/// ```
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Chan::new(Some(buffer), &Site::caller());
    (
        Sender {
            chan: Arc::clone(&chan),
        },
        Receiver { chan, polled: None },
    )
}

/// An unbounded channel: tokio's `mpsc::unbounded_channel`.
#[track_caller]
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None, &Site::caller());
    (
        UnboundedSender {
            chan: Arc::clone(&chan),
        },
        UnboundedReceiver {
            inner: Receiver { chan, polled: None },
        },
    )
}

/// The sending half of a bounded channel.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.state().senders += 1;
        Sender {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        drop_sender(&self.chan);
    }
}

impl<T> Chan<T> {
    /// How many senders there are (a look at their count).
    fn strong_count(&self, site: &Site) -> usize {
        self.look(site, [rt::Key::senders]);
        self.state().senders
    }

    /// How many weak senders there are (a look at the senders' count; weak senders' clones and
    /// drops are not steps of their own).
    fn weak_count(&self, site: &Site) -> usize {
        self.look(site, [rt::Key::senders]);
        self.state().weak
    }

    /// A weak sender of the channel.
    fn downgrade(self: &Arc<Self>) -> Arc<Self> {
        self.state().weak += 1;
        Arc::clone(self)
    }

    /// A sender again, if one is still alive (a scheduling point: it races with the drop of
    /// the last sender, which closes the channel).
    fn upgrade(self: &Arc<Self>, site: &Site) -> Option<Arc<Self>> {
        let upgraded = if rt::in_execution() {
            let object = self.object(site);
            rt::switch();
            let upgraded = self.try_upgrade();
            // A sender more: the drop that would have been the last is not.
            if upgraded {
                rt::note_write(rt::Key::senders(object));
            } else {
                rt::note_read(rt::Key::senders(object));
            }
            upgraded
        } else {
            self.try_upgrade()
        };
        upgraded.then(|| Arc::clone(self))
    }

    fn try_upgrade(&self) -> bool {
        let mut state = self.state();
        let alive = state.senders > 0;
        if alive {
            state.senders += 1;
        }
        alive
    }
}

/// A sender that does not keep the channel open, as tokio's `mpsc::WeakSender`: once every
/// [`Sender`] is gone, the channel is closed and [`WeakSender::upgrade`] gives `None`.
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// The weak form of an [`UnboundedSender`], as [`WeakSender`].
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

macro_rules! weak_sender {
    ($weak:ident, $strong:ident, $name:literal) => {
        impl<T> fmt::Debug for $weak<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct($name).finish_non_exhaustive()
            }
        }

        impl<T> Clone for $weak<T> {
            fn clone(&self) -> Self {
                $weak {
                    chan: self.chan.downgrade(),
                }
            }
        }

        impl<T> Drop for $weak<T> {
            fn drop(&mut self) {
                self.chan.state().weak -= 1;
            }
        }

        impl<T> $weak<T> {
            /// A sender again, or `None` if every sender is gone (the channel is closed). A
            /// scheduling point: it races with the drop of the last sender.
            #[track_caller]
            pub fn upgrade(&self) -> Option<$strong<T>> {
                self.chan
                    .upgrade(&Site::caller())
                    .map(|chan| $strong { chan })
            }

            /// How many senders there are.
            #[track_caller]
            pub fn strong_count(&self) -> usize {
                self.chan.strong_count(&Site::caller())
            }

            /// How many weak senders there are.
            #[track_caller]
            pub fn weak_count(&self) -> usize {
                self.chan.weak_count(&Site::caller())
            }
        }

        impl<T> $strong<T> {
            /// A weak sender of the same channel, which does not keep it open.
            pub fn downgrade(&self) -> $weak<T> {
                $weak {
                    chan: self.chan.downgrade(),
                }
            }

            /// How many senders there are.
            #[track_caller]
            pub fn strong_count(&self) -> usize {
                self.chan.strong_count(&Site::caller())
            }

            /// How many weak senders there are.
            #[track_caller]
            pub fn weak_count(&self) -> usize {
                self.chan.weak_count(&Site::caller())
            }
        }
    };
}

weak_sender!(WeakSender, Sender, "WeakSender");
weak_sender!(WeakUnboundedSender, UnboundedSender, "WeakUnboundedSender");

fn drop_sender<T>(chan: &Chan<T>) {
    let (last, waker) = {
        let mut state = chan.state();
        state.senders -= 1;
        let last = state.senders == 0;
        (last, if last { state.recv_waker.take() } else { None })
    };
    if rt::in_execution() {
        let object = chan.object(&Site::unknown());
        rt::sender_dropped(object, last);
    }
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Sender<T> {
    /// Waits for room, then sends (a scheduling point).
    ///
    /// Dropping the future before it completes drops `value`.
    #[track_caller]
    pub fn send(&self, value: T) -> impl Future<Output = Result<(), SendError<T>>> + '_ {
        SendFuture {
            room: Room::new(&self.chan, 1, Site::caller()),
            value: Some(value),
        }
    }

    /// Waits for room at most `timeout` on the virtual clock, then sends, as tokio's: a
    /// reservation under a [`timeout`](crate::future::time::timeout) (its timer, its wait).
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if no room came in time, [`SendTimeoutError::Closed`] if
    /// the receiver is gone; each with the value.
    #[track_caller]
    pub fn send_timeout(
        &self,
        value: T,
        timeout: std::time::Duration,
    ) -> impl Future<Output = Result<(), SendTimeoutError<T>>> + '_ {
        let site = Site::caller();
        // Built at the first poll, as tokio's `async fn`: the timer starts there.
        async move {
            let room = Room::new(&self.chan, 1, site.clone());
            let reserve = async move {
                room.reserve().await?;
                Ok(Permit { chan: &self.chan })
            };
            let deadline_ns = rt::deadline_after(rt::now_ns(), timeout);
            let reserve = crate::future::time::Timeout::at(reserve, deadline_ns, site);
            match reserve.await {
                Ok(Ok(permit)) => {
                    permit.send(value);
                    Ok(())
                }
                Ok(Err(SendError(()))) => Err(SendTimeoutError::Closed(value)),
                Err(_) => Err(SendTimeoutError::Timeout(value)),
            }
        }
    }

    /// [`Sender::send`] from sync code (a `spawn_blocking` closure, a thread): blocks until
    /// there is room.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is gone.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`), as tokio's.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.send(value), site, false)
    }

    /// Sends if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    #[track_caller]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let site = Site::caller();
        let object = self.chan.object(&site);
        rt::switch();
        rt::emit(EventKind::SendRequest { channel: object }, site.clone());
        let room = {
            let state = self.chan.state();
            state.closed || (state.send_waiters.is_empty() && self.chan.has_room(&state))
        };
        if !room {
            rt::emit(
                EventKind::Sent {
                    channel: object,
                    ok: false,
                },
                site,
            );
            return Err(TrySendError::Full(value));
        }
        self.chan
            .push(value, &site, false)
            .map_err(TrySendError::Closed)
    }

    /// Waits for room for one message and reserves it, as tokio's `reserve`: the slot counts
    /// against the capacity until the [`Permit`] sends into it or is dropped. A scheduling
    /// point and a send request (a task that waits here forever is reported as waiting for
    /// room on the channel).
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver is gone or closed the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use interleave::future::{self, sync::mpsc};
    ///
    /// interleave::check(|| {
    ///     future::block_on(async {
    ///         let (tx, mut rx) = mpsc::channel(1);
    ///         let permit = tx.reserve().await.unwrap();
    ///         assert_eq!(tx.capacity(), 0); // the permit holds the only slot
    ///         assert!(tx.try_send(1).is_err());
    ///         permit.send(2);
    ///         assert_eq!(rx.recv().await, Some(2));
    ///         assert_eq!(tx.capacity(), 1);
    ///     });
    /// });
    /// ```
    #[track_caller]
    pub fn reserve(&self) -> impl Future<Output = Result<Permit<'_, T>, SendError<()>>> + '_ {
        let room = Room::new(&self.chan, 1, Site::caller());
        async move {
            room.reserve().await?;
            Ok(Permit { chan: &self.chan })
        }
    }

    /// Waits for room for `n` messages and reserves all of them at once (first come first
    /// served: a request for many holds back later ones), as tokio's `reserve_many`.
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver is gone or closed the channel, or `n` is more than the
    /// channel's capacity.
    #[track_caller]
    pub fn reserve_many(
        &self,
        n: usize,
    ) -> impl Future<Output = Result<PermitIterator<'_, T>, SendError<()>>> + '_ {
        let room = Room::new(&self.chan, n, Site::caller());
        async move {
            if n > self.max_capacity() {
                rt::switch();
                return Err(SendError(()));
            }
            room.reserve().await?;
            Ok(PermitIterator {
                chan: &self.chan,
                n,
            })
        }
    }

    /// As [`Sender::reserve`], moving the sender into the permit, which gives it back when
    /// it sends.
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver is gone or closed the channel.
    #[track_caller]
    pub fn reserve_owned(self) -> impl Future<Output = Result<OwnedPermit<T>, SendError<()>>> {
        let site = Site::caller();
        async move {
            Room::new(&self.chan, 1, site).reserve().await?;
            Ok(OwnedPermit { sender: Some(self) })
        }
    }

    /// Reserves room for one message if there is room now and nobody waits for it.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`].
    #[track_caller]
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.try_reserve(1, &Site::caller()) {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(true) => Err(TrySendError::Closed(())),
            Err(false) => Err(TrySendError::Full(())),
        }
    }

    /// Reserves room for `n` messages if there is room for all now and nobody waits for it.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] (also when `n` is more than the capacity) or
    /// [`TrySendError::Closed`].
    #[track_caller]
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        match self.chan.try_reserve(n, &Site::caller()) {
            Ok(()) => Ok(PermitIterator {
                chan: &self.chan,
                n,
            }),
            Err(true) => Err(TrySendError::Closed(())),
            Err(false) => Err(TrySendError::Full(())),
        }
    }

    /// As [`Sender::try_reserve`], moving the sender into the permit.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the sender.
    #[track_caller]
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.chan.try_reserve(1, &Site::caller()) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(true) => Err(TrySendError::Closed(self)),
            Err(false) => Err(TrySendError::Full(self)),
        }
    }

    /// Whether the receiver is gone or closed the channel.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.chan.receiver_closed(&Site::caller())
    }

    /// Waits until the receiver is gone or [`Receiver::close`] closed the channel. A task
    /// waiting here shows in reports as waiting for a notification on a notify created where
    /// the first `closed()` of the execution was called.
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        self.chan.closed(Site::caller())
    }

    /// How many more messages fit now: the capacity less the messages in the channel and the
    /// slots permits hold.
    #[track_caller]
    pub fn capacity(&self) -> usize {
        self.chan.capacity(&Site::caller())
    }

    /// The channel's capacity, as created.
    pub fn max_capacity(&self) -> usize {
        self.chan.bound.unwrap_or(usize::MAX)
    }

    /// Whether `other` sends on the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

/// The future of [`Sender::send`]: room for one message, then the message.
struct SendFuture<'a, T> {
    room: Room<'a, T>,
    value: Option<T>,
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Poll::Ready(reserved) = self.room.poll_room(cx) else {
            return Poll::Pending;
        };
        let value = self.value.take().expect("a send completes once");
        let site = self.room.site.clone();
        // Closed: the push gives the value back.
        Poll::Ready(
            self.room
                .chan
                .push(value, &site, reserved)
                .map_err(SendError),
        )
    }
}

/// Room for one message in a bounded channel, reserved by [`Sender::reserve`]: dropped
/// unused, the slot goes back.
#[must_use = "the slot goes back at once if the permit is not kept"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot, at once (a scheduling point). After
    /// `Receiver::close` it still goes in (and is received); once the receiver is dropped
    /// it is dropped.
    #[track_caller]
    pub fn send(self, value: T) {
        let chan = self.chan;
        std::mem::forget(self);
        send_reserved(chan, value, &Site::caller());
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release(1);
    }
}

/// A send into a reserved slot: a scheduling point, then the message (never waits).
fn send_reserved<T>(chan: &Chan<T>, value: T, site: &Site) {
    let object = chan.object(site);
    rt::switch();
    touch(object);
    // The receiver is gone: the value is dropped, as tokio's.
    let _ = chan.push(value, site, true);
}

/// Permits for `n` messages ([`Sender::reserve_many`]): each item is one; those not taken
/// go back when it is dropped.
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    n: usize,
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        self.n -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        self.chan.release(self.n);
    }
}

/// Room for one message, owning its [`Sender`] ([`Sender::reserve_owned`]).
#[must_use = "the slot goes back at once if the permit is not kept"]
pub struct OwnedPermit<T> {
    /// `None` once sent or released.
    sender: Option<Sender<T>>,
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the reserved slot (as [`Permit::send`]) and gives the sender back.
    #[track_caller]
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("a permit is used once");
        send_reserved(&sender.chan, value, &Site::caller());
        sender
    }

    /// Gives the slot back unused, and the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("a permit is used once");
        sender.chan.release(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.chan.release(1);
        }
    }
}

/// The receiving half of a bounded channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// The last `poll_recv` (or `poll_recv_many`) found nothing and announced its wait: the
    /// wait ends (with nothing) if the receiver is dropped before another receive.
    polled: Option<Polled>,
}

/// Where `Receiver::poll_recv` last waited.
struct Polled {
    site: Site,
    object: Option<ObjectId>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // A wait `poll_recv` left ends first (as a `Recv` dropped while waiting).
        if let Some(Polled { site, object }) = self.polled.take() {
            drop(Recv {
                chan: &self.chan,
                site,
                object,
                announced: true,
                done: false,
            });
        }
        self.close_inner(true);
    }
}

impl<T> Receiver<T> {
    /// Waits for a message; `None` once the channel is empty and every sender is gone or
    /// [`Receiver::close`] closed it, and no [`Permit`] can still send into it.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        self.resume(Site::caller())
    }

    /// Waits for messages, as [`Receiver::recv`], and moves up to `limit` of those waiting
    /// into `buffer`: returns how many. `0` only when `limit` is `0` (at once, no scheduling
    /// point) or the channel has ended, as tokio's.
    #[track_caller]
    pub fn recv_many<'a>(
        &'a mut self,
        buffer: &'a mut Vec<T>,
        limit: usize,
    ) -> impl Future<Output = usize> + 'a {
        RecvMany {
            recv: self.resume(Site::caller()),
            buffer,
            limit,
        }
    }

    /// [`Receiver::recv`] from sync code (a `spawn_blocking` closure, a thread): blocks until
    /// a message comes or the channel ends.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`), as tokio's.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.recv(), site, false)
    }

    /// [`Receiver::recv_many`] from sync code, as [`Receiver::blocking_recv`].
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`), as tokio's.
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        let site = Site::caller();
        crate::future::task::block_on_checked(self.recv_many(buffer, limit), site, false)
    }

    /// How many senders there are.
    #[track_caller]
    pub fn sender_strong_count(&self) -> usize {
        self.chan.strong_count(&Site::caller())
    }

    /// How many weak senders there are.
    #[track_caller]
    pub fn sender_weak_count(&self) -> usize {
        self.chan.weak_count(&Site::caller())
    }

    /// Polls for a message, as tokio's `poll_recv` (for a hand-written `Future` or `Stream`):
    /// `Ready(Some(message))`, `Ready(None)` once the channel has ended, or `Pending` (the
    /// waker of `cx` is woken when a message comes). Each call is a receive of its own, as a
    /// `recv()` polled once: a scheduling point, then a wait announced if it finds nothing.
    #[track_caller]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut taken = None;
        self.poll_take(cx, 1, Site::caller(), |value| taken = Some(value))
            .map(|_| taken)
    }

    /// Polls for messages, as tokio's `poll_recv_many`: moves up to `limit` of those waiting
    /// into `buffer`; `Ready(0)` when `limit` is `0` or the channel has ended.
    #[track_caller]
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        self.poll_take(cx, limit, Site::caller(), |value| buffer.push(value))
    }

    /// A new receive at `site` (a wait `poll_recv` left is over: this one announces its own).
    fn resume(&mut self, site: Site) -> Recv<'_, T> {
        self.polled = None;
        Recv::new(&self.chan, site)
    }

    fn poll_take(
        &mut self,
        cx: &mut Context<'_>,
        limit: usize,
        site: Site,
        take: impl FnMut(T),
    ) -> Poll<usize> {
        let mut recv = self.resume(site);
        let poll = recv.poll_take(cx, limit, take);
        if poll.is_pending() {
            // Its wait (and waker) stays until a message comes or the next receive: not a
            // receive dropped while waiting.
            recv.done = true;
            let polled = Polled {
                site: recv.site.clone(),
                object: recv.object,
            };
            drop(recv);
            self.polled = Some(polled);
        }
        poll
    }

    /// A message if one is there now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or [`TryRecvError::Disconnected`].
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let site = Site::caller();
        let object = self.chan.object(&site);
        rt::switch();
        rt::emit(
            EventKind::RecvRequest {
                channel: object,
                bounded: true,
            },
            site.clone(),
        );
        // It waits for nothing: a message it takes was not waited for.
        rt::announced_try();
        let (result, wakers) = {
            let mut state = self.chan.state();
            match state.messages.pop_front() {
                Some(value) => (Ok(value), self.chan.assign(&mut state)),
                None if Chan::ended(&state) => (Err(TryRecvError::Disconnected), Vec::new()),
                None => (Err(TryRecvError::Empty), Vec::new()),
            }
        };
        rt::emit(
            EventKind::Received {
                channel: object,
                ok: result.is_ok(),
            },
            site,
        );
        for waker in wakers {
            waker.wake();
        }
        result
    }

    /// Whether the channel is closed: every sender is gone, or [`Receiver::close`] closed it.
    /// Messages may still wait in it.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.chan.senders_gone(&Site::caller())
    }

    /// Whether no message waits in the channel.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        self.chan.len(&Site::caller()) == 0
    }

    /// How many messages wait in the channel.
    #[track_caller]
    pub fn len(&self) -> usize {
        self.chan.len(&Site::caller())
    }

    /// How many more messages fit now, as [`Sender::capacity`].
    #[track_caller]
    pub fn capacity(&self) -> usize {
        self.chan.capacity(&Site::caller())
    }

    /// The channel's capacity, as created.
    pub fn max_capacity(&self) -> usize {
        self.chan.bound.unwrap_or(usize::MAX)
    }

    /// Closes the channel: sends and reservations fail from now on; messages already in stay
    /// receivable, and permits taken before still send (as tokio's).
    #[track_caller]
    pub fn close(&mut self) {
        rt::switch();
        self.close_inner(false);
    }

    fn close_inner(&self, dropped: bool) {
        // The messages left are dropped after the channel's lock is let go: a message's drop
        // may reach a scheduling point (a receiver in it whose sender waits in `closed()`), and
        // another thread that ran there would find the lock held.
        let mut left = VecDeque::new();
        let wakers: Vec<Waker> = {
            let mut state = self.chan.state();
            if state.closed && !dropped {
                return;
            }
            state.closed = true;
            if dropped {
                state.rx_dropped = true;
                left = std::mem::take(&mut state.messages);
            }
            // The waiting requests fail at their next poll, and give back then (or when
            // dropped) the slots handed to them, as tokio's: until they have, a receive does
            // not end.
            state
                .send_waiters
                .iter()
                .map(|waiter| waiter.waker.clone())
                .collect()
        };
        drop(left);
        if rt::in_execution() {
            let object = self.chan.object(&Site::unknown());
            rt::receiver_dropped(object);
        }
        for waker in wakers {
            waker.wake();
        }
        self.chan.close_signal.closed();
    }
}

/// The future of [`Receiver::recv`].
struct Recv<'a, T> {
    chan: &'a Chan<T>,
    site: Site,
    object: Option<ObjectId>,
    /// It found nothing and announced its wait (`RecvRequest`).
    announced: bool,
    done: bool,
}

impl<'a, T> Recv<'a, T> {
    /// A receive on `chan` at `site`, not yet polled.
    fn new(chan: &'a Chan<T>, site: Site) -> Self {
        Recv {
            chan,
            site,
            object: None,
            announced: false,
            done: false,
        }
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut taken = None;
        self.poll_take(cx, 1, |value| taken = Some(value))
            .map(|_| taken)
    }
}

impl<T> Recv<'_, T> {
    /// Moves up to `limit` (at least 1) of the waiting messages into `take`, each a
    /// `Received` of its own (the detector joins each message's clock): all in one step, with
    /// no scheduling point between them. `Ready(0)` once the channel has ended.
    fn poll_take(
        &mut self,
        cx: &mut Context<'_>,
        limit: usize,
        mut take: impl FnMut(T),
    ) -> Poll<usize> {
        let object = match self.object {
            Some(object) => object,
            None => {
                let object = self.chan.object(&self.site);
                rt::switch();
                self.object = Some(object);
                object
            }
        };
        let mut taken = 0;
        loop {
            let mut state = self.chan.state();
            let Some(value) = state.messages.pop_front() else {
                // Nothing taken yet: a receive stops once it has taken the last message.
                debug_assert_eq!(taken, 0);
                if Chan::ended(&state) {
                    drop(state);
                    self.done = true;
                    rt::emit(
                        EventKind::Received {
                            channel: object,
                            ok: false,
                        },
                        self.site.clone(),
                    );
                    return Poll::Ready(0);
                }
                state.recv_waker = Some(cx.waker().clone());
                drop(state);
                // The wait is announced only now: a receive that finds a message (or the
                // channel closed) at its first poll did not wait for it. Polled before the
                // send, it would have returned `Pending` and its task gone on (to arm a
                // `timeout`'s timer, or poll a `select!`'s other branch), not blocked as a
                // thread's receive does: exhaustive exploration must be free to swap them.
                if !std::mem::replace(&mut self.announced, true) {
                    rt::emit(
                        EventKind::RecvRequest {
                            channel: object,
                            bounded: false,
                        },
                        self.site.clone(),
                    );
                }
                crate::future::task::pending_at(&self.site);
                return Poll::Pending;
            };
            taken += 1;
            let last = taken == limit || state.messages.is_empty();
            let wakers = if last {
                self.chan.assign(&mut state)
            } else {
                Vec::new()
            };
            drop(state);
            self.done = true;
            rt::emit(
                EventKind::Received {
                    channel: object,
                    ok: true,
                },
                self.site.clone(),
            );
            take(value);
            if last {
                for waker in wakers {
                    waker.wake();
                }
                return Poll::Ready(taken);
            }
        }
    }
}

/// The future of `recv_many`: a [`Recv`] that takes up to `limit` messages.
struct RecvMany<'a, T> {
    recv: Recv<'a, T>,
    buffer: &'a mut Vec<T>,
    limit: usize,
}

impl<T> Future for RecvMany<'_, T> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        if this.limit == 0 {
            return Poll::Ready(0);
        }
        let buffer = &mut *this.buffer;
        this.recv
            .poll_take(cx, this.limit, |value| buffer.push(value))
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let (Some(object), true, false) = (self.object, self.announced, self.done) {
            // Cancelled while waiting: the receive ends with nothing.
            self.chan.state().recv_waker = None;
            if rt::in_execution() {
                rt::emit(
                    EventKind::Received {
                        channel: object,
                        ok: false,
                    },
                    self.site.clone(),
                );
            }
        }
    }
}

/// The sending half of an unbounded channel.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.state().senders += 1;
        UnboundedSender {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        drop_sender(&self.chan);
    }
}

impl<T> UnboundedSender<T> {
    /// Sends at once (a scheduling point).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is gone.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let site = Site::caller();
        let object = self.chan.object(&site);
        rt::switch();
        rt::emit(EventKind::SendRequest { channel: object }, site.clone());
        self.chan.push(value, &site, false).map_err(SendError)
    }

    /// Whether the receiver is gone or closed the channel.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.chan.receiver_closed(&Site::caller())
    }

    /// Waits until the receiver is gone or closed the channel, as [`Sender::closed`].
    #[track_caller]
    pub fn closed(&self) -> impl Future<Output = ()> + '_ {
        self.chan.closed(Site::caller())
    }

    /// Whether `other` sends on the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

/// The receiving half of an unbounded channel.
#[derive(Debug)]
pub struct UnboundedReceiver<T> {
    inner: Receiver<T>,
}

impl<T> UnboundedReceiver<T> {
    /// Waits for a message; `None` once every sender is gone and the channel is empty.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        self.inner.recv()
    }

    /// Waits for messages and moves up to `limit` of them into `buffer`, as
    /// [`Receiver::recv_many`].
    #[track_caller]
    pub fn recv_many<'a>(
        &'a mut self,
        buffer: &'a mut Vec<T>,
        limit: usize,
    ) -> impl Future<Output = usize> + 'a {
        self.inner.recv_many(buffer, limit)
    }

    /// A message if one is there now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or [`TryRecvError::Disconnected`].
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.inner.try_recv()
    }

    /// [`UnboundedReceiver::recv`] from sync code, as [`Receiver::blocking_recv`].
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`), as tokio's.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        self.inner.blocking_recv()
    }

    /// [`UnboundedReceiver::recv_many`] from sync code, as [`Receiver::blocking_recv`].
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`), as tokio's.
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        self.inner.blocking_recv_many(buffer, limit)
    }

    /// How many senders there are.
    #[track_caller]
    pub fn sender_strong_count(&self) -> usize {
        self.inner.sender_strong_count()
    }

    /// How many weak senders there are.
    #[track_caller]
    pub fn sender_weak_count(&self) -> usize {
        self.inner.sender_weak_count()
    }

    /// Polls for a message, as [`Receiver::poll_recv`].
    #[track_caller]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.inner.poll_recv(cx)
    }

    /// Polls for messages, as [`Receiver::poll_recv_many`].
    #[track_caller]
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.inner.poll_recv_many(cx, buffer, limit)
    }

    /// Closes the channel: sends fail from now on.
    #[track_caller]
    pub fn close(&mut self) {
        self.inner.close();
    }

    /// Whether the channel is closed: every sender is gone, or
    /// [`UnboundedReceiver::close`] closed it. Messages may still wait in it.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.inner.chan.senders_gone(&Site::caller())
    }

    /// Whether no message waits in the channel.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        self.inner.chan.len(&Site::caller()) == 0
    }

    /// How many messages wait in the channel.
    #[track_caller]
    pub fn len(&self) -> usize {
        self.inner.chan.len(&Site::caller())
    }
}

/// Errors, as tokio's `mpsc::error`.
pub mod error {
    pub use super::{SendError, SendTimeoutError, TryRecvError, TrySendError};
}
