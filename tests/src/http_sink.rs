//! An HTTP server on loopback that answers 200 (or a status of the test's choice) to everything
//! and keeps each request — the stand-in for a push gateway, the base of the OTLP/HTTP
//! receiver, and a backend that rejects what it is sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `PUT`, `POST`, …
    pub method: String,
    /// Path of the request URI.
    pub path: String,
    /// Body bytes, as they arrived.
    pub body: Bytes,
    /// The `Content-Encoding` header (`gzip` from a collector's `otlp_http` exporter).
    pub content_encoding: Option<String>,
}

impl Received {
    /// The body, gunzipped when `Content-Encoding` says gzip.
    ///
    /// # Errors
    /// When a gzip body does not decompress.
    pub fn decoded_body(&self) -> std::io::Result<Bytes> {
        if self.content_encoding.as_deref() == Some("gzip") {
            let mut out = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(&self.body[..]),
                &mut out,
            )?;
            Ok(out.into())
        } else {
            Ok(self.body.clone())
        }
    }
}

/// A running sink; stops when dropped.
#[derive(Debug)]
pub struct HttpSink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HttpSink {
    /// Starts on an ephemeral loopback port; needs a Tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_answering(200).await
    }

    /// Starts on an ephemeral loopback port, answering every request with `status` (400: an
    /// OTLP/HTTP backend that rejects the data, a permanent error for the sender); needs a
    /// Tokio runtime.
    pub async fn start_answering(status: u16) -> std::io::Result<Self> {
        let status = hyper::StatusCode::from_u16(status)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let store = store.clone();
                            async move {
                                let method = req.method().to_string();
                                let path = req.uri().path().to_owned();
                                let content_encoding = req
                                    .headers()
                                    .get(hyper::header::CONTENT_ENCODING)
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned);
                                let body = req
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                store
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push(Received {
                                        method,
                                        path,
                                        body,
                                        content_encoding,
                                    });
                                let mut response = hyper::Response::new(Full::new(Bytes::new()));
                                *response.status_mut() = status;
                                Ok::<_, std::convert::Infallible>(response)
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            received,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until `done` holds for the received requests, or `timeout` passes.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if done(&received) || Instant::now() >= deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
