//! The log-record pipeline init builds when `logs.otlp` is on (feature `otlp-logs`): a logger
//! provider exporting over OTLP to the traces' endpoint, and the layer that feeds it. Without
//! the feature, [`LogPipeline`] cannot be built (validation refuses `logs.otlp` first).

#[cfg(not(feature = "otlp-logs"))]
pub(super) use disabled::LogPipeline;
#[cfg(feature = "otlp-logs")]
pub(super) use enabled::LogPipeline;

#[cfg(feature = "otlp-logs")]
mod enabled {
    use std::time::Duration;

    use opentelemetry_sdk::logs::SdkLoggerProvider;

    use crate::config::TelemetryConfig;
    use crate::init::InitError;
    use crate::init::trace_pipeline::{InitThread, on_init_thread};
    use crate::logs::{OtlpLogLayer, Scrubber};

    /// The logger provider the [`OtlpLogLayer`] emits to.
    #[derive(Debug)]
    pub(in crate::init) struct LogPipeline {
        provider: SdkLoggerProvider,
    }

    impl LogPipeline {
        /// Builds the exporting provider when `logs.otlp` is on (validation made sure an
        /// endpoint is set).
        pub(in crate::init) fn build(
            config: &TelemetryConfig,
            runtime: &tokio::runtime::Handle,
        ) -> Result<Option<Self>, InitError> {
            let (true, Some(endpoint)) = (config.logs.otlp, config.traces.endpoint.clone()) else {
                return Ok(None);
            };
            let owned = config.clone();
            let provider = on_init_thread(runtime, &endpoint, move |endpoint| {
                crate::logs::otlp::build_provider(&owned, endpoint)
            })
            .map_err(|failure| match failure {
                InitThread::Spawn(e) => InitError::Runtime(e),
                InitThread::Failed(message) => InitError::LogExporter { endpoint, message },
            })?;
            Ok(Some(Self { provider }))
        }

        /// The layer turning events into records for this pipeline.
        pub(in crate::init) fn layer(&self, scrubber: Scrubber) -> OtlpLogLayer {
            OtlpLogLayer::new(&self.provider, scrubber)
        }

        /// Flushes and shuts down within `timeout`; call from a plain thread (STACK.md trap 2).
        pub(in crate::init) fn shutdown(self, timeout: Duration) -> Result<(), String> {
            crate::init::provider::shutdown(&self.provider, timeout)
        }

        /// Releases a pipeline that was never installed, from any context.
        pub(in crate::init) fn discard(self) {
            crate::init::provider::discard(self.provider);
        }
    }
}

#[cfg(not(feature = "otlp-logs"))]
mod disabled {
    use std::time::Duration;

    use crate::config::TelemetryConfig;
    use crate::init::InitError;

    /// Without the `otlp-logs` feature there is no log-record pipeline.
    #[derive(Debug)]
    pub(in crate::init) enum LogPipeline {}

    impl LogPipeline {
        pub(in crate::init) fn build(
            _config: &TelemetryConfig,
            _runtime: &tokio::runtime::Handle,
        ) -> Result<Option<Self>, InitError> {
            Ok(None)
        }

        pub(in crate::init) fn shutdown(self, _timeout: Duration) -> Result<(), String> {
            match self {}
        }

        pub(in crate::init) fn discard(self) {
            match self {}
        }
    }
}
