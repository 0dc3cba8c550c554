//! `#[test]` and `#[main]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Test,
    Main,
}

/// What the attribute's arguments say.
struct Args {
    multi_thread: bool,
    workers: Option<usize>,
    krate: syn::Path,
}

fn parse_args(args: TokenStream, kind: Kind) -> syn::Result<Args> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut parsed = Args {
        multi_thread: kind == Kind::Main,
        workers: None,
        krate: syn::parse_quote!(::tokio),
    };
    for meta in metas {
        let Meta::NameValue(nv) = &meta else {
            return Err(syn::Error::new_spanned(
                meta,
                "expected `flavor = \"…\"`, `worker_threads = N`, `start_paused = bool` or `crate = \"…\"`",
            ));
        };
        let name = nv
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let Expr::Lit(ExprLit { lit, .. }) = &nv.value else {
            return Err(syn::Error::new_spanned(&nv.value, "expected a literal"));
        };
        match (name.as_str(), lit) {
            ("flavor", Lit::Str(s)) => {
                parsed.multi_thread = match s.value().as_str() {
                    "current_thread" => false,
                    "multi_thread" => true,
                    other => {
                        return Err(syn::Error::new_spanned(
                            s,
                            format!("unknown flavor `{other}`: expected `current_thread` or `multi_thread`"),
                        ))
                    }
                }
            }
            ("worker_threads", Lit::Int(n)) => {
                let n: usize = n.base10_parse()?;
                if n == 0 {
                    return Err(syn::Error::new_spanned(lit, "worker_threads must be at least 1"));
                }
                parsed.workers = Some(n);
            }
            // Virtual time is always paused: the clock moves only when timers fire.
            ("start_paused", Lit::Bool(_)) => {}
            ("crate", Lit::Str(s)) => parsed.krate = s.parse()?,
            _ => {
                return Err(syn::Error::new_spanned(
                    &nv.path,
                    format!("unknown or mistyped argument `{name}`: expected `flavor = \"…\"`, `worker_threads = N`, `start_paused = bool` or `crate = \"…\"`"),
                ))
            }
        }
    }
    if parsed.workers.is_some() && !parsed.multi_thread {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "worker_threads needs flavor = \"multi_thread\" (a current_thread runtime has one worker)",
        ));
    }
    Ok(parsed)
}

pub(crate) fn expand(args: TokenStream, item: TokenStream, kind: Kind) -> syn::Result<TokenStream> {
    let args = parse_args(args, kind)?;
    let mut function: ItemFn = syn::parse2(item)?;
    if function.sig.asyncness.take().is_none() {
        return Err(syn::Error::new_spanned(
            function.sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    let workers = if args.multi_thread {
        args.workers.unwrap_or(2)
    } else {
        1
    };
    let multi_thread = args.multi_thread;
    let krate = &args.krate;
    let attrs = &function.attrs;
    let vis = &function.vis;
    let name = &function.sig.ident;
    let output = &function.sig.output;
    let body = &function.block;
    let expanded = match kind {
        Kind::Test => quote! {
            #[::core::prelude::v1::test]
            #(#attrs)*
            #vis fn #name() {
                async fn __interleave_body() #output #body
                #krate::__private::run_test(|| {
                    #krate::__private::TestOutput::check(
                        #krate::__private::block_on(#multi_thread, #workers, __interleave_body()),
                    )
                });
            }
        },
        Kind::Main => quote! {
            #(#attrs)*
            #vis fn #name() #output {
                async fn __interleave_body() #output #body
                #krate::__private::block_on(#multi_thread, #workers, __interleave_body())
            }
        },
    };
    Ok(expanded)
}
