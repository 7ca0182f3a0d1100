//! `business-analytics.json`: traffic, speeds, incidents and response, data quality, cost.

use its_telemetry::catalog::{business, camera};

use super::{
    Dashboard,
    PanelKind::{Gauge, Stat, TimeSeries},
    panel, q, quantile, rate, s,
};

/// Business analytics: traffic, speeds, incidents and response, data quality, cost.
#[must_use]
pub fn business_analytics() -> Dashboard {
    let speed_kmh = |qt: f64| format!("{} * 3.6", quantile(qt, &business::VEHICLE_SPEED, "", ""));
    Dashboard {
        uid: "its-business-analytics",
        file: "business-analytics.json",
        title: "ITS camera AI — business analytics",
        per_camera: false,
        panels: vec![
            panel(
                "Vehicles per second by class",
                "Detected road users.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&business::VEHICLES_DETECTED, "class", ""),
                    "{{class}}",
                )],
            ),
            panel(
                "Vehicles per second by direction",
                "Inbound and outbound flow.",
                TimeSeries,
                "short",
                vec![q(
                    rate(&business::VEHICLES_DETECTED, "direction", ""),
                    "{{direction}}",
                )],
            ),
            panel(
                "Speed p50 / p85 (km/h)",
                "The 85th percentile is the usual speed-limit reference.",
                TimeSeries,
                "velocitykmh",
                vec![q(speed_kmh(0.5), "p50"), q(speed_kmh(0.85), "p85")],
            ),
            panel(
                "Incidents per hour by type",
                "Detected incidents.",
                TimeSeries,
                "short",
                vec![q(
                    format!("{} * 3600", rate(&business::INCIDENTS, "type", "")),
                    "{{type}}",
                )],
            ),
            panel(
                "Open incidents by severity",
                "Detected, not resolved.",
                TimeSeries,
                "short",
                vec![q(
                    format!("sum by (severity) ({})", s(&business::INCIDENTS_OPEN, "")),
                    "{{severity}}",
                )],
            ),
            panel(
                "Incident response time p95",
                "Detection to acknowledgement and resolution (target 5 min).",
                TimeSeries,
                "s",
                vec![q(
                    quantile(0.95, &business::INCIDENT_RESPONSE_DURATION, "stage", ""),
                    "{{stage}}",
                )],
            ),
            panel(
                "Data quality",
                "Share of records passing checks (alert below 90 %).",
                Gauge,
                "percentunit",
                vec![q(
                    format!("min({})", s(&business::DATA_QUALITY, "")),
                    "quality",
                )],
            ),
            panel(
                "Cost per detection",
                "Hourly compute cost over detections per hour (alert above $0.05).",
                Stat,
                "currencyUSD",
                vec![q(
                    format!(
                        "sum({}) / 3600 / {}",
                        s(&business::COMPUTE_HOURLY_COST, ""),
                        rate(&business::VEHICLES_DETECTED, "", "")
                    ),
                    "$/detection",
                )],
            ),
            panel(
                "Data processed per day",
                "At the current rate (alert below 8 TB/day).",
                Stat,
                "bytes",
                vec![q(
                    format!("{} * 86400", rate(&camera::INGESTED_BYTES, "", "")),
                    "bytes/day",
                )],
            ),
        ],
    }
}
