//! Traffic analytics and cost: what the cameras are for.

use super::buckets;
use super::{Domain::Business, MetricDescriptor, Unit};

/// Vehicles detected, by class and direction of travel.
pub const VEHICLES_DETECTED: MetricDescriptor = MetricDescriptor::counter(
    Business,
    "its_vehicles_detected_total",
    "Vehicles detected, by class and direction of travel.",
    &["class", "direction"],
);
/// Measured vehicle speeds.
pub const VEHICLE_SPEED: MetricDescriptor = MetricDescriptor::histogram(
    Business,
    "its_vehicle_speed_meters_per_second",
    Unit::MetersPerSecond,
    "Measured vehicle speed, by vehicle class.",
    &["class"],
    buckets::SPEED_METERS_PER_SECOND,
);
/// Incidents detected, by type and severity.
pub const INCIDENTS: MetricDescriptor = MetricDescriptor::counter(
    Business,
    "its_incidents_total",
    "Traffic incidents detected, by type and severity.",
    &["type", "severity"],
);
/// Incidents detected and not yet resolved.
pub const INCIDENTS_OPEN: MetricDescriptor = MetricDescriptor::gauge(
    Business,
    "its_incidents_open",
    Unit::Count,
    "Incidents detected and not yet resolved, by severity.",
    &["severity"],
);
/// Time from detection to acknowledgement or resolution.
pub const INCIDENT_RESPONSE_DURATION: MetricDescriptor = MetricDescriptor::histogram(
    Business,
    "its_incident_response_duration_seconds",
    Unit::Seconds,
    "Time from incident detection to the given stage (acknowledged or resolved).",
    &["type", "stage"],
    buckets::INCIDENT_RESPONSE_SECONDS,
);
/// Share of frames and records that passed data-quality checks.
pub const DATA_QUALITY: MetricDescriptor = MetricDescriptor::gauge(
    Business,
    "its_data_quality_ratio",
    Unit::Ratio,
    "Share of recent records that passed data-quality checks.",
    &[],
);
/// Compute cost per hour; cost per detection is this over 3600 times the detection rate.
pub const COMPUTE_HOURLY_COST: MetricDescriptor = MetricDescriptor::gauge(
    Business,
    "its_compute_hourly_cost_dollars",
    Unit::Dollars,
    "Hourly cost of the compute running the service; divide by detections per hour for cost per detection.",
    &[],
);

/// Every business metric.
pub const ALL: &[MetricDescriptor] = &[
    VEHICLES_DETECTED,
    VEHICLE_SPEED,
    INCIDENTS,
    INCIDENTS_OPEN,
    INCIDENT_RESPONSE_DURATION,
    DATA_QUALITY,
    COMPUTE_HOURLY_COST,
];
