//! The server layer: one SERVER span per request, continuing the caller's W3C trace, and the
//! catalog's `http.server.request.duration` and `http.server.active_requests`.
//!
//! What each request gets:
//! * a span named `{METHOD} {route}` (or `{METHOD}` when no route matched; `HTTP` for methods
//!   the semantic conventions do not know), whose parent is the `traceparent` of the request
//!   when valid — otherwise a new trace starts. It is the current OpenTelemetry context while
//!   the handler runs, so `tracing` spans, log lines and outgoing calls join it;
//! * attributes `http.request.method` (`_OTHER` plus `http.request.method_original` for unknown
//!   methods), `http.route`, `url.path`, `url.query` (the values of sensitive parameters —
//!   [`SENSITIVE_QUERY_PARAMETERS`](crate::http::SENSITIVE_QUERY_PARAMETERS) — replaced by
//!   `REDACTED`), `url.scheme`, `network.protocol.version`, `server.address` and `server.port`
//!   (from the request target's authority or the `Host` header, IPv6 literals without their
//!   brackets, the scheme's default port when none is given; neither when the header is
//!   malformed), `user_agent.original`, `http.response.status_code` (an integer), `error.type`,
//!   and, only when [`ServerLayer::record_request_id`] opts in,
//!   `http.request.header.x-request-id` — set only on sampled spans, so unsampled requests pay
//!   for none of them;
//! * error status for 5xx responses and service errors; 4xx leaves the status unset;
//! * the duration histogram with `http_request_method`, `http_route` (the route template, never
//!   the raw path; empty when nothing matched, as the conventions leave the attribute out;
//!   `_overflow` past the cardinality limit), `http_response_status_code` and `error_type`
//!   (the status code for 5xx, `_OTHER` for a service error, `cancelled` when the request
//!   future was dropped before it finished, the gRPC code name such as `UNAVAILABLE` for a gRPC
//!   call that failed on the server's side — see below);
//! * an `x-request-id`: the caller's when it is 1–128 characters of `[A-Za-z0-9._:-]` (UUIDs,
//!   hex ids), otherwise a generated one (32 hex characters) — so an e-mail address or a token
//!   sent as an id is never echoed nor recorded — put on the request for the handler and echoed
//!   on the response.
//!
//! gRPC (tonic): use [`GrpcRoute`] so `http.route` is the method's path
//! (`/package.Service/Method`). A failed gRPC call answers HTTP 200 with its `grpc-status` in the
//! response head (tonic's "trailers-only" response for an `Err(Status)`); the layer reads it,
//! sets `rpc.grpc.status_code` on the span and, for the codes OpenTelemetry's RPC conventions
//! count as server failures (`UNKNOWN`, `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`,
//! `UNAVAILABLE`, `DATA_LOSS`), `error.type` and the error status. A status sent in trailers
//! after streamed messages is not seen.
//!
//! The duration ends when the response head is ready; streaming the body is not included.
//! Metric handles are created once per (method, route, outcome) and cached in the layer.

mod future;
mod hooks;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use hooks::{
    DEFAULT_SKIP_PATHS, DefaultRoute, ExtraAttributes, GrpcRoute, RouteExtractor, SkipPaths,
    SkipRequest,
};
pub use layer::{ServerLayer, X_REQUEST_ID};
pub use service::ServerService;
