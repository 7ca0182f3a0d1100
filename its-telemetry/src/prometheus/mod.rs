//! The Prometheus side: the SDK's own recorder configured from the catalog
//! ([`PrometheusRecorder`]), the text format ([`render`]), the `/metrics` pull endpoint, and
//! push-gateway mode (feature `push-gateway`).
//!
//! Every catalog histogram gets its catalog buckets, every catalog metric gets its `# HELP`, and
//! the global labels `service` and `environment` go on every series.

pub(crate) mod endpoint;
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
}
