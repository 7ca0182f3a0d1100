//! A token-protected `/metrics` scraped by a real Prometheus with the configuration the
//! generator writes: with `PrometheusConfig::metrics_token_file` every service job is up; the
//! same configuration without the token gets 401 on every service job, and Prometheus says so.

use std::time::{Duration, Instant};

use its_telemetry::TelemetryConfig;
use its_telemetry_monitoring::prometheus::{PrometheusConfig, SCRAPE_JOBS};
use its_telemetry_tests::daemon::{TempDir, free_loopback_addr};
use its_telemetry_tests::prometheus_server::Prometheus;

/// `(job, health, last error)` of every service job's target.
fn service_targets(prometheus: &Prometheus) -> Vec<(String, String, String)> {
    let data = prometheus.api("targets?state=active").expect("targets");
    let targets = data["activeTargets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    targets
        .iter()
        .filter_map(|t| {
            let job = t["labels"]["job"].as_str()?;
            SCRAPE_JOBS.iter().any(|j| j.name == job).then(|| {
                (
                    job.to_owned(),
                    t["health"].as_str().unwrap_or_default().to_owned(),
                    t["lastError"].as_str().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect()
}

/// Waits until every service job has been scraped once, and returns their state.
fn scraped(prometheus: &Prometheus) -> Vec<(String, String, String)> {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let targets = service_targets(prometheus);
        if targets.len() == SCRAPE_JOBS.len() && targets.iter().all(|(_, h, _)| h != "unknown") {
            return targets;
        }
        assert!(
            Instant::now() < deadline,
            "service jobs not scraped within 45 s: {targets:?}\n{}",
            prometheus.log_tail(20)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn config(metrics: std::net::SocketAddr) -> PrometheusConfig {
    let mut config = PrometheusConfig::default()
        .targets([metrics.to_string()])
        .collector(Vec::<String>::new(), Vec::<String>::new());
    config.rule_files.clear();
    config.alertmanagers.clear();
    config
}

#[test]
fn prometheus_scrapes_a_token_protected_endpoint_with_the_generated_config() {
    let dir = TempDir::new("its-metrics-token").expect("scratch dir");
    let token_file = dir.path().join("metrics-token");
    std::fs::write(&token_file, "s3cr3t-scrape-token\n").expect("write token");
    let telemetry = TelemetryConfig::builder("token-svc")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .metrics_bearer_token_file(&token_file)
        .log_filter("warn")
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init(telemetry).expect("init");
    let metrics = guard.metrics_addr().expect("metrics endpoint bound");
    its_telemetry::camera::CameraFleet::new(4)
        .stream("cam-1")
        .frame_received(100);

    let with_token = {
        let addr = free_loopback_addr();
        let yaml = config(metrics)
            .metrics_token_file(token_file.display().to_string())
            .render()
            .replace("localhost:9090", &addr.to_string());
        assert!(yaml.contains("credentials_file:"), "{yaml}");
        Prometheus::start(addr, &yaml, &[])
    };
    for (job, health, error) in scraped(&with_token) {
        assert_eq!(health, "up", "{job} with the token: {error}");
    }
    let frames = its_telemetry::catalog::camera::FRAMES_RECEIVED.name;
    let samples = with_token
        .query(&format!("{frames}{{camera_id=\"cam-1\"}}"))
        .expect("query");
    assert!(!samples.is_empty(), "no {frames} scraped");
    drop(with_token);

    let without_token = {
        let addr = free_loopback_addr();
        let yaml = config(metrics)
            .render()
            .replace("localhost:9090", &addr.to_string());
        assert!(!yaml.contains("credentials_file:"), "{yaml}");
        Prometheus::start(addr, &yaml, &[])
    };
    for (job, health, error) in scraped(&without_token) {
        assert_eq!(health, "down", "{job} without the token");
        assert!(error.contains("401"), "{job}: {error}");
    }
}
