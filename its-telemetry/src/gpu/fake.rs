//! A scripted [`GpuSource`] for tests, the SDK's and the services'.

use std::sync::{Arc, Mutex, PoisonError};

use super::{DeviceReading, GpuError, GpuSource, ProcessMemory, ThrottleReason};

/// A [`GpuSource`] that returns whatever the test last told it to, so poller behaviour (a GPU
/// appearing, NVML failing, recovering) can be tested on machines without a GPU.
///
/// Clones share their script: keep one clone in the test and give the other to the poller.
///
/// ```
/// use std::time::Duration;
/// use its_telemetry::gpu::{FakeGpuSource, GpuError, GpuPoller};
///
/// let source = FakeGpuSource::new(vec![FakeGpuSource::device(0)]);
/// let mut poller = GpuPoller::new(source.clone(), Duration::from_secs(5));
/// assert_eq!(poller.poll_once(), Ok(1));
///
/// source.set_error(GpuError::NoPermission);
/// assert_eq!(poller.poll_once(), Err(GpuError::NoPermission));
/// assert_eq!(source.reads(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct FakeGpuSource {
    state: Arc<Mutex<Script>>,
}

#[derive(Debug)]
struct Script {
    next: Result<Vec<DeviceReading>, GpuError>,
    reads: usize,
}

impl FakeGpuSource {
    /// A source that reports `devices` on every read.
    #[must_use]
    pub fn new(devices: Vec<DeviceReading>) -> Self {
        Self::scripted(Ok(devices))
    }

    /// A source whose every read fails with `error`, as NVML does on a machine without a driver.
    #[must_use]
    pub fn failing(error: GpuError) -> Self {
        Self::scripted(Err(error))
    }

    fn scripted(next: Result<Vec<DeviceReading>, GpuError>) -> Self {
        Self {
            state: Arc::new(Mutex::new(Script { next, reads: 0 })),
        }
    }

    /// From the next read on, report `devices`.
    pub fn set_devices(&self, devices: Vec<DeviceReading>) {
        self.script().next = Ok(devices);
    }

    /// From the next read on, fail with `error`.
    pub fn set_error(&self, error: GpuError) {
        self.script().next = Err(error);
    }

    /// How many times the source has been read, across clones.
    #[must_use]
    pub fn reads(&self) -> usize {
        self.script().reads
    }

    /// A device with every reading set, to distinctive values (an A100-class card): device
    /// `index` has UUID `GPU-fake-{index}`, 40 % utilization, 10 of 80 GiB used, 65 °C,
    /// 250 W of a 400 W limit, 12 345 678 mJ consumed, 1 410 / 1 593 MHz SM / memory clocks,
    /// 25 % / 5 % decoder / encoder, 3 corrected and 1 uncorrected ECC error, throttled by the
    /// software power cap, and one compute process (pid 4242) holding 2 GiB.
    #[must_use]
    pub fn device(index: u32) -> DeviceReading {
        const GIB: u64 = 1 << 30;
        let mut d = DeviceReading::new(index, format!("GPU-fake-{index}"), "NVIDIA A100-SXM4-80GB");
        d.utilization_percent = Some(40);
        d.memory_used_bytes = Some(10 * GIB);
        d.memory_total_bytes = Some(80 * GIB);
        d.temperature_celsius = Some(65);
        d.power_milliwatts = Some(250_000);
        d.power_limit_milliwatts = Some(400_000);
        d.energy_millijoules = Some(12_345_678);
        d.sm_clock_mhz = Some(1_410);
        d.memory_clock_mhz = Some(1_593);
        d.decoder_utilization_percent = Some(25);
        d.encoder_utilization_percent = Some(5);
        d.ecc_corrected = Some(3);
        d.ecc_uncorrected = Some(1);
        d.throttle_reasons = Some([ThrottleReason::SwPowerCap].into_iter().collect());
        d.compute_processes = Some(vec![ProcessMemory {
            pid: 4242,
            used_bytes: Some(2 * GIB),
        }]);
        d
    }

    /// How many clones are alive: tests check that a stopped poller let go of its source.
    #[cfg(test)]
    pub(super) fn holders(&self) -> usize {
        Arc::strong_count(&self.state)
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl GpuSource for FakeGpuSource {
    fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError> {
        let mut script = self.script();
        script.reads += 1;
        script.next.clone()
    }
}
