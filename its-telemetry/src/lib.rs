#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod business;
pub mod camera;
pub mod cardinality;
pub mod catalog;
mod clock;
pub mod config;
mod config_env;
mod deferred_recorder;
#[cfg(feature = "traces")]
mod export_budget;
pub mod gpu;
pub mod http;
pub mod inference;
mod init;
pub mod logs;
#[cfg(feature = "traces")]
mod otlp_export;
pub mod privacy;
pub mod prometheus;
pub mod sla;
#[cfg(test)]
mod test_support;
pub mod trace_link;
#[cfg(feature = "traces")]
mod traces;

/// Instruments a model call as one inference batch: queue-to-result duration, outcome,
/// batch size, frames, pending requests, and a span `infer {model}` that is a child of the
/// caller's span.
///
/// Arguments: `model = "…"` (required), `version = "…"`, `batch = <expression over the
/// arguments>` (default 1), `links = <expression over the arguments>` (an iterator of
/// [`&TraceLink`](TraceLink): the requests whose frames the batch carries, recorded as span
/// links; see [`trace_link`]), and, as in `tracing::instrument`, `skip(arg, …)`, `skip_all` and
/// `fields(key = value, …)`; arguments not skipped are recorded on the span with `Debug`.
///
/// A function returning `Result` (`Result`, `io::Result`, `anyhow::Result`, …) ends the batch
/// as `error` on `Err`, labelled by [`inference::ErrorReason`] when the error implements it and
/// by the error's type name otherwise — never by its message. A future dropped mid-call is
/// recorded as `cancelled`, a panic as `panic`.
///
/// ```
/// use its_telemetry::instrument_inference;
///
/// struct Detector;
/// #[derive(Debug)]
/// struct Frame;
///
/// impl Detector {
///     #[instrument_inference(model = "yolov8n", version = "2024.1", batch = frames.len(), skip(frames))]
///     fn detect(&self, frames: &[Frame]) -> Result<Vec<&'static str>, std::io::Error> {
///         Ok(frames.iter().map(|_| "car").collect())
///     }
/// }
///
/// let cars = Detector.detect(&[Frame, Frame]).expect("detections");
/// assert_eq!(cars.len(), 2);
/// ```
pub use its_telemetry_macros::instrument_inference;

/// Support for the code `#[instrument_inference]` expands to; not a public API.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// The Cargo features this build of the crate was compiled with (see "Feature flags" in the
/// crate docs): log it at start-up, or check it in tests that depend on one.
pub const FEATURES: &[&str] = &[
    #[cfg(feature = "traces")]
    "traces",
    #[cfg(feature = "otlp-grpc")]
    "otlp-grpc",
    #[cfg(feature = "otlp-http")]
    "otlp-http",
    #[cfg(feature = "otlp-logs")]
    "otlp-logs",
    #[cfg(feature = "tls")]
    "tls",
    #[cfg(feature = "tls-http")]
    "tls-http",
    #[cfg(feature = "push-gateway")]
    "push-gateway",
    #[cfg(feature = "toml")]
    "toml",
    #[cfg(feature = "yaml")]
    "yaml",
    #[cfg(feature = "nvml")]
    "nvml",
    #[cfg(feature = "axum")]
    "axum",
];

pub use config::{ConfigError, TelemetryConfig, TelemetryConfigBuilder};
pub use config_env::VARIABLES as ENVIRONMENT_VARIABLES;
pub use init::{
    InitError, ShutdownError, Telemetry, TelemetryGuard, init, try_init, try_init_with_log_writer,
};
pub use trace_link::TraceLink;
