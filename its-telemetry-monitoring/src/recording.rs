//! Recording rules for the expensive dashboard queries (`recording-rules.yaml`).
//!
//! Names follow Prometheus' `level:metric:operations` convention, with the catalog name of
//! the metric (less `_total`) in the middle: `model:its_inference_request_duration_seconds:p95_rate5m`.
//!
//! ```
//! use its_telemetry_monitoring::recording;
//!
//! let names: Vec<_> = recording::rules().into_iter().map(|r| r.record).collect();
//! assert!(names.contains(&"model:its_inference_request_duration_seconds:p95_rate5m".to_owned()));
//! ```

use super::rules::{RecordingRule, RuleGroup};
use its_telemetry::catalog::{MetricDescriptor, business, camera, gpu, http, inference};

const BY_SERVICE: &str = "environment, service";

fn stem(metric: &MetricDescriptor) -> &'static str {
    metric.name.strip_suffix("_total").unwrap_or(metric.name)
}

/// `sum by (environment, service, extra…) (rate(metric[5m]))`, recorded as
/// `level:metric:rate5m`.
fn rate5m(level: &str, metric: &MetricDescriptor, extra: &[&str]) -> RecordingRule {
    let by = if extra.is_empty() {
        BY_SERVICE.to_owned()
    } else {
        format!("{BY_SERVICE}, {}", extra.join(", "))
    };
    RecordingRule::new(
        format!("{level}:{}:rate5m", stem(metric)),
        format!("sum by ({by}) (rate({}[5m]))", metric.name),
    )
}

fn quantile(level: &str, q: u32, metric: &MetricDescriptor, extra: &[&str]) -> RecordingRule {
    let by = if extra.is_empty() {
        BY_SERVICE.to_owned()
    } else {
        format!("{BY_SERVICE}, {}", extra.join(", "))
    };
    RecordingRule::new(
        format!("{level}:{}:p{q}_rate5m", metric.name),
        format!(
            "histogram_quantile(0.{q}, sum by ({by}, le) (rate({}_bucket[5m])))",
            metric.name
        ),
    )
}

/// Every dashboard recording rule, in evaluation order.
#[must_use]
pub fn rules() -> Vec<RecordingRule> {
    let req = inference::REQUEST_DURATION;
    let req_count = format!("{}_count", req.name);
    let http_count = format!("{}_count", http::SERVER_REQUEST_DURATION.name);
    vec![
        quantile("model", 50, &req, &["model"]),
        quantile("model", 95, &req, &["model"]),
        quantile("model", 99, &req, &["model"]),
        quantile("model", 95, &inference::QUEUE_WAIT, &["model"]),
        quantile("model", 95, &inference::PHASE_DURATION, &["model", "phase"]),
        RecordingRule::new(
            format!("model:{req_count}:rate5m"),
            format!("sum by ({BY_SERVICE}, model, outcome) (rate({req_count}[5m]))"),
        ),
        RecordingRule::new(
            format!("service:{}:error_ratio_rate5m", stem(&inference::REQUESTS)),
            format!(
                "sum by ({BY_SERVICE}) (rate({r}{{outcome!=\"ok\"}}[5m]))\n/\nsum by ({BY_SERVICE}) (rate({r}[5m]))",
                r = inference::REQUESTS.name
            ),
        ),
        rate5m("service", &camera::FRAMES_RECEIVED, &[]),
        rate5m("service", &camera::FRAMES_DECODED, &[]),
        rate5m("service", &camera::FRAMES_DROPPED, &["reason"]),
        rate5m("service", &camera::INGESTED_BYTES, &[]),
        rate5m("model", &inference::FRAMES_INFERRED, &["model"]),
        rate5m("model", &inference::DETECTIONS, &["model", "class"]),
        rate5m(
            "service",
            &business::VEHICLES_DETECTED,
            &["class", "direction"],
        ),
        RecordingRule::new(
            format!("service:{}:avg", gpu::UTILIZATION.name),
            format!("avg by ({BY_SERVICE}) ({})", gpu::UTILIZATION.name),
        ),
        RecordingRule::new(
            format!("route:{http_count}:rate5m"),
            format!(
                "sum by ({BY_SERVICE}, http_route, http_response_status_code) (rate({http_count}[5m]))"
            ),
        ),
        RecordingRule::new(
            format!("route:{}:p95_rate5m", http::SERVER_REQUEST_DURATION.name),
            format!(
                "histogram_quantile(0.95, sum by ({BY_SERVICE}, http_route, le) (rate({}_bucket[5m])))",
                http::SERVER_REQUEST_DURATION.name
            ),
        ),
    ]
}

/// The rules as one group.
#[must_use]
pub fn groups() -> Vec<RuleGroup> {
    vec![
        rules()
            .into_iter()
            .fold(RuleGroup::new("its-dashboards"), RuleGroup::record),
    ]
}
