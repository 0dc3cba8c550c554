//! Channels with std's `mpsc` API, explored and checked.
//!
//! A channel is one object for the detector, created where [`channel`] or [`sync_channel`] is
//! called. Each send and receive is a scheduling point and a pair of events (request, then
//! completion), and each message carries its sender's clock to its receiver: what a thread did
//! before sending happens before what the receiver does after receiving.
//!
//! Semantics follow std where it is specific, and take these choices where it is not:
//!
//! - A blocked sender (full channel) or receiver (empty channel) is woken by every change that
//!   could let it go on, and the strategy decides who goes first, so every winner is explored.
//! - On a rendezvous channel (`sync_channel(0)`), a sender that finds a receiver waiting in
//!   `recv` hands the message over and returns; otherwise it offers the message and waits
//!   until a receiver takes it (`recv` or `try_recv`) or the receiver is dropped. Offers are
//!   taken oldest first, as std's waiters are.
//! - Dropping the last sender, or the receiver while senders remain, is a scheduling point: the
//!   other side can see the channel before and after it disconnects. Dropping the receiver
//!   drops the messages still in the channel, as std does.
//!
//! Outside an execution a channel works like std's, on real threads (timeouts in real time).
//!
//! For data races, the detector orders each message's send before its receive. It does not yet
//! order the other way round: a receive before the send that a full channel made wait for it,
//! or a rendezvous receiver's arrival before its sender's return. Code whose accesses are
//! ordered by that alone (a bounded channel used as a semaphore, say) may be reported.

mod channel;

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use interleave_detector::Site;

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

use channel::Channel;

/// Creates an unbounded channel: `send` never blocks. The channel is created (for the detector)
/// at the caller's site.
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::channel;
/// use interleave::thread;
///
/// interleave::Config::random(20).check(|| {
///     let (tx, rx) = channel();
///     let t = thread::spawn(move || {
///         for i in 0..3 {
///             tx.send(i).unwrap();
///         }
///     });
///     // FIFO, then disconnected when the sender is gone.
///     assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]);
///     t.join().unwrap();
/// });
/// ```
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    unbounded(&Site::caller(), None)
}

/// [`channel`], which reports call `name` rather than by where it was created.
#[track_caller]
pub fn named_channel<T>(name: &str) -> (Sender<T>, Receiver<T>) {
    unbounded(&Site::caller(), Some(name))
}

fn unbounded<T>(site: &Site, name: Option<&str>) -> (Sender<T>, Receiver<T>) {
    let channel = Arc::new(Channel::new(None, site, name));
    (
        Sender {
            channel: Arc::clone(&channel),
        },
        Receiver::new(channel),
    )
}

/// Creates a channel that holds at most `bound` messages: `send` blocks while it is full. With
/// `bound` 0 it is a rendezvous channel: `send` returns only once a receiver has the message.
/// The channel is created (for the detector) at the caller's site.
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::sync_channel;
/// use interleave::thread;
///
/// interleave::Config::random(20).check(|| {
///     let (tx, rx) = sync_channel(0);
///     let t = thread::spawn(move || tx.send("hello").unwrap());
///     assert_eq!(rx.recv(), Ok("hello"));
///     t.join().unwrap();
/// });
/// ```
#[track_caller]
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    bounded(bound, &Site::caller(), None)
}

/// [`sync_channel`], which reports call `name` rather than by where it was created.
#[track_caller]
pub fn named_sync_channel<T>(name: &str, bound: usize) -> (SyncSender<T>, Receiver<T>) {
    bounded(bound, &Site::caller(), Some(name))
}

fn bounded<T>(bound: usize, site: &Site, name: Option<&str>) -> (SyncSender<T>, Receiver<T>) {
    let channel = Arc::new(Channel::new(Some(bound), site, name));
    (
        SyncSender {
            channel: Arc::clone(&channel),
        },
        Receiver::new(channel),
    )
}

/// The sending end of an unbounded [`channel`]; clone it for more senders. When the last
/// sender is dropped, the receiver sees the channel disconnected once it has taken every
/// message.
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::channel;
/// use interleave::thread;
///
/// interleave::Config::random(20).check(|| {
///     let (tx, rx) = channel();
///     let tx2 = tx.clone();
///     let t = thread::spawn(move || tx2.send(1).unwrap());
///     tx.send(2).unwrap();
///     drop(tx);
///     let mut got: Vec<i32> = rx.iter().collect();
///     got.sort();
///     assert_eq!(got, [1, 2]);
///     t.join().unwrap();
/// });
/// ```
pub struct Sender<T> {
    channel: Arc<Channel<T>>,
}

impl<T> Sender<T> {
    /// Sends `t`. Never blocks: the channel is unbounded.
    ///
    /// # Errors
    ///
    /// The receiver has been dropped: the value comes back in the error.
    #[track_caller]
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.channel.send(t, Site::caller())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.channel.add_sender();
        Sender {
            channel: Arc::clone(&self.channel),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.channel.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The sending end of a bounded [`sync_channel`]; clone it for more senders.
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::{sync_channel, TrySendError};
///
/// interleave::Config::random(5).check(|| {
///     let (tx, rx) = sync_channel(1);
///     tx.send(1).unwrap();
///     // Full: the value comes back.
///     assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
///     assert_eq!(rx.recv(), Ok(1));
///     drop(rx);
///     assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
/// });
/// ```
pub struct SyncSender<T> {
    channel: Arc<Channel<T>>,
}

impl<T> SyncSender<T> {
    /// Sends `t`, blocking while the channel is full; on a rendezvous channel, until a receiver
    /// has the message.
    ///
    /// # Errors
    ///
    /// The receiver has been dropped (before or while this send waited): the value comes back
    /// in the error.
    #[track_caller]
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        self.channel.send(t, Site::caller())
    }

    /// Sends `t` if there is room right now; on a rendezvous channel, if a receiver is waiting
    /// in `recv`.
    ///
    /// # Errors
    ///
    /// `Full(t)` if there is no room, `Disconnected(t)` if the receiver has been dropped.
    #[track_caller]
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        self.channel.try_send(t, Site::caller())
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        self.channel.add_sender();
        SyncSender {
            channel: Arc::clone(&self.channel),
        }
    }
}

impl<T> Drop for SyncSender<T> {
    fn drop(&mut self) {
        self.channel.drop_sender();
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncSender").finish_non_exhaustive()
    }
}

/// The receiving end of a [`channel`] or [`sync_channel`]. Like std's, it can be sent to
/// another thread but not shared.
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::{channel, TryRecvError};
///
/// interleave::Config::random(5).check(|| {
///     let (tx, rx) = channel();
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
///     tx.send(1).unwrap();
///     drop(tx);
///     // Buffered messages first, then the disconnection.
///     assert_eq!(rx.recv(), Ok(1));
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// });
/// ```
pub struct Receiver<T> {
    channel: Arc<Channel<T>>,
    /// `Send` but not `Sync`, as std's.
    _not_sync: PhantomData<Cell<()>>,
}

impl<T> Receiver<T> {
    fn new(channel: Arc<Channel<T>>) -> Self {
        Receiver {
            channel,
            _not_sync: PhantomData,
        }
    }

    /// Receives the oldest message, blocking while the channel is empty and a sender remains.
    ///
    /// # Errors
    ///
    /// `RecvError` once the channel is empty and every sender has been dropped.
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.channel.recv(Site::caller())
    }

    /// Receives the oldest message, waiting at most `timeout` (of virtual time inside an
    /// execution, of real time outside one).
    ///
    /// # Errors
    ///
    /// `Timeout` if no message came in time (the timer fired: when no thread could run, or
    /// earlier if the strategy fired it early); `Disconnected` once the channel is empty and
    /// every sender has been dropped.
    #[track_caller]
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Result<T, RecvTimeoutError> {
        self.channel.recv_timeout(timeout, Site::caller())
    }

    /// Receives the oldest message if there is one right now; on a rendezvous channel, takes
    /// the message of a sender waiting in `send`.
    ///
    /// # Errors
    ///
    /// `Empty` if there is no message, `Disconnected` if there is none and every sender has
    /// been dropped.
    #[track_caller]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.channel.try_recv(Site::caller())
    }

    /// An iterator that receives with [`recv`](Self::recv) and ends at the disconnection. Its
    /// receives are reported at the caller's site (iterator adapters call `next` from std).
    #[track_caller]
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            receiver: self,
            site: Site::caller(),
        }
    }

    /// An iterator that receives with [`try_recv`](Self::try_recv) and ends when no message is
    /// ready. Its receives are reported at the caller's site.
    #[track_caller]
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter {
            receiver: self,
            site: Site::caller(),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.channel.drop_receiver();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// The blocking iterator of [`Receiver::iter`]: each item is a `recv`; it ends when the channel
/// is empty and disconnected.
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::channel;
/// use interleave::thread;
///
/// interleave::Config::random(20).check(|| {
///     let (tx, rx) = channel();
///     let t = thread::spawn(move || {
///         tx.send('a').unwrap();
///         tx.send('b').unwrap();
///     });
///     let text: String = rx.iter().collect();
///     assert_eq!(text, "ab");
///     t.join().unwrap();
/// });
/// ```
pub struct Iter<'a, T> {
    receiver: &'a Receiver<T>,
    site: Site,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.receiver.channel.recv(self.site.clone()).ok()
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// The non-blocking iterator of [`Receiver::try_iter`]: each item is a `try_recv`; it ends at
/// the first `Empty` or `Disconnected`.
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::channel;
///
/// interleave::Config::random(5).check(|| {
///     let (tx, rx) = channel();
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
///     assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
///     // The sender is alive: the next message may come later.
///     assert_eq!(rx.try_iter().next(), None);
///     drop(tx);
/// });
/// ```
pub struct TryIter<'a, T> {
    receiver: &'a Receiver<T>,
    site: Site,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.receiver.channel.try_recv(self.site.clone()).ok()
    }
}

impl<T> fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryIter").finish_non_exhaustive()
    }
}

/// The owning blocking iterator of a [`Receiver`] (`for message in receiver`).
///
/// # Examples
///
/// ```
/// use interleave::sync::mpsc::sync_channel;
/// use interleave::thread;
///
/// interleave::Config::random(20).check(|| {
///     let (tx, rx) = sync_channel(1);
///     let t = thread::spawn(move || {
///         let mut sum = 0;
///         for n in rx {
///             sum += n;
///         }
///         sum
///     });
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
///     drop(tx);
///     assert_eq!(t.join().unwrap(), 3);
/// });
/// ```
pub struct IntoIter<T> {
    receiver: Receiver<T>,
    site: Site,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.receiver.channel.recv(self.site.clone()).ok()
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter").finish_non_exhaustive()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    /// Its receives are reported at the caller's site (the `for` loop).
    #[track_caller]
    fn into_iter(self) -> IntoIter<T> {
        IntoIter {
            receiver: self,
            site: Site::caller(),
        }
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    /// Its receives are reported at the caller's site (the `for` loop).
    #[track_caller]
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}
