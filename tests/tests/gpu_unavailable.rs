//! Through the real init path on a machine without an NVIDIA driver (every CI machine here):
//! `gpu::start_default` exports NVML availability 0, logs one warning with the reason, polls
//! nothing, and the service carries on. With the `nvml` feature on a GPU host it polls instead.

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::gpu;
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::{promtool, scrape};

#[test]
fn without_a_driver_gpu_metrics_degrade_to_availability_zero() {
    let logs = CapturedLogs::default();
    let config = TelemetryConfig::builder("camera-ai")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .log_filter("info")
        .build()
        .expect("valid config");
    let telemetry = its_telemetry::try_init_with_log_writer(config, logs.clone()).expect("init");
    let addr = telemetry.metrics_addr().expect("metrics endpoint bound");

    let handle = its_telemetry::gpu::start_default(its_telemetry::gpu::DEFAULT_INTERVAL)
        .expect("start_default never fails for a missing driver");
    let polling = handle.is_polling();

    let response = scrape::get(addr, "/metrics");
    assert_eq!(response.status, 200);
    let findings = promtool::check_metrics(&response.body);
    assert!(findings.trim().is_empty(), "{findings}\n{}", response.body);
    let exposition = Exposition::parse(&response.body);
    let available = exposition
        .series(gpu::NVML_AVAILABLE.name)
        .next()
        .expect("availability is always exported")
        .value;
    drop(handle);
    telemetry.shutdown().expect("clean shutdown");

    let warnings: Vec<_> = logs
        .json_lines()
        .into_iter()
        .filter(|line| line["level"] == "WARN")
        .collect();
    if polling {
        // A GPU host with the `nvml` feature: nothing to degrade.
        assert_eq!(available, 1.0);
        assert!(warnings.is_empty(), "{warnings:?}");
        return;
    }
    assert_eq!(available, 0.0);
    for metric in gpu::ALL
        .iter()
        .filter(|m| m.name != gpu::NVML_AVAILABLE.name)
    {
        assert_eq!(exposition.series(metric.name).count(), 0, "{}", metric.name);
    }
    assert_eq!(warnings.len(), 1, "exactly one warning: {warnings:?}");
    let reason = warnings[0]["fields"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("the warning carries the reason: {}", warnings[0]));
    assert!(
        reason.contains("`nvml` feature") || reason.contains("NVML library could not be loaded"),
        "{reason}"
    );
}
