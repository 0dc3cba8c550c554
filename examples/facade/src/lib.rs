//! A small library written against std's API and tested with interleave through the facade of
//! `docs/guide.md` (`src/sync.rs`): a bounded blocking [`Queue`] and a one-shot [`Signal`].
//!
//! Its ordinary unit tests run on real threads, with real timeouts, and its interleave checks
//! explore the same code: the queue is clean under every schedule tried, and the signal's seeded
//! bug (a notification sent without the lock, which a waiter can miss) is found.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

mod queue;
mod signal;
mod sync;

pub use queue::{PopTimeout, Queue};
pub use signal::Signal;
