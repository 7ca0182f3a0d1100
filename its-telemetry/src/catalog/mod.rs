//! The metric catalog: the one place where metric names live.
//!
//! Every series the SDK emits is described here once — name, kind, unit, help text, label keys
//! and, for histograms, bucket boundaries. Recorders, the Prometheus exporter set-up, the
//! generated `docs/METRICS.md` and (later) dashboards and alert rules all read these
//! descriptors, so nothing downstream can refer to a metric the SDK does not emit.
//!
//! ```
//! use its_telemetry::catalog::{self, MetricKind};
//!
//! let histograms = catalog::all().filter(|m| m.kind == MetricKind::Histogram).count();
//! assert!(histograms > 0);
//! assert!(catalog::find("its_camera_frames_received_total").is_some());
//! ```

pub mod buckets;
pub mod business;
pub mod camera;
pub mod gpu;
pub mod http;
pub mod inference;
mod markdown;
pub mod sdk;
pub mod sla;

pub use markdown::render_markdown;

/// The Prometheus type a metric is exposed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// Monotonic count; the name ends in `_total`.
    Counter,
    /// A value that goes up and down, or a 0/1 state, or an `_info` metadata series.
    Gauge,
    /// Bucketed distribution, always exported as a Prometheus histogram (never a summary).
    Histogram,
}

impl MetricKind {
    /// The lowercase Prometheus type name (`counter`, `gauge`, `histogram`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// The unit of a metric's value, always a base unit (Prometheus convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Seconds (durations, and timestamps as seconds since the Unix epoch).
    Seconds,
    /// Bytes.
    Bytes,
    /// A fraction between 0 and 1.
    Ratio,
    /// Degrees Celsius.
    Celsius,
    /// Watts.
    Watts,
    /// Joules.
    Joules,
    /// Hertz.
    Hertz,
    /// Metres per second.
    MetersPerSecond,
    /// US dollars.
    Dollars,
    /// A plain count of things (events, frames, requests); no suffix besides `_total`.
    Count,
    /// A score without a physical unit (for example PSI drift), or a 0/1 state.
    Dimensionless,
    /// Metadata carried in labels; the value is always 1.
    Info,
}

impl Unit {
    /// The unit as written in `docs/METRICS.md`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Seconds => "seconds",
            Self::Bytes => "bytes",
            Self::Ratio => "ratio",
            Self::Celsius => "celsius",
            Self::Watts => "watts",
            Self::Joules => "joules",
            Self::Hertz => "hertz",
            Self::MetersPerSecond => "meters_per_second",
            Self::Dollars => "dollars",
            Self::Count => "count",
            Self::Dimensionless => "dimensionless",
            Self::Info => "info",
        }
    }
}

/// Which part of an ITS service a metric belongs to; used to group documentation and
/// generated dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// Camera streams: ingest, decode, connectivity.
    Camera,
    /// Batched model inference, detections, drift and accuracy.
    Inference,
    /// GPU devices read through NVML.
    Gpu,
    /// Traffic analytics and cost.
    Business,
    /// Service level objectives.
    Sla,
    /// HTTP server and client (OpenTelemetry semantic conventions).
    Http,
    /// The SDK's own health.
    Sdk,
}

impl Domain {
    /// Every domain, in documentation order.
    pub const ALL: [Domain; 7] = [
        Self::Camera,
        Self::Inference,
        Self::Gpu,
        Self::Business,
        Self::Sla,
        Self::Http,
        Self::Sdk,
    ];

    /// A human title for the domain.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Camera => "Camera streams",
            Self::Inference => "Inference",
            Self::Gpu => "GPU",
            Self::Business => "Traffic analytics and cost",
            Self::Sla => "Service level objectives",
            Self::Http => "HTTP",
            Self::Sdk => "SDK health",
        }
    }

    /// The descriptors of this domain.
    #[must_use]
    pub const fn metrics(self) -> &'static [MetricDescriptor] {
        match self {
            Self::Camera => camera::ALL,
            Self::Inference => inference::ALL,
            Self::Gpu => gpu::ALL,
            Self::Business => business::ALL,
            Self::Sla => sla::ALL,
            Self::Http => http::ALL,
            Self::Sdk => sdk::ALL,
        }
    }
}

/// Everything known about one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDescriptor {
    /// The full Prometheus name, including unit and `_total` suffixes.
    pub name: &'static str,
    /// The Prometheus type.
    pub kind: MetricKind,
    /// The unit of the value.
    pub unit: Unit,
    /// One sentence for `# HELP`.
    pub help: &'static str,
    /// Label keys the SDK attaches (global labels `service` and `environment` come on top).
    pub labels: &'static [&'static str],
    /// Histogram bucket upper bounds; empty for counters and gauges.
    pub buckets: &'static [f64],
    /// Which part of the service it describes.
    pub domain: Domain,
}

impl MetricDescriptor {
    /// A counter (name must end in `_total`).
    #[must_use]
    pub const fn counter(
        domain: Domain,
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            kind: MetricKind::Counter,
            unit: Unit::Count,
            help,
            labels,
            buckets: &[],
            domain,
        }
    }

    /// A gauge.
    #[must_use]
    pub const fn gauge(
        domain: Domain,
        name: &'static str,
        unit: Unit,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            kind: MetricKind::Gauge,
            unit,
            help,
            labels,
            buckets: &[],
            domain,
        }
    }

    /// A histogram with its bucket upper bounds.
    #[must_use]
    pub const fn histogram(
        domain: Domain,
        name: &'static str,
        unit: Unit,
        help: &'static str,
        labels: &'static [&'static str],
        buckets: &'static [f64],
    ) -> Self {
        Self {
            name,
            kind: MetricKind::Histogram,
            unit,
            help,
            labels,
            buckets,
            domain,
        }
    }

    /// Sets the unit of a counter whose total is not a plain count (bytes, joules, seconds).
    #[must_use]
    pub const fn with_unit(mut self, unit: Unit) -> Self {
        self.unit = unit;
        self
    }
}

/// Every metric the SDK can emit, domain by domain.
pub fn all() -> impl Iterator<Item = &'static MetricDescriptor> {
    Domain::ALL.into_iter().flat_map(|d| d.metrics().iter())
}

/// Looks a metric up by its full Prometheus name.
#[must_use]
pub fn find(name: &str) -> Option<&'static MetricDescriptor> {
    all().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique() {
        let mut seen = HashSet::new();
        for m in all() {
            assert!(seen.insert(m.name), "{} is in the catalog twice", m.name);
        }
    }

    #[test]
    fn names_follow_prometheus_conventions() {
        for m in all() {
            let prefix_ok = match m.domain {
                Domain::Http => m.name.starts_with("http_"),
                _ => m.name.starts_with("its_"),
            };
            assert!(prefix_ok, "{}: wrong prefix for {:?}", m.name, m.domain);
            assert!(
                m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{} is not snake_case",
                m.name
            );
            assert_eq!(
                m.kind == MetricKind::Counter,
                m.name.ends_with("_total"),
                "{}: only counters end in _total",
                m.name
            );
            let unit_suffix = match m.unit {
                Unit::Seconds => Some("_seconds"),
                Unit::Bytes => Some("_bytes"),
                Unit::Ratio => Some("_ratio"),
                Unit::Celsius => Some("_celsius"),
                Unit::Watts => Some("_watts"),
                Unit::Joules => Some("_joules"),
                Unit::Hertz => Some("_hertz"),
                Unit::MetersPerSecond => Some("_meters_per_second"),
                Unit::Dollars => Some("_dollars"),
                Unit::Info => Some("_info"),
                Unit::Count | Unit::Dimensionless => None,
            };
            if let Some(suffix) = unit_suffix {
                let stem = m.name.trim_end_matches("_total");
                assert!(stem.ends_with(suffix), "{} should end in {suffix}", m.name);
            }
            assert!(
                !m.help.is_empty() && m.help.ends_with('.'),
                "{}: help",
                m.name
            );
        }
    }

    #[test]
    fn histograms_have_sorted_buckets_and_others_none() {
        for m in all() {
            if m.kind == MetricKind::Histogram {
                assert!(!m.buckets.is_empty(), "{} has no buckets", m.name);
                assert!(
                    m.buckets.windows(2).all(|w| w[0] < w[1]),
                    "{} buckets not strictly increasing",
                    m.name
                );
            } else {
                assert!(m.buckets.is_empty(), "{} is not a histogram", m.name);
            }
        }
    }

    #[test]
    fn label_keys_are_valid_and_never_high_cardinality() {
        const FORBIDDEN: [&str; 5] = ["plate", "track_id", "request_id", "path", "url"];
        for m in all() {
            for l in m.labels {
                assert!(!l.starts_with("__"), "{}: reserved label {l}", m.name);
                assert!(!FORBIDDEN.contains(l), "{}: label {l} is unbounded", m.name);
                assert!(
                    l.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{}: label {l}",
                    m.name
                );
            }
            if m.domain == Domain::Inference && m.kind == MetricKind::Histogram {
                assert!(!m.labels.contains(&"camera_id"), "{}: camera_id", m.name);
            }
        }
    }
}
