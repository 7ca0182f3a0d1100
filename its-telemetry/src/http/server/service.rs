use std::borrow::Cow;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::{Request, Response};
use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanBuilder, SpanKind};
use tower_service::Service;

use super::future::ResponseFuture;
use super::hooks::{ExtraAttributes, RouteExtractor, SkipRequest};
use super::layer::{Shared, X_REQUEST_ID};
use crate::clock::Ticks;
use crate::http::record::{
    METHOD_LABELS, OTHER_METHOD, Recording, generate_request_id, method_index, span_name,
    valid_request_id,
};
use crate::http::{propagation, url};

/// The service [`ServerLayer`](super::ServerLayer) wraps around an inner service.
#[derive(Debug)]
pub struct ServerService<S, R, A, K> {
    inner: S,
    shared: Arc<Shared<R, A, K>>,
}

impl<S: Clone, R, A, K> Clone for ServerService<S, R, A, K> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S, R, A, K> ServerService<S, R, A, K> {
    pub(crate) fn new(inner: S, shared: Arc<Shared<R, A, K>>) -> Self {
        Self { inner, shared }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B, RB, R, A, K> Service<Request<B>> for ServerService<S, R, A, K>
where
    S: Service<Request<B>, Response = Response<RB>>,
    R: RouteExtractor<B>,
    A: ExtraAttributes<B>,
    K: SkipRequest<B>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let shared = &*self.shared;
        if shared.skip.skip(&req) {
            return ResponseFuture::passthrough(self.inner.call(req));
        }
        let start = Ticks::now();
        let state = &*shared.state;
        let method = method_index(req.method());

        let route = shared.route.route(&req);
        let (entry, fits) = state.cache.entry(method, route);
        let name: Cow<'static, str> = if fits {
            Cow::Borrowed(entry.span_name)
        } else {
            Cow::Owned(span_name(method, route))
        };
        let parent = propagation::extract_context(req.headers());
        // The id is chosen before the span (its attribute needs it) and put on the request
        // after, once the route no longer borrows the request.
        let (request_id, generated) = match req.headers().get(X_REQUEST_ID) {
            Some(v) if valid_request_id(v) => (v.clone(), false),
            _ => (generate_request_id(), true),
        };
        let (cx, recording) = state.tracer().start(
            SpanBuilder::from_name(name).with_kind(SpanKind::Server),
            &parent,
            || {
                let mut attributes = request_attributes(&req, method, route);
                shared.extra.attributes(&req, &mut attributes);
                if shared.record_request_id {
                    // Validated or generated: only `[A-Za-z0-9._:-]`, so the bytes are UTF-8.
                    let id = String::from_utf8_lossy(request_id.as_bytes()).into_owned();
                    attributes.push(KeyValue::new(
                        "http.request.header.x-request-id",
                        opentelemetry::Value::Array(
                            vec![opentelemetry::StringValue::from(id)].into(),
                        ),
                    ));
                }
                attributes
            },
        );
        if generated {
            req.headers_mut().insert(X_REQUEST_ID, request_id.clone());
        }

        let recording = Recording::start(start, entry, cx, recording);
        let future = {
            let _attached = recording.attach.then(|| recording.cx.clone().attach());
            self.inner.call(req)
        };
        ResponseFuture::recorded(future, recording, request_id)
    }
}

/// The semantic-convention attributes known when the request arrives.
fn request_attributes<B>(req: &Request<B>, method: usize, route: Option<&str>) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(10);
    attributes.push(KeyValue::new("http.request.method", METHOD_LABELS[method]));
    if method == OTHER_METHOD {
        attributes.push(KeyValue::new(
            "http.request.method_original",
            req.method().as_str().to_owned(),
        ));
    }
    if let Some(route) = route {
        attributes.push(KeyValue::new("http.route", route.to_owned()));
    }
    attributes.push(KeyValue::new("url.path", req.uri().path().to_owned()));
    if let Some(query) = req.uri().query() {
        attributes.push(KeyValue::new(
            "url.query",
            url::redact_query(query).into_owned(),
        ));
    }
    let https = req.uri().scheme_str() == Some("https");
    attributes.push(KeyValue::new(
        "url.scheme",
        if https { "https" } else { "http" },
    ));
    attributes.push(KeyValue::new(
        "network.protocol.version",
        crate::http::protocol_version(req.version()),
    ));
    // The request target's authority (absolute form, HTTP/2 `:authority`), else `Host`; a
    // malformed one records neither attribute.
    let authority = match req.uri().authority() {
        Some(authority) => Some(authority.as_str()),
        None => req
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok()),
    };
    if let Some((host, port)) = authority.and_then(url::parse_host) {
        attributes.push(KeyValue::new("server.address", host.to_owned()));
        let port = port.unwrap_or(if https { 443 } else { 80 });
        attributes.push(KeyValue::new("server.port", i64::from(port)));
    }
    if let Some(agent) = req
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
    }
    attributes
}
