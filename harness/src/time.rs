//! Virtual time: `Instant`, `sleep`, and deadlines, per execution.
//!
//! Time in a scenario is virtual: it starts at zero in every execution and advances only when
//! a timer fires. When no thread can run, the earliest timer (a `sleep`, a `wait_timeout`, a
//! `recv_timeout`, a `try_lock_for`, a `park_timeout`) fires and time jumps to its deadline, as
//! tokio's paused clock does; a strategy may also fire it early, ahead of threads that could
//! still run, to explore a timeout racing with what it waits for. So a scenario that sleeps for
//! an hour runs instantly, and the same seed gives the same times on every machine.
//!
//! ```
//! use interleave::time::{sleep, Duration, Instant};
//!
//! interleave::check(|| {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(10));
//!     assert_eq!(start.elapsed(), Duration::from_millis(10));
//! });
//! ```
//!
//! Outside an execution (an ordinary test, a program built with the facade) time is real:
//! `Instant::now` reads the OS's monotonic clock, `sleep` sleeps, and the timed waits time out
//! in real time.
//!
//! `docs/time.md` describes the semantics and the missed-timeout findings.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

pub use std::time::Duration;

use interleave_detector::{EventKind, Site};

use crate::rt;

/// A point in the execution's virtual time, like `std::time::Instant` (outside an execution, a
/// point in real time).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    ns: u64,
}

impl Instant {
    /// The current virtual time, or outside an execution the real time. Inside one it is a
    /// scheduling point that reads the clock. Busy-waiting on the clock never advances it
    /// (only a timer does), so a loop that polls it must let others run: a read from the same
    /// place as the thread's previous read, the clock unmoved since, spins (the spin rule of
    /// atomics), as does a third read in a row from anywhere, and the thread's next scheduling
    /// point is a yield. A single read (the start of a measurement) is not one: the thread
    /// may go straight on.
    #[track_caller]
    pub fn now() -> Instant {
        if !rt::in_execution() {
            return Instant { ns: real_now_ns() };
        }
        rt::switch();
        let ns = rt::now_ns();
        rt::clock_read(rt::site_key(&Site::caller()));
        Instant { ns }
    }

    /// The current time for interleave's own timed waits: a read of the clock that is not a
    /// scheduling point of its own and never spins (a timed wait reads it twice from the
    /// user's call site, which the spin rule would take for a poll going round).
    pub(crate) fn current() -> Instant {
        if rt::in_execution() {
            Instant { ns: rt::now_ns() }
        } else {
            Instant { ns: real_now_ns() }
        }
    }

    /// The instant `ns` nanoseconds of virtual time after the execution started.
    pub(crate) fn from_nanos_since_start(ns: u64) -> Instant {
        Instant { ns }
    }

    /// Time since `earlier`, or zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// Time since `earlier`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.ns.checked_sub(earlier.ns).map(Duration::from_nanos)
    }

    /// Time since `earlier`, or zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.ns.saturating_sub(earlier.ns))
    }

    /// Virtual time elapsed since this instant.
    #[track_caller]
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` past the end of virtual time.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        let ns = u64::try_from(duration.as_nanos()).ok()?;
        self.ns.checked_add(ns).map(|ns| Instant { ns })
    }

    /// `self - duration`, or `None` before the start of time.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        let ns = u64::try_from(duration.as_nanos()).ok()?;
        self.ns.checked_sub(ns).map(|ns| Instant { ns })
    }

    /// Nanoseconds since the execution started (outside an execution: since interleave first
    /// read the real clock in this process).
    pub fn as_nanos_since_start(&self) -> u64 {
        self.ns
    }
}

/// Real time, in nanoseconds since interleave first read the clock in this process.
fn real_now_ns() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Instant({:?} since start)",
            Duration::from_nanos(self.ns)
        )
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// # Panics
    ///
    /// Past the end of virtual time (about 584 years), as std's does on overflow.
    fn add(self, duration: Duration) -> Instant {
        self.checked_add(duration)
            .expect("overflow when adding duration to instant")
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    /// # Panics
    ///
    /// Before the start of the execution.
    fn sub(self, duration: Duration) -> Instant {
        self.checked_sub(duration)
            .expect("overflow when subtracting duration from instant")
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero, as std's does.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

/// Sleeps for `duration` of virtual time: the thread blocks until its timer fires (when nothing
/// else can run, or earlier if the strategy fires it early). Outside an execution it really
/// sleeps, as `std::thread::sleep`.
#[track_caller]
pub fn sleep(duration: Duration) {
    sleep_at(duration, Site::caller());
}

pub(crate) fn sleep_at(duration: Duration, site: Site) {
    if !rt::in_execution() {
        std::thread::sleep(duration);
        return;
    }
    if duration.is_zero() {
        rt::yield_now();
        return;
    }
    rt::arm_timer(duration, &site);
    rt::switch();
    while !rt::take_timeout() {
        rt::block_current(&site);
    }
}

/// Runs `f`, which must finish within `limit` of virtual time: if time passes the deadline
/// while `f` runs, that is a missed timeout, reported with where every thread is.
///
/// # Examples
///
/// ```
/// use interleave::time::{deadline, sleep, Duration};
///
/// let report = interleave::Config::random(1).write_artifact(false).explore(|| {
///     deadline(Duration::from_millis(50), || sleep(Duration::from_millis(80)));
/// });
/// assert_eq!(report.findings[0].kind(), interleave::Kind::MissedTimeout);
/// ```
#[track_caller]
pub fn deadline<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let site = Site::caller();
    let deadline_ns = rt::deadline_after(rt::now_ns(), limit);
    rt::emit(EventKind::DeadlineEnter { deadline_ns }, site.clone());
    let result = f();
    rt::emit(EventKind::DeadlineExit, site);
    result
}
