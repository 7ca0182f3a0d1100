//! One call sets up metrics, traces and logs: [`try_init`] (or [`init`]) returns a
//! [`TelemetryGuard`] that flushes and shuts everything down, within a bounded time, when it is
//! dropped.
//!
//! Background work (the `/metrics` endpoint, upkeep, push, the gRPC exporter's connection)
//! runs on a small runtime of the SDK's own, so the service's runtime — multi-thread,
//! current-thread, or none — never has to drive telemetry, and shutting telemetry down can never
//! deadlock it (STACK.md traps 2–3).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::config::{ConfigError, TelemetryConfig};
use crate::logs::{LogLayer, Scrubber};
use crate::{cardinality, prometheus, traces};

/// Set once the first `try_init` got past its checks; a second call is an error.
static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// Dependency targets kept at `warn` unless the filter names them: their debug output is
/// mostly the exporter's own traffic.
const QUIET_TARGETS: &[(&str, &str)] = &[
    ("h2", "warn"),
    ("hyper", "warn"),
    ("tonic", "warn"),
    ("tower", "warn"),
    ("reqwest", "warn"),
    // The OTel SDK's internal logs repeat every failed export; the SDK reports once instead.
    ("opentelemetry", "off"),
];

/// Why telemetry could not be set up. The service can log it and carry on without telemetry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `try_init` was already called in this process.
    #[error(
        "its-telemetry is already initialized: call try_init once per process and keep the guard"
    )]
    AlreadyInitialized,
    /// The metrics endpoint's address could not be bound (port in use, no permission).
    #[error(
        "cannot serve metrics on {addr}: {source}; choose a free address with \
         ITS_TELEMETRY_METRICS_LISTEN (or `off`)"
    )]
    MetricsListen {
        /// The configured address.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Another metrics recorder is already installed globally.
    #[error("a global `metrics` recorder is already installed; its-telemetry must install its own")]
    MetricsRecorderInstalled,
    /// Another tracing subscriber is already installed globally.
    #[error(
        "a global tracing subscriber is already installed; remove it (its-telemetry installs \
         the log and trace layers itself)"
    )]
    SubscriberInstalled,
    /// The OTLP exporter could not be built.
    #[error("cannot build the OTLP trace exporter for {endpoint}: {message}")]
    TraceExporter {
        /// The configured endpoint.
        endpoint: String,
        /// The exporter's message.
        message: String,
    },
    /// The SDK's background runtime or threads could not be started.
    #[error("cannot start the telemetry background runtime: {0}")]
    Runtime(std::io::Error),
}

/// Telemetry did not shut down cleanly; nothing is lost for the service, some spans may be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// Flushing or shutting down the trace pipeline failed.
    #[error("trace pipeline shutdown failed: {0}")]
    Traces(String),
    /// Shutdown did not finish within the configured bound; it goes on in the background.
    #[error("telemetry shutdown did not finish within {0:?}")]
    TimedOut(Duration),
}

/// Sets up metrics, traces and logs as configured.
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
/// [`InitError`]: invalid configuration, a second call, the metrics port in use, or a
/// subscriber or recorder already installed by someone else.
pub fn try_init(config: TelemetryConfig) -> Result<TelemetryGuard, InitError> {
    try_init_with_log_writer(config, std::io::stdout)
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
    config.validate()?;
    if INITIALIZED.swap(true, Ordering::SeqCst) {
        return Err(InitError::AlreadyInitialized);
    }
    let prepared = match Prepared::new(&config) {
        Ok(p) => p,
        Err(e) => {
            // Nothing global was touched: a corrected config may try again.
            INITIALIZED.store(false, Ordering::SeqCst);
            return Err(e);
        }
    };
    prepared.install(&config, writer)
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

/// Everything built before touching process-wide state, so a failure leaves nothing behind.
struct Prepared {
    runtime: Option<tokio::runtime::Runtime>,
    recorder: Option<metrics_exporter_prometheus::PrometheusRecorder>,
    listener: Option<std::net::TcpListener>,
    tracer_provider: Option<SdkTracerProvider>,
    filter: EnvFilter,
    scrubber: Scrubber,
}

impl Prepared {
    fn new(config: &TelemetryConfig) -> Result<Self, InitError> {
        let scrubber = Scrubber::new(&config.logs.scrub).map_err(ConfigError::from)?;
        let filter = build_filter(&config.logs.filter)?;
        if config.disabled {
            return Ok(Self {
                runtime: None,
                recorder: None,
                listener: None,
                tracer_provider: None,
                filter,
                scrubber,
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("its-telemetry")
            .enable_all()
            .build()
            .map_err(InitError::Runtime)?;
        let (recorder, listener) = if config.metrics.enabled {
            let listener = config
                .metrics
                .listen
                .map(|addr| {
                    prometheus::bind(addr)
                        .map_err(|source| InitError::MetricsListen { addr, source })
                })
                .transpose()?;
            (Some(prometheus::build_recorder(config)), listener)
        } else {
            (None, None)
        };
        let tracer_provider = Some(build_tracer_provider(config, runtime.handle())?);
        Ok(Self {
            runtime: Some(runtime),
            recorder,
            listener,
            tracer_provider,
            filter,
            scrubber,
        })
    }

    fn install<W>(self, config: &TelemetryConfig, writer: W) -> Result<TelemetryGuard, InitError>
    where
        W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
    {
        let tracer = self
            .tracer_provider
            .as_ref()
            .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("its-telemetry")));
        let log_layer = config.logs.enabled.then(|| {
            LogLayer::new(
                config.logs.format,
                config.service_name.clone(),
                self.scrubber.clone(),
            )
            .with_writer(writer)
        });
        let subscriber = tracing_subscriber::registry()
            .with(self.filter)
            .with(tracer)
            .with(log_layer);
        tracing::subscriber::set_global_default(subscriber)
            .map_err(|_| InitError::SubscriberInstalled)?;

        cardinality::install(&config.cardinality);
        let handle = match self.recorder {
            Some(recorder) => {
                let handle = recorder.handle();
                metrics::set_global_recorder(recorder)
                    .map_err(|_| InitError::MetricsRecorderInstalled)?;
                prometheus::record_build_info(config);
                Some(handle)
            }
            None => None,
        };

        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        if let Some(provider) = &self.tracer_provider {
            opentelemetry::global::set_tracer_provider(provider.clone());
        }

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut metrics_addr = None;
        let mut pusher = None;
        if let (Some(runtime), Some(handle)) = (&self.runtime, &handle) {
            let _entered = runtime.enter();
            runtime.spawn(prometheus::upkeep(handle.clone(), shutdown_rx.clone()));
            if let Some(listener) = self.listener {
                metrics_addr = listener.local_addr().ok();
                let listener =
                    tokio::net::TcpListener::from_std(listener).map_err(InitError::Runtime)?;
                runtime.spawn(prometheus::serve(
                    listener,
                    config.metrics.path.clone(),
                    handle.clone(),
                    shutdown_rx.clone(),
                ));
            }
            if let Some(push) = &config.metrics.push_gateway {
                let p = prometheus::Pusher::new(push, &config.service_name, handle.clone());
                runtime.spawn(
                    p.clone()
                        .run(Duration::from_secs(push.interval_secs), shutdown_rx.clone()),
                );
                pusher = Some(p);
            }
        }
        tracing::debug!(
            metrics = ?metrics_addr,
            traces = ?config.traces.endpoint,
            "its-telemetry initialized"
        );
        Ok(TelemetryGuard {
            metrics_addr,
            handle,
            background: self.runtime.map(|runtime| Background {
                runtime,
                shutdown_tx,
                tracer_provider: self.tracer_provider,
                pusher,
            }),
            timeout: config.shutdown_timeout(),
        })
    }
}

/// The configured filter plus quiet defaults for chatty dependencies the filter does not name.
fn build_filter(directives: &str) -> Result<EnvFilter, ConfigError> {
    let mut text = directives.to_owned();
    for (target, level) in QUIET_TARGETS {
        if !directives.contains(target) {
            text.push_str(&format!(",{target}={level}"));
        }
    }
    EnvFilter::try_new(&text).map_err(|e| ConfigError::Invalid {
        field: "logs.filter".into(),
        value: directives.to_owned(),
        reason: e.to_string(),
    })
}

/// Builds the provider on a plain thread inside the SDK runtime's context: the tonic exporter
/// needs that context, and the blocking HTTP client must not be created inside an async one.
fn build_tracer_provider(
    config: &TelemetryConfig,
    runtime: &tokio::runtime::Handle,
) -> Result<SdkTracerProvider, InitError> {
    let Some(endpoint) = config.traces.endpoint.clone() else {
        // No exporter; spans still get ids, so logs carry trace ids and context propagates.
        return Ok(SdkTracerProvider::builder()
            .with_sampler(traces::sampler(
                config.traces.sampler,
                config.traces.sampler_ratio,
            ))
            .build());
    };
    let config = config.clone();
    let runtime = runtime.clone();
    std::thread::Builder::new()
        .name("its-telemetry-init".into())
        .spawn(move || {
            let _entered = runtime.enter();
            traces::build_provider(&config, &endpoint).map_err(|e| InitError::TraceExporter {
                endpoint: endpoint.clone(),
                message: e.to_string(),
            })
        })
        .map_err(InitError::Runtime)?
        .join()
        .unwrap_or_else(|_| {
            Err(InitError::TraceExporter {
                endpoint: String::new(),
                message: "exporter construction panicked".into(),
            })
        })
}

/// Keeps telemetry running; dropping it flushes spans, pushes metrics a last time and stops the
/// background work, waiting at most the configured shutdown timeout.
#[must_use = "telemetry shuts down when the guard is dropped"]
#[derive(Debug)]
pub struct TelemetryGuard {
    metrics_addr: Option<SocketAddr>,
    handle: Option<PrometheusHandle>,
    background: Option<Background>,
    timeout: Duration,
}

#[derive(Debug)]
struct Background {
    runtime: tokio::runtime::Runtime,
    shutdown_tx: watch::Sender<bool>,
    tracer_provider: Option<SdkTracerProvider>,
    pusher: Option<prometheus::Pusher>,
}

impl TelemetryGuard {
    /// The address the `/metrics` endpoint is bound to (useful with port 0), if one is served.
    #[must_use]
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Renders the current exposition in-process (what `/metrics` would return).
    #[must_use]
    pub fn render_metrics(&self) -> Option<String> {
        self.handle.as_ref().map(PrometheusHandle::render)
    }

    /// A handle that renders the exposition, for serving `/metrics` from the service's own
    /// router as well; `None` when metrics are disabled.
    #[must_use]
    pub fn prometheus_handle(&self) -> Option<PrometheusHandle> {
        self.handle.clone()
    }

    /// Flushes and shuts down now, reporting what went wrong; dropping the guard does the same
    /// and logs the error instead.
    ///
    /// # Errors
    /// [`ShutdownError`] when spans could not be flushed or the bound was exceeded.
    pub fn shutdown(mut self) -> Result<(), ShutdownError> {
        self.shutdown_now()
    }

    fn shutdown_now(&mut self) -> Result<(), ShutdownError> {
        let Some(background) = self.background.take() else {
            return Ok(());
        };
        let timeout = self.timeout;
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        // A plain thread: works from inside any runtime, and dropping the SDK runtime there is
        // allowed (it is not inside an async context).
        let spawned = std::thread::Builder::new()
            .name("its-telemetry-shutdown".into())
            .spawn(move || {
                let Background {
                    runtime,
                    shutdown_tx,
                    tracer_provider,
                    pusher,
                } = background;
                let mut result = Ok(());
                if let Some(provider) = tracer_provider {
                    let _ = provider.force_flush();
                    if let Err(e) = provider.shutdown_with_timeout(timeout) {
                        result = Err(ShutdownError::Traces(e.to_string()));
                    }
                }
                if let Some(pusher) = pusher {
                    // The timer must be created inside the runtime, hence the async block.
                    runtime.block_on(async {
                        let _ = tokio::time::timeout(timeout, pusher.push()).await;
                    });
                }
                let _ = shutdown_tx.send(true);
                runtime.shutdown_timeout(Duration::from_millis(250));
                let _ = done_tx.send(result);
            });
        if spawned.is_err() {
            return Err(ShutdownError::Traces(
                "cannot start the shutdown thread".into(),
            ));
        }
        // Margin for the runtime's own stop after the trace pipeline's bound.
        match done_rx.recv_timeout(timeout + Duration::from_millis(500)) {
            Ok(result) => result,
            Err(_) => Err(ShutdownError::TimedOut(timeout)),
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown_now() {
            tracing::warn!(%error, "telemetry shutdown incomplete");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_targets_are_added_unless_named() {
        let f = build_filter("info,h2=debug").expect("valid").to_string();
        assert!(f.contains("h2=debug") && !f.contains("h2=warn"), "{f}");
        assert!(f.contains("opentelemetry=off"), "{f}");
    }
}
