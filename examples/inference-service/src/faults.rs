//! Fault knobs: make each of the monitoring stack's alerts fire on purpose.
//!
//! Every knob has bounds ([`Faults::validate`]): shares are 0–1 and the latency spike is at most
//! [`MAX_LATENCY_SPIKE_MS`], so no value can make the service unusable for good. Whatever the
//! knobs say, a batch holds its GPU slot for at most the batch timeout (`--batch-timeout-ms`).

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

/// The largest `latency_spike_ms`: 10 s, far beyond every latency alert's threshold (p99 200 ms).
pub const MAX_LATENCY_SPIKE_MS: u64 = 10_000;

/// What to break. Every field defaults to "healthy".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Share of batches that fail (availability, error-budget burn).
    pub error_rate: f64,
    /// Extra model latency per batch in milliseconds, at most [`MAX_LATENCY_SPIKE_MS`]
    /// (p95/p99 latency alerts).
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
    /// Checks every bound, naming the field: shares between 0 and 1 (NaN is not), the latency
    /// spike at most [`MAX_LATENCY_SPIKE_MS`].
    ///
    /// # Errors
    /// [`FaultError`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), FaultError> {
        for (field, value) in [
            ("error_rate", self.error_rate),
            ("camera_outage", self.camera_outage),
            ("confidence_drift", self.confidence_drift),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(FaultError {
                    field,
                    message: format!("{field} = {value} must be between 0 and 1"),
                });
            }
        }
        if self.latency_spike_ms > MAX_LATENCY_SPIKE_MS {
            return Err(FaultError {
                field: "latency_spike_ms",
                message: format!(
                    "latency_spike_ms = {} must be between 0 and {MAX_LATENCY_SPIKE_MS}",
                    self.latency_spike_ms
                ),
            });
        }
        Ok(())
    }
}

/// A fault knob out of its bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FaultError {
    /// The JSON field (the flag is the same name with dashes).
    pub field: &'static str,
    message: String,
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

    /// Replaces the faults. In-process callers are trusted: values are not checked here (the
    /// admin API checks them with [`Faults::validate`]), and the detector's batch timeout bounds
    /// what any latency spike can do.
    pub fn set(&self, faults: Faults) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = faults;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_naming_the_field() {
        assert_eq!(Faults::default().validate(), Ok(()));
        let edge = Faults {
            error_rate: 1.0,
            latency_spike_ms: MAX_LATENCY_SPIKE_MS,
            camera_outage: 1.0,
            confidence_drift: 1.0,
            incident_backlog: true,
            low_data_quality: true,
        };
        assert_eq!(edge.validate(), Ok(()));
        for (faults, field) in [
            (
                Faults {
                    error_rate: -0.1,
                    ..Faults::default()
                },
                "error_rate",
            ),
            (
                Faults {
                    camera_outage: f64::NAN,
                    ..Faults::default()
                },
                "camera_outage",
            ),
            (
                Faults {
                    confidence_drift: f64::INFINITY,
                    ..Faults::default()
                },
                "confidence_drift",
            ),
            (
                Faults {
                    latency_spike_ms: u64::MAX,
                    ..Faults::default()
                },
                "latency_spike_ms",
            ),
            (
                Faults {
                    latency_spike_ms: MAX_LATENCY_SPIKE_MS + 1,
                    ..Faults::default()
                },
                "latency_spike_ms",
            ),
        ] {
            let error = faults.validate().expect_err("out of bounds");
            assert_eq!(error.field, field);
            assert!(error.to_string().starts_with(field), "{error}");
        }
    }
}
