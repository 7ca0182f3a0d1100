//! Grafana dashboards generated from the catalog: the ITS camera-AI overview, the ML pipeline,
//! business analytics and GPUs. Every query is built from catalog names, so a panel can never
//! ask for a series the SDK does not emit; `tests/tests/monitoring_e2e.rs` proves each one returns
//! data against a real Prometheus.

use serde_json::{Value, json};

use its_telemetry::catalog::{MetricDescriptor, business, camera, gpu, http, inference, sdk, sla};

/// Series selector of the template variables, added to every query.
const SCOPE: &str = r#"environment=~"$environment",service=~"$service""#;

/// One query of a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// PromQL.
    pub expr: String,
    /// Legend template (`{{label}}`).
    pub legend: String,
}

/// How a panel draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelKind {
    /// Lines over time.
    TimeSeries,
    /// One big number.
    Stat,
    /// A dial with thresholds.
    Gauge,
}

/// One panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Title.
    pub title: &'static str,
    /// What it shows and when to worry.
    pub description: &'static str,
    /// Drawing.
    pub kind: PanelKind,
    /// Grafana unit id (`s`, `percentunit`, `short`, `bytes`, …).
    pub unit: &'static str,
    /// Queries.
    pub queries: Vec<Query>,
    /// Show exemplars (trace links) where the data source has them.
    pub exemplars: bool,
}

/// One dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// Stable uid (links keep working across regenerations).
    pub uid: &'static str,
    /// File name under `monitoring/grafana/dashboards/`.
    pub file: &'static str,
    /// Title.
    pub title: &'static str,
    /// Panels, laid out two per row.
    pub panels: Vec<Panel>,
    /// Whether the `camera` template variable is offered.
    pub per_camera: bool,
}

fn q(expr: impl Into<String>, legend: &str) -> Query {
    Query {
        expr: expr.into(),
        legend: legend.to_owned(),
    }
}

/// `name{scope,extra}`.
fn s(m: &MetricDescriptor, extra: &str) -> String {
    series(m.name, extra)
}

fn series(name: &str, extra: &str) -> String {
    if extra.is_empty() {
        format!("{name}{{{SCOPE}}}")
    } else {
        format!("{name}{{{SCOPE},{extra}}}")
    }
}

/// `histogram_quantile(q, sum by (le, by) (rate(name_bucket{…}[5m])))`.
fn quantile(qt: f64, m: &MetricDescriptor, by: &str, extra: &str) -> String {
    let bucket = format!("{}_bucket", m.name);
    let by = if by.is_empty() {
        "le".to_owned()
    } else {
        format!("le, {by}")
    };
    format!(
        "histogram_quantile({qt}, sum by ({by}) (rate({}[5m])))",
        series(&bucket, extra)
    )
}

/// Rate of a counter, summed `by` the given labels.
fn rate(m: &MetricDescriptor, by: &str, extra: &str) -> String {
    if by.is_empty() {
        format!("sum(rate({}[5m]))", s(m, extra))
    } else {
        format!("sum by ({by}) (rate({}[5m]))", s(m, extra))
    }
}

/// Mean of a histogram over 5 minutes.
fn mean(m: &MetricDescriptor, by: &str) -> String {
    let sum = series(&format!("{}_sum", m.name), "");
    let count = series(&format!("{}_count", m.name), "");
    if by.is_empty() {
        format!("sum(rate({sum}[5m])) / sum(rate({count}[5m]))")
    } else {
        format!("sum by ({by}) (rate({sum}[5m])) / sum by ({by}) (rate({count}[5m]))")
    }
}

fn panel(
    title: &'static str,
    description: &'static str,
    kind: PanelKind,
    unit: &'static str,
    queries: Vec<Query>,
) -> Panel {
    Panel {
        title,
        description,
        kind,
        unit,
        queries,
        exemplars: false,
    }
}

fn with_exemplars(mut p: Panel) -> Panel {
    p.exemplars = true;
    p
}

use PanelKind::{Gauge, Stat, TimeSeries};

/// The ITS camera-AI overview: availability, latency, cameras, ingest, errors, telemetry health.
#[must_use]
pub fn overview() -> Dashboard {
    let good_ratio = format!(
        "sum by (slo) (rate({}[5m])) / sum by (slo) (rate({}[5m]))",
        s(&sla::EVENTS, r#"result="good""#),
        s(&sla::EVENTS, "")
    );
    Dashboard {
        uid: "its-camera-ai-overview",
        file: "its-camera-ai-overview.json",
        title: "ITS camera AI — overview",
        per_camera: true,
        panels: vec![
            panel(
                "SLO compliance (5m)",
                "Share of good events per SLO; compare with the objective.",
                TimeSeries,
                "percentunit",
                vec![
                    q(good_ratio, "{{slo}}"),
                    q(
                        format!("max by (slo) ({})", s(&sla::OBJECTIVE, "")),
                        "{{slo}} objective",
                    ),
                ],
            ),
            panel(
                "System availability",
                "Successful detection batches over all batches (SLA 99.9 %).",
                Stat,
                "percentunit",
                vec![q(
                    format!(
                        "{} / {}",
                        rate(&inference::REQUESTS, "", r#"outcome="ok""#),
                        rate(&inference::REQUESTS, "", "")
                    ),
                    "availability",
                )],
            ),
            with_exemplars(panel(
                "Inference latency p95 / p99",
                "Batch formation to result; SLA p95 < 100 ms, p99 < 200 ms.",
                TimeSeries,
                "s",
                vec![
                    q(
                        quantile(0.95, &inference::REQUEST_DURATION, "", r#"outcome="ok""#),
                        "p95",
                    ),
                    q(
                        quantile(0.99, &inference::REQUEST_DURATION, "", r#"outcome="ok""#),
                        "p99",
                    ),
                ],
            )),
            panel(
                "Cameras online / capacity",
                "Connected streams against the provisioned capacity (alert above 85 %).",
                TimeSeries,
                "short",
                vec![
                    q(format!("sum({})", s(&camera::STREAMS_ACTIVE, "")), "online"),
                    q(
                        format!("sum({})", s(&camera::STREAMS_CAPACITY, "")),
                        "capacity",
                    ),
                ],
            ),
            panel(
                "Camera capacity used",
                "Online streams over capacity.",
                Gauge,
                "percentunit",
                vec![q(
                    format!(
                        "sum({}) / sum({})",
                        s(&camera::STREAMS_ACTIVE, ""),
                        s(&camera::STREAMS_CAPACITY, "")
                    ),
                    "used",
                )],
            ),
            panel(
                "Frames received / dropped per second",
                "Ingest and drops by reason.",
                TimeSeries,
                "short",
                vec![
                    q(rate(&camera::FRAMES_RECEIVED, "", ""), "received"),
                    q(
                        rate(&camera::FRAMES_DROPPED, "reason", ""),
                        "dropped {{reason}}",
                    ),
                ],
            ),
            panel(
                "Data ingested per day",
                "Encoded video bytes at the current rate, per day (target 10 TB).",
                Stat,
                "bytes",
                vec![q(
                    format!("{} * 86400", rate(&camera::INGESTED_BYTES, "", "")),
                    "bytes/day",
                )],
            ),
            panel(
                "Stale cameras",
                "Cameras whose last frame is older than 30 s.",
                Stat,
                "short",
                vec![q(
                    format!(
                        "count(time() - {} > 30) or vector(0)",
                        s(&camera::LAST_FRAME_TIMESTAMP, "")
                    ),
                    "stale",
                )],
            ),
            panel(
                "Selected camera: frames per second",
                "Frames received and decoded by the cameras chosen above.",
                TimeSeries,
                "short",
                vec![
                    q(
                        rate(
                            &camera::FRAMES_RECEIVED,
                            "camera_id",
                            r#"camera_id=~"$camera""#,
                        ),
                        "{{camera_id}} received",
                    ),
                    q(
                        rate(
                            &camera::FRAMES_DECODED,
                            "camera_id",
                            r#"camera_id=~"$camera""#,
                        ),
                        "{{camera_id}} decoded",
                    ),
                ],
            ),
            panel(
                "Camera decode time p95",
                "Fleet-wide decode latency.",
                TimeSeries,
                "s",
                vec![q(quantile(0.95, &camera::DECODE_DURATION, "", ""), "p95")],
            ),
            panel(
                "HTTP requests by status",
                "API requests per second by route and status code.",
                TimeSeries,
                "reqps",
                vec![q(
                    format!(
                        "sum by (http_route, http_response_status_code) (rate({}[5m]))",
                        series(&format!("{}_count", http::SERVER_REQUEST_DURATION.name), "")
                    ),
                    "{{http_route}} {{http_response_status_code}}",
                )],
            ),
            with_exemplars(panel(
                "HTTP server latency p95",
                "Per route.",
                TimeSeries,
                "s",
                vec![q(
                    quantile(0.95, &http::SERVER_REQUEST_DURATION, "http_route", ""),
                    "{{http_route}}",
                )],
            )),
            panel(
                "Telemetry health",
                "Label values folded by the cardinality guard, failed exports.",
                TimeSeries,
                "short",
                vec![
                    q(
                        format!("{} or vector(0)", rate(&sdk::LABEL_OVERFLOW, "", "")),
                        "overflowed label values/s",
                    ),
                    q(
                        format!("{} or vector(0)", rate(&sdk::EXPORT_FAILURES, "", "")),
                        "failed exports/s",
                    ),
                ],
            ),
            panel(
                "Build",
                "Versions running.",
                Stat,
                "short",
                vec![q(
                    format!("count by (version, git_sha) ({})", s(&sdk::BUILD_INFO, "")),
                    "{{version}} {{git_sha}}",
                )],
            ),
        ],
    }
}

/// The ML pipeline: latency split Triton-style, batching, outcomes, detections, drift, accuracy.
#[must_use]
pub fn ml_pipeline() -> Dashboard {
    let ok = r#"outcome="ok""#;
    Dashboard {
        uid: "its-ml-pipeline-performance",
        file: "ml-pipeline-performance.json",
        title: "ITS camera AI — ML pipeline performance",
        per_camera: false,
        panels: vec![
            with_exemplars(panel(
                "Latency p50 / p95 / p99 by model",
                "Batch formation to result.",
                TimeSeries,
                "s",
                vec![
                    q(
                        quantile(0.5, &inference::REQUEST_DURATION, "model", ok),
                        "{{model}} p50",
                    ),
                    q(
                        quantile(0.95, &inference::REQUEST_DURATION, "model", ok),
                        "{{model}} p95",
                    ),
                    q(
                        quantile(0.99, &inference::REQUEST_DURATION, "model", ok),
                        "{{model}} p99",
                    ),
                ],
            )),
            panel(
                "Queue wait p95",
                "Time in the batcher before the batch started.",
                TimeSeries,
                "s",
                vec![q(
                    quantile(0.95, &inference::QUEUE_WAIT, "model", ""),
                    "{{model}}",
                )],
            ),
            panel(
                "Phase time p95",
                "Pre-process, infer, post-process.",
                TimeSeries,
                "s",
                vec![q(
                    quantile(0.95, &inference::PHASE_DURATION, "model, phase", ""),
                    "{{model}} {{phase}}",
                )],
            ),
            panel(
                "Mean batch size",
                "Frames per batch: low means the GPU runs half empty.",
                TimeSeries,
                "short",
                vec![q(mean(&inference::BATCH_SIZE, "model"), "{{model}}")],
            ),
            panel(
                "Frames inferred per second",
                "Throughput of the models.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&inference::FRAMES_INFERRED, "model", ""),
                    "{{model}}",
                )],
            ),
            panel(
                "Batches by outcome",
                "ok, error (by reason), cancelled, panic.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&inference::REQUESTS, "model, outcome, reason", ""),
                    "{{model}} {{outcome}} {{reason}}",
                )],
            ),
            panel(
                "Pending batches",
                "Started and not finished.",
                TimeSeries,
                "short",
                vec![q(
                    format!("sum by (model) ({})", s(&inference::PENDING_REQUESTS, "")),
                    "{{model}}",
                )],
            ),
            panel(
                "Detections per second by class",
                "What the models see.",
                TimeSeries,
                "short",
                vec![q(rate(&inference::DETECTIONS, "class", ""), "{{class}}")],
            ),
            panel(
                "Mean detection confidence",
                "Alert below 85 %.",
                TimeSeries,
                "percentunit",
                vec![q(
                    mean(&inference::DETECTION_CONFIDENCE, "model"),
                    "{{model}}",
                )],
            ),
            panel(
                "Model drift (PSI)",
                "Warn at 0.1, critical at 0.25.",
                TimeSeries,
                "short",
                vec![q(
                    format!(
                        "max by (model, feature) ({})",
                        s(&inference::DRIFT_SCORE, "")
                    ),
                    "{{model}} {{feature}}",
                )],
            ),
            panel(
                "Accuracy from ground truth",
                "Correct over checked predictions (alert below 85 %).",
                TimeSeries,
                "percentunit",
                vec![q(
                    format!(
                        "{} / {}",
                        rate(
                            &inference::ACCURACY_FEEDBACK,
                            "model",
                            r#"result="correct""#
                        ),
                        rate(&inference::ACCURACY_FEEDBACK, "model", "")
                    ),
                    "{{model}}",
                )],
            ),
            panel(
                "Models loaded",
                "Model versions running.",
                Stat,
                "short",
                vec![q(
                    format!(
                        "count by (model, version) ({})",
                        s(&inference::MODEL_INFO, "")
                    ),
                    "{{model}} {{version}}",
                )],
            ),
        ],
    }
}

/// Business analytics: traffic, speeds, incidents and response, data quality, cost.
#[must_use]
pub fn business_analytics() -> Dashboard {
    let speed_kmh = |qt: f64| format!("{} * 3.6", quantile(qt, &business::VEHICLE_SPEED, "", ""));
    Dashboard {
        uid: "its-business-analytics",
        file: "business-analytics.json",
        title: "ITS camera AI — business analytics",
        per_camera: false,
        panels: vec![
            panel(
                "Vehicles per second by class",
                "Detected road users.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&business::VEHICLES_DETECTED, "class", ""),
                    "{{class}}",
                )],
            ),
            panel(
                "Vehicles per second by direction",
                "Inbound and outbound flow.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&business::VEHICLES_DETECTED, "direction", ""),
                    "{{direction}}",
                )],
            ),
            panel(
                "Speed p50 / p85 (km/h)",
                "The 85th percentile is the usual speed-limit reference.",
                TimeSeries,
                "velocitykmh",
                vec![q(speed_kmh(0.5), "p50"), q(speed_kmh(0.85), "p85")],
            ),
            panel(
                "Incidents per hour by type",
                "Detected incidents.",
                TimeSeries,
                "short",
                vec![q(
                    format!("{} * 3600", rate(&business::INCIDENTS, "type", "")),
                    "{{type}}",
                )],
            ),
            panel(
                "Open incidents by severity",
                "Detected, not resolved.",
                TimeSeries,
                "short",
                vec![q(
                    format!("sum by (severity) ({})", s(&business::INCIDENTS_OPEN, "")),
                    "{{severity}}",
                )],
            ),
            panel(
                "Incident response time p95",
                "Detection to acknowledgement and resolution (target 5 min).",
                TimeSeries,
                "s",
                vec![q(
                    quantile(0.95, &business::INCIDENT_RESPONSE_DURATION, "stage", ""),
                    "{{stage}}",
                )],
            ),
            panel(
                "Data quality",
                "Share of records passing checks (alert below 90 %).",
                Gauge,
                "percentunit",
                vec![q(
                    format!("min({})", s(&business::DATA_QUALITY, "")),
                    "quality",
                )],
            ),
            panel(
                "Cost per detection",
                "Hourly compute cost over detections per hour (alert above $0.05).",
                Stat,
                "currencyUSD",
                vec![q(
                    format!(
                        "sum({}) / 3600 / {}",
                        s(&business::COMPUTE_HOURLY_COST, ""),
                        rate(&business::VEHICLES_DETECTED, "", "")
                    ),
                    "$/detection",
                )],
            ),
            panel(
                "Data processed per day",
                "At the current rate (alert below 8 TB/day).",
                Stat,
                "bytes",
                vec![q(
                    format!("{} * 86400", rate(&camera::INGESTED_BYTES, "", "")),
                    "bytes/day",
                )],
            ),
        ],
    }
}

/// GPUs: utilization, memory, thermals, power, clocks, video engines, errors, throttling.
#[must_use]
pub fn gpus() -> Dashboard {
    let device = "gpu, name";
    let by_device = |m: &MetricDescriptor| format!("max by ({device}) ({})", s(m, ""));
    Dashboard {
        uid: "its-gpu",
        file: "gpu.json",
        title: "ITS camera AI — GPUs",
        per_camera: false,
        panels: vec![
            panel(
                "NVML available",
                "0 means no GPU readings: driver, permission or feature missing.",
                Stat,
                "short",
                vec![q(
                    format!("min({})", s(&gpu::NVML_AVAILABLE, "")),
                    "available",
                )],
            ),
            panel(
                "Utilization",
                "Alert above 90 %.",
                TimeSeries,
                "percentunit",
                vec![q(by_device(&gpu::UTILIZATION), "{{gpu}} {{name}}")],
            ),
            panel(
                "Memory used / total",
                "Device memory.",
                TimeSeries,
                "bytes",
                vec![
                    q(by_device(&gpu::MEMORY_USED), "{{gpu}} used"),
                    q(by_device(&gpu::MEMORY_TOTAL), "{{gpu}} total"),
                ],
            ),
            panel(
                "Temperature",
                "Core temperature.",
                TimeSeries,
                "celsius",
                vec![q(by_device(&gpu::TEMPERATURE), "{{gpu}}")],
            ),
            panel(
                "Power / limit",
                "Draw against the enforced limit.",
                TimeSeries,
                "watt",
                vec![
                    q(by_device(&gpu::POWER), "{{gpu}} draw"),
                    q(by_device(&gpu::POWER_LIMIT), "{{gpu}} limit"),
                ],
            ),
            panel(
                "Energy per hour",
                "Joules per hour at the current rate.",
                TimeSeries,
                "joule",
                vec![q(
                    format!("{} * 3600", rate(&gpu::ENERGY, device, "")),
                    "{{gpu}}",
                )],
            ),
            panel(
                "Clocks",
                "SM and memory clocks.",
                TimeSeries,
                "hertz",
                vec![q(
                    format!("max by (gpu, clock) ({})", s(&gpu::CLOCK, "")),
                    "{{gpu}} {{clock}}",
                )],
            ),
            panel(
                "Video decoder / encoder",
                "NVDEC and NVENC utilization.",
                TimeSeries,
                "percentunit",
                vec![
                    q(by_device(&gpu::DECODER_UTILIZATION), "{{gpu}} decoder"),
                    q(by_device(&gpu::ENCODER_UTILIZATION), "{{gpu}} encoder"),
                ],
            ),
            panel(
                "ECC errors per hour",
                "Corrected and uncorrected.",
                TimeSeries,
                "short",
                vec![q(
                    format!("{} * 3600", rate(&gpu::ECC_ERRORS, "gpu, type", "")),
                    "{{gpu}} {{type}}",
                )],
            ),
            panel(
                "Throttling",
                "Reasons clocks are held back right now.",
                TimeSeries,
                "short",
                vec![q(
                    format!("max by (gpu, reason) ({})", s(&gpu::THROTTLED, "")),
                    "{{gpu}} {{reason}}",
                )],
            ),
            panel(
                "This service's GPU memory",
                "Memory held by the service's own process.",
                TimeSeries,
                "bytes",
                vec![q(by_device(&gpu::PROCESS_MEMORY_USED), "{{gpu}}")],
            ),
        ],
    }
}

/// Every generated dashboard.
#[must_use]
pub fn all() -> Vec<Dashboard> {
    vec![overview(), ml_pipeline(), business_analytics(), gpus()]
}

impl Dashboard {
    /// The Grafana dashboard JSON (schema 39), pretty-printed with a trailing newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let panels: Vec<Value> = self
            .panels
            .iter()
            .enumerate()
            .map(|(i, p)| p.to_json(i))
            .collect();
        let mut variables = vec![
            variable(
                "environment",
                &format!("label_values({}, environment)", sdk::BUILD_INFO.name),
            ),
            variable(
                "service",
                &format!(
                    r#"label_values({}{{environment=~"$environment"}}, service)"#,
                    sdk::BUILD_INFO.name
                ),
            ),
        ];
        if self.per_camera {
            variables.push(variable(
                "camera",
                &format!(
                    "label_values({}{{{SCOPE}}}, camera_id)",
                    camera::CONNECTED.name
                ),
            ));
        }
        let dashboard = json!({
            "uid": self.uid,
            "title": self.title,
            "tags": ["its", "generated"],
            "timezone": "browser",
            "schemaVersion": 39,
            "version": 1,
            "editable": false,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": variables},
            "links": [{"title": "ITS dashboards", "type": "dashboards", "tags": ["its"], "asDropdown": true}],
            "panels": panels,
        });
        let mut text = serde_json::to_string_pretty(&dashboard).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl Panel {
    fn to_json(&self, index: usize) -> Value {
        let (kind, width) = match self.kind {
            PanelKind::TimeSeries => ("timeseries", 12),
            PanelKind::Stat => ("stat", 6),
            PanelKind::Gauge => ("gauge", 6),
        };
        let targets: Vec<Value> = self
            .queries
            .iter()
            .enumerate()
            .map(|(i, query)| {
                json!({
                    "refId": char::from(b'A' + u8::try_from(i % 26).unwrap_or(0)).to_string(),
                    "datasource": {"type": "prometheus", "uid": "prometheus"},
                    "expr": query.expr,
                    "legendFormat": query.legend,
                    "exemplar": self.exemplars,
                })
            })
            .collect();
        let row = u32::try_from(index / 2).unwrap_or(0);
        let column = u32::try_from(index % 2).unwrap_or(0);
        json!({
            "id": index + 1,
            "type": kind,
            "title": self.title,
            "description": self.description,
            "datasource": {"type": "prometheus", "uid": "prometheus"},
            "gridPos": {"h": 8, "w": width, "x": column * 12, "y": row * 8},
            "fieldConfig": {"defaults": {"unit": self.unit}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
            "targets": targets,
        })
    }
}

fn variable(name: &str, query: &str) -> Value {
    json!({
        "name": name,
        "label": name,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "query": {"query": query, "refId": name},
        "definition": query,
        "refresh": 2,
        "includeAll": true,
        "multi": true,
        "allValue": ".*",
        "current": {"selected": true, "text": ["All"], "value": ["$__all"]},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use its_telemetry::catalog;

    #[test]
    fn every_query_names_only_catalog_metrics() {
        let known: Vec<&str> = catalog::all().map(|m| m.name).collect();
        let mut checked = 0;
        let metric = regex::Regex::new(r"\b((?:its|http)_[a-z0-9_]+)\{").expect("regex");
        for dashboard in all() {
            for panel in &dashboard.panels {
                for query in &panel.queries {
                    for found in metric.captures_iter(&query.expr) {
                        let name = &found[1];
                        let base = ["_bucket", "_sum", "_count"]
                            .iter()
                            .find_map(|s| name.strip_suffix(s))
                            .filter(|b| known.contains(b))
                            .unwrap_or(name);
                        assert!(
                            known.contains(&base),
                            "{}: {} queries unknown {name}",
                            dashboard.file,
                            panel.title
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 60, "only {checked} metric references found");
    }

    #[test]
    fn json_is_valid_with_unique_ids_and_variables() {
        for dashboard in all() {
            let value: Value = serde_json::from_str(&dashboard.to_json()).expect("valid JSON");
            let ids: Vec<u64> = value["panels"]
                .as_array()
                .expect("panels")
                .iter()
                .filter_map(|p| p["id"].as_u64())
                .collect();
            let mut unique = ids.clone();
            unique.dedup();
            assert_eq!(ids, unique, "{}", dashboard.file);
            let names: Vec<&str> = value["templating"]["list"]
                .as_array()
                .expect("variables")
                .iter()
                .filter_map(|v| v["name"].as_str())
                .collect();
            assert!(names.starts_with(&["environment", "service"]), "{names:?}");
        }
    }
}
