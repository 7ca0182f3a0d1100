//! The span pipeline init builds (feature `traces`): the tracer provider with its sampler and,
//! when an endpoint is configured, the OTLP exporter. Without the feature, [`TracePipeline`]
//! cannot be built and nothing records spans.

#[cfg(not(feature = "traces"))]
pub(super) use disabled::TracePipeline;
#[cfg(feature = "traces")]
pub(super) use enabled::TracePipeline;
#[cfg(feature = "otlp-logs")]
pub(super) use enabled::{InitThread, on_init_thread};

#[cfg(feature = "traces")]
mod enabled {
    use std::time::Duration;

    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

    use crate::config::TelemetryConfig;
    use crate::init::InitError;
    use crate::traces;

    /// The tracer provider and the tracer the `tracing` bridge writes to.
    #[derive(Debug)]
    pub(in crate::init) struct TracePipeline {
        provider: SdkTracerProvider,
        tracer: SdkTracer,
    }

    impl TracePipeline {
        /// Builds the provider on a plain thread inside the SDK runtime's context: the tonic
        /// exporter needs that context, and the blocking HTTP client must not be created inside
        /// an async one.
        pub(in crate::init) fn build(
            config: &TelemetryConfig,
            runtime: &tokio::runtime::Handle,
        ) -> Result<Option<Self>, InitError> {
            let provider = match config.traces.endpoint.clone() {
                // No exporter; spans still get ids, so logs carry trace ids and context
                // propagates.
                None => SdkTracerProvider::builder()
                    .with_sampler(traces::sampler(
                        config.traces.sampler,
                        config.traces.sampler_ratio,
                    ))
                    .build(),
                Some(endpoint) => build_exporting(config, runtime, endpoint)?,
            };
            Ok(Some(Self {
                tracer: provider.tracer("its-telemetry"),
                provider,
            }))
        }

        pub(in crate::init) fn tracer(&self) -> &SdkTracer {
            &self.tracer
        }

        /// Makes the provider the global one (`opentelemetry::global`).
        pub(in crate::init) fn install_global(&self) {
            opentelemetry::global::set_tracer_provider(self.provider.clone());
            // The HTTP layers bound after this use the SDK's tracer directly (no boxed spans).
            crate::http::set_tracer_provider(&self.provider);
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

    fn build_exporting(
        config: &TelemetryConfig,
        runtime: &tokio::runtime::Handle,
        endpoint: String,
    ) -> Result<SdkTracerProvider, InitError> {
        let config = config.clone();
        on_init_thread(runtime, &endpoint, move |endpoint| {
            traces::build_provider(&config, endpoint)
        })
        .map_err(|failure| match failure {
            InitThread::Spawn(e) => InitError::Runtime(e),
            InitThread::Failed(message) => InitError::TraceExporter { endpoint, message },
        })
    }

    /// Why [`on_init_thread`] failed.
    pub(in crate::init) enum InitThread {
        /// The thread could not be started.
        Spawn(std::io::Error),
        /// What the build reported (or that it panicked).
        Failed(String),
    }

    /// Resolves `endpoint`'s host, then runs `build` on a plain thread inside the SDK
    /// runtime's context: the tonic exporter needs that context, and the blocking HTTP client
    /// must not be created inside an async one. Shared by every signal's exporter.
    pub(in crate::init) fn on_init_thread<T: Send + 'static>(
        runtime: &tokio::runtime::Handle,
        endpoint: &str,
        build: impl FnOnce(&str) -> Result<T, String> + Send + 'static,
    ) -> Result<T, InitThread> {
        let runtime = runtime.clone();
        let endpoint = endpoint.to_owned();
        std::thread::Builder::new()
            .name("its-telemetry-init".into())
            .spawn(move || {
                resolve_host(&endpoint)?;
                let _entered = runtime.enter();
                build(&endpoint)
            })
            .map_err(InitThread::Spawn)?
            .join()
            .unwrap_or_else(|_| Err("exporter construction panicked".to_owned()))
            .map_err(InitThread::Failed)
    }

    /// Resolves the endpoint's host now, so a typo is an error at init rather than a stream of
    /// failed exports later.
    pub(in crate::init) fn resolve_host(endpoint: &str) -> Result<(), String> {
        use std::net::ToSocketAddrs as _;
        let uri: http::Uri = endpoint.parse().map_err(|e| format!("not a URL: {e}"))?;
        let host = uri.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        match (host, port).to_socket_addrs() {
            Ok(addrs) if addrs.len() > 0 => Ok(()),
            Ok(_) => Err(format!("host `{host}` has no address")),
            Err(e) => Err(format!("cannot resolve host `{host}`: {e}")),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn unresolvable_hosts_are_named() {
            let err = resolve_host("http://collector.invalid:4317").expect_err("reserved TLD");
            assert!(err.contains("collector.invalid"), "{err}");
            resolve_host("http://127.0.0.1:4317").expect("an address");
            resolve_host("http://[::1]:4317").expect("an IPv6 literal");
        }
    }
}

#[cfg(not(feature = "traces"))]
mod disabled {
    use std::time::Duration;

    use crate::config::TelemetryConfig;
    use crate::init::InitError;

    /// Without the `traces` feature there is no span pipeline; validation refuses an OTLP
    /// endpoint, naming the feature.
    #[derive(Debug)]
    pub(in crate::init) enum TracePipeline {}

    impl TracePipeline {
        pub(in crate::init) fn build(
            _config: &TelemetryConfig,
            _runtime: &tokio::runtime::Handle,
        ) -> Result<Option<Self>, InitError> {
            Ok(None)
        }

        pub(in crate::init) fn install_global(&self) {
            match *self {}
        }

        pub(in crate::init) fn shutdown(self, _timeout: Duration) -> Result<(), String> {
            match self {}
        }

        pub(in crate::init) fn discard(self) {
            match self {}
        }
    }
}
