//! Camera stream metrics: ingest, decode, connectivity and staleness.
//!
//! Per-camera series carry `camera_id`; they are the SDK's largest cardinality and are
//! bounded by the cardinality guard (see [`crate::cardinality`]).

use super::buckets;
use super::{Domain::Camera, MetricDescriptor, Unit};

/// Streams currently connected.
pub const STREAMS_ACTIVE: MetricDescriptor = MetricDescriptor::gauge(
    Camera,
    "its_camera_streams_active",
    Unit::Count,
    "Camera streams currently connected.",
    &[],
);
/// Streams the service is provisioned for.
pub const STREAMS_CAPACITY: MetricDescriptor = MetricDescriptor::gauge(
    Camera,
    "its_camera_streams_capacity",
    Unit::Count,
    "Camera streams the service is configured to handle.",
    &[],
);
/// Frames received from a camera.
pub const FRAMES_RECEIVED: MetricDescriptor = MetricDescriptor::counter(
    Camera,
    "its_camera_frames_received_total",
    "Frames received from the camera.",
    &["camera_id"],
);
/// Frames decoded successfully.
pub const FRAMES_DECODED: MetricDescriptor = MetricDescriptor::counter(
    Camera,
    "its_camera_frames_decoded_total",
    "Frames decoded successfully.",
    &["camera_id"],
);
/// Frames dropped, by reason.
pub const FRAMES_DROPPED: MetricDescriptor = MetricDescriptor::counter(
    Camera,
    "its_camera_frames_dropped_total",
    "Frames dropped before inference, by reason.",
    &["camera_id", "reason"],
);
/// Decode time per frame, fleet-wide (per-camera problems show in drops and staleness).
pub const DECODE_DURATION: MetricDescriptor = MetricDescriptor::histogram(
    Camera,
    "its_camera_decode_duration_seconds",
    Unit::Seconds,
    "Time to decode one frame, across all cameras.",
    &[],
    buckets::DECODE_SECONDS,
);
/// Stream reconnects.
pub const RECONNECTS: MetricDescriptor = MetricDescriptor::counter(
    Camera,
    "its_camera_reconnects_total",
    "Times the stream was reconnected.",
    &["camera_id"],
);
/// 1 while the stream is connected, 0 otherwise.
pub const CONNECTED: MetricDescriptor = MetricDescriptor::gauge(
    Camera,
    "its_camera_connected",
    Unit::Dimensionless,
    "1 while the camera stream is connected, 0 otherwise.",
    &["camera_id"],
);
/// When the last frame arrived, for staleness alerts (`time() - value`).
pub const LAST_FRAME_TIMESTAMP: MetricDescriptor = MetricDescriptor::gauge(
    Camera,
    "its_camera_last_frame_timestamp_seconds",
    Unit::Seconds,
    "Unix time at which the last frame was received.",
    &["camera_id"],
);
/// Bytes ingested (the 10 TB/day budget).
pub const INGESTED_BYTES: MetricDescriptor = MetricDescriptor::counter(
    Camera,
    "its_camera_ingested_bytes_total",
    "Encoded video bytes received from the camera.",
    &["camera_id"],
)
.with_unit(Unit::Bytes);

/// Every camera metric.
pub const ALL: &[MetricDescriptor] = &[
    STREAMS_ACTIVE,
    STREAMS_CAPACITY,
    FRAMES_RECEIVED,
    FRAMES_DECODED,
    FRAMES_DROPPED,
    DECODE_DURATION,
    RECONNECTS,
    CONNECTED,
    LAST_FRAME_TIMESTAMP,
    INGESTED_BYTES,
];
