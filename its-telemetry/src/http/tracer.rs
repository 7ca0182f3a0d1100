//! The tracer the HTTP layers open spans with, bound on a layer's first request.
//!
//! When [`crate::try_init`] installed the SDK's tracer provider (or the application passed its
//! own to [`set_tracer_provider`]), the layers hold the SDK's own tracer: its spans are built in
//! place, where the global tracer boxes every span behind a trait object (about 20 ns a
//! request, BENCHMARKS.md). Otherwise they use whatever global provider is installed, or none.

use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::trace::{Span, SpanBuilder, TraceContextExt as _, Tracer};
use opentelemetry::{Context, InstrumentationScope, KeyValue};

use super::INSTRUMENTATION_SCOPE;

/// A layer's tracer.
#[derive(Debug)]
pub(crate) enum LayerTracer {
    /// The SDK tracer of the provider `try_init` installed.
    #[cfg(feature = "traces")]
    Sdk(opentelemetry_sdk::trace::SdkTracer),
    /// The global provider's tracer.
    Global(BoxedTracer),
}

/// The provider of [`set_tracer_provider`] (the latest, when it was called twice).
#[cfg(feature = "traces")]
static INSTALLED: std::sync::RwLock<Option<opentelemetry_sdk::trace::SdkTracerProvider>> =
    std::sync::RwLock::new(None);

/// Makes the HTTP layers bound from now on (a layer binds on its first request) open their
/// spans with `provider`'s tracer, held as the SDK's own type: no span is boxed, which saves
/// about 20 ns a request. [`crate::try_init`] does this for the provider it installs; call it
/// when your application builds and installs its own SDK provider. Layers bound before keep
/// their tracer; without a call they use the global provider.
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder().build();
/// opentelemetry::global::set_tracer_provider(provider.clone());
/// its_telemetry::http::set_tracer_provider(&provider);
/// ```
#[cfg(feature = "traces")]
pub fn set_tracer_provider(provider: &opentelemetry_sdk::trace::SdkTracerProvider) {
    *INSTALLED
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(provider.clone());
}

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder(INSTRUMENTATION_SCOPE)
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

impl LayerTracer {
    /// The tracer of the provider of [`set_tracer_provider`], else the global provider's.
    pub(crate) fn bind() -> Self {
        #[cfg(feature = "traces")]
        {
            use opentelemetry::trace::TracerProvider as _;
            let installed = INSTALLED
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(provider) = installed.as_ref() {
                return Self::Sdk(provider.tracer_with_scope(scope()));
            }
        }
        Self::Global(global::tracer_with_scope(scope()))
    }

    /// Starts the span `builder` describes under `parent`. Returns the context the request runs
    /// in and whether the span records; `attributes` is called only when it does.
    pub(crate) fn start(
        &self,
        builder: SpanBuilder,
        parent: &Context,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> (Context, bool) {
        match self {
            #[cfg(feature = "traces")]
            Self::Sdk(tracer) => start_with(tracer, builder, parent, attributes),
            Self::Global(tracer) => start_with(tracer, builder, parent, attributes),
        }
    }
}

fn start_with<T>(
    tracer: &T,
    builder: SpanBuilder,
    parent: &Context,
    attributes: impl FnOnce() -> Vec<KeyValue>,
) -> (Context, bool)
where
    T: Tracer,
    T::Span: Send + Sync + 'static,
{
    let mut span = tracer.build_with_context(builder, parent);
    if span.is_recording() {
        span.set_attributes(attributes());
        (parent.with_span(span), true)
    } else {
        // A span that records nothing carries only its span context to children and downstream
        // services: the context holds that alone, without the span's box and lock.
        (
            parent.with_remote_span_context(span.span_context().clone()),
            false,
        )
    }
}
