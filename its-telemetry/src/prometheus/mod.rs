//! The Prometheus side: the SDK's own recorder configured from the catalog
//! ([`PrometheusRecorder`]), the text format ([`render`]), the `/metrics` pull endpoint, and
//! push-gateway mode (feature `push-gateway`).
//!
//! Every catalog histogram gets its catalog buckets, every catalog metric gets its `# HELP`, and
//! the global labels `service` and `environment` go on every series.

pub(crate) mod endpoint;
pub mod exemplar;
#[cfg(feature = "push-gateway")]
pub(crate) mod push_gateway;
mod registry;
pub mod render;

pub use endpoint::{MetricsEndpoint, RENDER_SHARE_WINDOW};
pub use registry::{DEFAULT_BUCKETS, PrometheusHandle, PrometheusRecorder};

use metrics::{Recorder, SharedString, Unit};

use crate::catalog::{self, MetricKind, sdk};
use crate::config::TelemetryConfig;

/// Content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Content type of the OpenMetrics 1.0 exposition, the format that carries exemplars.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The two expositions the recorder writes. The series are the same in both; OpenMetrics adds
/// exemplars, names counter families without `_total` and ends with `# EOF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text format 0.0.4 ([`CONTENT_TYPE`]): what every scraper reads.
    Text,
    /// OpenMetrics 1.0 ([`OPENMETRICS_CONTENT_TYPE`]), with exemplars.
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` of a response in this format.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Text => CONTENT_TYPE,
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }

    /// The format a scraper asks for in its `Accept` header: OpenMetrics when it lists
    /// `application/openmetrics-text` (version 1.0.0, 0.0.1 or none) with a quality at least
    /// that of `text/plain` (Prometheus sends `application/openmetrics-text;version=1.0.0,
    /// …,text/plain;version=0.0.4;q=0.5`), text otherwise, and for a missing or malformed header.
    #[must_use]
    pub fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return Self::Text;
        };
        let mut openmetrics = 0.0_f32;
        let mut text = 0.0_f32;
        for range in accept.split(',') {
            let mut params = range.split(';').map(str::trim);
            let media = params.next().unwrap_or_default().to_ascii_lowercase();
            let mut quality = 1.0_f32;
            let mut version = None;
            for param in params {
                let Some((name, value)) = param.split_once('=') else {
                    continue;
                };
                match name.trim().to_ascii_lowercase().as_str() {
                    "q" => quality = value.trim().parse().unwrap_or(0.0),
                    "version" => version = Some(value.trim().trim_matches('"').to_owned()),
                    _ => {}
                }
            }
            let quality = if quality.is_finite() {
                quality.clamp(0.0, 1.0)
            } else {
                0.0
            };
            match media.as_str() {
                "application/openmetrics-text"
                    if matches!(version.as_deref(), None | Some("1.0.0" | "0.0.1")) =>
                {
                    openmetrics = openmetrics.max(quality);
                }
                "text/plain" | "text/*" | "*/*" => text = text.max(quality),
                _ => {}
            }
        }
        if openmetrics > 0.0 && openmetrics >= text {
            Self::OpenMetrics
        } else {
            Self::Text
        }
    }
}

/// A recorder set up from the catalog: buckets, help texts and the global labels of `config`.
/// [`crate::try_init`] installs one globally; build one yourself to render metrics in-process
/// (tests, benchmarks, a custom endpoint).
///
/// ```
/// use its_telemetry::{TelemetryConfig, prometheus};
///
/// let recorder = prometheus::build_recorder(&TelemetryConfig::default());
/// let handle = recorder.handle();
/// metrics::with_local_recorder(&recorder, || {
///     its_telemetry::camera::CameraFleet::new(10).stream("cam-1").frame_received(10);
/// });
/// let name = its_telemetry::catalog::camera::FRAMES_RECEIVED.name;
/// assert!(handle.render().contains(&format!("{name}{{")));
/// ```
#[must_use]
pub fn build_recorder(config: &TelemetryConfig) -> PrometheusRecorder {
    let recorder = PrometheusRecorder::new(
        [
            ("service", config.service_name.as_str()),
            ("environment", config.environment.as_str()),
        ],
        catalog::all()
            .filter(|m| m.kind == MetricKind::Histogram && !m.buckets.is_empty())
            .map(|m| (m.name, m.buckets)),
    );
    for metric in catalog::all() {
        let name = metrics::KeyName::from_const_str(metric.name);
        let help = SharedString::const_str(metric.help);
        let unit: Option<Unit> = None; // units are already part of every catalog name
        match metric.kind {
            MetricKind::Counter => recorder.describe_counter(name, unit, help),
            MetricKind::Gauge => recorder.describe_gauge(name, unit, help),
            MetricKind::Histogram => recorder.describe_histogram(name, unit, help),
        }
    }
    recorder
}

/// Sets `its_build_info` to 1 with the service's version and commit; needs the recorder in place.
pub(crate) fn record_build_info(config: &TelemetryConfig) {
    metrics::gauge!(
        sdk::BUILD_INFO.name,
        "version" => config.service_version.clone(),
        "git_sha" => config.git_sha.clone(),
        "sdk_version" => env!("CARGO_PKG_VERSION"),
    )
    .set(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_render_as_histograms_with_help_and_global_labels() {
        let config = TelemetryConfig::builder("svc")
            .environment("test")
            .build()
            .expect("valid");
        let recorder = build_recorder(&config);
        let handle = recorder.handle();
        let batch = &catalog::inference::BATCH_SIZE;
        metrics::with_local_recorder(&recorder, || {
            metrics::histogram!(batch.name, "model" => "yolo").record(8.0);
        });
        let text = handle.render();
        let name = batch.name;
        assert!(text.contains(&format!("# TYPE {name} histogram")), "{text}");
        assert!(
            text.contains(&format!("# HELP {name} {}", batch.help)),
            "{text}"
        );
        let bucket =
            format!(r#"{name}_bucket{{service="svc",environment="test",model="yolo",le="8"}} 1"#);
        assert!(text.contains(&bucket), "{text}");
    }

    #[test]
    fn the_accept_header_chooses_the_format() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                          version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text; version=0.0.1")),
            Format::OpenMetrics
        );
        for text in [
            None,
            Some(""),
            Some("*/*"),
            Some("text/plain;version=0.0.4"),
            Some("text/plain, application/openmetrics-text;q=0.5"),
            Some("application/openmetrics-text;version=2.0.0"),
            Some("application/openmetrics-text;q=0"),
            Some("application/openmetrics-text;q=NaN"),
            Some(";;,=,q=,application/openmetrics-text;q=abc"),
            Some("application/vnd.google.protobuf"),
        ] {
            assert_eq!(Format::negotiate(text), Format::Text, "{text:?}");
        }
    }

    #[test]
    fn openmetrics_names_counter_families_and_carries_exemplars() {
        let config = TelemetryConfig::builder("svc").build().expect("valid");
        let recorder = build_recorder(&config);
        let trace = opentelemetry::trace::TraceId::from_bytes([0xab; 16]);
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("its_test_events_total").increment(3);
            metrics::counter!("its_test_suffixless").increment(1);
            let h = metrics::histogram!("its_test_seconds");
            h.record(0.02);
            exemplar::with_trace(trace, || h.record(0.3));
        });
        metrics::with_local_recorder(&recorder, || {
            metrics::describe_counter!("its_test_events_total", "say \"hi\"");
        });
        let handle = recorder.handle();
        let om = handle.render_as(Format::OpenMetrics);
        assert!(
            om.contains("# HELP its_test_events say \\\"hi\\\"\n"),
            "{om}"
        );
        assert!(om.contains("# TYPE its_test_events counter\n"), "{om}");
        assert!(om.contains("its_test_events_total{"), "{om}");
        assert!(om.contains("# TYPE its_test_suffixless unknown\n"), "{om}");
        let exemplar = format!(" # {{trace_id=\"{}\"}} 0.3 ", "ab".repeat(16));
        let bucket = om
            .lines()
            .find(|l| l.contains(&exemplar))
            .expect("an exemplar line");
        assert!(bucket.contains("le=\"0.5\"} 2 # "), "{bucket}");
        assert_eq!(om.matches(" # {").count(), 1, "{om}");
        assert!(om.ends_with("# EOF\n"), "{om}");

        let text = handle.render();
        assert!(!text.contains("trace_id"), "{text}");
        assert!(
            text.contains("# TYPE its_test_events_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("# HELP its_test_events_total say \"hi\"\n"),
            "{text}"
        );
        assert!(!text.contains("EOF"), "{text}");
    }
}
