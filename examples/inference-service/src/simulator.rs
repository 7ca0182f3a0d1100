//! The camera simulator: cameras grouped behind edge gateways, each gateway sending one
//! request per frame tick through the SDK's client layer (so traces cross client → server),
//! with per-camera stream telemetry, traffic analytics and SLOs on the way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use its_telemetry::business::{Direction, IncidentType, Severity, TrafficAnalytics, VehicleClass};
use its_telemetry::camera::{CameraFleet, CameraStream, DropReason};
use its_telemetry::http::ClientLayer;
use its_telemetry::inference::AccuracyFeedback;
use its_telemetry::sla::{Slo, SloRecorder};
use tokio::sync::watch;
use tower::{Service, ServiceBuilder, ServiceExt};

use crate::api::DetectResponse;
use crate::detector::{Frame, MODEL};
use crate::faults::FaultSwitch;
use crate::rng::Rng;

/// Camera ids the simulator uses (and the API accepts).
#[must_use]
pub fn camera_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("cam-{i:04}")).collect()
}

/// Counters the live summary reads.
#[derive(Debug, Default)]
pub struct SimStats {
    /// Frames sent.
    pub frames: AtomicU64,
    /// Requests that failed.
    pub errors: AtomicU64,
    /// Cameras currently online.
    pub online: AtomicUsize,
}

/// SLOs declared in code, as the monitoring rules expect them.
pub struct Slos {
    /// 99.9 % of detection requests succeed, over 30 days.
    pub availability: SloRecorder,
    /// 95 % of detection requests answer within 100 ms, over 30 days.
    pub latency: SloRecorder,
}

impl Slos {
    /// Declares both.
    ///
    /// # Panics
    /// Never: the definitions are constants checked by the tests.
    #[must_use]
    pub fn declare() -> Self {
        let month = Duration::from_secs(30 * 86_400);
        Self {
            availability: Slo::availability("detection_availability", 0.999, month)
                .expect("valid SLO")
                .recorder(),
            latency: Slo::latency("detection_latency", 0.95, Duration::from_millis(100), month)
                .expect("valid SLO")
                .recorder(),
        }
    }
}

/// Runs the simulator until `shutdown` turns true.
pub async fn run(
    cameras: usize,
    fps: u32,
    per_gateway: usize,
    target: SocketAddr,
    faults: FaultSwitch,
    stats: Arc<SimStats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let fleet = CameraFleet::new(cameras);
    let analytics = TrafficAnalytics::new();
    analytics.compute_hourly_cost(2.48); // one mid-range GPU instance
    let shared = Arc::new(Shared {
        analytics,
        slos: Slos::declare(),
        accuracy: AccuracyFeedback::new(MODEL),
        faults,
        stats,
        target,
        total_cameras: cameras,
    });
    let ids = camera_ids(cameras);
    let chunks: Vec<&[String]> = ids.chunks(per_gateway.max(1)).collect();
    let period = Duration::from_secs(1) / fps.max(1);
    let mut gateways = tokio::task::JoinSet::new();
    for (g, chunk) in chunks.iter().enumerate() {
        let streams: Vec<(usize, String, CameraStream)> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| (g * per_gateway + i, id.clone(), fleet.stream(id)))
            .collect();
        let shared = Arc::clone(&shared);
        let shutdown = shutdown.clone();
        // Real cameras are not synchronised: spread the gateways over one frame period.
        let offset = period.mul_f64(g as f64 / chunks.len() as f64);
        gateways.spawn(gateway(streams, fps, offset, shared, shutdown, g as u64));
    }
    let mut quality = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = quality.tick() => {
                let low = shared.faults.get().low_data_quality;
                shared.analytics.data_quality(if low { 0.70 } else { 0.985 });
            }
            _ = shutdown.changed() => break,
        }
    }
    while gateways.join_next().await.is_some() {}
}

struct Shared {
    analytics: TrafficAnalytics,
    slos: Slos,
    accuracy: AccuracyFeedback,
    faults: FaultSwitch,
    stats: Arc<SimStats>,
    target: SocketAddr,
    total_cameras: usize,
}

async fn gateway(
    streams: Vec<(usize, String, CameraStream)>,
    fps: u32,
    offset: Duration,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    seed: u64,
) {
    let mut client = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>());
    let url = format!("http://{}/v1/detect", shared.target);
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9) + 1);
    let start = tokio::time::Instant::now() + offset;
    let mut tick = tokio::time::interval_at(start, Duration::from_secs(1) / fps.max(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut open_incidents = Vec::new();
    // Whether each camera was ever up: its next connect is then a reconnect.
    let mut seen = vec![false; streams.len()];
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => break,
        }
        let faults = shared.faults.get();
        let offline_below = (faults.camera_outage * shared.total_cameras as f64).round() as usize;
        let mut frames = Vec::with_capacity(streams.len());
        for ((index, id, stream), seen) in streams.iter().zip(seen.iter_mut()) {
            if *index < offline_below {
                if stream.is_connected() {
                    stream.disconnected();
                    shared.stats.online.fetch_sub(1, Ordering::Relaxed);
                }
                continue;
            }
            if !stream.is_connected() {
                if std::mem::replace(seen, true) {
                    stream.reconnected();
                } else {
                    stream.connected();
                }
                shared.stats.online.fetch_add(1, Ordering::Relaxed);
            }
            let size = 30_000 + rng.next_u64() % 50_000;
            stream.frame_received(size);
            if rng.chance(0.001) {
                stream.frame_dropped(DropReason::DecodeError);
                continue;
            }
            stream.frame_decoded(Duration::from_micros(2_000 + rng.next_u64() % 6_000));
            frames.push(Frame {
                camera_id: id.clone(),
                timestamp_ms: now_ms(),
                size_bytes: size,
            });
        }
        if frames.is_empty() {
            continue;
        }
        let sent = frames.len();
        shared
            .stats
            .frames
            .fetch_add(sent as u64, Ordering::Relaxed);
        let started = Instant::now();
        let outcome = send(&mut client, &url, frames).await;
        let took = started.elapsed();
        match outcome {
            Ok(response) => {
                shared.slos.availability.good();
                shared.slos.latency.record_latency(took);
                record_traffic(&shared, &response, &mut rng);
            }
            Err(()) => {
                shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                shared.slos.availability.bad();
                for (.., stream) in streams.iter().filter(|(.., s)| s.is_connected()).take(sent) {
                    stream.frame_dropped(DropReason::QueueFull);
                }
            }
        }
        incidents(
            &shared,
            &mut rng,
            faults.incident_backlog,
            &mut open_incidents,
        );
    }
    for (.., stream) in &streams {
        if stream.is_connected() {
            shared.stats.online.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

async fn send<S>(client: &mut S, url: &str, frames: Vec<Frame>) -> Result<DetectResponse, ()>
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<hyper::body::Incoming>>,
{
    let body = serde_json::to_vec(&crate::api::DetectRequest { frames }).map_err(|_| ())?;
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|_| ())?;
    let response = client
        .ready()
        .await
        .map_err(|_| ())?
        .call(request)
        .await
        .map_err(|_| ())?;
    if !response.status().is_success() {
        return Err(());
    }
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|_| ())?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|_| ())
}

fn record_traffic(shared: &Shared, response: &DetectResponse, rng: &mut Rng) {
    for d in &response.detections {
        let class = match d.class.as_str() {
            "car" => VehicleClass::Car,
            "van" => VehicleClass::Van,
            "truck" => VehicleClass::Truck,
            "bus" => VehicleClass::Bus,
            "motorcycle" => VehicleClass::Motorcycle,
            "bicycle" => VehicleClass::Bicycle,
            _ => VehicleClass::Other,
        };
        let direction = if d.direction == "inbound" {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        shared.analytics.vehicle_detected(class, direction);
        shared.analytics.vehicle_speed_kmh(class, d.speed_kmh);
        // Ground truth arrives for a sample (operator review); low confidence is wrong more often.
        if rng.chance(0.05) {
            shared.accuracy.record(rng.unit() < f64::from(d.confidence));
        }
    }
}

fn incidents(
    shared: &Shared,
    rng: &mut Rng,
    backlog: bool,
    open: &mut Vec<its_telemetry::business::Incident>,
) {
    // An incident now and then; a backlog comes with a surge of them.
    if !rng.chance(if backlog { 0.05 } else { 0.002 }) {
        return;
    }
    let kind = IncidentType::ALL[rng.below(IncidentType::ALL.len())];
    let severity = Severity::ALL[rng.below(Severity::ALL.len())];
    if backlog {
        // Detected ten minutes ago and only acknowledged now; never resolved.
        let detected = Instant::now()
            .checked_sub(Duration::from_secs(600))
            .unwrap_or_else(Instant::now);
        let mut incident = shared
            .analytics
            .incident_detected_at(kind, severity, detected);
        incident.acknowledged();
        if open.len() < 1000 {
            open.push(incident);
        }
    } else {
        let mut incident = shared.analytics.incident_detected(kind, severity);
        incident.acknowledged();
        incident.resolved();
        open.clear(); // the backlog is worked off once the fault is lifted
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
