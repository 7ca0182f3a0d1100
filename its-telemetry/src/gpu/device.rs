//! One device's metric handles, and the conversion of its readings to base units.
//!
//! Handles are created when a reading first arrives, never per poll, and only for readings the
//! device supports: registering a handle makes the exporter render the series, and a GPU
//! without NVENC must not show an encoder utilization of 0.

use metrics::{Counter, Gauge, Label};

use super::{DeviceReading, ProcessMemory, ThrottleReason};
use crate::catalog::MetricDescriptor;
use crate::catalog::gpu as m;

/// The exported series of one GPU, keyed in the poller by UUID.
#[derive(Debug)]
pub(super) struct DeviceMetrics {
    index: u32,
    name: String,
    utilization: Lazy<Gauge>,
    memory_used: Lazy<Gauge>,
    memory_total: Lazy<Gauge>,
    temperature: Lazy<Gauge>,
    power: Lazy<Gauge>,
    power_limit: Lazy<Gauge>,
    energy: Lazy<Counter>,
    sm_clock: Lazy<Gauge>,
    memory_clock: Lazy<Gauge>,
    decoder: Lazy<Gauge>,
    encoder: Lazy<Gauge>,
    ecc_corrected: Lazy<Counter>,
    ecc_uncorrected: Lazy<Counter>,
    throttled: [Lazy<Gauge>; ThrottleReason::ALL.len()],
    process_memory: Lazy<Gauge>,
}

impl DeviceMetrics {
    pub(super) fn new(reading: &DeviceReading) -> Self {
        let device = [
            Label::new("gpu", reading.index.to_string()),
            Label::new("uuid", reading.uuid.clone()),
            Label::new("name", reading.name.clone()),
        ];
        let series = |metric, extra| Lazy::new(metric, &device, extra);
        let counter = |metric, extra| Lazy::new(metric, &device, extra);
        Self {
            index: reading.index,
            name: reading.name.clone(),
            utilization: series(&m::UTILIZATION, None),
            memory_used: series(&m::MEMORY_USED, None),
            memory_total: series(&m::MEMORY_TOTAL, None),
            temperature: series(&m::TEMPERATURE, None),
            power: series(&m::POWER, None),
            power_limit: series(&m::POWER_LIMIT, None),
            energy: counter(&m::ENERGY, None),
            sm_clock: series(&m::CLOCK, Some(("clock", "sm"))),
            memory_clock: series(&m::CLOCK, Some(("clock", "memory"))),
            decoder: series(&m::DECODER_UTILIZATION, None),
            encoder: series(&m::ENCODER_UTILIZATION, None),
            ecc_corrected: counter(&m::ECC_ERRORS, Some(("type", "corrected"))),
            ecc_uncorrected: counter(&m::ECC_ERRORS, Some(("type", "uncorrected"))),
            throttled: ThrottleReason::ALL
                .map(|reason| series(&m::THROTTLED, Some(("reason", reason.as_str())))),
            process_memory: series(&m::PROCESS_MEMORY_USED, None),
        }
    }

    /// Whether these handles carry the labels `reading` needs (a UUID seen again under another
    /// index or name gets fresh handles).
    pub(super) fn matches(&self, reading: &DeviceReading) -> bool {
        self.index == reading.index && self.name == reading.name
    }

    /// Exports one reading, converted to base units; `pid` picks this process's memory.
    pub(super) fn record(&mut self, r: &DeviceReading, pid: u32) {
        let ratio = |percent: u32| f64::from(percent) / 100.0;
        let watts = |milliwatts: u32| f64::from(milliwatts) / 1000.0;
        let hertz = |mhz: u32| f64::from(mhz) * 1e6;
        set(&mut self.utilization, r.utilization_percent.map(ratio));
        set(&mut self.memory_used, r.memory_used_bytes.map(|b| b as f64));
        set(
            &mut self.memory_total,
            r.memory_total_bytes.map(|b| b as f64),
        );
        set(&mut self.temperature, r.temperature_celsius.map(f64::from));
        set(&mut self.power, r.power_milliwatts.map(watts));
        set(&mut self.power_limit, r.power_limit_milliwatts.map(watts));
        absolute(&mut self.energy, r.energy_millijoules.map(|mj| mj / 1000));
        set(&mut self.sm_clock, r.sm_clock_mhz.map(hertz));
        set(&mut self.memory_clock, r.memory_clock_mhz.map(hertz));
        set(&mut self.decoder, r.decoder_utilization_percent.map(ratio));
        set(&mut self.encoder, r.encoder_utilization_percent.map(ratio));
        absolute(&mut self.ecc_corrected, r.ecc_corrected);
        absolute(&mut self.ecc_uncorrected, r.ecc_uncorrected);
        if let Some(reasons) = r.throttle_reasons {
            for (slot, reason) in self.throttled.iter_mut().zip(ThrottleReason::ALL) {
                slot.get()
                    .set(if reasons.contains(reason) { 1.0 } else { 0.0 });
            }
        }
        let own = r
            .compute_processes
            .as_deref()
            .and_then(|p| own_memory(p, pid));
        set(&mut self.process_memory, own.map(|b| b as f64));
    }
}

/// This process's bytes on the device: 0 when it holds no context there, `None` when the
/// driver lists it but cannot tell its usage.
fn own_memory(processes: &[ProcessMemory], pid: u32) -> Option<u64> {
    processes
        .iter()
        .filter(|p| p.pid == pid)
        .try_fold(0_u64, |total, p| {
            p.used_bytes.map(|b| total.saturating_add(b))
        })
}

fn set(slot: &mut Lazy<Gauge>, value: Option<f64>) {
    if let Some(value) = value {
        slot.get().set(value);
    }
}

fn absolute(slot: &mut Lazy<Counter>, value: Option<u64>) {
    if let Some(value) = value {
        slot.get().absolute(value);
    }
}

/// A handle registered with the recorder on first use.
#[derive(Debug)]
struct Lazy<H> {
    metric: &'static MetricDescriptor,
    labels: Vec<Label>,
    handle: Option<H>,
}

impl<H> Lazy<H> {
    /// A series of `metric` for one device, with one more label (`clock`, `type`, `reason`)
    /// where the metric has one.
    fn new(
        metric: &'static MetricDescriptor,
        device: &[Label],
        extra: Option<(&'static str, &'static str)>,
    ) -> Self {
        let mut labels = device.to_vec();
        labels.extend(extra.map(|(key, value)| Label::new(key, value)));
        Self {
            metric,
            labels,
            handle: None,
        }
    }
}

impl Lazy<Gauge> {
    fn get(&mut self) -> &Gauge {
        self.handle
            .get_or_insert_with(|| metrics::gauge!(self.metric.name, self.labels.clone()))
    }
}

impl Lazy<Counter> {
    fn get(&mut self) -> &Counter {
        self.handle
            .get_or_insert_with(|| metrics::counter!(self.metric.name, self.labels.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, used_bytes: Option<u64>) -> ProcessMemory {
        ProcessMemory { pid, used_bytes }
    }

    #[test]
    fn own_memory_sums_this_pid_only() {
        let list = [
            process(7, Some(100)),
            process(9, Some(5_000)),
            process(7, Some(20)),
        ];
        assert_eq!(own_memory(&list, 7), Some(120));
        assert_eq!(own_memory(&list, 9), Some(5_000));
        let huge = [process(7, Some(u64::MAX)), process(7, Some(1))];
        assert_eq!(own_memory(&huge, 7), Some(u64::MAX));
    }

    #[test]
    fn own_memory_is_zero_without_a_context_and_unknown_when_unreported() {
        assert_eq!(own_memory(&[process(9, Some(5_000))], 7), Some(0));
        assert_eq!(own_memory(&[], 7), Some(0));
        assert_eq!(own_memory(&[process(7, None)], 7), None);
    }
}
