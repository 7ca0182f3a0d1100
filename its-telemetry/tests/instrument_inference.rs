//! What `#[instrument_inference]` records at run time: metrics per outcome, reasons, the span
//! and its parent. The span checks need the OpenTelemetry SDK (feature `traces`).
#![cfg(feature = "traces")]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use its_telemetry::catalog::inference as m;
use its_telemetry::inference::ErrorReason;
use its_telemetry::instrument_inference;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Debug)]
enum DetectError {
    GpuOutOfMemory,
}

impl ErrorReason for DetectError {
    fn reason(&self) -> &'static str {
        match self {
            Self::GpuOutOfMemory => "gpu_out_of_memory",
        }
    }
}

#[derive(Debug)]
struct OpaqueError;

#[instrument_inference(model = "yolo", version = "8.1", batch = frames.len(), skip(frames))]
fn detect(frames: &[u8], fail: bool) -> Result<usize, DetectError> {
    if fail {
        return Err(DetectError::GpuOutOfMemory);
    }
    Ok(frames.len())
}

#[instrument_inference(model = "opaque", batch = n)]
fn opaque(n: usize) -> Result<(), OpaqueError> {
    let _ = n;
    Err(OpaqueError)
}

#[instrument_inference(model = "slow", batch = frames.len(), skip_all)]
async fn slow(frames: Vec<u8>) -> usize {
    std::future::pending::<()>().await;
    frames.len()
}

#[instrument_inference(model = "boom")]
fn boom() -> u8 {
    panic!("model crashed")
}

/// Name, labels and value of one counter.
type CounterRow = (String, Vec<(String, String)>, u64);

fn counter(snapshot: &[CounterRow], name: &str, labels: &[(&str, &str)]) -> u64 {
    snapshot
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(.., v)| *v)
        .sum()
}

fn counters(snapshotter: &Snapshotter) -> Vec<CounterRow> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| match value {
            DebugValue::Counter(v) => Some((
                key.key().name().to_owned(),
                key.key()
                    .labels()
                    .map(|l| (l.key().to_owned(), l.value().to_owned()))
                    .collect(),
                v,
            )),
            _ => None,
        })
        .collect()
}

/// A subscriber exporting every span to memory, with the provider to flush it.
fn traced() -> (
    InMemorySpanExporter,
    SdkTracerProvider,
    impl tracing::Subscriber + Send + Sync,
) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    (exporter, provider, subscriber)
}

fn spans_of(exporter: &InMemorySpanExporter) -> Vec<SpanData> {
    exporter.get_finished_spans().expect("finished spans")
}

#[test]
fn records_outcomes_reasons_and_a_child_span() {
    let (exporter, provider, subscriber) = traced();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();

    tracing::subscriber::with_default(subscriber, || {
        metrics::with_local_recorder(&recorder, || {
            let request = tracing::info_span!("handle_request");
            let _entered = request.enter();
            assert_eq!(detect(&[1, 2, 3], false).ok(), Some(3));
            assert!(detect(&[1], true).is_err());
            assert!(opaque(2).is_err());

            // A future dropped mid-call: the batch ends as cancelled.
            let mut future = pin!(slow(vec![0; 4]));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(future.as_mut().poll(&mut cx) == Poll::Pending);
        });
        let panicked = std::panic::catch_unwind(|| {
            metrics::with_local_recorder(&recorder, boom);
        });
        assert!(panicked.is_err());
    });
    let _ = provider.force_flush();

    let snapshot = counters(&snapshotter);
    let yolo = ("model", "yolo");
    assert_eq!(
        counter(
            &snapshot,
            m::REQUESTS.name,
            &[yolo, ("outcome", "ok"), ("version", "8.1")]
        ),
        1
    );
    assert_eq!(
        counter(
            &snapshot,
            m::REQUESTS.name,
            &[yolo, ("outcome", "error"), ("reason", "gpu_out_of_memory")]
        ),
        1
    );
    assert_eq!(
        counter(
            &snapshot,
            m::REQUESTS.name,
            &[("model", "opaque"), ("reason", "OpaqueError")]
        ),
        1,
        "errors without ErrorReason are labelled by type name"
    );
    assert_eq!(counter(&snapshot, m::FRAMES_INFERRED.name, &[yolo]), 3);
    assert_eq!(
        counter(
            &snapshot,
            m::REQUESTS.name,
            &[("model", "slow"), ("outcome", "cancelled")]
        ),
        1
    );
    assert_eq!(
        counter(
            &snapshot,
            m::REQUESTS.name,
            &[("model", "boom"), ("outcome", "panic")]
        ),
        1
    );

    let spans = spans_of(&exporter);
    let parent = spans
        .iter()
        .find(|s| s.name == "handle_request")
        .expect("caller span");
    let infer: Vec<_> = spans.iter().filter(|s| s.name == "infer yolo").collect();
    assert_eq!(
        infer.len(),
        2,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    for span in &infer {
        assert_eq!(span.parent_span_id, parent.span_context.span_id());
        assert_eq!(span.span_context.trace_id(), parent.span_context.trace_id());
        let attr = |k: &str| {
            span.attributes
                .iter()
                .find(|kv| kv.key.as_str() == k)
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(attr("model").as_deref(), Some("yolo"));
        assert_eq!(attr("model.version").as_deref(), Some("8.1"));
    }
    let failed = infer
        .iter()
        .find(|s| matches!(s.status, opentelemetry::trace::Status::Error { .. }))
        .expect("the failed batch's span has error status");
    assert!(
        failed.attributes.iter().any(
            |kv| kv.key.as_str() == "error.type" && kv.value.to_string() == "gpu_out_of_memory"
        )
    );
    let opaque_span = spans
        .iter()
        .find(|s| s.name == "infer opaque")
        .expect("opaque span");
    assert!(
        opaque_span
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "n"),
        "arguments not skipped are recorded"
    );
}

#[test]
fn batch_guard_span_has_model_attributes_and_phase_events() {
    use its_telemetry::inference::{ModelTelemetry, Phase};

    let (exporter, provider, subscriber) = traced();
    tracing::subscriber::with_default(subscriber, || {
        let model = ModelTelemetry::new("detr", "2");
        let caller = tracing::info_span!("batcher");
        let _entered = caller.enter();
        let mut batch = model.start_batch(32);
        batch.phase(Phase::Preprocess);
        batch.phase(Phase::Infer);
        batch.phase(Phase::Postprocess);
        batch.ok();
    });
    let _ = provider.force_flush();

    let spans = spans_of(&exporter);
    let caller = spans
        .iter()
        .find(|s| s.name == "batcher")
        .expect("caller span");
    let infer = spans
        .iter()
        .find(|s| s.name == "infer detr")
        .expect("batch span");
    assert_eq!(infer.parent_span_id, caller.span_context.span_id());
    let attr = |k: &str| {
        infer
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(attr("model").as_deref(), Some("detr"));
    assert_eq!(attr("model.version").as_deref(), Some("2"));
    assert_eq!(attr("batch.size").as_deref(), Some("32"));
    let events: Vec<_> = infer.events.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(events, ["preprocess", "infer", "postprocess"]);
}

#[instrument_inference(model = "linked", batch = requests.len(), links = requests.iter(), skip_all)]
fn linked(requests: &[its_telemetry::TraceLink]) -> its_telemetry::TraceLink {
    // Inside the batch span: the link each request records to find its batch.
    its_telemetry::TraceLink::current()
}

#[test]
fn links_argument_links_the_batch_to_each_request_and_back() {
    let (exporter, provider, subscriber) = traced();
    tracing::subscriber::with_default(subscriber, || {
        let requests: Vec<_> = (0..2).map(|i| tracing::info_span!("request", i)).collect();
        let links: Vec<_> = requests.iter().map(its_telemetry::TraceLink::of).collect();
        let served_by = linked(&links);
        for request in &requests {
            served_by.record_on(request);
        }
    });
    let _ = provider.force_flush();

    let spans = spans_of(&exporter);
    let batch = spans
        .iter()
        .find(|s| s.name == "infer linked")
        .expect("batch span");
    let requests: Vec<_> = spans.iter().filter(|s| s.name == "request").collect();
    assert_eq!(requests.len(), 2);
    for request in requests {
        assert!(
            batch
                .links
                .iter()
                .any(|l| l.span_context == request.span_context),
            "the batch span links to every request"
        );
        let back: Vec<_> = request.links.iter().map(|l| &l.span_context).collect();
        assert_eq!(
            back,
            [&batch.span_context],
            "each request links back to its batch"
        );
    }
}
