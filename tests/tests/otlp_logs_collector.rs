//! Log records over OTLP through the real OpenTelemetry Collector with the shipped
//! configuration: the SDK exports over OTLP/gRPC to the collector's receiver, its logs pipeline
//! (memory limiter, PII attributes, redaction, batch of 5 s) forwards them with its `otlp_http`
//! exporter to "Loki" — here a test OTLP/HTTP receiver at `ITS_OTELCOL_LOKI_ENDPOINT`. Records
//! must arrive with their trace ids and no PII. Needs `otelcol-its` (`scripts/build-otelcol.sh`
//! or `ITS_OTELCOL_BIN`).

use std::time::Duration;

use its_telemetry::TelemetryConfig;
use its_telemetry_tests::daemon::free_loopback_addr;
use its_telemetry_tests::otelcol::{Backends, Collector};
use its_telemetry_tests::otlp::OtlpReceiver;

const SECRETS: &[&str] = &[
    "AB12 CDE",
    "jane.doe@example.com",
    "192.168.1.20",
    "XY99 ZZZ",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_reach_loki_through_the_collector_with_trace_ids_and_no_pii() {
    let loki = OtlpReceiver::http().await.expect("Loki stand-in");
    let loki_endpoint = format!("{}/otlp", loki.endpoint());
    let collector = tokio::task::spawn_blocking(move || {
        let backends = Backends {
            // Traces go nowhere in this test: a closed port.
            jaeger: free_loopback_addr().to_string(),
            loki: loki_endpoint,
        };
        Collector::start(&backends, &[])
    })
    .await
    .expect("collector started");

    let config = TelemetryConfig::builder("detector")
        .otlp_endpoint(format!("http://{}", collector.otlp_grpc))
        .otlp_logs(true)
        .no_metrics_listener()
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init_with_log_writer(config, std::io::sink).expect("init");
    let (trace_id, span_id) = {
        let span = tracing::info_span!("infer yolov8");
        let _entered = span.enter();
        tracing::error!(
            camera_id = "cam-7",
            frames = 25u64,
            plate = "XY99 ZZZ",
            client = "192.168.1.20",
            "plate AB12 CDE seen, owner jane.doe@example.com"
        );
        current_ids()
    };
    drop(guard); // flushes to the collector

    // The collector's logs pipeline batches for up to 5 s.
    let records = loki.wait_for_logs(1, Duration::from_secs(30)).await;
    let record = records
        .iter()
        .find(|r| r.record.severity_text == "ERROR")
        .unwrap_or_else(|| {
            panic!(
                "no record reached Loki's endpoint ({records:?}); collector log:\n{}",
                collector.log_tail(40)
            )
        });
    assert_eq!(record.service_name.as_deref(), Some("detector"));
    assert_eq!(record.trace_id(), trace_id);
    assert_eq!(record.span_id(), span_id);
    assert_eq!(record.record.severity_number, 17, "ERROR");
    assert_eq!(
        record.body().as_deref(),
        Some("plate [REDACTED:plate] seen, owner [REDACTED:email]")
    );
    assert_eq!(record.attribute("camera_id").as_deref(), Some("cam-7"));
    assert_eq!(record.attribute("frames").as_deref(), Some("25"));
    for bytes in loki.raw_log_requests() {
        for secret in SECRETS {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} reached Loki"
            );
        }
    }
}

/// The current OpenTelemetry span's ids, lowercase hex.
fn current_ids() -> (String, String) {
    use opentelemetry::trace::TraceContextExt as _;
    let cx = opentelemetry::Context::current();
    let span = cx.span();
    let sc = span.span_context();
    assert!(sc.is_valid(), "inside a span with the OTel layer installed");
    (sc.trace_id().to_string(), sc.span_id().to_string())
}
