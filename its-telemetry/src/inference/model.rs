//! Per-model handles: every inference series of one model, created once, so a batch costs a
//! handful of atomic operations.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use metrics::{Counter, Gauge, Histogram};

use super::batch::{BatchGuard, ModelRef, Outcome, Phase};
use crate::cardinality::{self, CardinalityGuard, OVERFLOW_VALUE};
use crate::catalog::inference as m;

/// Telemetry of one model version. Create once per model (cheap to clone) and start a
/// [`BatchGuard`] for every batch.
///
/// Series for error reasons and detection classes are registered the first time each value is
/// seen (with the recorder installed at that moment) and cached; their values are bounded by
/// the cardinality guard.
///
/// ```
/// use its_telemetry::inference::{ModelTelemetry, Phase};
///
/// let model = ModelTelemetry::new("yolov8n", "2024.1");
/// let mut batch = model.start_batch(16);
/// batch.phase(Phase::Preprocess);
/// batch.phase(Phase::Infer);
/// batch.phase(Phase::Postprocess);
/// batch.record_detections([("car", 0.91), ("truck", 0.78)]);
/// batch.ok();
/// ```
#[derive(Debug, Clone)]
pub struct ModelTelemetry {
    pub(crate) inner: Arc<ModelHandles>,
}

#[derive(Debug)]
pub(crate) struct ModelHandles {
    pub(crate) model: Box<str>,
    pub(crate) version: Box<str>,
    /// `infer {model}`, built once for the span's `otel.name`.
    pub(crate) span_name: Box<str>,
    pub(crate) duration: [Histogram; Outcome::COUNT],
    pub(crate) requests: [Counter; Outcome::COUNT],
    pub(crate) phases: [Histogram; Phase::COUNT],
    pub(crate) queue_wait: Histogram,
    pub(crate) batch_size: Histogram,
    pub(crate) frames: Counter,
    pub(crate) pending: Gauge,
    pub(crate) confidence: Histogram,
    error_reasons: RwLock<HashMap<Box<str>, Counter>>,
    classes: RwLock<HashMap<Box<str>, Counter>>,
    guard: &'static CardinalityGuard,
}

impl ModelTelemetry {
    /// Registers the model's series (and `its_model_info{model,version} 1`).
    #[must_use]
    pub fn new(model: &str, version: &str) -> Self {
        Self::with_guard(model, version, cardinality::global())
    }

    /// As [`new`](Self::new), with an explicit cardinality guard.
    #[must_use]
    pub fn with_guard(model: &str, version: &str, guard: &'static CardinalityGuard) -> Self {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        crate::clock::calibrate();
        let model_label = guard.admit(&m::REQUESTS, model);
        let version_label = version.to_owned();
        metrics::gauge!(m::MODEL_INFO.name, "model" => model_label.clone(), "version" => version_label.clone())
            .set(1.0);
        let by_outcome = |o: Outcome| {
            metrics::histogram!(
                m::REQUEST_DURATION.name,
                "model" => model_label.clone(),
                "outcome" => o.as_str()
            )
        };
        let requests = |o: Outcome| {
            metrics::counter!(
                m::REQUESTS.name,
                "model" => model_label.clone(),
                "version" => version_label.clone(),
                "outcome" => o.as_str(),
                "reason" => o.default_reason()
            )
        };
        let phase = |p: Phase| {
            metrics::histogram!(
                m::PHASE_DURATION.name,
                "model" => model_label.clone(),
                "phase" => p.as_str()
            )
        };
        let inner = ModelHandles {
            model: model.into(),
            version: version.into(),
            span_name: format!("infer {model}").into(),
            duration: Outcome::ALL.map(by_outcome),
            requests: Outcome::ALL.map(requests),
            phases: Phase::ALL.map(phase),
            queue_wait: metrics::histogram!(m::QUEUE_WAIT.name, "model" => model_label.clone()),
            batch_size: metrics::histogram!(m::BATCH_SIZE.name, "model" => model_label.clone()),
            frames: metrics::counter!(m::FRAMES_INFERRED.name, "model" => model_label.clone()),
            pending: metrics::gauge!(m::PENDING_REQUESTS.name, "model" => model_label.clone()),
            confidence: metrics::histogram!(
                m::DETECTION_CONFIDENCE.name,
                "model" => model_label.clone()
            ),
            error_reasons: RwLock::default(),
            classes: RwLock::default(),
            guard,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The model name.
    #[must_use]
    pub fn model(&self) -> &str {
        &self.inner.model
    }

    /// The model version.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// `infer {model}`, the name of the batch span.
    #[doc(hidden)]
    #[must_use]
    pub fn span_name(&self) -> &str {
        &self.inner.span_name
    }

    /// A batch of `batch_size` frames was formed now; see [`BatchGuard`].
    #[must_use = "the batch is recorded when the guard finishes or is dropped"]
    pub fn start_batch(&self, batch_size: usize) -> BatchGuard {
        BatchGuard::start(ModelRef::Shared(self.clone()), batch_size, None, None)
    }

    /// A batch whose oldest request was enqueued at `enqueued_at`; the wait is recorded as
    /// queue time.
    #[must_use = "the batch is recorded when the guard finishes or is dropped"]
    pub fn start_batch_queued(&self, batch_size: usize, enqueued_at: Instant) -> BatchGuard {
        BatchGuard::start(
            ModelRef::Shared(self.clone()),
            batch_size,
            Some(enqueued_at),
            None,
        )
    }

    /// Starts a batch inside a span built by the caller (used by `#[instrument_inference]`,
    /// which adds the function's fields to it).
    #[doc(hidden)]
    #[must_use = "the batch is recorded when the guard finishes or is dropped"]
    pub fn start_batch_in_span(
        &'static self,
        batch_size: usize,
        span: tracing::Span,
    ) -> BatchGuard {
        BatchGuard::start(ModelRef::Static(self), batch_size, None, Some(span))
    }

    /// Records detections outside a batch (e.g. from a tracker); same as
    /// [`BatchGuard::record_detections`].
    pub fn record_detections<'a>(&self, detections: impl IntoIterator<Item = (&'a str, f32)>) {
        for (class, confidence) in detections {
            self.inner.class_counter(class, |c| c.increment(1));
            // NaN says nothing about confidence; out-of-range values are model bugs clamped
            // into range so the histogram's count still matches the detection count.
            if !confidence.is_nan() {
                self.inner
                    .confidence
                    .record(f64::from(confidence.clamp(0.0, 1.0)));
            }
        }
    }
}

impl ModelHandles {
    /// Counts a failed batch under its reason; reasons are bounded by the cardinality guard.
    pub(crate) fn count_error(&self, reason: &str) {
        let reason = if reason.is_empty() { "unknown" } else { reason };
        if let Some(counter) = read(&self.error_reasons).get(reason) {
            counter.increment(1);
            return;
        }
        let label = self.guard.admit(&m::REQUESTS, reason);
        let admitted = label != OVERFLOW_VALUE;
        let counter = metrics::counter!(
            m::REQUESTS.name,
            "model" => self.model.to_string(),
            "version" => self.version.to_string(),
            "outcome" => Outcome::Error.as_str(),
            "reason" => label
        );
        counter.increment(1);
        // Folded values are not cached, so the map stays as small as the admitted set.
        if admitted {
            write(&self.error_reasons).insert(reason.into(), counter);
        }
    }

    fn class_counter(&self, class: &str, f: impl FnOnce(&Counter)) {
        if let Some(counter) = read(&self.classes).get(class) {
            f(counter);
            return;
        }
        let label = self.guard.admit(&m::DETECTIONS, class);
        let admitted = label != OVERFLOW_VALUE;
        let counter = metrics::counter!(
            m::DETECTIONS.name,
            "model" => self.model.to_string(),
            "class" => label
        );
        f(&counter);
        if admitted {
            write(&self.classes).insert(class.into(), counter);
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
