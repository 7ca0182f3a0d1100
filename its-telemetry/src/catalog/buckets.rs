//! Histogram bucket boundaries, chosen so the SLA thresholds fall exactly on a boundary
//! (100 ms and 200 ms for inference, 5 min for incident response) and quantiles near them
//! are accurate.

/// Inference request and phase durations: dense around the p95 < 100 ms and p99 < 200 ms SLAs.
pub const INFERENCE_SECONDS: &[f64] = &[
    0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5,
];

/// Time a request waits in the batcher's queue before its batch starts.
pub const QUEUE_WAIT_SECONDS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0];

/// Frame decode durations (a 1080p H.264 frame decodes in a few milliseconds).
pub const DECODE_SECONDS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.1, 0.25];

/// Frames per batch: powers of two, as GPU batchers form them.
pub const BATCH_SIZE: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Detection confidence, dense above the 0.85 accuracy target.
pub const CONFIDENCE: &[f64] = &[0.1, 0.25, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99];

/// Vehicle speeds in m/s: 10, 20, 30, 50, 70, 90, 110, 130 and 160 km/h.
pub const SPEED_METERS_PER_SECOND: &[f64] = &[
    2.778, 5.556, 8.333, 13.889, 19.444, 25.0, 30.556, 36.111, 44.444,
];

/// Incident acknowledgement and resolution times; 300 s is the 5-minute response target.
pub const INCIDENT_RESPONSE_SECONDS: &[f64] = &[
    15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0,
];

/// OpenTelemetry semantic-convention buckets for `http.server.request.duration` and
/// `http.client.request.duration`.
pub const HTTP_SECONDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
