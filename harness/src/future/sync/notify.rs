//! The async `Notify`: tokio's, with its stored permit.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site};

use super::queue::{look, touch};
use crate::rt;
use crate::sync::Registration;

/// tokio's `Notify`. `notify_one` wakes the longest waiting `notified()` future, or stores one
/// permit that the next `notified().await` takes at once; `notify_waiters` wakes every
/// `notified()` future created before it (polled or not) and stores nothing, so a task that
/// only starts waiting after it waits forever (reported as a deadlock naming this notify).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use interleave::future::{self, sync::Notify};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let notify = Arc::new(Notify::new());
///         let n = Arc::clone(&notify);
///         let task = future::spawn(async move { n.notified().await });
///         notify.notify_one(); // stored if the task does not wait yet
///         task.await.unwrap();
///     });
/// });
/// ```
pub struct Notify {
    state: StdMutex<NotifyState>,
}

#[derive(Debug, Default)]
struct NotifyState {
    registration: Registration,
    permit: bool,
    /// Queued `notified()` futures, longest waiting first, with the waker of their last poll
    /// (`None`: enabled, not polled yet).
    waiters: VecDeque<(u64, Option<Waker>)>,
    /// Queued futures that `notify_one` (`false`) or `notify_last` (`true`) picked: one
    /// dropped before it completes passes the notification on the same way.
    picked: Vec<(u64, bool)>,
    /// How many times `notify_waiters` was called.
    waiters_calls: u64,
    next_ticket: u64,
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

impl Default for Notify {
    #[track_caller]
    fn default() -> Self {
        Notify::new()
    }
}

impl Notify {
    /// A new notify with no permit (created at the caller's site).
    #[track_caller]
    pub fn new() -> Self {
        Notify::with_registration(Registration::default(), &Site::caller())
    }

    /// A new notify that reports call `name`.
    #[track_caller]
    pub fn named(name: &str) -> Self {
        Notify::with_registration(Registration::named(name), &Site::caller())
    }

    /// A new notify with no permit that registers at its first use in each execution (with
    /// that use's site): usable in a `static`, as tokio's `const_new`.
    pub const fn const_new() -> Self {
        Notify {
            state: StdMutex::new(NotifyState {
                registration: Registration::new(),
                permit: false,
                waiters: VecDeque::new(),
                picked: Vec::new(),
                waiters_calls: 0,
                next_ticket: 0,
            }),
        }
    }

    fn with_registration(registration: Registration, site: &Site) -> Self {
        let notify = Notify {
            state: StdMutex::new(NotifyState {
                registration,
                ..NotifyState::default()
            }),
        };
        if rt::in_execution() {
            notify.object(site);
        }
        notify
    }

    fn state(&self) -> std::sync::MutexGuard<'_, NotifyState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn object(&self, site: &Site) -> ObjectId {
        let mut state = self.state();
        let (object, fresh) = state
            .registration
            .object(ObjectClass::Notify, None, site)
            .unwrap_or_else(|| rt::outside_a_check("a `Notify`", Some(site)));
        if fresh {
            let registration = std::mem::take(&mut state.registration);
            *state = NotifyState {
                registration,
                ..NotifyState::default()
            };
        }
        object
    }

    /// A future that completes at a notification (or at once with the stored permit).
    #[track_caller]
    pub fn notified(&self) -> Notified<'_> {
        self.notified_at(Site::caller())
    }

    /// [`Notify::notified`], reported at `site`. Creating the future is a scheduling point
    /// that reads the notify (it takes in the `notify_waiters` calls made so far, as tokio's
    /// reads the notify's state): a `notify_waiters` just before it is missed, just after it
    /// is not, and exhaustive exploration runs both orders.
    pub(crate) fn notified_at(&self, site: Site) -> Notified<'_> {
        Notified(Waiting::new(self, site))
    }

    /// As [`Notify::notified`] on a shared notify, as tokio's `notified_owned`: the future
    /// keeps the notify alive (`'static`, so it can move into a spawned task).
    #[track_caller]
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        OwnedNotified(Waiting::new(self, Site::caller()))
    }

    /// Wakes the longest waiting `notified()` future, or stores a permit if none waits.
    #[track_caller]
    pub fn notify_one(&self) {
        self.notify_from(false, &Site::caller());
    }

    /// As [`Notify::notify_one`], but wakes the most recently queued `notified()` future
    /// instead of the longest waiting one, as tokio's `notify_last`.
    #[track_caller]
    pub fn notify_last(&self) {
        self.notify_from(true, &Site::caller());
    }

    /// `notify_one` (from the front of the queue) or `notify_last` (from its back), at `site`.
    fn notify_from(&self, last: bool, site: &Site) {
        let object = self.object(site);
        rt::switch();
        touch(object);
        rt::emit(EventKind::AsyncRelease { object }, site.clone());
        let waker = {
            let mut state = self.state();
            Self::pass_on(&mut state, last)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A scheduling point on this notify's object, for the primitives built on it (`watch`,
    /// `broadcast`, `Barrier`): their reads and writes of shared state conflict there.
    #[track_caller]
    pub(crate) fn point(&self) {
        self.point_at(&Site::caller());
    }

    /// [`Notify::point`], reported at `site`.
    pub(crate) fn point_at(&self, site: &Site) {
        let object = self.object(site);
        rt::switch();
        touch(object);
    }

    /// A change of the state of a primitive built on this notify made without a scheduling
    /// point (a `watch` or `broadcast` receiver dropped, which a later send sees): a write of
    /// its object in the step in progress, for exhaustive exploration.
    pub(crate) fn touch_state(&self) {
        if rt::in_execution() {
            touch(self.object(&Site::unknown()));
        }
    }

    /// A look at the state of a primitive built on this notify (a `watch` sender's count of
    /// receivers; an atomic read in tokio): in an execution, a scheduling point, then a read
    /// of its object.
    #[track_caller]
    pub(crate) fn look_state(&self) {
        if rt::in_execution() {
            look(&[rt::Key::object(self.object(&Site::caller()))]);
        }
    }

    /// One notification: to the front waiter, else stored.
    fn pass_on(state: &mut NotifyState, last: bool) -> Option<Waker> {
        let waiter = if last {
            state.waiters.pop_back()
        } else {
            state.waiters.pop_front()
        };
        match waiter {
            Some((ticket, waker)) => {
                state.picked.push((ticket, last));
                waker
            }
            None => {
                state.permit = true;
                None
            }
        }
    }

    /// Wakes every `notified()` future created before this call; stores no permit.
    #[track_caller]
    pub fn notify_waiters(&self) {
        let object = self.object(&Site::caller());
        rt::switch();
        touch(object);
        rt::emit(EventKind::AsyncRelease { object }, Site::caller());
        let wakers: Vec<Waker> = {
            let mut state = self.state();
            state.waiters_calls += 1;
            state
                .waiters
                .drain(..)
                .filter_map(|(_, waker)| waker)
                .collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

/// The future of [`Notify::notified`].
#[must_use = "futures do nothing unless awaited"]
pub struct Notified<'a>(Waiting<&'a Notify>);

/// The future of [`Notify::notified_owned`].
#[must_use = "futures do nothing unless awaited"]
pub struct OwnedNotified(Waiting<Arc<Notify>>);

/// A wait for a notification of the notify `N` points to: both futures' state.
struct Waiting<N: Deref<Target = Notify>> {
    notify: N,
    site: Site,
    /// `notify_waiters` calls when it was created: a later one completes it.
    calls: u64,
    ticket: Option<u64>,
    object: Option<ObjectId>,
    /// [`Notified::enable`] found it notified: the next poll completes.
    enabled: bool,
    /// A poll returned `Pending` (the task waited for it).
    waited: bool,
    done: bool,
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified").finish_non_exhaustive()
    }
}

impl OwnedNotified {
    /// As [`Notified::enable`].
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().0.enable()
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().0.poll(cx)
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().0.poll(cx)
    }
}

impl Notified<'_> {
    /// Queues this future for [`Notify::notify_one`] before its first poll (or takes the
    /// stored permit), as tokio's: returns `true` if it is already notified, and the next poll
    /// completes. A future that is not enabled nor polled is not waiting, so `notify_one`
    /// stores a permit instead of picking it (`notify_waiters` completes it either way).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use interleave::future::{self, sync::Notify};
    ///
    /// interleave::check(|| {
    ///     future::block_on(async {
    ///         let notify = Notify::new();
    ///         let mut notified = pin!(notify.notified());
    ///         assert!(!notified.as_mut().enable());
    ///         notify.notify_one(); // picks the enabled future: no permit is stored
    ///         notified.await;
    ///     });
    /// });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().0.enable()
    }
}

impl<N: Deref<Target = Notify>> Waiting<N> {
    /// A wait created at `site`. Creating it is a scheduling point that reads the notify (see
    /// `Notify::notified_at`).
    fn new(notify: N, site: Site) -> Self {
        let (calls, object) = if rt::in_execution() {
            rt::switch();
            let object = notify.object(&site);
            touch(object);
            (notify.state().waiters_calls, Some(object))
        } else {
            (0, None)
        };
        Waiting {
            notify,
            site,
            calls,
            ticket: None,
            object,
            enabled: false,
            waited: false,
            done: false,
        }
    }

    /// [`Notified::enable`].
    fn enable(&mut self) -> bool {
        if self.done || self.enabled {
            return true;
        }
        if !rt::in_execution() {
            return false;
        }
        let object = self.object();
        touch(object);
        let ready = self.take_notification(None);
        self.enabled = ready;
        ready
    }

    /// The notify's object, registering it at the first use (a scheduling point then).
    fn object(&mut self) -> ObjectId {
        match self.object {
            Some(object) => object,
            None => {
                rt::require_check("a `Notify`", &self.site);
                rt::switch();
                let object = self.notify.object(&self.site);
                self.object = Some(object);
                object
            }
        }
    }

    /// Whether this future is notified (taking the notification meant for it, or the stored
    /// permit); if not, queues it (once) or updates its waker.
    fn take_notification(&mut self, waker: Option<&Waker>) -> bool {
        let mut state = self.notify.state();
        if state.waiters_calls != self.calls {
            // Completed by `notify_waiters`; a `notify_one` that picked it too is spent on it
            // (tokio's future is done then: dropping it hands nothing on).
            if let Some(ticket) = self.ticket {
                state.waiters.retain(|&(t, _)| t != ticket);
                state.picked.retain(|&(t, _)| t != ticket);
            }
            return true;
        }
        if let Some(ticket) = self.ticket {
            if let Some(i) = state.picked.iter().position(|&(t, _)| t == ticket) {
                state.picked.swap_remove(i);
                return true;
            }
            if let (Some(waiter), Some(waker)) =
                (state.waiters.iter_mut().find(|(t, _)| *t == ticket), waker)
            {
                waiter.1 = Some(waker.clone());
            }
            return false;
        }
        if std::mem::take(&mut state.permit) {
            return true;
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiters.push_back((ticket, waker.cloned()));
        self.ticket = Some(ticket);
        false
    }
}

impl<N: Deref<Target = Notify>> Waiting<N> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let object = self.object();
        touch(object);
        let ready = self.enabled || self.take_notification(Some(cx.waker()));
        if !ready {
            if !std::mem::replace(&mut self.waited, true) {
                rt::emit(EventKind::AsyncWait { object }, self.site.clone());
            }
            crate::future::task::pending_at(&self.site);
            return Poll::Pending;
        }
        self.done = true;
        if self.waited {
            rt::emit(EventKind::AsyncReady { object }, self.site.clone());
        }
        rt::emit(EventKind::AsyncAcquire { object }, self.site.clone());
        Poll::Ready(())
    }
}

impl<N: Deref<Target = Notify>> Drop for Waiting<N> {
    fn drop(&mut self) {
        let (Some(ticket), Some(object), false) = (self.ticket, self.object, self.done) else {
            return;
        };
        // A notification picked for it goes on to the next waiter, as tokio's does.
        let waker = {
            let mut state = self.notify.state();
            state.waiters.retain(|&(t, _)| t != ticket);
            match state.picked.iter().position(|&(t, _)| t == ticket) {
                Some(i) => {
                    let (_, last) = state.picked.swap_remove(i);
                    Notify::pass_on(&mut state, last)
                }
                None => None,
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        if rt::in_execution() {
            touch(object);
            if self.waited {
                rt::emit(EventKind::AsyncReady { object }, self.site.clone());
            }
        }
    }
}
