//! Push-gateway mode for sites Prometheus cannot reach (feature `push-gateway`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::PrometheusHandle;
use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use tokio::sync::watch;

use super::CONTENT_TYPE;
use crate::catalog::sdk;
use crate::config::PushGatewayConfig;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_encoded() {
        assert_eq!(path_segment("edge site/7"), "edge%20site%2F7");
    }
}
