//! Service level objectives declared in code.
//!
//! An [`Slo`] names what counts as a good event, the objective (such as 99.9 %) and the
//! compliance window (such as 30 days). Its [`SloRecorder`] counts good and bad events into
//! `its_slo_events_total{slo,result}` and exports the objective and window as gauges, so the
//! generated burn-rate rules need nothing but the SLO's name.
//!
//! ```
//! use std::time::Duration;
//! use its_telemetry::sla::Slo;
//!
//! let availability = Slo::availability("detection_availability", 0.999, Duration::from_secs(30 * 86_400))?;
//! let latency = Slo::latency("detection_latency", 0.95, Duration::from_millis(100), Duration::from_secs(30 * 86_400))?;
//! let availability = availability.recorder();
//! let latency = latency.recorder();
//! availability.record(true);
//! latency.record_latency(Duration::from_millis(42));
//! # Ok::<(), its_telemetry::sla::SloError>(())
//! ```

use std::time::Duration;

use metrics::Counter;

use crate::catalog::sla as m;

/// An SLO definition that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SloError {
    /// Names become label values and rule names: lowercase letters, digits and `_`.
    #[error("SLO name {0:?} must be non-empty lowercase snake_case (a-z, 0-9, _)")]
    InvalidName(String),
    /// The objective must be a share strictly between 0 and 1.
    #[error("SLO {name}: objective {objective} must be strictly between 0 and 1 (e.g. 0.999)")]
    InvalidObjective {
        /// The SLO.
        name: String,
        /// The value given.
        objective: f64,
    },
    /// Windows and latency thresholds must be positive.
    #[error("SLO {name}: {what} must be longer than zero")]
    ZeroDuration {
        /// The SLO.
        name: String,
        /// `window` or `threshold`.
        what: &'static str,
    },
}

/// What makes an event good.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sli {
    /// The request succeeded.
    Availability,
    /// The request completed within `threshold`.
    Latency {
        /// Longest good duration.
        threshold: Duration,
    },
    /// The service decides; `good_when` documents how, for runbooks and dashboards.
    Custom {
        /// A sentence saying what counts as good.
        good_when: String,
    },
}

/// A service level objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    name: String,
    sli: Sli,
    objective: f64,
    window: Duration,
}

impl Slo {
    /// A general SLO.
    ///
    /// # Errors
    /// [`SloError`] for a name that is not snake_case, an objective outside (0, 1), or a zero
    /// window or latency threshold.
    pub fn new(
        name: impl Into<String>,
        sli: Sli,
        objective: f64,
        window: Duration,
    ) -> Result<Self, SloError> {
        let name = name.into();
        let valid_name = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_name {
            return Err(SloError::InvalidName(name));
        }
        if !(objective > 0.0 && objective < 1.0) {
            return Err(SloError::InvalidObjective { name, objective });
        }
        if window.is_zero() {
            return Err(SloError::ZeroDuration {
                name,
                what: "window",
            });
        }
        if matches!(sli, Sli::Latency { threshold } if threshold.is_zero()) {
            return Err(SloError::ZeroDuration {
                name,
                what: "threshold",
            });
        }
        Ok(Self {
            name,
            sli,
            objective,
            window,
        })
    }

    /// Share of successful requests.
    ///
    /// # Errors
    /// As [`Slo::new`].
    pub fn availability(
        name: impl Into<String>,
        objective: f64,
        window: Duration,
    ) -> Result<Self, SloError> {
        Self::new(name, Sli::Availability, objective, window)
    }

    /// Share of requests faster than `threshold` (e.g. 95 % under 100 ms is a p95 target).
    ///
    /// # Errors
    /// As [`Slo::new`].
    pub fn latency(
        name: impl Into<String>,
        objective: f64,
        threshold: Duration,
        window: Duration,
    ) -> Result<Self, SloError> {
        Self::new(name, Sli::Latency { threshold }, objective, window)
    }

    /// The SLO's name, the `slo` label value.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What counts as good.
    #[must_use]
    pub fn sli(&self) -> &Sli {
        &self.sli
    }

    /// Target share of good events.
    #[must_use]
    pub fn objective(&self) -> f64 {
        self.objective
    }

    /// Compliance window.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The error budget: the share of events allowed to be bad.
    #[must_use]
    pub fn error_budget(&self) -> f64 {
        1.0 - self.objective
    }

    /// Exports the objective and window and returns the event recorder.
    #[must_use]
    pub fn recorder(&self) -> SloRecorder {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        let slo = self.name.clone();
        metrics::gauge!(m::OBJECTIVE.name, "slo" => slo.clone()).set(self.objective);
        metrics::gauge!(m::WINDOW.name, "slo" => slo.clone()).set(self.window.as_secs_f64());
        SloRecorder {
            good: metrics::counter!(m::EVENTS.name, "slo" => slo.clone(), "result" => "good"),
            bad: metrics::counter!(m::EVENTS.name, "slo" => slo, "result" => "bad"),
            threshold: match self.sli {
                Sli::Latency { threshold } => Some(threshold),
                _ => None,
            },
        }
    }
}

/// Counts events against one SLO; two atomic counters, cheap to clone.
#[derive(Debug, Clone)]
pub struct SloRecorder {
    good: Counter,
    bad: Counter,
    threshold: Option<Duration>,
}

impl SloRecorder {
    /// One event, good or bad.
    pub fn record(&self, good: bool) {
        if good {
            self.good.increment(1);
        } else {
            self.bad.increment(1);
        }
    }

    /// A good event.
    pub fn good(&self) {
        self.good.increment(1);
    }

    /// A bad event.
    pub fn bad(&self) {
        self.bad.increment(1);
    }

    /// A request that took `took`: good when within a latency SLO's threshold. For other SLO
    /// kinds a completed request is good.
    pub fn record_latency(&self, took: Duration) {
        self.record(self.threshold.is_none_or(|t| took <= t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Snapshot;
    use metrics_util::debugging::DebuggingRecorder;

    const DAYS_30: Duration = Duration::from_secs(30 * 86_400);

    #[test]
    fn invalid_definitions_are_rejected() {
        assert_eq!(
            Slo::availability("Bad Name", 0.99, DAYS_30),
            Err(SloError::InvalidName("Bad Name".into()))
        );
        for objective in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
            assert!(matches!(
                Slo::availability("a", objective, DAYS_30),
                Err(SloError::InvalidObjective { .. })
            ));
        }
        assert!(matches!(
            Slo::availability("a", 0.9, Duration::ZERO),
            Err(SloError::ZeroDuration { what: "window", .. })
        ));
        assert!(matches!(
            Slo::latency("a", 0.9, Duration::ZERO, DAYS_30),
            Err(SloError::ZeroDuration {
                what: "threshold",
                ..
            })
        ));
    }

    #[test]
    fn records_events_and_exports_objective() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let slo =
            Slo::latency("latency", 0.95, Duration::from_millis(100), DAYS_30).expect("valid");
        assert!((slo.error_budget() - 0.05).abs() < 1e-12);
        metrics::with_local_recorder(&recorder, || {
            let r = slo.recorder();
            r.record_latency(Duration::from_millis(40));
            r.record_latency(Duration::from_millis(100));
            r.record_latency(Duration::from_millis(250));
            r.bad();
        });
        let snap = Snapshot::take(&snapshotter);
        let slo = ("slo", "latency");
        assert_eq!(snap.counter(m::EVENTS.name, &[slo, ("result", "good")]), 2);
        assert_eq!(snap.counter(m::EVENTS.name, &[slo, ("result", "bad")]), 2);
        assert_eq!(snap.gauge(m::OBJECTIVE.name, &[slo]), 0.95);
        assert_eq!(snap.gauge(m::WINDOW.name, &[slo]), 2_592_000.0);
    }
}
