use std::time::Duration;
use its_telemetry::{TelemetryConfig, camera::CameraFleet, sla::Slo};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reads OTEL_* and ITS_TELEMETRY_* variables; metrics on 0.0.0.0:9464/metrics.
    let _telemetry = its_telemetry::try_init(TelemetryConfig::from_env()?)?;

    let fleet = CameraFleet::new(1000);
    let cam = fleet.stream("cam-0042"); // create once per camera, keep it
    cam.connected();
    cam.frame_received(48_000);
    cam.frame_decoded(Duration::from_millis(4));

    let availability = Slo::availability("availability", 0.999, Duration::from_secs(30 * 86_400))?;
    availability.recorder().record(true);

    tracing::info!(camera_id = "cam-0042", "stream up"); // JSON, scrubbed, with trace ids
    Ok(()) // dropping the guard flushes spans within a bounded time
}
