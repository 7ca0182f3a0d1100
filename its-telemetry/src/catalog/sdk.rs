//! The SDK's own health: what it is, and where it had to shed data to protect the service.

use super::{Domain::Sdk, MetricDescriptor, Unit};

/// Build metadata of the instrumented service.
pub const BUILD_INFO: MetricDescriptor = MetricDescriptor::gauge(
    Sdk,
    "its_build_info",
    Unit::Info,
    "Version and git commit of the running service; the value is always 1.",
    &["version", "git_sha", "sdk_version"],
);
/// Label values folded into the overflow value by the cardinality guard.
pub const LABEL_OVERFLOW: MetricDescriptor = MetricDescriptor::counter(
    Sdk,
    "its_telemetry_label_overflow_total",
    "Label values folded into the overflow value because the metric reached its cardinality limit.",
    &["metric"],
);
/// Telemetry batches that could not be exported (collector unreachable, push gateway down).
pub const EXPORT_FAILURES: MetricDescriptor = MetricDescriptor::counter(
    Sdk,
    "its_telemetry_export_failures_total",
    "Telemetry exports that failed, by signal (traces, logs or metrics_push).",
    &["signal"],
);

/// Spans and log records lost before they reached the collector: the bounded export queue was
/// full, or the export of their batch failed. Lost, but never silently.
pub const EXPORT_DROPPED: MetricDescriptor = MetricDescriptor::counter(
    Sdk,
    "its_telemetry_export_dropped_total",
    "Spans or log records lost before export, by signal (traces or logs) and reason (queue_full: \
     the bounded export queue was full; export_failed: the collector refused or was unreachable).",
    &["signal", "reason"],
);

/// Every SDK health metric.
pub const ALL: &[MetricDescriptor] = &[BUILD_INFO, LABEL_OVERFLOW, EXPORT_FAILURES, EXPORT_DROPPED];
