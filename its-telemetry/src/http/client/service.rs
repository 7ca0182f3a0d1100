use std::borrow::Cow;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::Request;
use opentelemetry::trace::{SpanBuilder, SpanKind, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};
use tower_service::Service;

use super::future::ResponseFuture;
use super::layer::ClientState;
use crate::clock::Ticks;
use crate::http::record::{METHOD_LABELS, METHOD_SPAN_NAMES, Recording, method_index};
use crate::http::{propagation, url};

/// The service [`ClientLayer`](super::ClientLayer) wraps around a client.
#[derive(Debug, Clone)]
pub struct ClientService<S> {
    inner: S,
    state: Arc<ClientState>,
}

impl<S> ClientService<S> {
    pub(crate) fn new(inner: S, state: Arc<ClientState>) -> Self {
        Self { inner, state }
    }

    /// The wrapped client.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B, RB> Service<Request<B>> for ClientService<S>
where
    S: Service<Request<B>, Response = http::Response<RB>>,
    S::Error: std::fmt::Display + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let start = Ticks::now();
        let method = method_index(req.method());
        let host = req.uri().host().map(strip_brackets);
        let (entry, _) = self.state.cache.entry(method, host);
        let parent = Context::current();
        let (cx, recording) = self.state.tracer().start(
            SpanBuilder::from_name(Cow::Borrowed(METHOD_SPAN_NAMES[method]))
                .with_kind(SpanKind::Client),
            &parent,
            || request_attributes(&req, method),
        );
        self.send(req, start, entry, cx, recording)
    }
}

impl<S> ClientService<S> {
    fn send<B, RB>(
        &mut self,
        mut req: Request<B>,
        start: Ticks,
        entry: &'static crate::http::record::Entry,
        cx: Context,
        recording: bool,
    ) -> ResponseFuture<S::Future>
    where
        S: Service<Request<B>, Response = http::Response<RB>>,
    {
        propagation::inject_span_context(cx.span().span_context(), req.headers_mut());
        let recording = Recording::start(start, entry, cx, recording);
        ResponseFuture::new(self.inner.call(req), recording)
    }
}

fn request_attributes<B>(req: &Request<B>, method: usize) -> Vec<KeyValue> {
    let uri = req.uri();
    let mut attributes = Vec::with_capacity(8);
    attributes.push(KeyValue::new("http.request.method", METHOD_LABELS[method]));
    if method == crate::http::record::OTHER_METHOD {
        attributes.push(KeyValue::new(
            "http.request.method_original",
            req.method().as_str().to_owned(),
        ));
    }
    if let Some(host) = uri.host() {
        attributes.push(KeyValue::new(
            "server.address",
            strip_brackets(host).to_owned(),
        ));
    }
    let scheme = uri.scheme_str().unwrap_or("http");
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    attributes.push(KeyValue::new("server.port", i64::from(port)));
    if let Some(full) = url::full_url(uri) {
        attributes.push(KeyValue::new("url.full", full));
    }
    attributes.push(KeyValue::new(
        "network.protocol.version",
        crate::http::protocol_version(req.version()),
    ));
    attributes
}

/// `server.address` of an IPv6 literal is the address, without the URI's brackets.
fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}
