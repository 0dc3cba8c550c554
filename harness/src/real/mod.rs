//! Real threads: what interleave's primitives do outside an execution. They run on the OS's
//! threads, backed by parking_lot and std, while the lock-order analysis runs online (as
//! lockdep does) and a watchdog turns a realized deadlock into a report.
//!
//! Whether a call is inside an execution is a thread-local (`rt::in_execution`): the same
//! binary runs checks and ordinary tests side by side.

mod deadlock;
mod held;
mod lock;
mod mode;
mod monitor;

pub(crate) use held::{lock_class, site, spawned_at, thread_key, Held};
pub(crate) use lock::{acquire, release, Contended, Wait};
pub(crate) use mode::{inherit, inherited};
pub use mode::{mode, scoped, set_mode, Mode, ModeGuard};
pub use monitor::reported;
