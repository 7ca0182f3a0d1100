//! Simulated GPUs: plausible, varying readings for demos and dashboards on machines without one.

use std::time::{Duration, Instant};

use super::{DeviceReading, GpuError, GpuSource, ProcessMemory, ThrottleReason, ThrottleReasons};

const GIB: u64 = 1 << 30;
/// One utilisation cycle: slow enough to read on a dashboard, fast enough to see in a demo.
const PERIOD_SECONDS: f64 = 300.0;
const MEMORY_TOTAL_BYTES: u64 = 24 * GIB;
const POWER_LIMIT_MILLIWATTS: u32 = 72_000;
const IDLE_POWER_MILLIWATTS: f64 = 16_000.0;
const SM_CLOCK_MAX_MHZ: f64 = 2_040.0;
const MEMORY_CLOCK_MHZ: u32 = 6_251;
/// This process's share of the memory in use (the rest is other tenants, the driver).
const OWN_MEMORY_SHARE: f64 = 0.8;

/// A [`GpuSource`] of simulated devices (NVIDIA L4-like, 24 GiB, 72 W), so a demo or a laptop
/// shows every GPU panel: never a substitute for NVML where NVML works.
///
/// Each device's utilisation follows a slow sine (a 5-minute cycle, devices out of phase) plus
/// noise; memory, temperature, power and clocks follow utilisation as a real card's do; the
/// energy counter integrates the power drawn; ECC errors stay 0; the software power cap throttles
/// near full load and, rarely, a hot spell adds a thermal slowdown; this process holds most of
/// the memory in use. Devices are named `Simulated NVIDIA L4` with UUIDs `GPU-simulated-{index}`,
/// so nobody mistakes them for real ones.
///
/// Readings are deterministic for a seed and an elapsed time ([`read_at`](Self::read_at)):
///
/// ```
/// use std::time::Duration;
/// use its_telemetry::gpu::{GpuSource, SimulatedGpus};
///
/// let mut gpus = SimulatedGpus::new(2, 7);
/// let now = gpus.read()?;
/// assert_eq!(now.len(), 2);
/// assert_eq!(now[1].uuid, "GPU-simulated-1");
/// let later = SimulatedGpus::new(2, 7).read_at(Duration::from_secs(90));
/// assert_eq!(later, SimulatedGpus::new(2, 7).read_at(Duration::from_secs(90)));
/// # Ok::<(), its_telemetry::gpu::GpuError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SimulatedGpus {
    devices: u32,
    seed: u64,
    pid: u32,
    started: Instant,
    /// Per device: elapsed time and energy at the last read, so the counter only grows.
    energy: Vec<(Duration, f64)>,
}

impl SimulatedGpus {
    /// `devices` simulated GPUs whose noise comes from `seed`; the current process holds a
    /// compute context on each, so "this service's GPU memory" has a reading.
    #[must_use]
    pub fn new(devices: u32, seed: u64) -> Self {
        Self {
            devices,
            seed,
            pid: std::process::id(),
            started: Instant::now(),
            energy: vec![(Duration::ZERO, 0.0); devices as usize],
        }
    }

    /// Readings `elapsed` after the source was created. Reading at an earlier time than the
    /// last read leaves the energy counter where it was.
    #[must_use]
    pub fn read_at(&mut self, elapsed: Duration) -> Vec<DeviceReading> {
        (0..self.devices)
            .map(|index| self.device_at(index, elapsed))
            .collect()
    }

    fn device_at(&mut self, index: u32, elapsed: Duration) -> DeviceReading {
        let t = elapsed.as_secs_f64();
        let tick = elapsed.as_secs();
        let noise = |salt: u64| unit(self.seed, u64::from(index), tick, salt);
        let phase = f64::from(index) * 1.3;
        let wave = (std::f64::consts::TAU * t / PERIOD_SECONDS + phase).sin();
        let util = (0.55 + 0.3 * wave + 0.1 * (noise(1) - 0.5)).clamp(0.02, 1.0);
        // Temperature lags nothing here, but follows load: 38 °C idle, 78 °C flat out, and a
        // rare hot spell (about one tick in 50) that pushes it into thermal slowdown.
        let hot = noise(2) < 0.02;
        let temperature = 38.0 + 40.0 * util + 2.0 * noise(3) + if hot { 9.0 } else { 0.0 };
        let power_limit = f64::from(POWER_LIMIT_MILLIWATTS);
        let power = (IDLE_POWER_MILLIWATTS
            + (power_limit - IDLE_POWER_MILLIWATTS) * util
            + 1_500.0 * (noise(4) - 0.5))
            .clamp(IDLE_POWER_MILLIWATTS * 0.8, power_limit);
        let memory_used =
            (MEMORY_TOTAL_BYTES as f64 * (0.35 + 0.25 * util + 0.02 * noise(5))) as u64;

        let (last_t, last_energy) = self.energy[index as usize];
        let energy = if elapsed > last_t {
            let e = last_energy + power * (elapsed - last_t).as_secs_f64();
            self.energy[index as usize] = (elapsed, e);
            e
        } else {
            last_energy
        };

        let mut throttle = ThrottleReasons::NONE;
        if util > 0.8 {
            throttle.insert(ThrottleReason::SwPowerCap);
        }
        if hot {
            throttle.insert(ThrottleReason::SwThermalSlowdown);
        }

        let mut d = DeviceReading::new(
            index,
            format!("GPU-simulated-{index}"),
            "Simulated NVIDIA L4",
        );
        d.utilization_percent = Some(percent(util));
        d.memory_used_bytes = Some(memory_used);
        d.memory_total_bytes = Some(MEMORY_TOTAL_BYTES);
        d.temperature_celsius = Some(temperature.round() as u32);
        d.power_milliwatts = Some(power as u32);
        d.power_limit_milliwatts = Some(POWER_LIMIT_MILLIWATTS);
        d.energy_millijoules = Some(energy as u64);
        let sm_clock = SM_CLOCK_MAX_MHZ * if hot { 0.7 } else { 0.75 + 0.25 * util };
        d.sm_clock_mhz = Some(sm_clock as u32);
        d.memory_clock_mhz = Some(MEMORY_CLOCK_MHZ);
        // Camera streams are decoded on the GPU: NVDEC follows load, NVENC barely used.
        d.decoder_utilization_percent = Some(percent(0.8 * util));
        d.encoder_utilization_percent = Some(percent(0.03 * noise(6)));
        d.ecc_corrected = Some(0);
        d.ecc_uncorrected = Some(0);
        d.throttle_reasons = Some(throttle);
        d.compute_processes = Some(vec![ProcessMemory {
            pid: self.pid,
            used_bytes: Some((memory_used as f64 * OWN_MEMORY_SHARE) as u64),
        }]);
        d
    }
}

impl GpuSource for SimulatedGpus {
    fn read(&mut self) -> Result<Vec<DeviceReading>, GpuError> {
        let elapsed = self.started.elapsed();
        Ok(self.read_at(elapsed))
    }
}

fn percent(ratio: f64) -> u32 {
    (ratio.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// A number in [0, 1) that depends only on its inputs (splitmix64 over them).
fn unit(seed: u64, device: u64, tick: u64, salt: u64) -> f64 {
    let mut x = seed
        ^ device.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ tick.wrapping_mul(0xBF58_476D_1CE4_E5B9)
        ^ salt.wrapping_mul(0x94D0_49BB_1331_11EB);
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1_u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(gpus: &mut SimulatedGpus, n: u64) -> Vec<DeviceReading> {
        (0..n)
            .flat_map(|m| gpus.read_at(Duration::from_secs(m * 7)))
            .collect()
    }

    #[test]
    fn every_reading_is_set_and_physically_plausible() {
        let mut gpus = SimulatedGpus::new(3, 1);
        for r in minutes(&mut gpus, 200) {
            let util = r.utilization_percent.expect("utilization");
            assert!((2..=100).contains(&util), "{util}");
            let (used, total) = (
                r.memory_used_bytes.expect("memory_used_bytes set"),
                r.memory_total_bytes.expect("memory_total_bytes set"),
            );
            assert!(used > 0 && used < total, "{used} of {total}");
            assert!((30..=95).contains(&r.temperature_celsius.expect("temperature_celsius set")));
            let (power, limit) = (
                r.power_milliwatts.expect("power_milliwatts set"),
                r.power_limit_milliwatts
                    .expect("power_limit_milliwatts set"),
            );
            assert!(power >= 10_000 && power <= limit, "{power} of {limit}");
            assert!(r.energy_millijoules.is_some());
            assert!((1_000..=2_100).contains(&r.sm_clock_mhz.expect("sm_clock_mhz set")));
            assert!(r.memory_clock_mhz.is_some());
            assert!(
                r.decoder_utilization_percent
                    .expect("decoder_utilization_percent set")
                    <= 100
            );
            assert!(
                r.encoder_utilization_percent
                    .expect("encoder_utilization_percent set")
                    <= 100
            );
            assert_eq!((r.ecc_corrected, r.ecc_uncorrected), (Some(0), Some(0)));
            assert!(r.throttle_reasons.is_some());
            let own = r.compute_processes.as_deref().expect("processes");
            assert_eq!(own[0].pid, std::process::id());
            assert!(own[0].used_bytes.expect("used_bytes set") <= used);
        }
    }

    #[test]
    fn readings_vary_over_time_and_follow_utilization() {
        let mut gpus = SimulatedGpus::new(1, 1);
        let all = minutes(&mut gpus, 200);
        let utils: Vec<u32> = all.iter().filter_map(|r| r.utilization_percent).collect();
        let (lo, hi) = (
            *utils.iter().min().expect("readings"),
            *utils.iter().max().expect("readings"),
        );
        assert!(hi - lo >= 40, "utilisation between {lo} and {hi} %");
        let temp_of = |util: u32| {
            all.iter()
                .filter(|r| r.utilization_percent == Some(util))
                .map(|r| r.temperature_celsius.expect("temperature_celsius set"))
                .min()
                .expect("a reading at this utilisation")
        };
        assert!(temp_of(hi) > temp_of(lo) + 10, "hotter under load");
        assert!(all.iter().any(|r| {
            r.throttle_reasons
                .expect("throttle_reasons set")
                .contains(ThrottleReason::SwPowerCap)
        }));
        assert!(
            all.iter()
                .any(|r| r.throttle_reasons.expect("throttle_reasons set").is_empty())
        );
    }

    #[test]
    fn the_energy_counter_only_grows() {
        let mut gpus = SimulatedGpus::new(2, 3);
        let mut last = 0;
        for s in [0, 1, 5, 5, 3, 60, 61] {
            let e = gpus.read_at(Duration::from_secs(s))[1]
                .energy_millijoules
                .expect("energy set");
            assert!(e >= last, "{e} after {last} at {s} s");
            last = e;
        }
        // About 60 s at 16–72 W.
        assert!((900_000..=4_400_000).contains(&last), "{last} mJ");
    }

    #[test]
    fn deterministic_for_a_seed_and_different_across_seeds_and_devices() {
        let at = Duration::from_secs(42);
        let a = SimulatedGpus::new(2, 9).read_at(at);
        assert_eq!(a, SimulatedGpus::new(2, 9).read_at(at));
        let series = |seed| minutes(&mut SimulatedGpus::new(1, seed), 30);
        assert_ne!(series(9), series(10));
        // Out of phase: two devices' utilisation differs over time (at one instant the two
        // may round to the same percent).
        let both = minutes(&mut SimulatedGpus::new(2, 9), 30);
        let utilization_of = |index: u32| -> Vec<Option<u32>> {
            both.iter()
                .filter(|r| r.index == index)
                .map(|r| r.utilization_percent)
                .collect()
        };
        assert_ne!(utilization_of(0), utilization_of(1));
    }

    #[test]
    fn reading_through_the_trait_reports_every_device() {
        let mut gpus = SimulatedGpus::new(4, 0);
        let read = gpus.read().expect("never fails");
        let indexes: Vec<u32> = read.iter().map(|r| r.index).collect();
        assert_eq!(indexes, [0, 1, 2, 3]);
        assert!(
            SimulatedGpus::new(0, 0)
                .read()
                .expect("never fails")
                .is_empty()
        );
    }
}
