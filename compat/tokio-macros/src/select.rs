//! `select!`, `join!` and `try_join!`: each future pinned on the stack of the calling task and
//! polled by one `poll_fn`. `select!` starts from a branch the strategy picks (a recorded
//! random decision, as tokio picks one at random) unless `biased;`, and drops every future
//! before running the winning branch's handler, as tokio's does.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Expr, Pat, Token};

/// The `{ $crate }` group every engine input starts with.
fn split_crate(input: TokenStream) -> syn::Result<(TokenStream, TokenStream)> {
    let mut tokens = input.into_iter();
    match tokens.next() {
        Some(TokenTree::Group(group)) => Ok((group.stream(), tokens.collect())),
        _ => Err(syn::Error::new(
            Span::call_site(),
            "internal: the engine macros are called through interleave-tokio's select!/join!/try_join!",
        )),
    }
}

struct Branch {
    pattern: Pat,
    future: Expr,
    condition: Option<Expr>,
    handler: Expr,
}

struct Select {
    biased: bool,
    branches: Vec<Branch>,
    otherwise: Option<Expr>,
}

fn parse_select(input: ParseStream<'_>) -> syn::Result<Select> {
    let mut select = Select {
        biased: false,
        branches: Vec::new(),
        otherwise: None,
    };
    if input.peek(syn::Ident) && input.fork().parse::<Ident>()? == "biased" {
        input.parse::<Ident>()?;
        input.parse::<Token![;]>()?;
        select.biased = true;
    }
    while !input.is_empty() {
        if input.peek(Token![else]) {
            input.parse::<Token![else]>()?;
            input.parse::<Token![=>]>()?;
            let handler = parse_handler(input)?;
            if select.otherwise.replace(handler).is_some() {
                return Err(input.error("select! has more than one `else` branch"));
            }
            continue;
        }
        let pattern = Pat::parse_multi_with_leading_vert(input)?;
        input.parse::<Token![=]>()?;
        let future = input.parse::<Expr>()?;
        let condition = if input.peek(Token![,]) && input.peek2(Token![if]) {
            input.parse::<Token![,]>()?;
            input.parse::<Token![if]>()?;
            Some(input.parse::<Expr>()?)
        } else {
            None
        };
        input.parse::<Token![=>]>()?;
        let handler = parse_handler(input)?;
        select.branches.push(Branch {
            pattern,
            future,
            condition,
            handler,
        });
    }
    if select.branches.is_empty() {
        return Err(input.error("select! needs at least one branch"));
    }
    if select.branches.len() > 64 {
        return Err(input.error("select! supports at most 64 branches"));
    }
    Ok(select)
}

/// A handler: a block (the comma after it optional) or an expression followed by a comma or
/// the end.
fn parse_handler(input: ParseStream<'_>) -> syn::Result<Expr> {
    let handler: Expr = input.parse()?;
    let block = matches!(handler, Expr::Block(_));
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    } else if !block && !input.is_empty() {
        return Err(input.error("expected `,` after a select! branch's handler"));
    }
    Ok(handler)
}

/// A pattern matched by reference to test whether a value fits: bindings lose `mut` and
/// `ref` (the real match, by value, comes after).
struct Clean;

impl VisitMut for Clean {
    fn visit_pat_ident_mut(&mut self, i: &mut syn::PatIdent) {
        i.mutability = None;
        i.by_ref = None;
        syn::visit_mut::visit_pat_ident_mut(self, i);
    }
}

pub(crate) fn select(input: TokenStream) -> syn::Result<TokenStream> {
    let (krate, rest) = split_crate(input)?;
    let select = parse_select.parse2(rest)?;
    let n = select.branches.len();
    let variants: Vec<Ident> = (0..n).map(|i| format_ident!("_{}", i)).collect();
    let generics: Vec<Ident> = (0..n).map(|i| format_ident!("T{}", i)).collect();
    let futures: Vec<Ident> = (0..n)
        .map(|i| format_ident!("__select_future_{}", i))
        .collect();
    let mut pins = Vec::new();
    let mut conditions = Vec::new();
    let mut polls = Vec::new();
    let mut arms = Vec::new();
    for (i, branch) in select.branches.iter().enumerate() {
        let (future, variant, expr) = (&futures[i], &variants[i], &branch.future);
        pins.push(quote! {
            let mut #future = ::core::pin::pin!(::core::future::IntoFuture::into_future(#expr));
        });
        if let Some(condition) = &branch.condition {
            conditions.push(quote! {
                if !(#condition) {
                    __select_disabled[#i] = true;
                }
            });
        }
        let mut clean = branch.pattern.clone();
        Clean.visit_pat_mut(&mut clean);
        polls.push(quote! {
            #i => {
                if __select_disabled[#i] {
                    continue;
                }
                match ::core::future::Future::poll(#future.as_mut(), __select_cx) {
                    ::core::task::Poll::Ready(__select_value) => {
                        #[allow(unused_variables, unreachable_patterns, clippy::match_single_binding)]
                        match &__select_value {
                            #clean => {
                                return ::core::task::Poll::Ready(__SelectOut::#variant(__select_value));
                            }
                            _ => {
                                __select_disabled[#i] = true;
                                continue;
                            }
                        }
                    }
                    ::core::task::Poll::Pending => {
                        __select_pending = true;
                    }
                }
            }
        });
        let (pattern, handler) = (&branch.pattern, &branch.handler);
        arms.push(quote! { __SelectOut::#variant(#pattern) => #handler, });
    }
    let otherwise = match &select.otherwise {
        Some(handler) => quote! { #handler },
        None => quote! {
            ::core::panic!("all branches are disabled and there is no else branch")
        },
    };
    let start = if select.biased {
        quote! { 0 }
    } else {
        quote! { #krate::__private::select_start(#n) }
    };
    Ok(quote! {{
        #[allow(non_camel_case_types, dead_code)]
        enum __SelectOut<#(#generics),*> {
            #(#variants(#generics),)*
            Disabled,
        }
        let __select_out = {
            let mut __select_disabled = [false; #n];
            #(#conditions)*
            #(#pins)*
            let __select_start: usize = #start;
            ::core::future::poll_fn(|__select_cx| {
                let mut __select_pending = false;
                for __select_k in 0..#n {
                    match (__select_start + __select_k) % #n {
                        #(#polls)*
                        _ => ::core::unreachable!(),
                    }
                }
                if __select_pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(__SelectOut::Disabled)
                }
            })
            .await
        };
        #[allow(unreachable_patterns, unused_variables)]
        match __select_out {
            #(#arms)*
            __SelectOut::Disabled => #otherwise,
            _ => ::core::unreachable!("a select! value that did not fit its pattern was returned"),
        }
    }})
}

pub(crate) fn join(input: TokenStream, fallible: bool) -> syn::Result<TokenStream> {
    let (krate, rest) = split_crate(input)?;
    let _ = krate;
    let exprs: Vec<Expr> = Punctuated::<Expr, Token![,]>::parse_terminated
        .parse2(rest)?
        .into_iter()
        .collect();
    let n = exprs.len();
    let futures: Vec<Ident> = (0..n)
        .map(|i| format_ident!("__join_future_{}", i))
        .collect();
    let outputs: Vec<Ident> = (0..n)
        .map(|i| format_ident!("__join_output_{}", i))
        .collect();
    let mut polls = Vec::new();
    for (future, output) in futures.iter().zip(&outputs) {
        let store = if fallible {
            quote! {
                match __join_value {
                    ::core::result::Result::Ok(value) => #output = ::core::option::Option::Some(value),
                    ::core::result::Result::Err(error) => {
                        return ::core::task::Poll::Ready(::core::result::Result::Err(error));
                    }
                }
            }
        } else {
            quote! { #output = ::core::option::Option::Some(__join_value); }
        };
        polls.push(quote! {
            if #output.is_none() {
                match ::core::future::Future::poll(#future.as_mut(), __join_cx) {
                    ::core::task::Poll::Ready(__join_value) => { #store }
                    ::core::task::Poll::Pending => __join_done = false,
                }
            }
        });
    }
    let all = quote! { (#(#outputs.take().expect("joined once"),)*) };
    let ready = if fallible {
        quote! { ::core::result::Result::Ok(#all) }
    } else {
        all
    };
    Ok(quote! {{
        #(let mut #futures = ::core::pin::pin!(::core::future::IntoFuture::into_future(#exprs));)*
        #(let mut #outputs = ::core::option::Option::None;)*
        ::core::future::poll_fn(|__join_cx| {
            let mut __join_done = true;
            #(#polls)*
            if __join_done {
                ::core::task::Poll::Ready(#ready)
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }})
}
