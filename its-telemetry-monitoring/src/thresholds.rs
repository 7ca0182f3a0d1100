//! The numbers the fleet, anomaly and capacity alerts compare against, each defined once with
//! the reason for its value. Rules and their promtool scenarios both read these constants, so
//! a changed threshold changes the rule and its proof together.

use std::time::Duration;

/// A camera whose last frame is older than this is stale. At 25 fps a camera sends a frame
/// every 40 ms; a minute without one is no network hiccup, and the staleness alert still
/// waits [`CAMERA_PENDING`] on top.
pub const CAMERA_STALE_SECONDS: f64 = 60.0;

/// How long a camera must be stale or disconnected before it alerts: a single reconnect
/// (RTSP re-handshake, NVR failover) takes seconds to a couple of minutes and must not page.
pub const CAMERA_PENDING: Duration = Duration::from_secs(5 * 60);

/// Share of the fleet's cameras disconnected that is a critical coverage loss: 10 % of 1000
/// cameras is 100 junctions the traffic centre cannot see.
pub const FLEET_OFFLINE_SHARE_CRITICAL: f64 = 0.1;

/// Share of the fleet's cameras disconnected that is a fleet-wide outage (severity
/// `emergency`): with most cameras gone the service no longer does its job, whatever its
/// own availability says.
pub const FLEET_OFFLINE_SHARE_EMERGENCY: f64 = 0.5;

/// Inference availability below which the outage is an emergency: at 90 % the 30-day
/// 99.9 % error budget burns 100× too fast and is gone in about 7 hours.
pub const AVAILABILITY_EMERGENCY: f64 = 0.9;

/// Share of received frames dropped, per reason, that needs a look: above 5 % the
/// 95 % detection-efficiency target (`TrafficDetectionEfficiencyDegraded`) cannot hold.
pub const FRAME_DROP_RATIO_WARN: f64 = 0.05;

/// Share of the fleet's cameras that reconnected within 10 minutes that makes a reconnect
/// storm: one camera flapping is a camera problem, a fifth of them is the network, the NVR or
/// this service.
pub const RECONNECT_STORM_SHARE: f64 = 0.2;

/// Decode p95 above one frame period at 25 fps (40 ms): the decoder cannot keep up with
/// the stream and frames queue or drop. Also a bucket bound of the decode histogram, so the
/// quantile is exact at the threshold.
pub const DECODE_P95_SECONDS: f64 = 0.04;

/// Core temperature that needs a look: NVIDIA data-centre GPUs start slowing their clocks
/// around 87–90 °C; 85 °C leaves time to fix cooling before they do.
pub const GPU_TEMPERATURE_CELSIUS: f64 = 85.0;

/// Device memory in use above which the next batch (or a model reload) may fail to allocate.
pub const GPU_MEMORY_FULL_RATIO: f64 = 0.95;

/// Throttle reasons that mean the GPU is held back by heat or power hardware. `gpu_idle`,
/// `applications_clocks_setting`, `display_clock_setting`, `sync_boost` and `sw_power_cap`
/// (the normal power limit under full load) are left out: they are configuration or load,
/// not faults.
pub const GPU_FAULT_THROTTLE_REASONS: [its_telemetry::gpu::ThrottleReason; 4] = [
    its_telemetry::gpu::ThrottleReason::HwSlowdown,
    its_telemetry::gpu::ThrottleReason::SwThermalSlowdown,
    its_telemetry::gpu::ThrottleReason::HwThermalSlowdown,
    its_telemetry::gpu::ThrottleReason::HwPowerBrakeSlowdown,
];

/// Batches in flight (started, not finished) per model that make a backlog: at 20–25 ms of
/// GPU time per batch, a batch behind four others already spends the 100 ms p95 budget.
pub const INFERENCE_BACKLOG_BATCHES: f64 = 4.0;

/// Share of a frame's latency spent waiting for its batch above which the batcher, not the
/// model, dominates latency (`max_wait` too long, or the GPU saturated).
pub const QUEUE_WAIT_SHARE_WARN: f64 = 0.5;

/// The batcher's largest batch. The SDK exports no max-batch series or label, so the batch
/// fill alert compares against this: the example service's default `--max-batch 32`.
/// Deployments with another maximum change it here.
pub const MAX_BATCH_SIZE: f64 = 32.0;

/// Mean batch fill (mean batch size / [`MAX_BATCH_SIZE`]) below which the GPU runs mostly
/// empty batches: a quarter full pays a full kernel launch for a quarter of the work.
pub const BATCH_FILL_MIN_RATIO: f64 = 0.25;

/// Frames per second below which partial batches are the batcher's `max_wait` doing its job
/// (low traffic), not a mis-tuned batcher: the batch fill alert stays silent under it.
pub const BATCH_FILL_MIN_FRAMES_PER_SECOND: f64 = 100.0;

/// How far from its baseline, in standard deviations, the current rate must be to be an
/// anomaly. With the daily cycle inside the 1-day baseline a normal day stays within about
/// ±1.5 σ (a sine's extremes are √2 σ from its mean), so 3 σ leaves room.
pub const ANOMALY_Z: f64 = 3.0;

/// The baseline's standard deviation is taken as at least this share of its mean, so a
/// nearly flat baseline (σ ≈ 0) does not turn every small wobble into a huge z-score.
pub const ANOMALY_MIN_RELATIVE_STDDEV: f64 = 0.1;

/// Baseline vehicles per second below which the vehicle-rate anomaly stays silent: a quiet
/// site (or a quiet night's camera group) has too few vehicles for a z-score to mean anything.
pub const ANOMALY_MIN_VEHICLES_PER_SECOND: f64 = 1.0;

/// Baseline inference batches per second below which the request-rate and error-ratio
/// anomalies stay silent.
pub const ANOMALY_MIN_REQUESTS_PER_SECOND: f64 = 1.0;

/// Error ratio below which an error-ratio anomaly stays silent however unusual it is: 1 % is
/// ten times the 99.9 % SLO's budget rate; below it the burn-rate alerts speak.
pub const ANOMALY_MIN_ERROR_RATIO: f64 = 0.01;

/// Share of the camera stream capacity in use that needs planning now (`CameraCapacityHigh`).
pub const CAMERA_CAPACITY_HIGH_RATIO: f64 = 0.85;

/// How far ahead camera capacity and ingest volume are predicted: a week is the time it
/// takes to provision more streams or find the cameras that went quiet.
pub const CAPACITY_HORIZON: Duration = Duration::from_secs(7 * 86_400);

/// How much history the camera and ingest trends are fitted over: one day, so one daily
/// cycle is inside every fit and the slope is the trend, not the time of day.
pub const CAPACITY_FIT_WINDOW: Duration = Duration::from_secs(86_400);

/// The ingest volume the capacity plan needs: 8 TB a day (10 TB expected).
pub const INGEST_MIN_BYTES_PER_DAY: f64 = 8e12;

/// How far ahead GPU memory growth is predicted: a leak that fills memory within a day
/// must be fixed (or the service restarted) before it does.
pub const GPU_MEMORY_HORIZON: Duration = Duration::from_secs(86_400);

/// How much history GPU memory growth is fitted over: long enough that loading a model (a
/// step, not a trend) does not look like a leak.
pub const GPU_MEMORY_FIT_WINDOW: Duration = Duration::from_secs(6 * 3600);

/// Cameras the deployment is sized for: the seed's "1000+ cameras". The overview plots the
/// connected streams against it.
pub const CAMERA_FLEET_TARGET: f64 = 1000.0;

/// Frames the ML pipeline must infer per second: the seed's "500+ RPS" for inference, counted
/// in frames (one detection request per frame, whatever the batching). The overview plots the
/// inference rate against it.
pub const INFERENCE_RATE_TARGET_PER_SECOND: f64 = 500.0;

/// Weights of the system health score's components (`service:its_health_score:percent`, see
/// [`crate::recording`]): the SLOs (availability and latency, the SLA itself) weigh most,
/// then camera coverage (what the traffic centre can see), then GPU health (a warning sign
/// before the SLOs suffer). They add up to 1.
pub const HEALTH_WEIGHT_SLO: f64 = 0.5;
/// See [`HEALTH_WEIGHT_SLO`].
pub const HEALTH_WEIGHT_CAMERAS: f64 = 0.3;
/// See [`HEALTH_WEIGHT_SLO`].
pub const HEALTH_WEIGHT_GPUS: f64 = 0.2;
