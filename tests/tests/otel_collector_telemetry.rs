//! The collector's own telemetry against the generated alert rules: the real collector
//! (`otelcol-its`, see `otel_collector_validate.rs`) runs the shipped config on loopback ports,
//! its backends reject what it sends (Jaeger with gRPC `INVALID_ARGUMENT`, Loki with HTTP 400:
//! permanent errors, so nothing waits for retries), spans, log records and metric points go in
//! over OTLP/gRPC, and its telemetry endpoint is scraped as Prometheus would.
//!
//! Every `otelcol_*` name in `monitoring/prometheus/rules.yaml` must appear in that scrape, with
//! the labels the rules aggregate by: a rename by a collector upgrade fails here, not silently
//! in production. The shipped metrics pipeline only has the (pull) `prometheus` exporter, which
//! never fails to send; an overlay config adds a rejecting OTLP/HTTP exporter to it so that
//! `otelcol_exporter_send_failed_metric_points_total` is exercised too (and turns gzip off for
//! the Jaeger stand-in, see [`overlay`]).

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use its_telemetry_monitoring::otelcol as names;
use its_telemetry_monitoring::rules::RuleFile;
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::http_sink::HttpSink;
use its_telemetry_tests::otelcol::{Backends, Collector, workspace};
use its_telemetry_tests::otlp::OtlpReceiver;
use its_telemetry_tests::scrape;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, status};
use regex::Regex;

/// Merged over the shipped config: an exporter that fails in the metrics pipeline, and the
/// Jaeger exporter without gzip (the test's gRPC stand-in has no gzip codec; it must read the
/// request to reject it, so the failure seen is its `INVALID_ARGUMENT`).
fn overlay(rejecting: &str) -> String {
    format!(
        "exporters:\n  otlp_grpc/jaeger:\n    compression: none\n  \
         otlp_http/rejecting:\n    endpoint: {rejecting}\n    tls:\n      insecure: true\n\
         service:\n  pipelines:\n    metrics:\n      exporters: [prometheus, otlp_http/rejecting]\n"
    )
}

/// For each alert on collector metrics in the shipped rules: the `otelcol_*` names it reads
/// and the labels it aggregates by (less `job`/`instance`, which the scrape adds).
fn collector_rules() -> Vec<(String, BTreeSet<String>, BTreeSet<String>)> {
    let path = workspace().join("monitoring/prometheus/rules.yaml");
    let text = std::fs::read_to_string(&path).expect("read monitoring/prometheus/rules.yaml");
    let file = RuleFile::from_yaml(&text).expect("rules.yaml parses");
    let name = Regex::new(r"\b(otelcol_[a-z0-9_]+)").expect("regex");
    let by = Regex::new(r"\bby \(([^)]*)\)").expect("regex");
    file.alerts()
        .filter_map(|a| {
            let metrics: BTreeSet<String> = name
                .captures_iter(&a.expr)
                .map(|c| c[1].to_owned())
                .collect();
            let labels = by
                .captures_iter(&a.expr)
                .flat_map(|c| {
                    c[1].split(',')
                        .map(|l| l.trim().to_owned())
                        .collect::<Vec<_>>()
                })
                .filter(|l| !l.is_empty() && l != "job" && l != "instance")
                .collect();
            (!metrics.is_empty()).then(|| (a.alert.clone(), metrics, labels))
        })
        .collect()
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: vec![KeyValue {
            key: "service.name".to_owned(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(
                    "otel-collector-telemetry-test".to_owned(),
                )),
            }),
            ..Default::default()
        }],
        ..Default::default()
    })
}

/// One request per signal. The span has status ERROR, so tail sampling keeps it.
async fn send_one_of_each(endpoint: String, round: u8) {
    let now = now_nanos();
    let span = Span {
        trace_id: vec![round; 16],
        span_id: vec![round; 8],
        name: "infer yolo".to_owned(),
        kind: 2,
        start_time_unix_nano: now - 1_000_000,
        end_time_unix_nano: now,
        status: Some(Status {
            code: status::StatusCode::Error as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    TraceServiceClient::connect(endpoint.clone())
        .await
        .expect("connect to the collector's OTLP/gRPC receiver")
        .export(ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: resource(),
                scope_spans: vec![ScopeSpans {
                    spans: vec![span],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
        .await
        .expect("collector accepts spans");
    LogsServiceClient::connect(endpoint.clone())
        .await
        .expect("connect")
        .export(ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: resource(),
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        time_unix_nano: now,
                        body: Some(AnyValue {
                            value: Some(any_value::Value::StringValue("camera lost".to_owned())),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
        .await
        .expect("collector accepts log records");
    MetricsServiceClient::connect(endpoint)
        .await
        .expect("connect")
        .export(ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: resource(),
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "probe_streams".to_owned(),
                        data: Some(metric::Data::Gauge(Gauge {
                            data_points: vec![NumberDataPoint {
                                time_unix_nano: now,
                                value: Some(number_data_point::Value::AsDouble(1.0)),
                                ..Default::default()
                            }],
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
        .await
        .expect("collector accepts metric points");
}

fn scrape_telemetry(collector: &Collector) -> Exposition {
    let response = scrape::get(collector.telemetry, "/metrics");
    assert_eq!(response.status, 200, "{}", response.body);
    Exposition::parse(&response.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_collector_metric_the_alerts_use_is_in_the_real_scrape() {
    let rules = collector_rules();
    let used: BTreeSet<String> = rules.iter().flat_map(|(_, m, _)| m.clone()).collect();
    let named: BTreeSet<String> = names::METRICS.iter().map(|m| (*m).to_owned()).collect();
    assert_eq!(
        used, named,
        "rules.yaml and its_telemetry_monitoring::otelcol disagree: regenerate monitoring/"
    );

    let jaeger = OtlpReceiver::grpc_rejecting().await.expect("gRPC backend");
    let loki = HttpSink::start_answering(400).await.expect("HTTP backend");
    let backends = Backends {
        jaeger: jaeger.endpoint().trim_start_matches("http://").to_owned(),
        loki: format!("{}/otlp", loki.endpoint()),
    };
    let collector = Collector::start(&backends, &[("overlay.yaml", overlay(&loki.endpoint()))]);
    let endpoint = format!("http://{}", collector.otlp_grpc);
    for round in 1..=3 {
        send_one_of_each(endpoint.clone(), round).await;
    }

    // Logs and metrics leave after the batch timeout (5 s), spans after tail sampling's
    // decision wait (10 s) and the batch timeout.
    let deadline = Instant::now() + Duration::from_secs(60);
    let exposition = loop {
        let exposition = scrape_telemetry(&collector);
        let failed = names::SIGNALS
            .iter()
            .all(|s| exposition.sum(s.send_failed, &[]) > 0.0);
        if failed && named.iter().all(|n| exposition.series(n).next().is_some()) {
            break exposition;
        }
        if Instant::now() >= deadline {
            let missing: Vec<&String> = named
                .iter()
                .filter(|n| exposition.series(n).next().is_none())
                .collect();
            let seen: BTreeSet<&str> = exposition
                .samples
                .iter()
                .map(|s| s.name.as_str())
                .filter(|n| n.starts_with("otelcol_"))
                .collect();
            panic!(
                "after 60 s the collector's telemetry lacks {missing:?} (or a send-failed \
                 counter is still 0), which the alert rules use. A collector upgrade may have \
                 renamed them: fix its_telemetry_monitoring::otelcol and regenerate.\n\
                 otelcol_* seen: {seen:#?}\ncollector log:\n{}",
                collector.log_tail(40)
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    // The failures are the backends' rejections, not something else.
    assert!(!jaeger.spans().is_empty(), "Jaeger stand-in got no spans");
    let paths: BTreeSet<String> = loki.received().into_iter().map(|r| r.path).collect();
    assert!(paths.contains("/otlp/v1/logs"), "{paths:?}");
    assert!(paths.contains("/v1/metrics"), "{paths:?}");

    // Every label a rule aggregates by is on the series it reads.
    for (alert, metrics, labels) in &rules {
        for metric in metrics {
            for label in labels {
                assert!(
                    exposition
                        .series(metric)
                        .any(|s| s.labels.contains_key(label.as_str())),
                    "{alert} aggregates {metric} by `{label}`, which the collector does not \
                     put on it: {:?}",
                    exposition.series(metric).collect::<Vec<_>>()
                );
            }
        }
    }
    // The receiver the data came in on keeps count of what it refused (0 here).
    for signal in names::SIGNALS {
        let otlp_grpc = exposition.series(signal.refused).any(|s| {
            s.labels.get("receiver").map(String::as_str) == Some("otlp")
                && s.labels.get("transport").map(String::as_str) == Some("grpc")
        });
        assert!(
            otlp_grpc,
            "{} has no series for receiver otlp/grpc",
            signal.refused
        );
    }
    assert!(
        exposition.sum(
            names::EXPORTER_QUEUE_CAPACITY,
            &[("exporter", "otlp_grpc/jaeger")]
        ) > 0.0,
        "the Jaeger exporter's queue has no capacity"
    );
}
