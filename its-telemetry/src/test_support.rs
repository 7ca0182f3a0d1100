//! Reading a `DebuggingRecorder` snapshot in unit tests.

use metrics_util::CompositeKey;
use metrics_util::debugging::{DebugValue, Snapshotter};

type Row = (
    CompositeKey,
    Option<metrics::Unit>,
    Option<metrics::SharedString>,
    DebugValue,
);

/// A taken snapshot, queried by metric name and a subset of labels.
pub(crate) struct Snapshot(Vec<Row>);

impl Snapshot {
    pub(crate) fn take(snapshotter: &Snapshotter) -> Self {
        Self(snapshotter.snapshot().into_vec())
    }

    pub(crate) fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        self.0.iter().find_map(|(k, _, _, v)| {
            let key = k.key();
            let matches = key.name() == name
                && labels
                    .iter()
                    .all(|(lk, lv)| key.labels().any(|l| l.key() == *lk && l.value() == *lv));
            matches.then_some(v)
        })
    }

    pub(crate) fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.find(name, labels) {
            Some(DebugValue::Counter(v)) => *v,
            other => panic!("{name}{labels:?}: expected a counter, found {other:?}"),
        }
    }

    pub(crate) fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        match self.find(name, labels) {
            Some(DebugValue::Gauge(v)) => v.into_inner(),
            other => panic!("{name}{labels:?}: expected a gauge, found {other:?}"),
        }
    }

    pub(crate) fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        match self.find(name, labels) {
            Some(DebugValue::Histogram(v)) => v.iter().map(|x| x.into_inner()).collect(),
            other => panic!("{name}{labels:?}: expected a histogram, found {other:?}"),
        }
    }
}
