//! Exemplars: the trace a histogram sample came from, so a latency panel can jump from a slow
//! bucket to the trace that landed in it.
//!
//! `metrics::Histogram::record` takes a value only, so the trace travels beside it: code that
//! knows its span ([`with_trace`]) marks the current thread while it records, and the SDK's
//! recorder keeps the last sample of each bucket together with that trace id. The SDK's HTTP
//! layers and batch guard do this for sampled requests and batches; unsampled work pays one
//! thread-local read per sample. Exemplars are written only in the OpenMetrics exposition
//! ([`super::Format::OpenMetrics`], which Prometheus asks for); the text format has no syntax
//! for them.
//!
//! ```
//! use its_telemetry::{TelemetryConfig, prometheus};
//! use opentelemetry::trace::TraceId;
//!
//! let recorder = prometheus::build_recorder(&TelemetryConfig::default());
//! let trace = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex");
//! metrics::with_local_recorder(&recorder, || {
//!     let latency = metrics::histogram!("my_job_duration_seconds");
//!     prometheus::exemplar::with_trace(trace, || latency.record(0.042));
//! });
//! let text = recorder.handle().render_as(prometheus::Format::OpenMetrics);
//! assert!(text.contains(r#"# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.042 "#));
//! ```

use std::cell::Cell;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanContext, TraceId};

/// The exemplar label that holds the trace id (32 lowercase hex digits): the name Grafana's
/// Prometheus data source maps to a trace data source (`exemplarTraceIdDestinations`).
pub const TRACE_ID_LABEL: &str = "trace_id";

thread_local! {
    /// The trace of the sample being recorded on this thread; 0 (an invalid trace id) for none.
    static CURRENT_TRACE: Cell<u128> = const { Cell::new(0) };
}

/// Runs `record` with `trace_id` as the exemplar of every histogram sample it records into the
/// SDK's recorder (on this thread). An invalid (all-zero) trace id records no exemplar.
pub fn with_trace<R>(trace_id: TraceId, record: impl FnOnce() -> R) -> R {
    let id = u128::from_be_bytes(trace_id.to_bytes());
    let previous = CURRENT_TRACE.try_with(|c| c.replace(id)).unwrap_or(0);
    // Restored even if `record` panics, so a later sample is not mislabelled.
    struct Restore(u128);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CURRENT_TRACE.try_with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(previous);
    record()
}

/// [`with_trace`] for the trace of `span_context` when it is sampled (a trace the backend may
/// store); otherwise just runs `record`.
pub(crate) fn with_sampled<R>(span_context: &SpanContext, record: impl FnOnce() -> R) -> R {
    if span_context.is_valid() && span_context.is_sampled() {
        with_trace(span_context.trace_id(), record)
    } else {
        record()
    }
}

/// The trace id [`with_trace`] set on this thread, if any.
fn current_trace() -> Option<u128> {
    CURRENT_TRACE.try_with(Cell::get).ok().filter(|&id| id != 0)
}

/// One exemplar: the trace, the sample's value and when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exemplar {
    pub(crate) trace_id: u128,
    pub(crate) value: f64,
    /// Seconds since the Unix epoch.
    pub(crate) timestamp: f64,
}

/// The latest exemplar of each bucket of one histogram. Allocated at the first exemplar, so
/// histograms that never see a sampled trace cost one pointer.
#[derive(Debug, Default)]
pub(crate) struct BucketExemplars {
    slots: std::sync::OnceLock<Box<[Mutex<Option<Exemplar>>]>>,
}

impl BucketExemplars {
    /// Keeps `value` as bucket `bucket`'s exemplar when a trace is set on this thread.
    /// Never blocks: a sample racing another one for the same bucket's slot keeps the other.
    #[inline]
    pub(crate) fn offer(&self, buckets: usize, bucket: usize, value: f64) {
        let Some(trace_id) = current_trace() else {
            return;
        };
        let slots = self
            .slots
            .get_or_init(|| (0..buckets).map(|_| Mutex::new(None)).collect());
        let Some(slot) = slots.get(bucket) else {
            return;
        };
        if let Ok(mut slot) = slot.try_lock() {
            let timestamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            *slot = Some(Exemplar {
                trace_id,
                value,
                timestamp,
            });
        }
    }

    /// Bucket `bucket`'s exemplar, if one was recorded.
    pub(crate) fn get(&self, bucket: usize) -> Option<Exemplar> {
        let slot = self.slots.get()?.get(bucket)?;
        *slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_outside_with_trace_has_no_exemplar() {
        let exemplars = BucketExemplars::default();
        exemplars.offer(3, 1, 0.5);
        assert_eq!(exemplars.get(1), None);
        let trace = TraceId::from_bytes([7; 16]);
        with_trace(trace, || exemplars.offer(3, 1, 0.25));
        let kept = exemplars.get(1).expect("exemplar");
        assert_eq!(kept.trace_id, u128::from_be_bytes([7; 16]));
        assert!((kept.value - 0.25).abs() < f64::EPSILON);
        assert!(kept.timestamp > 1.6e9, "{}", kept.timestamp);
        exemplars.offer(3, 2, 0.9);
        assert_eq!(
            exemplars.get(2),
            None,
            "the trace is unset after with_trace"
        );
    }

    #[test]
    fn the_trace_is_restored_after_a_panic_and_when_nested() {
        let outer = TraceId::from_bytes([1; 16]);
        let inner = TraceId::from_bytes([2; 16]);
        with_trace(outer, || {
            let _ = std::panic::catch_unwind(|| with_trace(inner, || panic!("in a record")));
            assert_eq!(current_trace(), Some(u128::from_be_bytes([1; 16])));
        });
        assert_eq!(current_trace(), None);
        with_trace(TraceId::INVALID, || assert_eq!(current_trace(), None));
    }
}
