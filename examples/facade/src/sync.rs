//! The facade: std's types in the library, interleave's in its tests.

#[cfg(not(test))]
pub(crate) use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(not(test))]
pub(crate) use std::sync::{Condvar, Mutex};
#[cfg(not(test))]
pub(crate) use std::time::Instant;

#[cfg(test)]
pub(crate) use interleave::sync::atomic::{AtomicBool, Ordering};
#[cfg(test)]
pub(crate) use interleave::sync::{Condvar, Mutex};
#[cfg(test)]
pub(crate) use interleave::time::Instant;
