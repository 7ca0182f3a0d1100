//! The batch timing guard: one per batch, from formation to result.
//!
//! Phase order is free. Calling [`BatchGuard::phase`] ends the running phase (recording its
//! duration) and starts the next; each phase is recorded at most once per batch — asking for
//! a phase that was already recorded ends the running one and times nothing new, so a retry
//! loop cannot double count. Skipped phases are simply absent.
//!
//! The guard always ends exactly once: [`ok`](BatchGuard::ok) or [`error`](BatchGuard::error),
//! or, if it is dropped unfinished, `cancelled` (an aborted task) or `panic` (dropped while
//! unwinding). Pending requests go up at start and down at that single end, so the gauge never
//! drifts.

use std::time::Instant;

#[cfg(feature = "traces")]
use opentelemetry::trace::Status;
use opentelemetry::trace::TraceContextExt as _;
#[cfg(feature = "traces")]
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::model::ModelTelemetry;
use crate::clock::Ticks;

/// How a batch ended; the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Results were produced.
    Ok,
    /// The model or its pipeline failed; comes with a low-cardinality reason.
    Error,
    /// The guard was dropped unfinished: the task was aborted or the future dropped.
    Cancelled,
    /// The guard was dropped while the thread was panicking.
    Panic,
}

impl Outcome {
    pub(crate) const COUNT: usize = 4;
    /// Every outcome, in label order.
    pub const ALL: [Outcome; Self::COUNT] = [Self::Ok, Self::Error, Self::Cancelled, Self::Panic];

    /// The `outcome` label value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
            Self::Panic => "panic",
        }
    }

    /// The `reason` label when the caller gives none.
    pub(crate) const fn default_reason(self) -> &'static str {
        match self {
            Self::Ok => "none",
            Self::Error => "unknown",
            Self::Cancelled => "dropped",
            Self::Panic => "panic",
        }
    }
}

/// A phase of a batch, as Triton splits compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Decoding, resizing, normalising frames into a tensor.
    Preprocess,
    /// The model itself.
    Infer,
    /// Non-maximum suppression, decoding boxes, mapping classes.
    Postprocess,
}

impl Phase {
    pub(crate) const COUNT: usize = 3;
    /// Every phase, in pipeline order.
    pub const ALL: [Phase; Self::COUNT] = [Self::Preprocess, Self::Infer, Self::Postprocess];

    /// The `phase` label value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Preprocess => "preprocess",
            Self::Infer => "infer",
            Self::Postprocess => "postprocess",
        }
    }
}

/// The model a guard records into: borrowed for the `'static` models of
/// `#[instrument_inference]` (no reference counting per batch), shared otherwise.
#[derive(Debug)]
pub(crate) enum ModelRef {
    Static(&'static ModelTelemetry),
    Shared(ModelTelemetry),
}

impl std::ops::Deref for ModelRef {
    type Target = ModelTelemetry;
    fn deref(&self) -> &ModelTelemetry {
        match self {
            Self::Static(model) => model,
            Self::Shared(model) => model,
        }
    }
}

/// Times one batch, from formation to result.
///
/// Phase order is free: [`phase`](Self::phase) ends the running phase and starts the next, and
/// each phase is recorded at most once per batch (asking again for a recorded phase times
/// nothing new, so retries cannot double count). The guard ends exactly once: [`ok`](Self::ok),
/// [`error`](Self::error), or, dropped unfinished, `cancelled` (aborted task) or `panic`
/// (dropped while unwinding); pending requests go down at that single end.
///
/// Opens a span `infer {model}` (child of the current span) with `model`, `model.version` and
/// `batch.size`, and adds an event per finished phase. When the current span is sampled out,
/// no span is created at all: the parent-based sampler would drop it anyway.
#[derive(Debug)]
pub struct BatchGuard {
    model: ModelRef,
    started: Ticks,
    batch_size: usize,
    running: Option<(Phase, Ticks)>,
    recorded: [bool; Phase::COUNT],
    span: tracing::Span,
    finished: bool,
}

impl BatchGuard {
    pub(crate) fn start(
        model: ModelRef,
        batch_size: usize,
        enqueued_at: Option<Instant>,
        span: Option<tracing::Span>,
    ) -> Self {
        let started = Ticks::now();
        let handles = &model.inner;
        handles.pending.increment(1.0);
        // usize -> f64 is exact below 2^53 frames; a batch size of 0 is recorded as 0.
        handles.batch_size.record(batch_size as f64);
        if let Some(enqueued_at) = enqueued_at {
            // The caller's clock is std's: measure the wait on it.
            handles
                .queue_wait
                .record(enqueued_at.elapsed().as_secs_f64());
        }
        let span = span.unwrap_or_else(|| {
            if parent_sampled_out() {
                tracing::Span::none()
            } else {
                tracing::info_span!(
                    target: "its_telemetry::inference",
                    "infer",
                    otel.name = &*handles.span_name,
                    model = &*handles.model,
                    model.version = &*handles.version,
                    // An i64: the tracing bridge exports usize fields as strings.
                    batch.size = crate::__private::span_count(batch_size),
                )
            }
        });
        Self {
            model,
            started,
            batch_size,
            running: None,
            recorded: [false; Phase::COUNT],
            span,
            finished: false,
        }
    }

    /// The batch's span, to enter or to parent work on.
    #[must_use]
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Links the batch span to the spans of the requests whose frames it carries (fan-in: a
    /// batch cannot be the child of all of them). Empty links are skipped. See
    /// [`TraceLink`](crate::TraceLink).
    pub fn link_requests<'a>(&self, requests: impl IntoIterator<Item = &'a crate::TraceLink>) {
        for request in requests {
            request.record_on(&self.span);
        }
    }

    /// This batch's span as a link, for each request it served to record with
    /// [`TraceLink::record_on`](crate::TraceLink::record_on). Empty when the batch is not traced.
    #[must_use]
    pub fn trace_link(&self) -> crate::TraceLink {
        crate::TraceLink::of(&self.span)
    }

    /// Ends the running phase and starts `phase` (unless it was already recorded).
    pub fn phase(&mut self, phase: Phase) {
        let now = Ticks::now();
        self.close_phase(now);
        if !self.recorded[phase as usize] {
            self.running = Some((phase, now));
        }
    }

    /// Ends the running phase without starting another.
    pub fn end_phase(&mut self) {
        self.close_phase(Ticks::now());
    }

    fn close_phase(&mut self, now: Ticks) {
        let Some((phase, since)) = self.running.take() else {
            return;
        };
        self.recorded[phase as usize] = true;
        let seconds = since.seconds_until(now);
        self.model.inner.phases[phase as usize].record(seconds);
        #[cfg(feature = "traces")]
        if !self.span.is_disabled() {
            self.span.add_event(
                phase.as_str(),
                vec![opentelemetry::KeyValue::new("duration_s", seconds)],
            );
        }
    }

    /// Records detections `(class, confidence)` produced by this batch. NaN confidences count
    /// the detection but not the confidence; values outside 0–1 are clamped.
    pub fn record_detections<'a>(&self, detections: impl IntoIterator<Item = (&'a str, f32)>) {
        self.model.record_detections(detections);
    }

    /// The batch produced results.
    pub fn ok(mut self) {
        self.finish(Outcome::Ok, None);
    }

    /// The batch failed; `reason` must be low-cardinality (an error kind such as `timeout` or
    /// `OutOfMemory`, never a message).
    pub fn error(mut self, reason: &str) {
        self.finish(Outcome::Error, Some(reason));
    }

    /// Ends the batch as the `Result` of the inference call says: `Err` counts as an error
    /// under [`ErrorReason::reason`](super::ErrorReason::reason).
    pub fn finish_result<T, E: super::ErrorReason>(mut self, result: &Result<T, E>) {
        match result {
            Ok(_) => self.finish(Outcome::Ok, None),
            Err(e) => self.finish(Outcome::Error, Some(e.reason())),
        }
    }

    fn finish(&mut self, outcome: Outcome, reason: Option<&str>) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        let now = Ticks::now();
        self.close_phase(now);
        let handles = &self.model.inner;
        handles.pending.decrement(1.0);
        let index = outcome as usize;
        let took = self.started.seconds_until(now);
        if self.span.is_disabled() {
            handles.duration[index].record(took);
        } else {
            // A sampled batch's trace becomes its latency bucket's exemplar.
            let link = crate::TraceLink::of(&self.span);
            match link.span_context() {
                Some(context) => crate::prometheus::exemplar::with_sampled(context, || {
                    handles.duration[index].record(took);
                }),
                None => handles.duration[index].record(took),
            }
        }
        match (outcome, reason) {
            (Outcome::Error, Some(reason)) => handles.count_error(reason),
            _ => handles.requests[index].increment(1),
        }
        if outcome == Outcome::Ok {
            handles.frames.increment(self.batch_size as u64);
        } else if !self.span.is_disabled() {
            #[cfg(feature = "traces")]
            {
                let description = reason.unwrap_or(outcome.default_reason()).to_owned();
                self.span.set_attribute("error.type", description.clone());
                self.span.set_status(Status::error(description));
            }
        }
    }

    /// How the batch ended, if it did (for tests and for callers that hand the guard around).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let outcome = if std::thread::panicking() {
            Outcome::Panic
        } else {
            Outcome::Cancelled
        };
        self.finish(outcome, None);
    }
}

/// True when the current OpenTelemetry span is valid and not sampled: a parent-based sampler
/// would drop our child too, so creating it would be wasted work.
pub(crate) fn parent_sampled_out() -> bool {
    opentelemetry::Context::map_current(|cx| {
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid() && !sc.is_sampled()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::inference as m;
    use crate::test_support::Snapshot;
    use metrics_util::debugging::DebuggingRecorder;
    use std::time::Duration;

    fn with_model(f: impl FnOnce(&ModelTelemetry)) -> Snapshot {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        // Series for new error reasons and classes register on first use, with the recorder
        // current then: run everything under the test recorder.
        metrics::with_local_recorder(&recorder, || f(&ModelTelemetry::new("yolo", "8.1")));
        Snapshot::take(&snapshotter)
    }

    fn requests(snap: &Snapshot, outcome: &str, reason: &str) -> u64 {
        snap.counter(
            m::REQUESTS.name,
            &[
                ("model", "yolo"),
                ("version", "8.1"),
                ("outcome", outcome),
                ("reason", reason),
            ],
        )
    }

    fn pending(snap: &Snapshot) -> f64 {
        snap.gauge(m::PENDING_REQUESTS.name, &[("model", "yolo")])
    }

    #[test]
    fn ok_batch_records_every_metric() {
        let snap = with_model(|model| {
            let enqueued = Instant::now() - Duration::from_millis(20);
            let mut batch = model.start_batch_queued(8, enqueued);
            batch.phase(Phase::Preprocess);
            batch.phase(Phase::Infer);
            batch.phase(Phase::Postprocess);
            batch.record_detections([
                ("car", 0.9),
                ("car", 0.8),
                ("bus", f32::NAN),
                ("truck", 1.7),
            ]);
            batch.ok();
        });
        let model = [("model", "yolo")];
        assert_eq!(requests(&snap, "ok", "none"), 1);
        assert_eq!(requests(&snap, "error", "unknown"), 0);
        assert_eq!(snap.counter(m::FRAMES_INFERRED.name, &model), 8);
        assert_eq!(pending(&snap), 0.0);
        assert_eq!(snap.histogram(m::BATCH_SIZE.name, &model), vec![8.0]);
        let waits = snap.histogram(m::QUEUE_WAIT.name, &model);
        assert!(waits.len() == 1 && waits[0] >= 0.02, "{waits:?}");
        for phase in Phase::ALL {
            let samples = snap.histogram(
                m::PHASE_DURATION.name,
                &[("model", "yolo"), ("phase", phase.as_str())],
            );
            assert_eq!(samples.len(), 1, "{phase:?}");
        }
        assert_eq!(
            snap.histogram(
                m::REQUEST_DURATION.name,
                &[("model", "yolo"), ("outcome", "ok")]
            )
            .len(),
            1
        );
        assert_eq!(
            snap.counter(m::DETECTIONS.name, &[("model", "yolo"), ("class", "car")]),
            2
        );
        assert_eq!(
            snap.counter(m::DETECTIONS.name, &[("model", "yolo"), ("class", "bus")]),
            1
        );
        // NaN is not a confidence; 1.7 is clamped to 1.
        assert_eq!(
            snap.histogram(m::DETECTION_CONFIDENCE.name, &model).len(),
            3
        );
        assert!(
            snap.histogram(m::DETECTION_CONFIDENCE.name, &model)
                .contains(&1.0)
        );
        assert_eq!(
            snap.gauge(m::MODEL_INFO.name, &[("model", "yolo"), ("version", "8.1")]),
            1.0
        );
    }

    #[test]
    fn error_batch_counts_its_reason_and_no_frames() {
        let snap = with_model(|model| {
            model.start_batch(4).error("timeout");
            model.start_batch(4).error("timeout");
            model.start_batch(4).error("");
        });
        assert_eq!(requests(&snap, "error", "timeout"), 2);
        assert_eq!(requests(&snap, "error", "unknown"), 1);
        assert_eq!(
            snap.counter(m::FRAMES_INFERRED.name, &[("model", "yolo")]),
            0
        );
        assert_eq!(pending(&snap), 0.0);
    }

    #[test]
    fn dropped_guard_is_cancelled_and_counted_once() {
        let snap = with_model(|model| {
            let batch = model.start_batch(2);
            drop(batch);
        });
        assert_eq!(requests(&snap, "cancelled", "dropped"), 1);
        assert_eq!(requests(&snap, "ok", "none"), 0);
        assert_eq!(pending(&snap), 0.0);
    }

    #[test]
    fn aborted_task_is_cancelled() {
        let snap = with_model(|model| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let model = model.clone();
            runtime.block_on(async move {
                let (started_tx, started_rx) = tokio::sync::oneshot::channel();
                let task = tokio::spawn(async move {
                    let mut batch = model.start_batch(16);
                    batch.phase(Phase::Infer);
                    let _ = started_tx.send(());
                    std::future::pending::<()>().await;
                    batch.ok();
                });
                started_rx.await.expect("task started");
                task.abort();
                assert!(task.await.expect_err("aborted").is_cancelled());
            });
        });
        assert_eq!(requests(&snap, "cancelled", "dropped"), 1);
        assert_eq!(pending(&snap), 0.0);
        assert_eq!(
            snap.histogram(
                m::PHASE_DURATION.name,
                &[("model", "yolo"), ("phase", "infer")]
            )
            .len(),
            1,
            "the running phase is closed when the batch ends"
        );
    }

    #[test]
    fn panic_inside_a_batch_is_recorded_as_panic() {
        let snap = with_model(|model| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _batch = model.start_batch(1);
                panic!("model exploded");
            }));
            assert!(result.is_err());
        });
        assert_eq!(requests(&snap, "panic", "panic"), 1);
        assert_eq!(requests(&snap, "cancelled", "dropped"), 0);
        assert_eq!(pending(&snap), 0.0);
    }

    #[test]
    fn phase_order_rules() {
        let snap = with_model(|model| {
            let mut batch = model.start_batch(0); // an empty batch is recorded as size 0
            batch.phase(Phase::Infer); // infer before preprocess: fine
            batch.phase(Phase::Preprocess);
            batch.phase(Phase::Infer); // already recorded: ends preprocess, times nothing
            batch.end_phase();
            batch.end_phase(); // nothing running: no-op
            batch.ok();
        });
        let count = |p: &str| {
            snap.histogram(m::PHASE_DURATION.name, &[("model", "yolo"), ("phase", p)])
                .len()
        };
        assert_eq!(
            (count("preprocess"), count("infer"), count("postprocess")),
            (1, 1, 0)
        );
        assert_eq!(
            snap.histogram(m::BATCH_SIZE.name, &[("model", "yolo")]),
            vec![0.0]
        );
        assert_eq!(
            snap.counter(m::FRAMES_INFERRED.name, &[("model", "yolo")]),
            0
        );
    }

    #[test]
    fn finish_result_uses_the_error_reason() {
        let snap = with_model(|model| {
            let err: Result<(), std::io::Error> =
                Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "slow"));
            model.start_batch(1).finish_result(&err);
            model
                .start_batch(1)
                .finish_result(&Ok::<_, std::io::Error>(()));
        });
        assert_eq!(requests(&snap, "error", "timed_out"), 1);
        assert_eq!(requests(&snap, "ok", "none"), 1);
    }
}
