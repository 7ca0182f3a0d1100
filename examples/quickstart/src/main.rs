//! The smallest complete its-telemetry service: init from the environment, then simulate a
//! fleet of cameras and the traffic they see, until Ctrl-C or `--seconds` elapse.
//!
//! ```text
//! cargo run --release -p example-quickstart -- --cameras 100 --fps 5
//! curl -s localhost:9464/metrics | grep its_camera_frames_received_total | head
//! ```

use std::time::{Duration, Instant};

use its_telemetry::TelemetryConfig;
use its_telemetry::business::{Direction, IncidentType, Severity, TrafficAnalytics, VehicleClass};
use its_telemetry::camera::{CameraFleet, DropReason};
use its_telemetry::sla::Slo;

/// Command-line options; everything else comes from the environment (see the README).
struct Options {
    cameras: usize,
    fps: u32,
    seconds: Option<u64>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        cameras: 50,
        fps: 5,
        seconds: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--cameras" => options.cameras = parse(&value("--cameras")?, "--cameras")?,
            "--fps" => options.fps = parse(&value("--fps")?, "--fps")?,
            "--seconds" => options.seconds = Some(parse(&value("--seconds")?, "--seconds")?),
            "--help" | "-h" => {
                return Err(
                    "usage: example-quickstart [--cameras N] [--fps N] [--seconds N]".into(),
                );
            }
            other => return Err(format!("unknown option {other}; try --help")),
        }
    }
    if options.fps == 0 {
        return Err("--fps must be at least 1".into());
    }
    Ok(options)
}

fn parse<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{name}: {text:?} is not a valid number"))
}

/// A small deterministic generator, so the example needs no randomness crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_options()?;
    let mut config = TelemetryConfig::from_env()?;
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        config.service_name = "quickstart".into();
    }
    let telemetry = its_telemetry::try_init(config)?;
    tracing::info!(
        cameras = options.cameras,
        fps = options.fps,
        metrics = ?telemetry.metrics_addr(),
        "quickstart running; metrics at http://{}/metrics",
        telemetry.metrics_addr().map_or_else(|| "(disabled)".into(), |a| a.to_string())
    );

    let fleet = CameraFleet::new(options.cameras);
    let cameras: Vec<_> = (0..options.cameras)
        .map(|i| fleet.stream(&format!("cam-{i:04}")))
        .collect();
    for cam in &cameras {
        cam.connected();
    }
    let analytics = TrafficAnalytics::new();
    analytics.compute_hourly_cost(2.48);
    let month = Duration::from_secs(30 * 86_400);
    let availability = Slo::availability("frame_availability", 0.999, month)?.recorder();
    let latency =
        Slo::latency("decode_latency", 0.95, Duration::from_millis(10), month)?.recorder();

    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / options.fps);
    let mut frames = 0u64;
    let mut last_report = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        if options
            .seconds
            .is_some_and(|s| started.elapsed() >= Duration::from_secs(s))
        {
            break;
        }
        for cam in &cameras {
            let _span = tracing::debug_span!("stream.decode").entered();
            cam.frame_received(30_000 + rng.next() % 40_000);
            let roll = rng.unit();
            if roll < 0.002 {
                cam.frame_dropped(DropReason::DecodeError);
                availability.bad();
                continue;
            }
            if roll < 0.004 {
                cam.frame_dropped(DropReason::QueueFull);
                availability.bad();
                continue;
            }
            let took = Duration::from_micros(2_000 + rng.next() % 8_000);
            cam.frame_decoded(took);
            availability.good();
            latency.record_latency(took);
            frames += 1;
            if rng.unit() < 0.3 {
                let class = VehicleClass::ALL[(rng.next() % 4) as usize];
                let direction = Direction::ALL[(rng.next() % 2) as usize];
                analytics.vehicle_detected(class, direction);
                analytics.vehicle_speed_kmh(class, 30.0 + rng.unit() * 90.0);
            }
        }
        if rng.unit() < 0.01 {
            let mut incident =
                analytics.incident_detected(IncidentType::Congestion, Severity::Medium);
            incident.acknowledged();
            incident.resolved();
        }
        analytics.data_quality(0.95 + rng.unit() * 0.05);
        if last_report.elapsed() >= Duration::from_secs(5) {
            tracing::info!(frames, cameras = cameras.len(), "frames decoded so far");
            last_report = Instant::now();
        }
    }
    tracing::info!(frames, "shutting down");
    drop(cameras);
    telemetry.shutdown()?;
    Ok(())
}
