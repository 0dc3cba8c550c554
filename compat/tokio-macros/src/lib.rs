//! The macros of `interleave-tokio`: `#[test]` and `#[main]` (attributes), and the engines of
//! its `select!`, `join!` and `try_join!` (which `interleave-tokio` wraps in `macro_rules!`
//! that pass their `$crate`, so that the generated code names the facade however the user
//! renamed it). Use them through `interleave-tokio`, not directly.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod entry;
mod select;

/// Marks an async test to run as an interleave check: each execution builds the runtime anew
/// (`flavor = "current_thread"`, the default, is one worker; `flavor = "multi_thread"` has
/// `worker_threads` workers, 2 by default, and the body polls beside them, as tokio's
/// `block_on` does) and runs the body on it. `crate = "path"` names the
/// facade if it is not `tokio` (`#[interleave_tokio::test(crate = "interleave_tokio")]`).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args.into(), item.into(), entry::Kind::Test)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Marks `async fn main`: builds the runtime and blocks on the body, inside a check only
/// (outside one the runtime refuses to start, with a message saying so).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args.into(), item.into(), entry::Kind::Main)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `select!`'s engine: `{ $crate } branches…`.
#[doc(hidden)]
#[proc_macro]
pub fn select_impl(input: TokenStream) -> TokenStream {
    select::select(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `join!`'s engine: `{ $crate } futures…`.
#[doc(hidden)]
#[proc_macro]
pub fn join_impl(input: TokenStream) -> TokenStream {
    select::join(input.into(), false)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `try_join!`'s engine: `{ $crate } futures…`.
#[doc(hidden)]
#[proc_macro]
pub fn try_join_impl(input: TokenStream) -> TokenStream {
    select::join(input.into(), true)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
