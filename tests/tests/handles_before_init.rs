//! Handles made before `try_init` are not bound to the no-op recorder: what they record before
//! and after init is on `/metrics`, and the cardinality limit configured at init holds for
//! cameras added afterwards.

use std::time::Duration;

use its_telemetry::TelemetryConfig;
use its_telemetry::camera::CameraFleet;
use its_telemetry::catalog::{camera, inference, sla};
use its_telemetry::inference::ModelTelemetry;
use its_telemetry::sla::Slo;
use its_telemetry_tests::exposition::Exposition;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_before_init_appear_after_it() {
    // Before init: a fleet, five cameras, a model and an SLO.
    let fleet = CameraFleet::new(1000);
    let cams: Vec<_> = (0..5).map(|i| fleet.stream(&format!("cam-{i}"))).collect();
    for cam in &cams {
        cam.connected();
        cam.frame_received(1_000);
        cam.frame_decoded(Duration::from_millis(4));
    }
    let model = ModelTelemetry::new("yolov8n", "1");
    let batch = model.start_batch(4);
    batch.ok();
    let slo = Slo::availability("detection_availability", 0.999, Duration::from_secs(86_400))
        .expect("valid SLO")
        .recorder();
    slo.record(true);
    slo.record(false);

    let config = TelemetryConfig::builder("svc")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .cardinality_limit(7)
        .build()
        .expect("valid");
    let guard = its_telemetry::try_init(config).expect("init");

    // After init, through the same handles and new ones.
    cams[0].frame_received(1_000);
    let more: Vec<_> = (5..10).map(|i| fleet.stream(&format!("cam-{i}"))).collect();
    for cam in &more {
        cam.frame_received(10);
    }

    let body =
        its_telemetry_tests::scrape::get(guard.metrics_addr().expect("served"), "/metrics").body;
    let m = Exposition::parse(&body);
    let received = camera::FRAMES_RECEIVED.name;
    // One frame each before init, and a second one for cam-0 after it.
    assert_eq!(m.sum(received, &[("camera_id", "cam-0")]), 2.0, "{body}");
    assert_eq!(m.sum(received, &[("camera_id", "cam-4")]), 1.0, "{body}");
    let bytes = camera::INGESTED_BYTES.name;
    assert_eq!(m.sum(bytes, &[("camera_id", "cam-0")]), 2_000.0, "{body}");
    assert_eq!(m.sum(camera::STREAMS_CAPACITY.name, &[]), 1000.0, "{body}");
    assert_eq!(m.sum(camera::STREAMS_ACTIVE.name, &[]), 5.0, "{body}");
    assert_eq!(
        m.sum(&format!("{}_count", camera::DECODE_DURATION.name), &[]),
        5.0,
        "{body}"
    );
    assert_eq!(
        m.sum(
            &format!("{}_count", inference::BATCH_SIZE.name),
            &[("model", "yolov8n")]
        ),
        1.0,
        "{body}"
    );
    assert_eq!(m.sum(sla::EVENTS.name, &[("result", "bad")]), 1.0, "{body}");
    // The limit of 7 set at init holds: cam-5 and cam-6 fit, cam-7..9 fold into _overflow.
    assert_eq!(m.sum(received, &[("camera_id", "cam-6")]), 1.0, "{body}");
    assert_eq!(
        m.sum(received, &[("camera_id", "_overflow")]),
        3.0,
        "{body}"
    );
    guard.shutdown().expect("clean shutdown");
}
