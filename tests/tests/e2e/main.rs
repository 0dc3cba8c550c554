//! End-to-end tests: one binary, one module per area.

mod async_tasks;
mod catalog;
mod catalog_long;
mod channels_atomics_cells;
mod check;
mod child;
mod ci;
mod condvar_rwlock_barrier_once;
mod coverage;
mod determinism;
mod dpor;
mod fingerprints;
mod futurelock;
mod jobs;
mod ledger_baseline;
mod limits;
mod locals;
mod loom_patch;
mod memory;
mod real_threads;
mod reports;
mod robustness;
mod spin;
mod time;
mod weak_memory;
