//! Where GPU readings come from: the [`GpuSource`] trait and the reading types.
//!
//! Readings are in the units NVML reports (percent, milliwatts, MHz, millijoules) so a source
//! is a plain translation of its backend; the poller converts to base units in one place.

use super::GpuError;

/// A backend that reads every GPU once per call: NVML in production
/// (`NvmlSource`, cargo feature `nvml`), [`FakeGpuSource`](super::FakeGpuSource)
/// in tests, or anything else (DCGM, a sidecar) a service wants to plug in.
///
/// The trait is object safe so the poller can hold any source as `Box<dyn GpuSource>`, and
/// `Send` so the poller can run it on its own thread.
///
/// ```
/// use its_telemetry::gpu::{DeviceReading, GpuError, GpuSource};
///
/// /// One fixed device, as a DCGM bridge or a test double might report it.
/// struct Fixed;
///
/// impl GpuSource for Fixed {
///     fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError> {
///         let mut gpu = DeviceReading::new(0, "GPU-1234", "NVIDIA L4");
///         gpu.utilization_percent = Some(87);
///         Ok(vec![gpu])
///     }
/// }
///
/// let mut source: Box<dyn GpuSource> = Box::new(Fixed);
/// assert_eq!(source.read()?[0].utilization_percent, Some(87));
/// # Ok::<(), GpuError>(())
/// ```
pub trait GpuSource: Send {
    /// Reads every device the source can see.
    ///
    /// A device that does not support a reading leaves that field `None`; that is not an
    /// error. An empty list means the backend works but sees no GPU.
    ///
    /// # Errors
    ///
    /// When the backend cannot read at all (no driver, no permission, the library failed);
    /// the poller then exports `its_gpu_nvml_available` 0 and logs the reason once.
    fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError>;
}

impl<S: GpuSource + ?Sized> GpuSource for Box<S> {
    fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError> {
        (**self).read()
    }
}

/// One device's readings from one poll, in NVML's units.
///
/// `None` means the device does not support the reading (NVML's `NotSupported`, or a driver too
/// old to have the call): the poller leaves that series out for the device rather than
/// exporting a misleading 0. Build one with [`DeviceReading::new`] and set the fields the
/// backend has; the struct is `#[non_exhaustive]` so new readings can be added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceReading {
    /// NVML's device index; the `gpu` label.
    pub index: u32,
    /// The device UUID (`GPU-…`), stable across reboots; the `uuid` label.
    pub uuid: String,
    /// The product name (`NVIDIA A100-SXM4-80GB`); the `name` label.
    pub name: String,
    /// Percent of the last sample period during which a kernel ran (0–100).
    pub utilization_percent: Option<u32>,
    /// Device memory in use, in bytes.
    pub memory_used_bytes: Option<u64>,
    /// Device memory installed, in bytes.
    pub memory_total_bytes: Option<u64>,
    /// Core temperature, in degrees Celsius.
    pub temperature_celsius: Option<u32>,
    /// Power draw, in milliwatts.
    pub power_milliwatts: Option<u32>,
    /// Enforced power limit, in milliwatts.
    pub power_limit_milliwatts: Option<u32>,
    /// Energy consumed since the driver loaded, in millijoules.
    pub energy_millijoules: Option<u64>,
    /// Current SM clock, in MHz.
    pub sm_clock_mhz: Option<u32>,
    /// Current memory clock, in MHz.
    pub memory_clock_mhz: Option<u32>,
    /// Video decoder (NVDEC) utilization, in percent.
    pub decoder_utilization_percent: Option<u32>,
    /// Video encoder (NVENC) utilization, in percent.
    pub encoder_utilization_percent: Option<u32>,
    /// Corrected (single-bit) ECC errors since the driver loaded; `None` when ECC is off.
    pub ecc_corrected: Option<u64>,
    /// Uncorrected (double-bit) ECC errors since the driver loaded; `None` when ECC is off.
    pub ecc_uncorrected: Option<u64>,
    /// Why the clocks are held back right now.
    pub throttle_reasons: Option<ThrottleReasons>,
    /// Processes with a compute context on the device. The poller picks this process out by
    /// pid, so a source need not know who is asking.
    pub compute_processes: Option<Vec<ProcessMemory>>,
}

impl DeviceReading {
    /// A reading of the device's identity with every measurement unsupported (`None`).
    #[must_use]
    pub fn new(index: u32, uuid: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            index,
            uuid: uuid.into(),
            name: name.into(),
            utilization_percent: None,
            memory_used_bytes: None,
            memory_total_bytes: None,
            temperature_celsius: None,
            power_milliwatts: None,
            power_limit_milliwatts: None,
            energy_millijoules: None,
            sm_clock_mhz: None,
            memory_clock_mhz: None,
            decoder_utilization_percent: None,
            encoder_utilization_percent: None,
            ecc_corrected: None,
            ecc_uncorrected: None,
            throttle_reasons: None,
            compute_processes: None,
        }
    }
}

/// Device memory held by one process, as NVML lists running compute processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessMemory {
    /// The process id (in the host's pid namespace, as the driver sees it).
    pub pid: u32,
    /// Bytes in use; `None` where the driver cannot tell (Windows WDDM).
    pub used_bytes: Option<u64>,
}

/// Why a GPU's clocks are held back: the fixed set exported as `its_gpu_throttled{reason}`.
///
/// A closed set keeps the `reason` label bounded (nine series per device) and lets every reason
/// be exported as 0 or 1, so "not throttled" is visible rather than absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleReason {
    /// Nothing is running on the GPU, so the clocks idle down.
    GpuIdle,
    /// Clocks are limited by the applications clocks setting.
    ApplicationsClocksSetting,
    /// The software power cap is reducing clocks.
    SwPowerCap,
    /// Hardware slowdown (temperature, power brake or fast power trigger).
    HwSlowdown,
    /// Another GPU in the sync boost group holds this one back.
    SyncBoost,
    /// Software thermal slowdown: the GPU or its memory is above its operating temperature.
    SwThermalSlowdown,
    /// Hardware thermal slowdown: the GPU is too hot.
    HwThermalSlowdown,
    /// Hardware power brake: an external power brake signal (for example from the PSU).
    HwPowerBrakeSlowdown,
    /// Clocks are limited by the display clock setting.
    DisplayClockSetting,
}

impl ThrottleReason {
    /// Every reason, in label order.
    pub const ALL: [ThrottleReason; 9] = [
        Self::GpuIdle,
        Self::ApplicationsClocksSetting,
        Self::SwPowerCap,
        Self::HwSlowdown,
        Self::SyncBoost,
        Self::SwThermalSlowdown,
        Self::HwThermalSlowdown,
        Self::HwPowerBrakeSlowdown,
        Self::DisplayClockSetting,
    ];

    /// The `reason` label value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::GpuIdle => "gpu_idle",
            Self::ApplicationsClocksSetting => "applications_clocks_setting",
            Self::SwPowerCap => "sw_power_cap",
            Self::HwSlowdown => "hw_slowdown",
            Self::SyncBoost => "sync_boost",
            Self::SwThermalSlowdown => "sw_thermal_slowdown",
            Self::HwThermalSlowdown => "hw_thermal_slowdown",
            Self::HwPowerBrakeSlowdown => "hw_power_brake_slowdown",
            Self::DisplayClockSetting => "display_clock_setting",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// The set of [`ThrottleReason`]s active at one reading; several can hold at once.
///
/// ```
/// use its_telemetry::gpu::{ThrottleReason, ThrottleReasons};
///
/// let now: ThrottleReasons = [ThrottleReason::SwPowerCap, ThrottleReason::HwSlowdown]
///     .into_iter()
///     .collect();
/// assert!(now.contains(ThrottleReason::SwPowerCap));
/// assert!(!now.contains(ThrottleReason::GpuIdle));
/// assert!(ThrottleReasons::NONE.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ThrottleReasons(u16);

impl ThrottleReasons {
    /// No reason: the clocks run as high as they can.
    pub const NONE: ThrottleReasons = ThrottleReasons(0);

    /// Adds `reason` to the set.
    pub fn insert(&mut self, reason: ThrottleReason) {
        self.0 |= reason.bit();
    }

    /// Whether `reason` is in the set.
    #[must_use]
    pub const fn contains(self, reason: ThrottleReason) -> bool {
        self.0 & reason.bit() != 0
    }

    /// Whether no reason is active.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<ThrottleReason> for ThrottleReasons {
    fn from_iter<I: IntoIterator<Item = ThrottleReason>>(iter: I) -> Self {
        let mut set = Self::NONE;
        for reason in iter {
            set.insert(reason);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_reasons_are_distinct_bits_with_distinct_labels() {
        let all: ThrottleReasons = ThrottleReason::ALL.into_iter().collect();
        for reason in ThrottleReason::ALL {
            assert!(all.contains(reason));
            let only: ThrottleReasons = [reason].into_iter().collect();
            let others = ThrottleReason::ALL.iter().filter(|r| **r != reason);
            assert!(others.clone().all(|r| !only.contains(*r)), "{reason:?}");
        }
        let mut labels: Vec<_> = ThrottleReason::ALL.iter().map(|r| r.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), ThrottleReason::ALL.len());
    }

    #[test]
    fn a_new_reading_supports_nothing() {
        let r = DeviceReading::new(3, "GPU-x", "Tesla T4");
        assert_eq!(
            (r.index, r.uuid.as_str(), r.name.as_str()),
            (3, "GPU-x", "Tesla T4")
        );
        assert_eq!(r.utilization_percent, None);
        assert_eq!(r.throttle_reasons, None);
        assert_eq!(r.compute_processes, None);
    }
}
