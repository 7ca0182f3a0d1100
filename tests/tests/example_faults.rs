//! Each fault knob of the example service moves the metric its alert watches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use example_inference_service::faults::Faults;
use example_inference_service::options::Options;
use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::{business, camera, inference};
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::logs::CapturedLogs;

/// Sum of a series' samples whose labels include `labels`.
fn sum(text: &str, series: &str, labels: &[(&str, &str)]) -> f64 {
    Exposition::parse(text).sum(series, labels)
}

/// Polls the exposition until `done` holds or 20 s pass; returns the last exposition.
async fn wait_for(render: &dyn Fn() -> String, done: impl Fn(&str) -> bool) -> (bool, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = render();
        if done(&text) {
            return (true, text);
        }
        if Instant::now() > deadline {
            return (false, text);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_knob_moves_its_metric() {
    let config = TelemetryConfig::builder("inference-service")
        .no_metrics_listener()
        .log_filter("error")
        .build()
        .expect("valid config");
    let telemetry =
        its_telemetry::try_init_with_log_writer(config, CapturedLogs::default()).expect("init");
    let handle = telemetry.prometheus_handle().expect("metrics enabled");
    let render = {
        let handle = handle.clone();
        move || handle.render()
    };
    let options = Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        cameras: 20,
        cameras_per_gateway: 2,
        drift_window: 100,
        summary_every: Duration::ZERO,
        ..Options::default()
    };
    let service =
        example_inference_service::start(&options, Arc::new(move || Some(handle.render())))
            .await
            .expect("service");
    let faults = service.faults().clone();
    let set = |f: Faults| faults.set(f);

    // Healthy baseline first: every camera online, model stable.
    let (ok, _) = wait_for(&render, |t| {
        sum(t, camera::STREAMS_ACTIVE.name, &[]) == 20.0
    })
    .await;
    assert!(ok, "cameras never came online");

    // error_rate -> failed batches.
    set(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let (ok, text) = wait_for(&render, |t| {
        sum(t, inference::REQUESTS.name, &[("outcome", "error")]) >= 3.0
    })
    .await;
    assert!(ok, "error outcomes did not rise:\n{text}");

    // latency_spike_ms -> batches slower than 100 ms.
    set(Faults {
        latency_spike_ms: 150,
        ..Faults::default()
    });
    let slow = |t: &str| {
        let bucket = format!("{}_bucket", inference::REQUEST_DURATION.name);
        let total = sum(t, &bucket, &[("outcome", "ok"), ("le", "+Inf")]);
        let fast = sum(t, &bucket, &[("outcome", "ok"), ("le", "0.1")]);
        total - fast
    };
    let (ok, text) = wait_for(&render, |t| slow(t) >= 3.0).await;
    assert!(ok, "no batch slower than 100 ms:\n{text}");

    // camera_outage -> streams go offline.
    set(Faults {
        camera_outage: 0.5,
        ..Faults::default()
    });
    let (ok, text) = wait_for(&render, |t| {
        sum(t, camera::STREAMS_ACTIVE.name, &[]) == 10.0
    })
    .await;
    assert!(ok, "half the cameras did not go offline:\n{text}");
    let connected = Exposition::parse(&text)
        .series(camera::CONNECTED.name)
        .filter(|s| s.value == 0.0)
        .count();
    assert_eq!(connected, 10);

    // confidence_drift -> PSI beyond the critical threshold.
    set(Faults {
        confidence_drift: 0.4,
        ..Faults::default()
    });
    let (ok, text) = wait_for(&render, |t| {
        sum(t, inference::DRIFT_SCORE.name, &[("feature", "confidence")]) > 0.25
    })
    .await;
    assert!(ok, "drift score did not cross 0.25:\n{text}");

    // incident_backlog -> open incidents pile up, acknowledged after 5 minutes.
    set(Faults {
        incident_backlog: true,
        ..Faults::default()
    });
    let (ok, text) = wait_for(&render, |t| {
        sum(t, business::INCIDENTS_OPEN.name, &[]) >= 2.0
    })
    .await;
    assert!(ok, "no incident backlog:\n{text}");
    let late = format!("{}_bucket", business::INCIDENT_RESPONSE_DURATION.name);
    let total = sum(&text, &late, &[("stage", "acknowledged"), ("le", "+Inf")]);
    let in_time = sum(&text, &late, &[("stage", "acknowledged"), ("le", "300")]);
    assert!(total - in_time >= 2.0, "late acknowledgements not recorded");

    // low_data_quality -> quality gauge at 70 %.
    set(Faults {
        low_data_quality: true,
        ..Faults::default()
    });
    let (ok, text) = wait_for(&render, |t| sum(t, business::DATA_QUALITY.name, &[]) < 0.9).await;
    assert!(ok, "data quality did not fall:\n{text}");

    set(Faults::default());
    service.shutdown().await;
    telemetry.shutdown().expect("flushed");
}
