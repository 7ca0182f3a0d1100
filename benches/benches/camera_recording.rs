//! Goal (a): recording one camera frame through `CameraStream` costs at most 1.2x the same work
//! written by hand with cached `metrics` handles.
//!
//! Both sides record into the same Prometheus recorder: frames received + bytes + last-frame
//! timestamp, then frames decoded + decode-time histogram.
#![allow(missing_docs, clippy::print_stdout)] // criterion's macros generate undocumented items; benches report to stdout

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use its_telemetry::TelemetryConfig;
use its_telemetry::camera::CameraFleet;
use its_telemetry::catalog::camera as m;

struct HandWritten {
    received: metrics::Counter,
    bytes: metrics::Counter,
    last_frame: metrics::Gauge,
    decoded: metrics::Counter,
    decode: metrics::Histogram,
}

impl HandWritten {
    fn frame(&self, bytes: u64, took: Duration) {
        self.received.increment(1);
        self.bytes.increment(bytes);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.last_frame.set(now);
        self.decoded.increment(1);
        self.decode.record(took.as_secs_f64());
    }
}

fn per_frame(c: &mut Criterion) {
    let recorder = its_telemetry::prometheus::build_recorder(&TelemetryConfig::default());
    let (fleet, ours, hand) = metrics::with_local_recorder(&recorder, || {
        let fleet = CameraFleet::new(1000);
        let ours = fleet.stream("cam-ours");
        let id = "cam-hand";
        let hand = HandWritten {
            received: metrics::counter!(m::FRAMES_RECEIVED.name, "camera_id" => id),
            bytes: metrics::counter!(m::INGESTED_BYTES.name, "camera_id" => id),
            last_frame: metrics::gauge!(m::LAST_FRAME_TIMESTAMP.name, "camera_id" => id),
            decoded: metrics::counter!(m::FRAMES_DECODED.name, "camera_id" => id),
            decode: metrics::histogram!(m::DECODE_DURATION.name),
        };
        (fleet, ours, hand)
    });
    let took = Duration::from_micros(4200);
    let mut group = c.benchmark_group("camera_frame");
    group.bench_function("its_telemetry_camera_stream", |b| {
        b.iter(|| {
            ours.frame_received(black_box(48_000));
            ours.frame_decoded(black_box(took));
        });
    });
    group.bench_function("hand_written_cached_handles", |b| {
        b.iter(|| hand.frame(black_box(48_000), black_box(took)));
    });
    group.finish();
    drop(fleet);
}

criterion_group!(benches, per_frame);
criterion_main!(benches);
