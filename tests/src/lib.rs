//! End-to-end tests across the interleave crates: they live in `tests/e2e/`, built as one test
//! binary with one submodule per area. This library is empty on purpose.

#![warn(missing_docs)]
