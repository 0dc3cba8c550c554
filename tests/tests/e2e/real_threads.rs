//! interleave's primitives outside any check: real OS threads with std's semantics, online
//! lock-order detection, realized deadlocks reported instead of hung, and a clear error when an
//! object is shared between a check and real threads.
//!
//! The lock-order graph is process-wide and these tests share the process with every other
//! test of this binary: each test that takes locks in a bad order does so under
//! `online::scoped(Mode::Warn)` (or `Off`), on its own threads, with its own creation sites, and
//! reads back only the findings that name its own threads; the default mode (`panic`) is
//! tested in child processes.

mod mixed;
mod online;
mod primitives;

use interleave::Finding;

/// The message of a panic payload.
fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "<not a string>".to_owned(), |m| (*m).to_owned()),
    }
}

/// The findings reported on real threads in this process that involve the thread `name`.
fn reported_for(name: &str) -> Vec<Finding> {
    interleave::online::reported()
        .into_iter()
        .filter(|f| f.threads.iter().any(|t| t.name == name))
        .collect()
}
