//! Traffic analytics and cost: vehicles by class and direction, speeds, incidents and how fast
//! they were handled, data quality, and the hourly compute cost behind cost-per-detection.
//!
//! Classes, directions, incident types and severities are closed sets, so every handle is
//! created once in [`TrafficAnalytics::new`] and recording is an array index plus an atomic.
//!
//! ```
//! use its_telemetry::business::{Direction, IncidentType, Severity, TrafficAnalytics, VehicleClass};
//!
//! let analytics = TrafficAnalytics::new();
//! analytics.vehicle_detected(VehicleClass::Car, Direction::Inbound);
//! analytics.vehicle_speed_kmh(VehicleClass::Car, 87.0);
//! let mut incident = analytics.incident_detected(IncidentType::StoppedVehicle, Severity::High);
//! incident.acknowledged();
//! incident.resolved();
//! analytics.data_quality(0.97);
//! analytics.compute_hourly_cost(3.20);
//! ```

use std::sync::Arc;
use std::time::Instant;

use metrics::{Counter, Gauge, Histogram};

use crate::catalog::business as m;

macro_rules! label_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in label order.
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The label value.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $label),+
                }
            }
        }
    };
}

label_enum!(
    /// What kind of road user was detected.
    VehicleClass {
        /// Passenger car.
        Car => "car",
        /// Van or light commercial vehicle.
        Van => "van",
        /// Heavy goods vehicle.
        Truck => "truck",
        /// Bus or coach.
        Bus => "bus",
        /// Motorcycle or scooter.
        Motorcycle => "motorcycle",
        /// Bicycle.
        Bicycle => "bicycle",
        /// Pedestrian.
        Pedestrian => "pedestrian",
        /// Anything else the model reports.
        Other => "other",
    }
);

label_enum!(
    /// Direction of travel relative to the camera's configured reference.
    Direction {
        /// Towards the reference point (e.g. into the city).
        Inbound => "inbound",
        /// Away from the reference point.
        Outbound => "outbound",
        /// Not determined (single frame, stationary).
        Unknown => "unknown",
    }
);

label_enum!(
    /// What happened.
    IncidentType {
        /// Collision between road users.
        Collision => "collision",
        /// Traffic slower than the congestion threshold.
        Congestion => "congestion",
        /// A vehicle stopped in a live lane.
        StoppedVehicle => "stopped_vehicle",
        /// A vehicle travelling against the flow.
        WrongWay => "wrong_way",
        /// A pedestrian on a carriageway.
        PedestrianOnRoad => "pedestrian_on_road",
        /// Debris or a lost load.
        Debris => "debris",
        /// Any other incident.
        Other => "other",
    }
);

label_enum!(
    /// How urgent an incident is.
    Severity {
        /// Informational.
        Low => "low",
        /// Needs attention.
        Medium => "medium",
        /// Needs attention now.
        High => "high",
        /// Danger to life.
        Critical => "critical",
    }
);

/// Records traffic analytics; create once (after [`crate::try_init`]) and clone freely.
#[derive(Debug, Clone)]
pub struct TrafficAnalytics {
    handles: Arc<Handles>,
}

#[derive(Debug)]
struct Handles {
    vehicles: Vec<Counter>,
    speed: Vec<Histogram>,
    incidents: Vec<Counter>,
    open: Vec<Gauge>,
    acknowledged: Vec<Histogram>,
    resolved: Vec<Histogram>,
    quality: Gauge,
    hourly_cost: Gauge,
}

impl Default for TrafficAnalytics {
    fn default() -> Self {
        Self::new()
    }
}

impl TrafficAnalytics {
    /// Registers every series (all classes, directions, incident types and severities, so
    /// rates start from zero instead of appearing late).
    #[must_use]
    pub fn new() -> Self {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        let vehicles = VehicleClass::ALL
            .iter()
            .flat_map(|c| {
                Direction::ALL.iter().map(move |d| {
                    metrics::counter!(m::VEHICLES_DETECTED.name, "class" => c.as_str(), "direction" => d.as_str())
                })
            })
            .collect();
        let speed = VehicleClass::ALL
            .iter()
            .map(|c| metrics::histogram!(m::VEHICLE_SPEED.name, "class" => c.as_str()))
            .collect();
        let incidents = IncidentType::ALL
            .iter()
            .flat_map(|t| {
                Severity::ALL.iter().map(move |s| {
                    metrics::counter!(m::INCIDENTS.name, "type" => t.as_str(), "severity" => s.as_str())
                })
            })
            .collect();
        let open = Severity::ALL
            .iter()
            .map(|s| metrics::gauge!(m::INCIDENTS_OPEN.name, "severity" => s.as_str()))
            .collect();
        let stage = |stage: &'static str| {
            IncidentType::ALL
                .iter()
                .map(|t| {
                    metrics::histogram!(m::INCIDENT_RESPONSE_DURATION.name, "type" => t.as_str(), "stage" => stage)
                })
                .collect()
        };
        let handles = Handles {
            vehicles,
            speed,
            incidents,
            open,
            acknowledged: stage("acknowledged"),
            resolved: stage("resolved"),
            quality: metrics::gauge!(m::DATA_QUALITY.name),
            hourly_cost: metrics::gauge!(m::COMPUTE_HOURLY_COST.name),
        };
        Self {
            handles: Arc::new(handles),
        }
    }

    /// One vehicle detected.
    pub fn vehicle_detected(&self, class: VehicleClass, direction: Direction) {
        self.vehicles_detected(class, direction, 1);
    }

    /// `count` vehicles of one class and direction detected (one frame's worth).
    pub fn vehicles_detected(&self, class: VehicleClass, direction: Direction, count: u64) {
        self.handles.vehicles[class as usize * Direction::ALL.len() + direction as usize]
            .increment(count);
    }

    /// A measured speed in km/h, recorded in m/s. Negative, NaN and infinite readings are
    /// sensor faults and are ignored.
    pub fn vehicle_speed_kmh(&self, class: VehicleClass, kmh: f64) {
        if kmh.is_finite() && kmh >= 0.0 {
            self.handles.speed[class as usize].record(kmh / 3.6);
        }
    }

    /// An incident was detected now; the handle records acknowledgement and resolution times.
    #[must_use]
    pub fn incident_detected(&self, kind: IncidentType, severity: Severity) -> Incident {
        self.incident_detected_at(kind, severity, Instant::now())
    }

    /// An incident detected at `detected_at` (for incidents detected upstream, and tests).
    #[must_use]
    pub fn incident_detected_at(
        &self,
        kind: IncidentType,
        severity: Severity,
        detected_at: Instant,
    ) -> Incident {
        self.handles.incidents[kind as usize * Severity::ALL.len() + severity as usize]
            .increment(1);
        self.handles.open[severity as usize].increment(1.0);
        Incident {
            handles: Arc::clone(&self.handles),
            kind,
            severity,
            detected_at,
            acknowledged: false,
            open: true,
        }
    }

    /// The share of recent records that passed data-quality checks, 0 to 1 (clamped; NaN is
    /// ignored).
    pub fn data_quality(&self, ratio: f64) {
        if !ratio.is_nan() {
            self.handles.quality.set(ratio.clamp(0.0, 1.0));
        }
    }

    /// The hourly cost of the compute running this service, in dollars; with the vehicle
    /// detection rate it gives cost per detection.
    pub fn compute_hourly_cost(&self, dollars: f64) {
        if dollars.is_finite() && dollars >= 0.0 {
            self.handles.hourly_cost.set(dollars);
        }
    }
}

/// An open incident. Dropping it without [`resolved`](Self::resolved) closes it without a
/// resolution time (the service stopped tracking it).
#[derive(Debug)]
pub struct Incident {
    handles: Arc<Handles>,
    kind: IncidentType,
    severity: Severity,
    detected_at: Instant,
    acknowledged: bool,
    open: bool,
}

impl Incident {
    /// An operator acknowledged the incident; records the time since detection (the first
    /// call only).
    pub fn acknowledged(&mut self) {
        self.acknowledged_at(Instant::now());
    }

    /// As [`acknowledged`](Self::acknowledged), at a given instant.
    pub fn acknowledged_at(&mut self, at: Instant) {
        if !std::mem::replace(&mut self.acknowledged, true) {
            self.handles.acknowledged[self.kind as usize]
                .record(at.saturating_duration_since(self.detected_at).as_secs_f64());
        }
    }

    /// The incident is resolved; records the time since detection and closes it.
    pub fn resolved(self) {
        self.resolved_at(Instant::now());
    }

    /// As [`resolved`](Self::resolved), at a given instant.
    pub fn resolved_at(mut self, at: Instant) {
        self.handles.resolved[self.kind as usize]
            .record(at.saturating_duration_since(self.detected_at).as_secs_f64());
        self.close();
    }

    /// The incident's severity.
    #[must_use]
    pub fn severity(&self) -> Severity {
        self.severity
    }

    fn close(&mut self) {
        if std::mem::take(&mut self.open) {
            self.handles.open[self.severity as usize].decrement(1.0);
        }
    }
}

impl Drop for Incident {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::business as m;
    use crate::test_support::Snapshot;
    use metrics_util::debugging::DebuggingRecorder;
    use std::time::Duration;

    #[test]
    fn records_every_business_metric() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let t0 = Instant::now();
        metrics::with_local_recorder(&recorder, || {
            let a = TrafficAnalytics::new();
            a.vehicle_detected(VehicleClass::Truck, Direction::Outbound);
            a.vehicles_detected(VehicleClass::Truck, Direction::Outbound, 2);
            a.vehicle_speed_kmh(VehicleClass::Truck, 72.0);
            a.vehicle_speed_kmh(VehicleClass::Truck, f64::NAN);
            a.vehicle_speed_kmh(VehicleClass::Truck, -3.0);
            let mut i = a.incident_detected_at(IncidentType::Collision, Severity::Critical, t0);
            i.acknowledged_at(t0 + Duration::from_secs(30));
            i.acknowledged_at(t0 + Duration::from_secs(90));
            i.resolved_at(t0 + Duration::from_secs(600));
            let pending = a.incident_detected(IncidentType::Debris, Severity::Low);
            a.data_quality(1.7);
            a.data_quality(f64::NAN);
            a.compute_hourly_cost(2.5);
            std::mem::forget(pending); // stays open
        });
        let snap = Snapshot::take(&snapshotter);
        let truck_out = [("class", "truck"), ("direction", "outbound")];
        assert_eq!(snap.counter(m::VEHICLES_DETECTED.name, &truck_out), 3);
        let car_in = [("class", "car"), ("direction", "inbound")];
        assert_eq!(snap.counter(m::VEHICLES_DETECTED.name, &car_in), 0);
        let speeds = snap.histogram(m::VEHICLE_SPEED.name, &[("class", "truck")]);
        assert_eq!(speeds.len(), 1);
        assert!((speeds[0] - 20.0).abs() < 1e-9);
        let collision = [("type", "collision"), ("severity", "critical")];
        assert_eq!(snap.counter(m::INCIDENTS.name, &collision), 1);
        let stage = |s| [("type", "collision"), ("stage", s)];
        let response = m::INCIDENT_RESPONSE_DURATION.name;
        assert_eq!(snap.histogram(response, &stage("acknowledged")), vec![30.0]);
        assert_eq!(snap.histogram(response, &stage("resolved")), vec![600.0]);
        assert_eq!(
            snap.gauge(m::INCIDENTS_OPEN.name, &[("severity", "critical")]),
            0.0
        );
        assert_eq!(
            snap.gauge(m::INCIDENTS_OPEN.name, &[("severity", "low")]),
            1.0
        );
        assert_eq!(snap.gauge(m::DATA_QUALITY.name, &[]), 1.0);
        assert_eq!(snap.gauge(m::COMPUTE_HOURLY_COST.name, &[]), 2.5);
    }
}
