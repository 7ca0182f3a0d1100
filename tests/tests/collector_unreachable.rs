//! An unreachable OTLP collector: the service keeps running, failures are counted, exactly one
//! warning is logged, and shutdown still returns.

use std::time::{Duration, Instant};

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::sdk::{EXPORT_DROPPED, EXPORT_FAILURES};
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

/// Spans counted as lost for `reason`.
fn dropped(guard: &its_telemetry::TelemetryGuard, reason: &str) -> f64 {
    let text = guard.render_metrics().expect("metrics enabled");
    Exposition::parse(&text)
        .series(EXPORT_DROPPED.name)
        .filter(|s| s.labels.get("signal").map(String::as_str) == Some("traces"))
        .filter(|s| s.labels.get("reason").map(String::as_str) == Some(reason))
        .map(|s| s.value)
        .sum()
}

/// The SDK's export queue (`MAX_QUEUED_SPANS`), plus the one batch (at most 512 spans, the
/// batch processor's default) the exporter may hold while its failure is not yet counted.
const QUEUE_CAPACITY: f64 = 2048.0 + 512.0;

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

    // Nothing is lost silently: every span produced is counted as dropped (queue full, or in
    // a batch whose export failed) or still waits in the bounded queue.
    let queue_full = dropped(&guard, "queue_full");
    let export_failed = dropped(&guard, "export_failed");
    let produced = produced as f64;
    eprintln!(
        "produced {produced} spans: {queue_full} dropped (queue full), {export_failed} lost \
         with failed exports"
    );
    assert!(queue_full > 0.0, "a full queue must count its drops");
    assert!(
        export_failed > 0.0,
        "spans of failed exports must be counted"
    );
    let unaccounted = produced - queue_full - export_failed;
    assert!(
        (0.0..=QUEUE_CAPACITY).contains(&unaccounted),
        "{unaccounted} spans are neither counted as dropped nor within the queue and the batch \
         in export ({QUEUE_CAPACITY})"
    );

    // Shutdown gives up after its bound instead of hanging on the dead collector.
    let _ = guard.shutdown();
}
