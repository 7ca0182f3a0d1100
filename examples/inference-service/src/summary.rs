//! The one-line live summary on the terminal, so the person running the example sees it work.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::batcher::BatchStats;
use crate::simulator::SimStats;

/// Prints `cameras online, frames/s, batches/s, p95 latency, errors` every `every`.
pub(crate) async fn run(
    every: Duration,
    sim: Arc<SimStats>,
    batches: Arc<BatchStats>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let (mut frames, mut done, mut failed, mut errors) = (0, 0, 0, 0);
    let mut last = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let secs = last.elapsed().as_secs_f64().max(1e-3);
        last = Instant::now();
        let f = sim.frames.load(Ordering::Relaxed);
        let b = batches.batches.load(Ordering::Relaxed);
        let x = batches.failed.load(Ordering::Relaxed);
        let e = sim.errors.load(Ordering::Relaxed);
        let p95 = batches
            .take_p95_ms()
            .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1} ms"));
        // The summary is for the terminal; structured logs go to stdout.
        eprintln!(
            "cameras online {:>5} | frames/s {:>7.0} | batches/s {:>6.0} | p95 batch latency {:>9} | failed batches {:>4} | failed requests {:>4}",
            sim.online.load(Ordering::Relaxed),
            (f - frames) as f64 / secs,
            (b - done) as f64 / secs,
            p95,
            x - failed,
            e - errors,
        );
        (frames, done, failed, errors) = (f, b, x, e);
    }
}
