//! After a failed init nothing is installed, so a corrected configuration succeeds (and installs
//! the SDK's W3C propagator globally); a second init while the first is live is
//! `AlreadyInitialized` — all inside a multi-thread runtime.

use its_telemetry::{InitError, TelemetryConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_failure_then_refuse_a_second_init() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = TelemetryConfig::builder("svc")
        .metrics_listen(taken.local_addr().expect("addr"))
        .build()
        .expect("valid");
    assert!(matches!(
        its_telemetry::try_init(busy),
        Err(InitError::MetricsListen { .. })
    ));

    let fixed = TelemetryConfig::builder("svc")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .build()
        .expect("valid");
    let guard = its_telemetry::try_init(fixed.clone()).expect("the corrected config initializes");
    assert!(guard.metrics_addr().is_some());
    tracing::info!("logs go through the installed subscriber");
    // One parsing rule in the process: the global propagator is the SDK's own W3C propagator.
    let global = opentelemetry::global::get_text_map_propagator(|p| format!("{p:?}"));
    assert!(global.contains("W3cPropagator"), "{global}");

    match its_telemetry::try_init(fixed) {
        Err(InitError::AlreadyInitialized) => {}
        other => panic!("expected AlreadyInitialized, got {other:?}"),
    }
    guard.shutdown().expect("clean shutdown");
}
