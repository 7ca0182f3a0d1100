//! Anomaly baselines (`anomaly-rules.yaml`): recording rules that learn what normal looks like,
//! and alerts when the present is far from it.
//!
//! For each signal — vehicles detected per second, inference batches per second, and the
//! inference error ratio, each per service (one service instance serves one camera group; the
//! vehicle counter carries `class` and `direction`, not a camera or group label) — the rules
//! record:
//!
//! - `…:rate10m`: the current value (a 10-minute rate, smooth enough to compare);
//! - `…:rate10m_mean1d` and `…:rate10m_stddev1d`: its mean and standard deviation over the
//!   last day (`avg_over_time` / `stddev_over_time` of the recorded rate);
//! - `…:rate10m_zscore1d`: `(current - mean) / stddev`, with the standard deviation taken as
//!   at least [`ANOMALY_MIN_RELATIVE_STDDEV`](super::thresholds::ANOMALY_MIN_RELATIVE_STDDEV)
//!   of the mean, and only once the series has a day of history (it was recorded 23 hours
//!   ago): a young baseline stays silent instead of paging.
//!
//! # Why a rolling day and not the same hour of past weeks
//!
//! The alternative, comparing with `offset 1w`, `2w` and `3w`, follows the weekly shape more
//! closely, but it needs three weeks of history (Prometheus keeps 15 days by default, so it
//! would never have a baseline without a retention change), it learns nothing for three weeks
//! after a deployment or a relabel, it carries last month's holidays and incidents into this
//! week, and three samples give a poor standard deviation. A rolling day has a baseline after
//! one day, at any retention, and the day's whole cycle is inside it: the normal night trough
//! and afternoon peak lie within about ±1.5 σ, so the daily cycle does not alert, while a
//! spike to several times the usual rate, or a collapse of a busy service, does. What it
//! cannot see is a shift smaller than the daily swing (a weekday-shaped Sunday); the
//! threshold alerts (`VehicleDetectionRateLow`, the SLO burn rates) cover the absolute levels.
//!
//! Minimum-traffic guards keep quiet services quiet: the vehicle and request alerts need a
//! baseline mean above a floor, and the error-ratio alert also needs the ratio itself above
//! [`ANOMALY_MIN_ERROR_RATIO`](super::thresholds::ANOMALY_MIN_ERROR_RATIO).
//!
//! ```
//! let records: Vec<_> = its_telemetry_monitoring::anomaly::recordings().into_iter().map(|r| r.record).collect();
//! assert!(records.contains(&"service:its_vehicles_detected:rate10m_zscore1d".to_owned()));
//! ```

use std::f64::consts::PI;
use std::time::Duration;

use super::rules::{
    AlertingRule, Category, RecordingRule, RuleGroup, Severity, Team, prom_duration, prom_number,
};
use super::thresholds as t;
use super::unit_test::{AlertCheck, InputSeries, Scenario, piecewise};
use its_telemetry::catalog::{business, inference};

const BY_SERVICE: &str = "environment, service";

/// How much history a z-score needs before it is recorded.
pub const MIN_HISTORY: Duration = Duration::from_secs(23 * 3600);

fn n(v: f64) -> String {
    prom_number(v)
}

/// One baselined signal: `level:metric:rate10m` (or `…:error_ratio_rate10m`) and its mean,
/// stddev and z-score, named by suffix.
struct Baseline {
    /// The recorded current value: `service:its_vehicles_detected:rate10m`.
    record: String,
    /// PromQL for the current value, by [`BY_SERVICE`].
    current: String,
}

impl Baseline {
    fn rate(&self) -> String {
        self.record.clone()
    }
    fn mean(&self) -> String {
        format!("{}_mean1d", self.record)
    }
    fn stddev(&self) -> String {
        format!("{}_stddev1d", self.record)
    }
    fn zscore(&self) -> String {
        format!("{}_zscore1d", self.record)
    }

    fn recordings(&self) -> Vec<RecordingRule> {
        let (rate, mean, stddev) = (self.rate(), self.mean(), self.stddev());
        let floor = format!("{} * {mean}", n(t::ANOMALY_MIN_RELATIVE_STDDEV));
        vec![
            RecordingRule::new(&rate, &self.current),
            RecordingRule::new(&mean, format!("avg_over_time({rate}[1d])")),
            RecordingRule::new(&stddev, format!("stddev_over_time({rate}[1d])")),
            RecordingRule::new(
                self.zscore(),
                format!(
                    "({rate} - {mean})\n/\n({stddev} >= {floor} or {floor})\nand\npresent_over_time({rate}[1h] offset {})",
                    prom_duration(MIN_HISTORY)
                ),
            ),
        ]
    }
}

fn vehicles() -> Baseline {
    Baseline {
        record: "service:its_vehicles_detected:rate10m".to_owned(),
        current: format!(
            "sum by ({BY_SERVICE}) (rate({}[10m]))",
            business::VEHICLES_DETECTED.name
        ),
    }
}

fn requests() -> Baseline {
    Baseline {
        record: "service:its_inference_requests:rate10m".to_owned(),
        current: format!(
            "sum by ({BY_SERVICE}) (rate({}[10m]))",
            inference::REQUESTS.name
        ),
    }
}

fn errors() -> Baseline {
    let r = inference::REQUESTS.name;
    Baseline {
        record: "service:its_inference_requests:error_ratio_rate10m".to_owned(),
        current: format!(
            "sum by ({BY_SERVICE}) (rate({r}{{outcome!=\"ok\"}}[10m]))\n/\nsum by ({BY_SERVICE}) (rate({r}[10m]))"
        ),
    }
}

/// The three baselines, in evaluation order.
fn baselines() -> [Baseline; 3] {
    [vehicles(), requests(), errors()]
}

/// Every baseline recording rule, in evaluation order.
#[must_use]
pub fn recordings() -> Vec<RecordingRule> {
    baselines().iter().flat_map(Baseline::recordings).collect()
}

/// Recorded series that need [`MIN_HISTORY`] before they have a value (a test run of a few
/// minutes cannot expect data from them).
#[must_use]
pub fn history_dependent_records() -> Vec<String> {
    baselines().iter().map(Baseline::zscore).collect()
}

/// The group: the recordings, then the alerts.
#[must_use]
pub fn groups() -> Vec<RuleGroup> {
    let group = recordings()
        .into_iter()
        .fold(RuleGroup::new("its-anomaly-baselines"), RuleGroup::record);
    vec![checks().into_iter().fold(group, |g, c| g.alert(c.rule))]
}

/// A counter following a daily cycle: `base + amp · sin(2π (h − 9) / 24)` per minute (trough at
/// 03:00, peak at 15:00), for `days` days in hourly steps; `scale(hour)` multiplies an hour's
/// rate (a spike).
fn daily_cycle(base: f64, amp: f64, days: u64, scale: impl Fn(u64) -> f64) -> String {
    let phases: Vec<(u64, f64)> = (0..days * 24)
        .map(|h| {
            let per_minute = base + amp * (2.0 * PI * ((h % 24) as f64 - 9.0) / 24.0).sin();
            (60, (per_minute * scale(h) * 1000.0).round() / 1000.0)
        })
        .collect();
    piecewise(&phases)
}

/// Minutes from the start to `hour:minute` of day `day` (0-based).
const fn at(day: u64, hour: u64, minute: u64) -> u64 {
    (day * 24 + hour) * 60 + minute
}

/// Hour 10 of day 1 (the second day), when the fired scenarios triple the rate.
const SPIKE_HOUR: u64 = 24 + 10;
/// The same hour on the first day: a spike the young baseline must not page on.
const EARLY_SPIKE_HOUR: u64 = 10;

fn spike_at(hour: u64, factor: f64) -> impl Fn(u64) -> f64 {
    move |h| if h == hour { factor } else { 1.0 }
}

/// Rate per minute of the synthetic traffic: 600 ± 300 (10 ± 5 per second).
const BASE: f64 = 600.0;
const AMP: f64 = 300.0;

/// The alerts with their proofs: each fires on a spike on the second day and stays silent
/// through a normal daily cycle, at its peak and at its trough.
#[must_use]
pub fn checks() -> Vec<AlertCheck> {
    let [v, r, e] = baselines();
    let car = [("class", "car"), ("direction", "northbound")];
    let vehicle_series = |days, scale: &dyn Fn(u64) -> f64| {
        vec![InputSeries::new(
            business::VEHICLES_DETECTED.name,
            &car,
            daily_cycle(BASE, AMP, days, scale),
        )]
    };
    let ok = [("model", "yolo"), ("version", "1"), ("outcome", "ok")];
    let err = [
        ("model", "yolo"),
        ("version", "1"),
        ("outcome", "error"),
        ("reason", "timed_out"),
    ];
    let req = inference::REQUESTS.name;
    // Requests following the daily cycle, `error_share(hour)` of them failing.
    let request_series = |days, scale: &dyn Fn(u64) -> f64, error_share: &dyn Fn(u64) -> f64| {
        vec![
            InputSeries::new(
                req,
                &ok,
                daily_cycle(BASE, AMP, days, |h| scale(h) * (1.0 - error_share(h))),
            ),
            InputSeries::new(
                req,
                &err,
                daily_cycle(BASE, AMP, days, |h| scale(h) * error_share(h)),
            ),
        ]
    };
    let normal_error_share = 0.02;
    let spike_end = at(1, 10, 50);
    let trough = at(1, 3, 0);
    let peak = at(1, 15, 0);
    let z = n(t::ANOMALY_Z);
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "VehicleRateAnomaly",
                format!(
                    "abs({}) > {z}\nand\n{} > {}",
                    v.zscore(),
                    v.mean(),
                    n(t::ANOMALY_MIN_VEHICLES_PER_SECOND)
                ),
                Severity::Warning,
                Team::Business,
                Category::Business,
            )
            .pending_for(Duration::from_secs(600))
            .summary("Vehicle detections on {{ $labels.service }} are far from the last day's pattern")
            .description(format!(
                "The vehicle detection rate of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been more than {z} standard deviations from its mean over the last day for 10 minutes: a spike (double counting, a camera pointed at a new road) or a collapse (cameras or detection failing)."
            )),
            fires: Scenario::fires("traffic triples for an hour on day 2", spike_end, &[], vehicle_series(2, &spike_at(SPIKE_HOUR, 3.0))),
            silent: Scenario::silent("a normal daily cycle, at its trough and peak", trough, vehicle_series(2, &|_| 1.0)).also_at(peak),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "InferenceRequestRateAnomaly",
                format!(
                    "abs({}) > {z}\nand\n{} > {}",
                    r.zscore(),
                    r.mean(),
                    n(t::ANOMALY_MIN_REQUESTS_PER_SECOND)
                ),
                Severity::Warning,
                Team::Ml,
                Category::Ml,
            )
            .pending_for(Duration::from_secs(600))
            .summary("Inference batches on {{ $labels.service }} are far from the last day's pattern")
            .description(format!(
                "The inference batch rate of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been more than {z} standard deviations from its mean over the last day for 10 minutes: a client retrying in a loop, a new camera group, or cameras lost."
            )),
            fires: Scenario::fires("batches triple for an hour on day 2", spike_end, &[], request_series(2, &spike_at(SPIKE_HOUR, 3.0), &|_| normal_error_share)),
            silent: Scenario::silent("a normal daily cycle, at its trough and peak", trough, request_series(2, &|_| 1.0, &|_| normal_error_share)).also_at(peak),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "InferenceErrorRatioAnomaly",
                format!(
                    "{} > {z}\nand\n{} > {}\nand on ({BY_SERVICE})\n{} > {}",
                    e.zscore(),
                    e.rate(),
                    n(t::ANOMALY_MIN_ERROR_RATIO),
                    r.mean(),
                    n(t::ANOMALY_MIN_REQUESTS_PER_SECOND)
                ),
                Severity::Warning,
                Team::Ml,
                Category::Ml,
            )
            .pending_for(Duration::from_secs(600))
            .summary("The inference error ratio of {{ $labels.service }} is far above the last day's")
            .description(format!(
                "The share of failed inference batches of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been above {} % and more than {z} standard deviations above its mean over the last day for 10 minutes: something changed (a model, a dependency, input data).",
                n(t::ANOMALY_MIN_ERROR_RATIO * 100.0)
            )),
            fires: Scenario::fires("10 % of batches fail for an hour on day 2", spike_end, &[], request_series(2, &|_| 1.0, &|h| if h == SPIKE_HOUR { 0.1 } else { normal_error_share })),
            silent: Scenario::silent("2 % of batches fail all the time", trough, request_series(2, &|_| 1.0, &|_| normal_error_share)).also_at(peak),
        },
    ]
}

/// Scenarios beyond each alert's two: the same spike on the first day, when the baseline is
/// younger than [`MIN_HISTORY`], must stay silent.
#[must_use]
pub fn young_baseline_checks() -> Vec<(AlertingRule, Scenario)> {
    let checks = checks();
    let car = [("class", "car"), ("direction", "northbound")];
    let eval = at(0, 10, 50);
    let spike = spike_at(EARLY_SPIKE_HOUR, 3.0);
    vec![(
        checks[0].rule.clone(),
        Scenario::silent(
            "traffic triples on the first day (baseline too young)",
            eval,
            vec![InputSeries::new(
                business::VEHICLES_DETECTED.name,
                &car,
                daily_cycle(BASE, AMP, 1, spike),
            )],
        ),
    )]
}
