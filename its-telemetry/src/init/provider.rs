//! Shutting an exporting provider down, shared by the span and log pipelines: the SDK's tracer
//! and logger providers have the same `force_flush` / `shutdown_with_timeout` pair but no
//! common trait, so this small one names it.

use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;

/// A provider whose queued data can be flushed and whose exporter can be shut down.
pub(in crate::init) trait ExportingProvider: Send + 'static {
    fn flush(&self) -> OTelSdkResult;
    fn shutdown_within(&self, timeout: Duration) -> OTelSdkResult;
}

impl ExportingProvider for opentelemetry_sdk::trace::SdkTracerProvider {
    fn flush(&self) -> OTelSdkResult {
        self.force_flush()
    }
    fn shutdown_within(&self, timeout: Duration) -> OTelSdkResult {
        self.shutdown_with_timeout(timeout)
    }
}

#[cfg(feature = "otlp-logs")]
impl ExportingProvider for opentelemetry_sdk::logs::SdkLoggerProvider {
    fn flush(&self) -> OTelSdkResult {
        self.force_flush()
    }
    fn shutdown_within(&self, timeout: Duration) -> OTelSdkResult {
        self.shutdown_with_timeout(timeout)
    }
}

/// Flushes and shuts down within `timeout`; call from a plain thread (STACK.md trap 2).
pub(in crate::init) fn shutdown(
    provider: &impl ExportingProvider,
    timeout: Duration,
) -> Result<(), String> {
    let _ = provider.flush();
    provider.shutdown_within(timeout).map_err(|e| e.to_string())
}

/// Releases a provider that was never installed, from any context: shut down on a thread of
/// its own, or, without a thread, simply dropped.
pub(in crate::init) fn discard(provider: impl ExportingProvider) {
    let spawned = std::thread::Builder::new()
        .name("its-telemetry-discard".into())
        .spawn(move || {
            let _ = provider.shutdown_within(Duration::from_millis(500));
        });
    drop(spawned);
}
