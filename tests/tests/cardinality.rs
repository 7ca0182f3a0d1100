//! 10 000 distinct camera ids: the series stay bounded and the overflow is counted.

use its_telemetry::TelemetryConfig;
use its_telemetry::camera::CameraFleet;
use its_telemetry::cardinality::{CardinalityGuard, OVERFLOW_VALUE};
use its_telemetry::catalog::{camera, sdk};
use its_telemetry::config::CardinalityConfig;
use its_telemetry_tests::exposition::Exposition;

#[test]
fn ten_thousand_cameras_stay_bounded() {
    const LIMIT: usize = 1000;
    let guard: &'static CardinalityGuard =
        Box::leak(Box::new(CardinalityGuard::new(&CardinalityConfig {
            default_limit: LIMIT,
            ..CardinalityConfig::default()
        })));
    let recorder = its_telemetry::prometheus::build_recorder(&TelemetryConfig::default());
    let handle = recorder.handle();
    let _streams = metrics::with_local_recorder(&recorder, || {
        let fleet = CameraFleet::with_guard(10_000, guard);
        (0..10_000)
            .map(|i| {
                let cam = fleet.stream(&format!("cam-{i:05}"));
                cam.frame_received(1);
                cam
            })
            .collect::<Vec<_>>()
    });
    let exposition = Exposition::parse(&handle.render());
    let series: Vec<_> = exposition.series(camera::FRAMES_RECEIVED.name).collect();
    assert_eq!(
        series.len(),
        LIMIT + 1,
        "LIMIT real ids plus the overflow series"
    );
    let overflow = series
        .iter()
        .find(|s| s.labels["camera_id"] == OVERFLOW_VALUE)
        .expect("overflow series");
    assert_eq!(
        overflow.value, 9000.0,
        "frames of the folded cameras still count"
    );
    let folded: f64 = exposition
        .series(sdk::LABEL_OVERFLOW.name)
        .filter(|s| s.labels["metric"] == camera::FRAMES_RECEIVED.name)
        .map(|s| s.value)
        .sum();
    assert_eq!(folded, 9000.0);
    let per_camera_total = exposition
        .samples
        .iter()
        .filter(|s| s.labels.contains_key("camera_id"))
        .count();
    assert!(
        per_camera_total <= 10 * (LIMIT + 1),
        "{per_camera_total} per-camera series"
    );
}
