//! tokio's `time`, on the execution's virtual clock: it moves only when timers fire (as
//! tokio's paused clock), so a test of a 30-second timeout takes no wall-clock time.
//!
//! | item | status |
//! | --- | --- |
//! | `sleep`, `sleep_until`, `Sleep` (`deadline`, `is_elapsed`, `reset`) | modelled |
//! | `timeout`, `timeout_at` (of any `IntoFuture`), `Timeout` (`get_ref`; `get_mut`, `into_inner` of an `Unpin` future), `error::Elapsed` (the future is polled first; into `io::Error` of kind `TimedOut`) | modelled |
//! | `interval`, `interval_at`, `Interval::{tick, poll_tick, period, reset, reset_immediately, reset_after, reset_at}` | modelled; `tick` is cancel safe, as tokio's (the wait for the next tick is kept in the interval) |
//! | `MissedTickBehavior` (`Burst`, `Delay`, `Skip`), `Interval::{missed_tick_behavior, set_missed_tick_behavior}` | modelled: a tick more than 5 ms late on the virtual clock is missed, as tokio's |
//! | `Instant`, `Duration` | modelled (`Instant` is virtual) |
//! | `advance` | modelled: the caller sleeps for the duration, so the timers due by then fire first, each at its own deadline (tokio's fire together at the new time), then yields |
//! | `pause`, `resume` | accepted, no effect: time is always paused and moves by timers (no panic when already paused, or on a runtime of several workers) |

pub use interleave::future::time::{
    advance, interval, interval_at, pause, resume, sleep, sleep_until, timeout, timeout_at,
    Interval, MissedTickBehavior, Sleep, Timeout,
};
pub use interleave::time::{Duration, Instant};

/// Errors, as tokio's `time::error`.
pub mod error {
    pub use interleave::future::time::Elapsed;
}
