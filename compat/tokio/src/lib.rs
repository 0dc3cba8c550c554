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
//! runs the body on it (`crate = "…"` is needed only when the facade is not named `tokio`).
//!
//! ```no_run
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
//! ```
//!
//! The same by hand, as the attribute expands it:
//!
//! ```
//! use interleave_tokio as tokio;
//! use std::sync::Arc;
//!
//! interleave::check(|| {
//!     let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//!     rt.block_on(async {
//!         let count = Arc::new(tokio::sync::Mutex::new(0));
//!         let c = Arc::clone(&count);
//!         let task = tokio::spawn(async move { *c.lock().await += 1 });
//!         *count.lock().await += 1;
//!         task.await.unwrap();
//!         assert_eq!(*count.lock().await, 2);
//!     });
//! });
//! ```
//!
//! Two tasks taking two `tokio::sync::Mutex`es in opposite orders fail the check:
//!
//! ```should_panic(expected = "potential deadlock: lock-order cycle between 2 threads")
//! use interleave_tokio as tokio;
//! use std::sync::Arc;
//!
//! interleave::Config::random(100).name("tokio_ab_ba").write_artifact(false).check(|| {
//!     let rt = tokio::runtime::Builder::new_multi_thread().build().unwrap();
//!     rt.block_on(async {
//!         let (a, b) = (Arc::new(tokio::sync::Mutex::new(())), Arc::new(tokio::sync::Mutex::new(())));
//!         let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
//!         let task = tokio::spawn(async move {
//!             let _b = b2.lock().await;
//!             let _a = a2.lock().await;
//!         });
//!         {
//!             let _a = a.lock().await;
//!             let _b = b.lock().await;
//!         }
//!         task.await.unwrap();
//!     });
//! });
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
mod unmodelled;

pub use interleave_tokio_macros::{main, test};
pub use task::spawn;
pub use unmodelled::{fs, io, net};

#[doc(hidden)]
pub mod __private;
