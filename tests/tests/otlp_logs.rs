//! Log records over OTLP (feature `otlp-logs`) reach an OTLP/gRPC receiver scrubbed like the
//! JSON lines, typed, with the severity of their level and the trace id and span id of the span
//! they were logged in; no secret appears anywhere in the protobuf bytes. The log filter applies
//! to records as to lines.

use std::time::Duration;

use opentelemetry_proto::tonic::common::v1::any_value::Value;

use its_telemetry::TelemetryConfig;
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::otlp::OtlpReceiver;

/// Shapes the default scrubber removes, as in `logs/scrub.rs`'s tests.
const SECRETS: &[&str] = &[
    "AB12 CDE",
    "jane.doe@example.com",
    "192.168.1.20",
    "XY99 ZZZ",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_arrive_scrubbed_with_trace_ids() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let lines = CapturedLogs::default();
    let config = TelemetryConfig::builder("detector")
        .otlp_endpoint(receiver.endpoint())
        .otlp_logs(true)
        .no_metrics_listener()
        .log_filter("info")
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init_with_log_writer(config, lines.clone()).expect("init");

    tracing::info!("outside any span");
    tracing::debug!("below the filter: neither a line nor a record");
    {
        let span = tracing::info_span!("infer yolov8");
        let _entered = span.enter();
        tracing::warn!(
            camera_id = "cam-7",
            frames = 25u64,
            confidence = 0.875,
            tracked = true,
            plate = "XY99 ZZZ",
            client = "192.168.1.20",
            "plate AB12 CDE seen, owner jane.doe@example.com"
        );
    }
    drop(guard); // flushes the log pipeline from inside a multi-thread runtime

    let records = receiver.wait_for_logs(2, Duration::from_secs(10)).await;
    assert_eq!(records.len(), 2, "{records:#?}");
    let spans = receiver.wait_for_spans(1, Duration::from_secs(10)).await;
    let span = spans
        .iter()
        .find(|s| s.span.name == "infer yolov8")
        .expect("the span is exported too");

    let outside = records
        .iter()
        .find(|r| r.body().as_deref() == Some("outside any span"))
        .expect("record outside the span");
    assert!(outside.trace_id().is_empty(), "{outside:?}");
    assert_eq!(outside.record.severity_number, 9, "INFO");

    let record = records
        .iter()
        .find(|r| r.record.severity_text == "WARN")
        .expect("the warning");
    assert_eq!(record.service_name.as_deref(), Some("detector"));
    assert_eq!(record.record.severity_number, 13, "WARN");
    assert_eq!(record.trace_id(), span.trace_id());
    assert_eq!(record.span_id(), span.span_id());
    assert_eq!(record.trace_id().len(), 32);
    assert_ne!(record.record.flags & 0x01, 0, "sampled flag");
    assert_eq!(
        record.body().as_deref(),
        Some("plate [REDACTED:plate] seen, owner [REDACTED:email]")
    );
    assert_eq!(record.attribute("camera_id").as_deref(), Some("cam-7"));
    assert_eq!(record.attribute_value("frames"), Some(&Value::IntValue(25)));
    assert_eq!(
        record.attribute_value("confidence"),
        Some(&Value::DoubleValue(0.875))
    );
    assert_eq!(
        record.attribute_value("tracked"),
        Some(&Value::BoolValue(true))
    );
    assert_eq!(
        record.attribute("plate").as_deref(),
        Some("[REDACTED:field]")
    );
    assert_eq!(record.attribute("client").as_deref(), Some("[REDACTED:ip]"));
    assert_eq!(record.scope_name.as_deref(), Some("otlp_logs"));

    let raw = receiver.raw_log_requests();
    assert!(!raw.is_empty());
    for bytes in &raw {
        for secret in SECRETS {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in the exported protobuf"
            );
        }
        assert!(
            bytes.windows(5).any(|w| w == b"cam-7"),
            "camera id over-scrubbed"
        );
    }

    // The JSON line of the same event carries the same ids and the same scrubbed message.
    let json = lines.json_lines();
    let line = json
        .iter()
        .find(|l| l["level"] == "WARN")
        .unwrap_or_else(|| panic!("no JSON line:\n{}", lines.text()));
    assert_eq!(line["trace_id"], record.trace_id());
    assert_eq!(line["message"], record.body().expect("body"));
    assert!(
        json.iter().all(|l| l["level"] != "DEBUG"),
        "{}",
        lines.text()
    );
}
