//! Waiting for a channel's receiver to go: tokio's `Sender::closed` (mpsc, oneshot).
//!
//! Built on a [`Notify`] that registers at the first `closed()` of an execution, at that call's
//! site: a task waiting here shows in reports as waiting for a notification on it. A channel
//! nobody calls `closed()` on never registers it, and its receiver's drop stays what it was
//! (no scheduling point, no event).

use std::sync::atomic::{AtomicUsize, Ordering};

use interleave_detector::{ObjectId, Site};

use super::Notify;
use crate::rt;

pub(crate) struct CloseSignal {
    notify: Notify,
    /// `closed()` futures waiting now (bookkeeping of the running execution, which runs one
    /// thread at a time; not a modelled atomic).
    waiting: AtomicUsize,
}

impl Default for CloseSignal {
    fn default() -> Self {
        CloseSignal {
            notify: Notify::const_new(),
            waiting: AtomicUsize::new(0),
        }
    }
}

/// One `closed()` future waiting, counted until it ends or is dropped.
struct Waiting<'a> {
    count: &'a AtomicUsize,
    /// The channel, in an execution.
    channel: Option<ObjectId>,
}

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize, channel: Option<ObjectId>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting { count, channel }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
        // Given up (a `select!` took another branch): whether the receiver's close notifies
        // depends on it, so the step that gives up reads what the close writes, and the two
        // are explored in both orders.
        if let Some(channel) = self.channel {
            if rt::in_execution() {
                rt::note_read(rt::Key::receiver(channel));
            }
        }
    }
}

impl CloseSignal {
    /// Waits until `is_closed` says the receiver is gone or closed the channel. Each round is
    /// a scheduling point (the notification's future is created, as a `notified()` is), then a
    /// read of the channel's receiver (`channel` gives its object), which the receiver's drop
    /// and `close` write.
    pub(crate) async fn wait(
        &self,
        site: Site,
        channel: impl Fn(&Site) -> ObjectId,
        is_closed: impl Fn() -> bool,
    ) {
        loop {
            let notified = self.notify.notified_at(site.clone());
            let object = rt::in_execution().then(|| channel(&site));
            if let Some(object) = object {
                rt::note_read(rt::Key::receiver(object));
            }
            if is_closed() {
                return;
            }
            let _waiting = Waiting::new(&self.waiting, object);
            notified.await;
        }
    }

    /// The receiver went or closed the channel: wakes the `closed()` futures waiting, with a
    /// scheduling point and a notification, if there are any (not while the execution stops,
    /// nor while a panic unwinds: no other thread runs before it is reported).
    pub(crate) fn closed(&self) {
        if self.waiting.load(Ordering::Relaxed) > 0
            && !std::thread::panicking()
            && rt::with(|c| c.stop.is_none() && !c.thread(c.current).finished).unwrap_or(false)
        {
            self.notify.notify_waiters();
        }
    }
}
