//! tokio's `time`, on the execution's virtual clock: it moves only when timers fire (as
//! tokio's paused clock), so a test of a 30-second timeout takes no wall-clock time.
//!
//! | item | status |
//! | --- | --- |
//! | `sleep`, `sleep_until`, `Sleep` (`deadline`, `is_elapsed`, `reset`) | modelled |
//! | `timeout`, `timeout_at`, `Timeout`, `error::Elapsed` (the future is polled first) | modelled |
//! | `interval`, `interval_at`, `Interval::{tick, period, reset, reset_immediately, reset_after, reset_at}` | modelled |
//! | `MissedTickBehavior` (`Burst`, `Delay`, `Skip`), `Interval::{missed_tick_behavior, set_missed_tick_behavior}` | modelled: a tick more than 5 ms late on the virtual clock is missed, as tokio's |
//! | `Interval::poll_tick` | not supported |
//! | `Instant`, `Duration` | modelled (`Instant` is virtual) |
//! | `pause`, `advance`, `resume` | not supported: time is always paused and moves by timers |

pub use interleave::future::time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Interval, MissedTickBehavior,
    Sleep, Timeout,
};
pub use interleave::time::{Duration, Instant};

/// Errors, as tokio's `time::error`.
pub mod error {
    pub use interleave::future::time::Elapsed;
}
