//! End-to-end tests: one binary, one module per area.

mod catalog;
mod check;
mod child;
mod channels_atomics_cells;
mod condvar_rwlock_barrier_once;
