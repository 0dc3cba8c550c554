//! tokio's `watch`: one value, many receivers, each seeing the latest value and whether it
//! changed since it last looked. Built on [`Notify`]: a send wakes every waiting `changed()`.
//!
//! A receiver that looks after two sends sees only the second: updates in between are not
//! queued (that is the contract, and the bug in a config reload that expects every update).

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, RwLock as StdRwLock, RwLockReadGuard};

use interleave_detector::Site;

use super::Notify;

struct Shared<T> {
    value: StdRwLock<T>,
    state: std::sync::Mutex<State>,
    notify: Notify,
}

#[derive(Debug, Default)]
struct State {
    version: u64,
    senders: usize,
    receivers: usize,
}

impl<T> Shared<T> {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A watch channel holding `init`: tokio's `watch::channel`.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, sync::watch};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let (tx, mut rx) = watch::channel(1);
///         let task = future::spawn(async move {
///             rx.changed().await.unwrap();
///             *rx.borrow_and_update()
///         });
///         tx.send(2).unwrap();
///         assert_eq!(task.await.unwrap(), 2);
///     });
/// });
/// ```
#[track_caller]
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: StdRwLock::new(init),
        state: std::sync::Mutex::new(State {
            version: 0,
            senders: 1,
            receivers: 1,
        }),
        notify: Notify::new(),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared, seen: 0 },
    )
}

/// The sending half; dropping the last one closes the channel.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// The sender of a new channel with no receiver yet ([`Sender::subscribe`] makes them;
    /// until then a send fails), as tokio's `Sender::new`.
    #[track_caller]
    pub fn new(init: T) -> Self {
        Sender {
            shared: Arc::new(Shared {
                value: StdRwLock::new(init),
                state: std::sync::Mutex::new(State {
                    version: 0,
                    senders: 1,
                    receivers: 0,
                }),
                notify: Notify::new(),
            }),
        }
    }
}

/// A sender of a new channel of `T::default()`, as tokio's.
impl<T: Default> Default for Sender<T> {
    #[track_caller]
    fn default() -> Self {
        Sender::new(T::default())
    }
}

/// A receiving half: the latest value, and whether it changed since this receiver marked it
/// seen.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: u64,
}

/// A borrow of the current value (holds a read lock: do not keep it across an `.await`).
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    changed: bool,
}

/// `send` with no receiver left: the value is given back.
#[derive(PartialEq, Eq, Clone, Copy, thiserror::Error)]
#[error("channel closed")]
pub struct SendError<T>(pub T);

/// `changed` with every sender dropped.
#[derive(Debug, PartialEq, Eq, Clone, thiserror::Error)]
#[error("channel closed")]
pub struct RecvError(());

/// As tokio's: `SendError { .. }`.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.guard.fmt(f)
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> Ref<'_, T> {
    /// Whether the value had changed since the receiver last marked it seen.
    pub fn has_changed(&self) -> bool {
        self.changed
    }
}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers.
    ///
    /// # Errors
    ///
    /// No receiver is left; the value is given back.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.shared.notify.point();
        if self.shared.state().receivers == 0 {
            return Err(SendError(value));
        }
        self.replace(value);
        Ok(())
    }

    /// Replaces the value even with no receiver, and returns the old one.
    #[track_caller]
    pub fn send_replace(&self, value: T) -> T {
        self.shared.notify.point();
        self.replace(value)
    }

    fn replace(&self, value: T) -> T {
        let old = {
            let mut slot = self
                .shared
                .value
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::replace(&mut *slot, value)
        };
        self.bump();
        old
    }

    fn bump(&self) {
        self.shared.state().version += 1;
        self.shared.notify.notify_waiters();
    }

    /// Modifies the value in place and notifies the receivers.
    #[track_caller]
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place; notifies the receivers only if `modify` returns `true`.
    #[track_caller]
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        self.shared.notify.point();
        let modified = {
            let mut slot = self
                .shared
                .value
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            modify(&mut slot)
        };
        if modified {
            self.bump();
        }
        modified
    }

    /// The current value.
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        self.shared.notify.point();
        Ref {
            guard: self.shared.read(),
            changed: false,
        }
    }

    /// A new receiver that has seen the current value.
    #[track_caller]
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.notify.point();
        let mut state = self.shared.state();
        state.receivers += 1;
        Receiver {
            shared: Arc::clone(&self.shared),
            seen: state.version,
        }
    }

    /// How many receivers there are.
    #[track_caller]
    pub fn receiver_count(&self) -> usize {
        self.shared.notify.look_state();
        self.shared.state().receivers
    }

    /// Waits until every receiver is gone, as tokio's. A task waiting here shows in reports
    /// as waiting for a notification on the channel's notify.
    #[track_caller]
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + '_ {
        let site = Site::caller();
        async move {
            loop {
                let notified = self.shared.notify.notified_at(site.clone());
                if self.shared.state().receivers == 0 {
                    return;
                }
                notified.await;
            }
        }
    }

    /// Whether `self` and `other` send on the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Whether every receiver is gone.
    #[track_caller]
    pub fn is_closed(&self) -> bool {
        self.shared.notify.look_state();
        self.shared.state().receivers == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.state().senders += 1;
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // The count changes before the last drop's notification: in the step in progress (a
        // `changed()` that reads it then ends at once).
        self.shared.notify.touch_state();
        let last = {
            let mut state = self.shared.state();
            state.senders -= 1;
            state.senders == 0
        };
        if last && crate::rt::with(|c| c.stop.is_none()).unwrap_or(false) {
            self.shared.notify.notify_waiters();
        }
    }
}

impl<T> Receiver<T> {
    /// Whether `self` and `other` receive from the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The current value, without marking it seen.
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        self.shared.notify.point();
        let changed = self.shared.state().version != self.seen;
        Ref {
            guard: self.shared.read(),
            changed,
        }
    }

    /// The current value, marked seen.
    #[track_caller]
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        self.shared.notify.point();
        let version = self.shared.state().version;
        let changed = version != self.seen;
        self.seen = version;
        Ref {
            guard: self.shared.read(),
            changed,
        }
    }

    /// Whether the value changed since this receiver last marked it seen.
    ///
    /// # Errors
    ///
    /// Every sender is gone.
    #[track_caller]
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        self.shared.notify.point();
        let state = self.shared.state();
        if state.senders == 0 {
            return Err(RecvError(()));
        }
        Ok(state.version != self.seen)
    }

    /// Marks the current value seen.
    #[track_caller]
    pub fn mark_unchanged(&mut self) {
        self.shared.notify.look_state();
        self.seen = self.shared.state().version;
    }

    /// Waits for a value this receiver has not seen, and marks it seen.
    ///
    /// # Errors
    ///
    /// Every sender is gone (and no unseen value is left).
    #[track_caller]
    pub fn changed(&mut self) -> impl std::future::Future<Output = Result<(), RecvError>> + '_ {
        self.changed_at(Site::caller())
    }

    async fn changed_at(&mut self, site: Site) -> Result<(), RecvError> {
        loop {
            let notified = self.shared.notify.notified_at(site.clone());
            {
                let state = self.shared.state();
                if state.version != self.seen {
                    self.seen = state.version;
                    return Ok(());
                }
                if state.senders == 0 {
                    return Err(RecvError(()));
                }
            }
            notified.await;
        }
    }
}

impl<T> Receiver<T> {
    /// Waits until `f` holds for the value: the current one first (seen or not), then each new
    /// one; marks the value it looked at seen. Each look is a scheduling point, as `borrow`'s.
    /// The returned [`Ref`] says whether that value had changed since this receiver last
    /// marked one seen.
    ///
    /// # Errors
    ///
    /// Every sender is gone and `f` did not hold for the last value.
    #[track_caller]
    pub fn wait_for<'a>(
        &'a mut self,
        mut f: impl FnMut(&T) -> bool + 'a,
    ) -> impl std::future::Future<Output = Result<Ref<'a, T>, RecvError>> + 'a {
        let site = Site::caller();
        async move {
            let mut closed = false;
            loop {
                self.shared.notify.point_at(&site);
                let version = self.shared.state().version;
                let changed = version != self.seen;
                self.seen = version;
                // The value cannot change between the look and the `Ref` (no scheduling point
                // between them): taking the guard again after `f` keeps the borrow simple.
                if (!closed || changed) && f(&self.shared.read()) {
                    return Ok(Ref {
                        guard: self.shared.read(),
                        changed,
                    });
                }
                if closed {
                    return Err(RecvError(()));
                }
                closed = self.changed_at(site.clone()).await.is_err();
            }
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.state().receivers += 1;
        // A sender's `receiver_count` after it sees one more: the clone and the look conflict.
        self.shared.notify.touch_state();
        Receiver {
            shared: Arc::clone(&self.shared),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.state();
            state.receivers -= 1;
            state.receivers == 0
        };
        // A send after it finds no receiver: the drop and the send conflict.
        self.shared.notify.touch_state();
        // The last one ends the senders' `closed()`.
        if last && crate::rt::with(|c| c.stop.is_none()).unwrap_or(false) {
            self.shared.notify.notify_waiters();
        }
    }
}

/// Errors, as tokio's `watch::error`.
pub mod error {
    pub use super::{RecvError, SendError};
}
