//! A one-shot channel: tokio's `oneshot`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site};

use super::closed::CloseSignal;
use super::queue::look;
use crate::rt;
use crate::sync::Registration;

struct Inner<T> {
    registration: Registration,
    value: Option<T>,
    /// The sender was used or dropped.
    sent: bool,
    /// The receiver was dropped or closed.
    closed: bool,
    waker: Option<Waker>,
    /// Wakes the sender's `closed()` future.
    close_signal: Arc<CloseSignal>,
}

type Shared<T> = Arc<StdMutex<Inner<T>>>;

fn lock<T>(shared: &Shared<T>) -> std::sync::MutexGuard<'_, Inner<T>> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn object<T>(shared: &Shared<T>, site: &Site) -> ObjectId {
    let (object, fresh) = lock(shared)
        .registration
        .object(ObjectClass::Channel, None, site)
        .unwrap_or_else(|| rt::outside_a_check("a oneshot channel", Some(site)));
    if fresh {
        rt::channel_registered(object, Some(1));
    }
    object
}

/// A channel for one value: tokio's `oneshot::channel`.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, sync::oneshot};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let (tx, rx) = oneshot::channel();
///         future::spawn(async move { tx.send(7).unwrap() });
///         assert_eq!(rx.await, Ok(7));
///     });
/// });
/// ```
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(StdMutex::new(Inner {
        registration: Registration::default(),
        value: None,
        sent: false,
        closed: false,
        waker: None,
        close_signal: Arc::default(),
    }));
    if rt::in_execution() {
        object(&shared, &Site::caller());
    }
    (
        Sender {
            shared: Some(Arc::clone(&shared)),
        },
        Receiver {
            shared,
            site: None,
            object: None,
            announced: false,
            done: false,
            terminated: false,
        },
    )
}

/// The sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("channel closed")]
pub struct RecvError(());

/// Why `try_recv` received nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// Not sent yet.
    #[error("channel empty")]
    Empty,
    /// The sender was dropped without sending.
    #[error("channel closed")]
    Closed,
}

/// Sends the one value.
pub struct Sender<T> {
    shared: Option<Shared<T>>,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> Sender<T> {
    /// Sends `value` (a scheduling point).
    ///
    /// # Errors
    ///
    /// The value back, if the receiver is gone.
    #[track_caller]
    pub fn send(mut self, value: T) -> Result<(), T> {
        let site = Site::caller();
        let shared = self.shared.take().expect("a sender sends once");
        let channel = object(&shared, &site);
        rt::switch();
        rt::emit(EventKind::SendRequest { channel }, site.clone());
        let (result, waker) = {
            let mut inner = lock(&shared);
            inner.sent = true;
            if inner.closed {
                (Err(value), None)
            } else {
                inner.value = Some(value);
                (Ok(()), inner.waker.take())
            }
        };
        rt::emit(
            EventKind::Sent {
                channel,
                ok: result.is_ok(),
            },
            site,
        );
        rt::sender_dropped(channel, true);
        if let Some(waker) = waker {
            waker.wake();
        }
        result
    }

    /// Waits until the receiver is gone or [`Receiver::close`] closed the channel. A task
    /// waiting here shows in reports as waiting for a notification on a notify created where
    /// the first `closed()` of the execution was called.
    #[track_caller]
    pub fn closed(&mut self) -> impl Future<Output = ()> + '_ {
        let site = Site::caller();
        async move {
            let Some(shared) = &self.shared else {
                return;
            };
            let signal = Arc::clone(&lock(shared).close_signal);
            signal
                .wait(site, |site| object(shared, site), || lock(shared).closed)
                .await;
        }
    }

    /// Whether the receiver is gone or closed the channel.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.shared.as_ref().is_some_and(|shared| {
            if rt::in_execution() {
                // A look: a read of what the receiver's drop or `close` writes.
                look(&[rt::Key::receiver(object(shared, &Site::caller()))]);
            }
            lock(shared).closed
        })
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let waker = {
            let mut inner = lock(&shared);
            inner.sent = true;
            inner.waker.take()
        };
        if rt::in_execution() {
            let channel = object(&shared, &Site::unknown());
            rt::sender_dropped(channel, true);
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Receives the one value: a future of `Result<T, RecvError>`.
pub struct Receiver<T> {
    shared: Shared<T>,
    site: Option<Site>,
    object: Option<ObjectId>,
    /// It found nothing and announced its wait (`RecvRequest`).
    announced: bool,
    done: bool,
    /// It gave the value or the error (a poll, or `try_recv`): `is_terminated`.
    terminated: bool,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T> Unpin for Receiver<T> {}

impl<T> Receiver<T> {
    /// The value if it was sent.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or [`TryRecvError::Closed`].
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let site = Site::caller();
        let channel = object(&self.shared, &site);
        rt::switch();
        rt::emit(
            EventKind::RecvRequest {
                channel,
                bounded: true,
            },
            site.clone(),
        );
        // It waits for nothing: a value it takes was not waited for.
        rt::announced_try();
        let result = {
            let mut inner = lock(&self.shared);
            match inner.value.take() {
                Some(value) => Ok(value),
                None if inner.sent => Err(TryRecvError::Closed),
                None => Err(TryRecvError::Empty),
            }
        };
        self.terminated |= !matches!(result, Err(TryRecvError::Empty));
        rt::emit(
            EventKind::Received {
                channel,
                ok: result.is_ok(),
            },
            site,
        );
        result
    }

    /// Waits for the value from sync code (a `spawn_blocking` closure, a thread), as tokio's.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender was dropped without sending.
    ///
    /// # Panics
    ///
    /// Inside a runtime (a task, or `block_on`), as tokio's.
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        let site = Site::caller();
        crate::future::task::block_on_checked(self, site, false)
    }

    /// Whether it already gave the value or the error (polled to the end, or `try_recv`
    /// returned the value or `Closed`): polling it again would panic in tokio.
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// Whether no value waits in the channel (nothing sent yet, the sender dropped, or the
    /// value already taken). A look, as tokio's atomic read: a scheduling point that reads
    /// the channel.
    #[track_caller]
    pub fn is_empty(&self) -> bool {
        if self.terminated {
            return true;
        }
        if rt::in_execution() {
            look(&[rt::Key::object(object(&self.shared, &Site::caller()))]);
        }
        lock(&self.shared).value.is_none()
    }

    /// Closes the channel: a later send fails.
    pub fn close(&mut self) {
        let signal = {
            let mut inner = lock(&self.shared);
            inner.closed = true;
            Arc::clone(&inner.close_signal)
        };
        if rt::in_execution() {
            let channel = object(&self.shared, &Site::unknown());
            rt::receiver_dropped(channel);
        }
        signal.closed();
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let caller = Site::caller();
        let site = self.site.get_or_insert(caller).clone();
        let channel = match self.object {
            Some(channel) => channel,
            None => {
                let channel = object(&self.shared, &site);
                rt::switch();
                self.object = Some(channel);
                channel
            }
        };
        let result = {
            let mut inner = lock(&self.shared);
            match inner.value.take() {
                Some(value) => Ok(value),
                None if inner.sent => Err(RecvError(())),
                None => {
                    inner.waker = Some(cx.waker().clone());
                    drop(inner);
                    // Announced only once it waits, as the mpsc receive (see there).
                    if !std::mem::replace(&mut self.announced, true) {
                        rt::emit(
                            EventKind::RecvRequest {
                                channel,
                                bounded: false,
                            },
                            site.clone(),
                        );
                    }
                    crate::future::task::pending_at(&site);
                    return Poll::Pending;
                }
            }
        };
        self.done = true;
        self.terminated = true;
        rt::emit(
            EventKind::Received {
                channel,
                ok: result.is_ok(),
            },
            site,
        );
        Poll::Ready(result)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let signal = {
            let mut inner = lock(&self.shared);
            inner.closed = true;
            Arc::clone(&inner.close_signal)
        };
        if !rt::in_execution() {
            return;
        }
        if let (Some(channel), true, false, Some(site)) =
            (self.object, self.announced, self.done, self.site.clone())
        {
            rt::emit(EventKind::Received { channel, ok: false }, site);
        }
        let channel = object(&self.shared, &Site::unknown());
        rt::receiver_dropped(channel);
        signal.closed();
    }
}

/// Errors, as tokio's `oneshot::error`.
pub mod error {
    pub use super::{RecvError, TryRecvError};
}
