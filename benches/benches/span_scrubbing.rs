//! Cost of scrubbing spans before export: a span with six benign attributes ended through
//! `ScrubbingSpanProcessor` vs. the same span without it, and a sampled-out span (which never
//! reaches `on_end`, so scrubbing must add nothing).

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented pub fn"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, Span, SpanData, SpanProcessor};

use its_telemetry::logs::{ScrubConfig, Scrubber};
use its_telemetry::privacy::ScrubbingSpanProcessor;

/// Takes each ended span and drops it: the export queue is not what is measured.
#[derive(Debug)]
struct Discard;

impl SpanProcessor for Discard {
    fn on_start(&self, _span: &mut Span, _cx: &opentelemetry::Context) {}
    fn on_end(&self, span: SpanData) {
        black_box(span);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
    fn set_resource(&mut self, _resource: &Resource) {}
}

fn provider(scrub: bool, sampler: Sampler) -> SdkTracerProvider {
    let builder = SdkTracerProvider::builder().with_sampler(sampler);
    if scrub {
        let scrubber = Scrubber::new(&ScrubConfig::default()).expect("default patterns");
        builder
            .with_span_processor(ScrubbingSpanProcessor::new(Discard, scrubber))
            .build()
    } else {
        builder.with_span_processor(Discard).build()
    }
}

fn one_span(tracer: &opentelemetry_sdk::trace::SdkTracer) {
    let mut span = tracer.start("infer yolov8n");
    span.set_attributes([
        KeyValue::new("camera.id", "CAM-0042"),
        KeyValue::new("gpu.id", "GPU-0001"),
        KeyValue::new("model.name", "yolov8n@fp16.engine"),
        KeyValue::new("http.route", "/v1/infer"),
        KeyValue::new("batch.size", 32_i64),
        KeyValue::new("inference.outcome", "ok"),
    ]);
    span.end();
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_scrubbing");
    for (name, scrub, sampler) in [
        ("sampled_unscrubbed", false, Sampler::AlwaysOn),
        ("sampled_scrubbed", true, Sampler::AlwaysOn),
        ("sampled_out_unscrubbed", false, Sampler::AlwaysOff),
        ("sampled_out_scrubbed", true, Sampler::AlwaysOff),
    ] {
        let provider = provider(scrub, sampler);
        let tracer = provider.tracer("bench");
        group.bench_function(name, |b| b.iter(|| one_span(&tracer)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
