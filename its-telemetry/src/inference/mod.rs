//! Inference instrumentation: the batch timing guard, drift and accuracy.
//!
//! Latency is split the way Triton splits it — queue wait, then pre-process / infer /
//! post-process — with batch size, outcome and detections, for a few atomic operations per
//! batch. See [`ModelTelemetry`] and [`BatchGuard`].

mod accuracy;
mod batch;
mod drift;
mod model;
mod reason;

pub use accuracy::AccuracyFeedback;
pub(crate) use batch::parent_sampled_out;
pub use batch::{BatchGuard, Outcome, Phase};
pub use drift::{DriftError, DriftLevel, DriftMonitor, DriftThresholds};
pub use model::ModelTelemetry;
pub use reason::{ErrorReason, short_type_name};
