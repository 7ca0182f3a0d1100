//! The `/metrics` pull endpoint: a small HTTP/1 server on the SDK's runtime, safe to expose to
//! hostile clients.
//!
//! - **Bounded time**: a request head must arrive within the header-read timeout (hyper starts
//!   that clock whenever it waits for a head, so it also closes connections that never send
//!   one), and a connection on which no byte moves for the idle timeout is closed (a client
//!   that stops reading its response).
//! - **Bounded connections**: at most `max_connections` are held. A new one over the cap
//!   replaces the held connection idle the longest, so a flood of idle sockets cannot lock a
//!   real scraper out; when every held connection is being answered, the new one is closed.
//! - **Bounded work**: concurrent scrapers share one render ([`RENDER_SHARE_WINDOW`]), which
//!   runs on a blocking thread so the runtime's workers stay free.
//! - **Optional access control**: a bearer token (401 otherwise) and an allow-list of client
//!   networks (others are disconnected before anything is read).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

use super::{Format, PrometheusHandle};
use crate::config::{ConfigError, MetricsConfig};

/// How long one render is served to every scraper that asks for it.
///
/// Prometheus stamps samples with its own scrape time and scrapes every 10–60 s, so a render
/// up to 200 ms old is indistinguishable from a fresh one; meanwhile 20 scrapers arriving
/// together cost one render instead of 20 queued ones (the p99 of a 1000-camera exposition
/// went from 850 ms to the time of one render, see BENCHMARKS.md).
pub const RENDER_SHARE_WINDOW: Duration = Duration::from_millis(200);

/// Largest request head accepted (hyper's minimum buffer); a scrape request is a few hundred
/// bytes.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// Pause after a failed `accept` (out of file descriptors, mostly): the pending connection
/// stays in the kernel's backlog, so retrying at once would spin a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The `/metrics` endpoint, ready to serve a [`PrometheusHandle`] on a listener.
///
/// [`crate::try_init`] runs one from [`MetricsConfig`]; build one yourself to serve a recorder
/// you manage (tests, a second port).
///
/// ```no_run
/// use its_telemetry::{TelemetryConfig, prometheus};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = TelemetryConfig::builder("detector")
///     .metrics_allow_networks(["10.0.0.0/8"])
///     .build()?;
/// let recorder = prometheus::build_recorder(&config);
/// let endpoint = prometheus::MetricsEndpoint::new(recorder.handle(), &config.metrics)?;
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:9464").await?;
/// endpoint.serve(listener, std::future::pending()).await;
/// # Ok(()) }
/// ```
pub struct MetricsEndpoint {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MetricsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsEndpoint")
            .field("path", &self.inner.path)
            .field("header_read_timeout", &self.inner.header_read_timeout)
            .field("idle_timeout", &self.inner.idle_timeout)
            .field("max_connections", &self.inner.slots.cap)
            .field(
                "bearer_token",
                &self.inner.token.as_ref().map(|_| "<redacted>"),
            )
            .field("allow_networks", &self.inner.allow)
            .field("render_share_window", &self.inner.render.window())
            .finish()
    }
}

struct Inner {
    path: String,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    token: Option<Vec<u8>>,
    allow: Vec<ipnet::IpNet>,
    render: SharedRender,
    slots: Arc<Slots>,
}

impl MetricsEndpoint {
    /// An endpoint serving `handle` with the path, timeouts, connection cap, token and
    /// allow-list of `config`; the token file is read now.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field, as [`crate::TelemetryConfig::validate`].
    pub fn new(handle: PrometheusHandle, config: &MetricsConfig) -> Result<Self, ConfigError> {
        let render = Arc::new(move |format| handle.render_as(format));
        Self::with_renderer(render, config)
    }

    pub(crate) fn with_renderer(
        render: Arc<Renderer>,
        config: &MetricsConfig,
    ) -> Result<Self, ConfigError> {
        let probe = crate::TelemetryConfig {
            metrics: config.clone(),
            ..crate::TelemetryConfig::default()
        };
        probe.validate()?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: config.path.clone(),
                header_read_timeout: config.header_read_timeout(),
                idle_timeout: config.idle_timeout(),
                token: config.bearer_token()?.map(String::into_bytes),
                allow: config.allowed_networks()?,
                render: SharedRender::new(render, RENDER_SHARE_WINDOW),
                slots: Arc::new(Slots::new(config.max_connections)),
            }),
        })
    }

    /// Serves one render to every scrape within `window` instead of [`RENDER_SHARE_WINDOW`];
    /// `Duration::ZERO` renders for every scrape (one at a time).
    #[must_use]
    pub fn render_share_window(self, window: Duration) -> Self {
        self.inner.render.set_window(window);
        self
    }

    /// Accepts connections on `listener` until `shutdown` completes, then closes the
    /// connections it holds.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) {
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::debug!(%error, "accept on the metrics endpoint failed; backing off");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            if !self.inner.allows(peer.ip()) {
                // Dropped before a byte is read: nothing to learn, no slot taken.
                continue;
            }
            let Some(slot) = self.inner.slots.admit() else {
                // Every held connection is being answered; refusing costs nothing.
                continue;
            };
            tokio::spawn(connection(Arc::clone(&self.inner), stream, slot));
        }
        self.inner.slots.close_all();
    }
}

impl Inner {
    fn allows(&self, ip: IpAddr) -> bool {
        // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; match them as IPv4.
        let ip = ip.to_canonical();
        self.allow.is_empty() || self.allow.iter().any(|net| net.contains(&ip))
    }

    fn authorized<B>(&self, req: &Request<B>) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        let Some(value) = req.headers().get(http::header::AUTHORIZATION) else {
            return false;
        };
        let value = value.as_bytes();
        let Some((scheme, credentials)) = value
            .iter()
            .position(|b| *b == b' ')
            .map(|i| (&value[..i], &value[i + 1..]))
        else {
            return false;
        };
        scheme.eq_ignore_ascii_case(b"bearer")
            && constant_time_eq(credentials.trim_ascii(), expected)
    }

    async fn respond<B>(&self, req: &Request<B>) -> Response<BoxBody<Bytes, Infallible>> {
        if !self.authorized(req) {
            let mut response = plain(StatusCode::UNAUTHORIZED, "bearer token required\n");
            let headers = response.headers_mut();
            headers.insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            // A client without the token has no reason to keep its connection.
            headers.insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            return response;
        }
        if req.uri().path() != self.path {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
            response.headers_mut().insert(
                http::header::ALLOW,
                http::HeaderValue::from_static("GET, HEAD"),
            );
            return response;
        }
        let accept = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        let format = Format::negotiate(accept);
        match self.render.get(format).await {
            Some(body) => with_body(StatusCode::OK, format.content_type(), body),
            None => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rendering the metrics failed\n",
            ),
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<BoxBody<Bytes, Infallible>> {
    with_body(status, "text/plain", Bytes::from_static(text.as_bytes()))
}

fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<BoxBody<Bytes, Infallible>> {
    let mut response = Response::new(Full::new(body).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

/// Equal in time that depends on the lengths only, so a wrong token's prefix is not learnt
/// from response times.
fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != expected.len());
    for (i, e) in expected.iter().enumerate() {
        diff |= e ^ given.get(i).copied().unwrap_or(0);
    }
    std::hint::black_box(diff) == 0
}

/// One connection, from admission to close.
async fn connection(inner: Arc<Inner>, stream: tokio::net::TcpStream, slot: Slot) {
    let state = Arc::clone(&slot.state);
    let io = hyper_util::rt::TokioIo::new(Tracked {
        inner: stream,
        state: Arc::clone(&state),
    });
    let service_state = Arc::clone(&state);
    let service_inner = Arc::clone(&inner);
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let inner = Arc::clone(&service_inner);
        // Busy from the request until its body is written (or dropped): the idle clock and
        // eviction leave a connection alone while it is being answered.
        let busy = Busy::new(&service_state);
        async move {
            let response = inner.respond(&req).await;
            let response = response.map(move |body| {
                body.map_frame(move |frame| {
                    let _still_busy = &busy;
                    frame
                })
                .boxed()
            });
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(inner.header_read_timeout)
        .max_buf_size(MAX_REQUEST_HEAD);
    {
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        loop {
            let check_in = state.idle_check_in(inner.idle_timeout);
            tokio::select! {
                // Finished, the client left, or hyper gave up on it (header timeout, bad request):
                // there is nobody to report to.
                _ = conn.as_mut() => break,
                () = state.evict.notified() => break,
                () = tokio::time::sleep(check_in) => {
                    if state.idle_for() >= inner.idle_timeout && state.busy.load(Ordering::Acquire) == 0 {
                        break;
                    }
                }
            }
        }
    } // the connection, and with it the socket, is dropped here
    // Only then is its place given back.
    drop(slot);
}

/// What the endpoint knows of one held connection.
struct ConnState {
    /// Milliseconds since `Slots::epoch` of the last byte read or written.
    last_activity_ms: AtomicU64,
    /// Requests being answered (render or body write in progress).
    busy: AtomicUsize,
    /// Told to close: replaced by a newer connection, or the endpoint is shutting down.
    evict: Notify,
    epoch: Instant,
}

impl ConnState {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last_activity_ms
            .store(self.now_ms(), Ordering::Release);
    }

    fn idle_for(&self) -> Duration {
        let last = self.last_activity_ms.load(Ordering::Acquire);
        Duration::from_millis(self.now_ms().saturating_sub(last))
    }

    /// When to look again: when the idle timeout would run out if nothing moves, never less
    /// than a few milliseconds so a busy connection is not polled in a loop.
    fn idle_check_in(&self, idle_timeout: Duration) -> Duration {
        idle_timeout
            .saturating_sub(self.idle_for())
            .max(Duration::from_millis(5))
    }
}

/// Marks its connection busy while it lives.
struct Busy(Arc<ConnState>);

impl Busy {
    fn new(state: &Arc<ConnState>) -> Self {
        state.busy.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(state))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The held connections, at most `cap`.
struct Slots {
    cap: usize,
    epoch: Instant,
    held: Mutex<SlotMap>,
}

#[derive(Default)]
struct SlotMap {
    next_id: u64,
    conns: HashMap<u64, Arc<ConnState>>,
}

/// A place among the held connections; gives it back when dropped.
struct Slot {
    slots: Arc<Slots>,
    id: u64,
    state: Arc<ConnState>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut held) = self.slots.held.lock() {
            held.conns.remove(&self.id);
        }
    }
}

impl Slots {
    fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            epoch: Instant::now(),
            held: Mutex::new(SlotMap::default()),
        }
    }

    /// A place for a new connection: a free one, or the one of the held connection idle the
    /// longest (told to close). `None` when every held connection is being answered.
    fn admit(self: &Arc<Self>) -> Option<Slot> {
        let mut held = self.held.lock().ok()?;
        if held.conns.len() >= self.cap {
            let (&victim, _) = held
                .conns
                .iter()
                .filter(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, c)| c.last_activity_ms.load(Ordering::Acquire))?;
            if let Some(evicted) = held.conns.remove(&victim) {
                evicted.evict.notify_one();
            }
        }
        let id = held.next_id;
        held.next_id += 1;
        let state = Arc::new(ConnState {
            last_activity_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
            evict: Notify::new(),
            epoch: self.epoch,
        });
        state.touch();
        held.conns.insert(id, Arc::clone(&state));
        Some(Slot {
            slots: Arc::clone(self),
            id,
            state,
        })
    }

    fn close_all(&self) {
        if let Ok(mut held) = self.held.lock() {
            for (_, conn) in held.conns.drain() {
                conn.evict.notify_one();
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The socket, noting when bytes move for the idle timeout and for eviction order.
    struct Tracked<S> {
        #[pin]
        inner: S,
        state: Arc<ConnState>,
    }
}

impl<S: AsyncRead> AsyncRead for Tracked<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let polled = this.inner.poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.state.touch();
        }
        polled
    }
}

impl<S: AsyncWrite> AsyncWrite for Tracked<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.project();
        let polled = this.inner.poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.state.touch();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.project();
        let polled = this.inner.poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.state.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

/// Writes the exposition in the format a scrape negotiated.
pub(crate) type Renderer = dyn Fn(Format) -> String + Send + Sync;

/// The last render of one format and when it started.
type LastRender = tokio::sync::Mutex<Option<(Instant, Bytes)>>;

/// One render per format shared by every scrape within `window` of its start; scrapes that
/// arrive while it runs wait for it (the lock is fair, first come first served) instead of
/// rendering again.
struct SharedRender {
    render: Arc<Renderer>,
    /// The window in nanoseconds; atomic so it can be set through a shared endpoint.
    window_ns: AtomicU64,
    last_text: LastRender,
    last_openmetrics: LastRender,
}

impl SharedRender {
    fn new(render: Arc<Renderer>, window: Duration) -> Self {
        let shared = Self {
            render,
            window_ns: AtomicU64::new(0),
            last_text: tokio::sync::Mutex::new(None),
            last_openmetrics: tokio::sync::Mutex::new(None),
        };
        shared.set_window(window);
        shared
    }

    fn set_window(&self, window: Duration) {
        let ns = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
        self.window_ns.store(ns, Ordering::Relaxed);
    }

    fn window(&self) -> Duration {
        Duration::from_nanos(self.window_ns.load(Ordering::Relaxed))
    }

    /// The exposition in `format`; `None` only when the render panicked or the runtime is
    /// shutting down.
    async fn get(&self, format: Format) -> Option<Bytes> {
        let last = match format {
            Format::Text => &self.last_text,
            Format::OpenMetrics => &self.last_openmetrics,
        };
        let mut last = last.lock().await;
        if let Some((started, body)) = last.as_ref() {
            if started.elapsed() < self.window() {
                return Some(body.clone());
            }
        }
        let render = Arc::clone(&self.render);
        // Timestamped at its start: that is how old the data it reads can be.
        let started = Instant::now();
        // A render of thousands of series takes milliseconds of CPU: off the async workers.
        let text = tokio::task::spawn_blocking(move || render(format))
            .await
            .ok()?;
        let body = Bytes::from(text);
        *last = Some((started, body.clone()));
        Some(body)
    }
}

/// Binds the pull endpoint's socket now, so a port in use is an [`crate::InitError`] at init.
pub(crate) fn bind(addr: std::net::SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TelemetryConfig;
    use crate::prometheus::build_recorder;

    fn endpoint(config: &MetricsConfig) -> MetricsEndpoint {
        let handle = build_recorder(&TelemetryConfig::default()).handle();
        MetricsEndpoint::new(handle, config).expect("valid")
    }

    fn get(uri: &str) -> Request<()> {
        Request::get(uri).body(()).expect("request")
    }

    #[tokio::test]
    async fn responds_only_on_the_configured_path() {
        let e = endpoint(&MetricsConfig::default());
        assert_eq!(
            e.inner.respond(&get("/metrics")).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            e.inner.respond(&get("/other")).await.status(),
            StatusCode::NOT_FOUND
        );
        let post = Request::post("/metrics").body(()).expect("request");
        let response = e.inner.respond(&post).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, HEAD");
    }

    #[tokio::test]
    async fn bearer_token_is_required_when_configured() {
        let dir = std::env::temp_dir().join(format!("its-endpoint-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("token");
        std::fs::write(&file, "abc123\n").expect("write");
        let config = MetricsConfig {
            bearer_token_file: Some(file),
            ..MetricsConfig::default()
        };
        let e = endpoint(&config);
        let with = |auth: &str| {
            Request::get("/metrics")
                .header("authorization", auth)
                .body(())
                .expect("request")
        };
        let missing = e.inner.respond(&get("/metrics")).await;
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            missing.headers()["www-authenticate"],
            "Bearer realm=\"metrics\""
        );
        for wrong in [
            "Bearer abc12",
            "Bearer abc1234",
            "Basic abc123",
            "abc123",
            "Bearer ",
        ] {
            assert_eq!(
                e.inner.respond(&with(wrong)).await.status(),
                StatusCode::UNAUTHORIZED,
                "{wrong}"
            );
        }
        for right in ["Bearer abc123", "bearer abc123"] {
            assert_eq!(e.inner.respond(&with(right)).await.status(), StatusCode::OK);
        }
        // Without the token even a wrong path says 401, so paths are not probed.
        assert_eq!(
            e.inner.respond(&get("/other")).await.status(),
            StatusCode::UNAUTHORIZED
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn allow_list_matches_v4_v6_and_mapped_clients() {
        let config = MetricsConfig {
            allow_networks: vec!["10.0.0.0/8".into(), "fd00::/8".into()],
            ..MetricsConfig::default()
        };
        let e = endpoint(&config);
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert!(e.inner.allows(ip("10.1.2.3")));
        assert!(e.inner.allows(ip("::ffff:10.1.2.3")));
        assert!(e.inner.allows(ip("fd12::1")));
        assert!(!e.inner.allows(ip("127.0.0.1")));
        assert!(!e.inner.allows(ip("::1")));
        assert!(
            endpoint(&MetricsConfig::default())
                .inner
                .allows(ip("192.0.2.1"))
        );
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abd", b"abc"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(!constant_time_eq(b"", b"abc"));
    }

    #[tokio::test]
    async fn prometheus_gets_openmetrics_and_others_get_text() {
        let e = endpoint(&MetricsConfig::default());
        let prometheus = Request::get("/metrics")
            .header(
                "accept",
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                 version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            )
            .body(())
            .expect("request");
        for (request, format) in [
            (prometheus, Format::OpenMetrics),
            (get("/metrics"), Format::Text),
        ] {
            let response = e.inner.respond(&request).await;
            assert_eq!(response.headers()["content-type"], format.content_type());
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            let openmetrics = format == Format::OpenMetrics;
            assert_eq!(body.ends_with(b"# EOF\n"), openmetrics, "{body:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_scrapes_share_one_render() {
        let renders = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&renders);
        let render: Arc<Renderer> = Arc::new(move |format| {
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            format!("{format:?} 1\n")
        });
        let shared = Arc::new(SharedRender::new(render, Duration::from_secs(60)));
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let shared = Arc::clone(&shared);
                let format = if i % 2 == 0 {
                    Format::Text
                } else {
                    Format::OpenMetrics
                };
                tokio::spawn(async move { (format, shared.get(format).await) })
            })
            .collect();
        for task in tasks {
            let (format, body) = task.await.expect("task");
            let expected = format!("{format:?} 1\n");
            assert_eq!(body.as_deref(), Some(expected.as_bytes()));
        }
        assert_eq!(renders.load(Ordering::SeqCst), 2, "one render per format");

        // Past the window, the next scrape renders again.
        let render: Arc<Renderer> = {
            let counter = Arc::clone(&renders);
            Arc::new(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
                String::new()
            })
        };
        let unshared = SharedRender::new(render, Duration::ZERO);
        unshared.get(Format::Text).await;
        unshared.get(Format::Text).await;
        assert_eq!(renders.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn over_the_cap_the_longest_idle_connection_is_replaced() {
        let slots = Arc::new(Slots::new(2));
        let first = slots.admit().expect("free");
        std::thread::sleep(Duration::from_millis(5));
        let second = slots.admit().expect("free");
        second.state.touch();
        let third = slots.admit().expect("replaces the first");
        assert_eq!(slots.held.lock().expect("lock").conns.len(), 2);
        assert!(
            !slots
                .held
                .lock()
                .expect("lock")
                .conns
                .contains_key(&first.id),
            "the longest idle was not the one replaced"
        );
        // Both held connections busy: nothing to replace, the newcomer is refused.
        let _b2 = Busy::new(&second.state);
        let _b3 = Busy::new(&third.state);
        assert!(slots.admit().is_none());
        drop(first);
        assert_eq!(slots.held.lock().expect("lock").conns.len(), 2);
    }
}
