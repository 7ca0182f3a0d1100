//! [`Telemetry`]: every piece built, nothing installed yet.

use std::net::SocketAddr;
use std::sync::Mutex;

use crate::prometheus::{PrometheusHandle, PrometheusRecorder};
#[cfg(feature = "traces")]
use opentelemetry_sdk::trace::SdkTracer;
use tokio::sync::watch;
#[cfg(feature = "traces")]
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
#[cfg(feature = "traces")]
use tracing_subscriber::registry::LookupSpan;

use super::InitError;
use super::background::BackgroundRuntime;
use super::guard::{Background, TelemetryGuard};
use super::log_pipeline::LogPipeline;
use super::trace_pipeline::TracePipeline;
use crate::config::{ConfigError, TelemetryConfig};
use crate::logs::{LogLayer, Scrubber};
use crate::{cardinality, deferred_recorder, prometheus};

/// Held while installing; `true` once telemetry is installed in this process.
static INSTALLED: Mutex<bool> = Mutex::new(false);

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

/// Telemetry built from a configuration, with nothing installed: the builder path, for
/// applications that compose it with their own subscriber or want to check everything before
/// touching process-wide state. [`crate::try_init`] is `Telemetry::build(config)?.install()`.
///
/// The socket of the `/metrics` endpoint is bound and the OTLP exporter built by
/// [`build`](Self::build), so a port in use or a bad endpoint fails there, before anything is
/// installed. Dropping a `Telemetry` without installing it releases everything.
///
#[cfg_attr(
    feature = "traces",
    doc = r#"
Beside an application's own subscriber:

```no_run
use its_telemetry::{Telemetry, TelemetryConfig};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

let config = TelemetryConfig::builder("detector").without_logs().build()?;
let telemetry = Telemetry::build(config)?;
tracing_subscriber::registry()
    .with(tracing_subscriber::fmt::layer()) // the application's own log layer
    .with(telemetry.otel_layer()) // spans to OTLP, trace ids for the logs
    .init();
let _guard = telemetry.install_without_subscriber()?; // metrics, propagator, exporter
# Ok::<(), Box<dyn std::error::Error>>(())
```
"#
)]
#[derive(Debug)]
#[must_use = "nothing is installed until install() or install_without_subscriber() is called"]
pub struct Telemetry {
    config: TelemetryConfig,
    runtime: Option<BackgroundRuntime>,
    recorder: Option<PrometheusRecorder>,
    listener: Option<std::net::TcpListener>,
    traces: Option<TracePipeline>,
    logs: Option<LogPipeline>,
    scrubber: Scrubber,
}

impl Telemetry {
    /// Validates `config` and builds every piece: the background runtime, the Prometheus
    /// recorder, the bound `/metrics` socket and the OTLP exporter. Touches no global state.
    ///
    /// # Errors
    /// [`InitError::Config`] for an invalid configuration or a compiled-out feature,
    /// [`InitError::MetricsListen`] when the address cannot be bound,
    /// [`InitError::TraceExporter`] when the exporter cannot be built or its host does not
    /// resolve, [`InitError::Runtime`] when threads cannot be started.
    pub fn build(config: TelemetryConfig) -> Result<Self, InitError> {
        config.validate()?;
        let scrubber = Scrubber::new(&config.logs.scrub).map_err(ConfigError::from)?;
        if config.disabled {
            return Ok(Self {
                config,
                runtime: None,
                recorder: None,
                listener: None,
                traces: None,
                logs: None,
                scrubber,
            });
        }
        let runtime = BackgroundRuntime::start().map_err(InitError::Runtime)?;
        let (recorder, listener) = if config.metrics.enabled {
            let listener = config
                .metrics
                .listen
                .map(|addr| {
                    prometheus::endpoint::bind(addr)
                        .map_err(|source| InitError::MetricsListen { addr, source })
                })
                .transpose()?;
            (Some(prometheus::build_recorder(&config)), listener)
        } else {
            (None, None)
        };
        let handle = runtime
            .handle()
            .ok_or_else(|| InitError::Runtime(std::io::Error::other("runtime stopped")))?;
        let traces = TracePipeline::build(&config, handle)?;
        let logs = match LogPipeline::build(&config, handle) {
            Ok(logs) => logs,
            Err(e) => {
                if let Some(traces) = traces {
                    traces.discard();
                }
                return Err(e);
            }
        };
        Ok(Self {
            traces,
            logs,
            runtime: Some(runtime),
            recorder,
            listener,
            config,
            scrubber,
        })
    }

    /// The configuration this was built from.
    #[must_use]
    pub fn config(&self) -> &TelemetryConfig {
        &self.config
    }

    /// The address the `/metrics` socket is bound to (useful with port 0), if one is served.
    #[must_use]
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// A handle that renders the exposition; `None` when metrics are off.
    #[must_use]
    pub fn prometheus_handle(&self) -> Option<PrometheusHandle> {
        self.recorder.as_ref().map(PrometheusRecorder::handle)
    }

    /// The layer that turns `tracing` spans into OpenTelemetry spans (exported when an OTLP
    /// endpoint is configured) and gives log lines their trace ids (feature `traces`). Add it
    /// to your own subscriber with
    /// [`install_without_subscriber`](Self::install_without_subscriber); with telemetry
    /// disabled it records nothing.
    #[cfg(feature = "traces")]
    #[must_use]
    pub fn otel_layer<S>(&self) -> tracing_opentelemetry::OpenTelemetryLayer<S, SdkTracer>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        use opentelemetry::trace::TracerProvider as _;
        let tracer = match &self.traces {
            Some(traces) => traces.tracer().clone(),
            // Disabled: a provider without processors, so spans cost little and go nowhere.
            None => opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOff)
                .build()
                .tracer("its-telemetry"),
        };
        tracing_opentelemetry::layer().with_tracer(tracer)
    }

    /// The JSON (or pretty) log layer with PII scrubbing, writing to standard output; `None`
    /// when logs are turned off in the configuration. Use
    /// [`LogLayer::with_writer`] to write elsewhere.
    #[must_use]
    pub fn log_layer(&self) -> Option<LogLayer> {
        self.config.logs.enabled.then(|| {
            LogLayer::new(
                self.config.logs.format,
                self.config.service_name.clone(),
                self.scrubber.clone(),
            )
        })
    }

    /// The layer that exports each event as an OpenTelemetry log record over OTLP, scrubbed
    /// like the log lines and carrying trace and span ids (feature `otlp-logs`); `None` unless
    /// `logs.otlp` is on and telemetry is enabled. [`install`](Self::install) adds it; add it to
    /// your own subscriber with [`install_without_subscriber`](Self::install_without_subscriber).
    #[cfg(feature = "otlp-logs")]
    #[must_use]
    pub fn otlp_log_layer(&self) -> Option<crate::logs::OtlpLogLayer> {
        self.logs
            .as_ref()
            .map(|logs| logs.layer(self.scrubber.clone()))
    }

    /// The configured level filter (`logs.filter`), with chatty exporter dependencies kept
    /// quiet unless the filter names them.
    #[must_use]
    pub fn filter(&self) -> EnvFilter {
        // The directives were validated by `build`; the fallback is unreachable in practice.
        build_filter(&self.config.logs.filter).unwrap_or_else(|_| EnvFilter::new("info"))
    }

    /// Installs everything: a global subscriber (filter, OpenTelemetry layer, log layer to
    /// standard output), the metrics recorder, the W3C propagator and the tracer provider, and
    /// starts the background work.
    ///
    /// With logs turned off (`without_logs()`) and a subscriber already installed by the
    /// application, that subscriber is kept and a warning says that spans are exported only
    /// if it contains `otel_layer()` (feature `traces`).
    ///
    /// # Errors
    /// [`InitError::AlreadyInitialized`], [`InitError::SubscriberInstalled`] (logs on and a
    /// subscriber already there), [`InitError::MetricsRecorderInstalled`]. Nothing is installed
    /// when it fails.
    pub fn install(self) -> Result<TelemetryGuard, InitError> {
        self.install_with_log_writer(std::io::stdout)
    }

    /// Like [`install`](Self::install), writing log lines to `writer`.
    ///
    /// # Errors
    /// As [`install`](Self::install).
    pub fn install_with_log_writer<W>(self, writer: W) -> Result<TelemetryGuard, InitError>
    where
        W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
    {
        let logs = self.log_layer().map(|layer| layer.with_writer(writer));
        #[cfg(feature = "traces")]
        let spans = self.traces.is_some().then(|| self.otel_layer());
        #[cfg(not(feature = "traces"))]
        let spans: Option<tracing_subscriber::layer::Identity> = None;
        #[cfg(feature = "otlp-logs")]
        let records = self.otlp_log_layer();
        #[cfg(not(feature = "otlp-logs"))]
        let records: Option<tracing_subscriber::layer::Identity> = None;
        let subscriber = tracing_subscriber::registry()
            .with(self.filter())
            .with(spans)
            .with(logs)
            .with(records);
        let must_own_subscriber = self.config.logs.enabled;
        self.install_with(
            move || match tracing::subscriber::set_global_default(subscriber) {
                Ok(()) => Ok(SubscriberOutcome::Installed),
                Err(_) if must_own_subscriber => Err(InitError::SubscriberInstalled),
                Err(_) => Ok(SubscriberOutcome::KeptApplications),
            },
        )
    }

    /// Installs everything except a subscriber: the application has built its own with
    /// `otel_layer()` (feature `traces`; and [`log_layer`](Self::log_layer), if it wants our
    /// log lines) and installed it.
    ///
    /// # Errors
    /// [`InitError::AlreadyInitialized`], [`InitError::MetricsRecorderInstalled`]. Nothing is
    /// installed when it fails.
    pub fn install_without_subscriber(self) -> Result<TelemetryGuard, InitError> {
        self.install_with(|| Ok(SubscriberOutcome::LeftToApplication))
    }

    /// Installs the global pieces in an order where only the first steps can fail, and they
    /// leave nothing behind: the recorder slot (our deferred recorder, harmless without a
    /// target), then the subscriber.
    fn install_with(
        self,
        install_subscriber: impl FnOnce() -> Result<SubscriberOutcome, InitError>,
    ) -> Result<TelemetryGuard, InitError> {
        let mut installed = INSTALLED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *installed {
            self.discard();
            return Err(InitError::AlreadyInitialized);
        }
        let ours = deferred_recorder::ensure_installed();
        if self.recorder.is_some() && !ours {
            self.discard();
            return Err(InitError::MetricsRecorderInstalled);
        }
        let subscriber = match install_subscriber() {
            Ok(outcome) => outcome,
            Err(e) => {
                self.discard();
                return Err(e);
            }
        };
        *installed = true;
        drop(installed);
        Ok(self.start(ours, subscriber))
    }

    /// Releases what `build` made, from any context: the span pipeline's shutdown may block
    /// (STACK.md trap 2), so it runs on a plain thread; the runtime stops without blocking.
    fn discard(self) {
        if let Some(traces) = self.traces {
            traces.discard();
        }
        if let Some(logs) = self.logs {
            logs.discard();
        }
    }

    /// Everything after the point of no failure: the recorder's target, limits, propagation,
    /// the tracer provider and the background tasks.
    fn start(self, recorder_is_ours: bool, subscriber: SubscriberOutcome) -> TelemetryGuard {
        let Self {
            config,
            runtime,
            recorder,
            listener,
            traces,
            logs,
            scrubber: _,
        } = self;
        if subscriber == SubscriberOutcome::KeptApplications {
            tracing::warn!(
                "its-telemetry: a tracing subscriber was already installed and logs are off, so \
                 it was kept; spans are exported only if it contains Telemetry::otel_layer()"
            );
        }
        let handle = recorder.as_ref().map(PrometheusRecorder::handle);
        if recorder_is_ours {
            let target: Box<dyn metrics::Recorder + Send + Sync> = match recorder {
                Some(recorder) => Box::new(recorder),
                None => Box::new(metrics::NoopRecorder),
            };
            report_resolved(deferred_recorder::set_target(target));
        }
        for over in cardinality::global().reconfigure(&config.cardinality) {
            tracing::warn!(
                metric = over.metric,
                admitted = over.admitted,
                limit = over.limit,
                "more label values were admitted before init than the configured cardinality \
                 limit allows; they keep their series, new values fold into `_overflow`"
            );
        }
        if handle.is_some() {
            prometheus::record_build_info(&config);
        }
        opentelemetry::global::set_text_map_propagator(
            crate::http::propagation::W3cPropagator::new(),
        );
        if let Some(traces) = &traces {
            traces.install_global();
        }

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut metrics_addr = None;
        #[cfg(feature = "push-gateway")]
        let mut pusher = None;
        if let (Some(runtime), Some(handle)) = (runtime.as_ref().and_then(|r| r.handle()), &handle)
        {
            let _entered = runtime.enter();
            if let Some(listener) = listener {
                metrics_addr = listener.local_addr().ok();
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        runtime.spawn(prometheus::endpoint::serve(
                            listener,
                            config.metrics.path.clone(),
                            handle.clone(),
                            shutdown_rx.clone(),
                        ));
                    }
                    Err(error) => {
                        metrics_addr = None;
                        tracing::error!(%error, "cannot serve /metrics; metrics are not scraped");
                    }
                }
            }
            #[cfg(feature = "push-gateway")]
            if let Some(push) = &config.metrics.push_gateway {
                let p = prometheus::push_gateway::Pusher::new(
                    push,
                    &config.service_name,
                    handle.clone(),
                );
                runtime.spawn(p.clone().run(
                    std::time::Duration::from_secs(push.interval_secs),
                    shutdown_rx.clone(),
                ));
                pusher = Some(p);
            }
        }
        tracing::debug!(
            metrics = ?metrics_addr,
            traces = ?config.traces.endpoint,
            otlp_logs = config.logs.otlp && !config.disabled,
            "its-telemetry initialized"
        );
        TelemetryGuard {
            metrics_addr,
            handle,
            background: runtime.map(|runtime| Background {
                runtime,
                shutdown_tx,
                traces,
                logs,
                #[cfg(feature = "push-gateway")]
                pusher,
            }),
            timeout: config.shutdown_timeout(),
        }
    }
}

/// What happened to the global subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubscriberOutcome {
    Installed,
    KeptApplications,
    LeftToApplication,
}

fn report_resolved(
    resolved: Result<deferred_recorder::Resolved, Box<dyn metrics::Recorder + Send + Sync>>,
) {
    match resolved {
        Ok(resolved) if resolved.samples_dropped > 0 => tracing::warn!(
            dropped = resolved.samples_dropped,
            buffer = deferred_recorder::HISTOGRAM_BUFFER,
            "histogram samples recorded before init exceeded the per-handle buffer and were \
             dropped; call try_init earlier"
        ),
        Ok(_) => {}
        // Unreachable: INSTALLED allows one successful install per process.
        Err(_) => tracing::error!("the metrics recorder already had a target; metrics not changed"),
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
