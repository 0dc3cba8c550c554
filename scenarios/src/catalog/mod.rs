//! The catalog's entries, one file per category. Each bug is followed by its fixed twin; most
//! pairs share one body with a `FIXED` const parameter, so the twin differs from the bug only
//! where the fix is.

mod async_tasks;
mod atomicity;
mod channel;
mod condvar;
mod guard_lifetime;
mod livelock;
mod lock_order;
mod memory;
mod pool;
mod timeout;
mod tokio_api;
mod weak_memory;

use interleave::thread::{Builder, JoinHandle};

use crate::scenario::Scenario;

/// Every scenario, grouped by category, each bug followed by its fixed twin.
pub fn catalog() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(lock_order::scenarios());
    all.extend(guard_lifetime::scenarios());
    all.extend(condvar::scenarios());
    all.extend(channel::scenarios());
    all.extend(atomicity::scenarios());
    all.extend(memory::scenarios());
    all.extend(pool::scenarios());
    all.extend(livelock::scenarios());
    all.extend(timeout::scenarios());
    all.extend(async_tasks::scenarios());
    all.extend(tokio_api::scenarios());
    all.extend(weak_memory::scenarios());
    all
}

/// Spawns a named thread (the name is what reports show), as `thread::Builder` does.
#[track_caller]
fn spawn<T, F>(name: &str, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("interleave never fails to spawn")
}
