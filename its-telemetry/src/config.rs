//! [`TelemetryConfig`]: what to export, where, and how — built in code, read from the
//! environment, or deserialized from a TOML/YAML file.
//!
//! Environment variables follow the OpenTelemetry specification where one exists
//! (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_ENDPOINT`, …) and use the `ITS_TELEMETRY_`
//! prefix for the rest. Every value is validated; a bad one is a [`ConfigError`] that names the
//! variable or field and the value, never a panic or a silent default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::logs::{LogFormat, ScrubConfig, ScrubPatternError, Scrubber};

/// Default address of the Prometheus pull endpoint.
pub const DEFAULT_METRICS_LISTEN: &str = "0.0.0.0:9464";
/// Default distinct values per label of one metric before values are folded into the overflow
/// value: room for 2 000 cameras, twice the fleet size the SDK is built for.
pub const DEFAULT_CARDINALITY_LIMIT: usize = 2000;

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field or environment variable holds a value that cannot be used.
    #[error("invalid {field} = {value:?}: {reason}")]
    Invalid {
        /// The field path (`traces.sampler_ratio`) or environment variable (`OTEL_TRACES_SAMPLER_ARG`).
        field: String,
        /// The offending value, as given.
        value: String,
        /// What is wrong and what would be accepted.
        reason: String,
    },
    /// The configuration file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML or YAML for this structure.
    #[error("cannot parse {format} configuration: {message}")]
    Parse {
        /// `TOML` or `YAML`.
        format: &'static str,
        /// The parser's message, which names the key and position.
        message: String,
    },
    /// The configuration asks for something this build of the crate does not contain.
    #[error(
        "{field} = {value:?} needs the `{feature}` feature of its-telemetry, which this build \
         does not enable: add it in Cargo.toml (`its-telemetry = {{ version = \"…\", features = \
         [\"{feature}\"] }}`) or change {field}"
    )]
    FeatureDisabled {
        /// The field or environment variable that asks for it.
        field: String,
        /// The value given.
        value: String,
        /// The Cargo feature to enable.
        feature: &'static str,
    },
}

impl ConfigError {
    fn invalid(field: &str, value: impl ToString, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

impl From<ScrubPatternError> for ConfigError {
    fn from(error: ScrubPatternError) -> Self {
        let (field, value) = match &error {
            ScrubPatternError::InvalidPattern { field, pattern, .. }
            | ScrubPatternError::MatchesEmpty { field, pattern } => {
                (format!("logs.scrub.{field}"), pattern.clone())
            }
            _ => ("logs.scrub".to_owned(), String::new()),
        };
        Self::Invalid {
            field,
            value,
            reason: error.to_string(),
        }
    }
}

/// Wire protocol of the OTLP trace exporter (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtlpProtocol {
    /// OTLP over gRPC, usually port 4317.
    #[default]
    #[serde(rename = "grpc")]
    Grpc,
    /// OTLP protobuf over HTTP, usually port 4318; `/v1/traces` is appended to the endpoint.
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
}

impl OtlpProtocol {
    /// The `OTEL_EXPORTER_OTLP_PROTOCOL` value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::HttpProtobuf => "http/protobuf",
        }
    }
}

impl std::str::FromStr for OtlpProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "grpc" => Ok(Self::Grpc),
            "http/protobuf" => Ok(Self::HttpProtobuf),
            "http/json" => Err("http/json is not supported; use grpc or http/protobuf".into()),
            _ => Err("expected grpc or http/protobuf".into()),
        }
    }
}

/// Head sampler for traces (`OTEL_TRACES_SAMPLER`).
///
/// The production pattern for a fleet of camera services is either `parentbased_always_on`
/// into a local collector that tail-samples (keeps errors, slow requests and a 1 % baseline —
/// see `monitoring/opentelemetry/otel-collector.yaml`), or `parentbased_traceidratio` with
/// a ratio of 0.01 when there is no collector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    /// Record every trace.
    AlwaysOn,
    /// Record nothing.
    AlwaysOff,
    /// Keep a share of traces by trace id; ignores the parent's decision (fragments traces).
    #[serde(rename = "traceidratio")]
    TraceIdRatio,
    /// Follow the parent; root spans are always sampled.
    #[default]
    ParentbasedAlwaysOn,
    /// Follow the parent; root spans are never sampled.
    ParentbasedAlwaysOff,
    /// Follow the parent; root spans are sampled by trace-id ratio.
    #[serde(rename = "parentbased_traceidratio")]
    ParentbasedTraceIdRatio,
}

impl std::str::FromStr for SamplerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "always_on" => Self::AlwaysOn,
            "always_off" => Self::AlwaysOff,
            "traceidratio" => Self::TraceIdRatio,
            "parentbased_always_on" => Self::ParentbasedAlwaysOn,
            "parentbased_always_off" => Self::ParentbasedAlwaysOff,
            "parentbased_traceidratio" => Self::ParentbasedTraceIdRatio,
            _ => {
                return Err(
                    "expected always_on, always_off, traceidratio, parentbased_always_on, \
                     parentbased_always_off or parentbased_traceidratio"
                        .into(),
                );
            }
        })
    }
}

/// The whole SDK configuration. `Default` is a working development set-up: metrics on
/// `0.0.0.0:9464/metrics`, JSON logs with PII scrubbing, no trace export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `service.name`; also the `service` label on every metric.
    pub service_name: String,
    /// `service.version`; the `version` label of `its_build_info`.
    pub service_version: String,
    /// Git commit of the build; the `git_sha` label of `its_build_info`.
    pub git_sha: String,
    /// Deployment environment (`production`, `staging`, …); the `environment` label.
    pub environment: String,
    /// Extra OpenTelemetry resource attributes (`OTEL_RESOURCE_ATTRIBUTES`).
    pub resource_attributes: BTreeMap<String, String>,
    /// Turns every exporter off (`OTEL_SDK_DISABLED`); logs are still written.
    pub disabled: bool,
    /// Prometheus metrics.
    pub metrics: MetricsConfig,
    /// Trace export.
    pub traces: TracesConfig,
    /// Structured logs.
    pub logs: LogsConfig,
    /// Limits on distinct label values.
    pub cardinality: CardinalityConfig,
    /// Longest time dropping the guard may take to flush and shut down, in milliseconds.
    pub shutdown_timeout_ms: u64,
}

/// The OpenTelemetry specification's default `service.name`: `unknown_service:` followed by
/// the executable's name, or `unknown_service` when that cannot be read.
#[must_use]
pub fn default_service_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|name| !name.is_empty())
        .map_or_else(
            || "unknown_service".to_owned(),
            |name| format!("unknown_service:{name}"),
        )
}

impl Default for TelemetryConfig {
    /// Defaults everywhere; the service name follows the OpenTelemetry rule
    /// ([`default_service_name`]) so an unnamed service is visibly unnamed.
    fn default() -> Self {
        Self {
            service_name: default_service_name(),
            service_version: "unknown".into(),
            git_sha: "unknown".into(),
            environment: "development".into(),
            resource_attributes: BTreeMap::new(),
            disabled: false,
            metrics: MetricsConfig::default(),
            traces: TracesConfig::default(),
            logs: LogsConfig::default(),
            cardinality: CardinalityConfig::default(),
            shutdown_timeout_ms: 5000,
        }
    }
}

/// Prometheus metrics: the pull endpoint and, for edge sites that cannot be scraped, push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Whether to install the metrics recorder at all.
    pub enabled: bool,
    /// Address of the pull endpoint; `None` serves nothing (push only).
    pub listen: Option<SocketAddr>,
    /// HTTP path of the pull endpoint.
    pub path: String,
    /// Push the exposition to a Prometheus push gateway as well.
    pub push_gateway: Option<PushGatewayConfig>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: DEFAULT_METRICS_LISTEN.parse().ok(),
            path: "/metrics".into(),
            push_gateway: None,
        }
    }
}

/// Push-gateway mode for sites Prometheus cannot reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushGatewayConfig {
    /// Base URL of the gateway, e.g. `http://pushgateway:9091` (plain HTTP).
    pub endpoint: String,
    /// Seconds between pushes.
    pub interval_secs: u64,
    /// The `job` grouping key; defaults to the service name when empty.
    pub job: String,
}

impl Default for PushGatewayConfig {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            interval_secs: 15,
            job: String::new(),
        }
    }
}

/// OTLP trace export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TracesConfig {
    /// Collector endpoint; `None` means spans are not exported (no exporter is built).
    pub endpoint: Option<String>,
    /// gRPC or HTTP/protobuf.
    pub protocol: OtlpProtocol,
    /// Head sampler.
    pub sampler: SamplerKind,
    /// Ratio for the ratio samplers, between 0 and 1.
    pub sampler_ratio: f64,
}

impl Default for TracesConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            protocol: OtlpProtocol::Grpc,
            sampler: SamplerKind::ParentbasedAlwaysOn,
            sampler_ratio: 1.0,
        }
    }
}

/// Structured logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    /// Install the log layer (turn off when the application installs its own subscriber).
    pub enabled: bool,
    /// JSON lines (default) or pretty lines for development.
    pub format: LogFormat,
    /// `RUST_LOG`-style filter directives.
    pub filter: String,
    /// PII scrubbing, on by default.
    pub scrub: ScrubConfig,
    /// Also export each event as an OpenTelemetry log record over OTLP, scrubbed the same way,
    /// to the traces' endpoint and protocol (`OTEL_LOGS_EXPORTER=otlp`; feature `otlp-logs`).
    /// Off by default.
    pub otlp: bool,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            format: LogFormat::Json,
            filter: "info".into(),
            scrub: ScrubConfig::default(),
            otlp: false,
        }
    }
}

/// Limits on distinct label values per metric (see [`crate::cardinality`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardinalityConfig {
    /// Limit for metrics without an entry in `limits`.
    pub default_limit: usize,
    /// Per-metric limits, keyed by full metric name.
    pub limits: BTreeMap<String, usize>,
}

impl Default for CardinalityConfig {
    fn default() -> Self {
        Self {
            default_limit: DEFAULT_CARDINALITY_LIMIT,
            limits: BTreeMap::new(),
        }
    }
}

impl TelemetryConfig {
    /// Starts a builder for `service_name`, with defaults for everything else.
    pub fn builder(service_name: impl Into<String>) -> TelemetryConfigBuilder {
        TelemetryConfigBuilder {
            config: Self {
                service_name: service_name.into(),
                ..Self::default()
            },
        }
    }

    /// Reads the configuration from the process environment (see the README's table).
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the first variable whose value cannot be used.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` — for tests and
    /// for services that keep their settings elsewhere.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the first variable whose value cannot be used.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        config.apply_env(lookup)?;
        Ok(config)
    }

    /// Overrides fields from environment variables, leaving the others as they are; this is
    /// how a file or code configuration lets operators change settings per deployment.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the first variable whose value cannot be used.
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        crate::config_env::apply(self, &lookup)?;
        self.validate()
    }

    /// Parses a TOML document (feature `toml`).
    ///
    /// # Errors
    /// [`ConfigError::Parse`] for syntax errors and unknown keys, [`ConfigError::Invalid`]
    /// for values that parse but cannot be used.
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            format: "TOML",
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a YAML document (feature `yaml`).
    ///
    /// # Errors
    /// [`ConfigError::Parse`] for syntax errors and unknown keys, [`ConfigError::Invalid`]
    /// for values that parse but cannot be used.
    #[cfg(feature = "yaml")]
    pub fn from_yaml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = serde_norway::from_str(text).map_err(|e| ConfigError::Parse {
            format: "YAML",
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reads a `.toml` (feature `toml`), `.yaml` or `.yml` (feature `yaml`) file.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read or has another extension,
    /// [`ConfigError::FeatureDisabled`] when its format is not compiled in, and the parse errors
    /// of the format.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let read_error = |source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        };
        let extension = path.extension().and_then(|e| e.to_str());
        let feature = match extension {
            Some("toml") => "toml",
            Some("yaml" | "yml") => "yaml",
            _ => {
                return Err(read_error(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "expected a .toml, .yaml or .yml file",
                )));
            }
        };
        #[cfg_attr(not(any(feature = "toml", feature = "yaml")), allow(unused_variables))]
        let text = std::fs::read_to_string(path).map_err(read_error)?;
        match feature {
            #[cfg(feature = "toml")]
            "toml" => Self::from_toml_str(&text),
            #[cfg(feature = "yaml")]
            "yaml" => Self::from_yaml_str(&text),
            _ => Err(ConfigError::FeatureDisabled {
                field: "configuration file".to_owned(),
                value: path.display().to_string(),
                feature,
            }),
        }
    }

    /// Checks every field; [`crate::try_init`] calls this too.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the field path and the value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.service_name.trim().is_empty() {
            return Err(ConfigError::invalid(
                "service_name",
                &self.service_name,
                "must not be empty",
            ));
        }
        check_ratio("traces.sampler_ratio", self.traces.sampler_ratio)?;
        if let Some(endpoint) = &self.traces.endpoint {
            check_endpoint("traces.endpoint", endpoint)?;
            check_exporter_compiled_in(endpoint, self.traces.protocol)?;
        }
        if !self.metrics.path.starts_with('/') {
            return Err(ConfigError::invalid(
                "metrics.path",
                &self.metrics.path,
                "must start with '/'",
            ));
        }
        if let Some(push) = &self.metrics.push_gateway {
            if cfg!(not(feature = "push-gateway")) {
                return Err(ConfigError::FeatureDisabled {
                    field: "metrics.push_gateway.endpoint".into(),
                    value: push.endpoint.clone(),
                    feature: "push-gateway",
                });
            }
            check_push_endpoint("metrics.push_gateway.endpoint", &push.endpoint)?;
            if push.interval_secs == 0 {
                return Err(ConfigError::invalid(
                    "metrics.push_gateway.interval_secs",
                    0,
                    "must be at least 1",
                ));
            }
        }
        if self.logs.otlp {
            if cfg!(not(feature = "otlp-logs")) {
                return Err(ConfigError::FeatureDisabled {
                    field: "logs.otlp".into(),
                    value: "true".into(),
                    feature: "otlp-logs",
                });
            }
            if self.traces.endpoint.is_none() {
                return Err(ConfigError::invalid(
                    "logs.otlp",
                    true,
                    "log records go to the OTLP endpoint of traces, and none is set: set \
                     traces.endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) or turn logs.otlp off",
                ));
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.logs.filter)
            .map_err(|e| ConfigError::invalid("logs.filter", &self.logs.filter, e.to_string()))?;
        Scrubber::new(&self.logs.scrub)?;
        if self.cardinality.default_limit == 0 {
            return Err(ConfigError::invalid(
                "cardinality.default_limit",
                0,
                "must be at least 1",
            ));
        }
        if let Some((metric, _)) = self.cardinality.limits.iter().find(|(_, l)| **l == 0) {
            return Err(ConfigError::invalid(
                &format!("cardinality.limits.{metric}"),
                0,
                "must be at least 1",
            ));
        }
        if self.shutdown_timeout_ms == 0 {
            return Err(ConfigError::invalid(
                "shutdown_timeout_ms",
                0,
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The shutdown bound as a [`Duration`].
    #[must_use]
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_millis(self.shutdown_timeout_ms)
    }
}

pub(crate) fn check_ratio(field: &str, ratio: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&ratio) {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field,
            ratio,
            "must be between 0 and 1",
        ))
    }
}

/// An OTLP endpoint must be an absolute `http://` or `https://` URL with a host
/// (otlp 0.33 would otherwise read a bare `host:port` as `https://`).
pub(crate) fn check_endpoint(field: &str, endpoint: &str) -> Result<(), ConfigError> {
    let uri: http::Uri = endpoint.parse().map_err(|e: http::uri::InvalidUri| {
        ConfigError::invalid(field, endpoint, format!("not a URL: {e}"))
    })?;
    // `http::Uri` parses `host:65536` but reports no port for it: look at the text.
    let port_text = uri
        .authority()
        .and_then(|a| a.as_str().rsplit_once(':'))
        .map(|(_, port)| port)
        .filter(|port| !port.ends_with(']'));
    if port_text.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(ConfigError::invalid(
            field,
            endpoint,
            "the port must be a number from 1 to 65535",
        ));
    }
    if uri.port_u16() == Some(0) {
        return Err(ConfigError::invalid(
            field,
            endpoint,
            "port 0 cannot be connected to; use the collector's port (4317 gRPC, 4318 HTTP)",
        ));
    }
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some_and(|h| !h.is_empty()) => Ok(()),
        Some("http" | "https") => Err(ConfigError::invalid(field, endpoint, "has no host")),
        _ => Err(ConfigError::invalid(
            field,
            endpoint,
            "must start with http:// or https://, e.g. http://localhost:4317",
        )),
    }
}

/// The exporter for `protocol` (and TLS for `https://`) must be compiled in; otherwise the
/// error names the feature, instead of an exporter failing at init or dropping every span.
fn check_exporter_compiled_in(endpoint: &str, protocol: OtlpProtocol) -> Result<(), ConfigError> {
    let https = endpoint.starts_with("https://");
    let (field, needed) = match protocol {
        OtlpProtocol::Grpc if cfg!(not(feature = "otlp-grpc")) => {
            ("traces.protocol", Some("otlp-grpc"))
        }
        OtlpProtocol::HttpProtobuf if cfg!(not(feature = "otlp-http")) => {
            ("traces.protocol", Some("otlp-http"))
        }
        OtlpProtocol::Grpc if https && cfg!(not(feature = "tls")) => {
            ("traces.endpoint", Some("tls"))
        }
        OtlpProtocol::HttpProtobuf if https && cfg!(not(feature = "tls-http")) => {
            ("traces.endpoint", Some("tls-http"))
        }
        _ => ("", None),
    };
    match needed {
        Some(feature) => Err(ConfigError::FeatureDisabled {
            field: field.to_owned(),
            value: if field == "traces.protocol" {
                protocol.as_str().to_owned()
            } else {
                endpoint.to_owned()
            },
            feature,
        }),
        None => Ok(()),
    }
}

/// The push gateway client speaks plain HTTP only.
pub(crate) fn check_push_endpoint(field: &str, endpoint: &str) -> Result<(), ConfigError> {
    check_endpoint(field, endpoint)?;
    if endpoint.starts_with("https://") {
        return Err(ConfigError::invalid(
            field,
            endpoint,
            "https is not supported for the push gateway; push to a gateway on the local network over http://",
        ));
    }
    Ok(())
}

/// Builds a [`TelemetryConfig`] in code. `build` validates, so a value the build cannot use
/// (an OTLP endpoint without an OTLP feature, say) is an error here, not at init.
///
/// ```
/// use its_telemetry::TelemetryConfig;
///
/// let config = TelemetryConfig::builder("detector")
///     .environment("staging")
///     .sampler_ratio(0.01)
///     .cardinality_limit(3000)
///     .build()
///     .expect("valid configuration");
/// assert_eq!(config.environment, "staging");
/// let with_otlp = TelemetryConfig::builder("detector")
///     .otlp_endpoint("http://localhost:4317")
///     .build();
/// assert_eq!(with_otlp.is_ok(), its_telemetry::FEATURES.contains(&"otlp-grpc"));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct TelemetryConfigBuilder {
    config: TelemetryConfig,
}

impl TelemetryConfigBuilder {
    /// Sets the deployment environment label.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.config.environment = environment.into();
        self
    }

    /// Sets the service version and git commit shown in `its_build_info`.
    pub fn build_info(mut self, version: impl Into<String>, git_sha: impl Into<String>) -> Self {
        self.config.service_version = version.into();
        self.config.git_sha = git_sha.into();
        self
    }

    /// Adds an OpenTelemetry resource attribute.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config
            .resource_attributes
            .insert(key.into(), value.into());
        self
    }

    /// Serves metrics on `addr` (use port 0 for an ephemeral port).
    pub fn metrics_listen(mut self, addr: SocketAddr) -> Self {
        self.config.metrics.listen = Some(addr);
        self
    }

    /// Serves no pull endpoint (push only, or metrics read in-process).
    pub fn no_metrics_listener(mut self) -> Self {
        self.config.metrics.listen = None;
        self
    }

    /// Pushes metrics to a push gateway every `interval_secs`.
    pub fn push_gateway(mut self, endpoint: impl Into<String>, interval_secs: u64) -> Self {
        self.config.metrics.push_gateway = Some(PushGatewayConfig {
            endpoint: endpoint.into(),
            interval_secs,
            job: String::new(),
        });
        self
    }

    /// Exports spans to this OTLP endpoint.
    pub fn otlp_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config.traces.endpoint = Some(endpoint.into());
        self
    }

    /// Chooses gRPC or HTTP/protobuf for OTLP.
    pub fn otlp_protocol(mut self, protocol: OtlpProtocol) -> Self {
        self.config.traces.protocol = protocol;
        self
    }

    /// Head-samples root spans at `ratio` (`ParentBased(TraceIdRatio)`).
    pub fn sampler_ratio(mut self, ratio: f64) -> Self {
        self.config.traces.sampler = SamplerKind::ParentbasedTraceIdRatio;
        self.config.traces.sampler_ratio = ratio;
        self
    }

    /// Chooses the sampler kind.
    pub fn sampler(mut self, sampler: SamplerKind) -> Self {
        self.config.traces.sampler = sampler;
        self
    }

    /// Chooses JSON or pretty logs.
    pub fn log_format(mut self, format: LogFormat) -> Self {
        self.config.logs.format = format;
        self
    }

    /// Sets the `RUST_LOG`-style filter.
    pub fn log_filter(mut self, filter: impl Into<String>) -> Self {
        self.config.logs.filter = filter.into();
        self
    }

    /// Replaces the PII scrubbing settings.
    pub fn scrub(mut self, scrub: ScrubConfig) -> Self {
        self.config.logs.scrub = scrub;
        self
    }

    /// Also exports log records over OTLP to the traces' endpoint (feature `otlp-logs`; needs
    /// [`otlp_endpoint`](Self::otlp_endpoint)).
    pub fn otlp_logs(mut self, enabled: bool) -> Self {
        self.config.logs.otlp = enabled;
        self
    }

    /// Does not install the log layer (the application installs its own subscriber).
    pub fn without_logs(mut self) -> Self {
        self.config.logs.enabled = false;
        self
    }

    /// Sets the default number of distinct values per label of one metric.
    pub fn cardinality_limit(mut self, limit: usize) -> Self {
        self.config.cardinality.default_limit = limit;
        self
    }

    /// Sets the limit for one metric.
    pub fn cardinality_limit_for(mut self, metric: &str, limit: usize) -> Self {
        self.config.cardinality.limits.insert(metric.into(), limit);
        self
    }

    /// Bounds how long dropping the guard may take.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown_timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Turns all exporters off.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.config.disabled = disabled;
        self
    }

    /// Validates and returns the configuration.
    ///
    /// # Errors
    /// A [`ConfigError::Invalid`] naming the field and value.
    pub fn build(self) -> Result<TelemetryConfig, ConfigError> {
        self.config.validate()?;
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(feature = "toml", feature = "yaml"))]
    fn toml_and_yaml_files_parse() {
        let toml = r#"
            service_name = "detector"
            environment = "production"
            [metrics]
            listen = "127.0.0.1:9500"
            [traces]
            endpoint = "http://localhost:4317"
            sampler = "parentbased_traceidratio"
            sampler_ratio = 0.01
            [logs]
            format = "pretty"
            [logs.scrub]
            plate_patterns = ['\bZZ\d{4}\b']
        "#;
        let c = TelemetryConfig::from_toml_str(toml).expect("valid TOML");
        assert_eq!(c.service_name, "detector");
        assert_eq!(c.metrics.listen, "127.0.0.1:9500".parse().ok());
        assert_eq!(c.traces.sampler, SamplerKind::ParentbasedTraceIdRatio);
        assert_eq!(c.logs.format, LogFormat::Pretty);
        assert_eq!(c.logs.scrub.plate_patterns.len(), 1);

        let yaml = "service_name: detector\ntraces:\n  endpoint: http://c:4318\n  protocol: http/protobuf\n";
        let c = TelemetryConfig::from_yaml_str(yaml).expect("valid YAML");
        assert_eq!(c.traces.protocol, OtlpProtocol::HttpProtobuf);
    }

    #[test]
    #[cfg(all(feature = "toml", feature = "yaml"))]
    fn file_errors_name_the_field() {
        let err =
            TelemetryConfig::from_toml_str("[traces]\nsampler_ratio = 3.0").expect_err("ratio");
        assert!(
            matches!(&err, ConfigError::Invalid { field, .. } if field == "traces.sampler_ratio"),
            "{err}"
        );
        let err = TelemetryConfig::from_toml_str("[traces]\nendpoint = \"localhost:4317\"")
            .expect_err("scheme");
        assert!(
            matches!(&err, ConfigError::Invalid { field, .. } if field == "traces.endpoint"),
            "{err}"
        );
        let err = TelemetryConfig::from_toml_str("[logs]\nformat = \"xml\"").expect_err("format");
        assert!(err.to_string().contains("format"), "{err}");
        let err = TelemetryConfig::from_toml_str("unknown_key = 1").expect_err("unknown key");
        assert!(err.to_string().contains("unknown_key"), "{err}");
        let err = TelemetryConfig::from_yaml_str("traces:\n  protocol: smoke-signals\n")
            .expect_err("protocol");
        assert!(
            err.to_string().contains("protocol") || err.to_string().contains("smoke-signals"),
            "{err}"
        );
        let err =
            TelemetryConfig::from_toml_str("[metrics]\nlisten = \"nowhere\"").expect_err("listen");
        assert!(err.to_string().contains("listen"), "{err}");
    }

    #[test]
    fn compiled_out_features_are_named() {
        let https = TelemetryConfig::builder("svc")
            .otlp_endpoint("https://collector:4317")
            .build();
        let needed = if cfg!(not(feature = "otlp-grpc")) {
            Some(("traces.protocol", "otlp-grpc"))
        } else if cfg!(not(feature = "tls")) {
            Some(("traces.endpoint", "tls"))
        } else {
            None
        };
        match (https, needed) {
            (Ok(_), None) => {}
            (Err(ConfigError::FeatureDisabled { field, feature, .. }), Some(needed)) => {
                assert_eq!((field.as_str(), feature), needed);
            }
            (other, needed) => panic!("expected {needed:?}, got {other:?}"),
        }
        let http = TelemetryConfig::builder("svc")
            .otlp_endpoint("http://collector:4318")
            .otlp_protocol(OtlpProtocol::HttpProtobuf)
            .build();
        if cfg!(feature = "otlp-http") {
            assert!(http.is_ok(), "{http:?}");
        } else {
            let err = http.expect_err("otlp-http is compiled out");
            assert!(
                matches!(&err, ConfigError::FeatureDisabled { field, feature: "otlp-http", .. } if field == "traces.protocol"),
                "{err}"
            );
            assert!(
                err.to_string().contains("features = [\"otlp-http\"]"),
                "{err}"
            );
        }
        let push = TelemetryConfig::builder("svc")
            .push_gateway("http://gateway:9091", 5)
            .build();
        assert_eq!(push.is_ok(), cfg!(feature = "push-gateway"), "{push:?}");
        let file = std::env::temp_dir().join(format!("its-telemetry-{}.yaml", std::process::id()));
        std::fs::write(&file, "service_name: detector\n").expect("write");
        let from_file = TelemetryConfig::from_file(&file);
        let _ = std::fs::remove_file(&file);
        if cfg!(feature = "yaml") {
            assert_eq!(from_file.expect("yaml").service_name, "detector");
        } else {
            assert!(
                matches!(
                    from_file,
                    Err(ConfigError::FeatureDisabled {
                        feature: "yaml",
                        ..
                    })
                ),
                "{from_file:?}"
            );
        }
    }

    #[test]
    fn otlp_logs_need_the_feature_and_an_endpoint() {
        if cfg!(feature = "otlp-logs") {
            if cfg!(feature = "otlp-grpc") {
                let config = TelemetryConfig::builder("svc")
                    .otlp_endpoint("http://collector:4317")
                    .otlp_logs(true)
                    .build();
                assert!(config.expect("otlp-logs is compiled in").logs.otlp);
            }
            let err = TelemetryConfig::builder("svc")
                .otlp_logs(true)
                .build()
                .expect_err("no endpoint");
            assert!(
                matches!(&err, ConfigError::Invalid { field, .. } if field == "logs.otlp"),
                "{err}"
            );
            assert!(
                err.to_string().contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
                "{err}"
            );
        } else {
            // No endpoint: the feature is named before anything else is asked for.
            let config = TelemetryConfig::builder("svc").otlp_logs(true).build();
            let err = config.expect_err("otlp-logs is compiled out");
            assert!(
                matches!(
                    &err,
                    ConfigError::FeatureDisabled { field, value, feature: "otlp-logs" }
                        if field == "logs.otlp" && value == "true"
                ),
                "{err}"
            );
            assert!(
                err.to_string().contains("features = [\"otlp-logs\"]"),
                "{err}"
            );
        }
        let off = TelemetryConfig::builder("svc").otlp_logs(false).build();
        assert!(!off.expect("off is always valid").logs.otlp);
    }

    #[test]
    fn endpoint_ports_are_checked() {
        for bad in ["http://collector:0", "http://collector:70000"] {
            let err = TelemetryConfig::builder("svc")
                .otlp_endpoint(bad)
                .build()
                .expect_err(bad);
            assert!(err.to_string().contains("traces.endpoint"), "{err}");
        }
    }

    #[test]
    fn unnamed_services_follow_the_opentelemetry_rule() {
        let config = TelemetryConfig::from_lookup(|_| None).expect("empty environment");
        assert!(
            config.service_name.starts_with("unknown_service:"),
            "{}",
            config.service_name
        );
        assert_eq!(config.service_name, default_service_name());
    }

    #[test]
    fn invalid_scrub_pattern_names_the_field_and_pattern() {
        let mut config = TelemetryConfig::default();
        config.logs.scrub.extra_patterns = vec!["(unclosed".into()];
        match config.validate() {
            Err(ConfigError::Invalid { field, value, .. }) => {
                assert_eq!(field, "logs.scrub.extra_patterns[0]");
                assert_eq!(value, "(unclosed");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn builder_validates() {
        let err = TelemetryConfig::builder("svc")
            .sampler_ratio(-0.5)
            .build()
            .expect_err("ratio");
        assert!(err.to_string().contains("traces.sampler_ratio"), "{err}");
        let err = TelemetryConfig::builder(" ").build().expect_err("name");
        assert!(err.to_string().contains("service_name"), "{err}");
        let err = TelemetryConfig::builder("svc")
            .push_gateway("https://gw", 5)
            .build()
            .expect_err("https");
        assert!(
            err.to_string().contains("metrics.push_gateway.endpoint"),
            "{err}"
        );
    }
}
