//! In one run: the per-request cost of our `ServerLayer` over a bare tower service,
//! against `opentelemetry-instrumentation-tower` (alone, and with tower-http's x-request-id
//! layers, which do what ours does besides) and against tower-http's `TraceLayer` +
//! tracing-opentelemetry + a small `metrics` layer. Goal (issue 13): our overhead ≤ 0.3× the
//! OTel tower middleware's.
//!
//! Same conditions for every variant: one Prometheus recorder installed globally; a global OTel
//! tracer provider sampling `ParentBased(AlwaysOff)` (handed to our layers too, as `try_init`
//! does with the provider it installs) (requests carry no `traceparent`, so none is
//! sampled, as in a head-sampling service between sampled requests) and the W3C propagator; a
//! `tracing` subscriber with the tracing-opentelemetry layer on that provider. The OTel middleware
//! records its metrics through a global `SdkMeterProvider` (a periodic reader that does not fire during the run), so it
//! does its metric work; `otel_tower_noop_meter` shows it without. Every request is built inside
//! the timed loop and its future polled to completion in place (the handler is ready at once),
//! so no executor is measured.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::http::{SERVER_ACTIVE_REQUESTS, SERVER_REQUEST_DURATION};
use its_telemetry::http::ServerLayer;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tower::{Layer, Service, ServiceBuilder};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tracing_subscriber::layer::SubscriberExt as _;

const ROUTE: &str = "/v1/cameras/{id}";

/// The handler: answers at once (its future is `Ready`, so every variant polls it once).
fn handler(_req: Request<String>) -> std::future::Ready<Result<Response<String>, Infallible>> {
    std::future::ready(Ok(Response::new(String::new())))
}

fn request() -> Request<String> {
    Request::get("http://cameras.its.internal/v1/cameras/cam-17")
        .header(http::header::USER_AGENT, "its-gateway/1.0")
        .body(String::new())
        .expect("valid request")
}

/// Calls the service with a fresh request and polls the response future to completion.
fn call<S, B>(service: &mut S) -> Response<B>
where
    S: Service<Request<String>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    let mut future = pin!(service.call(black_box(request())));
    loop {
        if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
            return result.expect("infallible handler");
        }
    }
}

/// A small hand-written metrics layer, as a service would write one next to `TraceLayer`: the
/// duration histogram and the active-requests gauge, labels built per request the usual way.
#[derive(Clone)]
struct MetricsLayer;

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MetricsService { inner }
    }
}

#[derive(Clone)]
struct MetricsService<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for MetricsService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Unpin,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = MetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let method = req.method().to_string();
        let active = metrics::gauge!(
            SERVER_ACTIVE_REQUESTS.name,
            SERVER_ACTIVE_REQUESTS.labels[0] => method.clone()
        );
        active.increment(1.0);
        MetricsFuture {
            inner: self.inner.call(req),
            start: Instant::now(),
            method,
            active,
        }
    }
}

struct MetricsFuture<F> {
    inner: F,
    start: Instant,
    method: String,
    active: metrics::Gauge,
}

impl<F, RB, E> Future for MetricsFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = std::task::ready!(std::pin::Pin::new(&mut self.inner).poll(cx));
        let (status, error) = match &result {
            Ok(r) if r.status().is_server_error() => (r.status().as_str().to_owned(), "500"),
            Ok(r) => (r.status().as_str().to_owned(), ""),
            Err(_) => (String::new(), "_OTHER"),
        };
        let keys = SERVER_REQUEST_DURATION.labels;
        let labels = [
            (keys[0], std::mem::take(&mut self.method)),
            (keys[1], ROUTE.to_owned()),
            (keys[2], status),
            (keys[3], error.to_owned()),
        ];
        metrics::histogram!(SERVER_REQUEST_DURATION.name, &labels)
            .record(self.start.elapsed().as_secs_f64());
        self.active.decrement(1.0);
        Poll::Ready(result)
    }
}

/// An exporter that drops what it gets; the reader's interval is longer than the run, so the
/// SDK only aggregates, as it does between two exports in a service.
struct Discard;

impl PushMetricExporter for Discard {
    async fn export(&self, _: &ResourceMetrics) -> OTelSdkResult {
        Ok(())
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

fn benches(c: &mut Criterion) {
    let recorder = its_telemetry::prometheus::build_recorder(&TelemetryConfig::default());
    metrics::set_global_recorder(recorder).expect("first recorder in this process");
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
        .build();
    // As `try_init` installs its provider: the global one, and the one our layers use typed.
    opentelemetry::global::set_tracer_provider(provider.clone());
    its_telemetry::http::set_tracer_provider(&provider);
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
    let _default = tracing::subscriber::set_default(subscriber);

    let mut group = c.benchmark_group("http_server_request");

    let mut bare = tower::service_fn(handler);
    group.bench_function("bare_service", |b| b.iter(|| call(&mut bare)));

    let mut ours = ServiceBuilder::new()
        .layer(ServerLayer::new().route_extractor(|_: &Request<String>| Some(ROUTE)))
        .service_fn(handler);
    group.bench_function("its_telemetry_server_layer", |b| b.iter(|| call(&mut ours)));

    // The OTel middleware binds its meter when the layer is built: build it with no meter
    // provider first (no-op instruments), then with the SDK's.
    let otel_layer = || {
        opentelemetry_instrumentation_tower::http::server::LayerBuilder::builder()
            .with_route_extractor_fn(|_: &Request<String>| Some(ROUTE.to_owned()))
            .build()
            .expect("layer")
    };
    let mut otel_noop_meter = ServiceBuilder::new()
        .layer(otel_layer())
        .service_fn(handler);
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(
            PeriodicReader::builder(Discard)
                .with_interval(Duration::from_secs(3600))
                .build(),
        )
        .build();
    opentelemetry::global::set_meter_provider(meter_provider.clone());
    let mut otel = ServiceBuilder::new()
        .layer(otel_layer())
        .service_fn(handler);
    group.bench_function("otel_tower_middleware", |b| b.iter(|| call(&mut otel)));
    // The same middleware with tower-http's x-request-id layers (generate a UUID when the
    // request has none, put it on the request, echo it on the response): the work our layer
    // does besides, for a like-for-like figure beside the goal's anchor.
    let mut otel_request_id = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(otel_layer())
        .service_fn(handler);
    group.bench_function("otel_tower_middleware_with_request_id", |b| {
        b.iter(|| call(&mut otel_request_id))
    });
    group.bench_function("otel_tower_noop_meter", |b| {
        b.iter(|| call(&mut otel_noop_meter))
    });

    let mut trace_layer = ServiceBuilder::new()
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(MetricsLayer)
        .service_fn(handler);
    group.bench_function("tower_http_trace_and_metrics", |b| {
        b.iter(|| call(&mut trace_layer))
    });
    group.finish();
    drop(meter_provider);
}

criterion_group!(http_layer, benches);
criterion_main!(http_layer);
