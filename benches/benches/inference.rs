//! Issue 3 goals, in one run:
//! - an `#[instrument_inference]` call (its span sampled out) vs a plain fn vs the same fn
//!   under `#[autometrics]` (metrics-0_24 backend): ours ≤ 0.3× autometrics' overhead;
//! - the 4-phase batch guard vs the same recording written by hand with cached `metrics`
//!   handles: ≤ 1.2×.
//!
//! Both sides record into one Prometheus recorder installed globally (autometrics looks its
//! metrics up in the global registry on every call). A parent span sampled out by
//! `ParentBased(AlwaysOff)` is entered around every call, as in a service that head-samples.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::time::Instant;

use autometrics::autometrics;
use criterion::{Criterion, criterion_group, criterion_main};
use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::inference as m;
use its_telemetry::inference::{ModelTelemetry, Phase};
use its_telemetry::instrument_inference;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Debug)]
struct DetectError;

#[inline(never)]
fn plain(frames: &[u8]) -> Result<usize, DetectError> {
    black_box(frames)
        .first()
        .map(|_| frames.len())
        .ok_or(DetectError)
}

#[instrument_inference(model = "bench", batch = frames.len(), skip_all)]
#[inline(never)]
fn ours(frames: &[u8]) -> Result<usize, DetectError> {
    black_box(frames)
        .first()
        .map(|_| frames.len())
        .ok_or(DetectError)
}

#[autometrics]
#[inline(never)]
fn anchor(frames: &[u8]) -> Result<usize, DetectError> {
    black_box(frames)
        .first()
        .map(|_| frames.len())
        .ok_or(DetectError)
}

/// The guard's recording, written by hand with handles cached up front.
struct HandWritten {
    pending: metrics::Gauge,
    batch_size: metrics::Histogram,
    phases: [metrics::Histogram; 3],
    duration: metrics::Histogram,
    requests: metrics::Counter,
    frames: metrics::Counter,
}

impl HandWritten {
    fn new() -> Self {
        let model = "hand";
        let phase = |p: &'static str| metrics::histogram!(m::PHASE_DURATION.name, "model" => model, "phase" => p);
        Self {
            pending: metrics::gauge!(m::PENDING_REQUESTS.name, "model" => model),
            batch_size: metrics::histogram!(m::BATCH_SIZE.name, "model" => model),
            phases: [phase("preprocess"), phase("infer"), phase("postprocess")],
            duration: metrics::histogram!(m::REQUEST_DURATION.name, "model" => model, "outcome" => "ok"),
            requests: metrics::counter!(m::REQUESTS.name, "model" => model, "outcome" => "ok"),
            frames: metrics::counter!(m::FRAMES_INFERRED.name, "model" => model),
        }
    }

    fn batch(&self, size: usize) {
        let started = Instant::now();
        self.pending.increment(1.0);
        self.batch_size.record(size as f64);
        let mut since = started;
        for phase in &self.phases {
            let now = Instant::now();
            phase.record(now.duration_since(since).as_secs_f64());
            since = now;
        }
        let end = Instant::now();
        self.pending.decrement(1.0);
        self.duration
            .record(end.duration_since(started).as_secs_f64());
        self.requests.increment(1);
        self.frames.increment(size as u64);
    }
}

fn benches(c: &mut Criterion) {
    let recorder = its_telemetry::prometheus::build_recorder(&TelemetryConfig::default());
    metrics::set_global_recorder(recorder).expect("first recorder in this process");
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
    let _default = tracing::subscriber::set_default(subscriber);
    let root = tracing::info_span!("request");
    let _entered = root.enter();

    let frames = [0u8; 16];
    let mut group = c.benchmark_group("instrumented_call");
    group.bench_function("plain_fn", |b| b.iter(|| plain(black_box(&frames))));
    group.bench_function("its_telemetry_instrument_inference", |b| {
        b.iter(|| ours(black_box(&frames)))
    });
    group.bench_function("autometrics_metrics_0_24", |b| {
        b.iter(|| anchor(black_box(&frames)))
    });
    group.finish();

    let model = ModelTelemetry::new("guard", "1");
    let hand = HandWritten::new();
    let mut group = c.benchmark_group("batch_four_phases");
    group.bench_function("its_telemetry_batch_guard", |b| {
        b.iter(|| {
            let mut batch = model.start_batch(black_box(16));
            batch.phase(Phase::Preprocess);
            batch.phase(Phase::Infer);
            batch.phase(Phase::Postprocess);
            batch.ok();
        })
    });
    group.bench_function("hand_written_cached_handles", |b| {
        b.iter(|| hand.batch(black_box(16)))
    });
    group.finish();
}

criterion_group!(inference, benches);
criterion_main!(inference);
