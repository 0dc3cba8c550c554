//! loom's `thread`: interleave's threads, with loom's `spawn` bound and per-thread locals.

pub use interleave::local::{AccessError, LocalKey};
pub use interleave::thread::{current, park, yield_now, Builder, JoinHandle, Thread, ThreadId};
pub use std::thread::panicking;

/// Spawns a thread of the model. As loom's, it needs only `'static` (no `Send`): every thread of
/// an execution runs on one OS thread.
///
/// # Panics
///
/// Outside [`model`](crate::model), as loom's.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    interleave::thread::spawn_modelled(f)
}
