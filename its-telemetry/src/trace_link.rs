//! Span links between requests and the GPU batches that serve them.
//!
//! A batch carries frames of many requests, so it cannot be the child of all of them: its
//! `infer {model}` span is the root of a trace of its own. OpenTelemetry models such fan-in
//! with **span links**: the batch span links to the span of every request whose frames it
//! carries, and each request's span links back to the batch (or batches) that served it, so a
//! slow request can be followed to its batch in the trace store and back.
//!
//! ```no_run
//! use its_telemetry::TraceLink;
//! # let model = its_telemetry::inference::ModelTelemetry::new("yolov8n", "1");
//! // In the request handler, inside its span: remember who asked.
//! let request = TraceLink::current();
//! // In the batcher, for the frames of several requests:
//! let batch = model.start_batch(8);
//! batch.link_requests([&request]);
//! let served_by = batch.trace_link();
//! batch.ok();
//! // Back in the request handler, still inside its span:
//! served_by.record_on_current();
//! ```
//!
//! Tail sampling judges each trace on its own: a collector keeping "every trace slower than
//! 100 ms" keeps a slow request's trace, and keeps the batch's trace only if the batch trace
//! itself qualifies (slow, failed, or in the probabilistic share). The link is recorded on
//! both sides, so whichever trace is kept names the other's ids. Each span keeps at most 128
//! links (the OpenTelemetry SDK's default span limit); more are dropped by the SDK.

use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::trace::{SpanContext, SpanId, TraceId};
#[cfg(feature = "traces")]
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The identity of one span, to link another span to it.
///
/// Empty when there was no exported span to point at: no current span, a span not known to
/// OpenTelemetry, or the `traces` feature compiled out. Recording an empty link does nothing,
/// which is right: there is nothing to point at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceLink {
    context: Option<SpanContext>,
}

impl TraceLink {
    /// The span the caller is in: the current `tracing` span, or else the OpenTelemetry span
    /// of the current context (what the SDK's HTTP server layer attaches while a handler runs).
    #[must_use]
    pub fn current() -> Self {
        let from_tracing = Self::of(&tracing::Span::current());
        if !from_tracing.is_empty() {
            return from_tracing;
        }
        Self::from_span_context(opentelemetry::Context::map_current(|cx| {
            cx.span().span_context().clone()
        }))
    }

    /// `span`'s identity.
    #[must_use]
    pub fn of(span: &tracing::Span) -> Self {
        #[cfg(feature = "traces")]
        {
            if span.is_disabled() {
                return Self::default();
            }
            let context = span.context();
            let span_context = context.span().span_context().clone();
            Self::from_span_context(span_context)
        }
        #[cfg(not(feature = "traces"))]
        {
            let _ = span;
            Self::default()
        }
    }

    /// A link to a span known only by its OpenTelemetry context (for example one extracted
    /// from a message header). Invalid contexts give an empty link.
    #[must_use]
    pub fn from_span_context(context: SpanContext) -> Self {
        Self {
            context: context.is_valid().then_some(context),
        }
    }

    /// True when there is no span to point at.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.context.is_none()
    }

    /// The trace the linked span belongs to.
    #[must_use]
    pub fn trace_id(&self) -> Option<TraceId> {
        self.context.as_ref().map(SpanContext::trace_id)
    }

    /// The linked span.
    #[must_use]
    pub fn span_id(&self) -> Option<SpanId> {
        self.context.as_ref().map(SpanContext::span_id)
    }

    /// The OpenTelemetry context of the linked span.
    #[must_use]
    pub fn span_context(&self) -> Option<&SpanContext> {
        self.context.as_ref()
    }

    /// Records on `span` a link to this span. Does nothing for an empty link or a disabled
    /// span; works on a span already entered or exported-to-be, as long as it has not ended.
    pub fn record_on(&self, span: &tracing::Span) {
        #[cfg(feature = "traces")]
        if let Some(context) = &self.context {
            if !span.is_disabled() {
                span.add_link(context.clone());
            }
        }
        #[cfg(not(feature = "traces"))]
        let _ = span;
    }

    /// Records a link to this span on the span the caller is in (as [`current`](Self::current)
    /// finds it): in a request handler behind the SDK's HTTP server layer, the server span.
    pub fn record_on_current(&self) {
        let Some(context) = &self.context else {
            return;
        };
        let span = tracing::Span::current();
        if Self::of(&span).is_empty() {
            opentelemetry::Context::map_current(|cx| {
                cx.span().add_link(context.clone(), Vec::new())
            });
        } else {
            self.record_on(&span);
        }
    }
}

#[cfg(all(test, feature = "traces"))]
mod tests {
    use super::*;
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    use tracing_subscriber::layer::SubscriberExt as _;

    fn with_exporter(f: impl FnOnce()) -> Vec<opentelemetry_sdk::trace::SpanData> {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, f);
        provider.force_flush().expect("flush");
        exporter.get_finished_spans().expect("spans")
    }

    #[test]
    fn links_resolve_both_ways() {
        let spans = with_exporter(|| {
            let request = tracing::info_span!("request");
            let request_link = request.in_scope(TraceLink::current);
            assert!(!request_link.is_empty());
            let batch = tracing::info_span!(parent: None, "batch");
            request_link.record_on(&batch);
            TraceLink::of(&batch).record_on(&request);
        });
        let request = spans.iter().find(|s| s.name == "request").expect("request");
        let batch = spans.iter().find(|s| s.name == "batch").expect("batch");
        assert_ne!(
            request.span_context.trace_id(),
            batch.span_context.trace_id()
        );
        assert_eq!(batch.links.links.len(), 1);
        assert_eq!(batch.links.links[0].span_context, request.span_context);
        assert_eq!(request.links.links.len(), 1);
        assert_eq!(request.links.links[0].span_context, batch.span_context);
    }

    #[test]
    fn a_batch_links_to_every_request_it_serves_and_each_request_back() {
        let model = crate::inference::ModelTelemetry::new("yolo", "1");
        let spans = with_exporter(|| {
            let requests: Vec<_> = (0..3).map(|i| tracing::info_span!("request", i)).collect();
            let links: Vec<_> = requests.iter().map(TraceLink::of).collect();
            let batch = model.start_batch(3);
            batch.link_requests(&links);
            let served_by = batch.trace_link();
            assert!(!served_by.is_empty());
            batch.ok();
            for request in &requests {
                served_by.record_on(request);
            }
        });
        let batch = spans
            .iter()
            .find(|s| s.name == "infer yolo")
            .expect("batch span");
        let requests: Vec<_> = spans.iter().filter(|s| s.name == "request").collect();
        assert_eq!(requests.len(), 3);
        let linked: Vec<_> = batch.links.links.iter().map(|l| &l.span_context).collect();
        for request in &requests {
            assert!(
                linked.contains(&&request.span_context),
                "batch misses a request link"
            );
            assert_eq!(request.links.links.len(), 1);
            assert_eq!(request.links.links[0].span_context, batch.span_context);
        }
    }

    #[test]
    fn without_a_tracing_span_the_opentelemetry_context_is_used() {
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(InMemorySpanExporter::default())
            .build();
        let exporter = InMemorySpanExporter::default();
        let linked = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let other = provider.tracer("t").start("elsewhere");
        let elsewhere = TraceLink::from_span_context(other.span_context().clone());
        {
            // As the HTTP server layer does: an OpenTelemetry span attached, no tracing span.
            let server = linked.tracer("t").start("server");
            let cx = opentelemetry::Context::current_with_span(server);
            let _attached = cx.clone().attach();
            let here = TraceLink::current();
            assert_eq!(here.span_context(), Some(cx.span().span_context()));
            elsewhere.record_on_current();
            cx.span().end();
        }
        let spans = exporter.get_finished_spans().expect("spans");
        assert_eq!(spans[0].links.links.len(), 1);
        assert_eq!(
            Some(&spans[0].links.links[0].span_context),
            elsewhere.span_context()
        );
    }

    #[test]
    fn outside_a_span_the_link_is_empty_and_recording_it_does_nothing() {
        let spans = with_exporter(|| {
            let link = TraceLink::current();
            assert!(link.is_empty());
            assert_eq!(link.trace_id(), None);
            let span = tracing::info_span!("lonely");
            link.record_on(&span);
        });
        assert!(spans[0].links.links.is_empty());
    }
}
