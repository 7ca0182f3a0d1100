//! Init on an ephemeral port, record every recorder, scrape `/metrics` over HTTP, and hold the
//! exposition to `promtool check metrics`.

use std::time::Duration;

use its_telemetry::business::{Direction, IncidentType, Severity, TrafficAnalytics, VehicleClass};
use its_telemetry::camera::{CameraFleet, DropReason};
use its_telemetry::catalog::{self, MetricKind};
use its_telemetry::sla::Slo;
use its_telemetry::{InitError, TelemetryConfig};
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::{promtool, scrape};

/// Camera ids a careless integration could send: quotes, backslashes, newlines, non-ASCII.
const AWKWARD_IDS: &[&str] = &[
    r#"gate "north" \ lane 2"#,
    "cam\nwith newline",
    r"trailing\",
    "kamera-größe-東京",
];

#[test]
fn scrape_of_every_recorder_is_clean_and_complete() {
    let config = TelemetryConfig::builder("camera-ai")
        .environment("ci")
        .build_info("1.2.3", "abc1234")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .log_filter("warn")
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init(config.clone()).expect("init");
    let addr = guard.metrics_addr().expect("metrics endpoint bound");
    assert_ne!(addr.port(), 0);

    let fleet = CameraFleet::new(1000);
    let mut streams: Vec<_> = (0..20)
        .map(|i| fleet.stream(&format!("cam-{i:04}")))
        .collect();
    streams.extend(AWKWARD_IDS.iter().map(|id| fleet.stream(id)));
    for cam in &streams {
        cam.connected();
        cam.frame_received(40_000);
        cam.frame_decoded(Duration::from_millis(4));
        cam.frame_dropped(DropReason::Stale);
    }
    streams[0].reconnected();
    streams[1].disconnected();

    let analytics = TrafficAnalytics::new();
    analytics.vehicle_detected(VehicleClass::Bus, Direction::Inbound);
    analytics.vehicle_speed_kmh(VehicleClass::Bus, 48.0);
    let mut incident = analytics.incident_detected(IncidentType::WrongWay, Severity::Critical);
    incident.acknowledged();
    incident.resolved();
    analytics.data_quality(0.93);
    analytics.compute_hourly_cost(4.1);

    let month = Duration::from_secs(30 * 86_400);
    let availability = Slo::availability("availability", 0.999, month)
        .expect("slo")
        .recorder();
    let latency = Slo::latency("latency_p95", 0.95, Duration::from_millis(100), month)
        .expect("slo")
        .recorder();
    availability.record(true);
    availability.record(false);
    latency.record_latency(Duration::from_millis(80));

    let response = scrape::get(addr, "/metrics");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some(its_telemetry::prometheus::CONTENT_TYPE)
    );

    let findings = promtool::check_metrics(&response.body);
    assert!(
        findings.trim().is_empty(),
        "promtool check metrics found problems:\n{findings}\n--- exposition ---\n{}",
        response.body
    );

    let exposition = Exposition::parse(&response.body);
    assert!(
        !exposition.types.values().any(|t| t == "summary"),
        "a histogram was rendered as a summary"
    );
    for metric in catalog::all().filter(|m| m.kind == MetricKind::Histogram) {
        if let Some(kind) = exposition.types.get(metric.name) {
            assert_eq!(kind, "histogram", "{}", metric.name);
        }
    }
    let expected = catalog::camera::ALL
        .iter()
        .chain(catalog::business::ALL)
        .chain(catalog::sla::ALL)
        .chain([&catalog::sdk::BUILD_INFO]);
    for metric in expected {
        assert_eq!(
            exposition.types.get(metric.name).map(String::as_str),
            Some(metric.kind.as_str()),
            "{} missing or of the wrong type",
            metric.name
        );
    }
    for sample in &exposition.samples {
        assert_eq!(
            sample.labels.get("service").map(String::as_str),
            Some("camera-ai")
        );
        assert_eq!(
            sample.labels.get("environment").map(String::as_str),
            Some("ci")
        );
    }
    let received: Vec<_> = exposition
        .series(catalog::camera::FRAMES_RECEIVED.name)
        .filter_map(|s| s.labels.get("camera_id").cloned())
        .collect();
    for id in AWKWARD_IDS {
        assert!(
            received.iter().any(|r| r == id),
            "{id:?} did not round-trip: {received:?}"
        );
    }
    let build = exposition
        .series(catalog::sdk::BUILD_INFO.name)
        .next()
        .expect("build info");
    assert_eq!(build.labels["version"], "1.2.3");
    assert_eq!(build.labels["git_sha"], "abc1234");
    assert_eq!(build.value, 1.0);
    let bucket_series = format!("{}_bucket", catalog::camera::DECODE_DURATION.name);
    let buckets: Vec<_> = exposition
        .series(&bucket_series)
        .map(|s| s.labels["le"].clone())
        .collect();
    assert_eq!(
        buckets.len(),
        catalog::camera::DECODE_DURATION.buckets.len() + 1
    );

    assert_eq!(scrape::get(addr, "/other").status, 404);
    assert!(matches!(
        its_telemetry::try_init(config),
        Err(InitError::AlreadyInitialized)
    ));
    guard.shutdown().expect("clean shutdown");
}
