//! The SDK's own `metrics` recorder: series stored as plain atomics, with their label block
//! rendered once when the series is registered, so a scrape only formats numbers.
//!
//! Written here rather than taken from metrics-exporter-prometheus (0.18), with measured
//! reasons: that crate brings 16 crates into every service (evmap, left-right, quanta,
//! sketches-ddsketch, …: the lean build went from 77 to 61 crates without it), renders a
//! histogram as a summary unless buckets are set for it (STACK.md trap 6), needs a periodic
//! upkeep task or memory grows (trap 7), cannot escape a backslash in a label value, and took
//! 24 ms to render 1 000 cameras (BENCHMARKS.md has the figures of this one).
//!
//! Histograms are cumulative bucket counters as Prometheus defines them: the buckets of the
//! metric's catalog entry, or [`DEFAULT_BUCKETS`] for names outside the catalog.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

use super::exemplar::BucketExemplars;
use super::{Format, render};

/// Buckets for histograms the catalog does not know (the OpenTelemetry default boundaries,
/// in seconds).
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The three metric types of the text exposition this recorder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// One series: its label block (`service="svc",camera_id="cam-1"`, without braces) and value.
#[derive(Debug)]
pub(crate) struct Series {
    pub(crate) labels: String,
    pub(crate) value: Value,
}

/// A series' storage.
#[derive(Debug)]
pub(crate) enum Value {
    /// A counter's total.
    Counter(Arc<AtomicU64>),
    /// A gauge's value, as `f64` bits (the `metrics` crate's `GaugeFn` for `AtomicU64`).
    Gauge(Arc<AtomicU64>),
    /// A histogram's buckets.
    Histogram(Arc<BucketHistogram>),
}

/// Every series of one metric name.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) kind: Kind,
    pub(crate) series: Vec<Series>,
    /// `Key` labels → index in `series`, for registration.
    index: HashMap<Vec<(String, String)>, usize>,
}

/// The state shared by the recorder and its handles.
#[derive(Debug)]
pub(crate) struct Registry {
    /// `service="…",environment="…"`, rendered once.
    global_labels: String,
    /// The same labels as pairs, for the rare series that overrides one of them.
    global: Vec<(String, String)>,
    buckets: HashMap<String, &'static [f64]>,
    pub(crate) families: RwLock<BTreeMap<String, Family>>,
    pub(crate) help: RwLock<HashMap<String, String>>,
    /// Size of the last exposition, so the next one allocates once.
    pub(crate) last_len: AtomicUsize,
}

impl Registry {
    fn series_labels(&self, key: &Key) -> String {
        let mut labels = String::with_capacity(self.global_labels.len() + 32);
        let overridden = |name: &str| key.labels().any(|l| l.key() == name);
        if self.global.iter().any(|(n, _)| overridden(n)) {
            // A key label of the same name wins over the global one.
            for (name, value) in &self.global {
                if !overridden(name) {
                    render::push_label(&mut labels, name, value);
                }
            }
        } else {
            labels.push_str(&self.global_labels);
        }
        for label in key.labels() {
            render::push_label(&mut labels, label.key(), label.value());
        }
        labels
    }

    fn register(&self, key: &Key, kind: Kind) -> Option<Value> {
        let name = key.name();
        let labels: Vec<(String, String)> = key
            .labels()
            .map(|l| (l.key().to_owned(), l.value().to_owned()))
            .collect();
        if let Some(value) = self.lookup(name, kind, &labels) {
            return value;
        }
        let mut families = self
            .families
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let family = families.entry(name.to_owned()).or_insert_with(|| Family {
            kind,
            series: Vec::new(),
            index: HashMap::new(),
        });
        if family.kind != kind {
            return None;
        }
        if let Some(&i) = family.index.get(&labels) {
            return Some(family.series[i].value.share());
        }
        let value = match kind {
            Kind::Counter => Value::Counter(Arc::default()),
            Kind::Gauge => Value::Gauge(Arc::default()),
            Kind::Histogram => Value::Histogram(Arc::new(BucketHistogram::new(
                self.buckets.get(name).copied().unwrap_or(DEFAULT_BUCKETS),
            ))),
        };
        let shared = value.share();
        family.index.insert(labels, family.series.len());
        family.series.push(Series {
            labels: self.series_labels(key),
            value,
        });
        Some(shared)
    }

    /// The existing series, under the read lock only: `Some(None)` for a kind clash.
    fn lookup(&self, name: &str, kind: Kind, labels: &[(String, String)]) -> Option<Option<Value>> {
        let families = self.families.read().unwrap_or_else(PoisonError::into_inner);
        let family = families.get(name)?;
        if family.kind != kind {
            return Some(None);
        }
        let &i = family.index.get(labels)?;
        Some(Some(family.series[i].value.share()))
    }
}

impl Value {
    fn share(&self) -> Self {
        match self {
            Self::Counter(v) => Self::Counter(Arc::clone(v)),
            Self::Gauge(v) => Self::Gauge(Arc::clone(v)),
            Self::Histogram(v) => Self::Histogram(Arc::clone(v)),
        }
    }
}

/// A histogram with fixed buckets: per-bucket counts (not cumulative; rendering sums them),
/// the sum of the samples as `f64` bits, and the count.
#[derive(Debug)]
pub(crate) struct BucketHistogram {
    pub(crate) bounds: &'static [f64],
    /// One more than `bounds`: the last is `+Inf`.
    pub(crate) counts: Box<[AtomicU64]>,
    pub(crate) sum: AtomicU64,
    /// The latest sample of each bucket recorded under a trace (OpenMetrics exemplars).
    pub(crate) exemplars: BucketExemplars,
}

impl BucketHistogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0.0_f64.to_bits()),
            exemplars: BucketExemplars::default(),
        }
    }
}

impl HistogramFn for BucketHistogram {
    fn record(&self, value: f64) {
        if value.is_nan() {
            return; // would poison the sum for good
        }
        let i = self.bounds.partition_point(|&bound| bound < value);
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.exemplars.offer(self.counts.len(), i, value);
        let mut current = self.sum.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + value).to_bits();
            match self.sum.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }
}

/// A `metrics` recorder that renders the Prometheus text exposition. Build it with
/// [`build_recorder`](super::build_recorder); read it through [`PrometheusHandle`].
#[derive(Debug)]
pub struct PrometheusRecorder {
    registry: Arc<Registry>,
}

/// Renders what a [`PrometheusRecorder`] holds; cheap to clone and share with an HTTP route.
#[derive(Debug, Clone)]
pub struct PrometheusHandle {
    registry: Arc<Registry>,
}

impl PrometheusRecorder {
    /// A recorder with `global_labels` on every series and `buckets` for the histograms they
    /// name (others get [`DEFAULT_BUCKETS`]).
    #[must_use]
    pub fn new<'a>(
        global_labels: impl IntoIterator<Item = (&'a str, &'a str)>,
        buckets: impl IntoIterator<Item = (&'a str, &'static [f64])>,
    ) -> Self {
        let global: Vec<(String, String)> = global_labels
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        let mut rendered = String::new();
        for (name, value) in &global {
            render::push_label(&mut rendered, name, value);
        }
        Self {
            registry: Arc::new(Registry {
                global_labels: rendered,
                global,
                buckets: buckets
                    .into_iter()
                    .map(|(name, bounds)| (name.to_owned(), bounds))
                    .collect(),
                families: RwLock::default(),
                help: RwLock::default(),
                last_len: AtomicUsize::new(0),
            }),
        }
    }

    /// A handle that renders this recorder's series.
    #[must_use]
    pub fn handle(&self) -> PrometheusHandle {
        PrometheusHandle {
            registry: Arc::clone(&self.registry),
        }
    }

    fn describe(&self, key: &KeyName, description: &SharedString) {
        self.registry
            .help
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.as_str().to_owned(), description.to_string());
    }
}

impl PrometheusHandle {
    /// The text exposition (format 0.0.4) of every series.
    #[must_use]
    pub fn render(&self) -> String {
        self.render_as(Format::Text)
    }

    /// The exposition of every series in `format`: OpenMetrics adds the histograms'
    /// [exemplars](super::exemplar).
    #[must_use]
    pub fn render_as(&self, format: Format) -> String {
        let mut out = String::with_capacity(self.registry.last_len.load(Ordering::Relaxed) + 1024);
        render::exposition(&self.registry, &mut out, format);
        self.registry.last_len.store(out.len(), Ordering::Relaxed);
        out
    }
}

impl Recorder for PrometheusRecorder {
    fn describe_counter(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(&key, &description);
    }

    fn describe_gauge(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(&key, &description);
    }

    fn describe_histogram(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(&key, &description);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> Counter {
        match self.registry.register(key, Kind::Counter) {
            Some(Value::Counter(v)) => Counter::from_arc(v),
            _ => Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> Gauge {
        match self.registry.register(key, Kind::Gauge) {
            Some(Value::Gauge(v)) => Gauge::from_arc(v),
            _ => Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        match self.registry.register(key, Kind::Histogram) {
            Some(Value::Histogram(v)) => Histogram::from_arc(v),
            _ => Histogram::noop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_samples_land_in_their_buckets() {
        let h = BucketHistogram::new(&[0.1, 1.0]);
        for v in [0.05, 0.1, 0.5, 2.0, f64::NAN] {
            h.record(v);
        }
        let counts: Vec<u64> = h.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        // `le` is inclusive: 0.1 falls in the first bucket.
        assert_eq!(counts, vec![2, 1, 1]);
        assert!((f64::from_bits(h.sum.load(Ordering::Relaxed)) - 2.65).abs() < 1e-12);
    }

    #[test]
    fn a_name_keeps_its_first_kind() {
        let recorder = PrometheusRecorder::new([], []);
        let meta = Metadata::new("t", metrics::Level::INFO, None);
        let key = Key::from_name("its_clash");
        recorder.register_counter(&key, &meta).increment(1);
        // A gauge of the same name would make the exposition invalid: it records nowhere.
        recorder.register_gauge(&key, &meta).set(5.0);
        let text = recorder.handle().render();
        assert!(
            text.contains("# TYPE its_clash counter\nits_clash 1\n"),
            "{text}"
        );
        assert!(!text.contains('5'), "{text}");
    }

    #[test]
    fn key_labels_override_global_ones() {
        let recorder = PrometheusRecorder::new([("service", "a\"b"), ("environment", "e")], []);
        let meta = Metadata::new("t", metrics::Level::INFO, None);
        let key = Key::from_parts("its_x_total", vec![metrics::Label::new("environment", "k")]);
        recorder.register_counter(&key, &meta).increment(2);
        let text = recorder.handle().render();
        assert!(
            text.contains(r#"its_x_total{service="a\"b",environment="k"} 2"#),
            "{text}"
        );
    }
}
