//! What the tests that compare the model with real tokio share: `program!` expands one body
//! twice, in `real` with the real tokio and in `model` with interleave-tokio, both named
//! `tokio`; `real` runs a program under real tokio, `outputs` collects what it gives under
//! interleave, and `agree_with` asserts that real tokio's output is the model's only one.

#![allow(dead_code, reason = "each test file uses some of these")]

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex as StdMutex};

/// Expands `$body` (which defines `async fn program() -> $out`) under both tokios.
macro_rules! program {
    ($name:ident; $($body:tt)*) => {
        mod $name {
            pub(crate) mod real {
                #[allow(unused_imports)]
                use real_tokio as tokio;
                $($body)*
            }
            pub(crate) mod model {
                #[allow(unused_imports)]
                use interleave_tokio as tokio;
                $($body)*
            }
        }
    };
}

/// The program's output under real tokio: a current-thread runtime with the clock paused
/// (time auto-advances to the next timer when idle, as interleave's virtual clock does).
pub(crate) fn real<F: Future>(program: impl FnOnce() -> F) -> F::Output {
    real_tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(program())
}

/// Every output `program` gives over the executions of a check under `config`.
pub(crate) fn outputs<T>(
    config: interleave::Config,
    program: impl Fn() -> T + Send + Sync + 'static,
) -> BTreeSet<T>
where
    T: Ord + Send + Debug + 'static,
{
    let outputs = Arc::new(StdMutex::new(BTreeSet::new()));
    let sink = Arc::clone(&outputs);
    config.write_artifact(false).check(move || {
        let out = program();
        sink.lock().unwrap().insert(out);
    });
    Arc::try_unwrap(outputs).unwrap().into_inner().unwrap()
}

/// Real tokio's output is the model's only one, the model run on a current-thread runtime
/// (`block_on`) under `config`.
pub(crate) fn agree_with<T, F, G>(
    config: interleave::Config,
    real_program: impl FnOnce() -> G,
    model_program: fn() -> F,
) where
    T: Ord + Send + Debug + 'static,
    F: Future<Output = T> + 'static,
    G: Future<Output = T>,
{
    let expected = real(real_program);
    let seen = outputs(
        config,
        move || interleave::future::block_on(model_program()),
    );
    assert_eq!(seen, BTreeSet::from([expected]));
}
