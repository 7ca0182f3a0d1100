//! A tonic (gRPC) service behind the server layer, called through a tonic client behind the
//! client layer, over real HTTP/2: the server span continues the client's trace and is current in
//! the handler, `http.route` is the gRPC method's path, failed calls (HTTP 200 with a
//! `grpc-status` in the head) are told apart, and the metrics on both sides pass promtool.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tower::Layer as _;
use tracing::Instrument as _;

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::http::{
    CLIENT_REQUEST_DURATION, SERVER_ACTIVE_REQUESTS, SERVER_REQUEST_DURATION,
};
use its_telemetry::http::server::GrpcRoute;
use its_telemetry::http::{ClientLayer, ServerLayer};
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::otlp::{OtlpReceiver, ReceivedSpan};
use its_telemetry_tests::promtool;

const ROUTE: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const SPAN_KIND_SERVER: i32 = 2;
const SPAN_KIND_CLIENT: i32 = 3;
const STATUS_CODE_ERROR: i32 = 2;
/// Request metadata that makes the service fail with the named code.
const FAIL_WITH: &str = "x-fail-with";

/// The gRPC service under test: notes the trace id current in the handler, and fails on demand.
#[derive(Clone, Default)]
struct Collector {
    seen_trace_ids: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let trace_id = opentelemetry::Context::current()
            .span()
            .span_context()
            .trace_id()
            .to_string();
        self.seen_trace_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(trace_id);
        match request.metadata().get(FAIL_WITH).map(|v| v.as_bytes()) {
            Some(b"unavailable") => Err(tonic::Status::unavailable("model server down")),
            Some(b"invalid_argument") => Err(tonic::Status::invalid_argument("empty batch")),
            _ => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
        }
    }
}

fn request(fail_with: Option<&'static str>) -> tonic::Request<ExportTraceServiceRequest> {
    let mut request = tonic::Request::new(ExportTraceServiceRequest::default());
    if let Some(code) = fail_with {
        request
            .metadata_mut()
            .insert(FAIL_WITH, code.parse().expect("ascii metadata"));
    }
    request
}

fn grpc_code(span: &ReceivedSpan) -> Option<String> {
    span.attribute("rpc.grpc.status_code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_calls_are_traced_and_recorded_on_both_sides() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("detector")
        .otlp_endpoint(receiver.endpoint())
        .no_metrics_listener()
        .log_filter("info") // the root `tracing` span is at INFO
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init(config).expect("init");

    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(ServerLayer::new().route_extractor(GrpcRoute))
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(incoming),
    );

    let origin = format!("http://{addr}");
    let channel = tonic::transport::Endpoint::from_shared(origin.clone())
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    // The origin puts the server's address on the request URI, for `server.address`.
    let mut client = TraceServiceClient::with_origin(
        ClientLayer::new().layer(channel),
        origin.parse().expect("uri"),
    );

    let batch = tracing::info_span!("forward_batch");
    let (ok, unavailable, invalid) = async {
        let ok = client.export(request(None)).await;
        let unavailable = client.export(request(Some("unavailable"))).await;
        let invalid = client.export(request(Some("invalid_argument"))).await;
        (ok, unavailable, invalid)
    }
    .instrument(batch)
    .await;
    let ok = ok.expect("ok call");
    assert_eq!(
        unavailable.expect_err("fails").code(),
        tonic::Code::Unavailable
    );
    assert_eq!(
        invalid.expect_err("fails").code(),
        tonic::Code::InvalidArgument
    );
    let request_id = ok
        .metadata()
        .get("x-request-id")
        .expect("the server layer echoes a request id");
    assert_eq!(request_id.len(), 32, "{request_id:?}");

    let exposition = guard.render_metrics().expect("metrics enabled");
    server.abort();
    drop(guard); // flushes the spans

    // The root, 3 client spans, 3 server spans.
    let spans = receiver.wait_for_spans(7, Duration::from_secs(10)).await;
    let names: Vec<&str> = spans.iter().map(|s| s.span.name.as_str()).collect();
    let root = spans
        .iter()
        .find(|s| s.span.name == "forward_batch")
        .unwrap_or_else(|| panic!("no root span in {names:?}"));
    let servers: Vec<_> = spans
        .iter()
        .filter(|s| s.span.kind == SPAN_KIND_SERVER)
        .collect();
    let clients: Vec<_> = spans
        .iter()
        .filter(|s| s.span.kind == SPAN_KIND_CLIENT)
        .collect();
    assert_eq!(servers.len(), 3, "{names:?}");
    assert_eq!(clients.len(), 3, "{names:?}");
    for span in &spans {
        assert_eq!(span.trace_id(), root.trace_id(), "one trace: {names:?}");
    }
    let seen = collector
        .seen_trace_ids
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert_eq!(
        seen,
        vec![root.trace_id(); 3],
        "the server span is current in the handler"
    );

    for server in &servers {
        assert_eq!(server.span.name, format!("POST {ROUTE}"));
        assert_eq!(server.attribute("http.route").as_deref(), Some(ROUTE));
        assert_eq!(server.attribute("url.path").as_deref(), Some(ROUTE));
        assert_eq!(
            server.attribute("http.request.method").as_deref(),
            Some("POST")
        );
        assert_eq!(
            server.attribute("network.protocol.version").as_deref(),
            Some("2")
        );
        assert_eq!(
            server.attribute("http.response.status_code").as_deref(),
            Some("200")
        );
        let client = clients
            .iter()
            .find(|c| c.span_id() == server.parent_span_id())
            .unwrap_or_else(|| panic!("server span without a client parent: {names:?}"));
        assert_eq!(client.parent_span_id(), root.span_id());
        assert_eq!(client.span.name, "POST");
        assert_eq!(
            client.attribute("server.address").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(grpc_code(client), grpc_code(server));
    }
    let by_code = |code: Option<&str>| {
        servers
            .iter()
            .copied()
            .find(|s| grpc_code(s).as_deref() == code)
            .unwrap_or_else(|| panic!("no server span with grpc code {code:?}"))
    };
    let client_of = |server: &ReceivedSpan| {
        clients
            .iter()
            .copied()
            .find(|c| c.span_id() == server.parent_span_id())
            .expect("client parent")
    };
    let server_ok = by_code(None);
    assert_eq!(server_ok.status_code(), 0);
    assert_eq!(server_ok.attribute("error.type"), None);
    assert_eq!(client_of(server_ok).status_code(), 0);

    let server_unavailable = by_code(Some("14"));
    assert_eq!(server_unavailable.status_code(), STATUS_CODE_ERROR);
    assert_eq!(
        server_unavailable.attribute("error.type").as_deref(),
        Some("UNAVAILABLE")
    );
    assert_eq!(
        client_of(server_unavailable).status_code(),
        STATUS_CODE_ERROR
    );

    // INVALID_ARGUMENT is the caller's fault: an error for the client, not for the server.
    let server_invalid = by_code(Some("3"));
    assert_eq!(server_invalid.status_code(), 0);
    assert_eq!(server_invalid.attribute("error.type"), None);
    let client_invalid = client_of(server_invalid);
    assert_eq!(client_invalid.status_code(), STATUS_CODE_ERROR);
    assert_eq!(
        client_invalid.attribute("error.type").as_deref(),
        Some("INVALID_ARGUMENT")
    );

    let findings = promtool::check_metrics(&exposition);
    assert!(findings.is_empty(), "promtool: {findings}\n{exposition}");
    let parsed = Exposition::parse(&exposition);
    let count =
        |metric: &str, labels: &[(&str, &str)]| parsed.sum(&format!("{metric}_count"), labels);
    let server = SERVER_REQUEST_DURATION.name;
    let server_labels = |error| {
        [
            ("http_request_method", "POST"),
            ("http_route", ROUTE),
            ("http_response_status_code", "200"),
            ("error_type", error),
        ]
    };
    assert_eq!(
        count(server, &server_labels("")),
        2.0,
        "ok and INVALID_ARGUMENT\n{exposition}"
    );
    assert_eq!(count(server, &server_labels("UNAVAILABLE")), 1.0);
    assert_eq!(count(server, &[]), 3.0, "nothing else: {exposition}");
    let client = CLIENT_REQUEST_DURATION.name;
    let client_labels = |error| {
        [
            ("http_request_method", "POST"),
            ("server_address", "127.0.0.1"),
            ("http_response_status_code", "200"),
            ("error_type", error),
        ]
    };
    assert_eq!(count(client, &client_labels("")), 1.0, "{exposition}");
    assert_eq!(count(client, &client_labels("UNAVAILABLE")), 1.0);
    assert_eq!(count(client, &client_labels("INVALID_ARGUMENT")), 1.0);
    let active: Vec<_> = parsed
        .series(SERVER_ACTIVE_REQUESTS.name)
        .filter(|s| s.labels.get("http_request_method").map(String::as_str) == Some("POST"))
        .collect();
    assert_eq!(active.len(), 1, "{exposition}");
    assert_eq!(active[0].value, 0.0);
}
