//! The example service at small scale, end to end: every catalog family it is meant to emit is
//! on `/metrics`, `promtool check metrics` is clean, bad input gets a clear 4xx, and traces
//! cross the client layer (simulator) into the server layer (API) with shared trace ids.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use example_inference_service::options::Options;
use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::{self, MetricDescriptor};
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::otlp::OtlpReceiver;
use its_telemetry_tests::{promtool, scrape};

const SPAN_KIND_SERVER: i32 = 2;
const SPAN_KIND_CLIENT: i32 = 3;

/// The families a healthy run emits; the SDK-health counters only appear when something is shed.
fn expected_families() -> Vec<&'static MetricDescriptor> {
    catalog::camera::ALL
        .iter()
        .chain(catalog::inference::ALL)
        .chain(catalog::business::ALL)
        .chain(catalog::sla::ALL)
        .chain(catalog::http::ALL)
        .chain([&catalog::sdk::BUILD_INFO, &catalog::gpu::NVML_AVAILABLE])
        .collect()
}

async fn scrape_text(addr: SocketAddr) -> scrape::Response {
    tokio::task::spawn_blocking(move || scrape::get(addr, "/metrics"))
        .await
        .expect("scrape task")
}

async fn post(addr: SocketAddr, body: String) -> (u16, serde_json::Value) {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "POST /v1/detect HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut raw = String::new();
        stream.read_to_string(&mut raw).expect("read");
        let status = raw
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let json = raw
            .split_once("\r\n\r\n")
            .and_then(|(_, b)| serde_json::from_str(b).ok())
            .unwrap_or(serde_json::Value::Null);
        (status, json)
    })
    .await
    .expect("post task")
}

fn frame(camera: &str, timestamp_ms: u128) -> String {
    format!(r#"{{"camera_id":"{camera}","timestamp_ms":{timestamp_ms},"size_bytes":1000}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_service_end_to_end() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("inference-service")
        .environment("e2e")
        .otlp_endpoint(receiver.endpoint())
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .log_filter("warn")
        .build()
        .expect("valid config");
    let telemetry =
        its_telemetry::try_init_with_log_writer(config, CapturedLogs::default()).expect("init");
    let _gpu = its_telemetry::gpu::start_default(its_telemetry::gpu::DEFAULT_INTERVAL)
        .expect("gpu poller");
    let handle = telemetry.prometheus_handle();
    let options = Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        cameras: 20,
        cameras_per_gateway: 5,
        drift_window: 100,
        summary_every: Duration::ZERO,
        ..Options::default()
    };
    let service = example_inference_service::start(
        &options,
        Arc::new(move || handle.as_ref().map(|h| h.render())),
    )
    .await
    .expect("service");
    let api = service.addr();

    // Bad input: clear 4xx with a JSON body, no panic.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let cases = [
        ("{not json".to_owned(), 400, "malformed_request"),
        (r#"{"frames":[]}"#.to_owned(), 400, "empty_batch"),
        (
            format!(
                r#"{{"frames":[{}]}}"#,
                vec![frame("cam-0001", now); 300].join(",")
            ),
            413,
            "too_many_frames",
        ),
        (
            format!(r#"{{"frames":[{}]}}"#, frame("cam-9999", now)),
            422,
            "unknown_camera",
        ),
        (
            format!(r#"{{"frames":[{}]}}"#, frame("cam-0001", now + 3_600_000)),
            422,
            "future_timestamp",
        ),
    ];
    for (body, status, code) in cases {
        let (got, json) = post(api, body).await;
        assert_eq!(got, status, "{json}");
        assert_eq!(json["code"], code, "{json}");
        assert!(
            json["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{json}"
        );
    }

    // Let the simulator run until the drift window has filled and every family has data.
    let metrics_addr = telemetry.metrics_addr().expect("metrics endpoint");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut missing: Vec<&str>;
    let mut text;
    loop {
        text = scrape_text(metrics_addr).await;
        let exposition = Exposition::parse(&text.body);
        missing = expected_families()
            .into_iter()
            .filter(|m| exposition.types.get(m.name).map(String::as_str) != Some(m.kind.as_str()))
            .map(|m| m.name)
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        missing.is_empty(),
        "families missing from /metrics: {missing:?}"
    );
    let findings = promtool::check_metrics(&text.body);
    assert!(findings.trim().is_empty(), "promtool: {findings}");

    // The API's own /metrics serves the same exposition.
    let own = scrape_text(api).await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains(catalog::inference::REQUESTS.name));

    // Bad requests were counted by status code on the server side.
    let exposition = Exposition::parse(&text.body);
    let count = format!("{}_count", catalog::http::SERVER_REQUEST_DURATION.name);
    for status in ["400", "413", "422"] {
        assert!(
            exposition.series(&count).any(|s| {
                s.labels
                    .get("http_response_status_code")
                    .map(String::as_str)
                    == Some(status)
                    && s.value >= 1.0
            }),
            "no {status} counted"
        );
    }

    service.shutdown().await;
    telemetry.shutdown().expect("flushed");

    // Client spans (simulator) and server spans (API) share trace ids.
    let spans = receiver.spans();
    let clients: Vec<_> = spans
        .iter()
        .filter(|s| s.span.kind == SPAN_KIND_CLIENT)
        .collect();
    let servers: Vec<_> = spans
        .iter()
        .filter(|s| s.span.kind == SPAN_KIND_SERVER && s.span.name == "POST /v1/detect")
        .collect();
    assert!(
        !clients.is_empty() && !servers.is_empty(),
        "{} spans",
        spans.len()
    );
    let joined = servers.iter().filter(|server| {
        clients.iter().any(|client| {
            client.trace_id() == server.trace_id() && server.parent_span_id() == client.span_id()
        })
    });
    assert!(joined.count() > 0, "no server span continues a client span");
    assert!(
        spans
            .iter()
            .all(|s| s.service_name.as_deref() == Some("inference-service"))
    );
}
