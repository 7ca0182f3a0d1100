//! GPU metrics: NVIDIA GPUs read through NVML, exported as the catalog's
//! [GPU metrics](crate::catalog::gpu) in base units, per device (`gpu` index, `uuid`, `name`).
//!
//! Three parts, each replaceable:
//! - a [`GpuSource`] reads every device: `NvmlSource` (cargo feature `nvml`) in production,
//!   [`FakeGpuSource`] in tests, [`SimulatedGpus`] for demos without a GPU, or a service's own
//!   backend;
//! - a [`GpuPoller`] turns readings into series — percent into ratios, milliwatts into watts,
//!   MHz into hertz, millijoules into joules — on its own thread, every
//!   [`DEFAULT_INTERVAL`] unless told otherwise, until its [`GpuPollerHandle`] is dropped;
//! - [`start_default`] wires the two the usual way; [`start_or_simulate`] falls back to
//!   simulated devices where NVML cannot be used.
//!
//! GPU metrics never stop a service: without a driver, without permission, or without the
//! `nvml` feature, `its_gpu_nvml_available` is 0, one warning says why, and everything else
//! runs. Alert on that gauge, not on missing GPU series.
//!
//! ```no_run
//! use its_telemetry::{gpu, TelemetryConfig};
//!
//! let _telemetry = its_telemetry::try_init(TelemetryConfig::builder("detector").build()?)?;
//! let _gpu = gpu::start_default(gpu::DEFAULT_INTERVAL)?; // after init: same recorder
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Cardinality: each device adds at most 23 series (13 readings, 9 throttle reasons, this
//! process's memory); readings the device does not support are left out rather than 0.

mod device;
mod error;
mod fake;
#[cfg(feature = "nvml")]
mod nvml;
mod poller;
mod simulated;
mod source;
mod start;
#[cfg(test)]
mod test_logs;

pub use error::GpuError;
pub use fake::FakeGpuSource;
#[cfg(feature = "nvml")]
pub use nvml::NvmlSource;
pub use poller::{DEFAULT_INTERVAL, GpuPoller, GpuPollerHandle};
pub use simulated::SimulatedGpus;
pub use source::{DeviceReading, GpuSource, ProcessMemory, ThrottleReason, ThrottleReasons};
#[cfg(feature = "nvml")]
pub use start::nvml_source;
pub use start::{start_default, start_or_simulate};
