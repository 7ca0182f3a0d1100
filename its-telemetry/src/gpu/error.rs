//! Why GPU readings could not be taken.

/// Why a [`GpuSource`](super::GpuSource) could not read the GPUs.
///
/// Every variant means the same thing to the poller — `its_gpu_nvml_available` drops to 0 and
/// one warning carries this message — so the messages say what an operator can do about it.
/// The variants let a service tell "no GPU here, as expected" ([`LibraryNotFound`],
/// [`FeatureDisabled`]) from "a GPU host that is misconfigured" ([`DriverNotLoaded`],
/// [`NoPermission`]).
///
/// [`LibraryNotFound`]: GpuError::LibraryNotFound
/// [`FeatureDisabled`]: GpuError::FeatureDisabled
/// [`DriverNotLoaded`]: GpuError::DriverNotLoaded
/// [`NoPermission`]: GpuError::NoPermission
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// `libnvidia-ml.so.1` could not be loaded: no NVIDIA driver is installed (every machine
    /// without a GPU), or it is not on the loader's path (a container started without the
    /// NVIDIA container runtime).
    #[error(
        "the NVML library could not be loaded ({reason}); install the NVIDIA driver, or run \
         the container with the NVIDIA container runtime (on a machine without a GPU this is expected)"
    )]
    LibraryNotFound {
        /// The dynamic loader's message.
        reason: String,
    },
    /// The NVML library is present but the NVIDIA kernel module is not loaded.
    #[error(
        "the NVML library is installed but the NVIDIA kernel driver is not loaded; load it \
         (`modprobe nvidia`) and check that `nvidia-smi` works"
    )]
    DriverNotLoaded,
    /// The process may not talk to the NVIDIA driver.
    #[error(
        "no permission to read the GPUs through NVML; give the service access to /dev/nvidia* \
         (in a container: the NVIDIA container runtime)"
    )]
    NoPermission,
    /// The SDK was built without the `nvml` cargo feature, so it has no way to read GPUs.
    #[error(
        "GPU metrics are off: its-telemetry was built without the `nvml` feature; enable it \
         (`its-telemetry = {{ features = [\"nvml\"] }}`) to read NVIDIA GPUs"
    )]
    FeatureDisabled,
    /// A call the source needed failed for another reason.
    #[error("{operation} failed: {reason}")]
    Read {
        /// What was being done, for example `nvmlDeviceGetCount`.
        operation: &'static str,
        /// The underlying error's message.
        reason: String,
    },
    /// The source panicked while reading; the poller caught it and carries on.
    #[error("the GPU source panicked: {message}")]
    SourcePanicked {
        /// The panic message, when it was a string.
        message: String,
    },
}
