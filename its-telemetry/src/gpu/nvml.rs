//! The NVML source (feature `nvml`): NVIDIA GPUs through `libnvidia-ml.so.1`.
//!
//! The library is loaded at run time, so a binary built with the feature starts on machines
//! without a driver; [`NvmlSource::new`] then fails with [`GpuError::LibraryNotFound`].

use std::ffi::OsStr;
use std::path::Path;

use nvml_wrapper::enum_wrappers::device::{Clock, EccCounter, MemoryError, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::{Device, Nvml};

use super::{DeviceReading, GpuError, GpuSource, ProcessMemory, ThrottleReason, ThrottleReasons};

/// Reads NVIDIA GPUs through NVML. NVML is initialised once, in [`new`](Self::new), and shut
/// down when the source is dropped; each read enumerates the devices again, so a GPU that
/// falls off the bus disappears from the readings instead of failing them all.
///
/// ```no_run
/// use std::time::Duration;
/// use its_telemetry::gpu::{GpuPoller, NvmlSource};
///
/// let source = NvmlSource::new()?;
/// let _gpu = GpuPoller::new(source, Duration::from_secs(5)).spawn()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NvmlSource {
    nvml: Nvml,
}

impl NvmlSource {
    /// Loads `libnvidia-ml.so.1` from the loader's path and initialises NVML.
    ///
    /// # Errors
    ///
    /// [`GpuError::LibraryNotFound`] without a driver (every machine without an NVIDIA GPU),
    /// [`GpuError::DriverNotLoaded`] when the library exists but the kernel module is not
    /// loaded, [`GpuError::NoPermission`] when the process may not open the device files.
    pub fn new() -> Result<Self, GpuError> {
        Self::init(Nvml::init())
    }

    /// As [`new`](Self::new), loading the library from `path`: for installs outside the
    /// loader's path (some container images, WSL's `/usr/lib/wsl/lib`).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn from_library(path: &Path) -> Result<Self, GpuError> {
        Self::init(Nvml::builder().lib_path(OsStr::new(path)).init())
    }

    fn init(nvml: Result<Nvml, NvmlError>) -> Result<Self, GpuError> {
        nvml.map(|nvml| Self { nvml })
            .map_err(|error| to_gpu_error("nvmlInit", error))
    }

    fn read_device(&self, index: u32) -> Result<DeviceReading, NvmlError> {
        let device = self.nvml.device_by_index(index)?;
        let mut r = DeviceReading::new(index, device.uuid()?, device.name()?);
        r.utilization_percent = optional(device.utilization_rates())?.map(|u| u.gpu);
        let memory = optional(device.memory_info())?;
        r.memory_used_bytes = memory.as_ref().map(|m| m.used);
        r.memory_total_bytes = memory.as_ref().map(|m| m.total);
        r.temperature_celsius = optional(device.temperature(TemperatureSensor::Gpu))?;
        r.power_milliwatts = optional(device.power_usage())?;
        r.power_limit_milliwatts = optional(device.enforced_power_limit())?;
        r.energy_millijoules = optional(device.total_energy_consumption())?;
        r.sm_clock_mhz = optional(device.clock_info(Clock::SM))?;
        r.memory_clock_mhz = optional(device.clock_info(Clock::Memory))?;
        r.decoder_utilization_percent =
            optional(device.decoder_utilization())?.map(|u| u.utilization);
        r.encoder_utilization_percent =
            optional(device.encoder_utilization())?.map(|u| u.utilization);
        r.ecc_corrected = ecc(&device, MemoryError::Corrected)?;
        r.ecc_uncorrected = ecc(&device, MemoryError::Uncorrected)?;
        r.throttle_reasons = optional(device.current_throttle_reasons())?.map(throttle_reasons);
        r.compute_processes = optional(device.running_compute_processes())?.map(|list| {
            list.into_iter()
                .map(|p| ProcessMemory {
                    pid: p.pid,
                    used_bytes: match p.used_gpu_memory {
                        UsedGpuMemory::Used(bytes) => Some(bytes),
                        UsedGpuMemory::Unavailable => None,
                    },
                })
                .collect()
        });
        Ok(r)
    }
}

impl GpuSource for NvmlSource {
    fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError> {
        let count = self
            .nvml
            .device_count()
            .map_err(|error| to_gpu_error("nvmlDeviceGetCount", error))?;
        let mut readings = Vec::with_capacity(count as usize);
        for index in 0..count {
            match self.read_device(index) {
                Ok(reading) => readings.push(reading),
                // The poller warns when a device it saw before is missing.
                Err(error) => tracing::debug!(gpu = index, %error, "GPU skipped in this poll"),
            }
        }
        Ok(readings)
    }
}

/// Volatile counts: since the driver loaded, as the catalog's help says.
fn ecc(device: &Device<'_>, kind: MemoryError) -> Result<Option<u64>, NvmlError> {
    optional(device.total_ecc_errors(kind, EccCounter::Volatile))
}

/// Sorts a reading's error: a reading the device lacks is `None`, a device that is gone fails
/// the whole device, anything else skips just that reading.
fn optional<T>(reading: Result<T, NvmlError>) -> Result<Option<T>, NvmlError> {
    match reading {
        Ok(value) => Ok(Some(value)),
        // NotSupported: the device lacks it (no ECC, no NVENC); FailedToLoadSymbol: the
        // driver predates the call.
        Err(NvmlError::NotSupported | NvmlError::FailedToLoadSymbol(_)) => Ok(None),
        Err(
            error @ (NvmlError::GpuLost
            | NvmlError::ResetRequired
            | NvmlError::Uninitialized
            | NvmlError::DriverNotLoaded
            | NvmlError::LibRmVersionMismatch),
        ) => Err(error),
        Err(error) => {
            tracing::debug!(%error, "GPU reading skipped");
            Ok(None)
        }
    }
}

fn throttle_reasons(nvml: nvml_wrapper::bitmasks::device::ThrottleReasons) -> ThrottleReasons {
    use nvml_wrapper::bitmasks::device::ThrottleReasons as Nv;
    ThrottleReason::ALL
        .into_iter()
        .filter(|reason| {
            nvml.contains(match reason {
                ThrottleReason::GpuIdle => Nv::GPU_IDLE,
                ThrottleReason::ApplicationsClocksSetting => Nv::APPLICATIONS_CLOCKS_SETTING,
                ThrottleReason::SwPowerCap => Nv::SW_POWER_CAP,
                ThrottleReason::HwSlowdown => Nv::HW_SLOWDOWN,
                ThrottleReason::SyncBoost => Nv::SYNC_BOOST,
                ThrottleReason::SwThermalSlowdown => Nv::SW_THERMAL_SLOWDOWN,
                ThrottleReason::HwThermalSlowdown => Nv::HW_THERMAL_SLOWDOWN,
                ThrottleReason::HwPowerBrakeSlowdown => Nv::HW_POWER_BRAKE_SLOWDOWN,
                ThrottleReason::DisplayClockSetting => Nv::DISPLAY_CLOCK_SETTING,
            })
        })
        .collect()
}

fn to_gpu_error(operation: &'static str, error: NvmlError) -> GpuError {
    match error {
        NvmlError::LibloadingError(error) => GpuError::LibraryNotFound {
            reason: error.to_string(),
        },
        NvmlError::LibraryNotFound => GpuError::LibraryNotFound {
            reason: NvmlError::LibraryNotFound.to_string(),
        },
        NvmlError::DriverNotLoaded => GpuError::DriverNotLoaded,
        NvmlError::NoPermission => GpuError::NoPermission,
        other => GpuError::Read {
            operation,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvml_errors_map_to_the_reasons_an_operator_can_act_on() {
        assert_eq!(
            to_gpu_error("nvmlInit", NvmlError::DriverNotLoaded),
            GpuError::DriverNotLoaded
        );
        assert_eq!(
            to_gpu_error("nvmlInit", NvmlError::NoPermission),
            GpuError::NoPermission
        );
        assert!(matches!(
            to_gpu_error("nvmlInit", NvmlError::LibraryNotFound),
            GpuError::LibraryNotFound { .. }
        ));
        assert_eq!(
            to_gpu_error("nvmlDeviceGetCount", NvmlError::Unknown),
            GpuError::Read {
                operation: "nvmlDeviceGetCount",
                reason: NvmlError::Unknown.to_string()
            }
        );
    }

    #[test]
    fn unsupported_readings_are_none_and_a_lost_gpu_fails_the_device() {
        assert!(matches!(optional(Ok::<_, NvmlError>(7)), Ok(Some(7))));
        assert!(matches!(
            optional::<u32>(Err(NvmlError::NotSupported)),
            Ok(None)
        ));
        assert!(matches!(
            optional::<u32>(Err(NvmlError::FailedToLoadSymbol("nvmlX".into()))),
            Ok(None)
        ));
        assert!(matches!(optional::<u32>(Err(NvmlError::Unknown)), Ok(None)));
        assert!(matches!(
            optional::<u32>(Err(NvmlError::GpuLost)),
            Err(NvmlError::GpuLost)
        ));
    }

    #[test]
    fn throttle_bits_map_one_to_one() {
        use nvml_wrapper::bitmasks::device::ThrottleReasons as Nv;
        let none = throttle_reasons(Nv::NONE);
        assert!(none.is_empty());
        let both = throttle_reasons(Nv::SW_POWER_CAP | Nv::HW_THERMAL_SLOWDOWN);
        for reason in ThrottleReason::ALL {
            let expected = matches!(
                reason,
                ThrottleReason::SwPowerCap | ThrottleReason::HwThermalSlowdown
            );
            assert_eq!(both.contains(reason), expected, "{reason:?}");
        }
    }
}
