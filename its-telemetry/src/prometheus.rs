//! The Prometheus side: a recorder configured from the catalog, the `/metrics` pull endpoint,
//! upkeep, and push-gateway mode.
//!
//! Every catalog histogram gets its catalog buckets (metrics-exporter-prometheus would otherwise
//! render a summary, which cannot be aggregated across instances), every catalog metric gets its
//! `# HELP`, and the global labels `service` and `environment` go on every series.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use metrics::{Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use tokio::sync::watch;

use crate::cardinality::exposition_safe;
use crate::catalog::{self, MetricKind, sdk};
use crate::config::{PushGatewayConfig, TelemetryConfig};

/// Content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often idle histogram buckets are drained (STACK.md trap 7: without upkeep, memory grows).
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// A recorder set up from the catalog: buckets, help texts and the global labels of `config`.
/// [`crate::try_init`] installs one globally; build one yourself to render metrics in-process
/// (tests, benchmarks, a custom endpoint).
///
/// ```
/// use its_telemetry::{TelemetryConfig, prometheus};
///
/// let recorder = prometheus::build_recorder(&TelemetryConfig::default());
/// let handle = recorder.handle();
/// metrics::with_local_recorder(&recorder, || {
///     its_telemetry::camera::CameraFleet::new(10).stream("cam-1").frame_received(10);
/// });
/// let name = its_telemetry::catalog::camera::FRAMES_RECEIVED.name;
/// assert!(handle.render().contains(&format!("{name}{{")));
/// ```
#[must_use]
pub fn build_recorder(config: &TelemetryConfig) -> PrometheusRecorder {
    let mut builder = PrometheusBuilder::new()
        .add_global_label("service", exposition_safe(&config.service_name))
        .add_global_label("environment", exposition_safe(&config.environment));
    for metric in
        catalog::all().filter(|m| m.kind == MetricKind::Histogram && !m.buckets.is_empty())
    {
        builder = builder
            .set_buckets_for_metric(Matcher::Full(metric.name.to_owned()), metric.buckets)
            .expect("set_buckets_for_metric only rejects empty bucket lists, filtered out above");
    }
    let recorder = builder.build_recorder();
    for metric in catalog::all() {
        let name = metrics::KeyName::from_const_str(metric.name);
        let help = SharedString::const_str(metric.help);
        let unit: Option<Unit> = None; // units are already part of every catalog name
        match metric.kind {
            MetricKind::Counter => recorder.describe_counter(name, unit, help),
            MetricKind::Gauge => recorder.describe_gauge(name, unit, help),
            MetricKind::Histogram => recorder.describe_histogram(name, unit, help),
        }
    }
    recorder
}

/// Sets `its_build_info` to 1 with the service's version and commit; needs the recorder in place.
pub(crate) fn record_build_info(config: &TelemetryConfig) {
    metrics::gauge!(
        sdk::BUILD_INFO.name,
        "version" => exposition_safe(&config.service_version),
        "git_sha" => exposition_safe(&config.git_sha),
        "sdk_version" => env!("CARGO_PKG_VERSION"),
    )
    .set(1.0);
}

/// Serves `path` on `listener` until `shutdown` changes.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    path: String,
    handle: PrometheusHandle,
    mut shutdown: watch::Receiver<bool>,
) {
    let path: std::sync::Arc<str> = path.into();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let handle = handle.clone();
        let path = std::sync::Arc::clone(&path);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let response = respond(&req, &path, &handle);
                async move { Ok::<_, Infallible>(response) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            // A client that hangs up mid-response is not our problem.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

fn respond<B>(req: &Request<B>, path: &str, handle: &PrometheusHandle) -> Response<Full<Bytes>> {
    let (status, content_type, body) = if req.uri().path() != path {
        (
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"not found\n"),
        )
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            Bytes::from_static(b"use GET\n"),
        )
    } else {
        (StatusCode::OK, CONTENT_TYPE, Bytes::from(handle.render()))
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    response
}

/// Drains histogram buckets periodically until `shutdown` changes.
pub(crate) async fn upkeep(handle: PrometheusHandle, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
    loop {
        tokio::select! {
            _ = tick.tick() => handle.run_upkeep(),
            _ = shutdown.changed() => return,
        }
    }
}

/// Pushes the exposition to a push gateway; used by the periodic task and the final push on
/// shutdown.
#[derive(Clone)]
pub(crate) struct Pusher {
    url: String,
    handle: PrometheusHandle,
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
    failures: metrics::Counter,
    warned: std::sync::Arc<AtomicBool>,
}

impl Pusher {
    pub(crate) fn new(config: &PushGatewayConfig, service: &str, handle: PrometheusHandle) -> Self {
        let job = if config.job.is_empty() {
            service
        } else {
            &config.job
        };
        Self {
            url: format!(
                "{}/metrics/job/{}",
                config.endpoint.trim_end_matches('/'),
                path_segment(job)
            ),
            handle,
            client: hyper_util::client::legacy::Client::builder(
                hyper_util::rt::TokioExecutor::new(),
            )
            .build_http(),
            failures: metrics::counter!(sdk::EXPORT_FAILURES.name, "signal" => "metrics_push"),
            warned: std::sync::Arc::default(),
        }
    }

    /// One push; failures are counted and logged once, never returned to the service.
    pub(crate) async fn push(&self) {
        let outcome = match Request::put(&self.url)
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .body(Full::new(Bytes::from(self.handle.render())))
        {
            Ok(request) => {
                match tokio::time::timeout(Duration::from_secs(10), self.client.request(request))
                    .await
                {
                    Ok(Ok(resp)) if resp.status().is_success() => Ok(()),
                    Ok(Ok(resp)) => Err(format!("push gateway answered {}", resp.status())),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("timed out after 10 s".to_owned()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(reason) = outcome {
            self.failures.increment(1);
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    url = %self.url,
                    %reason,
                    "cannot push metrics to the push gateway; will keep trying (reported once)"
                );
            }
        }
    }

    pub(crate) async fn run(self, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(interval);
        loop {
            tokio::select! {
                _ = tick.tick() => self.push().await,
                _ = shutdown.changed() => return,
            }
        }
    }
}

impl std::fmt::Debug for Pusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pusher")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Percent-encodes a push-gateway grouping value for use as one URL path segment.
fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Binds the pull endpoint's socket now, so a port in use is an [`crate::InitError`] at init.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_render_as_histograms_with_help_and_global_labels() {
        let config = TelemetryConfig::builder("svc")
            .environment("test")
            .build()
            .expect("valid");
        let recorder = build_recorder(&config);
        let handle = recorder.handle();
        let batch = &catalog::inference::BATCH_SIZE;
        metrics::with_local_recorder(&recorder, || {
            metrics::histogram!(batch.name, "model" => "yolo").record(8.0);
        });
        let text = handle.render();
        let name = batch.name;
        assert!(text.contains(&format!("# TYPE {name} histogram")), "{text}");
        assert!(
            text.contains(&format!("# HELP {name} {}", batch.help)),
            "{text}"
        );
        let bucket =
            format!(r#"{name}_bucket{{service="svc",environment="test",model="yolo",le="8"}} 1"#);
        assert!(text.contains(&bucket), "{text}");
    }

    #[test]
    fn responds_only_on_the_configured_path() {
        let handle = build_recorder(&TelemetryConfig::default()).handle();
        let get = |uri: &str| Request::get(uri).body(()).expect("request");
        assert_eq!(
            respond(&get("/metrics"), "/metrics", &handle).status(),
            StatusCode::OK
        );
        assert_eq!(
            respond(&get("/other"), "/metrics", &handle).status(),
            StatusCode::NOT_FOUND
        );
        let post = Request::post("/metrics").body(()).expect("request");
        assert_eq!(
            respond(&post, "/metrics", &handle).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[test]
    fn job_names_are_encoded() {
        assert_eq!(path_segment("edge site/7"), "edge%20site%2F7");
    }
}
