//! OTLP over HTTP/protobuf from a service with no async runtime at all: spans still arrive
//! and the guard's drop flushes them (the blocking HTTP client, STACK.md trap 1).

use std::time::Duration;

use its_telemetry::TelemetryConfig;
use its_telemetry::config::OtlpProtocol;
use its_telemetry_tests::logs::{CapturedLogs, background_runtime};
use its_telemetry_tests::otlp::OtlpReceiver;

#[test]
fn http_protobuf_export_without_a_runtime() {
    let servers = background_runtime();
    let receiver = servers.block_on(OtlpReceiver::http()).expect("receiver");
    let config = TelemetryConfig::builder("edge-counter")
        .otlp_endpoint(receiver.endpoint())
        .otlp_protocol(OtlpProtocol::HttpProtobuf)
        .no_metrics_listener()
        .build()
        .expect("valid config");
    let guard =
        its_telemetry::try_init_with_log_writer(config, CapturedLogs::default()).expect("init");
    for i in 0..5 {
        let span = tracing::info_span!("count_vehicles", index = i);
        let _entered = span.enter();
    }
    guard.shutdown().expect("flushed within the bound");

    let spans = servers.block_on(receiver.wait_for_spans(5, Duration::from_secs(10)));
    assert_eq!(spans.len(), 5);
    assert!(spans.iter().all(|s| s.span.name == "count_vehicles"));
    assert!(
        spans
            .iter()
            .all(|s| s.service_name.as_deref() == Some("edge-counter"))
    );
}
