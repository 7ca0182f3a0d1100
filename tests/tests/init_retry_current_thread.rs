//! Retry after failure inside a current-thread runtime (`#[tokio::main(flavor =
//! "current_thread")]`): the failed attempt built and dropped the SDK's runtime and exporter.

use its_telemetry::{InitError, TelemetryConfig};

#[tokio::test(flavor = "current_thread")]
async fn retry_after_failure() {
    let failing = TelemetryConfig::builder("svc")
        .no_metrics_listener()
        .otlp_endpoint("http://collector.invalid:4317")
        .build()
        .expect("valid");
    assert!(matches!(
        its_telemetry::try_init(failing),
        Err(InitError::TraceExporter { .. })
    ));
    let fixed = TelemetryConfig::builder("svc")
        .no_metrics_listener()
        .otlp_endpoint("http://127.0.0.1:4317")
        .build()
        .expect("valid");
    let guard = its_telemetry::try_init(fixed).expect("the corrected config initializes");
    assert!(
        guard
            .render_metrics()
            .is_some_and(|m| m.contains("its_build_info"))
    );
    // Nothing listens on 4317: shutdown reports or times out within its bound, without a panic.
    let _ = guard.shutdown();
}
