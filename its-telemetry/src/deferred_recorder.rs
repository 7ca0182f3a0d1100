//! The process-wide `metrics` recorder, installed before [`crate::try_init`] knows where metrics
//! go, so handles made early are never silently bound to the no-op recorder.
//!
//! The `metrics` crate binds a handle to whatever recorder is current when the handle is made.
//! Services create their handles wherever is convenient — often before telemetry is
//! initialised, and `#[instrument_inference]` caches its handles in a `static` on first call —
//! so the SDK's constructors call [`ensure_installed`], which puts this recorder in place as the
//! global one. Until init gives it a target, it hands out *late* handles that keep what is
//! recorded (counter totals, the gauge's value, up to [`HISTOGRAM_BUFFER`] histogram samples);
//! when init sets the target, every late handle is resolved against it and replays what it kept.
//! Handles made after init come straight from the target: no indirection on their hot path.
//!
//! A recorder the application installed itself, before any SDK handle was made, wins: then
//! [`ensure_installed`] reports `false` and `try_init` says so with
//! [`InitError::MetricsRecorderInstalled`](crate::InitError::MetricsRecorderInstalled).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};

/// Histogram samples a late handle keeps before init; more are counted and reported at init.
pub(crate) const HISTOGRAM_BUFFER: usize = 1024;

/// Late handles kept alive until init, so a value set through a handle that is dropped at once
/// (`gauge!(..).set(capacity)`) still arrives. Beyond this many (a service that never calls
/// `try_init` but keeps making handles), further ones are held weakly: memory stays bounded.
const KEPT_ALIVE: usize = 65_536;

/// The target recorder, once init provides one, and the late handles waiting for it.
struct Deferred {
    target: OnceLock<Box<dyn Recorder + Send + Sync>>,
    waiting: Mutex<Vec<Waiting>>,
    /// Descriptions given before the target existed, replayed onto it.
    descriptions: Mutex<Vec<Description>>,
    /// Histogram samples beyond [`HISTOGRAM_BUFFER`], summed over all late histograms.
    samples_dropped: AtomicUsize,
}

/// A late handle waiting for the target.
enum Waiting {
    Kept(Arc<dyn Late>),
    Weak(Weak<dyn Late>),
}

impl Waiting {
    fn upgrade(&self) -> Option<Arc<dyn Late>> {
        match self {
            Self::Kept(late) => Some(Arc::clone(late)),
            Self::Weak(late) => late.upgrade(),
        }
    }
}

struct Description {
    kind: Kind,
    key: KeyName,
    unit: Option<Unit>,
    description: SharedString,
}

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn describe(
        self,
        target: &dyn Recorder,
        key: KeyName,
        unit: Option<Unit>,
        description: SharedString,
    ) {
        match self {
            Self::Counter => target.describe_counter(key, unit, description),
            Self::Gauge => target.describe_gauge(key, unit, description),
            Self::Histogram => target.describe_histogram(key, unit, description),
        }
    }
}

static DEFERRED: Deferred = Deferred {
    target: OnceLock::new(),
    waiting: Mutex::new(Vec::new()),
    descriptions: Mutex::new(Vec::new()),
    samples_dropped: AtomicUsize::new(0),
};

/// Whether this recorder is the global one: `Some(true)` once installed, `Some(false)` when
/// another recorder was there first.
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Installs the deferred recorder globally unless a recorder is already installed; returns
/// whether the global recorder is ours. Cheap after the first call.
pub(crate) fn ensure_installed() -> bool {
    *INSTALLED.get_or_init(|| metrics::set_global_recorder(Forward).is_ok())
}

/// What resolving the late handles found, for init to report.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Late handles bound to the target.
    pub(crate) handles: usize,
    /// Histogram samples recorded before init that did not fit the buffer.
    pub(crate) samples_dropped: usize,
}

/// Gives the deferred recorder its target and resolves every late handle against it. Returns
/// `Err(target)` when a target was already set (init succeeds once per process).
pub(crate) fn set_target(
    target: Box<dyn Recorder + Send + Sync>,
) -> Result<Resolved, Box<dyn Recorder + Send + Sync>> {
    DEFERRED.target.set(target)?;
    let target = DEFERRED
        .target
        .get()
        .expect("the target was set just above and is never unset");
    for d in std::mem::take(&mut *lock(&DEFERRED.descriptions)) {
        d.kind
            .describe(target.as_ref(), d.key, d.unit, d.description);
    }
    let waiting = std::mem::take(&mut *lock(&DEFERRED.waiting));
    let mut resolved = Resolved::default();
    for late in waiting.iter().filter_map(Waiting::upgrade) {
        late.resolve(target.as_ref());
        resolved.handles += 1;
    }
    resolved.samples_dropped = DEFERRED.samples_dropped.swap(0, Ordering::Relaxed);
    Ok(resolved)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The value installed with `metrics::set_global_recorder`; everything goes to [`DEFERRED`].
struct Forward;

impl Forward {
    fn describe(&self, kind: Kind, key: KeyName, unit: Option<Unit>, description: SharedString) {
        match DEFERRED.target.get() {
            Some(t) => kind.describe(t.as_ref(), key, unit, description),
            None => lock(&DEFERRED.descriptions).push(Description {
                kind,
                key,
                unit,
                description,
            }),
        }
    }

    /// Registers `late` to be resolved at init, unless init already happened meanwhile.
    fn wait<L: Late + 'static>(late: Arc<L>) -> Arc<L> {
        let mut waiting = lock(&DEFERRED.waiting);
        match DEFERRED.target.get() {
            // Init won the race between our check and this lock: resolve now.
            Some(target) => late.resolve(target.as_ref()),
            None if waiting.len() < KEPT_ALIVE => {
                let kept: Arc<dyn Late> = late.clone();
                waiting.push(Waiting::Kept(kept));
            }
            None => {
                let weak: Weak<L> = Arc::downgrade(&late);
                waiting.push(Waiting::Weak(weak));
            }
        }
        late
    }
}

impl Recorder for Forward {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(Kind::Counter, key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(Kind::Gauge, key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(Kind::Histogram, key, unit, description);
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        if let Some(t) = DEFERRED.target.get() {
            return t.register_counter(key, metadata);
        }
        Counter::from_arc(Self::wait(Arc::new(LateCounter {
            key: key.clone(),
            target: OnceLock::new(),
            pending: AtomicU64::new(0),
        })))
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        if let Some(t) = DEFERRED.target.get() {
            return t.register_gauge(key, metadata);
        }
        Gauge::from_arc(Self::wait(Arc::new(LateGauge {
            key: key.clone(),
            target: OnceLock::new(),
            pending: Mutex::new(0.0),
        })))
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        if let Some(t) = DEFERRED.target.get() {
            return t.register_histogram(key, metadata);
        }
        Histogram::from_arc(Self::wait(Arc::new(LateHistogram {
            key: key.clone(),
            target: OnceLock::new(),
            pending: Mutex::new(Vec::new()),
        })))
    }
}

/// A handle made before init, resolved against the target when init sets it.
trait Late: Send + Sync {
    fn resolve(&self, target: &dyn Recorder);
}

/// Metadata for handles resolved at init; the SDK's recorders do not filter by level.
fn metadata() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, None)
}

struct LateCounter {
    key: Key,
    target: OnceLock<Counter>,
    /// Counted before init; moved to the target exactly once (swap).
    pending: AtomicU64,
}

impl LateCounter {
    fn flush(&self, target: &Counter) {
        let pending = self.pending.swap(0, Ordering::AcqRel);
        if pending > 0 {
            target.increment(pending);
        }
    }
}

impl Late for LateCounter {
    fn resolve(&self, recorder: &dyn Recorder) {
        let counter = self
            .target
            .get_or_init(|| recorder.register_counter(&self.key, &metadata()));
        self.flush(counter);
    }
}

impl CounterFn for LateCounter {
    fn increment(&self, value: u64) {
        if let Some(target) = self.target.get() {
            return target.increment(value);
        }
        self.pending.fetch_add(value, Ordering::AcqRel);
        // Init may have resolved this handle between the check and the add.
        if let Some(target) = self.target.get() {
            self.flush(target);
        }
    }

    fn absolute(&self, value: u64) {
        if let Some(target) = self.target.get() {
            return target.absolute(value);
        }
        self.pending.fetch_max(value, Ordering::AcqRel);
        if let Some(target) = self.target.get() {
            self.flush(target);
        }
    }
}

struct LateGauge {
    key: Key,
    target: OnceLock<Gauge>,
    /// The value before init; the lock orders every update against resolution.
    pending: Mutex<f64>,
}

impl LateGauge {
    fn update(&self, apply_late: impl FnOnce(&mut f64), apply_target: impl FnOnce(&Gauge)) {
        if let Some(target) = self.target.get() {
            return apply_target(target);
        }
        let mut pending = lock(&self.pending);
        match self.target.get() {
            Some(target) => apply_target(target),
            None => apply_late(&mut pending),
        }
    }
}

impl Late for LateGauge {
    fn resolve(&self, recorder: &dyn Recorder) {
        let pending = lock(&self.pending);
        let gauge = self
            .target
            .get_or_init(|| recorder.register_gauge(&self.key, &metadata()));
        gauge.set(*pending);
    }
}

impl GaugeFn for LateGauge {
    fn increment(&self, value: f64) {
        self.update(|v| *v += value, |g| g.increment(value));
    }

    fn decrement(&self, value: f64) {
        self.update(|v| *v -= value, |g| g.decrement(value));
    }

    fn set(&self, value: f64) {
        self.update(|v| *v = value, |g| g.set(value));
    }
}

struct LateHistogram {
    key: Key,
    target: OnceLock<Histogram>,
    /// Samples before init, at most [`HISTOGRAM_BUFFER`].
    pending: Mutex<Vec<f64>>,
}

impl Late for LateHistogram {
    fn resolve(&self, recorder: &dyn Recorder) {
        let mut pending = lock(&self.pending);
        let histogram = self
            .target
            .get_or_init(|| recorder.register_histogram(&self.key, &metadata()));
        for sample in pending.drain(..) {
            histogram.record(sample);
        }
    }
}

impl HistogramFn for LateHistogram {
    fn record(&self, value: f64) {
        if let Some(target) = self.target.get() {
            return target.record(value);
        }
        let mut pending = lock(&self.pending);
        match self.target.get() {
            Some(target) => target.record(value),
            None if pending.len() < HISTOGRAM_BUFFER => pending.push(value),
            None => {
                DEFERRED.samples_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    /// The late handles are exercised without touching the global recorder: resolve them by
    /// hand against a debugging recorder.
    #[test]
    fn late_handles_replay_what_they_kept() {
        let key = Key::from_name("its_test_total");
        let counter = Arc::new(LateCounter {
            key: key.clone(),
            target: OnceLock::new(),
            pending: AtomicU64::new(0),
        });
        let gauge = Arc::new(LateGauge {
            key: Key::from_name("its_test_gauge"),
            target: OnceLock::new(),
            pending: Mutex::new(0.0),
        });
        let histogram = Arc::new(LateHistogram {
            key: Key::from_name("its_test_seconds"),
            target: OnceLock::new(),
            pending: Mutex::new(Vec::new()),
        });
        counter.increment(3);
        counter.increment(4);
        gauge.set(10.0);
        gauge.increment(2.0);
        histogram.record(0.5);
        histogram.record(1.5);

        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        counter.resolve(&recorder);
        gauge.resolve(&recorder);
        histogram.resolve(&recorder);
        // After resolution the handles write straight through.
        counter.increment(1);
        gauge.decrement(1.0);
        histogram.record(2.5);

        let values: std::collections::HashMap<String, DebugValue> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(k, _, _, v)| (k.key().name().to_owned(), v))
            .collect();
        assert_eq!(values["its_test_total"], DebugValue::Counter(8));
        assert_eq!(
            values["its_test_gauge"],
            DebugValue::Gauge(11.0.into()),
            "{values:?}"
        );
        assert_eq!(
            values["its_test_seconds"],
            DebugValue::Histogram(vec![0.5.into(), 1.5.into(), 2.5.into()])
        );
    }
}
