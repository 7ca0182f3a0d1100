//! The cardinality guard: a bound on distinct label values per metric.
//!
//! A typo'd camera id generator or a flood of unknown streams must not grow Prometheus
//! without limit. Recorders ask the guard for every dynamic label value when they create a
//! handle (never per event); past the metric's limit, new values are folded into
//! [`OVERFLOW_VALUE`], counted in `its_telemetry_label_overflow_total{metric}`, and logged once
//! per metric.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use crate::catalog::{MetricDescriptor, sdk};
use crate::config::CardinalityConfig;

/// The label value that replaces values beyond a metric's limit.
pub const OVERFLOW_VALUE: &str = "_overflow";

/// Bounds distinct label values per metric. Cheap to share: handles call it once at creation.
#[derive(Debug)]
pub struct CardinalityGuard {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    default_limit: usize,
    limits: HashMap<String, usize>,
    seen: HashMap<&'static str, MetricValues>,
}

impl State {
    fn limit_for(&self, metric: &str) -> usize {
        self.limits
            .get(metric)
            .copied()
            .unwrap_or(self.default_limit)
    }
}

#[derive(Debug, Default)]
struct MetricValues {
    values: HashSet<String>,
    warned: bool,
}

/// A metric that already holds more distinct values than a new limit allows: values admitted
/// earlier are kept (their series exist), new ones fold into [`OVERFLOW_VALUE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverLimit {
    /// The metric's name.
    pub metric: &'static str,
    /// Distinct values admitted before the limit was set.
    pub admitted: usize,
    /// The new limit.
    pub limit: usize,
}

impl Default for CardinalityGuard {
    fn default() -> Self {
        Self::new(&CardinalityConfig::default())
    }
}

impl CardinalityGuard {
    /// A guard with the configured limits.
    #[must_use]
    pub fn new(config: &CardinalityConfig) -> Self {
        Self {
            state: Mutex::new(State {
                default_limit: config.default_limit.max(1),
                limits: limits_of(config),
                seen: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies new limits, keeping the values admitted so far; returns the metrics that already
    /// hold more values than their new limit. [`crate::try_init`] calls this on the global guard,
    /// so limits configured at init hold even when handles were made before it.
    pub fn reconfigure(&self, config: &CardinalityConfig) -> Vec<OverLimit> {
        let mut state = self.state();
        state.default_limit = config.default_limit.max(1);
        state.limits = limits_of(config);
        let state = &*state;
        let mut over: Vec<OverLimit> = state
            .seen
            .iter()
            .map(|(metric, values)| OverLimit {
                metric,
                admitted: values.values.len(),
                limit: state.limit_for(metric),
            })
            .filter(|o| o.admitted > o.limit)
            .collect();
        over.sort_by_key(|o| o.metric);
        over
    }

    /// The limit that applies to `metric`.
    #[must_use]
    pub fn limit_for(&self, metric: &MetricDescriptor) -> usize {
        self.state().limit_for(metric.name)
    }

    /// Returns the label value to use for `value` on `metric`: the value itself while the
    /// metric is under its limit or already has this value,
    /// otherwise [`OVERFLOW_VALUE`], counting and logging the overflow.
    pub fn admit(&self, metric: &'static MetricDescriptor, value: &str) -> String {
        let mut state = self.state();
        let limit = state.limit_for(metric.name);
        let entry = state.seen.entry(metric.name).or_default();
        if entry.values.contains(value) {
            return value.to_owned();
        }
        if entry.values.len() < limit {
            entry.values.insert(value.to_owned());
            return value.to_owned();
        }
        let first = !entry.warned;
        entry.warned = true;
        drop(state);
        metrics::counter!(sdk::LABEL_OVERFLOW.name, "metric" => metric.name).increment(1);
        if first {
            tracing::warn!(
                metric = metric.name,
                limit,
                "label cardinality limit reached; further values are recorded as `{OVERFLOW_VALUE}`"
            );
        }
        OVERFLOW_VALUE.to_owned()
    }

    /// Distinct values admitted so far for `metric`.
    #[must_use]
    pub fn admitted(&self, metric: &MetricDescriptor) -> usize {
        self.state()
            .seen
            .get(metric.name)
            .map_or(0, |m| m.values.len())
    }
}

fn limits_of(config: &CardinalityConfig) -> HashMap<String, usize> {
    config
        .limits
        .iter()
        .map(|(k, v)| (k.clone(), (*v).max(1)))
        .collect()
}

static GLOBAL: OnceLock<CardinalityGuard> = OnceLock::new();

/// The process-wide guard that recorders use: the default limit
/// ([`DEFAULT_CARDINALITY_LIMIT`](crate::config::DEFAULT_CARDINALITY_LIMIT)) until
/// [`crate::try_init`] applies the configured limits with [`CardinalityGuard::reconfigure`].
pub fn global() -> &'static CardinalityGuard {
    GLOBAL.get_or_init(CardinalityGuard::default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::camera;
    use crate::config::DEFAULT_CARDINALITY_LIMIT;
    use crate::test_support::Snapshot;
    use metrics_util::debugging::DebuggingRecorder;

    fn guard(limit: usize) -> CardinalityGuard {
        CardinalityGuard::new(&CardinalityConfig {
            default_limit: limit,
            ..CardinalityConfig::default()
        })
    }

    #[test]
    fn values_past_the_limit_fold_into_overflow_and_are_counted() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let guard = guard(3);
        metrics::with_local_recorder(&recorder, || {
            for i in 0..10 {
                let v = guard.admit(&camera::FRAMES_RECEIVED, &format!("cam-{i}"));
                assert_eq!(v == OVERFLOW_VALUE, i >= 3, "cam-{i} -> {v}");
            }
            // A value admitted earlier stays itself.
            assert_eq!(guard.admit(&camera::FRAMES_RECEIVED, "cam-1"), "cam-1");
        });
        assert_eq!(guard.admitted(&camera::FRAMES_RECEIVED), 3);
        let snap = Snapshot::take(&snapshotter);
        let metric = [("metric", camera::FRAMES_RECEIVED.name)];
        assert_eq!(snap.counter(sdk::LABEL_OVERFLOW.name, &metric), 7);
    }

    #[test]
    fn limits_are_per_metric() {
        let mut config = CardinalityConfig::default();
        config.limits.insert(camera::RECONNECTS.name.into(), 1);
        let guard = CardinalityGuard::new(&config);
        assert_eq!(guard.admit(&camera::RECONNECTS, "a"), "a");
        assert_eq!(guard.admit(&camera::RECONNECTS, "b"), OVERFLOW_VALUE);
        assert_eq!(guard.admit(&camera::FRAMES_RECEIVED, "b"), "b");
        assert_eq!(
            guard.limit_for(&camera::FRAMES_RECEIVED),
            DEFAULT_CARDINALITY_LIMIT
        );
    }

    #[test]
    fn reconfiguring_applies_new_limits_and_reports_metrics_over_them() {
        let guard = guard(10);
        for i in 0..5 {
            guard.admit(&camera::FRAMES_RECEIVED, &format!("cam-{i}"));
        }
        let over = guard.reconfigure(&CardinalityConfig {
            default_limit: 3,
            ..CardinalityConfig::default()
        });
        assert_eq!(
            over,
            vec![OverLimit {
                metric: camera::FRAMES_RECEIVED.name,
                admitted: 5,
                limit: 3
            }]
        );
        // Known values stay; new ones fold.
        assert_eq!(guard.admit(&camera::FRAMES_RECEIVED, "cam-4"), "cam-4");
        assert_eq!(
            guard.admit(&camera::FRAMES_RECEIVED, "cam-9"),
            OVERFLOW_VALUE
        );
        assert_eq!(guard.admit(&camera::RECONNECTS, "a"), "a");
        assert_eq!(guard.limit_for(&camera::RECONNECTS), 3);
    }
}
