//! Async time on the execution's virtual clock: `sleep`, `sleep_until`, `timeout`, `interval`.
//!
//! A sleep arms a timer of its task when first polled. Timers fire as a thread's do: the
//! earliest one when no thread or task can run (time jumps to its deadline), or early, at a
//! scheduling point, as the strategy decides. A task may have any number armed at once.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use interleave_detector::{ObjectId, Site, ThreadId};

use crate::rt;
use crate::time::Instant;

/// Completes once the virtual clock reaches `now + duration` (tokio's `sleep`).
///
/// # Examples
///
/// ```
/// use interleave::future::{self, time::sleep};
/// use interleave::time::{Duration, Instant};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let start = Instant::now();
///         sleep(Duration::from_secs(5)).await;
///         assert_eq!(start.elapsed(), Duration::from_secs(5));
///     });
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let deadline_ns = rt::deadline_after(rt::now_ns(), duration);
    Sleep::new(deadline_ns, Site::caller())
}

/// Completes once the virtual clock reaches `deadline`.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline.as_nanos_since_start(), Site::caller())
}

/// The future of [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline_ns: u64,
    site: Site,
    timer: Option<ObjectId>,
    /// The thread that armed `timer`: the one its firing wakes.
    owner: Option<ThreadId>,
    polled: bool,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline_ns", &self.deadline_ns)
            .finish_non_exhaustive()
    }
}

impl Sleep {
    fn new(deadline_ns: u64, site: Site) -> Sleep {
        assert!(
            rt::in_execution(),
            "interleave::future::time runs inside a check only, at {site}"
        );
        Sleep {
            deadline_ns,
            site,
            timer: None,
            owner: None,
            polled: false,
        }
    }

    /// When it completes.
    pub fn deadline(&self) -> Instant {
        Instant::from_nanos_since_start(self.deadline_ns)
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        rt::now_ns() >= self.deadline_ns
    }

    /// Sets a new deadline, earlier or later, even once it completed: the next poll waits for
    /// it (a timer armed for the old one is cancelled), as tokio's `Sleep::reset`.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        if let Some(timer) = this.timer.take() {
            rt::cancel_timer(timer);
        }
        this.deadline_ns = deadline.as_nanos_since_start();
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if !self.polled {
            self.polled = true;
            rt::switch();
        }
        let me = rt::current_thread();
        match self.timer {
            Some(timer) if rt::timer_armed(timer) => {
                if self.owner != Some(me) {
                    // Polled by another task than the one that armed it (moved, or shared):
                    // its firing would wake that one. The timer becomes this task's.
                    rt::cancel_timer(timer);
                    self.timer = rt::arm_timer_until(self.deadline_ns, &self.site);
                    self.owner = Some(me);
                    if self.timer.is_none() {
                        return Poll::Ready(());
                    }
                }
                super::task::pending_at(&self.site);
                Poll::Pending
            }
            Some(_) => {
                self.timer = None;
                self.deadline_ns = 0;
                Poll::Ready(())
            }
            None if rt::now_ns() >= self.deadline_ns => Poll::Ready(()),
            None => {
                self.timer = rt::arm_timer_until(self.deadline_ns, &self.site);
                self.owner = Some(me);
                super::task::pending_at(&self.site);
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            rt::cancel_timer(timer);
        }
    }
}

/// The future given to [`timeout`] did not complete by its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("deadline has elapsed")]
pub struct Elapsed(());

/// As tokio's: a timeout is an I/O error of kind `TimedOut` (`timeout(..).await?` in a function
/// returning `io::Result`).
impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}

/// tokio's `time::pause`: does nothing, the virtual clock is always paused (it moves only when
/// timers fire, or by [`advance`]). Unlike tokio's, it does not panic when called twice or on
/// a runtime of several workers.
pub fn pause() {}

/// tokio's `time::resume`: does nothing, the clock stays virtual.
pub fn resume() {}

/// tokio's `time::advance`: moves the virtual clock `duration` on. The caller sleeps for
/// `duration`, so the timers due by then fire first, each at its own deadline (tokio moves the
/// clock at once and fires them all at the new time), then yields, so that the tasks they
/// woke run before it goes on, as tokio's.
///
/// # Examples
///
/// ```
/// use interleave::future::{self, time};
/// use interleave::time::{Duration, Instant};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let start = Instant::now();
///         time::advance(Duration::from_secs(30)).await;
///         assert_eq!(start.elapsed(), Duration::from_secs(30));
///     });
/// });
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> impl Future<Output = ()> {
    let site = Site::caller();
    let yielding = crate::future::yield_now();
    // From its first poll, as tokio's `async fn`.
    async move {
        Sleep::new(rt::deadline_after(rt::now_ns(), duration), site).await;
        yielding.await;
    }
}

/// Runs `future` for at most `duration`: `Err(Elapsed)` exactly at the deadline if it has not
/// completed, and the future is dropped (tokio's `timeout`: the future is polled first, so one
/// that completes at the deadline wins).
///
/// # Examples
///
/// ```
/// use interleave::future::{self, sync::oneshot, time::timeout};
/// use interleave::time::Duration;
///
/// interleave::check(|| {
///     future::block_on(async {
///         let (_tx, rx) = oneshot::channel::<()>();
///         assert!(timeout(Duration::from_millis(10), rx).await.is_err());
///     });
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: Box::pin(future.into_future()),
        sleep: sleep(duration),
    }
}

/// As [`timeout`], with a deadline.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: Box::pin(future.into_future()),
        sleep: sleep_until(deadline),
    }
}

/// The future of [`timeout`].
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("sleep", &self.sleep)
            .finish_non_exhaustive()
    }
}

impl<F> Timeout<F> {
    /// The future it runs.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The future it runs (which is pinned in the timeout, hence `Unpin`, unlike tokio's).
    pub fn get_mut(&mut self) -> &mut F
    where
        F: Unpin,
    {
        &mut self.future
    }

    /// The future it ran, its deadline dropped (`Unpin`, unlike tokio's, as `get_mut`).
    pub fn into_inner(self) -> F
    where
        F: Unpin,
    {
        *Pin::into_inner(self.future)
    }
}

impl<F: Future> Timeout<F> {
    /// `future` with a deadline at `deadline_ns` on the virtual clock, its timer armed at
    /// `site`.
    pub(crate) fn at(future: F, deadline_ns: u64, site: Site) -> Self {
        Timeout {
            future: Box::pin(future),
            sleep: Sleep::new(deadline_ns, site),
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    // The future it wraps reports the `.await` of the timeout as its site, not this poll.
    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Ticks every `period`, the first tick at once (tokio's `interval`; missed ticks burst unless
/// [`Interval::set_missed_tick_behavior`] says otherwise).
///
/// # Panics
///
/// If `period` is zero.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero");
    Interval {
        next_ns: rt::now_ns(),
        period,
        missed: MissedTickBehavior::Burst,
        site: Site::caller(),
        sleep: None,
    }
}

/// As [`interval`], with the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero");
    Interval {
        next_ns: start.as_nanos_since_start(),
        period,
        missed: MissedTickBehavior::Burst,
        site: Site::caller(),
        sleep: None,
    }
}

/// The ticks of [`interval`].
#[derive(Debug)]
pub struct Interval {
    next_ns: u64,
    period: Duration,
    missed: MissedTickBehavior,
    site: Site,
    /// The wait for the next tick, kept across polls (and a `tick()` given up), as tokio's.
    sleep: Option<Sleep>,
}

/// What an [`Interval`] does when a tick comes more than 5 ms late (tokio's
/// `MissedTickBehavior`, with its tolerance; on the virtual clock a tick is late when the
/// ticking task ran or waited past the next due time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// The missed ticks come at once, then the ticks keep their schedule (the default).
    #[default]
    Burst,
    /// The next tick comes one period after the late one was taken.
    Delay,
    /// The missed ticks are skipped: the next tick comes at the next multiple of the period
    /// from the first.
    Skip,
}

impl MissedTickBehavior {
    /// When the tick after the one due at `due_ns` comes, that one taken at `now_ns`.
    fn next_ns(self, due_ns: u64, now_ns: u64, period: Duration) -> u64 {
        let period_ns = u64::try_from(period.as_nanos()).unwrap_or(u64::MAX);
        match self {
            MissedTickBehavior::Burst => due_ns.saturating_add(period_ns),
            MissedTickBehavior::Delay => now_ns.saturating_add(period_ns),
            MissedTickBehavior::Skip => {
                let offset = (now_ns - due_ns) % period_ns;
                now_ns.saturating_add(period_ns - offset)
            }
        }
    }
}

/// How late a tick may come and still be on time (tokio's 5 ms).
const LATE_NS: u64 = 5_000_000;

impl Interval {
    /// Waits for the next tick and returns when it was due. Cancel safe, as tokio's: a
    /// `tick()` given up (a `select!`'s other branch) loses no tick.
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick, as tokio's `Interval::poll_tick` (for a hand-written
    /// `Future` or `Stream`): `Ready` with when it was due once it comes; `Pending` until
    /// then, and `cx`'s waker is woken when it comes.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let due = self.next_ns;
        let site = &self.site;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Sleep::new(due, site.clone()));
        if Pin::new(sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.sleep = None;
        self.next_ns = match self.missed {
            // The same whenever the tick is taken: the clock is not read.
            MissedTickBehavior::Burst => rt::deadline_after(due, self.period),
            missed => {
                let now = rt::now_ns();
                if now > due.saturating_add(LATE_NS) {
                    missed.next_ns(due, now, self.period)
                } else {
                    rt::deadline_after(due, self.period)
                }
            }
        };
        Poll::Ready(Instant::from_nanos_since_start(due))
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What the interval does with missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what the interval does with missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// The next tick comes one period from now.
    pub fn reset(&mut self) {
        self.sleep = None;
        self.next_ns = rt::deadline_after(rt::now_ns(), self.period);
    }

    /// The next tick comes now.
    pub fn reset_immediately(&mut self) {
        self.sleep = None;
        self.next_ns = rt::now_ns();
    }

    /// The next tick comes `after` from now.
    pub fn reset_after(&mut self, after: Duration) {
        self.sleep = None;
        self.next_ns = rt::deadline_after(rt::now_ns(), after);
    }

    /// The next tick comes at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.sleep = None;
        self.next_ns = deadline.as_nanos_since_start();
    }
}
