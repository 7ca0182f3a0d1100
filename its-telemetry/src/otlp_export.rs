//! What the OTLP exporters of every signal (traces, and logs with feature `otlp-logs`) share:
//! the queue bound, the export timeout, the resource, the HTTP signal URLs and the message for a
//! protocol that is compiled out.

// Without an OTLP feature only the resource is unused; the plumbing stays compiled so every
// feature combination checks it.
#![cfg_attr(
    not(any(feature = "otlp-grpc", feature = "otlp-http")),
    allow(dead_code, unused_imports)
)]

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

use crate::config::{OtlpProtocol, TelemetryConfig};

/// Records (spans, log records) held per signal while the collector is slow or unreachable;
/// beyond this they are dropped and counted.
pub(crate) const MAX_QUEUED_RECORDS: usize = 2048;

/// Per-export timeout, short so a dead collector does not hold records (or shutdown) for long.
pub(crate) const EXPORT_TIMEOUT: Duration = Duration::from_secs(3);

/// How often the batch processors export what waits.
pub(crate) const SCHEDULED_DELAY: Duration = Duration::from_secs(1);

/// The OTel spec's rule for `OTEL_EXPORTER_OTLP_ENDPOINT` over HTTP: the signal path
/// (`/v1/traces`, `/v1/logs`) is appended to the base URL. A URL that already names a signal
/// path (a traces-only endpoint) has it replaced, so traces and logs reach the same collector.
#[cfg_attr(not(feature = "otlp-http"), allow(dead_code))]
pub(crate) fn http_signal_url(endpoint: &str, signal: &str) -> String {
    let mut base = endpoint.trim_end_matches('/');
    for known in ["/v1/traces", "/v1/logs", "/v1/metrics"] {
        if let Some(stripped) = base.strip_suffix(known) {
            base = stripped;
            break;
        }
    }
    format!("{base}/v1/{signal}")
}

/// The error for an OTLP protocol whose feature this build lacks (validation names the feature
/// before this is reached).
#[allow(dead_code)] // unused when both protocols are compiled in
pub(crate) fn compiled_out(protocol: OtlpProtocol) -> String {
    let feature = match protocol {
        OtlpProtocol::Grpc => "otlp-grpc",
        OtlpProtocol::HttpProtobuf => "otlp-http",
    };
    format!(
        "OTLP over {} needs the `{feature}` feature of its-telemetry",
        protocol.as_str()
    )
}

/// The resource every exported span and log record carries: `service.name`, version,
/// environment, the SDK's name and the configured extra attributes.
pub(crate) fn resource(config: &TelemetryConfig) -> Resource {
    let mut attributes = vec![
        KeyValue::new("service.version", config.service_version.clone()),
        KeyValue::new("deployment.environment.name", config.environment.clone()),
        KeyValue::new("telemetry.sdk.name", "its-telemetry"),
        KeyValue::new("telemetry.sdk.language", "rust"),
        KeyValue::new("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
    ];
    attributes.extend(
        config
            .resource_attributes
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    Resource::builder_empty()
        .with_service_name(config.service_name.clone())
        .with_attributes(attributes)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_endpoint_gets_the_signal_path_once() {
        assert_eq!(
            http_signal_url("http://c:4318", "traces"),
            "http://c:4318/v1/traces"
        );
        assert_eq!(
            http_signal_url("http://c:4318/", "logs"),
            "http://c:4318/v1/logs"
        );
        assert_eq!(
            http_signal_url("http://c:4318/v1/traces", "traces"),
            "http://c:4318/v1/traces"
        );
        assert_eq!(
            http_signal_url("http://c:4318/otlp/v1/traces", "logs"),
            "http://c:4318/otlp/v1/logs"
        );
    }
}
