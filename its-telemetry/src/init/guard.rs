//! [`TelemetryGuard`]: keeps telemetry running and shuts it down, within a bound, when dropped.

use std::net::SocketAddr;
use std::time::Duration;

use crate::prometheus::PrometheusHandle;
use tokio::sync::watch;

use super::background::BackgroundRuntime;
use super::log_pipeline::LogPipeline;
use super::trace_pipeline::TracePipeline;
#[cfg(feature = "push-gateway")]
use crate::prometheus::push_gateway;

/// Telemetry did not shut down cleanly; nothing is lost for the service, some spans may be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// Flushing or shutting down the trace pipeline failed.
    #[error("trace pipeline shutdown failed: {0}")]
    Traces(String),
    /// Flushing or shutting down the OTLP log pipeline failed.
    #[error("log pipeline shutdown failed: {0}")]
    Logs(String),
    /// Shutdown did not finish within the configured bound; it goes on in the background.
    #[error("telemetry shutdown did not finish within {0:?}")]
    TimedOut(Duration),
}

/// Keeps telemetry running; dropping it flushes spans, pushes metrics a last time and stops the
/// background work, waiting at most the configured shutdown timeout.
#[must_use = "telemetry shuts down when the guard is dropped"]
#[derive(Debug)]
pub struct TelemetryGuard {
    pub(super) metrics_addr: Option<SocketAddr>,
    pub(super) handle: Option<PrometheusHandle>,
    pub(super) background: Option<Background>,
    pub(super) timeout: Duration,
}

/// What runs in the background and how to stop it.
#[derive(Debug)]
pub(super) struct Background {
    pub(super) runtime: BackgroundRuntime,
    pub(super) shutdown_tx: watch::Sender<bool>,
    pub(super) traces: Option<TracePipeline>,
    pub(super) logs: Option<LogPipeline>,
    #[cfg(feature = "push-gateway")]
    pub(super) pusher: Option<push_gateway::Pusher>,
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
                    traces,
                    logs,
                    #[cfg(feature = "push-gateway")]
                    pusher,
                } = background;
                let started = std::time::Instant::now();
                let mut result = Ok(());
                if let Some(traces) = traces {
                    if let Err(e) = traces.shutdown(timeout) {
                        result = Err(ShutdownError::Traces(e));
                    }
                }
                if let Some(logs) = logs {
                    // What the span pipeline left of the bound (a little at least, to flush).
                    let left = timeout
                        .saturating_sub(started.elapsed())
                        .max(Duration::from_millis(100));
                    if let Err(e) = logs.shutdown(left) {
                        result = result.and(Err(ShutdownError::Logs(e)));
                    }
                }
                #[cfg(feature = "push-gateway")]
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
