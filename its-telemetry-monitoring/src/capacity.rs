//! Capacity prediction (`capacity-rules.yaml`): linear trends (`predict_linear`, `deriv`) that
//! warn days before a threshold alert would fire, and "days until full" recording rules a
//! dashboard can plot.
//!
//! - camera streams reaching the provisioned capacity within
//!   [`CAPACITY_HORIZON`](super::thresholds::CAPACITY_HORIZON) (7 days);
//! - the daily ingested volume falling below 8 TB/day within the same horizon;
//! - GPU memory growing to full within a day (a leak).
//!
//! Each fit needs its window's worth of history first (the series existed one window ago),
//! so the ramp of a fresh start — every camera connecting in the first minutes — is no trend.
//!
//! ```
//! let records: Vec<_> = its_telemetry_monitoring::capacity::recordings().into_iter().map(|r| r.record).collect();
//! assert!(records.contains(&"service:its_camera_streams_active:days_until_full".to_owned()));
//! ```

use std::time::Duration;

use super::rules::{
    AlertingRule, Category, RecordingRule, RuleGroup, Severity, Team, prom_duration, prom_number,
};
use super::thresholds as t;
use super::unit_test::{AlertCheck, InputSeries, Scenario, constant, piecewise};
use its_telemetry::catalog::{camera, gpu};

const BY_SERVICE: &str = "environment, service";

/// Days until the camera streams reach capacity at the current trend.
pub const CAMERA_DAYS_UNTIL_FULL: &str = "service:its_camera_streams_active:days_until_full";
/// Days until a GPU's memory is full at the current trend.
pub const GPU_MEMORY_DAYS_UNTIL_FULL: &str = "gpu:its_gpu_memory_used_bytes:days_until_full";
/// The ingest rate over the last hour, in bytes per second.
pub const INGEST_RATE: &str = "service:its_camera_ingested_bytes:rate1h";

fn n(v: f64) -> String {
    prom_number(v)
}

fn secs(d: Duration) -> String {
    n(d.as_secs_f64())
}

/// "The series existed one `window` ago": a full window of history to fit.
fn has_history(selector: &str, window: Duration) -> String {
    format!(
        "present_over_time({selector}[10m] offset {})",
        prom_duration(window)
    )
}

/// The recording rules.
#[must_use]
pub fn recordings() -> Vec<RecordingRule> {
    let active = camera::STREAMS_ACTIVE.name;
    let capacity = camera::STREAMS_CAPACITY.name;
    let used = gpu::MEMORY_USED.name;
    let total = gpu::MEMORY_TOTAL.name;
    let fit = prom_duration(t::CAPACITY_FIT_WINDOW);
    let gpu_fit = prom_duration(t::GPU_MEMORY_FIT_WINDOW);
    vec![
        // Only while growing: a flat or shrinking fleet is never full (no series, not +Inf).
        RecordingRule::new(
            CAMERA_DAYS_UNTIL_FULL,
            format!("({capacity} - {active})\n/\n(deriv({active}[{fit}]) * 86400 > 0)"),
        ),
        RecordingRule::new(
            GPU_MEMORY_DAYS_UNTIL_FULL,
            format!("({total} - {used})\n/\n(deriv({used}[{gpu_fit}]) * 86400 > 0)"),
        ),
        RecordingRule::new(
            INGEST_RATE,
            format!(
                "sum by ({BY_SERVICE}) (rate({}[1h]))",
                camera::INGESTED_BYTES.name
            ),
        ),
    ]
}

/// Recorded series that need a growing trend before they have a value (flat test traffic
/// gives none).
#[must_use]
pub fn history_dependent_records() -> Vec<String> {
    vec![
        CAMERA_DAYS_UNTIL_FULL.to_owned(),
        GPU_MEMORY_DAYS_UNTIL_FULL.to_owned(),
    ]
}

/// The group: the recordings, then the alerts.
#[must_use]
pub fn groups() -> Vec<RuleGroup> {
    let group = recordings()
        .into_iter()
        .fold(RuleGroup::new("its-capacity-prediction"), RuleGroup::record);
    vec![checks().into_iter().fold(group, |g, c| g.alert(c.rule))]
}

/// Minutes in `d` days.
const fn days(d: u64) -> u64 {
    d * 24 * 60
}

/// The alerts with their proofs: a slow ramp the prediction catches before the threshold
/// alert would, and a slower (or no) trend it leaves alone.
#[must_use]
pub fn checks() -> Vec<AlertCheck> {
    let active = camera::STREAMS_ACTIVE.name;
    let capacity = camera::STREAMS_CAPACITY.name;
    let used = gpu::MEMORY_USED.name;
    let total = gpu::MEMORY_TOTAL.name;
    let dev = [("gpu", "0"), ("uuid", "GPU-0"), ("name", "H100")];
    let fit = prom_duration(t::CAPACITY_FIT_WINDOW);
    let gpu_fit = prom_duration(t::GPU_MEMORY_FIT_WINDOW);
    let horizon_days = n(t::CAPACITY_HORIZON.as_secs_f64() / 86_400.0);
    // Two days of streams: 700 connected, plus `per_minute` more each minute, of 1000.
    let streams = |per_minute: f64| {
        vec![
            InputSeries::new(active, &[], format!("700+{per_minute}x{}", days(2))),
            InputSeries::new(capacity, &[], constant(1000.0, days(2))),
        ]
    };
    // Two days of ingest at `start` TB/day, changing by `per_day` TB/day each day, in
    // hourly steps.
    let ingest = |start: f64, per_day: f64| {
        let phases: Vec<(u64, f64)> = (0..48)
            .map(|h| {
                let per_day_bytes = (start + per_day * h as f64 / 24.0) * 1e12;
                (60, (per_day_bytes / 1440.0).round())
            })
            .collect();
        vec![InputSeries::new(
            camera::INGESTED_BYTES.name,
            &[("camera_id", "cam-0001")],
            piecewise(&phases),
        )]
    };
    // Eight hours of GPU memory: 40 GB plus `per_minute` bytes a minute, of 80 GB.
    let memory = |per_minute: f64| {
        vec![
            InputSeries::new(used, &dev, format!("40e9+{per_minute}x480")),
            InputSeries::new(total, &dev, constant(80e9, 480)),
        ]
    };
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "CameraCapacityExhaustionPredicted",
                format!(
                    "predict_linear({active}[{fit}], {}) >= {capacity}\nunless\n{active} / {capacity} > {}\nand\n{}",
                    secs(t::CAPACITY_HORIZON),
                    n(t::CAMERA_CAPACITY_HIGH_RATIO),
                    has_history(active, t::CAPACITY_FIT_WINDOW)
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(Duration::from_secs(3600))
            .summary(format!("{{{{ $labels.service }}}} will run out of camera stream capacity within {horizon_days} days"))
            .description(format!(
                "At the trend of the last {fit}, the camera streams connected to {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) reach its provisioned capacity within {horizon_days} days (see {CAMERA_DAYS_UNTIL_FULL}): provision more before new cameras are refused."
            )),
            fires: Scenario::fires("43 more streams a day, 786 of 1000 now", days(2), &[], streams(0.03)),
            silent: Scenario::silent("7 more streams a day", days(2), streams(0.005)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "IngestVolumeTrendingLow",
                format!(
                    "predict_linear({INGEST_RATE}[{fit}], {}) * 86400 < {v}\nand\n{INGEST_RATE} * 86400 >= {v}\nand\n{}",
                    secs(t::CAPACITY_HORIZON),
                    has_history(INGEST_RATE, t::CAPACITY_FIT_WINDOW),
                    v = n(t::INGEST_MIN_BYTES_PER_DAY)
                ),
                Severity::Warning,
                Team::Business,
                Category::Business,
            )
            .pending_for(Duration::from_secs(3600))
            .summary(format!("{{{{ $labels.service }}}} is trending below 8 TB/day within {horizon_days} days"))
            .description(format!(
                "{{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) still ingests more than 8 TB of video a day, but at the trend of the last {fit} it falls below within {horizon_days} days: cameras are going quiet one by one, or streams are degrading."
            )),
            fires: Scenario::fires("9.6 TB/day, falling 0.4 TB/day each day", days(2), &[], ingest(9.6, -0.4)),
            silent: Scenario::silent("a steady 9.6 TB/day", days(2), ingest(9.6, 0.0)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "GpuMemoryExhaustionPredicted",
                format!(
                    "predict_linear({used}[{gpu_fit}], {}) >= {total}\nunless\n{used} / {total} > {}\nand\n{}",
                    secs(t::GPU_MEMORY_HORIZON),
                    n(t::GPU_MEMORY_FULL_RATIO),
                    has_history(used, t::GPU_MEMORY_FIT_WINDOW)
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(Duration::from_secs(1800))
            .summary("GPU {{ $labels.gpu }} of {{ $labels.service }} will run out of memory within a day")
            .description(format!(
                "At the trend of the last {gpu_fit}, the memory used on GPU {{{{ $labels.gpu }}}} ({{{{ $labels.uuid }}}}) of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) reaches the installed memory within a day (see {GPU_MEMORY_DAYS_UNTIL_FULL}): a leak, or caches that never shrink. Restart before it fails a batch, and find the leak."
            )),
            fires: Scenario::fires("30 MB more every minute", 480, &dev, memory(30e6)),
            silent: Scenario::silent("steady at 40 GB", 480, memory(0.0)),
        },
    ]
}
