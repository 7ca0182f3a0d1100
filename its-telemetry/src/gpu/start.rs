//! Starting GPU metrics the usual way: NVML when the `nvml` feature is on and a driver is
//! present, otherwise availability 0 and one warning saying why.

use std::io;
use std::time::Duration;

use super::{DeviceReading, GpuError, GpuPoller, GpuPollerHandle, GpuSource};

/// NVML as a boxed [`GpuSource`] (feature `nvml`), for services that pick their source at run
/// time; [`NvmlSource::new`](super::NvmlSource::new) is the same without the box.
///
/// # Errors
///
/// As [`NvmlSource::new`](super::NvmlSource::new): [`GpuError::LibraryNotFound`] on a machine
/// without an NVIDIA driver, [`GpuError::DriverNotLoaded`], [`GpuError::NoPermission`].
#[cfg(feature = "nvml")]
pub fn nvml_source() -> Result<Box<dyn GpuSource>, GpuError> {
    super::NvmlSource::new().map(|source| Box::new(source) as Box<dyn GpuSource>)
}

/// Starts GPU metrics with the best source this build has: NVML with the `nvml` feature,
/// polled every `interval` on its own thread until the handle is dropped.
///
/// When NVML cannot be used — the feature is off, no driver, no permission — it exports
/// `its_gpu_nvml_available` 0, logs one warning with the reason, and returns a handle that
/// polls nothing ([`is_polling`](GpuPollerHandle::is_polling) is `false`): the service carries
/// on. NVML is probed once; a driver installed later needs a restart.
///
/// Call it after [`try_init`](crate::try_init), so the metrics go to the installed recorder.
///
/// ```
/// use its_telemetry::gpu::{self, DEFAULT_INTERVAL};
///
/// let gpu = gpu::start_default(DEFAULT_INTERVAL)?;
/// // Without a GPU (or without the `nvml` feature) nothing polls, and nothing fails.
/// # let _ = gpu.is_polling();
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// When the operating system refuses a new thread for a working NVML.
pub fn start_default(interval: Duration) -> io::Result<GpuPollerHandle> {
    start_with(default_source(), interval)
}

/// Starts GPU metrics from NVML when it can be used, as [`start_default`] does; otherwise,
/// when `simulated` is above 0, from that many [`SimulatedGpus`](super::SimulatedGpus) (seeded
/// from the clock), so a demo without a GPU still fills every GPU panel. Real GPUs always win:
/// the simulation only stands in where NVML fails. One info line says which source was chosen
/// (and why NVML was not).
///
/// With `simulated` 0 this is [`start_default`].
///
/// ```
/// use its_telemetry::gpu::{self, DEFAULT_INTERVAL};
///
/// // Two simulated GPUs unless the machine has working NVML.
/// let gpu = gpu::start_or_simulate(DEFAULT_INTERVAL, 2)?;
/// assert!(gpu.is_polling());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// When the operating system refuses the poller's thread.
pub fn start_or_simulate(interval: Duration, simulated: u32) -> io::Result<GpuPollerHandle> {
    if simulated == 0 {
        return start_default(interval);
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    start_with(choose(default_source(), simulated, seed), interval)
}

/// NVML when it works, otherwise `simulated` devices; says which.
fn choose(
    nvml: Result<Box<dyn GpuSource>, GpuError>,
    simulated: u32,
    seed: u64,
) -> Result<Box<dyn GpuSource>, GpuError> {
    match nvml {
        Ok(source) => {
            tracing::info!(
                simulated,
                "GPU metrics from NVML: real GPUs found, the simulated ones are not used"
            );
            Ok(source)
        }
        Err(reason) => {
            tracing::info!(
                simulated,
                nvml = %reason,
                "GPU metrics from simulated GPUs: NVML cannot be used"
            );
            Ok(Box::new(super::SimulatedGpus::new(simulated, seed)))
        }
    }
}

#[cfg(feature = "nvml")]
fn default_source() -> Result<Box<dyn GpuSource>, GpuError> {
    nvml_source()
}

#[cfg(not(feature = "nvml"))]
fn default_source() -> Result<Box<dyn GpuSource>, GpuError> {
    Err(GpuError::FeatureDisabled)
}

/// Polls `source` when there is one; otherwise reports why not, once, and polls nothing.
fn start_with(
    source: Result<impl GpuSource + 'static, GpuError>,
    interval: Duration,
) -> io::Result<GpuPollerHandle> {
    match source {
        Ok(source) => GpuPoller::new(source, interval).spawn(),
        Err(error) => {
            let _reported = GpuPoller::new(Unavailable(error), interval).poll_once();
            Ok(GpuPollerHandle::idle())
        }
    }
}

/// The source behind an NVML that could not start: always the same reason.
struct Unavailable(GpuError);

impl GpuSource for Unavailable {
    fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError> {
        Err(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use metrics_util::debugging::DebuggingRecorder;

    use super::*;
    use crate::catalog::gpu as m;
    use crate::gpu::test_logs::count_warnings;
    use crate::test_support::Snapshot;

    /// Runs `start` with a local recorder and a warning counter; returns the handle, the
    /// availability gauge and the number of warnings.
    fn started(
        start: impl FnOnce() -> io::Result<GpuPollerHandle>,
    ) -> (GpuPollerHandle, f64, usize) {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let (handle, warnings) = count_warnings(|| {
            metrics::with_local_recorder(&recorder, start).expect("no thread needed")
        });
        let available = Snapshot::take(&snapshotter).gauge(m::NVML_AVAILABLE.name, &[]);
        (handle, available, warnings)
    }

    #[test]
    fn an_unusable_source_exports_zero_warns_once_and_polls_nothing() {
        let (handle, available, warnings) = started(|| {
            start_with(
                Err::<Unavailable, _>(GpuError::NoPermission),
                Duration::ZERO,
            )
        });
        assert!(!handle.is_polling());
        assert_eq!(available, 0.0);
        assert_eq!(warnings, 1);
    }

    #[cfg(not(feature = "nvml"))]
    #[test]
    fn without_the_nvml_feature_start_default_says_the_feature_is_off() {
        assert_eq!(default_source().err(), Some(GpuError::FeatureDisabled));
        let (handle, available, warnings) = started(|| start_default(Duration::from_secs(5)));
        assert!(!handle.is_polling());
        assert_eq!(available, 0.0);
        assert_eq!(warnings, 1);
    }

    /// Holds on every machine: a library path that does not exist is what a machine without
    /// a driver looks like to the dynamic loader.
    #[cfg(feature = "nvml")]
    #[test]
    fn nvml_without_its_library_degrades_to_availability_zero() {
        let missing = std::path::Path::new("/nonexistent/its-telemetry/libnvidia-ml.so.1");
        let source = crate::gpu::NvmlSource::from_library(missing);
        let Err(GpuError::LibraryNotFound { reason }) = &source else {
            panic!("expected LibraryNotFound, got {source:?}");
        };
        assert!(reason.contains("libnvidia-ml.so.1"), "{reason}");
        let (handle, available, warnings) = started(|| start_with(source, Duration::from_secs(5)));
        assert!(!handle.is_polling());
        assert_eq!(available, 0.0);
        assert_eq!(warnings, 1);
    }

    /// On a machine without an NVIDIA driver (every CI machine here) NVML is not found and GPU
    /// metrics degrade; on a GPU host they start instead.
    #[cfg(feature = "nvml")]
    #[test]
    fn start_default_with_nvml_degrades_without_a_driver_and_polls_with_one() {
        let probe = nvml_source();
        let (handle, available, warnings) = started(|| start_default(Duration::from_secs(5)));
        match probe {
            Err(GpuError::LibraryNotFound { .. }) => {
                assert!(!handle.is_polling());
                assert_eq!(available, 0.0);
                assert_eq!(warnings, 1);
            }
            Ok(_) => {
                assert!(handle.is_polling());
                assert_eq!(available, 1.0);
                assert_eq!(warnings, 0);
            }
            Err(other) => panic!("a GPU host that cannot read its GPUs: {other}"),
        }
    }

    #[test]
    fn without_nvml_simulated_gpus_stand_in_and_are_polled() {
        let mut source = choose(Err(GpuError::NoPermission), 2, 1).expect("simulated");
        assert_eq!(source.read().expect("readings").len(), 2);
        let (handle, available, warnings) = started(|| {
            start_with(
                choose(Err(GpuError::NoPermission), 2, 1),
                Duration::from_secs(5),
            )
        });
        assert!(handle.is_polling());
        assert_eq!(available, 1.0);
        assert_eq!(warnings, 0);
    }

    #[test]
    fn working_nvml_wins_over_simulated_gpus() {
        let real = crate::gpu::FakeGpuSource::new(vec![crate::gpu::FakeGpuSource::device(0)]);
        let mut source = choose(Ok(Box::new(real)), 3, 1).expect("nvml");
        let read = source.read().expect("readings");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].uuid, "GPU-fake-0");
    }

    #[test]
    fn zero_simulated_gpus_is_start_default() {
        #[cfg(not(feature = "nvml"))]
        {
            let (handle, available, warnings) =
                started(|| start_or_simulate(Duration::from_secs(5), 0));
            assert!(!handle.is_polling());
            assert_eq!(available, 0.0);
            assert_eq!(warnings, 1);
        }
        #[cfg(feature = "nvml")]
        {
            let probe = nvml_source().is_ok();
            let (handle, _, _) = started(|| start_or_simulate(Duration::from_secs(5), 0));
            assert_eq!(handle.is_polling(), probe);
        }
    }
}
