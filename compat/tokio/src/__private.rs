//! What the macros expand to. Not a public API.

pub use interleave::future::{select_start, Slots};
pub use interleave_tokio_macros::{join_impl, select_impl, try_join_impl};

use std::fmt::Debug;
use std::future::Future;

/// Runs an async test as an interleave check (the check is named after the test).
pub fn run_test(body: impl Fn() + Send + Sync + 'static) {
    interleave::check(body);
}

/// Runs `future` on a fresh runtime: a multi-thread one with `workers` workers (`block_on`
/// polls beside them), or a current-thread one.
#[track_caller]
pub fn block_on<F: Future>(multi_thread: bool, workers: usize, future: F) -> F::Output {
    let runtime = if multi_thread {
        interleave::future::Runtime::multi_thread(workers)
    } else {
        interleave::future::Runtime::new(1)
    };
    runtime.block_on(future)
}

/// What an async test may return: `()` or a `Result` whose `Err` fails the execution.
pub trait TestOutput {
    /// Panics on an error (a panic finding of the execution).
    fn check(self);
}

impl TestOutput for () {
    fn check(self) {}
}

impl<E: Debug> TestOutput for Result<(), E> {
    #[track_caller]
    fn check(self) {
        if let Err(error) = self {
            panic!("the test returned Err({error:?})");
        }
    }
}
