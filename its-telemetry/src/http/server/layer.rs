use std::sync::{Arc, OnceLock};

use http::HeaderName;
use tower_layer::Layer;

use super::hooks::{DefaultRoute, SkipPaths};
use super::service::ServerService;
use crate::catalog::http::{SERVER_ACTIVE_REQUESTS, SERVER_REQUEST_DURATION};
use crate::http::record::HandleCache;
use crate::http::tracer::LayerTracer;

/// `x-request-id`.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Records every request a service handles: a SERVER span that continues the caller's W3C
/// trace, the catalog's `http.server.*` metrics, and an `x-request-id`.
///
/// Build it once and apply it to a router or service; clones share the metric handles, which a
/// layer keeps for the life of the process.
///
/// ```
/// use axum::{Router, routing::get};
/// use its_telemetry::http::ServerLayer;
///
/// let app: Router = Router::new()
///     .route("/v1/cameras/{id}", get(|| async { "ok" }))
///     // `Router::layer` runs after routing, so the route template is known.
///     .layer(ServerLayer::new());
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct ServerLayer<R = DefaultRoute, A = (), K = SkipPaths> {
    route: R,
    extra: A,
    skip: K,
    record_request_id: bool,
    state: Arc<ServerState>,
}

/// Handles and tracer shared by every service a layer builds. The tracer and gauges bind on
/// first use, so a layer built before [`crate::try_init`] still records to what it installs.
#[derive(Debug)]
pub(crate) struct ServerState {
    pub(crate) cache: HandleCache,
    tracer: OnceLock<LayerTracer>,
}

impl ServerState {
    fn new() -> Self {
        Self {
            cache: HandleCache::new(&SERVER_REQUEST_DURATION, 500, Some(&SERVER_ACTIVE_REQUESTS)),
            tracer: OnceLock::new(),
        }
    }

    pub(crate) fn tracer(&self) -> &LayerTracer {
        self.tracer.get_or_init(LayerTracer::bind)
    }
}

/// Everything a service needs per request, behind one `Arc` so services clone cheaply.
#[derive(Debug)]
pub(crate) struct Shared<R, A, K> {
    pub(crate) route: R,
    pub(crate) extra: A,
    pub(crate) skip: K,
    pub(crate) record_request_id: bool,
    pub(crate) state: Arc<ServerState>,
}

impl Default for ServerLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerLayer {
    /// A layer with the default hooks: axum's matched path as the route (feature `axum`), no
    /// extra attributes, and [`DEFAULT_SKIP_PATHS`](super::DEFAULT_SKIP_PATHS) skipped.
    #[must_use]
    pub fn new() -> Self {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        crate::clock::calibrate();
        Self {
            route: DefaultRoute,
            extra: (),
            skip: SkipPaths::default(),
            record_request_id: false,
            state: Arc::new(ServerState::new()),
        }
    }
}

impl<R, A, K> ServerLayer<R, A, K> {
    /// Sets how `http.route` is found; see [`RouteExtractor`](super::RouteExtractor).
    #[must_use]
    pub fn route_extractor<R2>(self, route: R2) -> ServerLayer<R2, A, K> {
        ServerLayer {
            route,
            extra: self.extra,
            skip: self.skip,
            record_request_id: self.record_request_id,
            state: self.state,
        }
    }

    /// Adds attributes to sampled spans; see [`ExtraAttributes`](super::ExtraAttributes).
    #[must_use]
    pub fn extra_attributes<A2>(self, extra: A2) -> ServerLayer<R, A2, K> {
        ServerLayer {
            route: self.route,
            extra,
            skip: self.skip,
            record_request_id: self.record_request_id,
            state: self.state,
        }
    }

    /// Sets which requests pass through unrecorded; see [`SkipRequest`](super::SkipRequest)
    /// and [`SkipPaths`]. `()` records everything.
    #[must_use]
    pub fn skip<K2>(self, skip: K2) -> ServerLayer<R, A, K2> {
        ServerLayer {
            route: self.route,
            extra: self.extra,
            skip,
            record_request_id: self.record_request_id,
            state: self.state,
        }
    }
}

impl<R, A, K> ServerLayer<R, A, K> {
    /// Records the request's `x-request-id` on the span as
    /// `http.request.header.x-request-id` (off by default: the conventions make header capture
    /// opt-in). Only ids that pass validation are recorded — 1–128 characters of
    /// `[A-Za-z0-9._:-]` — any other id is replaced by a generated one before it is echoed or
    /// recorded.
    ///
    /// ```
    /// use its_telemetry::http::ServerLayer;
    ///
    /// let layer = ServerLayer::new().record_request_id(true);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn record_request_id(mut self, record: bool) -> Self {
        self.record_request_id = record;
        self
    }
}

impl<S, R: Clone, A: Clone, K: Clone> Layer<S> for ServerLayer<R, A, K> {
    type Service = ServerService<S, R, A, K>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerService::new(
            inner,
            Arc::new(Shared {
                route: self.route.clone(),
                extra: self.extra.clone(),
                skip: self.skip.clone(),
                record_request_id: self.record_request_id,
                state: self.state.clone(),
            }),
        )
    }
}
