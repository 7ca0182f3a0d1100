//! Init, spawn the GPU poller over a fake source, scrape `/metrics` over HTTP: every GPU metric
//! is in the exposition with its catalog type, per-device labels and base units, and the
//! exposition passes `promtool check metrics`.

use std::time::Duration;

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::{self, gpu};
use its_telemetry::gpu::{FakeGpuSource, GpuPoller, ThrottleReason};
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::{promtool, scrape};

const GIB: f64 = 1_073_741_824.0;

/// A device name a vendor string or a careless config could carry.
const AWKWARD_NAME: &str = r#"NVIDIA "L4" \ slot 2"#;

#[test]
fn gpu_metrics_scrape_clean_and_complete() {
    let config = TelemetryConfig::builder("camera-ai")
        .environment("ci")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .log_filter("error")
        .build()
        .expect("valid config");
    let telemetry = its_telemetry::try_init(config).expect("init");
    let addr = telemetry.metrics_addr().expect("metrics endpoint bound");

    let mut awkward = FakeGpuSource::device(1);
    awkward.name = AWKWARD_NAME.to_owned();
    let source = FakeGpuSource::new(vec![FakeGpuSource::device(0), awkward]);
    // An hour: only the reading `spawn` takes before returning is exported in this test.
    let poller = GpuPoller::new(source.clone(), Duration::from_secs(3600))
        .with_pid(4242)
        .spawn()
        .expect("poller thread");

    let response = scrape::get(addr, "/metrics");
    assert_eq!(response.status, 200);
    let findings = promtool::check_metrics(&response.body);
    assert!(
        findings.trim().is_empty(),
        "promtool check metrics found problems:\n{findings}\n--- exposition ---\n{}",
        response.body
    );

    let exposition = Exposition::parse(&response.body);
    for metric in gpu::ALL {
        assert_eq!(
            exposition.types.get(metric.name).map(String::as_str),
            Some(metric.kind.as_str()),
            "{} missing or of the wrong type",
            metric.name
        );
        for sample in exposition.series(metric.name) {
            for key in metric.labels.iter().chain(&["service", "environment"]) {
                assert!(
                    sample.labels.contains_key(*key),
                    "{} lacks label {key}: {:?}",
                    metric.name,
                    sample.labels
                );
            }
        }
    }

    let value = |metric: &catalog::MetricDescriptor, labels: &[(&str, &str)]| {
        exposition
            .series(metric.name)
            .find(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .unwrap_or_else(|| panic!("{}{labels:?} not in the exposition", metric.name))
            .value
    };
    assert_eq!(value(&gpu::NVML_AVAILABLE, &[]), 1.0);
    let d0 = [("gpu", "0"), ("uuid", "GPU-fake-0")];
    assert_eq!(value(&gpu::UTILIZATION, &d0), 0.4);
    assert_eq!(value(&gpu::POWER, &d0), 250.0);
    assert_eq!(value(&gpu::ENERGY, &d0), 12_345.0);
    assert_eq!(
        value(&gpu::CLOCK, &[("gpu", "0"), ("clock", "memory")]),
        1.593e9
    );
    assert_eq!(
        value(&gpu::ECC_ERRORS, &[("gpu", "0"), ("type", "uncorrected")]),
        1.0
    );
    let throttled = ThrottleReason::SwPowerCap.as_str();
    assert_eq!(
        value(&gpu::THROTTLED, &[("gpu", "0"), ("reason", throttled)]),
        1.0
    );
    assert_eq!(value(&gpu::PROCESS_MEMORY_USED, &d0), 2.0 * GIB);
    // The awkward device name round-trips exactly through the text exposition.
    assert_eq!(
        value(&gpu::TEMPERATURE, &[("gpu", "1"), ("name", AWKWARD_NAME)]),
        65.0
    );

    drop(poller);
    assert_eq!(source.reads(), 1);
    telemetry.shutdown().expect("clean shutdown");
}
