//! The guard dropped inside a current-thread runtime still flushes over gRPC: the exporter runs
//! on the SDK's own runtime, not on the one the drop blocks (STACK.md trap 2).

use std::time::Duration;

use its_telemetry::TelemetryConfig;
use its_telemetry_tests::logs::{CapturedLogs, background_runtime};
use its_telemetry_tests::otlp::OtlpReceiver;

#[test]
fn drop_inside_a_current_thread_runtime_flushes() {
    let servers = background_runtime();
    let receiver = servers.block_on(OtlpReceiver::grpc()).expect("receiver");
    let endpoint = receiver.endpoint();

    let service = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let shutdown = service.block_on(async move {
        let config = TelemetryConfig::builder("lane-monitor")
            .otlp_endpoint(endpoint)
            .no_metrics_listener()
            .build()
            .expect("valid config");
        let guard =
            its_telemetry::try_init_with_log_writer(config, CapturedLogs::default()).expect("init");
        async {
            tracing::info!("work inside an instrumented future");
        }
        .instrument_in(tracing::info_span!("decode_frame"))
        .await;
        guard.shutdown()
    });
    assert!(shutdown.is_ok(), "{shutdown:?}");

    let spans = servers.block_on(receiver.wait_for_spans(1, Duration::from_secs(10)));
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].span.name, "decode_frame");
    assert_eq!(spans[0].service_name.as_deref(), Some("lane-monitor"));
}

trait InstrumentIn: std::future::Future + Sized {
    fn instrument_in(self, span: tracing::Span) -> tracing::instrument::Instrumented<Self> {
        tracing::Instrument::instrument(self, span)
    }
}
impl<F: std::future::Future> InstrumentIn for F {}
