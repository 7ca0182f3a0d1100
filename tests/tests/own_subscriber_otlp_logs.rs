//! The OTLP log layer (feature `otlp-logs`) beside an application's own subscriber: the
//! application builds its registry with its own fmt layer, `Telemetry::otel_layer()` and
//! `Telemetry::otlp_log_layer()`, then `install_without_subscriber()`. Records arrive scrubbed,
//! with the trace and span ids of the span they were logged in; the application's own log layer
//! keeps writing its lines; dropping the guard flushes the records.

use std::time::Duration;

use its_telemetry::{Telemetry, TelemetryConfig};
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::otlp::OtlpReceiver;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_log_records_beside_the_applications_own_subscriber() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("detector")
        .otlp_endpoint(receiver.endpoint())
        .otlp_logs(true)
        .no_metrics_listener()
        .log_filter("info")
        .build()
        .expect("valid config");
    let telemetry = Telemetry::build(config).expect("build");
    let otlp_logs = telemetry
        .otlp_log_layer()
        .expect("logs.otlp is on, so the layer exists");

    let app_logs = CapturedLogs::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(app_logs.clone()),
        )
        .with(telemetry.otel_layer())
        .with(otlp_logs)
        .try_init()
        .expect("the application's subscriber");
    let guard = telemetry
        .install_without_subscriber()
        .expect("installs beside it");

    tracing::info_span!("read_plate").in_scope(|| {
        tracing::warn!(
            camera_id = "cam-3",
            "plate AB12 CDE for jane.doe@example.com"
        );
    });
    // Flushes; the receiver runs on this runtime's other worker meanwhile (on a current-thread
    // runtime the blocked thread would be the receiver's too, and the export would wait for
    // its timeout; traces_current_thread.rs covers that flavour with a receiver of its own).
    drop(guard);

    let records = receiver.wait_for_logs(1, Duration::from_secs(10)).await;
    let spans = receiver.wait_for_spans(1, Duration::from_secs(10)).await;
    let span = spans
        .iter()
        .find(|s| s.span.name == "read_plate")
        .expect("the span is exported");
    let record = records
        .iter()
        .find(|r| r.record.severity_text == "WARN")
        .unwrap_or_else(|| panic!("the warning as a record: {records:#?}"));
    assert_eq!(
        record.body().as_deref(),
        Some("plate [REDACTED:plate] for [REDACTED:email]")
    );
    assert_eq!(record.attribute("camera_id").as_deref(), Some("cam-3"));
    assert_eq!(record.trace_id(), span.trace_id());
    assert_eq!(record.span_id(), span.span_id());
    for raw in receiver.raw_log_requests() {
        for secret in ["AB12 CDE", "jane.doe@example.com"] {
            assert!(
                !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in an exported log request"
            );
        }
    }
    // The application's own layer is its own: it still writes, unscrubbed by us.
    assert!(
        app_logs.text().contains("plate AB12 CDE"),
        "{}",
        app_logs.text()
    );
}
