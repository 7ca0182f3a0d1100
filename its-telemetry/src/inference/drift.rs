//! Drift: the population stability index (PSI) of a feature — detection confidence by default —
//! over a sliding window, against a reference distribution.
//!
//! `PSI = Σ (cᵢ − rᵢ) · ln(cᵢ / rᵢ)` over the bins, with `cᵢ` and `rᵢ` the current and reference
//! shares of bin `i` (shares below 10⁻⁴ are raised to 10⁻⁴ so empty bins stay finite). Each
//! observation moves at most two bins, so the index is updated in O(1) once the window is
//! full. Thresholds: warn at 0.1, critical at 0.25 (configurable). The gauge and the level are
//! reported once the window is full: a part-filled window is too small a sample.

use std::collections::VecDeque;

use metrics::Gauge;

use crate::cardinality;
use crate::catalog::inference as m;

/// Smallest share used in the PSI terms.
const MIN_SHARE: f64 = 1e-4;

/// Where the index stands against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftLevel {
    /// Below the warning threshold, or the window is not full yet.
    Stable,
    /// At or above the warning threshold.
    Warning,
    /// At or above the critical threshold.
    Critical,
}

/// PSI thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftThresholds {
    /// Warn at or above this (default 0.1).
    pub warn: f64,
    /// Critical at or above this (default 0.25).
    pub critical: f64,
}

impl Default for DriftThresholds {
    fn default() -> Self {
        Self {
            warn: 0.1,
            critical: 0.25,
        }
    }
}

/// A drift monitor that cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DriftError {
    /// Bin edges must be finite and strictly increasing, with at least one bin.
    #[error("bin edges must be finite and strictly increasing, with at least 2 edges")]
    InvalidEdges,
    /// The reference must have one non-negative share per bin, not all zero.
    #[error("the reference needs {bins} non-negative weights, not all zero")]
    InvalidReference {
        /// Bins the edges define.
        bins: usize,
    },
    /// The sliding window must hold at least one value.
    #[error("the window must hold at least one value")]
    EmptyWindow,
    /// Thresholds must satisfy 0 < warn ≤ critical.
    #[error("thresholds must satisfy 0 < warn <= critical")]
    InvalidThresholds,
    /// A baseline of observations had no finite value.
    #[error("the baseline has no finite values")]
    EmptyBaseline,
}

/// Tracks one feature of one model; exports `its_model_drift_score{model,feature}`.
///
/// ```
/// use its_telemetry::inference::{DriftLevel, DriftMonitor};
///
/// // Reference: confidences seen while the model was validated.
/// let baseline: Vec<f64> = (0..1000).map(|i| 0.5 + 0.5 * (i as f64 / 1000.0)).collect();
/// let mut drift = DriftMonitor::confidence("yolov8n", &baseline, 500)?;
/// for _ in 0..500 {
///     drift.observe(0.3); // the model suddenly became unsure
/// }
/// assert_eq!(drift.level(), DriftLevel::Critical);
/// # Ok::<(), its_telemetry::inference::DriftError>(())
/// ```
#[derive(Debug)]
pub struct DriftMonitor {
    edges: Vec<f64>,
    reference: Vec<f64>,
    counts: Vec<u64>,
    window: VecDeque<usize>,
    capacity: usize,
    /// Current PSI term per bin, kept so one observation updates the sum in O(1).
    terms: Vec<f64>,
    psi: f64,
    thresholds: DriftThresholds,
    level: DriftLevel,
    gauge: Gauge,
    model: String,
    feature: String,
}

impl DriftMonitor {
    /// A monitor with explicit bin `edges` (n + 1 edges for n bins; values outside go to the
    /// first or last bin), reference weights per bin, and a window of `window` observations.
    ///
    /// # Errors
    /// [`DriftError`] for invalid edges, reference or window.
    pub fn new(
        model: &str,
        feature: &str,
        edges: Vec<f64>,
        reference: &[f64],
        window: usize,
    ) -> Result<Self, DriftError> {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        let valid_edges = edges.len() >= 2
            && edges.iter().all(|e| e.is_finite())
            && edges.windows(2).all(|w| w[0] < w[1]);
        if !valid_edges {
            return Err(DriftError::InvalidEdges);
        }
        let bins = edges.len() - 1;
        let total: f64 = reference.iter().sum();
        if reference.len() != bins
            || reference.iter().any(|w| !w.is_finite() || *w < 0.0)
            || total <= 0.0
        {
            return Err(DriftError::InvalidReference { bins });
        }
        if window == 0 {
            return Err(DriftError::EmptyWindow);
        }
        let model_label = cardinality::global().admit(&m::DRIFT_SCORE, model);
        Ok(Self {
            reference: reference
                .iter()
                .map(|w| (w / total).max(MIN_SHARE))
                .collect(),
            counts: vec![0; bins],
            window: VecDeque::with_capacity(window),
            capacity: window,
            terms: vec![0.0; bins],
            psi: 0.0,
            thresholds: DriftThresholds::default(),
            level: DriftLevel::Stable,
            gauge: metrics::gauge!(
                m::DRIFT_SCORE.name,
                "model" => model_label,
                "feature" => feature.to_owned()
            ),
            model: model.to_owned(),
            feature: feature.to_owned(),
            edges,
        })
    }

    /// A confidence monitor: ten equal bins over 0–1, reference taken from `baseline`
    /// observations (e.g. the validation run), window of `window` detections.
    ///
    /// # Errors
    /// [`DriftError::EmptyBaseline`] when `baseline` has no finite value, and as [`new`](Self::new).
    pub fn confidence(model: &str, baseline: &[f64], window: usize) -> Result<Self, DriftError> {
        let edges: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
        let mut weights = vec![0.0; 10];
        let mut any = false;
        for value in baseline.iter().copied().filter(|v| v.is_finite()) {
            weights[bin_of(&edges, value)] += 1.0;
            any = true;
        }
        if !any {
            return Err(DriftError::EmptyBaseline);
        }
        Self::new(model, "confidence", edges, &weights, window)
    }

    /// Replaces the thresholds.
    ///
    /// # Errors
    /// [`DriftError::InvalidThresholds`] unless 0 < warn ≤ critical.
    pub fn with_thresholds(mut self, thresholds: DriftThresholds) -> Result<Self, DriftError> {
        if !(thresholds.warn > 0.0 && thresholds.warn <= thresholds.critical) {
            return Err(DriftError::InvalidThresholds);
        }
        self.thresholds = thresholds;
        Ok(self)
    }

    /// Adds one observation (NaN and infinities are ignored), updates the index and the gauge.
    pub fn observe(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        let bin = bin_of(&self.edges, value);
        let mut evicted = None;
        if self.window.len() == self.capacity {
            if let Some(old) = self.window.pop_front() {
                self.counts[old] -= 1;
                evicted = Some(old);
            }
        }
        self.window.push_back(bin);
        self.counts[bin] += 1;
        if let Some(old) = evicted {
            // Window full: n is constant, only the two touched bins change.
            self.update_term(old);
            if old != bin {
                self.update_term(bin);
            }
        } else {
            // Still filling: every share changes with n.
            for i in 0..self.terms.len() {
                self.update_term(i);
            }
        }
        self.publish();
    }

    fn update_term(&mut self, bin: usize) {
        let n = self.window.len() as f64;
        let current = (self.counts[bin] as f64 / n).max(MIN_SHARE);
        let reference = self.reference[bin];
        let term = (current - reference) * (current / reference).ln();
        self.psi += term - self.terms[bin];
        self.terms[bin] = term;
    }

    fn publish(&mut self) {
        // A part-filled window is a small sample whose PSI is mostly noise: report only once
        // the window is full, so a restart does not page anyone.
        if self.window.len() < self.capacity {
            return;
        }
        self.gauge.set(self.psi);
        let level = if self.psi >= self.thresholds.critical {
            DriftLevel::Critical
        } else if self.psi >= self.thresholds.warn {
            DriftLevel::Warning
        } else {
            DriftLevel::Stable
        };
        if level > self.level {
            tracing::warn!(
                model = %self.model,
                feature = %self.feature,
                psi = self.psi,
                level = ?level,
                "model drift crossed a threshold"
            );
        }
        self.level = level;
    }

    /// The current population stability index (0 until the first observation).
    #[must_use]
    pub fn psi(&self) -> f64 {
        self.psi
    }

    /// The index against the thresholds.
    #[must_use]
    pub fn level(&self) -> DriftLevel {
        self.level
    }

    /// Observations in the window.
    #[must_use]
    pub fn observations(&self) -> usize {
        self.window.len()
    }
}

/// The bin of `value`: `[edges[i], edges[i+1])`, values outside going to the first or last bin.
fn bin_of(edges: &[f64], value: f64) -> usize {
    let bins = edges.len() - 1;
    edges[1..bins]
        .iter()
        .position(|edge| value < *edge)
        .unwrap_or(bins - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PSI written out by hand for a 4-bin example.
    #[test]
    fn psi_matches_a_hand_computed_value() {
        let edges = vec![0.0, 0.25, 0.5, 0.75, 1.0];
        let reference = [0.25, 0.25, 0.25, 0.25];
        let mut d = DriftMonitor::new("m", "f", edges, &reference, 100).expect("valid");
        // Current shares: 0.1, 0.2, 0.3, 0.4 (10, 20, 30, 40 of 100).
        for (value, n) in [(0.1, 10), (0.3, 20), (0.6, 30), (0.9, 40)] {
            for _ in 0..n {
                d.observe(value);
            }
        }
        let expected = (0.1f64 - 0.25) * (0.1f64 / 0.25).ln()
            + (0.2f64 - 0.25) * (0.2f64 / 0.25).ln()
            + (0.3f64 - 0.25) * (0.3f64 / 0.25).ln()
            + (0.4f64 - 0.25) * (0.4f64 / 0.25).ln();
        assert!(
            (d.psi() - expected).abs() < 1e-12,
            "{} vs {expected}",
            d.psi()
        );
        assert!((expected - 0.228_7).abs() < 1e-3, "hand value {expected}");
        assert_eq!(d.level(), DriftLevel::Warning);
    }

    #[test]
    fn sliding_window_updates_incrementally_and_crosses_thresholds() {
        let baseline: Vec<f64> = (0..1000)
            .map(|i| 0.6 + 0.4 * f64::from(i) / 1000.0)
            .collect();
        let mut d = DriftMonitor::confidence("m", &baseline, 200).expect("valid");
        for i in 0..200 {
            d.observe(0.6 + 0.4 * f64::from(i) / 200.0);
        }
        assert_eq!(d.level(), DriftLevel::Stable, "psi {}", d.psi());
        for _ in 0..200 {
            d.observe(0.25);
        }
        assert_eq!(d.level(), DriftLevel::Critical, "psi {}", d.psi());
        // The incremental sum equals a recomputation from the counts.
        let n = d.window.len() as f64;
        let full: f64 = d
            .counts
            .iter()
            .zip(&d.reference)
            .map(|(c, r)| {
                let c = (*c as f64 / n).max(MIN_SHARE);
                (c - r) * (c / r).ln()
            })
            .sum();
        assert!((d.psi() - full).abs() < 1e-9);
        assert_eq!(d.observations(), 200);
    }

    #[test]
    fn invalid_inputs_are_errors_and_nan_is_ignored() {
        assert_eq!(
            DriftMonitor::new("m", "f", vec![0.0], &[], 10).err(),
            Some(DriftError::InvalidEdges)
        );
        assert_eq!(
            DriftMonitor::new("m", "f", vec![0.0, 1.0], &[0.0], 10).err(),
            Some(DriftError::InvalidReference { bins: 1 })
        );
        assert_eq!(
            DriftMonitor::new("m", "f", vec![0.0, 1.0], &[1.0], 0).err(),
            Some(DriftError::EmptyWindow)
        );
        assert_eq!(
            DriftMonitor::confidence("m", &[f64::NAN], 10).err(),
            Some(DriftError::EmptyBaseline)
        );
        let d = DriftMonitor::confidence("m", &[0.5], 10).expect("valid");
        assert_eq!(
            d.with_thresholds(DriftThresholds {
                warn: 0.3,
                critical: 0.2
            })
            .err(),
            Some(DriftError::InvalidThresholds)
        );
        let mut d = DriftMonitor::confidence("m", &[0.5], 10).expect("valid");
        d.observe(f64::NAN);
        d.observe(f64::INFINITY);
        assert_eq!(d.observations(), 0);
    }

    #[test]
    fn nothing_is_reported_until_the_window_is_full() {
        let mut d = DriftMonitor::confidence("m", &[0.9; 10], 50).expect("valid");
        for _ in 0..49 {
            d.observe(0.1);
        }
        assert!(d.psi() > 0.25, "the index itself is kept up to date");
        assert_eq!(
            d.level(),
            DriftLevel::Stable,
            "a part-filled window is not reported"
        );
        d.observe(0.1);
        assert_eq!(d.level(), DriftLevel::Critical);
    }

    #[test]
    fn gauge_carries_the_index() {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let mut d = DriftMonitor::confidence("yolo", &[0.9; 10], 10).expect("valid");
            for _ in 0..10 {
                d.observe(0.1);
            }
        });
        let snap = crate::test_support::Snapshot::take(&snapshotter);
        let psi = snap.gauge(
            m::DRIFT_SCORE.name,
            &[("model", "yolo"), ("feature", "confidence")],
        );
        assert!(psi > 0.25, "{psi}");
    }
}
