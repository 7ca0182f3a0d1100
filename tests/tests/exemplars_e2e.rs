//! Exemplars, from a latency bucket to its trace, proven against a real Prometheus with
//! exemplar storage: it negotiates OpenMetrics with the SDK's `/metrics`, stores the exemplars
//! of the HTTP server and inference latency histograms (`query_exemplars`), every exemplar
//! names a trace the SDK exported over OTLP, and what Prometheus parsed from OpenMetrics is
//! series for series and value for value what the text format says.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::http::SERVER_REQUEST_DURATION;
use its_telemetry::catalog::inference::REQUEST_DURATION;
use its_telemetry::http::ServerLayer;
use its_telemetry::inference::ModelTelemetry;
use its_telemetry_tests::daemon::free_loopback_addr;
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::otlp::OtlpReceiver;
use its_telemetry_tests::prometheus_server::Prometheus;

/// Labels Prometheus adds to every scraped series.
const TARGET_LABELS: &[&str] = &["job", "instance"];

/// `(name, labels without the target's)` → value, for every series Prometheus stored from the
/// job (its own `up` and `scrape_*` series left out).
fn stored_series(prometheus: &Prometheus) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let samples = prometheus
        .query(r#"{job="its",__name__!~"up|scrape_.*"}"#)
        .expect("query the job's series");
    samples
        .into_iter()
        .map(|s| {
            let mut labels: BTreeMap<String, String> = s
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let name = labels.remove("__name__").expect("__name__");
            for target in TARGET_LABELS {
                labels.remove(*target);
            }
            ((name, labels), s.value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stores_exemplars_that_name_exported_traces() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("exemplars")
        .otlp_endpoint(receiver.endpoint())
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .log_filter("info")
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init(config).expect("init");
    let metrics_addr = guard.metrics_addr().expect("metrics endpoint bound");

    // HTTP: requests that carry a sampled `traceparent` of known traces.
    let app = Router::new()
        .route("/v1/detect/{camera}", get(|| async { "detections" }))
        .layer(ServerLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let api = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut http_traces = BTreeSet::new();
    for i in 0..20_u32 {
        let trace = format!(
            "{:032x}",
            0x00e1_0000_0000_0000_0000_0000_0000_0000_u128 + u128::from(i)
        );
        let request = http::Request::get(format!("http://{api}/v1/detect/cam-{i}"))
            .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
            .body(Full::new(Bytes::new()))
            .expect("request");
        let response = client.request(request).await.expect("response");
        assert_eq!(response.status(), 200);
        http_traces.insert(trace);
    }

    // Inference: batches of a model, each the root of its own sampled trace.
    let model = ModelTelemetry::new("yolov8n-traffic", "8.1");
    let mut batch_traces = BTreeSet::new();
    for i in 0..10_u64 {
        let batch = model.start_batch(8);
        let trace = batch
            .trace_link()
            .trace_id()
            .expect("a sampled batch span has a trace id");
        batch_traces.insert(trace.to_string());
        tokio::time::sleep(Duration::from_millis(2 + i * 3)).await;
        batch.ok();
    }

    let prometheus = Prometheus::start_with_flags(
        free_loopback_addr(),
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: its\n    \
             static_configs:\n      - targets: ['{metrics_addr}']\n"
        ),
        &[],
        &["--enable-feature=exemplar-storage"],
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    let (http_exemplars, batch_exemplars) = loop {
        let http = prometheus.exemplars(SERVER_REQUEST_DURATION.name);
        let batch = prometheus.exemplars(REQUEST_DURATION.name);
        if let (Ok(http), Ok(batch)) = (&http, &batch)
            && !http.is_empty()
            && !batch.is_empty()
        {
            break (http.clone(), batch.clone());
        }
        assert!(
            Instant::now() < deadline,
            "no exemplars within 30 s: http {http:?}, inference {batch:?}\ntargets: {}\nlog:\n{}",
            prometheus.targets_summary(),
            prometheus.log_tail(30)
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let up = prometheus.query(r#"up{job="its"}"#).expect("up");
    assert_eq!(up.len(), 1, "{up:?}");
    assert!((up[0].value - 1.0).abs() < f64::EPSILON, "{up:?}");

    for (what, found, expected) in [
        ("HTTP server", &http_exemplars, &http_traces),
        ("inference", &batch_exemplars, &batch_traces),
    ] {
        for exemplar in found {
            assert!(
                expected.contains(&exemplar.trace_id),
                "{what} exemplar {exemplar:?} names a trace it did not record: {expected:?}"
            );
            assert!(
                exemplar.value >= 0.0 && exemplar.value <= exemplar.le,
                "{what} exemplar {exemplar:?} is not in its bucket"
            );
        }
    }

    // What Prometheus parsed from OpenMetrics is what the text format says.
    let text = guard.render_metrics().expect("metrics enabled");
    let from_text: BTreeMap<(String, BTreeMap<String, String>), f64> = Exposition::parse(&text)
        .samples
        .into_iter()
        .map(|mut s| {
            // An empty label value is the label's absence in Prometheus' data model.
            s.labels.retain(|_, v| !v.is_empty());
            ((s.name, s.labels), s.value)
        })
        .collect();
    let stored = stored_series(&prometheus);
    let only_text: Vec<_> = from_text
        .keys()
        .filter(|k| !stored.contains_key(*k))
        .collect();
    let only_stored: Vec<_> = stored
        .keys()
        .filter(|k| !from_text.contains_key(*k))
        .collect();
    assert!(
        only_text.is_empty() && only_stored.is_empty(),
        "series differ: only in the text format {only_text:#?}, only in Prometheus {only_stored:#?}"
    );
    for (key, value) in &from_text {
        let seen = stored[key];
        assert!(
            (seen - value).abs() <= 1e-9 * value.abs().max(1.0),
            "{key:?}: text says {value}, Prometheus stored {seen}"
        );
    }

    // Every exemplar's trace was exported.
    server.abort();
    drop(guard); // flushes the spans
    let wanted: BTreeSet<&String> = http_exemplars
        .iter()
        .chain(&batch_exemplars)
        .map(|exemplar| &exemplar.trace_id)
        .collect();
    let spans = receiver.wait_for_spans(30, Duration::from_secs(10)).await;
    let exported: BTreeSet<String> = spans.iter().map(|s| s.trace_id()).collect();
    let missing: Vec<_> = wanted.iter().filter(|t| !exported.contains(**t)).collect();
    assert!(
        missing.is_empty(),
        "exemplars name traces that were not exported: {missing:?}"
    );
}
