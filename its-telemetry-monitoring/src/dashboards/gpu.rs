//! `gpu.json`: utilization, memory, thermals, power, clocks, video engines, errors, throttling.

use its_telemetry::catalog::{MetricDescriptor, gpu};

use super::{
    Dashboard,
    PanelKind::{Stat, TimeSeries},
    panel, q, rate, s,
};

/// GPUs: utilization, memory, thermals, power, clocks, video engines, errors, throttling.
#[must_use]
pub fn gpus() -> Dashboard {
    let device = "gpu, name";
    let by_device = |m: &MetricDescriptor| format!("max by ({device}) ({})", s(m, ""));
    Dashboard {
        uid: "its-gpu",
        file: "gpu.json",
        title: "ITS camera AI — GPUs",
        per_camera: false,
        panels: vec![
            panel(
                "NVML available",
                "0 means no GPU readings: driver, permission or feature missing.",
                Stat,
                "short",
                vec![q(
                    format!("min({})", s(&gpu::NVML_AVAILABLE, "")),
                    "available",
                )],
            ),
            panel(
                "Utilization",
                "Alert above 90 %.",
                TimeSeries,
                "percentunit",
                vec![q(by_device(&gpu::UTILIZATION), "{{gpu}} {{name}}")],
            ),
            panel(
                "Memory used / total",
                "Device memory.",
                TimeSeries,
                "bytes",
                vec![
                    q(by_device(&gpu::MEMORY_USED), "{{gpu}} used"),
                    q(by_device(&gpu::MEMORY_TOTAL), "{{gpu}} total"),
                ],
            ),
            panel(
                "Temperature",
                "Core temperature.",
                TimeSeries,
                "celsius",
                vec![q(by_device(&gpu::TEMPERATURE), "{{gpu}}")],
            ),
            panel(
                "Power / limit",
                "Draw against the enforced limit.",
                TimeSeries,
                "watt",
                vec![
                    q(by_device(&gpu::POWER), "{{gpu}} draw"),
                    q(by_device(&gpu::POWER_LIMIT), "{{gpu}} limit"),
                ],
            ),
            panel(
                "Energy per hour",
                "Joules per hour at the current rate.",
                TimeSeries,
                "joule",
                vec![q(
                    format!("{} * 3600", rate(&gpu::ENERGY, device, "")),
                    "{{gpu}}",
                )],
            ),
            panel(
                "Clocks",
                "SM and memory clocks.",
                TimeSeries,
                "hertz",
                vec![q(
                    format!("max by (gpu, clock) ({})", s(&gpu::CLOCK, "")),
                    "{{gpu}} {{clock}}",
                )],
            ),
            panel(
                "Video decoder / encoder",
                "NVDEC and NVENC utilization.",
                TimeSeries,
                "percentunit",
                vec![
                    q(by_device(&gpu::DECODER_UTILIZATION), "{{gpu}} decoder"),
                    q(by_device(&gpu::ENCODER_UTILIZATION), "{{gpu}} encoder"),
                ],
            ),
            panel(
                "ECC errors per hour",
                "Corrected and uncorrected.",
                TimeSeries,
                "short",
                vec![q(
                    format!("{} * 3600", rate(&gpu::ECC_ERRORS, "gpu, type", "")),
                    "{{gpu}} {{type}}",
                )],
            ),
            panel(
                "Throttling",
                "Reasons clocks are held back right now.",
                TimeSeries,
                "short",
                vec![q(
                    format!("max by (gpu, reason) ({})", s(&gpu::THROTTLED, "")),
                    "{{gpu}} {{reason}}",
                )],
            ),
            panel(
                "This service's GPU memory",
                "Memory held by the service's own process.",
                TimeSeries,
                "bytes",
                vec![q(by_device(&gpu::PROCESS_MEMORY_USED), "{{gpu}}")],
            ),
        ],
    }
}
