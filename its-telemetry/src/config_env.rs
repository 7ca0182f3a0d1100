//! Environment variables → [`TelemetryConfig`], OpenTelemetry names first.

use std::str::FromStr;

use crate::config::{
    ConfigError, PushGatewayConfig, TelemetryConfig, check_endpoint, check_push_endpoint,
    check_ratio,
};
use crate::logs::LogFormat;

/// Every variable the SDK reads, with what it sets; the README's table is this list.
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "OTEL_SDK_DISABLED",
        "`true` turns every exporter off; logs are still written",
    ),
    (
        "OTEL_SERVICE_NAME",
        "service name (`service.name`, `service` label)",
    ),
    (
        "OTEL_RESOURCE_ATTRIBUTES",
        "`key=value,…` resource attributes; `service.name`, `service.version` and `deployment.environment.name` are read from it too",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTLP collector URL; unset means no trace export",
    ),
    (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTLP URL for traces only; wins over the above",
    ),
    (
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "`grpc` (default) or `http/protobuf`",
    ),
    (
        "OTEL_TRACES_SAMPLER",
        "`parentbased_always_on` (default), `parentbased_traceidratio`, `always_on`, `always_off`, `traceidratio`, `parentbased_always_off`",
    ),
    ("OTEL_TRACES_SAMPLER_ARG", "sampling ratio between 0 and 1"),
    (
        "OTEL_LOGS_EXPORTER",
        "`otlp` also exports log records (scrubbed, with trace ids) to the OTLP endpoint (feature `otlp-logs`); `none` (default) does not",
    ),
    ("RUST_LOG", "log filter directives, default `info`"),
    (
        "ITS_TELEMETRY_ENVIRONMENT",
        "`environment` label, default `development`",
    ),
    (
        "ITS_TELEMETRY_SERVICE_VERSION",
        "`version` label of `its_build_info`",
    ),
    (
        "ITS_TELEMETRY_GIT_SHA",
        "`git_sha` label of `its_build_info`",
    ),
    (
        "ITS_TELEMETRY_METRICS_LISTEN",
        "address of the `/metrics` endpoint, default `0.0.0.0:9464`; `off` serves none",
    ),
    (
        "ITS_TELEMETRY_METRICS_PATH",
        "path of the metrics endpoint, default `/metrics`",
    ),
    (
        "ITS_TELEMETRY_PUSHGATEWAY_ENDPOINT",
        "push gateway URL (http://); enables push mode",
    ),
    (
        "ITS_TELEMETRY_PUSHGATEWAY_INTERVAL_SECS",
        "seconds between pushes, default 15",
    ),
    ("ITS_TELEMETRY_LOG_FORMAT", "`json` (default) or `pretty`"),
    (
        "ITS_TELEMETRY_SCRUB_PII",
        "`false` turns PII scrubbing off (on by default)",
    ),
    (
        "ITS_TELEMETRY_CARDINALITY_LIMIT",
        "distinct values per label of one metric, default 2000",
    ),
];

pub(crate) fn apply(
    config: &mut TelemetryConfig,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());

    if let Some(v) = get("OTEL_SDK_DISABLED") {
        config.disabled = parse_bool("OTEL_SDK_DISABLED", &v)?;
    }
    if let Some(v) = get("OTEL_RESOURCE_ATTRIBUTES") {
        for (key, value) in parse_resource_attributes(&v)? {
            match key.as_str() {
                "service.name" => config.service_name = value,
                "service.version" => config.service_version = value,
                "deployment.environment.name" | "deployment.environment" => {
                    config.environment = value;
                }
                _ => {
                    config.resource_attributes.insert(key, value);
                }
            }
        }
    }
    if let Some(v) = get("OTEL_SERVICE_NAME") {
        config.service_name = v;
    }
    let endpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .map(|v| ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v))
        .or_else(|| get("OTEL_EXPORTER_OTLP_ENDPOINT").map(|v| ("OTEL_EXPORTER_OTLP_ENDPOINT", v)));
    if let Some((var, v)) = endpoint {
        check_endpoint(var, &v)?;
        config.traces.endpoint = Some(v);
    }
    if let Some(v) = get("OTEL_EXPORTER_OTLP_PROTOCOL") {
        config.traces.protocol = parse("OTEL_EXPORTER_OTLP_PROTOCOL", &v)?;
    }
    if let Some(v) = get("OTEL_TRACES_SAMPLER") {
        config.traces.sampler = parse("OTEL_TRACES_SAMPLER", &v)?;
    }
    if let Some(v) = get("OTEL_TRACES_SAMPLER_ARG") {
        let ratio: f64 = v.trim().parse().map_err(|_| ConfigError::Invalid {
            field: "OTEL_TRACES_SAMPLER_ARG".into(),
            value: v.clone(),
            reason: "not a number; expected a ratio between 0 and 1".into(),
        })?;
        check_ratio("OTEL_TRACES_SAMPLER_ARG", ratio)?;
        config.traces.sampler_ratio = ratio;
    }
    if let Some(v) = get("OTEL_LOGS_EXPORTER") {
        config.logs.otlp = match v.trim() {
            "otlp" if cfg!(not(feature = "otlp-logs")) => {
                return Err(ConfigError::FeatureDisabled {
                    field: "OTEL_LOGS_EXPORTER".into(),
                    value: v,
                    feature: "otlp-logs",
                });
            }
            "otlp" => true,
            "none" => false,
            _ => {
                return Err(invalid(
                    "OTEL_LOGS_EXPORTER",
                    &v,
                    "expected otlp or none (log lines on standard output are the log layer's)",
                ));
            }
        };
    }
    if let Some(v) = get("RUST_LOG") {
        tracing_subscriber::EnvFilter::try_new(&v)
            .map_err(|e| invalid("RUST_LOG", &v, e.to_string()))?;
        config.logs.filter = v;
    }
    if let Some(v) = get("ITS_TELEMETRY_ENVIRONMENT") {
        config.environment = v;
    }
    if let Some(v) = get("ITS_TELEMETRY_SERVICE_VERSION") {
        config.service_version = v;
    }
    if let Some(v) = get("ITS_TELEMETRY_GIT_SHA") {
        config.git_sha = v;
    }
    if let Some(v) = get("ITS_TELEMETRY_METRICS_LISTEN") {
        config.metrics.listen = if v.trim() == "off" {
            None
        } else {
            Some(parse("ITS_TELEMETRY_METRICS_LISTEN", &v)?)
        };
    }
    if let Some(v) = get("ITS_TELEMETRY_METRICS_PATH") {
        config.metrics.path = v;
    }
    if let Some(v) = get("ITS_TELEMETRY_PUSHGATEWAY_ENDPOINT") {
        check_push_endpoint("ITS_TELEMETRY_PUSHGATEWAY_ENDPOINT", &v)?;
        config
            .metrics
            .push_gateway
            .get_or_insert_with(PushGatewayConfig::default)
            .endpoint = v;
    }
    if let Some(v) = get("ITS_TELEMETRY_PUSHGATEWAY_INTERVAL_SECS") {
        let secs: u64 = parse("ITS_TELEMETRY_PUSHGATEWAY_INTERVAL_SECS", &v)?;
        if secs == 0 {
            return Err(invalid(
                "ITS_TELEMETRY_PUSHGATEWAY_INTERVAL_SECS",
                &v,
                "must be at least 1",
            ));
        }
        if let Some(push) = config.metrics.push_gateway.as_mut() {
            push.interval_secs = secs;
        }
    }
    if let Some(v) = get("ITS_TELEMETRY_LOG_FORMAT") {
        config.logs.format = v
            .parse::<LogFormat>()
            .map_err(|_| invalid("ITS_TELEMETRY_LOG_FORMAT", &v, "expected json or pretty"))?;
    }
    if let Some(v) = get("ITS_TELEMETRY_SCRUB_PII") {
        config.logs.scrub.enabled = parse_bool("ITS_TELEMETRY_SCRUB_PII", &v)?;
    }
    if let Some(v) = get("ITS_TELEMETRY_CARDINALITY_LIMIT") {
        let limit: usize = parse("ITS_TELEMETRY_CARDINALITY_LIMIT", &v)?;
        if limit == 0 {
            return Err(invalid(
                "ITS_TELEMETRY_CARDINALITY_LIMIT",
                &v,
                "must be at least 1",
            ));
        }
        config.cardinality.default_limit = limit;
    }
    Ok(())
}

fn invalid(var: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: var.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

fn parse<T: FromStr>(var: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| invalid(var, value, e.to_string()))
}

fn parse_bool(var: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(var, value, "expected true or false")),
    }
}

/// `key1=value1,key2=value2`, values percent-decoded as the OTel spec says.
fn parse_resource_attributes(text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                invalid(
                    "OTEL_RESOURCE_ATTRIBUTES",
                    text,
                    format!("`{pair}` is not key=value"),
                )
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(invalid("OTEL_RESOURCE_ATTRIBUTES", text, "empty key"));
            }
            Ok((key.to_owned(), percent_decode(value.trim())))
        })
        .collect()
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(all(feature = "otlp-http", feature = "push-gateway"))]
    use crate::config::{OtlpProtocol, SamplerKind};
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<TelemetryConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        TelemetryConfig::from_lookup(|k| map.get(k).cloned())
    }

    fn field_of(err: ConfigError) -> (String, String) {
        match err {
            ConfigError::Invalid { field, value, .. } => (field, value),
            other => panic!("expected Invalid, got {other}"),
        }
    }

    #[test]
    fn empty_environment_gives_defaults() {
        assert_eq!(from(&[]).expect("defaults"), TelemetryConfig::default());
    }

    #[test]
    #[cfg(not(feature = "otlp-http"))]
    fn compiled_out_protocols_name_the_feature() {
        let err = from(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ])
        .expect_err("otlp-http is compiled out");
        assert!(
            matches!(
                err,
                ConfigError::FeatureDisabled {
                    feature: "otlp-http",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn otel_logs_exporter() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
        let otlp = from(&[endpoint, ("OTEL_LOGS_EXPORTER", "otlp")]);
        if cfg!(all(feature = "otlp-logs", feature = "otlp-grpc")) {
            assert!(otlp.expect("otlp-logs is compiled in").logs.otlp);
        } else if cfg!(not(feature = "otlp-logs")) {
            let err = otlp.expect_err("otlp-logs is compiled out");
            assert!(
                matches!(
                    &err,
                    ConfigError::FeatureDisabled { field, value, feature: "otlp-logs" }
                        if field == "OTEL_LOGS_EXPORTER" && value == "otlp"
                ),
                "{err}"
            );
        }
        let none = from(&[("OTEL_LOGS_EXPORTER", "none")]).expect("none");
        assert!(!none.logs.otlp);
        let (field, value) =
            field_of(from(&[("OTEL_LOGS_EXPORTER", "console")]).expect_err("unsupported exporter"));
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("OTEL_LOGS_EXPORTER", "console")
        );
    }

    #[test]
    #[cfg(all(feature = "otlp-http", feature = "push-gateway"))]
    fn otel_variables_are_read() {
        let c = from(&[
            ("OTEL_SERVICE_NAME", "detector"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.version=1.4.2,deployment.environment.name=prod,site=A%2C7",
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.01"),
            ("ITS_TELEMETRY_METRICS_LISTEN", "127.0.0.1:0"),
            ("ITS_TELEMETRY_LOG_FORMAT", "pretty"),
            ("ITS_TELEMETRY_PUSHGATEWAY_ENDPOINT", "http://gw:9091"),
            ("ITS_TELEMETRY_CARDINALITY_LIMIT", "5000"),
        ])
        .expect("valid");
        assert_eq!(c.service_name, "detector");
        assert_eq!(c.service_version, "1.4.2");
        assert_eq!(c.environment, "prod");
        assert_eq!(
            c.resource_attributes.get("site").map(String::as_str),
            Some("A,7")
        );
        assert_eq!(c.traces.endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(c.traces.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(c.traces.sampler, SamplerKind::ParentbasedTraceIdRatio);
        assert!((c.traces.sampler_ratio - 0.01).abs() < f64::EPSILON);
        assert_eq!(c.metrics.listen, "127.0.0.1:0".parse().ok());
        assert_eq!(c.logs.format, LogFormat::Pretty);
        assert_eq!(
            c.metrics.push_gateway.map(|p| p.endpoint).as_deref(),
            Some("http://gw:9091")
        );
        assert_eq!(c.cardinality.default_limit, 5000);
    }

    #[test]
    fn bad_values_name_the_variable_and_value() {
        let cases = [
            ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
            ("OTEL_TRACES_SAMPLER_ARG", "lots"),
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
            ("OTEL_SDK_DISABLED", "maybe"),
            ("OTEL_RESOURCE_ATTRIBUTES", "novalue"),
            ("ITS_TELEMETRY_LOG_FORMAT", "xml"),
            ("ITS_TELEMETRY_METRICS_LISTEN", "port 80"),
            ("ITS_TELEMETRY_CARDINALITY_LIMIT", "0"),
            ("ITS_TELEMETRY_PUSHGATEWAY_ENDPOINT", "https://gw:9091"),
        ];
        for (var, value) in cases {
            let err = from(&[(var, value)]).expect_err(var);
            let message = err.to_string();
            assert_eq!(
                field_of(err),
                (var.to_owned(), value.to_owned()),
                "{message}"
            );
            assert!(message.contains(var), "{message}");
        }
    }

    #[test]
    fn invalid_rust_log_names_the_variable() {
        let err = from(&[("RUST_LOG", "info,[[[")]).expect_err("bad filter");
        assert_eq!(field_of(err).0, "RUST_LOG");
    }

    #[test]
    fn disabled_flag() {
        assert!(from(&[("OTEL_SDK_DISABLED", "true")]).expect("ok").disabled);
        assert!(
            !from(&[("OTEL_SDK_DISABLED", "false")])
                .expect("ok")
                .disabled
        );
    }
}
