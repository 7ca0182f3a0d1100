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
use super::slo::DEFAULT_TIERS;
use super::thresholds as t;
use super::unit_test::{ExpectedSample, ExprTestCase, InputSeries, TestGroup};
use its_telemetry::catalog::{MetricDescriptor, business, camera, gpu, http, inference, sdk, sla};

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

/// Per SLO: 1 while the SLO holds over 5 minutes, falling linearly to 0 as the error ratio
/// reaches the fast-burn paging rate (the first of [`DEFAULT_TIERS`], 14.4× the budget).
pub const HEALTH_SLO: &str = "slo:its_health:ratio_rate5m";
/// Share of the cameras connected (`its_camera_connected`).
pub const HEALTH_CAMERAS: &str = "service:its_health_cameras:ratio";
/// Share of the GPUs healthy: below the temperature alert's threshold and not held back by a
/// fault throttle reason ([`t::GPU_FAULT_THROTTLE_REASONS`]).
pub const HEALTH_GPUS: &str = "service:its_health_gpus:ratio";
/// The system health score, 0–100.
pub const HEALTH_SCORE: &str = "service:its_health_score:percent";

/// The system health score and its components, per `environment, service`:
///
/// `score = 100 × (w_slo × worst SLO + w_cameras × cameras connected + w_gpus × GPUs healthy)`
///
/// with the weights of [`t::HEALTH_WEIGHT_SLO`] and its neighbours. The SLO component is the
/// worst SLO's ([`HEALTH_SLO`]): 1 while its 5-minute error ratio is within the budget
/// (`1 - objective`, from `its_sla_objective`, the same objective the burn-rate alerts use),
/// 0 once it burns at the paging rate, linear in between. A component without data (a
/// service with no cameras, no GPU, no SLO traffic yet) counts as healthy (1) rather than
/// zeroing the score: `or on (environment, service)` the service's `its_build_info`, which
/// is 1 for every running service.
#[must_use]
pub fn health_rules() -> Vec<RecordingRule> {
    let page = DEFAULT_TIERS[0].factor;
    let by_slo = "environment, service, slo";
    let budget = format!("(1 - max by ({by_slo}) ({}))", sla::OBJECTIVE.name);
    let events = sla::EVENTS.name;
    let error_ratio = format!(
        "(1 - sum by ({by_slo}) (rate({events}{{result=\"good\"}}[5m])) / sum by ({by_slo}) (rate({events}[5m])))"
    );
    let reasons = t::GPU_FAULT_THROTTLE_REASONS.map(|r| r.as_str()).join("|");
    let healthy = format!("max by ({BY_SERVICE}) ({})", sdk::BUILD_INFO.name);
    let or_healthy = |record: &str| format!("({record} or on ({BY_SERVICE}) {healthy})");
    vec![
        RecordingRule::new(
            HEALTH_SLO,
            format!(
                "clamp(\n  ({page} * {budget} - {error_ratio})\n  / ({f} * {budget}),\n  0, 1\n)",
                f = page - 1.0
            ),
        ),
        RecordingRule::new(
            HEALTH_CAMERAS,
            format!("avg by ({BY_SERVICE}) ({})", camera::CONNECTED.name),
        ),
        RecordingRule::new(
            HEALTH_GPUS,
            format!(
                "avg by ({BY_SERVICE}) (\n  (max by ({BY_SERVICE}, uuid) ({temp}) < bool {hot})\n  * on ({BY_SERVICE}, uuid)\n  (max by ({BY_SERVICE}, uuid) ({thr}{{reason=~\"{reasons}\"}}) == bool 0)\n)",
                temp = gpu::TEMPERATURE.name,
                hot = t::GPU_TEMPERATURE_CELSIUS,
                thr = gpu::THROTTLED.name,
            ),
        ),
        RecordingRule::new(
            HEALTH_SCORE,
            format!(
                "100 * (\n  {ws} * {slo}\n  + {wc} * {cams}\n  + {wg} * {gpus}\n)",
                ws = t::HEALTH_WEIGHT_SLO,
                wc = t::HEALTH_WEIGHT_CAMERAS,
                wg = t::HEALTH_WEIGHT_GPUS,
                slo = or_healthy(&format!("min by ({BY_SERVICE}) ({HEALTH_SLO})")),
                cams = or_healthy(HEALTH_CAMERAS),
                gpus = or_healthy(HEALTH_GPUS),
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
        health_rules()
            .into_iter()
            .fold(RuleGroup::new("its-health"), RuleGroup::record),
    ]
}

/// promtool cases for the health score: everything healthy is 100; a half-offline fleet, a hot
/// GPU and an SLO burning at half the paging rate each take their weighted share off; a
/// service without cameras or GPUs is not punished for it.
#[must_use]
pub fn health_test_groups() -> Vec<TestGroup> {
    let page = DEFAULT_TIERS[0].factor;
    let objective = 0.999;
    // Errors per minute out of 1000 events: within budget, and half way to the paging rate.
    let half_way = (1.0 + (page - 1.0) / 2.0) * (1.0 - objective) * 1000.0;
    let slo = |errors_per_minute: f64| {
        vec![
            InputSeries::new(
                sla::OBJECTIVE.name,
                &[("slo", "availability")],
                format!("{objective}x20"),
            ),
            InputSeries::new(
                sla::EVENTS.name,
                &[("slo", "availability"), ("result", "good")],
                format!("0+{}x20", 1000.0 - errors_per_minute),
            ),
            InputSeries::new(
                sla::EVENTS.name,
                &[("slo", "availability"), ("result", "bad")],
                format!("0+{errors_per_minute}x20"),
            ),
            InputSeries::new(
                sdk::BUILD_INFO.name,
                &[("version", "1"), ("git_sha", "abc"), ("sdk_version", "1")],
                "1x20",
            ),
        ]
    };
    let cameras = |up: usize, down: usize| {
        (0..up + down).map(move |i| {
            let id = format!("cam-{i}");
            let v = if i < up { "1x20" } else { "0x20" };
            InputSeries::new(camera::CONNECTED.name, &[("camera_id", &id)], v)
        })
    };
    let gpu_series = |uuid: &str, celsius: f64| {
        let device = [("gpu", "0"), ("uuid", uuid), ("name", "L4")];
        let mut series = vec![InputSeries::new(
            gpu::TEMPERATURE.name,
            &device,
            format!("{celsius}x20"),
        )];
        series.extend(t::GPU_FAULT_THROTTLE_REASONS.iter().map(|r| {
            let mut labels = device.to_vec();
            labels.push(("reason", r.as_str()));
            InputSeries::new(gpu::THROTTLED.name, &labels, "0x20")
        }));
        series
    };
    // Rounded to whole points: promtool 2.42 compares floats exactly.
    let score = |value: f64| ExprTestCase {
        expr: format!("round({HEALTH_SCORE})"),
        eval_time: "10m".to_owned(),
        exp_samples: vec![ExpectedSample {
            labels: r#"{environment="test", service="detector"}"#.to_owned(),
            value: value.round(),
        }],
    };
    let group = |name: &str, input_series: Vec<InputSeries>, value: f64| TestGroup {
        name: format!("health score: {name}"),
        interval: "1m".to_owned(),
        input_series,
        alert_rule_tests: Vec::new(),
        promql_expr_tests: vec![score(value)],
    };
    let cool = t::GPU_TEMPERATURE_CELSIUS - 20.0;
    let hot = t::GPU_TEMPERATURE_CELSIUS + 5.0;
    let all = |errors: f64, up: usize, down: usize, temps: &[f64]| {
        let mut s = slo(errors);
        s.extend(cameras(up, down));
        for (i, c) in temps.iter().enumerate() {
            s.extend(gpu_series(&format!("GPU-{i}"), *c));
        }
        s
    };
    let (ws, wc, wg) = (
        t::HEALTH_WEIGHT_SLO,
        t::HEALTH_WEIGHT_CAMERAS,
        t::HEALTH_WEIGHT_GPUS,
    );
    vec![
        group("all healthy", all(0.5, 4, 0, &[cool, cool]), 100.0),
        group(
            "half the cameras offline, one GPU of two hot",
            all(0.5, 2, 2, &[cool, hot]),
            100.0 * (ws + wc * 0.5 + wg * 0.5),
        ),
        group(
            "the SLO burns at half the paging rate",
            all(half_way, 4, 0, &[cool]),
            100.0 * (ws * 0.5 + wc + wg),
        ),
        group(
            "no cameras, no GPU: not counted against it",
            slo(0.0),
            100.0,
        ),
    ]
}
