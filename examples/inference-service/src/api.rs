//! The HTTP API: detection, metrics, health and readiness on the public router ([`router`]);
//! the fault knobs on the admin router ([`admin_router`]), which the service serves on its own
//! listener, loopback by default, and behind a bearer token when one is configured.
//!
//! Hostile clients get bounded work and a JSON answer: bodies over [`MAX_BODY_BYTES`] get a
//! 413 (`payload_too_large`) that the client can read, bodies slower than [`BODY_TIMEOUT`] a 408,
//! and ids echoed in error messages are cut to [`MAX_ECHOED_CHARS`] characters and escaped.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use its_telemetry::http::ServerLayer;
use serde::{Deserialize, Serialize};

use crate::batcher::Batcher;
use crate::detector::{Detection, Frame, InferError};
use crate::faults::{FaultSwitch, Faults};

/// How far in the future a frame's timestamp may be (camera clocks drift a little).
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5);

/// The largest request body either router reads: 1 MiB, about 40 times the largest valid
/// detection request (256 frames).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How much of an oversized body is read and thrown away before the 413 is sent. Closing a
/// connection with unread data makes the kernel reset it, and the client then sees a reset
/// instead of the 413; reading the rest (up to this bound and within [`BODY_TIMEOUT`]) lets it
/// read the answer. Past the bound the client gets the reset.
pub const DRAIN_BYTES: usize = 64 << 20;

/// Longest time a client may take to send its body (408 after it), drained bytes included.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Most characters of a client's id (a camera id, a field name) echoed in an error message.
pub const MAX_ECHOED_CHARS: usize = 64;

/// Most characters of an error message, whatever it quotes.
const MAX_ERROR_CHARS: usize = 512;

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
    /// An error with `status`; the message is cut to 512 characters.
    fn new(status: StatusCode, code: &str, error: impl Into<String>) -> Self {
        let mut error = error.into();
        if let Some((cut, _)) = error.char_indices().nth(MAX_ERROR_CHARS) {
            error.truncate(cut);
            error.push('…');
        }
        Self {
            error,
            code: code.to_owned(),
            status: status.as_u16(),
        }
    }
}

/// `id` as an error message may quote it: escaped like a Rust string literal (quotes, control
/// characters, invisible Unicode), and cut to [`MAX_ECHOED_CHARS`] characters with `…` and the
/// full length when longer.
#[must_use]
pub fn echo(id: &str) -> String {
    match id.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((cut, _)) => format!("{:?}… ({} bytes)", &id[..cut], id.len()),
        None => format!("{id:?}"),
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
    /// Renders the Prometheus exposition.
    pub metrics: Arc<dyn Fn() -> Option<String> + Send + Sync>,
    /// False once shutdown began.
    pub ready: Arc<AtomicBool>,
}

/// The public router, with the body limit and the SDK's server layer around it (so routes are
/// labelled by template). It has no admin routes: see [`admin_router`].
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/detect", post(detect))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(middleware::from_fn(limit_body))
        .layer(ServerLayer::new())
}

/// The bearer token the admin API requires. Its `Debug` does not show it.
#[derive(Clone)]
pub struct AdminToken(Arc<str>);

impl AdminToken {
    /// A token from the contents of a token file: surrounding whitespace (the file's final
    /// newline) is not part of it. `None` when nothing is left.
    #[must_use]
    pub fn from_file_contents(contents: &str) -> Option<Self> {
        let token = contents.trim();
        (!token.is_empty()).then(|| Self(token.into()))
    }

    /// Whether `Authorization` carries this token, compared in constant time (for tokens of the
    /// same length; the length itself is not secret).
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        else {
            return false;
        };
        let expected = self.0.as_bytes();
        if given.len() != expected.len() {
            return false;
        }
        let differ = given
            .iter()
            .zip(expected)
            .fold(0_u8, |acc, (a, b)| std::hint::black_box(acc | (a ^ b)));
        differ == 0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// What the admin handlers share.
#[derive(Debug, Clone)]
pub struct AdminState {
    /// Fault knobs.
    pub faults: FaultSwitch,
    /// The token every admin request must carry; `None` only on a loopback listener.
    pub token: Option<AdminToken>,
}

/// The admin router: `GET`/`PUT /admin/faults`, behind the bearer token when one is set, with
/// the same body limit and server layer as the public router.
pub fn admin_router(state: AdminState) -> Router {
    let token = state.token.clone();
    Router::new()
        .route("/admin/faults", get(get_faults).put(put_faults))
        .with_state(state)
        .layer(middleware::from_fn_with_state(token, require_token))
        .layer(middleware::from_fn(limit_body))
        .layer(ServerLayer::new())
}

async fn require_token(
    State(token): State<Option<AdminToken>>,
    request: Request,
    next: Next,
) -> Response {
    match token {
        Some(token) if !token.admits(request.headers()) => {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the admin API needs the header `Authorization: Bearer <token>` with the token \
                 from --admin-token-file",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        _ => next.run(request).await,
    }
}

/// Why a body was not read whole.
enum BodyError {
    TooLarge,
    Timeout,
    Broken,
}

/// Reads the body up to [`MAX_BODY_BYTES`] within [`BODY_TIMEOUT`] and hands it on; answers
/// 413 (after draining, see [`DRAIN_BYTES`]), 408 or 400 in JSON, closing the connection.
async fn limit_body(request: Request, next: Next) -> Response {
    let deadline = tokio::time::Instant::now() + BODY_TIMEOUT;
    let (parts, mut body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let outcome = if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        // A client waiting for `100 Continue` has sent nothing: answer without reading.
        if !expects_continue(&parts.headers) {
            drain(&mut body, 0, deadline).await;
        }
        Err(BodyError::TooLarge)
    } else {
        read_bounded(&mut body, deadline).await
    };
    let error = match outcome {
        Ok(bytes) => {
            return next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
        }
        Err(BodyError::TooLarge) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        Err(BodyError::Timeout) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request body did not arrive within {} s",
                BODY_TIMEOUT.as_secs()
            ),
        ),
        Err(BodyError::Broken) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "the request body could not be read",
        ),
    };
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

async fn read_bounded(body: &mut Body, deadline: tokio::time::Instant) -> Result<Bytes, BodyError> {
    let mut buffer = Vec::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::Timeout),
            Ok(None) => return Ok(Bytes::from(buffer)),
            Ok(Some(Err(_))) => return Err(BodyError::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if buffer.len() + data.len() > MAX_BODY_BYTES {
            let read = buffer.len() + data.len();
            drop(buffer);
            drain(body, read, deadline).await;
            return Err(BodyError::TooLarge);
        }
        buffer.extend_from_slice(&data);
    }
}

/// Reads and discards the rest of a body until it ends, [`DRAIN_BYTES`] have been read in all
/// or the deadline passes, whichever comes first.
async fn drain(body: &mut Body, mut read: usize, deadline: tokio::time::Instant) {
    while read <= DRAIN_BYTES {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => read += frame.data_ref().map_or(0, Bytes::len),
            _ => return,
        }
    }
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
                format!("camera {} is not registered", echo(&frame.camera_id)),
            ));
        }
        if frame.timestamp_ms > latest {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "future_timestamp",
                format!(
                    "frame from {} is timestamped in the future",
                    echo(&frame.camera_id)
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

async fn get_faults(State(state): State<AdminState>) -> Json<Faults> {
    Json(state.faults.get())
}

/// Replaces every knob (a field left out is healthy). A value out of bounds, of the wrong type
/// or an unknown field is a 422 `invalid_faults` naming the field; the knobs stay as they were.
async fn put_faults(
    State(state): State<AdminState>,
    body: Result<Json<Faults>, JsonRejection>,
) -> Result<Json<Faults>, ApiError> {
    let Json(faults) = body.map_err(|r| {
        let status = r.status();
        let code = if status == StatusCode::UNPROCESSABLE_ENTITY {
            "invalid_faults"
        } else {
            "malformed_request"
        };
        ApiError::new(status, code, r.body_text())
    })?;
    faults.validate().map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_faults",
            e.to_string(),
        )
    })?;
    tracing::warn!(?faults, "fault knobs changed");
    state.faults.set(faults.clone());
    Ok(Json(faults))
}
