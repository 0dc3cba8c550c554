//! Async channels: tokio's `mpsc`, bounded and unbounded.
//!
//! A bounded channel's senders wait for room first come first served; a receive waits for a
//! message or for every sender to go. Sends and receives are the channel events of sync
//! channels, so exhaustive exploration knows when a receive or a send must wait, and a
//! deadlock report says "waits for a message on" or "room on" the channel.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site};

use crate::rt;
use crate::sync::Registration;

struct Chan<T> {
    state: StdMutex<ChanState<T>>,
    bound: Option<usize>,
}

struct ChanState<T> {
    registration: Registration,
    messages: VecDeque<T>,
    senders: usize,
    /// The receiver was dropped or closed.
    closed: bool,
    recv_waker: Option<Waker>,
    /// Sends waiting for room, first come first served.
    send_waiters: VecDeque<(u64, Waker)>,
    next_ticket: u64,
}

impl<T> Chan<T> {
    fn new(bound: Option<usize>, site: &Site) -> Arc<Self> {
        let chan = Arc::new(Chan {
            state: StdMutex::new(ChanState {
                registration: Registration::default(),
                messages: VecDeque::new(),
                senders: 1,
                closed: false,
                recv_waker: None,
                send_waiters: VecDeque::new(),
                next_ticket: 0,
            }),
            bound,
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
            .expect("async channels are used inside a check");
        if fresh {
            rt::channel_registered(object, self.bound);
        }
        object
    }

    fn has_room(&self, state: &ChanState<T>) -> bool {
        self.bound.is_none_or(|bound| state.messages.len() < bound)
    }

    /// Puts `value` in, or gives it back if the receiver is gone. Wakes the receiver.
    fn push(&self, value: T, site: &Site) -> Result<(), T> {
        let object = self.object(site);
        let (result, waker) = {
            let mut state = self.state();
            if state.closed {
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

    /// Room was made (or the channel closed): the first waiting send may go.
    fn wake_sender(state: &mut ChanState<T>) -> Option<Waker> {
        state.send_waiters.front().map(|(_, waker)| waker.clone())
    }
}

/// The receiver was gone: the value comes back.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel closed")]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

/// Why `try_send` did not send.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError<T> {
    /// No room now.
    #[error("no available capacity")]
    Full(T),
    /// The receiver is gone.
    #[error("channel closed")]
    Closed(T),
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
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
        Receiver { chan },
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
            inner: Receiver { chan },
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
            chan: &self.chan,
            value: Some(value),
            site: Site::caller(),
            object: None,
            ticket: None,
        }
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
        self.chan.push(value, &site).map_err(TrySendError::Closed)
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.chan.state().closed
    }

    /// How many more messages fit now.
    pub fn capacity(&self) -> usize {
        let state = self.chan.state();
        self.chan
            .bound
            .map_or(usize::MAX, |b| b.saturating_sub(state.messages.len()))
    }
}

/// The future of [`Sender::send`].
struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    value: Option<T>,
    site: Site,
    object: Option<ObjectId>,
    ticket: Option<u64>,
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.object.is_none() {
            let object = self.chan.object(&self.site);
            rt::switch();
            rt::emit(
                EventKind::SendRequest { channel: object },
                self.site.clone(),
            );
            self.object = Some(object);
        }
        let go = {
            let mut state = self.chan.state();
            let first = match self.ticket {
                Some(ticket) => state
                    .send_waiters
                    .front()
                    .is_some_and(|&(t, _)| t == ticket),
                None => state.send_waiters.is_empty(),
            };
            if state.closed || (first && self.chan.has_room(&state)) {
                if let Some(ticket) = self.ticket {
                    state.send_waiters.retain(|&(t, _)| t != ticket);
                }
                true
            } else {
                match self.ticket {
                    Some(ticket) => {
                        if let Some(w) = state.send_waiters.iter_mut().find(|(t, _)| *t == ticket) {
                            w.1.clone_from(cx.waker());
                        }
                    }
                    None => {
                        let ticket = state.next_ticket;
                        state.next_ticket += 1;
                        state.send_waiters.push_back((ticket, cx.waker().clone()));
                        self.ticket = Some(ticket);
                    }
                }
                false
            }
        };
        if !go {
            crate::future::task::pending_at(&self.site);
            return Poll::Pending;
        }
        self.ticket = None;
        let value = self.value.take().expect("a send completes once");
        let site = self.site.clone();
        let result = self.chan.push(value, &site).map_err(SendError);
        // Room left: the next waiting send may go too.
        let next = {
            let mut state = self.chan.state();
            if self.chan.has_room(&state) {
                Chan::wake_sender(&mut state)
            } else {
                None
            }
        };
        if let Some(waker) = next {
            waker.wake();
        }
        Poll::Ready(result)
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        let (Some(object), Some(ticket)) = (self.object, self.ticket) else {
            return;
        };
        // Cancelled while waiting for room: it leaves the queue, its value is dropped.
        let next = {
            let mut state = self.chan.state();
            state.send_waiters.retain(|&(t, _)| t != ticket);
            if self.chan.has_room(&state) {
                Chan::wake_sender(&mut state)
            } else {
                None
            }
        };
        if rt::in_execution() {
            rt::emit(
                EventKind::Sent {
                    channel: object,
                    ok: false,
                },
                self.site.clone(),
            );
        }
        if let Some(waker) = next {
            waker.wake();
        }
    }
}

/// The receiving half of a bounded channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close_inner(true);
    }
}

impl<T> Receiver<T> {
    /// Waits for a message; `None` once every sender is gone and the channel is empty.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<T>> + '_ {
        Recv {
            chan: &self.chan,
            site: Site::caller(),
            object: None,
            done: false,
        }
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
        let (result, waker) = {
            let mut state = self.chan.state();
            match state.messages.pop_front() {
                Some(value) => (Ok(value), Chan::wake_sender(&mut state)),
                None if state.senders == 0 => (Err(TryRecvError::Disconnected), None),
                None => (Err(TryRecvError::Empty), None),
            }
        };
        rt::emit(
            EventKind::Received {
                channel: object,
                ok: result.is_ok(),
            },
            site,
        );
        if let Some(waker) = waker {
            waker.wake();
        }
        result
    }

    /// Closes the channel: sends fail from now on; messages already in stay receivable.
    #[track_caller]
    pub fn close(&mut self) {
        rt::switch();
        self.close_inner(false);
    }

    fn close_inner(&self, dropped: bool) {
        let wakers: Vec<Waker> = {
            let mut state = self.chan.state();
            if state.closed && !dropped {
                return;
            }
            state.closed = true;
            if dropped {
                state.messages.clear();
            }
            state.send_waiters.iter().map(|(_, w)| w.clone()).collect()
        };
        if rt::in_execution() {
            let object = self.chan.object(&Site::unknown());
            rt::receiver_dropped(object);
        }
        for waker in wakers {
            waker.wake();
        }
    }
}

/// The future of [`Receiver::recv`].
struct Recv<'a, T> {
    chan: &'a Chan<T>,
    site: Site,
    object: Option<ObjectId>,
    done: bool,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let object = match self.object {
            Some(object) => object,
            None => {
                let object = self.chan.object(&self.site);
                rt::switch();
                rt::emit(
                    EventKind::RecvRequest {
                        channel: object,
                        bounded: false,
                    },
                    self.site.clone(),
                );
                self.object = Some(object);
                object
            }
        };
        let (value, waker) = {
            let mut state = self.chan.state();
            match state.messages.pop_front() {
                Some(value) => (Some(value), Chan::wake_sender(&mut state)),
                None if state.senders == 0 => (None, None),
                None => {
                    state.recv_waker = Some(cx.waker().clone());
                    drop(state);
                    crate::future::task::pending_at(&self.site);
                    return Poll::Pending;
                }
            }
        };
        self.done = true;
        rt::emit(
            EventKind::Received {
                channel: object,
                ok: value.is_some(),
            },
            self.site.clone(),
        );
        if let Some(waker) = waker {
            waker.wake();
        }
        Poll::Ready(value)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let (Some(object), false) = (self.object, self.done) {
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
        self.chan.push(value, &site).map_err(SendError)
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.chan.state().closed
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
        Recv {
            chan: &self.inner.chan,
            site: Site::caller(),
            object: None,
            done: false,
        }
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

    /// Closes the channel: sends fail from now on.
    #[track_caller]
    pub fn close(&mut self) {
        self.inner.close();
    }
}
