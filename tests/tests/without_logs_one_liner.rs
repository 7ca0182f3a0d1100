//! `without_logs()` with the one-liner: the application's subscriber is already installed, and
//! `try_init` keeps it (it used to fail with `SubscriberInstalled`), says so once through that
//! subscriber, and serves metrics.

use its_telemetry::TelemetryConfig;
use its_telemetry_tests::logs::CapturedLogs;
use tracing_subscriber::util::SubscriberInitExt as _;

#[tokio::test(flavor = "current_thread")]
async fn try_init_without_logs_keeps_the_applications_subscriber() {
    let app_logs = CapturedLogs::default();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(app_logs.clone())
        .finish()
        .try_init()
        .expect("the application's subscriber");

    let config = TelemetryConfig::builder("detector")
        .without_logs()
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .build()
        .expect("valid");
    let guard = its_telemetry::try_init(config).expect("init beside the application's subscriber");
    let body =
        its_telemetry_tests::scrape::get(guard.metrics_addr().expect("served"), "/metrics").body;
    assert!(body.contains("its_build_info{"), "{body}");
    assert!(
        app_logs.text().contains("otel_layer"),
        "the kept subscriber is told how to export spans: {}",
        app_logs.text()
    );

    // Telemetry is live now: a second install, here with logs on, is refused as such.
    let config = TelemetryConfig::builder("detector").build().expect("valid");
    let err = its_telemetry::Telemetry::build(config)
        .expect("build")
        .install()
        .expect_err("already initialized");
    assert!(
        matches!(err, its_telemetry::InitError::AlreadyInitialized),
        "{err}"
    );
}
