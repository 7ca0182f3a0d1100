//! The catalogue of alerts on catalog metrics, each with its promtool proof
//! ([`AlertCheck`]: a scenario where it fires and one where it stays silent).
//!
//! Thresholds are the ones the service's SLA and capacity plan state: availability 99 %,
//! inference p95 100 ms and p99 200 ms, model accuracy 85 %, drift PSI 0.1 / 0.25, GPU 90 %,
//! camera capacity 85 %, 8 TB/day ingest, 50 vehicles/s, confidence 85 %, $0.05 per
//! detection, data quality 90 %, incident response 5 minutes.
//!
//! ```
//! use its_telemetry_monitoring::alerts;
//!
//! let names: Vec<_> = alerts::core().iter().map(|c| c.rule.alert.clone()).collect();
//! assert!(names.contains(&"TargetDown".to_owned()));
//! ```

use std::time::Duration;

use super::otelcol;
use super::rules::{AlertingRule, Category, RuleGroup, Severity, Team, prom_number};
use super::thresholds;
use super::unit_test::{AlertCheck, InputSeries, Scenario, constant, histogram, piecewise, rising};
use its_telemetry::catalog::{business, camera, gpu, http, inference, sdk};
use its_telemetry::inference::DriftThresholds;

/// `up`: written by Prometheus itself for every target (1 scraped, 0 failed), so it is not in
/// the SDK's catalog.
pub const UP: &str = "up";

/// The labels service-level alerts keep.
const BY_SERVICE: &str = "environment, service";

const fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn count(histogram: &str) -> String {
    format!("{histogram}_count")
}

/// Core alerts (`rules.yaml`): availability, errors, infrastructure, camera capacity,
/// security and the telemetry pipeline, as rule groups, then the collector's
/// ([`otel_collector`]) as group `otel-collector`.
#[must_use]
pub fn core_groups() -> Vec<RuleGroup> {
    let mut groups = group_by_category(
        &core(),
        &[
            ("its-availability", &[Category::Availability]),
            ("its-infrastructure", &[Category::Infrastructure]),
            ("its-security", &[Category::Security]),
            ("its-telemetry", &[Category::Telemetry]),
        ],
    );
    groups.push(
        otel_collector()
            .into_iter()
            .fold(RuleGroup::new("otel-collector"), |g, check| {
                g.alert(check.rule)
            }),
    );
    groups
}

/// ML pipeline alerts (`ml-pipeline-rules.yaml`) as rule groups.
#[must_use]
pub fn ml_pipeline_groups() -> Vec<RuleGroup> {
    group_by_category(
        &ml_pipeline(),
        &[
            ("its-inference-latency", &[Category::Latency]),
            ("its-model-quality", &[Category::Ml]),
        ],
    )
}

/// Business alerts (`business-rules.yaml`) as rule groups.
#[must_use]
pub fn business_groups() -> Vec<RuleGroup> {
    vec![
        business()
            .into_iter()
            .fold(RuleGroup::new("its-business"), |g, check| {
                g.alert(check.rule)
            }),
    ]
}

fn group_by_category(checks: &[AlertCheck], groups: &[(&str, &[Category])]) -> Vec<RuleGroup> {
    groups
        .iter()
        .map(|(name, categories)| {
            checks
                .iter()
                .filter(|c| {
                    categories
                        .iter()
                        .any(|cat| c.rule.label_value("category") == Some(cat.as_str()))
                })
                .fold(RuleGroup::new(*name), |g, c| g.alert(c.rule.clone()))
        })
        .filter(|g| !g.rules.is_empty())
        .collect()
}

/// Core alerts with their proofs.
#[must_use]
pub fn core() -> Vec<AlertCheck> {
    let req = inference::REQUESTS.name;
    let ok = [("model", "yolo"), ("version", "1"), ("outcome", "ok")];
    let err = [
        ("model", "yolo"),
        ("version", "1"),
        ("outcome", "error"),
        ("reason", "timed_out"),
    ];
    let http_count = count(http::SERVER_REQUEST_DURATION.name);
    let http_labels = |code: &'static str| {
        vec![
            ("http_request_method", "POST"),
            ("http_route", "/v1/detect"),
            ("http_response_status_code", code),
        ]
    };
    let gpu_labels = [("gpu", "0"), ("uuid", "GPU-0"), ("name", "H100")];
    let overflow = [("metric", camera::FRAMES_RECEIVED.name)];
    let dropped = [("signal", "traces"), ("reason", "queue_full")];
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "SystemAvailabilityLow",
                format!(
                    "1 - (\n  sum by ({BY_SERVICE}) (rate({req}{{outcome!=\"ok\"}}[5m]))\n  /\n  sum by ({BY_SERVICE}) (rate({req}[5m]))\n) < 0.99"
                ),
                Severity::Critical,
                Team::Sre,
                Category::Availability,
            )
            .pending_for(minutes(5))
            .summary("{{ $labels.service }} availability is below 99 %")
            .description("Fewer than 99 % of the inference batches of {{ $labels.service }} ({{ $labels.environment }}) succeeded over the last 5 minutes."),
            fires: Scenario::fires("5 % of batches fail", 15, &[], vec![
                InputSeries::new(req, &ok, rising(95.0, 20)),
                InputSeries::new(req, &err, rising(5.0, 20)),
            ]),
            silent: Scenario::silent("0.1 % of batches fail", 15, vec![
                InputSeries::new(req, &ok, rising(999.0, 20)),
                InputSeries::new(req, &err, rising(1.0, 20)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "HttpServerErrorRateHigh",
                format!(
                    "sum by ({BY_SERVICE}) (rate({http_count}{{http_response_status_code=~\"5..\"}}[5m]))\n/\nsum by ({BY_SERVICE}) (rate({http_count}[5m]))\n> 0.05"
                ),
                Severity::Warning,
                Team::Sre,
                Category::Availability,
            )
            .pending_for(minutes(5))
            .summary("{{ $labels.service }} answers more than 5 % of HTTP requests with 5xx")
            .description("More than 5 % of the HTTP requests to {{ $labels.service }} ({{ $labels.environment }}) failed with a server error over the last 5 minutes."),
            fires: Scenario::fires("10 % of requests fail", 15, &[], vec![
                InputSeries::new(&http_count, &http_labels("200"), rising(90.0, 20)),
                InputSeries::new(&http_count, &http_labels("500"), rising(10.0, 20)),
            ]),
            silent: Scenario::silent("1 % of requests fail", 15, vec![
                InputSeries::new(&http_count, &http_labels("200"), rising(99.0, 20)),
                InputSeries::new(&http_count, &http_labels("500"), rising(1.0, 20)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "TargetDown",
                // The collector has its own alert (OtelCollectorDown): one page, not two.
                format!("{UP}{{job!=\"{}\"}} == 0", otelcol::TELEMETRY_JOB),
                Severity::Critical,
                Team::Sre,
                Category::Availability,
            )
            .pending_for(minutes(2))
            .summary("Prometheus cannot scrape {{ $labels.instance }} ({{ $labels.job }})")
            .description("The scrape target {{ $labels.instance }} of job {{ $labels.job }} has been down for 2 minutes: its metrics, and the alerts on them, are blind."),
            fires: Scenario::fires("the target stopped answering", 5, &[], vec![
                InputSeries::bare(UP, &[("job", "its-inference"), ("instance", "detector:9464")], constant(0.0, 10)),
            ])
            .with_exact_labels(&[("job", "its-inference"), ("instance", "detector:9464")]),
            silent: Scenario::silent("the target answers", 5, vec![
                InputSeries::bare(UP, &[("job", "its-inference"), ("instance", "detector:9464")], constant(1.0, 10)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "GpuUtilizationHigh",
                format!("{} > 0.9", gpu::UTILIZATION.name),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("GPU {{ $labels.gpu }} ({{ $labels.name }}) of {{ $labels.service }} is more than 90 % busy")
            .description("GPU {{ $labels.gpu }} ({{ $labels.uuid }}) of {{ $labels.service }} ({{ $labels.environment }}) has run kernels more than 90 % of the time for 10 minutes: batches will queue; add GPUs or shed cameras."),
            fires: Scenario::fires("95 % busy for 15 minutes", 15, &gpu_labels, vec![
                InputSeries::new(gpu::UTILIZATION.name, &gpu_labels, constant(0.95, 20)),
            ]),
            silent: Scenario::silent("50 % busy", 15, vec![
                InputSeries::new(gpu::UTILIZATION.name, &gpu_labels, constant(0.5, 20)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CameraCapacityHigh",
                format!(
                    "sum by ({BY_SERVICE}) ({})\n/\nsum by ({BY_SERVICE}) ({})\n> {}",
                    camera::STREAMS_ACTIVE.name,
                    camera::STREAMS_CAPACITY.name,
                    prom_number(thresholds::CAMERA_CAPACITY_HIGH_RATIO)
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("{{ $labels.service }} is above 85 % of its camera stream capacity")
            .description("More than 85 % of the camera streams {{ $labels.service }} ({{ $labels.environment }}) is provisioned for are connected: plan capacity before new cameras are refused."),
            fires: Scenario::fires("90 of 100 streams", 15, &[], vec![
                InputSeries::new(camera::STREAMS_ACTIVE.name, &[], constant(90.0, 20)),
                InputSeries::new(camera::STREAMS_CAPACITY.name, &[], constant(100.0, 20)),
            ]),
            silent: Scenario::silent("50 of 100 streams", 15, vec![
                InputSeries::new(camera::STREAMS_ACTIVE.name, &[], constant(50.0, 20)),
                InputSeries::new(camera::STREAMS_CAPACITY.name, &[], constant(100.0, 20)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "AuthFailureSpike",
                format!(
                    "sum by ({BY_SERVICE}) (rate({http_count}{{http_response_status_code=~\"401|403\"}}[5m])) > 1"
                ),
                Severity::Warning,
                Team::Security,
                Category::Security,
            )
            .pending_for(minutes(5))
            .summary("{{ $labels.service }} refuses more than one request per second (401/403)")
            .description("{{ $labels.service }} ({{ $labels.environment }}) answered more than one request per second with 401 or 403 over the last 5 minutes: credential stuffing, a leaked or expired key, or a misconfigured client."),
            fires: Scenario::fires("2 refusals per second", 15, &[], vec![
                InputSeries::new(&http_count, &http_labels("401"), rising(120.0, 20)),
            ]),
            silent: Scenario::silent("a refusal every 2 seconds", 15, vec![
                InputSeries::new(&http_count, &http_labels("403"), rising(30.0, 20)),
                InputSeries::new(&http_count, &http_labels("200"), rising(6000.0, 20)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "TelemetryLabelOverflow",
                format!(
                    "sum by ({BY_SERVICE}, metric) (increase({}[15m])) > 0",
                    sdk::LABEL_OVERFLOW.name
                ),
                Severity::Warning,
                Team::Sre,
                Category::Telemetry,
            )
            .summary("{{ $labels.metric }} of {{ $labels.service }} reached its cardinality limit")
            .description("The cardinality guard of {{ $labels.service }} ({{ $labels.environment }}) folded label values of {{ $labels.metric }} into the overflow value in the last 15 minutes: per-camera detail is being lost; raise the limit or find the unbounded label."),
            fires: Scenario::fires("values folded", 10, &overflow, vec![
                InputSeries::new(sdk::LABEL_OVERFLOW.name, &overflow, rising(5.0, 15)),
            ]),
            silent: Scenario::silent("nothing folded", 10, vec![
                InputSeries::new(sdk::LABEL_OVERFLOW.name, &overflow, constant(3.0, 15)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "TelemetryExportFailing",
                format!(
                    "sum by ({BY_SERVICE}, signal) (increase({}[15m])) > 0",
                    sdk::EXPORT_FAILURES.name
                ),
                Severity::Warning,
                Team::Sre,
                Category::Telemetry,
            )
            .pending_for(minutes(15))
            .summary("{{ $labels.service }} cannot export {{ $labels.signal }}")
            .description("Exports of {{ $labels.signal }} from {{ $labels.service }} ({{ $labels.environment }}) have failed for 15 minutes: check the collector or push gateway."),
            fires: Scenario::fires("exports keep failing", 25, &[("signal", "traces")], vec![
                InputSeries::new(sdk::EXPORT_FAILURES.name, &[("signal", "traces")], rising(1.0, 30)),
            ]),
            silent: Scenario::silent("exports recovered", 25, vec![
                InputSeries::new(sdk::EXPORT_FAILURES.name, &[("signal", "traces")], constant(7.0, 30)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "TelemetryExportDropping",
                format!(
                    "sum by ({BY_SERVICE}, signal, reason) (increase({}[15m])) > 0",
                    sdk::EXPORT_DROPPED.name
                ),
                Severity::Warning,
                Team::Sre,
                Category::Telemetry,
            )
            .summary("{{ $labels.service }} lost {{ $labels.signal }} before export ({{ $labels.reason }})")
            .description("{{ $labels.service }} ({{ $labels.environment }}) dropped {{ $labels.signal }} in the last 15 minutes before they reached the collector, reason {{ $labels.reason }}: queue_full means the bounded export queue overflowed (raise it, or sample more), export_failed means the collector refused them or was unreachable."),
            fires: Scenario::fires("the export queue overflows", 10, &dropped, vec![
                InputSeries::new(sdk::EXPORT_DROPPED.name, &dropped, rising(5.0, 15)),
            ]),
            silent: Scenario::silent("nothing dropped lately", 25, vec![
                InputSeries::new(sdk::EXPORT_DROPPED.name, &dropped, piecewise(&[(5, 5.0), (25, 0.0)])),
            ]),
        },
    ]
}

/// The collector's alerts (group `otel-collector` of `rules.yaml`) with their proofs: it is
/// down, its receivers refuse data, its exporters fail to send, or a sending queue is nearly
/// full. Metric names: [`otelcol`]; labels `job` and `instance` come from the scrape.
#[must_use]
pub fn otel_collector() -> Vec<AlertCheck> {
    let target = [
        ("job", otelcol::TELEMETRY_JOB),
        ("instance", "otel-collector:8888"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        target.iter().chain(extra).copied().collect()
    };
    let receiver = with(&[("receiver", "otlp"), ("transport", "grpc")]);
    let mut checks = vec![AlertCheck {
        rule: AlertingRule::new(
            "OtelCollectorDown",
            format!("{UP}{{job=\"{}\"}} == 0", otelcol::TELEMETRY_JOB),
            Severity::Critical,
            Team::Sre,
            Category::Telemetry,
        )
        .pending_for(minutes(2))
        .summary("The OpenTelemetry Collector {{ $labels.instance }} is down")
        .description("Prometheus has not scraped the OpenTelemetry Collector {{ $labels.instance }} for 2 minutes: traces and logs of every service are being lost or queued in the services, and the collector's own alerts are blind."),
        fires: Scenario::fires("the collector stopped answering", 5, &[], vec![
            InputSeries::bare(UP, &target, constant(0.0, 10)),
        ])
        .with_exact_labels(&target),
        silent: Scenario::silent("the collector answers", 5, vec![
            InputSeries::bare(UP, &target, constant(1.0, 10)),
        ]),
    }];
    for signal in otelcol::SIGNALS {
        let items = signal.items;
        checks.push(AlertCheck {
            rule: AlertingRule::new(
                format!("OtelCollectorRefused{}", signal.title),
                format!(
                    "sum by (job, instance, receiver, transport) (rate({}[5m])) > 0",
                    signal.refused
                ),
                Severity::Warning,
                Team::Sre,
                Category::Telemetry,
            )
            .pending_for(minutes(5))
            .summary(format!("The collector {{{{ $labels.instance }}}} refuses {items} on receiver {{{{ $labels.receiver }}}}"))
            .description(format!("Receiver {{{{ $labels.receiver }}}} ({{{{ $labels.transport }}}}) of the OpenTelemetry Collector {{{{ $labels.instance }}}} has refused {items} for 5 minutes: the memory limiter is shedding load or the pipeline rejects them, and services retry or drop them. Give the collector memory or add replicas.")),
            fires: Scenario::fires(format!("{items} refused"), 10, &[], vec![
                InputSeries::bare(signal.refused, &receiver, rising(10.0, 15)),
            ])
            .with_exact_labels(&receiver),
            silent: Scenario::silent(format!("no {items} refused"), 10, vec![
                InputSeries::bare(signal.refused, &receiver, constant(3.0, 15)),
            ]),
        });
    }
    let exporter = with(&[("exporter", "otlp_grpc/jaeger")]);
    let mut series_labels = exporter.clone();
    series_labels.extend([("server_address", "jaeger"), ("server_port", "4317")]);
    for signal in otelcol::SIGNALS {
        let items = signal.items;
        checks.push(AlertCheck {
            rule: AlertingRule::new(
                format!("OtelCollectorSendFailed{}", signal.title),
                format!(
                    "sum by (job, instance, exporter) (rate({}[5m])) > 0",
                    signal.send_failed
                ),
                Severity::Warning,
                Team::Sre,
                Category::Telemetry,
            )
            .pending_for(minutes(5))
            .summary(format!("Exporter {{{{ $labels.exporter }}}} of the collector {{{{ $labels.instance }}}} fails to send {items}"))
            .description(format!("Exporter {{{{ $labels.exporter }}}} of the OpenTelemetry Collector {{{{ $labels.instance }}}} has failed to send {items} for 5 minutes: the backend refused them or stayed unreachable past the retries, and they are lost. Check that the backend is up and accepts them.")),
            fires: Scenario::fires(format!("{items} fail to send"), 10, &[], vec![
                InputSeries::bare(signal.send_failed, &series_labels, rising(10.0, 15)),
            ])
            .with_exact_labels(&exporter),
            silent: Scenario::silent(format!("{items} sent"), 10, vec![
                InputSeries::bare(signal.send_failed, &series_labels, constant(3.0, 15)),
            ]),
        });
    }
    let queue = with(&[("exporter", "otlp_grpc/jaeger"), ("data_type", "traces")]);
    checks.push(AlertCheck {
        rule: AlertingRule::new(
            "OtelCollectorExporterQueueNearlyFull",
            format!(
                "max by (job, instance, exporter, data_type) ({} / {}) > 0.8",
                otelcol::EXPORTER_QUEUE_SIZE,
                otelcol::EXPORTER_QUEUE_CAPACITY
            ),
            Severity::Warning,
            Team::Sre,
            Category::Telemetry,
        )
        .pending_for(minutes(5))
        .summary("The {{ $labels.data_type }} queue of exporter {{ $labels.exporter }} on {{ $labels.instance }} is more than 80 % full")
        .description("The sending queue of exporter {{ $labels.exporter }} ({{ $labels.data_type }}) of the OpenTelemetry Collector {{ $labels.instance }} has been more than 80 % full for 5 minutes: the backend is slow or down, and once the queue is full new data is refused."),
        fires: Scenario::fires("900 of 1000 batches queued", 10, &[], vec![
            InputSeries::bare(otelcol::EXPORTER_QUEUE_SIZE, &queue, constant(900.0, 15)),
            InputSeries::bare(otelcol::EXPORTER_QUEUE_CAPACITY, &queue, constant(1000.0, 15)),
        ])
        .with_exact_labels(&queue),
        silent: Scenario::silent("100 of 1000 batches queued", 10, vec![
            InputSeries::bare(otelcol::EXPORTER_QUEUE_SIZE, &queue, constant(100.0, 15)),
            InputSeries::bare(otelcol::EXPORTER_QUEUE_CAPACITY, &queue, constant(1000.0, 15)),
        ]),
    });
    checks
}

/// ML pipeline alerts with their proofs.
#[must_use]
pub fn ml_pipeline() -> Vec<AlertCheck> {
    let dur = inference::REQUEST_DURATION;
    let latency = |observed: f64| {
        histogram(
            dur.name,
            dur.buckets,
            &[("model", "yolo"), ("outcome", "ok")],
            observed,
            100,
            20,
        )
    };
    let quantile = |q: f64, limit: f64| {
        format!(
            "histogram_quantile({q}, sum by ({BY_SERVICE}, model, le) (rate({}_bucket[5m]))) > {}",
            dur.name,
            prom_number(limit)
        )
    };
    let acc = inference::ACCURACY_FEEDBACK.name;
    let drift = inference::DRIFT_SCORE.name;
    let drift_labels = [("model", "yolo"), ("feature", "brightness")];
    let t = DriftThresholds::default();
    let conf = inference::DETECTION_CONFIDENCE.name;
    let model = [("model", "yolo")];
    let drift_rule = |severity: Severity, band: String, what: &str| {
        AlertingRule::new(
            "ModelDrift",
            format!("max by ({BY_SERVICE}, model, feature) ({drift}) {band}"),
            severity,
            Team::Ml,
            Category::Ml,
        )
        .pending_for(minutes(15))
        .summary(format!(
            "Model {{{{ $labels.model }}}} input {{{{ $labels.feature }}}} drifted ({what})"
        ))
        .description(format!(
            "The population stability index of {{{{ $labels.feature }}}} for model {{{{ $labels.model }}}} on {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been {band} for 15 minutes (warn {}, critical {}): check camera conditions and consider retraining.",
            prom_number(t.warn),
            prom_number(t.critical)
        ))
    };
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "InferenceLatencyP95High",
                quantile(0.95, 0.1),
                Severity::Warning,
                Team::Ml,
                Category::Latency,
            )
            .pending_for(minutes(5))
            .summary("Inference p95 of model {{ $labels.model }} is above 100 ms")
            .description("The 95th percentile of batch inference time of model {{ $labels.model }} on {{ $labels.service }} ({{ $labels.environment }}) has been above 100 ms for 5 minutes."),
            fires: Scenario::fires("batches take 120 ms", 15, &model, latency(0.12)),
            silent: Scenario::silent("batches take 40 ms", 15, latency(0.04)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "InferenceLatencyP99High",
                quantile(0.99, 0.2),
                Severity::Critical,
                Team::Ml,
                Category::Latency,
            )
            .pending_for(minutes(5))
            .summary("Inference p99 of model {{ $labels.model }} is above 200 ms")
            .description("The 99th percentile of batch inference time of model {{ $labels.model }} on {{ $labels.service }} ({{ $labels.environment }}) has been above the 200 ms SLA for 5 minutes."),
            fires: Scenario::fires("batches take 250 ms", 15, &model, latency(0.25)),
            silent: Scenario::silent("batches take 120 ms", 15, latency(0.12)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "ModelAccuracyLow",
                format!(
                    "1 - (\n  sum by ({BY_SERVICE}, model) (rate({acc}{{result=\"incorrect\"}}[1h]))\n  /\n  sum by ({BY_SERVICE}, model) (rate({acc}[1h]))\n) < 0.85"
                ),
                Severity::Warning,
                Team::Ml,
                Category::Ml,
            )
            .pending_for(minutes(15))
            .summary("Model {{ $labels.model }} accuracy is below 85 %")
            .description("Fewer than 85 % of the predictions of model {{ $labels.model }} on {{ $labels.service }} ({{ $labels.environment }}) checked against ground truth in the last hour were correct."),
            fires: Scenario::fires("80 % correct", 30, &model, vec![
                InputSeries::new(acc, &[("model", "yolo"), ("result", "correct")], rising(8.0, 40)),
                InputSeries::new(acc, &[("model", "yolo"), ("result", "incorrect")], rising(2.0, 40)),
            ]),
            silent: Scenario::silent("95 % correct", 30, vec![
                InputSeries::new(acc, &[("model", "yolo"), ("result", "correct")], rising(19.0, 40)),
                InputSeries::new(acc, &[("model", "yolo"), ("result", "incorrect")], rising(1.0, 40)),
            ]),
        },
        AlertCheck {
            rule: drift_rule(
                Severity::Warning,
                format!(">= {} < {}", prom_number(t.warn), prom_number(t.critical)),
                "warning",
            ),
            fires: Scenario::fires("PSI 0.15", 20, &drift_labels, vec![
                InputSeries::new(drift, &drift_labels, constant(0.15, 30)),
            ]),
            silent: Scenario::silent("PSI 0.05", 20, vec![
                InputSeries::new(drift, &drift_labels, constant(0.05, 30)),
            ]),
        },
        AlertCheck {
            rule: drift_rule(
                Severity::Critical,
                format!(">= {}", prom_number(t.critical)),
                "critical",
            ),
            fires: Scenario::fires("PSI 0.3", 20, &drift_labels, vec![
                InputSeries::new(drift, &drift_labels, constant(0.3, 30)),
            ]),
            silent: Scenario::silent("PSI 0.05", 20, vec![
                InputSeries::new(drift, &drift_labels, constant(0.05, 30)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "DetectionConfidenceLow",
                format!(
                    "sum by ({BY_SERVICE}, model) (rate({conf}_sum[15m]))\n/\nsum by ({BY_SERVICE}, model) (rate({conf}_count[15m]))\n< 0.85"
                ),
                Severity::Warning,
                Team::Ml,
                Category::Ml,
            )
            .pending_for(minutes(15))
            .summary("Mean detection confidence of model {{ $labels.model }} is below 85 %")
            .description("The mean confidence of the detections of model {{ $labels.model }} on {{ $labels.service }} ({{ $labels.environment }}) has been below 85 % for 15 minutes: poor light, dirty lenses, or drift."),
            fires: Scenario::fires("mean confidence 0.7", 30, &model, vec![
                InputSeries::new(&format!("{conf}_sum"), &model, rising(70.0, 40)),
                InputSeries::new(&format!("{conf}_count"), &model, rising(100.0, 40)),
            ]),
            silent: Scenario::silent("mean confidence 0.92", 30, vec![
                InputSeries::new(&format!("{conf}_sum"), &model, rising(92.0, 40)),
                InputSeries::new(&format!("{conf}_count"), &model, rising(100.0, 40)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "TrafficDetectionEfficiencyDegraded",
                format!(
                    "sum by ({BY_SERVICE}) (rate({}[10m]))\n/\nsum by ({BY_SERVICE}) (rate({}[10m]))\n< 0.95",
                    inference::FRAMES_INFERRED.name,
                    camera::FRAMES_RECEIVED.name
                ),
                Severity::Warning,
                Team::Ml,
                Category::Ml,
            )
            .pending_for(minutes(10))
            .summary("{{ $labels.service }} runs detection on fewer than 95 % of the frames it receives")
            .description("Over the last 10 minutes {{ $labels.service }} ({{ $labels.environment }}) sent fewer than 95 % of the camera frames it received through the model: frames are dropped (see its_camera_frames_dropped_total by reason) or the batcher is saturated."),
            fires: Scenario::fires("80 % of frames inferred", 25, &[], vec![
                InputSeries::new(camera::FRAMES_RECEIVED.name, &[("camera_id", "cam-0001")], rising(100.0, 30)),
                InputSeries::new(inference::FRAMES_INFERRED.name, &model, rising(80.0, 30)),
            ]),
            silent: Scenario::silent("99 % of frames inferred", 25, vec![
                InputSeries::new(camera::FRAMES_RECEIVED.name, &[("camera_id", "cam-0001")], rising(100.0, 30)),
                InputSeries::new(inference::FRAMES_INFERRED.name, &model, rising(99.0, 30)),
            ]),
        },
    ]
}

/// Business alerts with their proofs.
#[must_use]
pub fn business() -> Vec<AlertCheck> {
    let resp = business::INCIDENT_RESPONSE_DURATION;
    let response = |observed: f64| {
        histogram(
            resp.name,
            resp.buckets,
            &[("type", "collision"), ("stage", "acknowledged")],
            observed,
            1,
            40,
        )
    };
    let bytes = camera::INGESTED_BYTES.name;
    let cam = [("camera_id", "cam-0001")];
    let vehicles = business::VEHICLES_DETECTED.name;
    let car = [("class", "car"), ("direction", "northbound")];
    let cost = business::COMPUTE_HOURLY_COST.name;
    let detections = inference::DETECTIONS.name;
    let det = [("model", "yolo"), ("class", "car")];
    let quality = business::DATA_QUALITY.name;
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "IncidentResponseSlow",
                format!(
                    "histogram_quantile(0.95, sum by ({BY_SERVICE}, le) (rate({}_bucket{{stage=\"acknowledged\"}}[1h]))) > 300",
                    resp.name
                ),
                Severity::Warning,
                Team::Business,
                Category::Business,
            )
            .pending_for(minutes(15))
            .summary("Incidents seen by {{ $labels.service }} take more than 5 minutes to acknowledge")
            .description("Over the last hour the 95th percentile of the time from incident detection to acknowledgement on {{ $labels.service }} ({{ $labels.environment }}) was above 5 minutes."),
            fires: Scenario::fires("acknowledged after 400 s", 30, &[], response(400.0)),
            silent: Scenario::silent("acknowledged after 100 s", 30, response(100.0)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "DataProcessingVolumeLow",
                format!(
                    "sum by ({BY_SERVICE}) (rate({bytes}[1h])) * 86400 < {}",
                    prom_number(thresholds::INGEST_MIN_BYTES_PER_DAY)
                ),
                Severity::Warning,
                Team::Business,
                Category::Business,
            )
            .pending_for(minutes(60))
            .summary("{{ $labels.service }} is ingesting less than 8 TB/day")
            .description("At the rate of the last hour {{ $labels.service }} ({{ $labels.environment }}) ingests less than 8 TB of video a day (10 TB expected): cameras are offline or streams degraded."),
            fires: Scenario::fires("1.4 TB/day", 80, &[], vec![
                InputSeries::new(bytes, &cam, rising(1e9, 90)),
            ]),
            silent: Scenario::silent("10 TB/day", 80, vec![
                InputSeries::new(bytes, &cam, rising(7e9, 90)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "VehicleDetectionRateLow",
                format!("sum by ({BY_SERVICE}) (rate({vehicles}[10m])) < 50"),
                Severity::Warning,
                Team::Business,
                Category::Business,
            )
            .pending_for(minutes(15))
            .summary("{{ $labels.service }} detects fewer than 50 vehicles per second")
            .description("{{ $labels.service }} ({{ $labels.environment }}) has detected fewer than 50 vehicles per second for 15 minutes: cameras offline, or detection failing."),
            fires: Scenario::fires("10 vehicles/s", 30, &[], vec![
                InputSeries::new(vehicles, &car, rising(600.0, 40)),
            ]),
            silent: Scenario::silent("100 vehicles/s", 30, vec![
                InputSeries::new(vehicles, &car, rising(6000.0, 40)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CostPerDetectionHigh",
                format!(
                    "sum by ({BY_SERVICE}) ({cost})\n/\n(sum by ({BY_SERVICE}) (rate({detections}[1h])) * 3600)\n> 0.05"
                ),
                Severity::Warning,
                Team::Business,
                Category::Business,
            )
            .pending_for(minutes(30))
            .summary("Each detection of {{ $labels.service }} costs more than $0.05")
            .description("The hourly compute cost of {{ $labels.service }} ({{ $labels.environment }}) divided by its detections per hour has been above $0.05 for 30 minutes: the GPUs are idle or over-provisioned."),
            fires: Scenario::fires("$10/h for 60 detections/h", 45, &[], vec![
                InputSeries::new(cost, &[], constant(10.0, 60)),
                InputSeries::new(detections, &det, rising(1.0, 60)),
            ]),
            silent: Scenario::silent("$10/h for 36 000 detections/h", 45, vec![
                InputSeries::new(cost, &[], constant(10.0, 60)),
                InputSeries::new(detections, &det, rising(600.0, 60)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "DataQualityLow",
                format!("avg by ({BY_SERVICE}) ({quality}) < 0.9"),
                Severity::Warning,
                Team::Business,
                Category::Business,
            )
            .pending_for(minutes(15))
            .summary("Data quality of {{ $labels.service }} is below 90 %")
            .description("Fewer than 90 % of the recent records of {{ $labels.service }} ({{ $labels.environment }}) passed the data-quality checks for 15 minutes."),
            fires: Scenario::fires("80 % pass", 20, &[], vec![
                InputSeries::new(quality, &[], constant(0.8, 30)),
            ]),
            silent: Scenario::silent("97 % pass", 20, vec![
                InputSeries::new(quality, &[], constant(0.97, 30)),
            ]),
        },
    ]
}
