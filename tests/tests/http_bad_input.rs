//! Hostile requests: malformed, oversized and non-UTF-8 headers, unknown methods, a flood of
//! distinct raw paths, and a client that goes away mid-request. No panic, bounded labels, a
//! valid new trace, and every request recorded once.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{HeaderValue, Request};
use tower::{Service as _, ServiceExt};

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::http::{SERVER_ACTIVE_REQUESTS, SERVER_REQUEST_DURATION};
use its_telemetry::http::ServerLayer;
use its_telemetry::http::server::RouteExtractor;
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::otlp::OtlpReceiver;
use its_telemetry_tests::promtool;

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const ROUTE_LIMIT: usize = 50;

/// A careless extractor that hands out raw paths: the cardinality guard must still bound them.
#[derive(Clone)]
struct RawPath;

impl<B> RouteExtractor<B> for RawPath {
    fn route<'a>(&'a self, req: &'a Request<B>) -> Option<&'a str> {
        Some(req.uri().path())
    }
}

fn app() -> Router {
    Router::new()
        .route("/v1/cameras/{id}", get(|| async { "camera" }))
        .route("/v1/hang", get(std::future::pending::<&'static str>))
        .layer(ServerLayer::new())
}

fn distinct_values(exposition: &Exposition, label: &str, filter: &[(&str, &str)]) -> Vec<String> {
    let mut values: Vec<String> = exposition
        .series(&format!("{}_count", SERVER_REQUEST_DURATION.name))
        .filter(|s| {
            filter
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .filter_map(|s| s.labels.get(label).cloned())
        .collect();
    values.sort();
    values.dedup();
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_stay_bounded_and_start_new_traces() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("edge")
        .otlp_endpoint(receiver.endpoint())
        .no_metrics_listener()
        .log_filter("warn")
        .cardinality_limit_for(SERVER_REQUEST_DURATION.name, ROUTE_LIMIT)
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init(config).expect("init");
    let app = app();

    // Unknown method, and malformed trace context / request ids of every kind.
    let bad_headers: Vec<(&str, HeaderValue)> = vec![
        (
            "traceparent",
            HeaderValue::from_static("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
        ),
        (
            "traceparent",
            HeaderValue::from_static("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ),
        (
            "traceparent",
            HeaderValue::from_static("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ),
        (
            "traceparent",
            HeaderValue::from_str(&"0".repeat(16 * 1024)).expect("ascii"),
        ),
        (
            "traceparent",
            HeaderValue::from_bytes(
                b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902\xff\xfe-01",
            )
            .expect("opaque bytes"),
        ),
        (
            "x-request-id",
            HeaderValue::from_bytes(b"\xff\xfe not utf-8").expect("opaque bytes"),
        ),
        (
            "x-request-id",
            HeaderValue::from_str(&"r".repeat(10_000)).expect("ascii"),
        ),
        (
            "tracestate",
            HeaderValue::from_bytes(b"a=\xff").expect("opaque bytes"),
        ),
    ];
    for (name, value) in bad_headers {
        let req = Request::builder()
            .method(http::Method::from_bytes(b"BREW").expect("token"))
            .uri("/v1/cameras/cam-1")
            .header(name, value)
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(req).await.expect("infallible");
        let id = response.headers().get("x-request-id").expect("request id");
        assert_eq!(id.len(), 32, "a bad request id is replaced: {id:?}");
    }

    // A valid traceparent with an invalid tracestate keeps the trace, drops the state.
    let req = Request::get("/v1/cameras/cam-2")
        .header(
            "traceparent",
            format!("00-{CALLER_TRACE}-00f067aa0ba902b7-01"),
        )
        .header("tracestate", "Bad Key=1")
        .body(Body::empty())
        .expect("request");
    app.clone().oneshot(req).await.expect("infallible");

    // These spans come first: the floods below overrun the exporter's bounded queue, which
    // then drops the newest spans, not these.

    // 10 000 distinct raw paths, half of them matching a route template.
    for i in 0..10_000 {
        let path = if i % 2 == 0 {
            format!("/v1/cameras/cam-{i}")
        } else {
            format!("/random/{i}/x")
        };
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert!(response.status() == 200 || response.status() == 404);
    }

    // A client that gives up: the handler never finishes, the future is dropped after one poll.
    let mut svc = app.clone();
    {
        let future = ServiceExt::<Request<Body>>::ready(&mut svc)
            .await
            .expect("ready")
            .call(
                Request::get("/v1/hang")
                    .body(Body::empty())
                    .expect("request"),
            );
        let mut future = std::pin::pin!(future);
        tokio::select! {
            biased;
            _ = &mut future => panic!("the handler never completes"),
            () = std::future::ready(()) => {}
        }
    } // the pending request future is dropped here

    // The same flood through an extractor that returns raw paths (on POST, to tell them apart).
    // It runs last: the route budget is per metric, and it would use up what remains.
    let raw = Router::new()
        .fallback(|| async { "anything" })
        .layer(ServerLayer::new().route_extractor(RawPath));
    for i in 0..10_000 {
        let req = Request::post(format!("/raw/{i}"))
            .body(Body::empty())
            .expect("request");
        raw.clone().oneshot(req).await.expect("infallible");
    }

    let text = guard.render_metrics().expect("metrics enabled");
    drop(guard);
    let findings = promtool::check_metrics(&text);
    assert!(findings.is_empty(), "promtool: {findings}");
    let exposition = Exposition::parse(&text);

    let get_routes = distinct_values(&exposition, "http_route", &[("http_request_method", "GET")]);
    assert_eq!(
        get_routes,
        ["", "/v1/cameras/{id}", "/v1/hang"],
        "raw paths never become routes"
    );
    let raw_routes = distinct_values(
        &exposition,
        "http_route",
        &[("http_request_method", "POST")],
    );
    assert!(
        raw_routes.len() <= ROUTE_LIMIT + 1 && raw_routes.contains(&"_overflow".to_owned()),
        "{} raw-path route values: bounded by the guard plus `_overflow`",
        raw_routes.len()
    );
    let methods = distinct_values(&exposition, "http_request_method", &[]);
    assert_eq!(methods, ["GET", "POST", "_OTHER"]);

    let cancelled = distinct_values(&exposition, "error_type", &[("http_route", "/v1/hang")]);
    assert_eq!(cancelled, ["cancelled"], "a dropped request is recorded");
    let hang_count: f64 = exposition
        .series(&format!("{}_count", SERVER_REQUEST_DURATION.name))
        .filter(|s| s.labels.get("http_route").map(String::as_str) == Some("/v1/hang"))
        .map(|s| s.value)
        .sum();
    assert_eq!(hang_count, 1.0, "recorded exactly once");
    assert!(
        exposition
            .series(SERVER_ACTIVE_REQUESTS.name)
            .all(|s| s.value == 0.0),
        "the dropped request left the active gauge"
    );

    let spans = receiver.wait_for_spans(2048, Duration::from_secs(10)).await;
    let other: Vec<_> = spans
        .iter()
        .filter(|s| s.span.name == "HTTP /v1/cameras/{id}")
        .collect();
    assert_eq!(other.len(), 8, "unknown methods name the span HTTP");
    for span in &other {
        assert!(
            span.parent_span_id().is_empty(),
            "a bad traceparent starts a new trace"
        );
        assert_eq!(span.trace_id().len(), 32);
        assert_ne!(span.trace_id(), CALLER_TRACE);
        assert_ne!(span.trace_id(), "0".repeat(32));
        assert_eq!(
            span.attribute("http.request.method").as_deref(),
            Some("_OTHER")
        );
        assert_eq!(
            span.attribute("http.request.method_original").as_deref(),
            Some("BREW")
        );
    }
    let joined = spans
        .iter()
        .find(|s| s.attribute("url.path").as_deref() == Some("/v1/cameras/cam-2"))
        .expect("span of the request with a valid traceparent");
    assert_eq!(joined.trace_id(), CALLER_TRACE);
    assert_eq!(joined.parent_span_id(), "00f067aa0ba902b7");
    assert!(
        joined.span.trace_state.is_empty(),
        "invalid tracestate dropped"
    );
}
