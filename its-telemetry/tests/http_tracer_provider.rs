//! `http::set_tracer_provider` (what `try_init` calls for the provider it installs): layers bound
//! after it record to that provider, not to the global one; the inner service runs in the
//! request's context both in `call` and in its future; and a sampled-out request, whose context
//! holds only its span context, still runs in it and propagates it as not sampled.
//!
//! One test, in its own process: the provider is process-wide state.
#![cfg(feature = "traces")]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};

use http::{HeaderMap, Request, Response};
use its_telemetry::http::propagation::TraceParent;
use its_telemetry::http::{ClientLayer, ServerLayer};
use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanKind, TraceContextExt as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, Sampler, SdkTracerProvider};
use tower_layer::Layer as _;
use tower_service::Service;

const ROUTE: &str = "/v1/detect/{camera}";

/// A downstream service that keeps the headers it was sent.
#[derive(Clone, Default)]
struct Downstream(Arc<Mutex<Vec<HeaderMap>>>);

impl Service<Request<()>> for Downstream {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<()>) -> Self::Future {
        self.0
            .lock()
            .expect("not poisoned")
            .push(req.headers().clone());
        std::future::ready(Ok(Response::new(())))
    }
}

/// A handler that notes the span context it runs in and calls downstream through the client
/// layer.
#[derive(Clone)]
struct Handler {
    client: its_telemetry::http::client::ClientService<Downstream>,
    seen: Arc<Mutex<Vec<SpanContext>>>,
}

impl Service<Request<()>> for Handler {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<()>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        // Work done in `call` (a `TraceLayer` opens its span here) runs in the request's
        // context too, not only the future's polls.
        self.seen
            .lock()
            .expect("not poisoned")
            .push(Context::current().span().span_context().clone());
        let mut client = self.client.clone();
        let seen = self.seen.clone();
        Box::pin(async move {
            tokio::task::yield_now().await; // a later poll: the layer attaches it again
            seen.lock()
                .expect("not poisoned")
                .push(Context::current().span().span_context().clone());
            let req = Request::get("http://detector.internal/v1/infer")
                .body(())
                .expect("request");
            client.call(req).await
        })
    }
}

/// The route extractor: every request matched [`ROUTE`].
type Route = fn(&Request<()>) -> Option<&'static str>;

struct Stack {
    server: its_telemetry::http::server::ServerService<
        Handler,
        Route,
        (),
        its_telemetry::http::server::SkipPaths,
    >,
    downstream: Downstream,
    seen: Arc<Mutex<Vec<SpanContext>>>,
}

/// New layers (they bind their tracer on their first request) around a handler.
fn stack() -> Stack {
    let downstream = Downstream::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler = Handler {
        client: ClientLayer::new().layer(downstream.clone()),
        seen: seen.clone(),
    };
    let route: Route = |_| Some(ROUTE);
    Stack {
        server: ServerLayer::new().route_extractor(route).layer(handler),
        downstream,
        seen,
    }
}

async fn post(stack: &mut Stack) {
    let req = Request::post("http://gateway.internal/v1/detect/cam-7")
        .body(())
        .expect("request");
    let response = stack.server.call(req).await.expect("handled");
    assert!(response.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn layers_record_to_the_provider_they_are_given() {
    // The global provider is someone else's; ours is handed to the layers.
    let global = InMemorySpanExporter::default();
    let global_provider = SdkTracerProvider::builder()
        .with_simple_exporter(global.clone())
        .build();
    opentelemetry::global::set_tracer_provider(global_provider);
    let ours = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(ours.clone())
        .build();
    its_telemetry::http::set_tracer_provider(&provider);

    let mut sampled = stack();
    post(&mut sampled).await;
    let spans = ours.get_finished_spans().expect("spans");
    let names: Vec<_> = spans
        .iter()
        .map(|s| (s.name.as_ref(), s.span_kind.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("GET", SpanKind::Client),
            ("POST /v1/detect/{camera}", SpanKind::Server)
        ],
        "both layers' spans go to the provider they were given"
    );
    assert!(
        global.get_finished_spans().expect("spans").is_empty(),
        "nothing goes to the global provider"
    );
    let server = &spans[1];
    assert_eq!(spans[0].parent_span_id, server.span_context.span_id());
    let seen = sampled.seen.lock().expect("not poisoned").clone();
    assert_eq!(
        seen,
        [server.span_context.clone(), server.span_context.clone()]
    );
    assert!(
        server
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "http.route")
    );

    // Sampled out: the context holds the span context alone; the handler still runs in it and
    // the outgoing call carries it, not sampled, so the next service drops it too.
    let dropped = InMemorySpanExporter::default();
    let off = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
        .with_simple_exporter(dropped.clone())
        .build();
    its_telemetry::http::set_tracer_provider(&off);
    let mut unsampled = stack();
    post(&mut unsampled).await;
    let seen = unsampled.seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 2, "in `call` and in the future");
    assert!(seen[0].is_valid() && !seen[0].is_sampled(), "{:?}", seen[0]);
    assert_eq!(seen[0], seen[1]);
    let sent = unsampled.downstream.0.lock().expect("not poisoned").clone();
    let traceparent = sent[0].get("traceparent").expect("traceparent sent");
    let parent = TraceParent::parse(traceparent.as_bytes()).expect("valid traceparent");
    assert_eq!(parent.trace_id, seen[0].trace_id());
    assert!(!parent.sampled());
    assert!(dropped.get_finished_spans().expect("spans").is_empty());
    // The first stack is bound to the first provider for good.
    post(&mut sampled).await;
    assert_eq!(ours.get_finished_spans().expect("spans").len(), 4);
}
