//! Trace export: an OTLP exporter (gRPC or HTTP/protobuf) behind a batch processor, the
//! configured head sampler, and the W3C trace-context propagator.
//!
//! The exporter is built on the SDK's own background runtime so it works whatever runtime —
//! or none — the service uses (STACK.md traps 1–2), and its failures are counted in
//! `its_telemetry_export_failures_total{signal="traces"}` and logged once instead of on every
//! batch: an unreachable collector costs a bounded queue (2 048 spans) and one warning. Every
//! span lost on the way (queue full, batch not exported) is counted in
//! `its_telemetry_export_dropped_total{signal="traces"}` by an [`ExportBudget`]. Every
//! admitted span is scrubbed of personal data ([`ScrubbingSpanProcessor`], the same rules as
//! the logs) before it is queued.

// Without an OTLP feature only the sampler is used; the exporter plumbing stays compiled so
// every feature combination checks it.
#![cfg_attr(
    not(any(feature = "otlp-grpc", feature = "otlp-http")),
    allow(dead_code, unused_imports)
)]

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, Span, SpanData,
    SpanExporter, SpanProcessor,
};

use crate::config::{OtlpCompression, OtlpProtocol, SamplerKind, TelemetryConfig};
use crate::export_budget::ExportBudget;
#[cfg(feature = "otlp-http")]
use crate::otlp_export::http_signal_url;
use crate::otlp_export::{
    EXPORT_TIMEOUT, MAX_QUEUED_RECORDS, SCHEDULED_DELAY, compiled_out, resource,
};
use crate::privacy::{Scrubber, ScrubbingSpanProcessor};

/// Spans held while the collector is slow or unreachable; beyond this they are dropped.
const MAX_QUEUED_SPANS: usize = MAX_QUEUED_RECORDS;

/// Builds the exporter and provider. Must run inside the SDK runtime's context (tonic spawns
/// its connection task there) and outside any async context (the blocking HTTP client builds
/// its own runtime).
///
/// # Errors
/// The exporter's message when it cannot be built, or the feature to enable when the
/// protocol is compiled out (validation catches that first).
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
pub(crate) fn build_provider(
    config: &TelemetryConfig,
    endpoint: &str,
) -> Result<SdkTracerProvider, String> {
    let budget = Arc::new(ExportBudget::new("traces", MAX_QUEUED_SPANS));
    let exporter = ReportingExporter::new(
        build_exporter(config.traces.protocol, config.traces.compression, endpoint)?,
        Arc::clone(&budget),
    );
    // Validated before this is reached; a scrubber that cannot be built fails init here too
    // rather than exporting raw spans.
    let scrubber = Scrubber::new(&config.logs.scrub).map_err(|e| e.to_string())?;
    let batch = BatchSpanProcessor::builder(exporter)
        .with_batch_config(
            BatchConfigBuilder::default()
                // The same capacity as the budget: the budget refuses first, so the batch
                // processor never drops a span uncounted.
                .with_max_queue_size(MAX_QUEUED_SPANS)
                .with_scheduled_delay(SCHEDULED_DELAY)
                .build(),
        )
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(BudgetedProcessor {
            // Scrubbed after the budget admits a span (no work on spans about to be dropped)
            // and before the batch queue holds it: nothing raw waits for export.
            inner: ScrubbingSpanProcessor::new(batch, scrubber),
            budget,
        })
        .with_sampler(sampler(config.traces.sampler, config.traces.sampler_ratio))
        .with_resource(resource(config))
        .build())
}

/// The OTLP exporter for `protocol`, if it is compiled in.
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
fn build_exporter(
    protocol: OtlpProtocol,
    compression: OtlpCompression,
    endpoint: &str,
) -> Result<opentelemetry_otlp::SpanExporter, String> {
    use opentelemetry_otlp::WithExportConfig as _;
    // Set explicitly either way, so the exporter never falls back to reading
    // OTEL_EXPORTER_OTLP_*COMPRESSION itself: the configuration has already read them.
    let compression = match compression {
        OtlpCompression::Gzip => Some(opentelemetry_otlp::Compression::Gzip),
        OtlpCompression::None => None,
    };
    let built = match protocol {
        #[cfg(feature = "otlp-grpc")]
        OtlpProtocol::Grpc => {
            use opentelemetry_otlp::WithTonicConfig as _;
            let builder = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .with_timeout(EXPORT_TIMEOUT);
            match compression {
                Some(c) => builder.with_compression(c).build(),
                None => builder.build(),
            }
        }
        #[cfg(feature = "otlp-http")]
        OtlpProtocol::HttpProtobuf => {
            use opentelemetry_otlp::WithHttpConfig as _;
            let builder = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(http_signal_url(endpoint, "traces"))
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_timeout(EXPORT_TIMEOUT);
            match compression {
                Some(c) => builder.with_compression(c).build(),
                None => builder.build(),
            }
        }
        #[allow(unreachable_patterns)] // only reachable when one protocol is compiled out
        other => return Err(compiled_out(other)),
    };
    built.map_err(|e| e.to_string())
}

/// No OTLP exporter is compiled in (validation names the feature before this is reached).
#[cfg(not(any(feature = "otlp-grpc", feature = "otlp-http")))]
pub(crate) fn build_provider(
    config: &TelemetryConfig,
    _endpoint: &str,
) -> Result<SdkTracerProvider, String> {
    Err(compiled_out(config.traces.protocol))
}

/// Maps the configured sampler; ratio samplers always come wrapped in `ParentBased` unless the
/// bare `traceidratio` is asked for (STACK.md trap 11: it fragments traces).
pub(crate) fn sampler(kind: SamplerKind, ratio: f64) -> Sampler {
    match kind {
        SamplerKind::AlwaysOn => Sampler::AlwaysOn,
        SamplerKind::AlwaysOff => Sampler::AlwaysOff,
        SamplerKind::TraceIdRatio => Sampler::TraceIdRatioBased(ratio),
        SamplerKind::ParentbasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        SamplerKind::ParentbasedAlwaysOff => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        SamplerKind::ParentbasedTraceIdRatio => {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)))
        }
    }
}

/// Hands an ended span to the batch processor only if the export budget has room for it.
#[derive(Debug)]
struct BudgetedProcessor<P> {
    inner: P,
    budget: Arc<ExportBudget>,
}

impl<P: SpanProcessor> SpanProcessor for BudgetedProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if self.budget.admit() {
            self.inner.on_end(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Wraps the OTLP exporter to release the budget, count failed exports and lost spans, and
/// warn once.
#[derive(Debug)]
struct ReportingExporter<E> {
    inner: E,
    budget: Arc<ExportBudget>,
}

impl<E> ReportingExporter<E> {
    fn new(inner: E, budget: Arc<ExportBudget>) -> Self {
        Self { inner, budget }
    }
}

impl<E: SpanExporter> SpanExporter for ReportingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        self.budget.release(spans);
        let result = self.inner.export(batch).await;
        if let Err(error) = &result {
            if self.budget.export_failed(spans) {
                tracing::warn!(
                    target: "its_telemetry::traces",
                    %error,
                    "cannot export spans to the OTLP collector; the service carries on, spans \
                     beyond the queue are dropped (reported once, counted in \
                     its_telemetry_export_failures_total and its_telemetry_export_dropped_total)"
                );
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_the_sdk_and_the_distribution() {
        let resource = resource(&TelemetryConfig::default());
        let get = |key: &'static str| resource.get(&opentelemetry::Key::from_static_str(key));
        assert_eq!(
            get("telemetry.sdk.name"),
            Some(opentelemetry::Value::from("opentelemetry"))
        );
        assert_eq!(
            get("telemetry.sdk.language"),
            Some(opentelemetry::Value::from("rust"))
        );
        assert_eq!(
            get("telemetry.distro.name"),
            Some(opentelemetry::Value::from("its-telemetry"))
        );
        assert_eq!(
            get("telemetry.distro.version"),
            Some(opentelemetry::Value::from(env!("CARGO_PKG_VERSION")))
        );
    }

    #[test]
    fn ratio_samplers_are_parent_based() {
        let s = sampler(SamplerKind::ParentbasedTraceIdRatio, 0.01);
        assert!(
            format!("{s:?}").starts_with("ParentBased(TraceIdRatioBased(0.01"),
            "{s:?}"
        );
    }
}
