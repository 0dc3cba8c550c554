//! tokio's API on interleave: real tokio code runs under interleave's exploration, virtual
//! clock and detector by renaming one dependency.
//!
//! ```toml
//! [features]
//! interleave = ["dep:interleave-tokio"]
//!
//! [dependencies]
//! tokio = { version = "1", features = ["full"] }
//!
//! [dev-dependencies]
//! # the same code, tested under interleave: `cargo test --features interleave`
//! interleave-tokio = { path = "…", optional = true }
//! ```
//!
//! and, in the crate root, `#[cfg(feature = "interleave")] extern crate interleave_tokio as
//! tokio;` — `docs/tokio.md` gives the complete recipes. Every model, analysis and report is
//! the harness's (`interleave::future`); this crate maps tokio's names onto it.
//!
//! `#[tokio::test]` becomes an interleave check: each execution builds the runtime anew and
//! runs the body on it.
//!
//! ```
//! use interleave_tokio as tokio;
//! use std::sync::Arc;
//!
//! #[tokio::test(crate = "tokio")]
//! async fn two_tasks_count() {
//!     let count = Arc::new(tokio::sync::Mutex::new(0));
//!     let c = Arc::clone(&count);
//!     let task = tokio::spawn(async move { *c.lock().await += 1 });
//!     *count.lock().await += 1;
//!     task.await.unwrap();
//!     assert_eq!(*count.lock().await, 2);
//! }
//! # two_tasks_count();
//! ```
//!
//! Outside a check nothing pretends: a runtime refuses to start, with a message saying so
//! (keep real tokio for production builds).
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

mod macros;
pub mod runtime;
pub mod sync;
pub mod task;
pub mod time;

pub use interleave_tokio_macros::{main, test};
pub use task::spawn;

#[doc(hidden)]
pub mod __private;
