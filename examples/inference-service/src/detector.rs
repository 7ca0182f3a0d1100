//! A simulated GPU detector: latency that grows with batch size and has a realistic tail,
//! detections with classes, confidences and speeds — instrumented with the batch guard
//! (Triton-style phases) and `#[instrument_inference]`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use its_telemetry::TraceLink;
use its_telemetry::inference::{BatchGuard, DriftMonitor, ErrorReason, ModelTelemetry, Phase};
use its_telemetry::instrument_inference;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::faults::{FaultSwitch, Faults, MAX_LATENCY_SPIKE_MS};
use crate::rng::Rng;

/// The model the simulator pretends to run.
pub const MODEL: &str = "yolov8n-traffic";
/// Its version.
pub const MODEL_VERSION: &str = "2024.11";

/// One frame as the API receives it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    /// Camera that produced it.
    pub camera_id: String,
    /// Capture time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Encoded size in bytes.
    pub size_bytes: u64,
}

/// One detected road user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Detection {
    /// Camera of the frame it was found in.
    pub camera_id: String,
    /// `car`, `truck`, `bus`, …
    pub class: String,
    /// Model confidence, 0–1.
    pub confidence: f32,
    /// Estimated speed.
    pub speed_kmh: f64,
    /// `inbound` or `outbound`.
    pub direction: String,
}

/// Why a batch failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InferError {
    /// The GPU did not answer in time.
    #[error("the GPU did not answer in time")]
    GpuTimeout,
    /// The batch did not fit in GPU memory.
    #[error("out of GPU memory")]
    OutOfMemory,
}

impl ErrorReason for InferError {
    fn reason(&self) -> &'static str {
        match self {
            Self::GpuTimeout => "gpu_timeout",
            Self::OutOfMemory => "out_of_memory",
        }
    }
}

/// Classes with their share of traffic.
const CLASSES: [(&str, f64); 6] = [
    ("car", 0.70),
    ("van", 0.10),
    ("truck", 0.08),
    ("bus", 0.03),
    ("motorcycle", 0.05),
    ("bicycle", 0.04),
];

/// The simulated model and its telemetry.
#[derive(Debug)]
pub struct Detector {
    model: ModelTelemetry,
    gpu: Semaphore,
    batch_timeout: Duration,
    faults: FaultSwitch,
    rng: Mutex<Rng>,
    drift: Mutex<DriftMonitor>,
}

impl Detector {
    /// A detector with `gpu_streams` batches in flight at most and a drift window of
    /// `drift_window` detections. A batch holds its GPU stream for at most `batch_timeout`,
    /// whatever the fault knobs say: then it fails with [`InferError::GpuTimeout`].
    ///
    /// # Panics
    /// Never in practice: the drift baseline is built from valid confidences.
    #[must_use]
    pub fn new(
        gpu_streams: usize,
        drift_window: usize,
        batch_timeout: Duration,
        faults: FaultSwitch,
    ) -> Self {
        let mut rng = Rng::new(7);
        // Reference distribution: confidences of the healthy model.
        let baseline: Vec<f64> = (0..5000).map(|_| healthy_confidence(&mut rng)).collect();
        let drift = DriftMonitor::confidence(MODEL, &baseline, drift_window.max(1))
            .expect("a baseline of finite confidences is valid");
        Self {
            model: ModelTelemetry::new(MODEL, MODEL_VERSION),
            gpu: Semaphore::new(gpu_streams.max(1)),
            batch_timeout,
            faults,
            rng: Mutex::new(rng),
            drift: Mutex::new(drift),
        }
    }

    fn rng(&self) -> std::sync::MutexGuard<'_, Rng> {
        self.rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs one batch: waits for a GPU stream, then pre-process, infer, post-process. The
    /// batch span links to `requests`; the returned link is the batch span, for the requests
    /// to link back.
    ///
    /// The result is [`InferError`] when the error-rate fault hits this batch, and
    /// [`InferError::GpuTimeout`] when the batch would hold its GPU stream longer than the
    /// batch timeout (the stream is released at the timeout).
    pub async fn run_batch(
        &self,
        frames: &[Frame],
        enqueued_at: Instant,
        requests: Vec<&TraceLink>,
    ) -> (Result<Vec<Detection>, InferError>, TraceLink) {
        let _stream = self.gpu.acquire().await;
        let deadline = tokio::time::Instant::now() + self.batch_timeout;
        let faults = self.faults.get();
        let batch = self.model.start_batch_queued(frames.len(), enqueued_at);
        batch.link_requests(requests);
        let link = batch.trace_link();
        (self.run_phases(batch, frames, faults, deadline).await, link)
    }

    async fn run_phases(
        &self,
        mut batch: BatchGuard,
        frames: &[Frame],
        faults: Faults,
        deadline: tokio::time::Instant,
    ) -> Result<Vec<Detection>, InferError> {
        batch.phase(Phase::Preprocess);
        let preprocess = Duration::from_micros(200 + 40 * frames.len() as u64);
        if !work_until(preprocess, deadline).await {
            batch.error(InferError::GpuTimeout.reason());
            return Err(InferError::GpuTimeout);
        }

        batch.phase(Phase::Infer);
        let (latency, failure) = {
            let mut rng = self.rng();
            let n = frames.len() as f64;
            // 6 ms fixed + 0.35 ms per frame, a skewed jitter, and a 1 % slow tail.
            let mut ms = 6.0 + 0.35 * n + 4.0 * rng.unit() * rng.unit();
            if rng.chance(0.01) {
                ms += 25.0 + 40.0 * rng.unit();
            }
            // In-process callers may set any value; the deadline below bounds it anyway.
            ms += faults.latency_spike_ms.min(MAX_LATENCY_SPIKE_MS) as f64;
            let failure = rng.chance(faults.error_rate).then(|| {
                if rng.chance(0.7) {
                    InferError::GpuTimeout
                } else {
                    InferError::OutOfMemory
                }
            });
            (Duration::from_secs_f64(ms / 1000.0), failure)
        };
        if !work_until(latency, deadline).await {
            batch.error(InferError::GpuTimeout.reason());
            return Err(InferError::GpuTimeout);
        }
        if let Some(error) = failure {
            batch.error(error.reason());
            return Err(error);
        }

        batch.phase(Phase::Postprocess);
        let detections = self.detect(frames, faults.confidence_drift);
        batch.record_detections(detections.iter().map(|d| (d.class.as_str(), d.confidence)));
        {
            let mut drift = self
                .drift
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for d in &detections {
                drift.observe(f64::from(d.confidence));
            }
        }
        let detections = estimate_speeds(detections);
        batch.ok();
        Ok(detections)
    }

    fn detect(&self, frames: &[Frame], drift: f64) -> Vec<Detection> {
        let mut rng = self.rng();
        let mut out = Vec::new();
        for frame in frames {
            // About one road user every other frame.
            let count = usize::from(rng.chance(0.45)) + usize::from(rng.chance(0.1));
            for _ in 0..count {
                let roll = rng.unit();
                let mut acc = 0.0;
                let class = CLASSES
                    .iter()
                    .find(|(_, share)| {
                        acc += share;
                        roll < acc
                    })
                    .map_or("car", |(c, _)| *c);
                let confidence = (healthy_confidence(&mut rng) - drift).clamp(0.01, 1.0);
                out.push(Detection {
                    camera_id: frame.camera_id.clone(),
                    class: class.to_owned(),
                    confidence: confidence as f32,
                    speed_kmh: 0.0,
                    direction: if rng.chance(0.5) {
                        "inbound"
                    } else {
                        "outbound"
                    }
                    .to_owned(),
                });
            }
        }
        out
    }
}

/// Simulated GPU work of `took`, cut off at `deadline`: true when it finished in time.
async fn work_until(took: Duration, deadline: tokio::time::Instant) -> bool {
    let done = tokio::time::Instant::now().checked_add(took);
    match done {
        Some(done) if done <= deadline => {
            tokio::time::sleep_until(done).await;
            true
        }
        _ => {
            tokio::time::sleep_until(deadline).await;
            false
        }
    }
}

/// A second-stage model, instrumented with the attribute: speed from track displacement.
#[instrument_inference(model = "speed-estimator", version = "1.3", batch = detections.len(), skip_all)]
fn estimate_speeds(mut detections: Vec<Detection>) -> Vec<Detection> {
    for (i, d) in detections.iter_mut().enumerate() {
        // Deterministic spread of urban and motorway speeds.
        d.speed_kmh = 30.0 + ((i * 37 + d.camera_id.len() * 11) % 90) as f64;
    }
    detections
}

/// Confidence of a healthy model: most detections between 0.8 and 0.99.
fn healthy_confidence(rng: &mut Rng) -> f64 {
    (0.78 + 0.21 * rng.unit().sqrt()).min(0.999)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(n: usize) -> Vec<Frame> {
        (0..n)
            .map(|i| Frame {
                camera_id: format!("cam-{i:04}"),
                timestamp_ms: 0,
                size_bytes: 1000,
            })
            .collect()
    }

    #[tokio::test]
    async fn no_latency_spike_holds_the_gpu_beyond_the_batch_timeout() {
        let faults = FaultSwitch::new(Faults {
            latency_spike_ms: u64::MAX,
            ..Faults::default()
        });
        // One GPU stream: the second batch only runs once the first has released it.
        let detector = Detector::new(1, 100, Duration::from_millis(500), faults.clone());
        let batch = frames(4);
        let started = Instant::now();
        let (first, second) = tokio::join!(
            detector.run_batch(&batch, started, Vec::new()),
            detector.run_batch(&batch, started, Vec::new()),
        );
        assert_eq!(first.0, Err(InferError::GpuTimeout));
        assert_eq!(second.0, Err(InferError::GpuTimeout));
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{took:?}");

        // Healthy again: batches succeed within the same timeout.
        faults.set(Faults::default());
        let (result, _) = detector.run_batch(&batch, Instant::now(), Vec::new()).await;
        assert!(result.is_ok(), "{result:?}");
    }
}
