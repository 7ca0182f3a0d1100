//! The clock of the per-request and per-batch timings (HTTP layers, batch guard).
//!
//! A batch reads the clock five times and a request twice, so the read is a visible part of
//! their cost. quanta reads the CPU's invariant time-stamp counter and scales the difference of
//! two readings to nanoseconds: 8 ns a read on the build machine against 18 ns for
//! `std::time::Instant::now` (BENCHMARKS.md). Where the counter is missing or not invariant,
//! quanta uses the OS monotonic clock, as `Instant` does.

use std::sync::LazyLock;

/// Calibrated once per process (about a millisecond; see [`calibrate`]).
static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

/// One reading of the clock. Only the difference of two readings means anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ticks(u64);

impl Ticks {
    /// Reads the clock.
    pub(crate) fn now() -> Self {
        Self(CLOCK.raw())
    }

    /// Seconds from `self` to `later`; zero when `later` is not later (counters of two cores
    /// may differ by a few ticks).
    pub(crate) fn seconds_until(self, later: Ticks) -> f64 {
        // u64 nanoseconds -> f64 is exact below 2^53 ns (104 days).
        CLOCK.delta_as_nanos(self.0, later.0) as f64 / 1e9
    }

    /// Seconds from `self` to now.
    pub(crate) fn elapsed_seconds(self) -> f64 {
        self.seconds_until(Ticks::now())
    }
}

/// Calibrates the clock now, so that the first request or batch does not pay for it. Called
/// where the layers and models are built.
pub(crate) fn calibrate() {
    LazyLock::force(&CLOCK);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn measures_what_the_std_clock_measures() {
        calibrate();
        // std readings bracket ours on both sides, so a thread preempted between two readings
        // widens the bracket instead of failing the test: ours must lie inside it, give or take
        // a calibration error (quanta's is parts per million; 1 % is far beyond it).
        let outer_start = Instant::now();
        let start = Ticks::now();
        let inner_start = Instant::now();
        std::thread::sleep(Duration::from_millis(30));
        let inner_end = Instant::now();
        let ours = start.elapsed_seconds();
        let outer_end = Instant::now();
        let shortest = inner_end.duration_since(inner_start).as_secs_f64();
        let longest = outer_end.duration_since(outer_start).as_secs_f64();
        assert!(
            ours >= shortest * 0.99 && ours <= longest * 1.01,
            "quanta {ours} s, std between {shortest} s and {longest} s"
        );
    }

    #[test]
    fn an_earlier_reading_is_zero_seconds_not_a_panic() {
        let (a, b) = (Ticks::now(), Ticks::now());
        assert_eq!(b.seconds_until(a), 0.0, "b was read after a");
        assert_eq!(Ticks(10).seconds_until(Ticks(5)), 0.0);
    }
}
