//! Client layer → server layer (axum, over real HTTP) → OTLP receiver: one trace with the right
//! parent chain and semantic-convention attributes, metrics on both sides with the right labels
//! and an exposition that `promtool check metrics` accepts.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{ServiceBuilder, ServiceExt as _};
use tracing::Instrument as _;

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::http::{
    CLIENT_REQUEST_DURATION, SERVER_ACTIVE_REQUESTS, SERVER_REQUEST_DURATION,
};
use its_telemetry::http::{ClientLayer, ServerLayer};
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::otlp::{OtlpReceiver, ReceivedSpan};
use its_telemetry_tests::promtool;

const SPAN_KIND_SERVER: i32 = 2;
const SPAN_KIND_CLIENT: i32 = 3;
const STATUS_CODE_ERROR: i32 = 2;

fn find<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.span.name == name)
        .unwrap_or_else(|| panic!("no span {name:?} in {:#?}", names(spans)))
}

fn names(spans: &[ReceivedSpan]) -> Vec<&str> {
    spans.iter().map(|s| s.span.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_from_client_through_server() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("gateway")
        .otlp_endpoint(receiver.endpoint())
        .no_metrics_listener()
        .log_filter("info") // the root `tracing` span is at INFO
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init(config).expect("init");

    let app = Router::new()
        .route("/v1/detect/{camera}", get(|| async { "detections" }))
        .route(
            "/v1/boom",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "model server down") }),
        )
        .route("/metrics", get(|| async { "skipped" }))
        // Header capture is opt-in; this test checks the recorded id.
        .layer(ServerLayer::new().record_request_id(true));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>());
    let get = |path: &str, request_id: Option<&str>| {
        let mut builder = http::Request::get(format!("http://{addr}{path}"));
        if let Some(id) = request_id {
            builder = builder.header("x-request-id", id);
        }
        builder.body(Full::new(Bytes::new())).expect("request")
    };

    let batch = tracing::info_span!("upload_batch");
    let (ok, boom, missing, scrape) = async {
        let ok = client
            .clone()
            .oneshot(get("/v1/detect/cam-17", Some("req-abc-123")))
            .await
            .expect("ok response");
        let boom = client
            .clone()
            .oneshot(get("/v1/boom", None))
            .await
            .expect("500");
        let missing = client
            .clone()
            .oneshot(get("/no/such/path", None))
            .await
            .expect("404");
        let scrape = client
            .clone()
            .oneshot(get("/metrics", None))
            .await
            .expect("200");
        (ok, boom, missing, scrape)
    }
    .instrument(batch)
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(boom.status(), 500);
    assert_eq!(missing.status(), 404);
    assert_eq!(
        ok.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"req-abc-123"[..]),
        "the caller's request id is echoed"
    );
    let generated = boom.headers().get("x-request-id").expect("generated id");
    assert_eq!(generated.len(), 32);
    assert!(
        scrape.headers().get("x-request-id").is_none(),
        "skipped path"
    );

    let exposition = guard.render_metrics().expect("metrics enabled");
    server.abort();
    drop(guard); // flushes the spans

    // Root, 4 client spans, 3 server spans (the scrape is skipped).
    let spans = receiver.wait_for_spans(8, Duration::from_secs(10)).await;
    let root = find(&spans, "upload_batch");
    let server_ok = find(&spans, "GET /v1/detect/{camera}");
    let server_boom = find(&spans, "GET /v1/boom");
    let server_missing = spans
        .iter()
        .find(|s| s.span.name == "GET" && s.span.kind == SPAN_KIND_SERVER)
        .expect("unmatched server span is named after the method");
    let clients: Vec<_> = spans
        .iter()
        .filter(|s| s.span.kind == SPAN_KIND_CLIENT)
        .collect();
    assert_eq!(clients.len(), 4, "{:#?}", names(&spans));
    assert_eq!(
        spans
            .iter()
            .filter(|s| s.span.kind == SPAN_KIND_SERVER)
            .count(),
        3,
        "no span for the skipped /metrics"
    );
    for span in &spans {
        assert_eq!(
            span.trace_id(),
            root.trace_id(),
            "one trace: {}",
            span.span.name
        );
        assert_eq!(span.service_name.as_deref(), Some("gateway"));
    }
    for server in [server_ok, server_boom, server_missing] {
        let client = clients
            .iter()
            .find(|c| c.span_id() == server.parent_span_id())
            .unwrap_or_else(|| panic!("{} has no client parent", server.span.name));
        assert_eq!(client.parent_span_id(), root.span_id());
        assert_eq!(client.span.name, "GET");
        assert_eq!(
            client.attribute("http.request.method").as_deref(),
            Some("GET")
        );
        assert_eq!(
            client.attribute("server.address").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            client.attribute("server.port"),
            Some(addr.port().to_string())
        );
        assert_eq!(
            client.attribute("http.response.status_code"),
            server.attribute("http.response.status_code")
        );
    }

    assert_eq!(
        server_ok.attribute("http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(
        server_ok.attribute("http.route").as_deref(),
        Some("/v1/detect/{camera}")
    );
    assert_eq!(
        server_ok.attribute("url.path").as_deref(),
        Some("/v1/detect/cam-17")
    );
    assert_eq!(server_ok.attribute("url.scheme").as_deref(), Some("http"));
    assert_eq!(
        server_ok.attribute("http.response.status_code").as_deref(),
        Some("200")
    );
    let request_id = server_ok
        .attribute("http.request.header.x-request-id")
        .expect("request id attribute");
    assert!(request_id.contains("\"req-abc-123\""), "{request_id}");
    assert_eq!(server_ok.status_code(), 0, "2xx leaves the status unset");
    assert_eq!(
        server_boom.status_code(),
        STATUS_CODE_ERROR,
        "5xx is an error"
    );
    assert_eq!(server_boom.attribute("error.type").as_deref(), Some("500"));
    assert_eq!(server_missing.status_code(), 0, "4xx is not a server error");
    assert_eq!(server_missing.attribute("http.route"), None);
    let client_missing = clients
        .iter()
        .find(|c| c.span_id() == server_missing.parent_span_id())
        .expect("client of the 404");
    assert_eq!(
        client_missing.status_code(),
        STATUS_CODE_ERROR,
        "4xx is a client error"
    );

    let findings = promtool::check_metrics(&exposition);
    assert!(findings.is_empty(), "promtool: {findings}\n{exposition}");
    let parsed = Exposition::parse(&exposition);
    let count =
        |metric: &str, labels: &[(&str, &str)]| parsed.sum(&format!("{metric}_count"), labels);
    let server = SERVER_REQUEST_DURATION.name;
    let server_labels = |route, status, error| {
        [
            ("http_request_method", "GET"),
            ("http_route", route),
            ("http_response_status_code", status),
            ("error_type", error),
        ]
    };
    assert_eq!(
        count(server, &server_labels("/v1/detect/{camera}", "200", "")),
        1.0
    );
    assert_eq!(count(server, &server_labels("/v1/boom", "500", "500")), 1.0);
    assert_eq!(
        count(server, &server_labels("", "404", "")),
        1.0,
        "{exposition}"
    );
    assert!(
        parsed.series(&format!("{server}_count")).all(|s| s
            .labels
            .get("http_route")
            .map(String::as_str)
            != Some("/metrics")),
        "skipped paths are not recorded"
    );
    let client = CLIENT_REQUEST_DURATION.name;
    let client_labels = |status, error| {
        [
            ("http_request_method", "GET"),
            ("server_address", "127.0.0.1"),
            ("http_response_status_code", status),
            ("error_type", error),
        ]
    };
    assert_eq!(count(client, &client_labels("200", "")), 2.0, "ok + scrape");
    assert_eq!(count(client, &client_labels("500", "500")), 1.0);
    assert_eq!(count(client, &client_labels("404", "404")), 1.0);
    let active: Vec<_> = parsed.series(SERVER_ACTIVE_REQUESTS.name).collect();
    assert!(!active.is_empty(), "{exposition}");
    assert!(active.iter().all(|s| s.value == 0.0), "{active:?}");
}
