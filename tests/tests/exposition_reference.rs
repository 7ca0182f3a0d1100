//! The SDK's own renderer against a reference: the same recordings through
//! metrics-exporter-prometheus 0.18 (the renderer the SDK used before, set up as it was) parse to
//! the same families, types, series and values at 1 000 cameras; and the text passes `promtool
//! check metrics`.
//! Label values with quotes, backslashes, newlines and non-ASCII round-trip exactly — the
//! reference doubled backslashes, so those are compared through our own parse only.

use std::collections::BTreeMap;
use std::time::Duration;

use its_telemetry::TelemetryConfig;
use its_telemetry::business::{Direction, TrafficAnalytics, VehicleClass};
use its_telemetry::camera::{CameraFleet, DropReason};
use its_telemetry::catalog::{self, MetricKind, camera, inference};
use its_telemetry::inference::ModelTelemetry;
use its_telemetry::sla::Slo;
use its_telemetry_tests::exposition::Exposition;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

fn record(recorder: &dyn metrics::Recorder, camera_ids: &[&str]) -> impl Sized {
    metrics::with_local_recorder(recorder, || {
        let guard = Box::leak(Box::new(
            its_telemetry::cardinality::CardinalityGuard::default(),
        ));
        let fleet = CameraFleet::with_guard(100, guard);
        let streams: Vec<_> = camera_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let cam = fleet.stream(id);
                cam.connected();
                // Values differ between cameras; decode times spread over every bucket.
                for _ in 0..=(i % 7) {
                    cam.frame_received(1_000);
                    cam.frame_decoded(Duration::from_micros(500 + 3_000 * (i % 300) as u64));
                }
                cam.frame_dropped(DropReason::QueueFull);
                cam
            })
            .collect();
        let analytics = TrafficAnalytics::new();
        analytics.vehicle_detected(VehicleClass::Truck, Direction::Outbound);
        analytics.vehicle_speed_kmh(VehicleClass::Truck, 81.0);
        let model = ModelTelemetry::new("yolov8n", "2024.1");
        let batch = model.start_batch(8);
        batch.record_detections([("car", 0.91_f32), ("bus", 0.42)]);
        batch.ok();
        let slo = Slo::availability("availability", 0.999, Duration::from_secs(86_400))
            .expect("valid")
            .recorder();
        slo.record(true);
        slo.record(false);
        metrics::describe_gauge!("its_test_special_values", "NaN, infinity and tiny values.");
        metrics::gauge!("its_test_special_values", "kind" => "nan").set(f64::NAN);
        metrics::gauge!("its_test_special_values", "kind" => "inf").set(f64::INFINITY);
        metrics::gauge!("its_test_special_values", "kind" => "neg").set(-1.5e-7);
        (fleet, streams, analytics, model, slo)
    })
}

fn reference(config: &TelemetryConfig) -> metrics_exporter_prometheus::PrometheusRecorder {
    let mut builder = PrometheusBuilder::new()
        .add_global_label("service", config.service_name.clone())
        .add_global_label("environment", config.environment.clone());
    for m in catalog::all().filter(|m| m.kind == MetricKind::Histogram && !m.buckets.is_empty()) {
        builder = builder
            .set_buckets_for_metric(Matcher::Full(m.name.to_owned()), m.buckets)
            .expect("non-empty buckets");
    }
    builder.build_recorder()
}

/// `(series name, labels) -> value`, with NaN made comparable; clock readings (the last-frame
/// time and the batch's measured duration, read separately for each recorder) compare by
/// presence only.
/// Equal values: the same text, or floats equal to 1e-12 relative (a sum of thousands of
/// samples depends on the order they were added in).
fn same_value(a: &str, b: &str) -> bool {
    a == b
        || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y))
            if (x - y).abs() <= 1e-12 * x.abs().max(y.abs()))
}

fn samples(e: &Exposition) -> BTreeMap<(String, Vec<(String, String)>), String> {
    e.samples
        .iter()
        .map(|s| {
            let batch_duration_sum = format!("{}_sum", inference::REQUEST_DURATION.name);
            if s.name == camera::LAST_FRAME_TIMESTAMP.name || s.name == batch_duration_sum {
                let labels = s
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                return ((s.name.clone(), labels), "a clock reading".to_owned());
            }
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            ((s.name.clone(), labels), format!("{:?}", s.value))
        })
        .collect()
}

#[test]
fn same_families_series_and_values_as_the_reference() {
    let config = TelemetryConfig::builder("svc")
        .environment("test")
        .build()
        .expect("valid");
    // The fleet size the render is benchmarked at (BENCHMARKS.md): 1 000 cameras.
    let owned: Vec<String> = (0..1000).map(|i| format!("cam-{i:04}")).collect();
    let ids: Vec<&str> = owned.iter().map(String::as_str).collect();
    let ours = its_telemetry::prometheus::build_recorder(&config);
    let _a = record(&ours, &ids);
    let theirs = reference(&config);
    let _b = record(&theirs, &ids);

    let ours_text = ours.handle().render();
    let theirs_text = theirs.handle().render();
    let ours_parsed = Exposition::parse(&ours_text);
    let theirs_parsed = Exposition::parse(&theirs_text);
    assert_eq!(ours_parsed.types, theirs_parsed.types);
    let (ours_samples, theirs_samples) = (samples(&ours_parsed), samples(&theirs_parsed));
    let differing: Vec<_> = ours_samples
        .iter()
        .filter(|(k, v)| !theirs_samples.get(*k).is_some_and(|t| same_value(v, t)))
        .chain(
            theirs_samples
                .iter()
                .filter(|(k, _)| !ours_samples.contains_key(*k)),
        )
        .collect();
    assert!(
        differing.is_empty(),
        "{} samples differ from the reference, e.g. {:?}",
        differing.len(),
        &differing[..differing.len().min(5)]
    );
    assert_eq!(ours_samples.len(), theirs_samples.len());
    // No series twice: as many sample lines as distinct series.
    assert_eq!(ours_parsed.samples.len(), ours_samples.len());
    // Every catalog family recorded above has its help text.
    for m in [camera::FRAMES_RECEIVED, camera::DECODE_DURATION] {
        assert!(
            ours_text.contains(&format!("# HELP {} {}\n", m.name, m.help)),
            "{}",
            m.name
        );
    }
    let findings = its_telemetry_tests::promtool::check_metrics(&ours_text);
    assert!(
        findings.is_empty(),
        "promtool check metrics: {findings}\n{ours_text}"
    );
}

#[test]
fn hostile_label_values_round_trip() {
    let config = TelemetryConfig::builder("svc \"quoted\" \\ back")
        .build()
        .expect("valid");
    let ids = ["cam \"a\"", r"cam\b", "cam\nc", "kamera-ü-東京", r#"\"\n"#];
    let ours = its_telemetry::prometheus::build_recorder(&config);
    let _a = record(&ours, &ids);
    let text = ours.handle().render();
    let parsed = Exposition::parse(&text);
    for id in ids {
        assert!(
            parsed.sum(camera::FRAMES_RECEIVED.name, &[("camera_id", id)]) > 0.0,
            "{id:?} did not round-trip:\n{text}"
        );
    }
    assert!(
        parsed
            .series(camera::FRAMES_RECEIVED.name)
            .all(|s| s.labels["service"] == "svc \"quoted\" \\ back")
    );
    let findings = its_telemetry_tests::promtool::check_metrics(&text);
    assert!(
        findings.is_empty(),
        "promtool check metrics: {findings}\n{text}"
    );
}
