//! Camera stream telemetry: one [`CameraStream`] handle per camera, created once, recording
//! every frame with a few atomic operations; the [`CameraFleet`] holds the fleet-wide gauges.
//!
//! ```
//! use std::time::Duration;
//! use its_telemetry::camera::{CameraFleet, DropReason};
//!
//! let fleet = CameraFleet::new(1000);
//! let cam = fleet.stream("cam-0042");
//! cam.connected();
//! cam.frame_received(48_000);
//! cam.frame_decoded(Duration::from_millis(4));
//! cam.frame_dropped(DropReason::QueueFull);
//! ```
//!
//! Cardinality budget: each camera adds 10 series (received, decoded, 4 drop reasons,
//! reconnects, connected, last-frame time, bytes). The decode-time histogram is fleet-wide so
//! it does not multiply by cameras.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use metrics::{Counter, Gauge, Histogram};

use crate::cardinality::{self, CardinalityGuard};
use crate::catalog::camera as m;

/// Why a frame was dropped before inference; a closed set so the `reason` label stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The frame could not be decoded (corrupt bitstream, missing reference frame).
    DecodeError,
    /// The inference queue was full.
    QueueFull,
    /// The frame arrived too late to be useful.
    Stale,
    /// The stream sent more frames than the configured rate.
    RateLimited,
}

impl DropReason {
    /// Every reason, in label order.
    pub const ALL: [DropReason; 4] = [
        Self::DecodeError,
        Self::QueueFull,
        Self::Stale,
        Self::RateLimited,
    ];

    /// The `reason` label value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DecodeError => "decode_error",
            Self::QueueFull => "queue_full",
            Self::Stale => "stale",
            Self::RateLimited => "rate_limited",
        }
    }
}

/// Fleet-wide camera gauges and the factory for per-camera handles.
#[derive(Debug, Clone)]
pub struct CameraFleet {
    active: Gauge,
    decode: Histogram,
    guard: &'static CardinalityGuard,
}

impl CameraFleet {
    /// Registers the fleet gauges; `capacity` is the number of streams the service is sized for.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self::with_guard(capacity, cardinality::global())
    }

    /// As [`new`](Self::new), with an explicit cardinality guard (tests, or several fleets with
    /// separate limits).
    #[must_use]
    pub fn with_guard(capacity: usize, guard: &'static CardinalityGuard) -> Self {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        metrics::gauge!(m::STREAMS_CAPACITY.name).set(capacity as f64);
        Self {
            active: metrics::gauge!(m::STREAMS_ACTIVE.name),
            decode: metrics::histogram!(m::DECODE_DURATION.name),
            guard,
        }
    }

    /// Creates the handle for one camera. Call once per camera and keep it: creation takes a
    /// lock and allocates, recording does neither. Beyond the cardinality limit, `camera_id` is
    /// recorded as [`cardinality::OVERFLOW_VALUE`].
    #[must_use]
    pub fn stream(&self, camera_id: &str) -> CameraStream {
        let label = |metric| self.guard.admit(metric, camera_id);
        let id = |metric| ("camera_id", label(metric));
        let dropped = DropReason::ALL.map(|reason| {
            let (k, v) = id(&m::FRAMES_DROPPED);
            metrics::counter!(m::FRAMES_DROPPED.name, k => v, "reason" => reason.as_str())
        });
        let (k, received) = id(&m::FRAMES_RECEIVED);
        let connected = metrics::gauge!(m::CONNECTED.name, k => label(&m::CONNECTED));
        connected.set(0.0);
        CameraStream {
            frames_received: metrics::counter!(m::FRAMES_RECEIVED.name, k => received),
            frames_decoded: metrics::counter!(m::FRAMES_DECODED.name, k => label(&m::FRAMES_DECODED)),
            dropped,
            reconnects: metrics::counter!(m::RECONNECTS.name, k => label(&m::RECONNECTS)),
            connected,
            last_frame: metrics::gauge!(
                m::LAST_FRAME_TIMESTAMP.name,
                k => label(&m::LAST_FRAME_TIMESTAMP)
            ),
            bytes: metrics::counter!(m::INGESTED_BYTES.name, k => label(&m::INGESTED_BYTES)),
            decode: self.decode.clone(),
            active: self.active.clone(),
            is_connected: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Telemetry of one camera stream. Every method is a handful of atomic operations.
#[derive(Debug)]
pub struct CameraStream {
    frames_received: Counter,
    frames_decoded: Counter,
    dropped: [Counter; 4],
    reconnects: Counter,
    connected: Gauge,
    last_frame: Gauge,
    bytes: Counter,
    decode: Histogram,
    active: Gauge,
    is_connected: Arc<AtomicBool>,
}

impl CameraStream {
    /// A frame of `bytes` encoded bytes arrived; also stamps the last-frame time used for
    /// staleness alerts.
    pub fn frame_received(&self, bytes: u64) {
        self.frames_received.increment(1);
        self.bytes.increment(bytes);
        self.last_frame.set(unix_now());
    }

    /// A frame was decoded in `took`.
    pub fn frame_decoded(&self, took: Duration) {
        self.frames_decoded.increment(1);
        self.decode.record(took.as_secs_f64());
    }

    /// Starts timing a decode; [`DecodeTimer::finish`] records it as decoded, dropping it
    /// without finishing records a decode error.
    #[must_use]
    pub fn time_decode(&self) -> DecodeTimer<'_> {
        DecodeTimer {
            stream: self,
            started: Instant::now(),
            finished: false,
        }
    }

    /// A frame was dropped.
    pub fn frame_dropped(&self, reason: DropReason) {
        self.dropped[reason as usize].increment(1);
    }

    /// The stream is up. Counts once into the fleet's active streams however often it is called.
    pub fn connected(&self) {
        self.connected.set(1.0);
        if !self.is_connected.swap(true, Ordering::AcqRel) {
            self.active.increment(1.0);
        }
    }

    /// The stream went down.
    pub fn disconnected(&self) {
        self.connected.set(0.0);
        if self.is_connected.swap(false, Ordering::AcqRel) {
            self.active.decrement(1.0);
        }
    }

    /// The stream was re-established after a failure.
    pub fn reconnected(&self) {
        self.reconnects.increment(1);
        self.connected();
    }

    /// Whether the stream is currently marked connected.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.is_connected.load(Ordering::Acquire)
    }
}

impl Drop for CameraStream {
    /// A stream handle going away means the service stopped reading that camera.
    fn drop(&mut self) {
        self.disconnected();
    }
}

/// Times one decode; see [`CameraStream::time_decode`].
#[derive(Debug)]
pub struct DecodeTimer<'a> {
    stream: &'a CameraStream,
    started: Instant,
    finished: bool,
}

impl DecodeTimer<'_> {
    /// The frame decoded: records it and its decode time.
    pub fn finish(mut self) {
        self.finished = true;
        self.stream.frame_decoded(self.started.elapsed());
    }
}

impl Drop for DecodeTimer<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.stream.frame_dropped(DropReason::DecodeError);
        }
    }
}

/// Seconds since the Unix epoch as a float, 0 if the clock is before 1970.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CardinalityConfig;
    use crate::test_support::Snapshot;
    use metrics_util::debugging::DebuggingRecorder;

    #[test]
    fn records_every_camera_metric() {
        let guard: &'static CardinalityGuard = Box::leak(Box::new(CardinalityGuard::new(
            &CardinalityConfig::default(),
        )));
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let _alive = metrics::with_local_recorder(&recorder, || {
            let fleet = CameraFleet::with_guard(1000, guard);
            let cam = fleet.stream("cam-1");
            cam.connected();
            cam.connected();
            cam.frame_received(1000);
            cam.frame_received(500);
            cam.frame_decoded(Duration::from_millis(5));
            cam.time_decode().finish();
            drop(cam.time_decode());
            cam.frame_dropped(DropReason::QueueFull);
            cam.reconnected();
            let other = fleet.stream("cam-2");
            other.connected();
            drop(other);
            (fleet, cam)
        });
        let snap = Snapshot::take(&snapshotter);
        let cam = [("camera_id", "cam-1")];
        let reason = |r| [("camera_id", "cam-1"), ("reason", r)];
        assert_eq!(snap.counter(m::FRAMES_RECEIVED.name, &cam), 2);
        assert_eq!(snap.counter(m::INGESTED_BYTES.name, &cam), 1500);
        assert_eq!(snap.counter(m::FRAMES_DECODED.name, &cam), 2);
        assert_eq!(
            snap.counter(m::FRAMES_DROPPED.name, &reason("queue_full")),
            1
        );
        assert_eq!(
            snap.counter(m::FRAMES_DROPPED.name, &reason("decode_error")),
            1
        );
        assert_eq!(snap.counter(m::FRAMES_DROPPED.name, &reason("stale")), 0);
        assert_eq!(snap.counter(m::RECONNECTS.name, &cam), 1);
        assert_eq!(snap.gauge(m::CONNECTED.name, &cam), 1.0);
        assert_eq!(
            snap.gauge(m::CONNECTED.name, &[("camera_id", "cam-2")]),
            0.0
        );
        assert!(snap.gauge(m::LAST_FRAME_TIMESTAMP.name, &cam) > 1.7e9);
        // cam-1 connected (twice, counted once); cam-2 connected, then its handle dropped.
        assert_eq!(snap.gauge(m::STREAMS_ACTIVE.name, &[]), 1.0);
        assert_eq!(snap.gauge(m::STREAMS_CAPACITY.name, &[]), 1000.0);
        assert_eq!(snap.histogram(m::DECODE_DURATION.name, &[]).len(), 2);
    }
}
