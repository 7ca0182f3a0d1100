//! Setting telemetry up: the one-liner [`try_init`] (or [`init`]), and the builder path —
//! [`Telemetry::build`] makes every piece without touching process-wide state, then
//! [`Telemetry::install`] installs them all, or the application takes the tracing layers for its
//! own subscriber and calls [`Telemetry::install_without_subscriber`].
//!
//! Background work (the `/metrics` endpoint, push, the gRPC exporter's connection)
//! runs on a small runtime of the SDK's own, so the service's runtime — multi-thread,
//! current-thread, or none — never has to drive telemetry, and shutting telemetry down can never
//! deadlock it (STACK.md traps 2–3). Every failure is an [`InitError`] from inside any runtime,
//! and leaves nothing installed, so a corrected configuration can try again.

mod background;
mod guard;
mod log_pipeline;
#[cfg(feature = "traces")]
mod provider;
mod telemetry;
mod trace_pipeline;

use std::net::SocketAddr;

pub use guard::{ShutdownError, TelemetryGuard};
pub use telemetry::Telemetry;

use crate::config::{ConfigError, TelemetryConfig};

/// Why telemetry could not be set up. The service can log it and carry on without telemetry;
/// nothing was installed, so a corrected configuration may try again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The configuration is invalid, or asks for a feature this build does not contain.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Telemetry was already installed in this process.
    #[error(
        "its-telemetry is already initialized: call try_init once per process and keep the guard"
    )]
    AlreadyInitialized,
    /// The metrics endpoint's address could not be bound (port in use, no permission).
    #[error(
        "cannot serve metrics on {addr} (metrics.listen): {source}; choose a free address with \
         ITS_TELEMETRY_METRICS_LISTEN (or `off`)"
    )]
    MetricsListen {
        /// The configured address.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Another metrics recorder was installed globally before any its-telemetry handle was made.
    #[error(
        "a global `metrics` recorder is already installed; its-telemetry must install its own \
         (or turn metrics off with metrics.enabled = false)"
    )]
    MetricsRecorderInstalled,
    /// Another tracing subscriber is already installed globally.
    #[error(
        "a global tracing subscriber is already installed: either let its-telemetry install it \
         (remove yours), or add Telemetry::otel_layer() (and log_layer()) to yours and call \
         Telemetry::install_without_subscriber, or turn its logs off with without_logs()"
    )]
    SubscriberInstalled,
    /// The OTLP exporter could not be built, or its host does not resolve.
    #[error("cannot build the OTLP trace exporter for {endpoint} (traces.endpoint): {message}")]
    TraceExporter {
        /// The configured endpoint.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The OTLP log exporter (`logs.otlp`) could not be built, or its host does not resolve.
    #[error("cannot build the OTLP log exporter for {endpoint} (logs.otlp): {message}")]
    LogExporter {
        /// The configured endpoint.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The SDK's background runtime or threads could not be started.
    #[error("cannot start the telemetry background runtime: {0}")]
    Runtime(std::io::Error),
}

/// Sets up metrics, traces and logs as configured: [`Telemetry::build`] then
/// [`Telemetry::install`].
///
/// ```no_run
/// use its_telemetry::{TelemetryConfig, try_init};
///
/// let config = TelemetryConfig::from_env()?;
/// let _telemetry = try_init(config)?; // keep it alive until the service exits
/// tracing::info!("service started");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`InitError`]: invalid configuration, a second call, the metrics port in use, an exporter
/// that cannot be built, or a subscriber or recorder already installed by someone else.
/// Nothing is installed when it fails.
pub fn try_init(config: TelemetryConfig) -> Result<TelemetryGuard, InitError> {
    Telemetry::build(config)?.install()
}

/// Like [`try_init`], writing log lines to `writer` instead of standard output (standard error,
/// a file, or a buffer in tests).
///
/// # Errors
/// As [`try_init`].
pub fn try_init_with_log_writer<W>(
    config: TelemetryConfig,
    writer: W,
) -> Result<TelemetryGuard, InitError>
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    Telemetry::build(config)?.install_with_log_writer(writer)
}

/// Like [`try_init`], for `main` functions that cannot go on without telemetry.
///
/// # Panics
/// With the [`InitError`]'s message when [`try_init`] fails.
#[must_use = "telemetry shuts down when the guard is dropped"]
pub fn init(config: TelemetryConfig) -> TelemetryGuard {
    match try_init(config) {
        Ok(guard) => guard,
        Err(e) => panic!("its-telemetry: {e}"),
    }
}
