//! Service level objectives declared in code: events and objectives, from which the
//! monitoring generators derive SLI recording rules and burn-rate alerts.

use super::{Domain::Sla, MetricDescriptor, Unit};

/// Events counted against an SLO, by result (`good`, `bad`).
pub const EVENTS: MetricDescriptor = MetricDescriptor::counter(
    Sla,
    "its_slo_events_total",
    "Events counted against a service level objective, by result (good or bad).",
    &["slo", "result"],
);
/// The objective, such as 0.999.
pub const OBJECTIVE: MetricDescriptor = MetricDescriptor::gauge(
    Sla,
    "its_slo_objective_ratio",
    Unit::Ratio,
    "Target share of good events for the objective.",
    &["slo"],
);
/// The compliance window the objective is measured over.
pub const WINDOW: MetricDescriptor = MetricDescriptor::gauge(
    Sla,
    "its_slo_window_seconds",
    Unit::Seconds,
    "Length of the window the objective is measured over.",
    &["slo"],
);

/// Every SLO metric.
pub const ALL: &[MetricDescriptor] = &[EVENTS, OBJECTIVE, WINDOW];
