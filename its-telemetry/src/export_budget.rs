//! Admission to a bounded export queue, so that what the SDK sheds is counted.
//!
//! opentelemetry_sdk's batch processors drop spans and log records when their queue is full
//! and only say how many at shutdown. The SDK puts an [`ExportBudget`] in front: a record is
//! handed to the batch processor only while fewer than `capacity` records wait for the
//! exporter, and the processor's own queue has the same capacity, so it never drops on its
//! own. Every record the SDK does not deliver is counted in
//! `its_telemetry_export_dropped_total{signal, reason}`: `queue_full` here, `export_failed`
//! when the exporter reports a failed batch.

// Without an OTLP exporter compiled in nothing is queued; the module stays compiled so every
// feature combination checks it (as in `traces.rs`).
#![cfg_attr(
    not(any(feature = "otlp-grpc", feature = "otlp-http")),
    allow(dead_code)
)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::catalog::sdk;

/// Why a record was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// The bounded export queue was full (collector slow or unreachable).
    QueueFull,
    /// The batch carrying it could not be exported.
    ExportFailed,
}

impl DropReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::ExportFailed => "export_failed",
        }
    }
}

/// Places in the export queue of one signal.
#[derive(Debug)]
pub(crate) struct ExportBudget {
    waiting: AtomicUsize,
    capacity: usize,
    signal: &'static str,
    failed_before: AtomicBool,
}

impl ExportBudget {
    /// A budget of `capacity` waiting records for `signal` (`traces`, `logs`).
    pub(crate) fn new(signal: &'static str, capacity: usize) -> Self {
        Self {
            waiting: AtomicUsize::new(0),
            capacity,
            signal,
            failed_before: AtomicBool::new(false),
        }
    }

    /// Takes a place for one record; `false`, counted as dropped, when the queue is full.
    pub(crate) fn admit(&self) -> bool {
        let admitted = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |waiting| {
                (waiting < self.capacity).then_some(waiting + 1)
            })
            .is_ok();
        if !admitted {
            self.count_dropped(1, DropReason::QueueFull);
        }
        admitted
    }

    /// The exporter took `records` out of the queue.
    pub(crate) fn release(&self, records: usize) {
        // Saturating: records the processor exported without passing `admit` (none today)
        // must not wrap the count.
        let _ = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |waiting| {
                Some(waiting.saturating_sub(records))
            });
    }

    /// Counts `records` lost for `reason`.
    pub(crate) fn count_dropped(&self, records: usize, reason: DropReason) {
        // Looked up on each loss (a cold path): exporters are built before the recorder is
        // installed, so a handle cached at construction would point at the wrong recorder.
        metrics::counter!(
            sdk::EXPORT_DROPPED.name,
            "signal" => self.signal,
            "reason" => reason.as_str()
        )
        .increment(records as u64);
    }

    /// A batch of `records` could not be exported: counts them as dropped and the failure in
    /// `its_telemetry_export_failures_total{signal}`. `true` on the first failure, so the
    /// exporter warns once rather than on every batch.
    pub(crate) fn export_failed(&self, records: usize) -> bool {
        self.count_dropped(records, DropReason::ExportFailed);
        // Looked up on each failure (a cold path), as in `count_dropped`.
        metrics::counter!(sdk::EXPORT_FAILURES.name, "signal" => self.signal).increment(1);
        !self.failed_before.swap(true, Ordering::Relaxed)
    }

    /// Records admitted and not yet taken by the exporter.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Snapshot;
    use metrics_util::debugging::DebuggingRecorder;

    #[test]
    fn admits_up_to_capacity_then_counts_drops() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let budget = ExportBudget::new("traces", 3);
            assert!((0..3).all(|_| budget.admit()));
            assert!(!budget.admit());
            assert!(!budget.admit());
            budget.release(2);
            assert_eq!(budget.waiting(), 1);
            assert!(budget.admit());
            assert!(budget.export_failed(5), "the first failure is reported");
            assert!(!budget.export_failed(0), "later ones are only counted");
        });
        let snapshot = Snapshot::take(&snapshotter);
        let dropped = |reason| {
            snapshot.counter(
                sdk::EXPORT_DROPPED.name,
                &[("signal", "traces"), ("reason", reason)],
            )
        };
        assert_eq!(dropped("queue_full"), 2);
        assert_eq!(dropped("export_failed"), 5);
        assert_eq!(
            snapshot.counter(sdk::EXPORT_FAILURES.name, &[("signal", "traces")]),
            2
        );
    }

    #[test]
    fn release_never_wraps() {
        let budget = ExportBudget::new("logs", 2);
        budget.release(10);
        assert_eq!(budget.waiting(), 0);
        assert!(budget.admit());
    }
}
