//! Init failures are errors, not panics, and leave the process able to init again; push mode
//! delivers the exposition to a push gateway.

use std::time::Duration;

use its_telemetry::{ConfigError, InitError, TelemetryConfig};
use its_telemetry_tests::http_sink::HttpSink;
use its_telemetry_tests::logs::{CapturedLogs, background_runtime};

#[test]
fn port_in_use_then_push_gateway() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let config = TelemetryConfig::builder("edge-site-7")
        .metrics_listen(addr)
        .build()
        .expect("valid config");
    match its_telemetry::try_init(config) {
        Err(InitError::MetricsListen { addr: a, .. }) => assert_eq!(a, addr),
        other => panic!("expected MetricsListen, got {other:?}"),
    }

    let mut invalid = TelemetryConfig::default();
    invalid.traces.sampler_ratio = 2.0;
    match its_telemetry::try_init(invalid) {
        Err(InitError::Config(ConfigError::Invalid { field, .. })) => {
            assert_eq!(field, "traces.sampler_ratio");
        }
        other => panic!("expected a config error, got {other:?}"),
    }

    // The failed attempts touched nothing global: a good configuration still initializes.
    let servers = background_runtime();
    let gateway = servers.block_on(HttpSink::start()).expect("gateway");
    let config = TelemetryConfig::builder("edge-site-7")
        .no_metrics_listener()
        .push_gateway(gateway.endpoint(), 1)
        .build()
        .expect("valid config");
    let guard =
        its_telemetry::try_init_with_log_writer(config, CapturedLogs::default()).expect("init");
    assert_eq!(guard.metrics_addr(), None);
    let pushes = servers.block_on(gateway.wait_until(Duration::from_secs(10), |r| !r.is_empty()));
    let push = pushes.first().expect("a push arrived");
    assert_eq!(push.method, "PUT");
    assert_eq!(push.path, "/metrics/job/edge-site-7");
    let body = String::from_utf8_lossy(&push.body);
    let build_info = format!("{}{{", its_telemetry::catalog::sdk::BUILD_INFO.name);
    assert!(body.contains(&build_info), "{body}");
    guard.shutdown().expect("clean shutdown");
}
