//! Procedural macros for `its-telemetry`. Use them through the `its-telemetry` crate, which
//! re-exports them pinned to the same version and provides the runtime they expand to.
//!
//! The attribute runs parse → validate → expand, each step a `syn::Result`, so misuse is a
//! compile error pointing at the offending tokens.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitStr, Pat, ReturnType, Token, Type};

/// Instruments a model call as one inference batch.
///
/// See `its_telemetry::instrument_inference` for the documentation; this crate is its
/// implementation.
#[proc_macro_attribute]
pub fn instrument_inference(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = syn::parse::<Args>(args)
        .and_then(|args| {
            let item: ItemFn = syn::parse(item)?;
            let plan = validate(args, &item)?;
            Ok(expand(&plan, item))
        })
        .unwrap_or_else(syn::Error::into_compile_error);
    result.into()
}

/// One `key = value` or `key(...)` of the attribute.
enum Arg {
    Model(LitStr),
    Version(LitStr),
    Batch(Box<Expr>),
    Links(Box<Expr>),
    Skip(Vec<Ident>),
    SkipAll,
    Fields(TokenStream2),
}

struct Args {
    items: Vec<(Ident, Arg)>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut items = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            let arg = match key.to_string().as_str() {
                "model" | "version" => {
                    input.parse::<Token![=]>()?;
                    let lit: LitStr = input.parse()?;
                    if key == "model" {
                        Arg::Model(lit)
                    } else {
                        Arg::Version(lit)
                    }
                }
                "batch" => {
                    input.parse::<Token![=]>()?;
                    Arg::Batch(Box::new(input.parse()?))
                }
                "links" => {
                    input.parse::<Token![=]>()?;
                    Arg::Links(Box::new(input.parse()?))
                }
                "skip" => {
                    let content;
                    syn::parenthesized!(content in input);
                    let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
                    Arg::Skip(names.into_iter().collect())
                }
                "skip_all" => Arg::SkipAll,
                "fields" => {
                    let content;
                    syn::parenthesized!(content in input);
                    Arg::Fields(content.parse()?)
                }
                other => {
                    return Err(syn::Error::new_spanned(
                        &key,
                        format!(
                            "unknown argument `{other}`; expected model, version, batch, links, \
                             skip, skip_all or fields"
                        ),
                    ));
                }
            };
            items.push((key, arg));
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Self { items })
    }
}

/// What to generate, after every check passed.
struct Plan {
    model: LitStr,
    version: LitStr,
    batch: Option<Expr>,
    links: Option<Expr>,
    recorded_args: Vec<Ident>,
    fields: Option<TokenStream2>,
    returns_result: bool,
}

fn validate(args: Args, item: &ItemFn) -> syn::Result<Plan> {
    if let Some(constness) = &item.sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            "#[instrument_inference] cannot instrument a `const fn`: timing needs a clock",
        ));
    }
    let arg_names: Vec<Ident> = item
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Receiver(r) => Some(Ident::new("self", r.self_token.span)),
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(p) => Some(p.ident.clone()),
                _ => None,
            },
        })
        .collect();

    let (mut model, mut version, mut batch, mut links, mut fields) = (None, None, None, None, None);
    let mut skipped: Vec<Ident> = Vec::new();
    let mut skip_all = false;
    for (key, arg) in args.items {
        let duplicate = || syn::Error::new_spanned(&key, format!("`{key}` given twice"));
        match arg {
            Arg::Model(lit) => {
                if lit.value().trim().is_empty() {
                    return Err(syn::Error::new_spanned(lit, "`model` must not be empty"));
                }
                if model.replace(lit).is_some() {
                    return Err(duplicate());
                }
            }
            Arg::Version(lit) => {
                if version.replace(lit).is_some() {
                    return Err(duplicate());
                }
            }
            Arg::Batch(expr) => {
                if !mentions_any(expr.to_token_stream(), &arg_names) {
                    return Err(syn::Error::new_spanned(
                        &expr,
                        "`batch` must be computed from the function's arguments, e.g. \
                         `batch = frames.len()`",
                    ));
                }
                if batch.replace(*expr).is_some() {
                    return Err(duplicate());
                }
            }
            Arg::Links(expr) => {
                if !mentions_any(expr.to_token_stream(), &arg_names) {
                    return Err(syn::Error::new_spanned(
                        &expr,
                        "`links` must be computed from the function's arguments, e.g. \
                         `links = requests.iter().map(|r| &r.trace_link)`",
                    ));
                }
                if links.replace(*expr).is_some() {
                    return Err(duplicate());
                }
            }
            Arg::Skip(names) => {
                for name in names {
                    if !arg_names.contains(&name) {
                        return Err(syn::Error::new_spanned(
                            &name,
                            format!("`{name}` is not an argument of this function"),
                        ));
                    }
                    skipped.push(name);
                }
            }
            Arg::SkipAll => skip_all = true,
            Arg::Fields(tokens) => {
                if fields.replace(tokens).is_some() {
                    return Err(duplicate());
                }
            }
        }
    }
    let model = model.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "#[instrument_inference] needs `model = \"name\"`",
        )
    })?;
    let recorded_args = if skip_all {
        Vec::new()
    } else {
        arg_names
            .into_iter()
            .filter(|a| a != "self" && !skipped.contains(a))
            .collect()
    };
    Ok(Plan {
        version: version.unwrap_or_else(|| LitStr::new("unknown", Span::call_site())),
        model,
        batch,
        links,
        recorded_args,
        fields,
        returns_result: returns_result(&item.sig.output),
    })
}

/// Whether any identifier in `tokens` is one of `names`.
fn mentions_any(tokens: TokenStream2, names: &[Ident]) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => names.contains(&ident),
        TokenTree::Group(group) => mentions_any(group.stream(), names),
        _ => false,
    })
}

/// `Result<…>`, `io::Result<…>`, `anyhow::Result<…>`: anything whose last segment is `Result`.
fn returns_result(output: &ReturnType) -> bool {
    match output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
            _ => false,
        },
        ReturnType::Default => false,
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|t| matches!(t, TokenTree::Ident(ref i) if i == "impl"))
}

fn expand(plan: &Plan, mut item: ItemFn) -> TokenStream2 {
    let Plan {
        model,
        version,
        batch,
        links,
        recorded_args,
        fields,
        returns_result,
    } = plan;
    let private = quote!(::its_telemetry::__private);
    let batch = batch.as_ref().map_or_else(
        || quote!(1usize),
        |b| quote_spanned!(b.span()=> #private::batch_size(#b)),
    );
    let link_requests = links
        .as_ref()
        .map(|l| quote_spanned!(l.span()=> __its_batch.link_requests(#l);));
    let extra_fields = fields.as_ref().map(|f| quote!(, #f));
    let arg_fields = recorded_args.iter().map(|a| quote!(, #a = ?#a));
    let body = &item.block;
    let ret_ty = match &item.sig.output {
        ReturnType::Type(_, ty) if !contains_impl_trait(ty) => Some(quote!(#ty)),
        ReturnType::Default => Some(quote!(())),
        ReturnType::Type(..) => None,
    };
    let run = if item.sig.asyncness.is_some() {
        let annotation = ret_ty.as_ref().map(|t| quote!(: #t));
        quote! {
            let __its_result #annotation = #private::Instrument::instrument(
                async move #body,
                ::core::clone::Clone::clone(__its_batch.span()),
            )
            .await;
        }
    } else {
        let annotation = ret_ty.as_ref().map(|t| quote!(-> #t));
        quote! {
            let __its_result = {
                let __its_entered = __its_batch.span().enter();
                #[allow(clippy::redundant_closure_call)]
                (|| #annotation #body)()
            };
        }
    };
    let finish = if *returns_result {
        quote! {
            match &__its_result {
                ::core::result::Result::Ok(_) => __its_batch.ok(),
                ::core::result::Result::Err(__its_error) => {
                    #[allow(unused_imports)]
                    use #private::{ViaErrorReason as _, ViaTypeName as _};
                    __its_batch.error((&#private::Reason(__its_error)).__its_reason());
                }
            }
        }
    } else {
        quote!(__its_batch.ok();)
    };
    let new_body = quote! {{
        let __its_model = {
            static __ITS_MODEL: #private::OnceLock<#private::ModelTelemetry> = #private::OnceLock::new();
            __ITS_MODEL.get_or_init(|| #private::ModelTelemetry::new(#model, #version))
        };
        let __its_batch_size: usize = #batch;
        let __its_span = if #private::should_trace() {
            #private::tracing::info_span!(
                target: ::core::module_path!(),
                "infer",
                otel.name = __its_model.span_name(),
                model = #model,
                model.version = #version,
                batch.size = #private::span_count(__its_batch_size)
                #(#arg_fields)*
                #extra_fields
            )
        } else {
            #private::tracing::Span::none()
        };
        let __its_batch = __its_model.start_batch_in_span(__its_batch_size, __its_span);
        #link_requests
        #run
        #finish
        __its_result
    }};
    item.block = syn::parse2(new_body).unwrap_or_else(|e| {
        // Unreachable with well-formed input; surface it as a compile error rather than panic.
        let message = e.to_string();
        syn::parse_quote!({ ::core::compile_error!(#message) })
    });
    item.into_token_stream()
}
