//! The facade's primitives used by a test that is not a check, under real tokio (a library
//! built with the facade, tested by an ordinary `#[tokio::test]`): each refuses with what went
//! wrong and where, instead of failing inside the engine or with a message saying the opposite.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The panic message of `body` run to completion on a real tokio runtime.
fn refusal<F: Future>(body: impl FnOnce() -> F) -> String {
    let runtime = real_tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Err(payload) = catch_unwind(AssertUnwindSafe(|| runtime.block_on(body()))) else {
        panic!("not refused outside a check");
    };
    match (
        payload.downcast_ref::<String>(),
        payload.downcast_ref::<&str>(),
    ) {
        (Some(message), _) => message.clone(),
        (None, Some(message)) => (*message).to_owned(),
        (None, None) => panic!("a panic without a message"),
    }
}

const WHY: &str = "was used outside an interleave check";

#[test]
fn async_primitives_outside_a_check_say_so_and_where() {
    let cases: [(&str, String); 7] = [
        (
            "an async lock or semaphore",
            refusal(|| async {
                let m = interleave_tokio::sync::Mutex::new(0);
                *m.lock().await += 1;
            }),
        ),
        (
            "an async lock or semaphore",
            refusal(|| async {
                let s = interleave_tokio::sync::Semaphore::new(1);
                drop(s.acquire().await);
            }),
        ),
        (
            "an async channel",
            refusal(|| async {
                let (tx, _rx) = interleave_tokio::sync::mpsc::channel::<u8>(1);
                tx.send(1).await.unwrap();
            }),
        ),
        (
            "a oneshot channel",
            refusal(|| async {
                let (tx, _rx) = interleave_tokio::sync::oneshot::channel::<u8>();
                let _ = tx.send(1);
            }),
        ),
        (
            "a `Notify`",
            refusal(|| async { interleave_tokio::sync::Notify::new().notify_one() }),
        ),
        (
            "interleave::future::spawn (`tokio::spawn` through interleave-tokio)",
            refusal(|| async { drop(interleave_tokio::spawn(async {})) }),
        ),
        (
            "a `LocalSet`",
            refusal(|| async { drop(interleave_tokio::task::LocalSet::new()) }),
        ),
    ];
    for (what, message) in cases {
        assert!(
            message.starts_with(&format!("{what} {WHY}, at compat/tokio/tests/outside.rs:")),
            "{message}"
        );
        assert!(
            message.contains("docs/tokio.md, \"Tests that are not checks\""),
            "{message}"
        );
    }
}
