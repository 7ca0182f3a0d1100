//! The `/metrics` pull endpoint: a small HTTP/1 server on the SDK's runtime.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use super::PrometheusHandle;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::watch;

use super::CONTENT_TYPE;

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

/// Binds the pull endpoint's socket now, so a port in use is an [`crate::InitError`] at init.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TelemetryConfig;
    use crate::prometheus::build_recorder;

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
}
