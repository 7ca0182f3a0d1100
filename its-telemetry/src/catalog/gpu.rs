//! GPU readings (NVML, as DCGM reports them), converted to base units.
//!
//! Per-device series carry `gpu` (index), `uuid` and `name`.

use super::{Domain::Gpu, MetricDescriptor, Unit};

const DEVICE: &[&str] = &["gpu", "uuid", "name"];

/// Whether NVML could be loaded: 0 means every other GPU series is absent.
pub const NVML_AVAILABLE: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_nvml_available",
    Unit::Dimensionless,
    "1 when NVML is loaded and GPUs can be read, 0 otherwise.",
    &[],
);
/// Fraction of time a kernel ran.
pub const UTILIZATION: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_utilization_ratio",
    Unit::Ratio,
    "Fraction of the sample period during which a kernel was running.",
    DEVICE,
);
/// Device memory in use.
pub const MEMORY_USED: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_memory_used_bytes",
    Unit::Bytes,
    "Device memory in use.",
    DEVICE,
);
/// Device memory installed.
pub const MEMORY_TOTAL: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_memory_total_bytes",
    Unit::Bytes,
    "Device memory installed.",
    DEVICE,
);
/// Core temperature.
pub const TEMPERATURE: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_temperature_celsius",
    Unit::Celsius,
    "GPU core temperature.",
    DEVICE,
);
/// Power draw.
pub const POWER: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_power_watts",
    Unit::Watts,
    "Power draw.",
    DEVICE,
);
/// Enforced power limit.
pub const POWER_LIMIT: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_power_limit_watts",
    Unit::Watts,
    "Enforced power limit.",
    DEVICE,
);
/// Energy consumed since the driver loaded.
pub const ENERGY: MetricDescriptor = MetricDescriptor::counter(
    Gpu,
    "its_gpu_energy_joules_total",
    "Energy consumed since the driver was loaded.",
    DEVICE,
)
.with_unit(Unit::Joules);
/// Current clock, by clock domain (`sm`, `memory`).
pub const CLOCK: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_clock_hertz",
    Unit::Hertz,
    "Current clock frequency, by clock domain (sm or memory).",
    &["gpu", "uuid", "name", "clock"],
);
/// Video decoder (NVDEC) utilization.
pub const DECODER_UTILIZATION: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_decoder_utilization_ratio",
    Unit::Ratio,
    "Video decoder (NVDEC) utilization.",
    DEVICE,
);
/// Video encoder (NVENC) utilization.
pub const ENCODER_UTILIZATION: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_encoder_utilization_ratio",
    Unit::Ratio,
    "Video encoder (NVENC) utilization.",
    DEVICE,
);
/// ECC errors, by type (`corrected`, `uncorrected`).
pub const ECC_ERRORS: MetricDescriptor = MetricDescriptor::counter(
    Gpu,
    "its_gpu_ecc_errors_total",
    "ECC memory errors since the driver was loaded, by type (corrected or uncorrected).",
    &["gpu", "uuid", "name", "type"],
);
/// 1 while the clocks are held back for the given reason.
pub const THROTTLED: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_throttled",
    Unit::Dimensionless,
    "1 while clocks are throttled for the given reason, 0 otherwise.",
    &["gpu", "uuid", "name", "reason"],
);
/// Device memory used by this process.
pub const PROCESS_MEMORY_USED: MetricDescriptor = MetricDescriptor::gauge(
    Gpu,
    "its_gpu_process_memory_used_bytes",
    Unit::Bytes,
    "Device memory used by this process.",
    DEVICE,
);

/// Every GPU metric.
pub const ALL: &[MetricDescriptor] = &[
    NVML_AVAILABLE,
    UTILIZATION,
    MEMORY_USED,
    MEMORY_TOTAL,
    TEMPERATURE,
    POWER,
    POWER_LIMIT,
    ENERGY,
    CLOCK,
    DECODER_UTILIZATION,
    ENCODER_UTILIZATION,
    ECC_ERRORS,
    THROTTLED,
    PROCESS_MEMORY_USED,
];
