//! Cost of one JSON log line: its-telemetry's `LogLayer` (PII scrubbing on,
//! default patterns) next to `tracing-subscriber`'s JSON layer, which does not
//! scrub. Both write to `std::io::sink()` from inside an entered span, so the
//! figures are formatting and scrubbing, not I/O.
//!
//! Run: `cargo bench -p its-telemetry-benches --bench logging`.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented pub fn"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use its_telemetry::logs::{LogFormat, LogLayer, ScrubConfig, Scrubber};
use tracing::Subscriber;
use tracing_subscriber::Registry;
use tracing_subscriber::layer::SubscriberExt as _;

/// A typical clean event: nothing for the scrubber to remove.
fn clean_event() {
    tracing::info!(
        camera_id = "cam-0042",
        frames = 25u64,
        "frame batch processed from {}",
        "cam-0042"
    );
}

/// An event whose message holds a licence plate and an e-mail address.
fn pii_event() {
    tracing::info!(
        camera_id = "cam-0042",
        frames = 25u64,
        "plate {} reported by {}",
        "AB12 CDE",
        "ops@example.com"
    );
}

fn ours(scrubber: Scrubber) -> impl Subscriber + Send + Sync {
    let layer = LogLayer::new(LogFormat::Json, "bench", scrubber).with_writer(std::io::sink);
    Registry::default().with(layer)
}

fn tracing_subscriber_json() -> impl Subscriber + Send + Sync {
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(std::io::sink);
    Registry::default().with(layer)
}

/// Times `event` under a fresh subscriber from `subscriber`, inside an entered span.
fn run<S>(subscriber: impl Fn() -> S, event: fn()) -> impl FnMut(&mut criterion::Bencher<'_>)
where
    S: Subscriber + Send + Sync + 'static,
{
    move |b| {
        tracing::subscriber::with_default(subscriber(), || {
            let span = tracing::info_span!("decode", stream = 3u64);
            let _entered = span.enter();
            b.iter(event);
        });
    }
}

fn json_log_line(c: &mut Criterion) {
    let scrubber = Scrubber::new(&ScrubConfig::default()).expect("default patterns compile");
    let mut group = c.benchmark_group("json_log_line");
    let scrubbed = || ours(scrubber.clone());
    let unscrubbed = || ours(Scrubber::disabled());

    group.bench_function("its_telemetry_scrubbed", run(scrubbed, clean_event));
    group.bench_function(
        "tracing_subscriber_json",
        run(tracing_subscriber_json, clean_event),
    );
    group.bench_function("its_telemetry_unscrubbed", run(unscrubbed, clean_event));
    group.bench_function("its_telemetry_scrubbed_pii", run(scrubbed, pii_event));
    group.bench_function(
        "tracing_subscriber_json_pii",
        run(tracing_subscriber_json, pii_event),
    );
    group.finish();
}

criterion_group!(benches, json_log_line);
criterion_main!(benches);
