//! Customisation hooks of the server layer, each a trait implemented for closures, with a
//! default.

use http::Request;
use opentelemetry::KeyValue;

/// Finds the `http.route` of a request: the route *template* (`/v1/cameras/{id}`), never the
/// raw path, so label values stay bounded. `None` means the request matched no route.
///
/// Implemented for closures `Fn(&Request<B>) -> Option<&'static str>`, which suits services
/// that know their templates:
///
/// ```
/// use its_telemetry::http::ServerLayer;
///
/// let layer = ServerLayer::new().route_extractor(|req: &http::Request<()>| {
///     req.uri().path().starts_with("/v1/detect/").then_some("/v1/detect/{camera}")
/// });
/// # let _ = layer;
/// ```
pub trait RouteExtractor<B> {
    /// The route template of `req`, if it matched one.
    fn route<'a>(&'a self, req: &'a Request<B>) -> Option<&'a str>;
}

impl<B, F> RouteExtractor<B> for F
where
    F: Fn(&Request<B>) -> Option<&'static str>,
{
    fn route<'a>(&'a self, req: &'a Request<B>) -> Option<&'a str> {
        self(req)
    }
}

/// The default route extractor: axum's `MatchedPath` when the `axum` feature is on (apply the
/// layer with `Router::layer` so the path is matched first); otherwise no route, so every
/// request counts as unmatched until a [`RouteExtractor`] is given.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRoute;

impl<B> RouteExtractor<B> for DefaultRoute {
    fn route<'a>(&'a self, req: &'a Request<B>) -> Option<&'a str> {
        #[cfg(feature = "axum")]
        {
            req.extensions()
                .get::<axum::extract::MatchedPath>()
                .map(axum::extract::MatchedPath::as_str)
        }
        #[cfg(not(feature = "axum"))]
        {
            let _ = req;
            None
        }
    }
}

/// Uses the request path as the route for gRPC requests (`/package.Service/Method`, a bounded
/// set defined by the service's protobuf) and no route for anything else. Unknown methods sent by
/// a misbehaving client are still bounded by the cardinality guard.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcRoute;

impl<B> RouteExtractor<B> for GrpcRoute {
    fn route<'a>(&'a self, req: &'a Request<B>) -> Option<&'a str> {
        let grpc = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
        grpc.then(|| req.uri().path())
    }
}

/// Adds attributes of the service's own to the server span. Only called when the span is
/// sampled, so it costs nothing on requests that are not traced.
///
/// Implemented for `()` (nothing) and for closures:
///
/// ```
/// use its_telemetry::http::ServerLayer;
/// use opentelemetry::KeyValue;
///
/// let layer = ServerLayer::new().extra_attributes(
///     |req: &http::Request<()>, attributes: &mut Vec<KeyValue>| {
///         if let Some(site) = req.headers().get("x-site").and_then(|v| v.to_str().ok()) {
///             attributes.push(KeyValue::new("its.site", site.to_owned()));
///         }
///     },
/// );
/// # let _ = layer;
/// ```
pub trait ExtraAttributes<B> {
    /// Pushes attributes for `req` onto `attributes`.
    fn attributes(&self, req: &Request<B>, attributes: &mut Vec<KeyValue>);
}

impl<B> ExtraAttributes<B> for () {
    fn attributes(&self, _: &Request<B>, _: &mut Vec<KeyValue>) {}
}

impl<B, F> ExtraAttributes<B> for F
where
    F: Fn(&Request<B>, &mut Vec<KeyValue>),
{
    fn attributes(&self, req: &Request<B>, attributes: &mut Vec<KeyValue>) {
        self(req, attributes);
    }
}

/// Which requests the layer leaves alone: no span, no metrics, no request id. Scrapes and
/// probes would otherwise drown the request metrics.
///
/// Implemented for `()` (skip nothing) and for closures `Fn(&Request<B>) -> bool`.
pub trait SkipRequest<B> {
    /// `true` to pass `req` through untouched.
    fn skip(&self, req: &Request<B>) -> bool;
}

impl<B> SkipRequest<B> for () {
    fn skip(&self, _: &Request<B>) -> bool {
        false
    }
}

impl<B, F> SkipRequest<B> for F
where
    F: Fn(&Request<B>) -> bool,
{
    fn skip(&self, req: &Request<B>) -> bool {
        self(req)
    }
}

/// Skips requests whose path is one of a fixed list; by default [`DEFAULT_SKIP_PATHS`].
#[derive(Debug, Clone)]
pub struct SkipPaths {
    paths: Vec<String>,
}

/// Paths skipped by default: the Prometheus scrape and the usual health probes.
pub const DEFAULT_SKIP_PATHS: &[&str] = &["/metrics", "/healthz", "/livez", "/readyz"];

impl SkipPaths {
    /// Skips exactly these paths.
    #[must_use]
    pub fn new<I, S>(paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            paths: paths.into_iter().map(Into::into).collect(),
        }
    }
}

impl Default for SkipPaths {
    fn default() -> Self {
        Self::new(DEFAULT_SKIP_PATHS.iter().copied())
    }
}

impl<B> SkipRequest<B> for SkipPaths {
    fn skip(&self, req: &Request<B>) -> bool {
        let path = req.uri().path();
        self.paths.iter().any(|p| p == path)
    }
}
