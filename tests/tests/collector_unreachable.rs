//! An unreachable OTLP collector: the service keeps running, failures are counted, exactly one
//! warning is logged, and shutdown still returns.

use std::time::{Duration, Instant};

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::sdk::EXPORT_FAILURES;
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::logs::CapturedLogs;

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
    // dropped here: nothing listens on the port any more
}

fn failures(guard: &its_telemetry::TelemetryGuard) -> f64 {
    let text = guard.render_metrics().expect("metrics enabled");
    Exposition::parse(&text)
        .series(EXPORT_FAILURES.name)
        .filter(|s| s.labels.get("signal").map(String::as_str) == Some("traces"))
        .map(|s| s.value)
        .sum()
}

#[test]
fn unreachable_collector_costs_one_warning() {
    let logs = CapturedLogs::default();
    let config = TelemetryConfig::builder("detector")
        .otlp_endpoint(format!("http://127.0.0.1:{}", closed_port()))
        .no_metrics_listener()
        .shutdown_timeout(Duration::from_secs(2))
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init_with_log_writer(config, logs.clone()).expect("init");

    // Far more spans than the export queue holds: they must be dropped, not buffered.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut produced = 0u64;
    while failures(&guard) < 2.0 && Instant::now() < deadline {
        for _ in 0..1000 {
            let span = tracing::info_span!("infer", batch = produced);
            let _entered = span.enter();
            produced += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(failures(&guard) >= 2.0, "export failures were not counted");
    let warnings = logs
        .json_lines()
        .into_iter()
        .filter(|l| l["level"] == "WARN" && l["target"] == "its_telemetry::traces")
        .count();
    assert_eq!(warnings, 1, "expected one warning, logs:\n{}", logs.text());

    // Shutdown gives up after its bound instead of hanging on the dead collector.
    let _ = guard.shutdown();
}
