//! loom's API on interleave: rename one dependency and a crate's loom tests run under
//! interleave, unchanged.
//!
//! ```toml
//! [target.'cfg(loom)'.dev-dependencies]
//! loom = { package = "interleave-loom", version = "0.1" }
//! ```
//!
//! Every type is interleave's (or a thin shell over it), so a loom test gets interleave's
//! exploration, detector and reports: the exhaustive search, then PCT and random scheduling
//! taking turns ([`model::Builder::check`]; a preemption bound makes it the bounded exhaustive
//! search, as loom's), lock-order cycles found before they deadlock, use after free and double free of [`alloc`] memory as findings, virtual time, no
//! thread cap, and an artifact that replays a failure exactly.
//!
//! ```
//! use loom::sync::atomic::{AtomicUsize, Ordering};
//! use loom::sync::Arc;
//! use loom::thread;
//! # use interleave_loom as loom;
//!
//! loom::model(|| {
//!     let counter = Arc::new(AtomicUsize::new(0));
//!     let c = Arc::clone(&counter);
//!     let t = thread::spawn(move || c.fetch_add(1, Ordering::AcqRel));
//!     counter.fetch_add(1, Ordering::AcqRel);
//!     t.join().unwrap();
//!     assert_eq!(counter.load(Ordering::Acquire), 2);
//! });
//! ```
//!
//! A lost update (a load and a store where a `fetch_add` was needed) fails the test with
//! interleave's report:
//!
//! ```should_panic(expected = "panic in thread")
//! use loom::sync::atomic::{AtomicUsize, Ordering};
//! use loom::sync::Arc;
//! use loom::thread;
//! # use interleave_loom as loom;
//!
//! loom::model(|| {
//!     let counter = Arc::new(AtomicUsize::new(0));
//!     let c = Arc::clone(&counter);
//!     let t = thread::spawn(move || {
//!         let n = c.load(Ordering::Acquire);
//!         c.store(n + 1, Ordering::Release);
//!     });
//!     let n = counter.load(Ordering::Acquire);
//!     counter.store(n + 1, Ordering::Release);
//!     t.join().unwrap();
//!     assert_eq!(counter.load(Ordering::Acquire), 2);
//! });
//! ```
//!
//! `docs/loom.md` in the repository covers the switch, what maps to what, and what differs.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod alloc;
pub mod cell;
pub mod future;
pub mod hint;
pub mod lazy_static;
pub mod model;
pub mod sync;
pub mod thread;

pub use model::model;

/// loom's cap on the threads of a model, main thread included. interleave has no cap; the
/// constant is loom's value, for code that sizes its tables by it.
pub const MAX_THREADS: usize = 5;

/// loom: start exploring schedules again after [`stop_exploring`]. Accepted; interleave
/// explores every scheduling point (see `docs/loom.md`).
pub fn explore() {}

/// loom: do not branch on the schedules from here until [`explore`]. Accepted; interleave
/// explores every scheduling point, which finds at least what loom finds (see `docs/loom.md`).
pub fn stop_exploring() {}

/// loom: do not explore the schedules that branch from here. Accepted; interleave explores
/// them (see `docs/loom.md`).
pub fn skip_branch() {}

/// loom's `thread_local!`: a [`thread::LocalKey`] with one value per modelled thread and
/// execution.
#[macro_export]
macro_rules! thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => (
        $crate::__thread_local_inner!($(#[$attr])* $vis $name, $t, $init);
        $crate::thread_local!($($rest)*);
    );
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr) => (
        $crate::__thread_local_inner!($(#[$attr])* $vis $name, $t, $init);
    );
}

#[macro_export]
#[doc(hidden)]
macro_rules! __thread_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty, $init:expr) => {
        $(#[$attr])* $vis static $name: $crate::thread::LocalKey<$t> =
            $crate::thread::LocalKey {
                init: (|| { $init }) as fn() -> $t,
                _p: ::std::marker::PhantomData,
            };
    };
}

/// loom's `lazy_static!`: one value per execution, made on first use.
#[macro_export]
macro_rules! lazy_static {
    ($(#[$attr:meta])* static ref $N:ident : $T:ty = $e:expr; $($t:tt)*) => {
        $crate::__lazy_static_internal!($(#[$attr])* () static ref $N : $T = $e; $($t)*);
    };
    ($(#[$attr:meta])* pub static ref $N:ident : $T:ty = $e:expr; $($t:tt)*) => {
        $crate::__lazy_static_internal!($(#[$attr])* (pub) static ref $N : $T = $e; $($t)*);
    };
    ($(#[$attr:meta])* pub ($($vis:tt)+) static ref $N:ident : $T:ty = $e:expr; $($t:tt)*) => {
        $crate::__lazy_static_internal!($(#[$attr])* (pub ($($vis)+)) static ref $N : $T = $e; $($t)*);
    };
    () => ()
}

#[macro_export]
#[doc(hidden)]
macro_rules! __lazy_static_internal {
    ($(#[$attr:meta])* ($($vis:tt)*) static ref $N:ident : $T:ty = $init:expr; $($t:tt)*) => {
        #[allow(missing_copy_implementations)]
        #[allow(non_camel_case_types)]
        #[allow(dead_code)]
        $(#[$attr])*
        $($vis)* struct $N {__private_field: ()}
        #[doc(hidden)]
        $($vis)* static $N: $N = $N {__private_field: ()};
        impl ::core::ops::Deref for $N {
            type Target = $T;
            fn deref(&self) -> &$T {
                #[inline(always)]
                fn __static_ref_initialize() -> $T { $init }

                #[inline(always)]
                fn __stability() -> &'static $T {
                    static LAZY: $crate::lazy_static::Lazy<$T> =
                        $crate::lazy_static::Lazy {
                            init: __static_ref_initialize,
                            _p: ::core::marker::PhantomData,
                        };
                    LAZY.get()
                }
                __stability()
            }
        }
        $crate::lazy_static!($($t)*);
    };
    () => ()
}
