//! An application that installs its own subscriber first composes with the builder path: it
//! adds `Telemetry::otel_layer()` to its registry, then `install_without_subscriber()` installs
//! metrics, propagation and the exporter. Its own log layer keeps working, and both metrics and
//! spans arrive.

use std::time::Duration;

use its_telemetry::{Telemetry, TelemetryConfig};
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::otlp::OtlpReceiver;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beside_the_applications_own_subscriber() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("detector")
        .without_logs()
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .otlp_endpoint(receiver.endpoint())
        .build()
        .expect("valid config");
    let telemetry = Telemetry::build(config).expect("build");
    assert!(telemetry.log_layer().is_none(), "logs are off");

    let app_logs = CapturedLogs::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(app_logs.clone()),
        )
        .with(telemetry.otel_layer())
        .try_init()
        .expect("the application's subscriber");
    let guard = telemetry
        .install_without_subscriber()
        .expect("installs beside it");

    let fleet = its_telemetry::camera::CameraFleet::new(4);
    fleet.stream("cam-1").frame_received(100);
    tracing::info_span!("handle_frame", camera_id = "cam-1").in_scope(|| {
        tracing::info!("application log line");
    });

    let addr = guard.metrics_addr().expect("metrics served");
    let body = its_telemetry_tests::scrape::get(addr, "/metrics").body;
    let frames = its_telemetry::catalog::camera::FRAMES_RECEIVED.name;
    assert!(body.contains(&format!("{frames}{{")), "{body}");
    drop(guard); // flush

    let spans = receiver.wait_for_spans(1, Duration::from_secs(10)).await;
    assert!(
        spans.iter().any(|s| s.span.name == "handle_frame"),
        "{spans:#?}"
    );
    assert!(
        app_logs.text().contains("application log line"),
        "{}",
        app_logs.text()
    );
}
