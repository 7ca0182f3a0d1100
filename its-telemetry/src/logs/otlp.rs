//! Log records over OTLP (feature `otlp-logs`): [`OtlpLogLayer`] turns each `tracing` event
//! into an OpenTelemetry log record, scrubbed exactly like the JSON lines, and hands it to a
//! bounded batch processor that exports to the traces' OTLP endpoint.
//!
//! # Why a layer of our own, not `opentelemetry-appender-tracing`
//! The appender records every field as it is given: a plate in the message or an e-mail in a
//! field would leave the process unscrubbed (DESIGN: privacy covers every signal, before
//! anything leaves). This layer runs the events through the same [`ScrubbingVisitor`] as the
//! JSON layer — scrubbed message as the body, scrubbed text fields, `[REDACTED:field]` for
//! sensitive names, numbers and booleans kept typed — so the two outputs cannot drift apart.
//!
//! # What a record carries
//! Body: the scrubbed message. Attributes: the event's fields, `code.file.path` and
//! `code.line.number`. Severity number and text from the level; the event's target as the
//! instrumentation scope name (as the OTLP exporter groups records). The trace id, span id and
//! flags of the current OpenTelemetry span, the same context the JSON lines read.
//!
//! # Never blocks, never loops
//! Emitting costs the record's construction and a `try_send` into the batch processor's queue;
//! an [`ExportBudget`] in front of it admits a record only while fewer than
//! [`MAX_QUEUED_RECORDS`] wait, and counts the others in
//! `its_telemetry_export_dropped_total{signal="logs"}`. Events from the export machinery
//! itself (the OTel SDK, tonic, hyper, h2, tower, reqwest, the SDK's own export warnings) are
//! not turned into records, nor is anything logged while telemetry is suppressed (the batch
//! processor's thread) or while this layer is already emitting on the thread: a failing export
//! cannot feed itself.
//!
//! The filter of the subscriber (`logs.filter`, `RUST_LOG`) applies: the layer sits under the
//! same global `EnvFilter` as the JSON layer.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{
    BatchConfigBuilder, BatchLogProcessor, LogBatch, LogExporter, LogProcessor, SdkLogRecord,
    SdkLogger, SdkLoggerProvider,
};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::fields::{FieldSink, ScrubbingVisitor, Value};
use super::layer::current_otel_context;
use crate::config::{OtlpProtocol, TelemetryConfig};
use crate::export_budget::ExportBudget;
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
use crate::otlp_export::EXPORT_TIMEOUT;
#[cfg(feature = "otlp-http")]
use crate::otlp_export::http_signal_url;
use crate::otlp_export::{MAX_QUEUED_RECORDS, SCHEDULED_DELAY, compiled_out, resource};
use crate::privacy::Scrubber;

/// Targets whose events are never exported as log records: the export path's own diagnostics.
/// A prefix matches the target itself and its submodules (`h2` matches `h2::proto`, not `h2o`);
/// `opentelemetry` matches every OTel crate (`opentelemetry_sdk`, `opentelemetry-otlp`).
const EXPORT_PATH_TARGETS: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "tonic",
    "tower",
    "reqwest",
    "its_telemetry::traces",
    EXPORT_WARNING_TARGET,
];

/// The target of this pipeline's own export warning.
const EXPORT_WARNING_TARGET: &str = "its_telemetry::logs::export";

fn is_export_path(target: &str) -> bool {
    target.starts_with("opentelemetry")
        || EXPORT_PATH_TARGETS.iter().any(|prefix| {
            target
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

thread_local! {
    /// Set while this thread is inside [`OtlpLogLayer::on_event`].
    static EMITTING: Cell<bool> = const { Cell::new(false) };
}

/// Marks the thread as emitting; `None` when it already is (an event from inside the export
/// path on the same thread).
struct EmittingGuard;

impl EmittingGuard {
    fn enter() -> Option<Self> {
        EMITTING
            .try_with(|emitting| (!emitting.replace(true)).then_some(Self))
            .ok()
            .flatten()
    }
}

impl Drop for EmittingGuard {
    fn drop(&mut self) {
        let _ = EMITTING.try_with(|emitting| emitting.set(false));
    }
}

/// A [`Layer`] that exports each event as an OpenTelemetry log record over OTLP, scrubbed
/// like the JSON lines and carrying the current span's trace id and span id (feature
/// `otlp-logs`). Get it from [`Telemetry::otlp_log_layer`](crate::Telemetry::otlp_log_layer);
/// [`Telemetry::install`](crate::Telemetry::install) adds it when `logs.otlp` is on.
pub struct OtlpLogLayer {
    logger: SdkLogger,
    scrubber: Scrubber,
}

impl std::fmt::Debug for OtlpLogLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpLogLayer")
            .field("scrubber", &self.scrubber)
            .finish_non_exhaustive()
    }
}

impl OtlpLogLayer {
    /// A layer emitting to `provider`'s processors.
    pub(crate) fn new(provider: &SdkLoggerProvider, scrubber: Scrubber) -> Self {
        Self {
            logger: provider.logger("its-telemetry"),
            scrubber,
        }
    }

    fn record(&self, event: &Event<'_>) -> SdkLogRecord {
        let meta = event.metadata();
        let mut record = self.logger.create_log_record();
        record.set_timestamp(SystemTime::now());
        let (number, text) = severity(*meta.level());
        record.set_severity_number(number);
        record.set_severity_text(text);
        record.set_target(meta.target());
        let mut scratch = String::new();
        event.record(&mut ScrubbingVisitor {
            scrubber: &self.scrubber,
            scratch: &mut scratch,
            sink: RecordFields {
                record: &mut record,
            },
        });
        if let Some(file) = meta.file() {
            record.add_attribute("code.file.path", file);
        }
        if let Some(line) = meta.line() {
            record.add_attribute("code.line.number", i64::from(line));
        }
        if let Some((trace_id, span_id, flags)) = current_otel_context() {
            record.set_trace_context(trace_id, span_id, Some(flags));
        }
        record
    }
}

impl<S: Subscriber> Layer<S> for OtlpLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if is_export_path(event.metadata().target())
            || opentelemetry::Context::is_current_telemetry_suppressed()
        {
            return;
        }
        let Some(_emitting) = EmittingGuard::enter() else {
            return;
        };
        self.logger.emit(self.record(event));
    }
}

/// OTel severity number and text for a `tracing` level.
fn severity(level: Level) -> (Severity, &'static str) {
    let number = match level {
        Level::TRACE => Severity::Trace,
        Level::DEBUG => Severity::Debug,
        Level::INFO => Severity::Info,
        Level::WARN => Severity::Warn,
        Level::ERROR => Severity::Error,
    };
    (number, level.as_str())
}

/// Puts scrubbed fields into a log record: the message as the body, the rest as attributes.
struct RecordFields<'a> {
    record: &'a mut SdkLogRecord,
}

impl FieldSink for RecordFields<'_> {
    fn message(&mut self, message: &str) {
        self.record.set_body(AnyValue::from(message.to_owned()));
    }

    fn field(&mut self, name: &'static str, value: Value<'_>) {
        let value = match value {
            Value::Text(text) => AnyValue::from(text.to_owned()),
            Value::Redacted(marker) => AnyValue::from(marker),
            Value::Bool(b) => AnyValue::Boolean(b),
            Value::I64(n) => AnyValue::Int(n),
            Value::U64(n) => i64::try_from(n).map_or_else(|_| n.to_string().into(), AnyValue::Int),
            Value::I128(n) => i64::try_from(n).map_or_else(|_| n.to_string().into(), AnyValue::Int),
            Value::U128(n) => i64::try_from(n).map_or_else(|_| n.to_string().into(), AnyValue::Int),
            Value::F64(x) => AnyValue::Double(x),
        };
        self.record.add_attribute(name, value);
    }
}

/// Builds the logger provider exporting to `endpoint` with the traces' protocol. Must run
/// where the trace provider is built (inside the SDK runtime's context, outside any async one).
///
/// # Errors
/// The exporter's message when it cannot be built, or the feature to enable when the
/// protocol is compiled out (validation catches that first).
pub(crate) fn build_provider(
    config: &TelemetryConfig,
    endpoint: &str,
) -> Result<SdkLoggerProvider, String> {
    Ok(batching_provider(
        build_exporter(config.traces.protocol, endpoint)?,
        MAX_QUEUED_RECORDS,
        resource(config),
    ))
}

/// `exporter` behind a batch processor of `capacity` records with an [`ExportBudget`] of the
/// same capacity in front, so every record the processor would shed is counted first.
fn batching_provider<E: LogExporter + 'static>(
    exporter: E,
    capacity: usize,
    resource: Resource,
) -> SdkLoggerProvider {
    let budget = Arc::new(ExportBudget::new("logs", capacity));
    let batch = BatchLogProcessor::builder(ReportingExporter {
        inner: exporter,
        budget: Arc::clone(&budget),
    })
    .with_batch_config(
        BatchConfigBuilder::default()
            .with_max_queue_size(capacity)
            .with_scheduled_delay(SCHEDULED_DELAY)
            .build(),
    )
    .build();
    SdkLoggerProvider::builder()
        .with_log_processor(BudgetedProcessor {
            inner: batch,
            budget,
        })
        .with_resource(resource)
        .build()
}

/// The OTLP log exporter for `protocol`, if it is compiled in.
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
fn build_exporter(
    protocol: OtlpProtocol,
    endpoint: &str,
) -> Result<opentelemetry_otlp::LogExporter, String> {
    use opentelemetry_otlp::WithExportConfig as _;
    let built = match protocol {
        #[cfg(feature = "otlp-grpc")]
        OtlpProtocol::Grpc => opentelemetry_otlp::LogExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(EXPORT_TIMEOUT)
            .build(),
        #[cfg(feature = "otlp-http")]
        OtlpProtocol::HttpProtobuf => opentelemetry_otlp::LogExporter::builder()
            .with_http()
            .with_endpoint(http_signal_url(endpoint, "logs"))
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_timeout(EXPORT_TIMEOUT)
            .build(),
        #[allow(unreachable_patterns)] // only reachable when one protocol is compiled out
        other => return Err(compiled_out(other)),
    };
    built.map_err(|e| e.to_string())
}

/// No OTLP exporter is compiled in (validation names the feature before this is reached).
#[cfg(not(any(feature = "otlp-grpc", feature = "otlp-http")))]
fn build_exporter(protocol: OtlpProtocol, _endpoint: &str) -> Result<NoExporter, String> {
    Err(compiled_out(protocol))
}

/// Stands for the exporter type when no OTLP protocol is compiled in; never built.
#[cfg(not(any(feature = "otlp-grpc", feature = "otlp-http")))]
#[derive(Debug)]
enum NoExporter {}

#[cfg(not(any(feature = "otlp-grpc", feature = "otlp-http")))]
impl LogExporter for NoExporter {
    async fn export(&self, _batch: LogBatch<'_>) -> OTelSdkResult {
        match *self {}
    }
}

/// Hands a record to the batch processor only if the export budget has room for it.
#[derive(Debug)]
struct BudgetedProcessor<P> {
    inner: P,
    budget: Arc<ExportBudget>,
}

impl<P: LogProcessor> LogProcessor for BudgetedProcessor<P> {
    fn emit(&self, record: &mut SdkLogRecord, scope: &opentelemetry::InstrumentationScope) {
        if self.budget.admit() {
            self.inner.emit(record, scope);
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

/// Wraps the OTLP exporter to release the budget, count failed exports and lost records, and
/// warn once.
#[derive(Debug)]
struct ReportingExporter<E> {
    inner: E,
    budget: Arc<ExportBudget>,
}

impl<E: LogExporter> LogExporter for ReportingExporter<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let records = batch.iter().count();
        self.budget.release(records);
        let result = self.inner.export(batch).await;
        if let Err(error) = &result {
            if self.budget.export_failed(records) {
                // Its target is one the layer never exports, so this cannot loop.
                tracing::warn!(
                    target: EXPORT_WARNING_TARGET,
                    %error,
                    "cannot export log records to the OTLP collector; the service carries on, \
                     records beyond the queue are dropped (reported once, counted in \
                     its_telemetry_export_failures_total and its_telemetry_export_dropped_total)"
                );
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc;

    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry::{InstrumentationScope, Key};
    use opentelemetry_sdk::logs::InMemoryLogExporter;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    use tracing::{info, info_span, warn};
    use tracing_subscriber::Registry;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;
    use crate::catalog::sdk;
    use crate::logs::ScrubConfig;
    use crate::privacy::FIELD_MARKER;
    use crate::test_support::Snapshot;

    fn default_scrubber() -> Scrubber {
        Scrubber::new(&ScrubConfig::default()).expect("default patterns compile")
    }

    fn attribute<'a>(record: &'a SdkLogRecord, key: &str) -> Option<&'a AnyValue> {
        record
            .attributes_iter()
            .find(|(k, _)| k == &Key::new(key.to_owned()))
            .map(|(_, v)| v)
    }

    fn text(value: Option<&AnyValue>) -> String {
        match value {
            Some(AnyValue::String(s)) => s.as_str().to_owned(),
            other => panic!("expected a string, got {other:?}"),
        }
    }

    /// Runs `f` under Registry + OTel span layer + OtlpLogLayer; returns the records and spans.
    fn run(f: impl FnOnce()) -> (Vec<SdkLogRecord>, Vec<opentelemetry_sdk::trace::SpanData>) {
        let logs = InMemoryLogExporter::default();
        let provider = batching_provider(logs.clone(), 64, Resource::builder_empty().build());
        let spans = InMemorySpanExporter::default();
        let tracer_provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let subscriber = Registry::default()
            .with(tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("test")))
            .with(OtlpLogLayer::new(&provider, default_scrubber()));
        tracing::subscriber::with_default(subscriber, f);
        provider.force_flush().expect("flush logs");
        tracer_provider.force_flush().expect("flush spans");
        let records = logs
            .get_emitted_logs()
            .expect("records")
            .into_iter()
            .map(|l| l.record)
            .collect();
        (records, spans.get_finished_spans().expect("spans"))
    }

    #[test]
    fn records_are_scrubbed_typed_and_linked_to_the_span() {
        let (records, spans) = run(|| {
            info!("before any span");
            let span = info_span!("infer yolo");
            let _entered = span.enter();
            warn!(
                camera_id = "cam-0042",
                frames = 25u64,
                delta = -3i64,
                ok = true,
                ratio = 0.5,
                huge = u64::MAX,
                plate = "XY99 ZZZ",
                token = 42u64,
                client = "192.168.1.20",
                note = ?"mail jane.doe@example.com",
                "plate AB12 CDE seen by {}",
                "cam-0042"
            );
        });
        assert_eq!(records.len(), 2, "{records:#?}");
        assert!(records[0].trace_context().is_none(), "outside a span");

        let record = &records[1];
        assert_eq!(record.severity_number(), Some(Severity::Warn));
        assert_eq!(record.severity_text(), Some("WARN"));
        assert_eq!(record.target().map(|t| t.as_ref()), Some(module_path!()));
        assert!(record.timestamp().is_some());
        assert_eq!(
            text(record.body()),
            "plate [REDACTED:plate] seen by cam-0042"
        );
        assert_eq!(text(attribute(record, "camera_id")), "cam-0042");
        assert_eq!(attribute(record, "frames"), Some(&AnyValue::Int(25)));
        assert_eq!(attribute(record, "delta"), Some(&AnyValue::Int(-3)));
        assert_eq!(attribute(record, "ok"), Some(&AnyValue::Boolean(true)));
        assert_eq!(attribute(record, "ratio"), Some(&AnyValue::Double(0.5)));
        assert_eq!(text(attribute(record, "huge")), u64::MAX.to_string());
        assert_eq!(text(attribute(record, "plate")), FIELD_MARKER);
        assert_eq!(text(attribute(record, "token")), FIELD_MARKER);
        assert_eq!(text(attribute(record, "client")), "[REDACTED:ip]");
        assert_eq!(text(attribute(record, "note")), "\"mail [REDACTED:email]\"");
        assert_eq!(text(attribute(record, "code.file.path")), file!());
        assert!(matches!(
            attribute(record, "code.line.number"),
            Some(AnyValue::Int(n)) if *n > 0
        ));

        let all = format!("{records:?}");
        for secret in [
            "AB12 CDE",
            "XY99 ZZZ",
            "192.168.1.20",
            "jane.doe@example.com",
        ] {
            assert!(!all.contains(secret), "{secret} leaked: {all}");
        }

        assert_eq!(spans.len(), 1);
        let exported = &spans[0].span_context;
        let linked = record
            .trace_context()
            .expect("trace context inside the span");
        assert_eq!(linked.trace_id, exported.trace_id());
        assert_eq!(linked.span_id, exported.span_id());
        assert_eq!(linked.trace_flags, Some(exported.trace_flags()));
    }

    #[test]
    fn severities_follow_the_level() {
        let (records, _) = run(|| {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let severities: Vec<_> = records
            .iter()
            .map(|r| (r.severity_number(), r.severity_text()))
            .collect();
        assert_eq!(
            severities,
            [
                (Some(Severity::Trace), Some("TRACE")),
                (Some(Severity::Debug), Some("DEBUG")),
                (Some(Severity::Info), Some("INFO")),
                (Some(Severity::Warn), Some("WARN")),
                (Some(Severity::Error), Some("ERROR")),
            ]
        );
    }

    #[test]
    fn the_export_path_is_never_exported() {
        let (records, _) = run(|| {
            warn!(target: "opentelemetry_sdk", "BatchLogProcessor.ExportError");
            warn!(target: "opentelemetry-otlp", "export failed");
            warn!(target: "tonic::transport", "connection refused");
            warn!(target: "h2::proto", "reset");
            warn!(target: "its_telemetry::logs::export", "cannot export log records");
            warn!(target: "its_telemetry::traces", "cannot export spans");
            {
                let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
                warn!("logged while telemetry is suppressed");
            }
            warn!(target: "h2o_sensor", "kept: not a dependency's target");
            warn!(target: "its_telemetry::logs::exporter", "kept: not the export target");
        });
        let bodies: Vec<_> = records.iter().map(|r| text(r.body())).collect();
        assert_eq!(
            bodies,
            [
                "kept: not a dependency's target",
                "kept: not the export target"
            ]
        );
        assert!(is_export_path("opentelemetry"));
        assert!(is_export_path("hyper_util::client"));
        assert!(!is_export_path("hyperion"));
    }

    /// An exporter that says when it is entered and then waits for a go.
    #[derive(Debug)]
    struct Stalled {
        entered: Mutex<mpsc::Sender<usize>>,
        go: Mutex<mpsc::Receiver<()>>,
    }

    impl LogExporter for Stalled {
        async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
            let records = batch.iter().count();
            let _ = self.entered.lock().expect("not poisoned").send(records);
            let _ = self
                .go
                .lock()
                .expect("not poisoned")
                .recv_timeout(Duration::from_secs(10));
            Ok(())
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_blocking() {
        let (entered_tx, entered_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel();
        let provider = batching_provider(
            Stalled {
                entered: Mutex::new(entered_tx),
                go: Mutex::new(go_rx),
            },
            2,
            Resource::builder_empty().build(),
        );
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let layer = OtlpLogLayer::new(&provider, Scrubber::disabled());
        metrics::with_local_recorder(&recorder, || {
            tracing::subscriber::with_default(Registry::default().with(layer), || {
                info!("first");
                info!("second"); // a full batch: the exporter takes both and stalls
                let taken = entered_rx
                    .recv_timeout(Duration::from_secs(10))
                    .expect("the exporter was entered");
                assert_eq!(taken, 2);
                let started = std::time::Instant::now();
                for i in 0..10 {
                    info!(i, "while the exporter is stalled");
                }
                assert!(
                    started.elapsed() < Duration::from_secs(1),
                    "emitting blocked: {:?}",
                    started.elapsed()
                );
            });
        });
        let snapshot = Snapshot::take(&snapshotter);
        assert_eq!(
            snapshot.counter(
                sdk::EXPORT_DROPPED.name,
                &[("signal", "logs"), ("reason", "queue_full")]
            ),
            8,
            "2 of the 10 fit the queue of 2"
        );
        go_tx.send(()).expect("release the first batch");
        go_tx.send(()).expect("release the second batch");
        let second = entered_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the queued records are exported");
        assert_eq!(second, 2);
        let _ = provider.shutdown_with_timeout(Duration::from_secs(2));
    }

    /// An exporter that always fails.
    #[derive(Debug)]
    struct Refusing;

    impl LogExporter for Refusing {
        async fn export(&self, _batch: LogBatch<'_>) -> OTelSdkResult {
            Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                "collector unreachable".into(),
            ))
        }
    }

    #[test]
    fn failed_exports_release_the_budget_and_are_counted() {
        let budget = Arc::new(ExportBudget::new("logs", 4));
        let exporter = ReportingExporter {
            inner: Refusing,
            budget: Arc::clone(&budget),
        };
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let scope = InstrumentationScope::builder("test").build();
        let logger_provider = SdkLoggerProvider::builder().build();
        let logger = logger_provider.logger("test");
        let (a, b, c) = (
            logger.create_log_record(),
            logger.create_log_record(),
            logger.create_log_record(),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        metrics::with_local_recorder(&recorder, || {
            assert!((0..3).all(|_| budget.admit()));
            let batch = [(&a, &scope), (&b, &scope), (&c, &scope)];
            let result = runtime.block_on(exporter.export(LogBatch::new(&batch)));
            assert!(result.is_err());
            assert_eq!(
                budget.waiting(),
                0,
                "the exporter took them out of the queue"
            );
        });
        let snapshot = Snapshot::take(&snapshotter);
        assert_eq!(
            snapshot.counter(
                sdk::EXPORT_DROPPED.name,
                &[("signal", "logs"), ("reason", "export_failed")]
            ),
            3
        );
        assert_eq!(
            snapshot.counter(sdk::EXPORT_FAILURES.name, &[("signal", "logs")]),
            1
        );
    }
}
