//! `select!`, `join!`, `try_join!`, `task_local!` and `pin!`: `macro_rules!` that pass their
//! `$crate` to the engines, so that the expansion names this crate however it was renamed.

/// Waits on several futures at once and runs the handler of the first to complete (whose
/// value fits its pattern); the others are dropped first. Branches are polled from one the
/// strategy picks (a recorded random decision, as tokio picks at random), or in order with
/// `biased;`. `, if cond` disables a branch; `else =>` runs when every branch is disabled.
///
/// # Examples
///
/// ```
/// use interleave_tokio as tokio;
///
/// interleave::check(|| {
///     interleave::future::block_on(async {
///         let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
///         tx.send(7).await.unwrap();
///         let got = tokio::select! {
///             Some(v) = rx.recv() => v,
///             _ = tokio::time::sleep(tokio::time::Duration::from_secs(1)) => 0,
///         };
///         assert_eq!(got, 7);
///     });
/// });
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__private::select_impl! { { $crate } $($tokens)* }
    };
}

/// Polls every future on the current task until all complete; returns their outputs as a
/// tuple.
#[macro_export]
macro_rules! join {
    ($($tokens:tt)*) => {
        $crate::__private::join_impl! { { $crate } $($tokens)* }
    };
}

/// As `join!` for futures of `Result`s: the first `Err` returns at once (the other futures
/// are dropped), else `Ok` of the tuple.
#[macro_export]
macro_rules! try_join {
    ($($tokens:tt)*) => {
        $crate::__private::try_join_impl! { { $crate } $($tokens)* }
    };
}

/// Declares task-local keys, as tokio's: `task_local! { static ID: u32; }`, then
/// `ID.scope(7, fut).await` and `ID.get()` inside it.
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __KEY: $crate::__private::Slots<$t> =
                    const { ::std::cell::RefCell::new(::std::vec::Vec::new()) };
            }
            $crate::task::LocalKey { inner: __KEY }
        };
        $crate::task_local!($($rest)*);
    };
}

/// Pins values on the stack, as tokio's `pin!` (and `std::pin::pin!`).
#[macro_export]
macro_rules! pin {
    ($($x:ident),* $(,)?) => {
        $(let mut $x = ::core::pin::pin!($x);)*
    };
}
