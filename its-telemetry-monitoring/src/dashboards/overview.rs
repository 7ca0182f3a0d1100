//! `its-camera-ai-overview.json`: the system health score, alerts firing, availability, latency,
//! inference rate and cameras against their targets, ingest, errors, telemetry health.

use its_telemetry::catalog::{camera, http, inference, sdk, sla};

use crate::recording::{HEALTH_CAMERAS, HEALTH_GPUS, HEALTH_SCORE, HEALTH_SLO};
use crate::thresholds as t;

use super::{
    Dashboard,
    PanelKind::{Gauge, Stat, TimeSeries},
    panel, q, quantile, rate, s, series, with_exemplars,
};

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
                "System health score",
                "0-100: the worst SLO (100 within budget, 0 at the paging burn rate), cameras \
                 connected and GPUs healthy, weighted (recording rule service:its_health_score:percent; \
                 see README \"System health score\").",
                Gauge,
                "none",
                vec![q(format!("min({})", series(HEALTH_SCORE, "")), "health")],
            ),
            panel(
                "Health score components",
                "Worst SLO, share of cameras connected, share of GPUs healthy (0-1).",
                TimeSeries,
                "percentunit",
                vec![
                    q(format!("min({})", series(HEALTH_SLO, "")), "SLOs"),
                    q(format!("min({})", series(HEALTH_CAMERAS, "")), "cameras"),
                    q(format!("min({})", series(HEALTH_GPUS, "")), "GPUs"),
                ],
            ),
            panel(
                "Alerts firing",
                "Prometheus alerts firing now, by severity (0 when none).",
                Stat,
                "short",
                vec![q(
                    r#"sum by (severity) (ALERTS{alertstate="firing"}) or vector(0)"#,
                    "{{severity}}",
                )],
            ),
            panel(
                "Inference rate / target",
                "Frames inferred per second against the pipeline's target (thresholds: \
                 INFERENCE_RATE_TARGET_PER_SECOND).",
                TimeSeries,
                "short",
                vec![
                    q(rate(&inference::FRAMES_INFERRED, "", ""), "inferred/s"),
                    q(
                        format!("vector({})", t::INFERENCE_RATE_TARGET_PER_SECOND),
                        "target",
                    ),
                ],
            ),
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
                "Cameras online / capacity / fleet target",
                "Connected streams against the provisioned capacity (alert above 85 %) and the \
                 fleet the deployment is sized for (thresholds: CAMERA_FLEET_TARGET).",
                TimeSeries,
                "short",
                vec![
                    q(format!("sum({})", s(&camera::STREAMS_ACTIVE, "")), "online"),
                    q(
                        format!("sum({})", s(&camera::STREAMS_CAPACITY, "")),
                        "capacity",
                    ),
                    q(
                        format!("vector({})", t::CAMERA_FLEET_TARGET),
                        "fleet target",
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
