//! Spans reach an OTLP/gRPC receiver with `service.name` and the right parent/child links, and a
//! JSON log line written inside a span carries that span's trace and span ids. The guard is
//! dropped from inside a multi-thread runtime.

use std::collections::HashMap;
use std::time::Duration;

use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use its_telemetry::TelemetryConfig;
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::otlp::OtlpReceiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_and_logs_carry_their_ids() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let logs = CapturedLogs::default();
    let config = TelemetryConfig::builder("detector")
        .otlp_endpoint(receiver.endpoint())
        .no_metrics_listener()
        .log_filter("info")
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init_with_log_writer(config, logs.clone()).expect("init");

    let mut outgoing = HashMap::new();
    {
        let batch = tracing::info_span!("handle_batch", frames = 8);
        let _batch = batch.enter();
        let infer = tracing::info_span!("infer yolov8");
        let _infer = infer.enter();
        tracing::info!(camera_id = "cam-7", "inside the inference span");
        // The globally installed W3C propagator writes the current span into outgoing headers.
        opentelemetry::global::get_text_map_propagator(|p| {
            p.inject_context(&infer.context(), &mut outgoing);
        });
    }
    drop(guard); // flushes: nothing may be lost on a multi-thread runtime

    let spans = receiver.wait_for_spans(2, Duration::from_secs(10)).await;
    assert_eq!(spans.len(), 2, "{spans:#?}");
    for span in &spans {
        assert_eq!(span.service_name.as_deref(), Some("detector"));
    }
    let parent = spans
        .iter()
        .find(|s| s.span.name == "handle_batch")
        .expect("parent");
    let child = spans
        .iter()
        .find(|s| s.span.name == "infer yolov8")
        .expect("child");
    assert_eq!(child.trace_id(), parent.trace_id());
    assert_eq!(child.parent_span_id(), parent.span_id());
    assert!(
        parent.parent_span_id().is_empty(),
        "the batch span is a root"
    );
    assert_eq!(parent.attribute("frames").as_deref(), Some("8"));

    let lines = logs.json_lines();
    let line = lines
        .iter()
        .find(|l| l["message"] == "inside the inference span")
        .unwrap_or_else(|| panic!("log line missing:\n{}", logs.text()));
    assert_eq!(line["trace_id"], child.trace_id());
    assert_eq!(line["span_id"], child.span_id());
    assert_eq!(line["service"], "detector");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["fields"]["camera_id"], "cam-7");

    let traceparent = outgoing.get("traceparent").expect("traceparent injected");
    assert_eq!(
        traceparent,
        &format!("00-{}-{}-01", child.trace_id(), child.span_id())
    );
}
