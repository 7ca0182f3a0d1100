//! The poller: reads a [`GpuSource`] on an interval and exports the catalog's GPU metrics.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use metrics::Gauge;

use super::device::DeviceMetrics;
use super::{DeviceReading, GpuError, GpuSource};
use crate::catalog::gpu as m;

/// How often GPUs are read unless the service says otherwise: often enough for a
/// utilization alert over a few minutes, rare enough that NVML's cost (a few milliseconds per
/// device) does not matter.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// Shorter intervals are raised to this, so a zero from a config file cannot spin a core.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Reads a [`GpuSource`] and exports what it reads as the catalog's GPU metrics, per device
/// (`gpu`, `uuid`, `name` labels), in base units.
///
/// A service normally calls [`spawn`](Self::spawn) (or [`start_default`](super::start_default))
/// once after [`try_init`](crate::try_init), so the handles go to the installed recorder. Tests
/// drive it with [`poll_once`](Self::poll_once) instead of waiting for the interval.
///
/// It never takes the service down: a source that fails (or panics) turns
/// `its_gpu_nvml_available` to 0 and logs one warning with the reason; the next successful read
/// turns it back to 1.
///
/// ```
/// use std::time::Duration;
/// use its_telemetry::gpu::{FakeGpuSource, GpuPoller};
///
/// let source = FakeGpuSource::new(vec![FakeGpuSource::device(0)]);
/// let mut poller = GpuPoller::new(source, Duration::from_secs(5));
/// assert_eq!(poller.poll_once(), Ok(1));
/// ```
pub struct GpuPoller {
    source: Box<dyn GpuSource>,
    interval: Duration,
    pid: u32,
    available: Gauge,
    devices: HashMap<String, DeviceMetrics>,
    present: HashSet<String>,
    health: Health,
}

/// What the last poll found, so the warning is logged once per outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Unknown,
    Available,
    Unavailable,
}

impl GpuPoller {
    /// A poller over `source`, reading every `interval` once spawned (at least 100 ms; see
    /// [`DEFAULT_INTERVAL`]). Registers `its_gpu_nvml_available` with the current recorder.
    #[must_use]
    pub fn new(source: impl GpuSource + 'static, interval: Duration) -> Self {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        Self {
            source: Box::new(source),
            interval: interval.max(MIN_INTERVAL),
            pid: std::process::id(),
            available: metrics::gauge!(m::NVML_AVAILABLE.name),
            devices: HashMap::new(),
            present: HashSet::new(),
            health: Health::Unknown,
        }
    }

    /// Reports process memory for `pid` instead of this process: a test seam, or a sidecar
    /// that watches the inference process next to it.
    #[must_use]
    pub fn with_pid(mut self, pid: u32) -> Self {
        self.pid = pid;
        self
    }

    /// The interval the poller will read at once spawned.
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Reads the source once and exports the readings; returns how many devices were read.
    ///
    /// Handles for a device are created when it is first seen, and for a reading only when
    /// the device first reports it, so unsupported readings never appear as 0.
    ///
    /// # Errors
    ///
    /// The source's error (a panic in the source becomes [`GpuError::SourcePanicked`]), after
    /// exporting availability 0 and — on the first failure after a success, or ever — one
    /// warning. Callers can ignore it: the poller has already reported it.
    pub fn poll_once(&mut self) -> Result<usize, GpuError> {
        let source = &mut self.source;
        let read =
            panic::catch_unwind(AssertUnwindSafe(|| source.read())).unwrap_or_else(|payload| {
                Err(GpuError::SourcePanicked {
                    message: panic_message(payload.as_ref()),
                })
            });
        match read {
            Ok(devices) => {
                self.available.set(1.0);
                if self.health == Health::Unavailable {
                    tracing::info!("GPU readings are available again");
                }
                self.health = Health::Available;
                self.export(&devices);
                Ok(devices.len())
            }
            Err(error) => {
                self.available.set(0.0);
                if self.health == Health::Unavailable {
                    tracing::debug!(reason = %error, "GPU readings still unavailable");
                } else {
                    tracing::warn!(
                        reason = %error,
                        metric = m::NVML_AVAILABLE.name,
                        "GPU metrics unavailable; the service carries on without them"
                    );
                }
                self.health = Health::Unavailable;
                Err(error)
            }
        }
    }

    /// Takes the first reading now, on the caller's thread (so it lands in the caller's
    /// recorder and the first scrape already has it), then keeps reading on a thread named
    /// `its-gpu-poller` until the returned handle is dropped.
    ///
    /// A plain thread rather than a runtime task: NVML calls block, and a service without a
    /// tokio runtime can still export GPU metrics.
    ///
    /// ```
    /// use std::time::Duration;
    /// use its_telemetry::gpu::{FakeGpuSource, GpuPoller};
    ///
    /// let source = FakeGpuSource::new(vec![FakeGpuSource::device(0)]);
    /// let handle = GpuPoller::new(source.clone(), Duration::from_secs(5)).spawn()?;
    /// assert!(handle.is_polling());
    /// drop(handle); // stops and joins the thread
    /// assert_eq!(source.reads(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the operating system refuses a new thread.
    pub fn spawn(mut self) -> io::Result<GpuPollerHandle> {
        let _reported = self.poll_once();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("its-gpu-poller".to_owned())
            .spawn(move || {
                // Polls until the handle drops its sender (Disconnected) or sends a stop.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(self.interval) {
                    let _reported = self.poll_once();
                }
            })?;
        Ok(GpuPollerHandle {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn export(&mut self, readings: &[DeviceReading]) {
        let mut present = HashSet::with_capacity(readings.len());
        for reading in readings {
            let device = match self.devices.entry(reading.uuid.clone()) {
                Entry::Occupied(entry) if entry.get().matches(reading) => entry.into_mut(),
                Entry::Occupied(mut entry) => {
                    entry.insert(DeviceMetrics::new(reading));
                    entry.into_mut()
                }
                Entry::Vacant(entry) => entry.insert(DeviceMetrics::new(reading)),
            };
            device.record(reading, self.pid);
            present.insert(reading.uuid.clone());
        }
        for gone in self.present.difference(&present) {
            tracing::warn!(
                uuid = %gone,
                "a GPU is no longer reported (fell off the bus?); its series keep their last values"
            );
        }
        self.present = present;
    }
}

impl fmt::Debug for GpuPoller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GpuPoller")
            .field("interval", &self.interval)
            .field("pid", &self.pid)
            .field("devices", &self.devices.len())
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_owned())
}

/// Keeps a spawned [`GpuPoller`] running; dropping it stops the poller.
///
/// Dropping waits for a poll in progress to finish (milliseconds), so when `drop` returns no
/// further readings are exported and the source has been released.
#[derive(Debug)]
#[must_use = "dropping the handle stops the GPU poller"]
pub struct GpuPollerHandle {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl GpuPollerHandle {
    /// A handle with nothing behind it, for when there is nothing to poll (no NVML).
    pub(super) fn idle() -> Self {
        Self {
            stop: None,
            thread: None,
        }
    }

    /// Whether a poller thread is behind this handle; `false` when
    /// [`start_default`](super::start_default) found no way to read GPUs.
    #[must_use]
    pub fn is_polling(&self) -> bool {
        self.thread.is_some()
    }

    /// Stops the poller and waits for it: the same as dropping the handle, said out loud.
    pub fn stop(self) {}
}

impl Drop for GpuPollerHandle {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The loop catches source panics; a join error could only come from a panic in
            // the exporter itself, and the service must not fail because of it.
            let _joined = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use metrics::{Counter, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
    use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

    use super::*;
    use crate::catalog::MetricDescriptor;
    use crate::gpu::test_logs::count_warnings;
    use crate::gpu::{FakeGpuSource, ProcessMemory, ThrottleReason};

    const GIB: f64 = (1_u64 << 30) as f64;
    const PID: u32 = 4242;

    /// One exported series, labels by key.
    #[derive(Debug)]
    struct Series {
        name: String,
        labels: BTreeMap<String, String>,
        value: DebugValue,
    }

    /// A `DebuggingRecorder` that also counts handle registrations.
    struct Counting {
        inner: DebuggingRecorder,
        registrations: Arc<AtomicUsize>,
    }

    impl Recorder for Counting {
        fn describe_counter(&self, key: KeyName, unit: Option<Unit>, help: SharedString) {
            self.inner.describe_counter(key, unit, help);
        }
        fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, help: SharedString) {
            self.inner.describe_gauge(key, unit, help);
        }
        fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, help: SharedString) {
            self.inner.describe_histogram(key, unit, help);
        }
        fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
            self.registrations.fetch_add(1, Ordering::SeqCst);
            self.inner.register_counter(key, metadata)
        }
        fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
            self.registrations.fetch_add(1, Ordering::SeqCst);
            self.inner.register_gauge(key, metadata)
        }
        fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
            self.registrations.fetch_add(1, Ordering::SeqCst);
            self.inner.register_histogram(key, metadata)
        }
    }

    /// A poller over `source` and the recorder it exports to; run test steps through
    /// [`Harness::run`] so handles land in this recorder.
    struct Harness {
        recorder: Counting,
        snapshotter: Snapshotter,
        registrations: Arc<AtomicUsize>,
    }

    impl Harness {
        fn new() -> Self {
            let inner = DebuggingRecorder::new();
            let snapshotter = inner.snapshotter();
            let registrations = Arc::new(AtomicUsize::new(0));
            let recorder = Counting {
                inner,
                registrations: Arc::clone(&registrations),
            };
            Self {
                recorder,
                snapshotter,
                registrations,
            }
        }

        fn run<R>(&self, f: impl FnOnce() -> R) -> R {
            metrics::with_local_recorder(&self.recorder, f)
        }

        fn registrations(&self) -> usize {
            self.registrations.load(Ordering::SeqCst)
        }

        fn series(&self) -> Vec<Series> {
            self.snapshotter
                .snapshot()
                .into_vec()
                .into_iter()
                .map(|(key, _, _, value)| Series {
                    name: key.key().name().to_owned(),
                    labels: key
                        .key()
                        .labels()
                        .map(|l| (l.key().to_owned(), l.value().to_owned()))
                        .collect(),
                    value,
                })
                .collect()
        }
    }

    fn find<'a>(
        series: &'a [Series],
        metric: &MetricDescriptor,
        labels: &[(&str, &str)],
    ) -> Option<&'a DebugValue> {
        series
            .iter()
            .find(|s| {
                s.name == metric.name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| &s.value)
    }

    fn gauge(series: &[Series], metric: &MetricDescriptor, labels: &[(&str, &str)]) -> f64 {
        match find(series, metric, labels) {
            Some(DebugValue::Gauge(v)) => v.into_inner(),
            other => panic!("{}{labels:?}: expected a gauge, got {other:?}", metric.name),
        }
    }

    fn counter(series: &[Series], metric: &MetricDescriptor, labels: &[(&str, &str)]) -> u64 {
        match find(series, metric, labels) {
            Some(DebugValue::Counter(v)) => *v,
            other => panic!(
                "{}{labels:?}: expected a counter, got {other:?}",
                metric.name
            ),
        }
    }

    fn names_for_gpu(series: &[Series], gpu: &str) -> Vec<String> {
        let mut names: Vec<_> = series
            .iter()
            .filter(|s| s.labels.get("gpu").map(String::as_str) == Some(gpu))
            .map(|s| s.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn poller(h: &Harness, source: &FakeGpuSource) -> GpuPoller {
        h.run(|| GpuPoller::new(source.clone(), DEFAULT_INTERVAL).with_pid(PID))
    }

    #[test]
    fn every_gpu_metric_is_exported_per_device_in_base_units() {
        let h = Harness::new();
        let mut second = FakeGpuSource::device(1);
        second.name = r"Tesla T4 \ rack 2".to_owned();
        let source = FakeGpuSource::new(vec![FakeGpuSource::device(0), second]);
        let mut poller = poller(&h, &source);
        assert_eq!(h.run(|| poller.poll_once()), Ok(2));
        let all = h.series();

        // Every catalog GPU metric is there, with exactly the catalog's label keys.
        for metric in m::ALL {
            let found: Vec<_> = all.iter().filter(|s| s.name == metric.name).collect();
            assert!(!found.is_empty(), "{} not exported", metric.name);
            for s in found {
                let keys: Vec<_> = s.labels.keys().map(String::as_str).collect();
                let mut expected = metric.labels.to_vec();
                expected.sort_unstable();
                assert_eq!(keys, expected, "{}", metric.name);
            }
        }
        assert_eq!(gauge(&all, &m::NVML_AVAILABLE, &[]), 1.0);

        let d0 = [
            ("gpu", "0"),
            ("uuid", "GPU-fake-0"),
            ("name", "NVIDIA A100-SXM4-80GB"),
        ];
        let with = |extra: (&'static str, &'static str)| {
            let mut labels = d0.to_vec();
            labels.push(extra);
            labels
        };
        assert_eq!(gauge(&all, &m::UTILIZATION, &d0), 0.4);
        assert_eq!(gauge(&all, &m::MEMORY_USED, &d0), 10.0 * GIB);
        assert_eq!(gauge(&all, &m::MEMORY_TOTAL, &d0), 80.0 * GIB);
        assert_eq!(gauge(&all, &m::TEMPERATURE, &d0), 65.0);
        assert_eq!(gauge(&all, &m::POWER, &d0), 250.0);
        assert_eq!(gauge(&all, &m::POWER_LIMIT, &d0), 400.0);
        assert_eq!(counter(&all, &m::ENERGY, &d0), 12_345);
        assert_eq!(gauge(&all, &m::CLOCK, &with(("clock", "sm"))), 1.41e9);
        assert_eq!(gauge(&all, &m::CLOCK, &with(("clock", "memory"))), 1.593e9);
        assert_eq!(gauge(&all, &m::DECODER_UTILIZATION, &d0), 0.25);
        assert_eq!(gauge(&all, &m::ENCODER_UTILIZATION, &d0), 0.05);
        assert_eq!(
            counter(&all, &m::ECC_ERRORS, &with(("type", "corrected"))),
            3
        );
        assert_eq!(
            counter(&all, &m::ECC_ERRORS, &with(("type", "uncorrected"))),
            1
        );
        for reason in ThrottleReason::ALL {
            let expected = if reason == ThrottleReason::SwPowerCap {
                1.0
            } else {
                0.0
            };
            let labels = with(("reason", reason.as_str()));
            assert_eq!(gauge(&all, &m::THROTTLED, &labels), expected, "{reason:?}");
        }
        assert_eq!(gauge(&all, &m::PROCESS_MEMORY_USED, &d0), 2.0 * GIB);

        // Device names and UUIDs are labels as they are; the renderer escapes them.
        let d1 = [
            ("gpu", "1"),
            ("uuid", "GPU-fake-1"),
            ("name", r"Tesla T4 \ rack 2"),
        ];
        assert_eq!(gauge(&all, &m::UTILIZATION, &d1), 0.4);
        assert_eq!(names_for_gpu(&all, "1").len(), m::ALL.len() - 1);
    }

    #[test]
    fn unsupported_readings_are_left_out_not_zero() {
        let h = Harness::new();
        let mut bare = DeviceReading::new(0, "GPU-bare", "GeForce GT 710");
        bare.utilization_percent = Some(12);
        bare.compute_processes = Some(vec![ProcessMemory {
            pid: PID + 1,
            used_bytes: Some(1 << 20),
        }]);
        let source = FakeGpuSource::new(vec![bare]);
        let mut poller = poller(&h, &source);
        assert_eq!(h.run(|| poller.poll_once()), Ok(1));
        let all = h.series();
        let mut expected = vec![
            m::UTILIZATION.name.to_owned(),
            m::PROCESS_MEMORY_USED.name.to_owned(),
        ];
        expected.sort();
        assert_eq!(names_for_gpu(&all, "0"), expected);
        assert_eq!(gauge(&all, &m::UTILIZATION, &[("gpu", "0")]), 0.12);
        // Another process's memory is not ours: this process holds 0 bytes there.
        assert_eq!(gauge(&all, &m::PROCESS_MEMORY_USED, &[("gpu", "0")]), 0.0);
        assert_eq!(gauge(&all, &m::NVML_AVAILABLE, &[]), 1.0);
    }

    #[test]
    fn handles_are_created_once_per_device_and_for_devices_that_appear_later() {
        let h = Harness::new();
        let source = FakeGpuSource::new(vec![FakeGpuSource::device(0)]);
        let mut poller = poller(&h, &source);
        let availability = h.registrations();
        assert_eq!(availability, 1);

        assert_eq!(h.run(|| poller.poll_once()), Ok(1));
        let per_device = h.registrations() - availability;
        // 13 readings (two clocks, two ECC types) + 9 throttle reasons + this process's memory.
        assert_eq!(per_device, 23);
        for _ in 0..3 {
            assert_eq!(h.run(|| poller.poll_once()), Ok(1));
        }
        assert_eq!(
            h.registrations(),
            availability + per_device,
            "handles re-created per poll"
        );

        source.set_devices(vec![FakeGpuSource::device(0), FakeGpuSource::device(1)]);
        assert_eq!(h.run(|| poller.poll_once()), Ok(2));
        assert_eq!(h.registrations(), availability + 2 * per_device);
        let all = h.series();
        assert_eq!(
            gauge(
                &all,
                &m::TEMPERATURE,
                &[("gpu", "1"), ("uuid", "GPU-fake-1")]
            ),
            65.0
        );
    }

    #[test]
    fn counters_follow_the_driver_totals() {
        let h = Harness::new();
        let source = FakeGpuSource::new(vec![FakeGpuSource::device(0)]);
        let mut poller = poller(&h, &source);
        assert_eq!(h.run(|| poller.poll_once()), Ok(1));
        let mut later = FakeGpuSource::device(0);
        later.energy_millijoules = Some(20_000_999);
        later.ecc_corrected = Some(7);
        source.set_devices(vec![later]);
        assert_eq!(h.run(|| poller.poll_once()), Ok(1));
        let all = h.series();
        assert_eq!(counter(&all, &m::ENERGY, &[("gpu", "0")]), 20_000);
        assert_eq!(counter(&all, &m::ECC_ERRORS, &[("type", "corrected")]), 7);
    }

    #[test]
    fn a_failing_source_exports_zero_and_warns_once_per_outage() {
        let h = Harness::new();
        let source = FakeGpuSource::failing(GpuError::DriverNotLoaded);
        let mut poller = poller(&h, &source);

        let (results, warnings) = count_warnings(|| {
            (0..4)
                .map(|_| h.run(|| poller.poll_once()))
                .collect::<Vec<_>>()
        });
        assert!(results.iter().all(|r| *r == Err(GpuError::DriverNotLoaded)));
        assert_eq!(warnings, 1);
        let all = h.series();
        assert_eq!(gauge(&all, &m::NVML_AVAILABLE, &[]), 0.0);
        assert!(names_for_gpu(&all, "0").is_empty());

        source.set_devices(vec![FakeGpuSource::device(0)]);
        let (result, warnings) = count_warnings(|| h.run(|| poller.poll_once()));
        assert_eq!((result, warnings), (Ok(1), 0));
        assert_eq!(gauge(&h.series(), &m::NVML_AVAILABLE, &[]), 1.0);

        source.set_error(GpuError::NoPermission);
        let (_, warnings) = count_warnings(|| {
            for _ in 0..3 {
                let _failed = h.run(|| poller.poll_once());
            }
        });
        assert_eq!(warnings, 1, "a new outage warns again, once");
        assert_eq!(gauge(&h.series(), &m::NVML_AVAILABLE, &[]), 0.0);
    }

    #[test]
    fn a_panicking_source_is_caught_and_reported_as_unavailable() {
        struct Panics;
        impl GpuSource for Panics {
            fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError> {
                panic!("driver bindings exploded")
            }
        }
        let h = Harness::new();
        let mut poller = h.run(|| GpuPoller::new(Panics, DEFAULT_INTERVAL));
        let (results, warnings) =
            count_warnings(|| [h.run(|| poller.poll_once()), h.run(|| poller.poll_once())]);
        let expected = Err(GpuError::SourcePanicked {
            message: "driver bindings exploded".to_owned(),
        });
        assert_eq!(results, [expected.clone(), expected]);
        assert_eq!(warnings, 1);
        assert_eq!(gauge(&h.series(), &m::NVML_AVAILABLE, &[]), 0.0);
    }

    #[test]
    fn a_device_that_disappears_is_warned_about_once() {
        let h = Harness::new();
        let source = FakeGpuSource::new(vec![FakeGpuSource::device(0), FakeGpuSource::device(1)]);
        let mut poller = poller(&h, &source);
        assert_eq!(h.run(|| poller.poll_once()), Ok(2));
        source.set_devices(vec![FakeGpuSource::device(0)]);
        let (_, warnings) = count_warnings(|| {
            for _ in 0..3 {
                assert_eq!(h.run(|| poller.poll_once()), Ok(1));
            }
        });
        assert_eq!(warnings, 1);
    }

    #[test]
    fn a_uuid_seen_under_a_new_index_gets_new_labels() {
        let h = Harness::new();
        let source = FakeGpuSource::new(vec![FakeGpuSource::device(0)]);
        let mut poller = poller(&h, &source);
        assert_eq!(h.run(|| poller.poll_once()), Ok(1));
        let mut moved = FakeGpuSource::device(0);
        moved.index = 3;
        moved.temperature_celsius = Some(70);
        source.set_devices(vec![moved]);
        assert_eq!(h.run(|| poller.poll_once()), Ok(1));
        let all = h.series();
        assert_eq!(
            gauge(
                &all,
                &m::TEMPERATURE,
                &[("gpu", "3"), ("uuid", "GPU-fake-0")]
            ),
            70.0
        );
    }

    #[test]
    fn intervals_default_to_five_seconds_and_are_never_zero() {
        let source = FakeGpuSource::new(Vec::new());
        assert_eq!(DEFAULT_INTERVAL, Duration::from_secs(5));
        assert_eq!(
            GpuPoller::new(source.clone(), Duration::ZERO).interval(),
            MIN_INTERVAL
        );
        assert_eq!(
            GpuPoller::new(source, DEFAULT_INTERVAL).interval(),
            DEFAULT_INTERVAL
        );
    }

    #[test]
    fn spawn_reads_at_once_and_dropping_the_handle_stops_and_releases_the_source() {
        let h = Harness::new();
        let source = FakeGpuSource::new(vec![FakeGpuSource::device(0)]);
        let hour = Duration::from_secs(3600);
        let handle = h
            .run(|| GpuPoller::new(source.clone(), hour).spawn())
            .expect("thread spawned");
        assert!(handle.is_polling());
        // The first reading is taken before `spawn` returns, on this thread's recorder.
        assert_eq!(gauge(&h.series(), &m::NVML_AVAILABLE, &[]), 1.0);
        drop(handle);
        // An hour-long wait was cut short by the drop, and the thread let go of the source.
        assert_eq!(source.reads(), 1);
        assert_eq!(source.holders(), 1);
    }
}
