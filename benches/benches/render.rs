//! Rendering `/metrics` for 1 000 cameras (plus analytics and SLOs): goal ≤ 5 ms, and linear
//! growth, measured at 5 000 and 10 000 cameras too (the cardinality limit raised for the bench).
//! Prints the series count and size of each, which BENCHMARKS.md documents as the cardinality
//! budget. The anchor is metrics-exporter-prometheus 0.18 (what the SDK used before its own
//! recorder) holding the 1 000 cameras' series with the same buckets and global labels.
#![allow(missing_docs, clippy::print_stdout)] // criterion's macros generate undocumented items; benches report to stdout

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use its_telemetry::TelemetryConfig;
use its_telemetry::business::{Direction, TrafficAnalytics, VehicleClass};
use its_telemetry::camera::{CameraFleet, DropReason};
use its_telemetry::sla::Slo;

/// Fleet sizes rendered; the anchor is measured at the first.
const CAMERAS: [usize; 3] = [1_000, 5_000, 10_000];

/// Records the bench's series for `cameras` cameras through `recorder`; the returned handles
/// keep them alive.
fn populate(recorder: &dyn metrics::Recorder, cameras: usize) -> impl Sized {
    metrics::with_local_recorder(recorder, || {
        let fleet = CameraFleet::new(cameras);
        let streams: Vec<_> = (0..cameras)
            .map(|i| {
                let cam = fleet.stream(&format!("cam-{i:04}"));
                cam.connected();
                cam.frame_received(48_000);
                cam.frame_decoded(Duration::from_millis(4));
                cam.frame_dropped(DropReason::Stale);
                cam
            })
            .collect();
        let analytics = TrafficAnalytics::new();
        analytics.vehicle_detected(VehicleClass::Car, Direction::Inbound);
        let slo = Slo::availability("availability", 0.999, Duration::from_secs(30 * 86_400))
            .map(|s| s.recorder());
        (fleet, streams, analytics, slo)
    })
}

/// metrics-exporter-prometheus set up as `build_recorder` used to set it up.
fn anchor_recorder(config: &TelemetryConfig) -> metrics_exporter_prometheus::PrometheusRecorder {
    use its_telemetry::catalog::{self, MetricKind};
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
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

fn render_cameras(c: &mut Criterion) {
    // 10 000 camera ids per label: five times the default limit.
    let limits = its_telemetry::config::CardinalityConfig {
        default_limit: 20_000,
        ..Default::default()
    };
    let _ = its_telemetry::cardinality::global().reconfigure(&limits);
    let config = TelemetryConfig::default();
    let mut group = c.benchmark_group("render");
    group.sample_size(30);
    for cameras in CAMERAS {
        let recorder = its_telemetry::prometheus::build_recorder(&config);
        let handle = recorder.handle();
        let _alive = populate(&recorder, cameras);
        let text = handle.render();
        let series = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count();
        let per_camera = text
            .lines()
            .filter(|l| l.contains("camera_id=\"cam-0000\""))
            .count();
        println!(
            "render: {cameras} cameras, {series} series in total, {per_camera} per camera, {} bytes",
            text.len()
        );
        group.bench_function(format!("metrics_{cameras}_cameras"), |b| {
            b.iter(|| handle.render())
        });
        if cameras == CAMERAS[0] {
            let anchor = anchor_recorder(&config);
            let anchor_handle = anchor.handle();
            let _anchor_alive = populate(&anchor, cameras);
            group.bench_function(
                format!("metrics_exporter_prometheus_{cameras}_cameras"),
                |b| b.iter(|| anchor_handle.render()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, render_cameras);
criterion_main!(benches);
