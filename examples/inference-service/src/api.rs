//! The HTTP API: detection, metrics, health, readiness and the fault knobs.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use its_telemetry::http::ServerLayer;
use serde::{Deserialize, Serialize};

use crate::batcher::Batcher;
use crate::detector::{Detection, Frame, InferError};
use crate::faults::{FaultSwitch, Faults};

/// How far in the future a frame's timestamp may be (camera clocks drift a little).
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5);

/// `POST /v1/detect` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectRequest {
    /// Frames to run detection on.
    pub frames: Vec<Frame>,
}

/// `POST /v1/detect` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectResponse {
    /// Everything found in the request's frames.
    pub detections: Vec<Detection>,
}

/// A JSON error body: `{"error": "...", "code": "..."}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong, for a person.
    pub error: String,
    /// A stable machine-readable code.
    pub code: String,
    #[serde(skip)]
    status: u16,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            code: code.to_owned(),
            status: status.as_u16(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Queue into the GPU.
    pub batcher: Batcher,
    /// Known camera ids.
    pub cameras: Arc<HashSet<String>>,
    /// Most frames per request.
    pub max_request_frames: usize,
    /// Fault knobs.
    pub faults: FaultSwitch,
    /// Renders the Prometheus exposition.
    pub metrics: Arc<dyn Fn() -> Option<String> + Send + Sync>,
    /// False once shutdown began.
    pub ready: Arc<AtomicBool>,
}

/// The router with the SDK's server layer around it (so routes are labelled by template).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/detect", post(detect))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/admin/faults", get(get_faults).put(put_faults))
        .with_state(state)
        .layer(ServerLayer::new())
}

async fn detect(
    State(state): State<AppState>,
    body: Result<Json<DetectRequest>, JsonRejection>,
) -> Result<Json<DetectResponse>, ApiError> {
    let Json(request) = body.map_err(|rejection| {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "malformed_request"
        };
        ApiError::new(status, code, rejection.body_text())
    })?;
    validate(&state, &request)?;
    let reply = state.batcher.submit(request.frames).await.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the service is shutting down",
        )
    })?;
    match reply {
        Ok(detections) => Ok(Json(DetectResponse { detections })),
        Err(e @ (InferError::GpuTimeout | InferError::OutOfMemory)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            its_telemetry::inference::ErrorReason::reason(&e),
            e.to_string(),
        )),
    }
}

fn validate(state: &AppState, request: &DetectRequest) -> Result<(), ApiError> {
    if request.frames.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_batch",
            "no frames in the request",
        ));
    }
    if request.frames.len() > state.max_request_frames {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_frames",
            format!(
                "{} frames; at most {} per request",
                request.frames.len(),
                state.max_request_frames
            ),
        ));
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let latest = now_ms + u64::try_from(MAX_CLOCK_SKEW.as_millis()).unwrap_or(0);
    for frame in &request.frames {
        if !state.cameras.contains(&frame.camera_id) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_camera",
                format!("camera {:?} is not registered", frame.camera_id),
            ));
        }
        if frame.timestamp_ms > latest {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "future_timestamp",
                format!(
                    "frame from {} is timestamped in the future",
                    frame.camera_id
                ),
            ));
        }
    }
    Ok(())
}

async fn metrics(State(state): State<AppState>) -> Response {
    match (state.metrics)() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                its_telemetry::prometheus::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are disabled\n").into_response(),
    }
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    }
}

async fn get_faults(State(state): State<AppState>) -> Json<Faults> {
    Json(state.faults.get())
}

async fn put_faults(
    State(state): State<AppState>,
    body: Result<Json<Faults>, JsonRejection>,
) -> Result<Json<Faults>, ApiError> {
    let Json(faults) =
        body.map_err(|r| ApiError::new(r.status(), "malformed_request", r.body_text()))?;
    faults
        .validate()
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_faults", e))?;
    tracing::warn!(?faults, "fault knobs changed");
    state.faults.set(faults.clone());
    Ok(Json(faults))
}
