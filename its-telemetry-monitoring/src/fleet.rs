//! Fleet health alerts (`fleet-rules.yaml`): what an operator of 1000 cameras pages on first.
//!
//! - cameras: stale (connected, no frames), disconnected, share of the fleet offline,
//!   frame drops by reason, reconnect storms, decode p95;
//! - GPUs: temperature, fault throttling, uncorrected ECC errors, memory near full, NVML lost;
//! - inference: a growing backlog, queue wait dominating latency, batches far below the
//!   maximum;
//! - guards where a missing series would hide a problem: the alerts above compare series, and
//!   compare nothing when the series are gone. `absent()` returns one series without labels
//!   (it cannot say *which* service went blind), so the guards compare per service instead:
//!   a service provisioned for cameras with no camera series, a service whose NVML works but
//!   reports no device;
//! - emergencies (severity `emergency`, routed to every paging receiver): most of the fleet
//!   offline, inference availability collapsed.
//!
//! Thresholds are in [`thresholds`](super::thresholds).
//!
//! ```
//! let names: Vec<_> = its_telemetry_monitoring::fleet::checks().iter().map(|c| c.rule.alert.clone()).collect();
//! assert!(names.contains(&"CameraStale".to_owned()));
//! ```

use std::time::Duration;

use super::rules::{AlertingRule, Category, RuleGroup, Severity, Team, prom_duration, prom_number};
use super::thresholds as t;
use super::unit_test::{AlertCheck, InputSeries, Scenario, constant, histogram, rising};
use its_telemetry::catalog::{camera, gpu, inference};

const BY_SERVICE: &str = "environment, service";

/// The emergency alert for most of the fleet's cameras offline.
pub const FLEET_OUTAGE_ALERT: &str = "CameraFleetOutage";
/// The emergency alert for inference availability collapsing.
pub const AVAILABILITY_COLLAPSE_ALERT: &str = "InferenceAvailabilityCollapsed";

const fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn n(v: f64) -> String {
    prom_number(v)
}

/// The rule groups: `its-camera-fleet`, `its-gpu-health`, `its-inference-backlog`,
/// `its-fleet-emergency`.
#[must_use]
pub fn groups() -> Vec<RuleGroup> {
    [
        ("its-camera-fleet", camera_checks()),
        ("its-gpu-health", gpu_checks()),
        ("its-inference-backlog", inference_checks()),
        ("its-fleet-emergency", emergency_checks()),
    ]
    .into_iter()
    .map(|(name, checks)| {
        checks
            .into_iter()
            .fold(RuleGroup::new(name), |g, c| g.alert(c.rule))
    })
    .collect()
}

/// Every fleet alert with its proofs.
#[must_use]
pub fn checks() -> Vec<AlertCheck> {
    [
        camera_checks(),
        gpu_checks(),
        inference_checks(),
        emergency_checks(),
    ]
    .concat()
}

fn cam(id: &'static str) -> [(&'static str, &'static str); 1] {
    [("camera_id", id)]
}

/// `total` cameras, the first `down` of them disconnected for the whole scenario.
fn fleet(down: usize, total: usize, minutes: u64) -> Vec<InputSeries> {
    (1..=total)
        .map(|i| {
            let id = format!("cam-{i:04}");
            let v = if i <= down { 0.0 } else { 1.0 };
            InputSeries::new(
                camera::CONNECTED.name,
                &[("camera_id", &id)],
                constant(v, minutes),
            )
        })
        .collect()
}

/// Camera alerts.
#[must_use]
pub fn camera_checks() -> Vec<AlertCheck> {
    let last = camera::LAST_FRAME_TIMESTAMP.name;
    let connected = camera::CONNECTED.name;
    let c1 = cam("cam-0001");
    let pending = prom_duration(t::CAMERA_PENDING);
    // Frames every minute until minute 10, then none (the timestamp stays at 600 s).
    let stops_at_10 = "0+60x10 600x20";
    let dropped = camera::FRAMES_DROPPED.name;
    let received = camera::FRAMES_RECEIVED.name;
    let queue_full = [("camera_id", "cam-0001"), ("reason", "queue_full")];
    let reconnects = camera::RECONNECTS.name;
    let decode = camera::DECODE_DURATION;
    let decode_series =
        |observed: f64| histogram(decode.name, decode.buckets, &[], observed, 100, 20);
    let storm = |flapping: usize| {
        let mut series = fleet(0, 10, 20);
        for id in ["cam-0001", "cam-0002", "cam-0003"].iter().take(flapping) {
            series.push(InputSeries::new(reconnects, &cam(id), rising(0.5, 20)));
        }
        // A camera that reconnected long ago: its counter exists but does not move.
        series.push(InputSeries::new(
            reconnects,
            &cam("cam-0010"),
            constant(4.0, 20),
        ));
        series
    };
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "CameraStale",
                format!(
                    "time() - {last} > {}\nunless\n{connected} == 0",
                    n(t::CAMERA_STALE_SECONDS)
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(t::CAMERA_PENDING)
            .summary("Camera {{ $labels.camera_id }} of {{ $labels.service }} is connected but sends no frames")
            .description(format!(
                "Camera {{{{ $labels.camera_id }}}} on {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) is connected but its last frame is more than {} s old, for {pending}: a frozen encoder or a stalled stream. Restart the stream; check the camera.",
                n(t::CAMERA_STALE_SECONDS)
            )),
            fires: Scenario::fires("no frame since minute 10", 20, &c1, vec![
                InputSeries::new(last, &c1, stops_at_10),
                InputSeries::new(connected, &c1, constant(1.0, 30)),
            ]),
            silent: Scenario::silent("frames stopped 4 minutes ago (a reconnect, within `for`)", 14, vec![
                InputSeries::new(last, &c1, stops_at_10),
                InputSeries::new(connected, &c1, constant(1.0, 30)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CameraDisconnected",
                format!("{connected} == 0"),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(t::CAMERA_PENDING)
            .summary("Camera {{ $labels.camera_id }} of {{ $labels.service }} is disconnected")
            .description(format!(
                "The stream of camera {{{{ $labels.camera_id }}}} on {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been disconnected for {pending}: longer than a reconnect takes. Check the camera, its network and the NVR."
            )),
            fires: Scenario::fires("disconnected since minute 11", 20, &c1, vec![
                InputSeries::new(connected, &c1, "1x10 0x20"),
            ]),
            silent: Scenario::silent("one reconnect: 3 minutes down", 13, vec![
                InputSeries::new(connected, &c1, "1x10 0x3 1x10"),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CameraFleetOfflineShare",
                format!(
                    "avg by ({BY_SERVICE}) (1 - {connected}) > {}",
                    n(t::FLEET_OFFLINE_SHARE_CRITICAL)
                ),
                Severity::Critical,
                Team::Infrastructure,
                Category::Availability,
            )
            .pending_for(minutes(5))
            .summary("More than 10 % of the cameras of {{ $labels.service }} are offline")
            .description(format!(
                "More than {} % of the camera streams of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) have been disconnected for 5 minutes: a network segment, an NVR or the ingest tier is down.",
                n(t::FLEET_OFFLINE_SHARE_CRITICAL * 100.0)
            )),
            fires: Scenario::fires("3 of 10 cameras offline", 10, &[], fleet(3, 10, 15)),
            silent: Scenario::silent("1 of 20 cameras offline", 10, fleet(1, 20, 15)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CameraFrameDropRatioHigh",
                format!(
                    "sum by ({BY_SERVICE}, reason) (rate({dropped}[10m]))\n/ ignoring (reason) group_left\nsum by ({BY_SERVICE}) (rate({received}[10m]))\n> {}",
                    n(t::FRAME_DROP_RATIO_WARN)
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("{{ $labels.service }} drops more than 5 % of its frames ({{ $labels.reason }})")
            .description(format!(
                "Over 10 minutes {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) dropped more than {} % of the frames it received for reason {{{{ $labels.reason }}}}: queue_full means inference cannot keep up, decode_error a broken stream.",
                n(t::FRAME_DROP_RATIO_WARN * 100.0)
            )),
            fires: Scenario::fires("10 % dropped, queue full", 25, &[("reason", "queue_full")], vec![
                InputSeries::new(received, &c1, rising(100.0, 30)),
                InputSeries::new(dropped, &queue_full, rising(10.0, 30)),
            ]),
            silent: Scenario::silent("1 % dropped", 25, vec![
                InputSeries::new(received, &c1, rising(100.0, 30)),
                InputSeries::new(dropped, &queue_full, rising(1.0, 30)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CameraReconnectStorm",
                format!(
                    "count by ({BY_SERVICE}) (increase({reconnects}[10m]) > 0)\n/\ncount by ({BY_SERVICE}) ({connected})\n> {}",
                    n(t::RECONNECT_STORM_SHARE)
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(5))
            .summary("More than 20 % of the cameras of {{ $labels.service }} reconnected in 10 minutes")
            .description(format!(
                "More than {} % of the cameras of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) reconnected in the last 10 minutes, for 5 minutes: a network, NVR or ingest problem, not a single camera.",
                n(t::RECONNECT_STORM_SHARE * 100.0)
            )),
            fires: Scenario::fires("3 of 10 cameras keep reconnecting", 15, &[], storm(3)),
            silent: Scenario::silent("1 of 10 cameras flaps", 15, storm(1)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CameraDecodeLatencyHigh",
                format!(
                    "histogram_quantile(0.95, sum by ({BY_SERVICE}, le) (rate({}_bucket[5m]))) > {}",
                    decode.name,
                    n(t::DECODE_P95_SECONDS)
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("Frame decoding on {{ $labels.service }} is slower than one frame period (p95 > 40 ms)")
            .description(format!(
                "The 95th percentile of frame decode time on {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been above {} ms for 10 minutes: decoding cannot keep up with 25 fps streams. Check NVDEC utilisation, CPU, or stream resolution.",
                n(t::DECODE_P95_SECONDS * 1000.0)
            )),
            fires: Scenario::fires("frames take 60 ms to decode", 15, &[], decode_series(0.06)),
            silent: Scenario::silent("frames take 5 ms to decode", 15, decode_series(0.005)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "CameraSeriesMissing",
                format!(
                    "sum by ({BY_SERVICE}) ({}) > 0\nunless on (environment, service)\ncount by ({BY_SERVICE}) ({connected})",
                    camera::STREAMS_CAPACITY.name
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Telemetry,
            )
            .pending_for(minutes(10))
            .summary("{{ $labels.service }} is provisioned for cameras but reports none")
            .description("{{ $labels.service }} ({{ $labels.environment }}) has camera stream capacity but no its_camera_connected series for 10 minutes: the camera alerts (stale, offline, fleet share) are blind. Check the stream recorder and the cardinality guard."),
            fires: Scenario::fires("capacity but no camera series", 15, &[], vec![
                InputSeries::new(camera::STREAMS_CAPACITY.name, &[], constant(100.0, 20)),
            ]),
            silent: Scenario::silent("capacity and cameras", 15, {
                let mut s = fleet(0, 10, 20);
                s.push(InputSeries::new(camera::STREAMS_CAPACITY.name, &[], constant(100.0, 20)));
                s
            }),
        },
    ]
}

/// GPU alerts.
#[must_use]
pub fn gpu_checks() -> Vec<AlertCheck> {
    let dev = [("gpu", "0"), ("uuid", "GPU-0"), ("name", "H100")];
    let temp = gpu::TEMPERATURE.name;
    let throttled = gpu::THROTTLED.name;
    let reasons: Vec<&str> = t::GPU_FAULT_THROTTLE_REASONS
        .iter()
        .map(|r| r.as_str())
        .collect();
    let thermal = [
        ("gpu", "0"),
        ("uuid", "GPU-0"),
        ("name", "H100"),
        ("reason", "hw_thermal_slowdown"),
    ];
    let power_cap = [
        ("gpu", "0"),
        ("uuid", "GPU-0"),
        ("name", "H100"),
        ("reason", "sw_power_cap"),
    ];
    let ecc = gpu::ECC_ERRORS.name;
    let uncorrected = [
        ("gpu", "0"),
        ("uuid", "GPU-0"),
        ("name", "H100"),
        ("type", "uncorrected"),
    ];
    let corrected = [
        ("gpu", "0"),
        ("uuid", "GPU-0"),
        ("name", "H100"),
        ("type", "corrected"),
    ];
    let used = gpu::MEMORY_USED.name;
    let total = gpu::MEMORY_TOTAL.name;
    let nvml = gpu::NVML_AVAILABLE.name;
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "GpuTemperatureHigh",
                format!("{temp} > {}", n(t::GPU_TEMPERATURE_CELSIUS)),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(5))
            .summary("GPU {{ $labels.gpu }} ({{ $labels.name }}) of {{ $labels.service }} is above 85 °C")
            .description(format!(
                "GPU {{{{ $labels.gpu }}}} ({{{{ $labels.uuid }}}}) of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been above {} °C for 5 minutes: it will soon slow its clocks. Check airflow, fans and the data-centre cooling.",
                n(t::GPU_TEMPERATURE_CELSIUS)
            )),
            fires: Scenario::fires("88 °C", 10, &dev, vec![InputSeries::new(temp, &dev, constant(88.0, 15))]),
            silent: Scenario::silent("70 °C", 10, vec![InputSeries::new(temp, &dev, constant(70.0, 15))]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "GpuThrottled",
                format!("{throttled}{{reason=~\"{}\"}} == 1", reasons.join("|")),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("GPU {{ $labels.gpu }} of {{ $labels.service }} is throttled ({{ $labels.reason }})")
            .description("The clocks of GPU {{ $labels.gpu }} ({{ $labels.uuid }}) of {{ $labels.service }} ({{ $labels.environment }}) have been held back by {{ $labels.reason }} for 10 minutes: heat or the power hardware, not load. Inference slows down; check cooling and power."),
            fires: Scenario::fires("thermal slowdown", 15, &thermal, vec![
                InputSeries::new(throttled, &thermal, constant(1.0, 20)),
            ]),
            silent: Scenario::silent("at the power cap under load (normal)", 15, vec![
                InputSeries::new(throttled, &power_cap, constant(1.0, 20)),
                InputSeries::new(throttled, &thermal, constant(0.0, 20)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "GpuEccUncorrectedErrors",
                format!("increase({ecc}{{type=\"uncorrected\"}}[10m]) > 0"),
                Severity::Critical,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .summary("GPU {{ $labels.gpu }} of {{ $labels.service }} reports uncorrectable ECC errors")
            .description("GPU {{ $labels.gpu }} ({{ $labels.uuid }}) of {{ $labels.service }} ({{ $labels.environment }}) counted uncorrectable memory errors in the last 10 minutes: its results can be wrong. Drain it and have it checked or replaced."),
            fires: Scenario::fires("uncorrectable errors", 10, &uncorrected, vec![
                InputSeries::new(ecc, &uncorrected, rising(1.0, 15)),
            ]),
            silent: Scenario::silent("only corrected errors", 10, vec![
                InputSeries::new(ecc, &uncorrected, constant(0.0, 15)),
                InputSeries::new(ecc, &corrected, rising(3.0, 15)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "GpuMemoryNearFull",
                format!("{used} / {total} > {}", n(t::GPU_MEMORY_FULL_RATIO)),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("GPU {{ $labels.gpu }} of {{ $labels.service }} has more than 95 % of its memory in use")
            .description(format!(
                "GPU {{{{ $labels.gpu }}}} ({{{{ $labels.uuid }}}}) of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has used more than {} % of its memory for 10 minutes: the next batch or model load may fail to allocate.",
                n(t::GPU_MEMORY_FULL_RATIO * 100.0)
            )),
            fires: Scenario::fires("78 of 80 GB", 15, &dev, vec![
                InputSeries::new(used, &dev, constant(78e9, 20)),
                InputSeries::new(total, &dev, constant(80e9, 20)),
            ]),
            silent: Scenario::silent("40 of 80 GB", 15, vec![
                InputSeries::new(used, &dev, constant(40e9, 20)),
                InputSeries::new(total, &dev, constant(80e9, 20)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "GpuNvmlUnavailable",
                // "Where GPUs are expected": the same process read its GPUs within the last
                // day. A CPU-only deployment (always 0) stays silent.
                format!("{nvml} == 0\nand\nmax_over_time({nvml}[1d]) == 1"),
                Severity::Warning,
                Team::Infrastructure,
                Category::Infrastructure,
            )
            .pending_for(minutes(5))
            .summary("{{ $labels.service }} lost NVML: its GPUs cannot be read")
            .description("{{ $labels.service }} ({{ $labels.environment }}) read its GPUs within the last day but NVML has been unavailable for 5 minutes: the driver was unloaded or crashed, or a GPU fell off the bus. Every GPU alert is blind meanwhile."),
            fires: Scenario::fires("NVML gone at minute 11", 20, &[], vec![
                InputSeries::new(nvml, &[], "1x10 0x20"),
            ]),
            silent: Scenario::silent("a CPU-only host never had NVML", 20, vec![
                InputSeries::new(nvml, &[], constant(0.0, 30)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "GpuSeriesMissing",
                format!(
                    "{nvml} == 1\nunless on (environment, service, instance)\ncount by (environment, service, instance) ({total})"
                ),
                Severity::Warning,
                Team::Infrastructure,
                Category::Telemetry,
            )
            .pending_for(minutes(10))
            .summary("{{ $labels.service }} has NVML but reports no GPU")
            .description("NVML is loaded in {{ $labels.service }} ({{ $labels.environment }}) but no its_gpu_memory_total_bytes series has been exported for 10 minutes: the GPU poller is stopped or sees no device, and the GPU alerts are blind."),
            fires: Scenario::fires("NVML without devices", 15, &[], vec![
                InputSeries::new(nvml, &[], constant(1.0, 20)),
            ]),
            silent: Scenario::silent("NVML and a device", 15, vec![
                InputSeries::new(nvml, &[], constant(1.0, 20)),
                InputSeries::new(total, &dev, constant(80e9, 20)),
            ]),
        },
    ]
}

/// Inference backlog and batching alerts.
#[must_use]
pub fn inference_checks() -> Vec<AlertCheck> {
    let pending = inference::PENDING_REQUESTS.name;
    let model = [("model", "yolo")];
    let ok = [("model", "yolo"), ("outcome", "ok")];
    let wait = inference::QUEUE_WAIT.name;
    let dur = inference::REQUEST_DURATION.name;
    let batch = inference::BATCH_SIZE.name;
    let frames = inference::FRAMES_INFERRED.name;
    let mean = |metric: &str| {
        format!(
            "(sum by ({BY_SERVICE}, model) (rate({metric}_sum[10m])) / sum by ({BY_SERVICE}, model) (rate({metric}_count[10m])))"
        )
    };
    // 100 frames a minute wait `waited` seconds each; 10 batches a minute take 20 ms each.
    let waiting = |waited: f64| {
        vec![
            InputSeries::new(&format!("{wait}_sum"), &model, rising(100.0 * waited, 25)),
            InputSeries::new(&format!("{wait}_count"), &model, rising(100.0, 25)),
            InputSeries::new(&format!("{dur}_sum"), &ok, rising(10.0 * 0.02, 25)),
            InputSeries::new(&format!("{dur}_count"), &ok, rising(10.0, 25)),
        ]
    };
    // Batches of 4 frames; `fps` frames per second through the model.
    let batches = |fps: f64| {
        let per_minute = fps * 60.0;
        vec![
            InputSeries::new(&format!("{batch}_sum"), &model, rising(per_minute, 30)),
            InputSeries::new(
                &format!("{batch}_count"),
                &model,
                rising(per_minute / 4.0, 30),
            ),
            InputSeries::new(frames, &model, rising(per_minute, 30)),
        ]
    };
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                "InferenceBacklogGrowing",
                format!(
                    "sum by ({BY_SERVICE}, model) ({pending}) > {}\nand\nsum by ({BY_SERVICE}, model) (deriv({pending}[10m])) > 0",
                    n(t::INFERENCE_BACKLOG_BATCHES)
                ),
                Severity::Warning,
                Team::Ml,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("The inference backlog of model {{ $labels.model }} on {{ $labels.service }} keeps growing")
            .description(format!(
                "More than {} batches of model {{{{ $labels.model }}}} are in flight on {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) and the number has grown for 10 minutes: the GPUs cannot keep up with the cameras. Add GPUs, shed cameras or lower the frame rate.",
                n(t::INFERENCE_BACKLOG_BATCHES)
            )),
            fires: Scenario::fires("one more batch in flight every minute", 25, &model, vec![
                InputSeries::new(pending, &model, rising(1.0, 30)),
            ]),
            silent: Scenario::silent("6 batches in flight, steady", 25, vec![
                InputSeries::new(pending, &model, constant(6.0, 30)),
            ]),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "InferenceQueueWaitDominant",
                format!(
                    "{w}\n/\n({w} + {d})\n> {}",
                    n(t::QUEUE_WAIT_SHARE_WARN),
                    w = mean(wait),
                    d = mean(dur)
                ),
                Severity::Warning,
                Team::Ml,
                Category::Infrastructure,
            )
            .pending_for(minutes(10))
            .summary("Frames of model {{ $labels.model }} on {{ $labels.service }} wait longer for a batch than they take in it")
            .description(format!(
                "Over 10 minutes the mean queue wait of model {{{{ $labels.model }}}} on {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been more than {} % of a frame's latency (queue wait + batch time): the batcher's max_wait is too long, or the GPU is saturated.",
                n(t::QUEUE_WAIT_SHARE_WARN * 100.0)
            )),
            fires: Scenario::fires("80 ms wait, 20 ms batches", 20, &model, waiting(0.08)),
            silent: Scenario::silent("5 ms wait, 20 ms batches", 20, waiting(0.005)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                "InferenceBatchFillLow",
                format!(
                    "{}\n/ {} < {}\nand\nsum by ({BY_SERVICE}, model) (rate({frames}[15m])) > {}",
                    mean(batch).replace("[10m]", "[15m]"),
                    n(t::MAX_BATCH_SIZE),
                    n(t::BATCH_FILL_MIN_RATIO),
                    n(t::BATCH_FILL_MIN_FRAMES_PER_SECOND)
                ),
                Severity::Info,
                Team::Ml,
                Category::Infrastructure,
            )
            .pending_for(minutes(15))
            .summary("Batches of model {{ $labels.model }} on {{ $labels.service }} are less than a quarter full")
            .description(format!(
                "Under load (more than {} frames/s) the mean batch of model {{{{ $labels.model }}}} on {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) has been below {} % of the maximum batch of {} for 15 minutes: the GPU runs mostly empty batches. Lengthen the batcher's max_wait or use fewer GPUs.",
                n(t::BATCH_FILL_MIN_FRAMES_PER_SECOND),
                n(t::BATCH_FILL_MIN_RATIO * 100.0),
                n(t::MAX_BATCH_SIZE)
            )),
            fires: Scenario::fires("batches of 4 at 200 frames/s", 25, &model, batches(200.0)),
            silent: Scenario::silent("batches of 4 at 10 frames/s (quiet: max_wait at work)", 25, batches(10.0)),
        },
    ]
}

/// Emergencies: fleet-wide outages.
#[must_use]
pub fn emergency_checks() -> Vec<AlertCheck> {
    let connected = camera::CONNECTED.name;
    let req = inference::REQUESTS.name;
    let ok = [("model", "yolo"), ("version", "1"), ("outcome", "ok")];
    let err = [
        ("model", "yolo"),
        ("version", "1"),
        ("outcome", "error"),
        ("reason", "timed_out"),
    ];
    vec![
        AlertCheck {
            rule: AlertingRule::new(
                FLEET_OUTAGE_ALERT,
                format!(
                    "avg by ({BY_SERVICE}) (1 - {connected}) > {}",
                    n(t::FLEET_OFFLINE_SHARE_EMERGENCY)
                ),
                Severity::Emergency,
                Team::Infrastructure,
                Category::Availability,
            )
            .pending_for(minutes(2))
            .summary("Most cameras of {{ $labels.service }} are offline")
            .description(format!(
                "More than {} % of the camera streams of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) have been disconnected for 2 minutes: a fleet-wide outage. Every team is paged.",
                n(t::FLEET_OFFLINE_SHARE_EMERGENCY * 100.0)
            )),
            fires: Scenario::fires("6 of 10 cameras offline", 5, &[], fleet(6, 10, 10)),
            silent: Scenario::silent("3 of 10 cameras offline (critical, not emergency)", 5, fleet(3, 10, 10)),
        },
        AlertCheck {
            rule: AlertingRule::new(
                AVAILABILITY_COLLAPSE_ALERT,
                format!(
                    "1 - (\n  sum by ({BY_SERVICE}) (rate({req}{{outcome!=\"ok\"}}[5m]))\n  /\n  sum by ({BY_SERVICE}) (rate({req}[5m]))\n) < {}",
                    n(t::AVAILABILITY_EMERGENCY)
                ),
                Severity::Emergency,
                Team::Sre,
                Category::Availability,
            )
            .pending_for(minutes(2))
            .summary("{{ $labels.service }} availability collapsed below 90 %")
            .description(format!(
                "Fewer than {} % of the inference batches of {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) succeeded over 5 minutes, for 2 minutes: the monthly error budget is gone within hours. Every team is paged.",
                n(t::AVAILABILITY_EMERGENCY * 100.0)
            )),
            fires: Scenario::fires("30 % of batches fail", 10, &[], vec![
                InputSeries::new(req, &ok, rising(70.0, 15)),
                InputSeries::new(req, &err, rising(30.0, 15)),
            ]),
            silent: Scenario::silent("5 % of batches fail (critical, not emergency)", 10, vec![
                InputSeries::new(req, &ok, rising(95.0, 15)),
                InputSeries::new(req, &err, rising(5.0, 15)),
            ]),
        },
    ]
}
