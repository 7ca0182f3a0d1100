//! HTTP metrics following the OpenTelemetry semantic conventions, with the dots of the
//! attribute names turned into underscores as the OTel-to-Prometheus mapping does.

use super::buckets;
use super::{Domain::Http, MetricDescriptor, Unit};

/// `http.server.request.duration`.
pub const SERVER_REQUEST_DURATION: MetricDescriptor = MetricDescriptor::histogram(
    Http,
    "http_server_request_duration_seconds",
    Unit::Seconds,
    "Duration of HTTP server requests.",
    &[
        "http_request_method",
        "http_route",
        "http_response_status_code",
        "error_type",
    ],
    buckets::HTTP_SECONDS,
);
/// `http.server.active_requests`.
pub const SERVER_ACTIVE_REQUESTS: MetricDescriptor = MetricDescriptor::gauge(
    Http,
    "http_server_active_requests",
    Unit::Count,
    "HTTP server requests in flight.",
    &["http_request_method"],
);
/// `http.client.request.duration`.
pub const CLIENT_REQUEST_DURATION: MetricDescriptor = MetricDescriptor::histogram(
    Http,
    "http_client_request_duration_seconds",
    Unit::Seconds,
    "Duration of HTTP client requests.",
    &[
        "http_request_method",
        "server_address",
        "http_response_status_code",
        "error_type",
    ],
    buckets::HTTP_SECONDS,
);

/// Every HTTP metric.
pub const ALL: &[MetricDescriptor] = &[
    SERVER_REQUEST_DURATION,
    SERVER_ACTIVE_REQUESTS,
    CLIENT_REQUEST_DURATION,
];
