//! tokio's `broadcast`: every receiver gets every value sent after it subscribed, from a ring
//! of `capacity` values; a receiver that falls further behind loses the oldest and is told
//! how many (`Lagged`). Built on [`Notify`]: a send wakes every waiting `recv()`.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex as StdMutex};

use interleave_detector::Site;

use super::Notify;

struct Shared<T> {
    state: StdMutex<State<T>>,
    notify: Notify,
}

struct State<T> {
    capacity: usize,
    /// The values still held, with their sequence numbers, oldest first.
    ring: VecDeque<(u64, T)>,
    next_seq: u64,
    senders: usize,
    receivers: usize,
}

impl<T> Shared<T> {
    fn state(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A broadcast channel holding up to `capacity` values: tokio's `broadcast::channel`.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, sync::broadcast};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let (tx, mut rx) = broadcast::channel(2);
///         for i in 1..=3 {
///             tx.send(i).unwrap();
///         }
///         // The ring holds 2: the first value was lost to this receiver.
///         assert_eq!(rx.recv().await, Err(broadcast::error::RecvError::Lagged(1)));
///         assert_eq!(rx.recv().await, Ok(2));
///     });
/// });
/// ```
///
/// # Panics
///
/// With a capacity of 0, as tokio's.
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    let shared = Arc::new(Shared {
        state: StdMutex::new(State {
            capacity,
            ring: VecDeque::new(),
            next_seq: 0,
            senders: 1,
            receivers: 1,
        }),
        notify: Notify::new(),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared, next: 0 },
    )
}

/// Errors, as tokio's `broadcast::error`.
pub mod error {

    /// `send` with no receiver: the value is given back.
    #[derive(Debug, PartialEq, Eq, Clone, Copy, thiserror::Error)]
    #[error("channel closed")]
    pub struct SendError<T>(pub T);

    /// Why `recv` gave no value.
    #[derive(Debug, PartialEq, Eq, Clone, Copy, thiserror::Error)]
    pub enum RecvError {
        /// Every sender is gone and every value was received.
        #[error("channel closed")]
        Closed,
        /// The receiver fell behind: this many values were lost to it.
        #[error("channel lagged by {0}")]
        Lagged(u64),
    }

    /// Why `try_recv` gave no value.
    #[derive(Debug, PartialEq, Eq, Clone, Copy, thiserror::Error)]
    pub enum TryRecvError {
        /// No value now.
        #[error("channel empty")]
        Empty,
        /// Every sender is gone and every value was received.
        #[error("channel closed")]
        Closed,
        /// The receiver fell behind: this many values were lost to it.
        #[error("channel lagged by {0}")]
        Lagged(u64),
    }
}

use error::{RecvError, SendError, TryRecvError};

/// The sending half; clone it for more senders.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half: the values sent since it subscribed, in order.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    next: u64,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// No `T: Clone` bound, as tokio's: receiving clones, sending does not.
impl<T> Sender<T> {
    /// Whether `other` sends on the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Sends `value` to every receiver; returns how many there are.
    ///
    /// # Errors
    ///
    /// No receiver; the value is given back.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        self.shared.notify.point();
        let receivers = {
            let mut state = self.shared.state();
            if state.receivers == 0 {
                return Err(SendError(value));
            }
            let seq = state.next_seq;
            state.next_seq += 1;
            state.ring.push_back((seq, value));
            if state.ring.len() > state.capacity {
                state.ring.pop_front();
            }
            state.receivers
        };
        self.shared.notify.notify_waiters();
        Ok(receivers)
    }

    /// A new receiver of the values sent from now on.
    #[track_caller]
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.notify.point();
        let mut state = self.shared.state();
        state.receivers += 1;
        Receiver {
            shared: Arc::clone(&self.shared),
            next: state.next_seq,
        }
    }

    /// How many receivers there are.
    #[track_caller]
    pub fn receiver_count(&self) -> usize {
        self.shared.notify.look_state();
        self.shared.state().receivers
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
        // The count changes before the last drop's notification: in the step in progress.
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

impl<T: Clone> Receiver<T> {
    fn take(&mut self) -> Result<T, TryRecvError> {
        let state = self.shared.state();
        let oldest = state.ring.front().map_or(state.next_seq, |&(seq, _)| seq);
        if self.next < oldest {
            let lost = oldest - self.next;
            self.next = oldest;
            return Err(TryRecvError::Lagged(lost));
        }
        if self.next < state.next_seq {
            let value = state.ring[(self.next - oldest) as usize].1.clone();
            self.next += 1;
            return Ok(value);
        }
        if state.senders == 0 {
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    /// The next value, waiting for one.
    ///
    /// # Errors
    ///
    /// `Lagged(n)` once after `n` values were lost to this receiver (the next `recv` gives the
    /// oldest value still held); `Closed` once every sender is gone and every value received.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Result<T, RecvError>> + '_ {
        let site = Site::caller();
        let shared = Arc::clone(&self.shared);
        async move {
            loop {
                let notified = shared.notify.notified_at(site.clone());
                match self.take() {
                    Ok(value) => return Ok(value),
                    Err(TryRecvError::Lagged(n)) => return Err(RecvError::Lagged(n)),
                    Err(TryRecvError::Closed) => return Err(RecvError::Closed),
                    Err(TryRecvError::Empty) => notified.await,
                }
            }
        }
    }

    /// The next value if there is one now.
    ///
    /// # Errors
    ///
    /// `Empty`, `Lagged(n)` or `Closed`, as [`Receiver::recv`].
    #[track_caller]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.shared.notify.point();
        self.take()
    }

    /// A new receiver of the values sent from now on.
    pub fn resubscribe(&self) -> Self {
        let next = {
            let mut state = self.shared.state();
            state.receivers += 1;
            state.next_seq
        };
        // A sender's `receiver_count` after it sees one more: the two conflict.
        self.shared.notify.touch_state();
        Receiver {
            shared: Arc::clone(&self.shared),
            next,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.state().receivers -= 1;
        // A send after it finds no receiver: the drop and the send conflict.
        self.shared.notify.touch_state();
    }
}
