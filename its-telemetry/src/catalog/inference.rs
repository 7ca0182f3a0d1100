//! Batched inference metrics, split the way Triton splits latency: queue wait, then the
//! pre-process / infer / post-process phases, plus batch size, outcome and detections.
//!
//! Inference series never carry `camera_id`: one batch mixes many cameras.

use super::buckets;
use super::{Domain::Inference, MetricDescriptor, Unit};

/// End-to-end time of one batch, from formation to result.
pub const REQUEST_DURATION: MetricDescriptor = MetricDescriptor::histogram(
    Inference,
    "its_inference_request_duration_seconds",
    Unit::Seconds,
    "Time from batch formation to result, by model and outcome.",
    &["model", "outcome"],
    buckets::INFERENCE_SECONDS,
);
/// Time requests waited in the batcher's queue.
pub const QUEUE_WAIT: MetricDescriptor = MetricDescriptor::histogram(
    Inference,
    "its_inference_queue_wait_seconds",
    Unit::Seconds,
    "Time a request waited in the batch queue before its batch started.",
    &["model"],
    buckets::QUEUE_WAIT_SECONDS,
);
/// Duration of one phase (`preprocess`, `infer`, `postprocess`) of a batch.
pub const PHASE_DURATION: MetricDescriptor = MetricDescriptor::histogram(
    Inference,
    "its_inference_phase_duration_seconds",
    Unit::Seconds,
    "Time spent in one phase of a batch: preprocess, infer or postprocess.",
    &["model", "phase"],
    buckets::INFERENCE_SECONDS,
);
/// Frames per batch.
pub const BATCH_SIZE: MetricDescriptor = MetricDescriptor::histogram(
    Inference,
    "its_inference_batch_size",
    Unit::Count,
    "Frames in one inference batch.",
    &["model"],
    buckets::BATCH_SIZE,
);
/// Batches by outcome (`ok`, `error`, `cancelled`, `panic`) and low-cardinality reason.
pub const REQUESTS: MetricDescriptor = MetricDescriptor::counter(
    Inference,
    "its_inference_requests_total",
    "Inference batches finished, by outcome and reason.",
    &["model", "version", "outcome", "reason"],
);
/// Frames that went through the model.
pub const FRAMES_INFERRED: MetricDescriptor = MetricDescriptor::counter(
    Inference,
    "its_inference_frames_total",
    "Frames that went through the model.",
    &["model"],
);
/// Batches started and not yet finished.
pub const PENDING_REQUESTS: MetricDescriptor = MetricDescriptor::gauge(
    Inference,
    "its_inference_pending_requests",
    Unit::Count,
    "Inference batches started and not yet finished.",
    &["model"],
);
/// Objects detected, by class.
pub const DETECTIONS: MetricDescriptor = MetricDescriptor::counter(
    Inference,
    "its_inference_detections_total",
    "Objects detected, by class.",
    &["model", "class"],
);
/// Confidence of each detection.
pub const DETECTION_CONFIDENCE: MetricDescriptor = MetricDescriptor::histogram(
    Inference,
    "its_inference_detection_confidence_ratio",
    Unit::Ratio,
    "Confidence score of each detection.",
    &["model"],
    buckets::CONFIDENCE,
);
/// Population stability index of a model input or output feature against its reference.
pub const DRIFT_SCORE: MetricDescriptor = MetricDescriptor::gauge(
    Inference,
    "its_model_drift_score",
    Unit::Dimensionless,
    "Population stability index of a feature against its reference distribution (warn 0.1, critical 0.25).",
    &["model", "feature"],
);
/// Ground-truth feedback: was the prediction correct?
pub const ACCURACY_FEEDBACK: MetricDescriptor = MetricDescriptor::counter(
    Inference,
    "its_model_accuracy_feedback_total",
    "Predictions checked against ground truth, by result (correct or incorrect).",
    &["model", "result"],
);
/// Which model versions are loaded.
pub const MODEL_INFO: MetricDescriptor = MetricDescriptor::gauge(
    Inference,
    "its_model_info",
    Unit::Info,
    "Model loaded by the service; the value is always 1.",
    &["model", "version"],
);

/// Every inference metric.
pub const ALL: &[MetricDescriptor] = &[
    REQUEST_DURATION,
    QUEUE_WAIT,
    PHASE_DURATION,
    BATCH_SIZE,
    REQUESTS,
    FRAMES_INFERRED,
    PENDING_REQUESTS,
    DETECTIONS,
    DETECTION_CONFIDENCE,
    DRIFT_SCORE,
    ACCURACY_FEEDBACK,
    MODEL_INFO,
];
