//! `OTEL_SDK_DISABLED=true`: no endpoint, no recorder, no exporter — recording is a no-op and
//! logs are still written.

use its_telemetry::TelemetryConfig;
use its_telemetry::camera::CameraFleet;
use its_telemetry_tests::logs::CapturedLogs;

#[test]
fn disabled_sdk_exports_nothing_but_still_logs() {
    let config =
        TelemetryConfig::from_lookup(|key| (key == "OTEL_SDK_DISABLED").then(|| "true".to_owned()))
            .expect("valid config");
    assert!(config.disabled);
    let logs = CapturedLogs::default();
    let guard = its_telemetry::try_init_with_log_writer(config, logs.clone()).expect("init");
    assert_eq!(guard.metrics_addr(), None, "nothing listens");
    assert_eq!(guard.render_metrics(), None, "no recorder installed");

    // Recorders work as no-ops.
    let fleet = CameraFleet::new(10);
    let cam = fleet.stream("cam-1");
    cam.frame_received(10);

    tracing::info!(camera_id = "cam-1", "still logging");
    let lines = logs.json_lines();
    assert!(
        lines.iter().any(|l| l["message"] == "still logging"),
        "{}",
        logs.text()
    );
    assert!(
        lines.iter().all(|l| l.get("trace_id").is_none()),
        "no spans, no trace ids"
    );
    guard.shutdown().expect("nothing to shut down");
}
