//! The OpenTelemetry Collector of the stack (`monitoring/opentelemetry/otel-collector.yaml`):
//! where Prometheus scrapes it, and the names of the collector's own metrics the alert rules
//! use.
//!
//! These names are **not** the SDK's (those live only in the catalog): they are the internal
//! telemetry of the OpenTelemetry Collector **v0.161.0** (contrib v0.161.0, core v1.67.0), as
//! its `service.telemetry.metrics` Prometheus reader serves them on `:8888` with the shipped
//! config, which sets `without_type_suffix: false` and `without_units: false` so counters keep
//! their `_total` suffix (v0.161's default reader drops it: `otelcol_receiver_refused_spans`).
//! Seen in a real scrape of that release (labels besides `job`/`instance`):
//!
//! | metric | labels |
//! |---|---|
//! | `otelcol_receiver_refused_{spans,log_records,metric_points}_total` | `receiver`, `transport` |
//! | `otelcol_exporter_send_failed_{spans,log_records,metric_points}_total` | `exporter`, and for OTLP exporters `server_address`, `server_port`, `url_path` |
//! | `otelcol_exporter_queue_size`, `otelcol_exporter_queue_capacity` (batches) | `exporter`, `data_type` |
//!
//! A counter appears once its component has handled data of its signal (a receiver's refused
//! counters with the first request; an exporter's send-failed counter with the first failure).
//! `tests/tests/otel_collector_telemetry.rs` runs the real collector and fails when one of
//! these names is missing from its scrape, so a rename by a collector upgrade cannot go unseen.

/// Prometheus job scraping the collector's own telemetry (`otelcol_*`).
pub const TELEMETRY_JOB: &str = "otel-collector";
/// Prometheus job scraping the collector's `prometheus` exporter (metrics services sent over
/// OTLP).
pub const EXPORTER_JOB: &str = "otel-collector-exporter";
/// The collector's telemetry endpoint in docker-compose (`service.telemetry.metrics` reader).
pub const TELEMETRY_TARGET: &str = "otel-collector:8888";
/// The collector's `prometheus` exporter in docker-compose.
pub const EXPORTER_TARGET: &str = "otel-collector:8889";

/// Spans a receiver could not push into the pipeline (memory limiter, a refusing processor).
pub const RECEIVER_REFUSED_SPANS: &str = "otelcol_receiver_refused_spans_total";
/// Log records a receiver could not push into the pipeline.
pub const RECEIVER_REFUSED_LOG_RECORDS: &str = "otelcol_receiver_refused_log_records_total";
/// Metric points a receiver could not push into the pipeline.
pub const RECEIVER_REFUSED_METRIC_POINTS: &str = "otelcol_receiver_refused_metric_points_total";
/// Spans an exporter failed to send (permanent error, or retries exhausted).
pub const EXPORTER_SEND_FAILED_SPANS: &str = "otelcol_exporter_send_failed_spans_total";
/// Log records an exporter failed to send.
pub const EXPORTER_SEND_FAILED_LOG_RECORDS: &str = "otelcol_exporter_send_failed_log_records_total";
/// Metric points an exporter failed to send.
pub const EXPORTER_SEND_FAILED_METRIC_POINTS: &str =
    "otelcol_exporter_send_failed_metric_points_total";
/// Batches waiting in an exporter's sending queue.
pub const EXPORTER_QUEUE_SIZE: &str = "otelcol_exporter_queue_size";
/// The size of an exporter's sending queue, in batches.
pub const EXPORTER_QUEUE_CAPACITY: &str = "otelcol_exporter_queue_capacity";

/// A signal as the collector's metric names spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    /// In alert names: `Spans`, `LogRecords`, `MetricPoints`.
    pub title: &'static str,
    /// In text: `spans`, `log records`, `metric points`.
    pub items: &'static str,
    /// The receiver's refused counter.
    pub refused: &'static str,
    /// The exporter's send-failed counter.
    pub send_failed: &'static str,
}

/// The three signals, traces first.
pub const SIGNALS: [Signal; 3] = [
    Signal {
        title: "Spans",
        items: "spans",
        refused: RECEIVER_REFUSED_SPANS,
        send_failed: EXPORTER_SEND_FAILED_SPANS,
    },
    Signal {
        title: "LogRecords",
        items: "log records",
        refused: RECEIVER_REFUSED_LOG_RECORDS,
        send_failed: EXPORTER_SEND_FAILED_LOG_RECORDS,
    },
    Signal {
        title: "MetricPoints",
        items: "metric points",
        refused: RECEIVER_REFUSED_METRIC_POINTS,
        send_failed: EXPORTER_SEND_FAILED_METRIC_POINTS,
    },
];

/// Every collector metric name the alert rules use.
pub const METRICS: [&str; 8] = [
    RECEIVER_REFUSED_SPANS,
    RECEIVER_REFUSED_LOG_RECORDS,
    RECEIVER_REFUSED_METRIC_POINTS,
    EXPORTER_SEND_FAILED_SPANS,
    EXPORTER_SEND_FAILED_LOG_RECORDS,
    EXPORTER_SEND_FAILED_METRIC_POINTS,
    EXPORTER_QUEUE_SIZE,
    EXPORTER_QUEUE_CAPACITY,
];
