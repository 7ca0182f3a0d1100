//! Fault knobs: make each of the monitoring stack's alerts fire on purpose.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

/// What to break. Every field defaults to "healthy".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Share of batches that fail (availability, error-budget burn).
    pub error_rate: f64,
    /// Extra model latency per batch in milliseconds (p95/p99 latency alerts).
    pub latency_spike_ms: u64,
    /// Share of cameras offline (camera connectivity, stale streams).
    pub camera_outage: f64,
    /// How much detection confidence drops (drift, low-confidence alerts).
    pub confidence_drift: f64,
    /// Incidents are acknowledged late and never resolved (incident-response alerts).
    pub incident_backlog: bool,
    /// Data quality falls to 70 % (data-quality alert).
    pub low_data_quality: bool,
}

impl Faults {
    /// Checks ranges, naming the field.
    ///
    /// # Errors
    /// A message naming the field that is out of range.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("error_rate", self.error_rate),
            ("camera_outage", self.camera_outage),
            ("confidence_drift", self.confidence_drift),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("{name} = {value} must be between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// The current faults, shared by the API, the batcher and the simulator.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch(Arc<RwLock<Faults>>);

impl FaultSwitch {
    /// Starts with `faults`.
    #[must_use]
    pub fn new(faults: Faults) -> Self {
        Self(Arc::new(RwLock::new(faults)))
    }

    /// A copy of the current faults.
    #[must_use]
    pub fn get(&self) -> Faults {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the faults.
    pub fn set(&self, faults: Faults) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = faults;
    }
}
