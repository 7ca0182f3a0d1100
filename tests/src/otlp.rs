//! OTLP trace receivers on loopback, gRPC and HTTP/protobuf, that keep every export request so
//! tests can check the resource (`service.name`) as well as the spans.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::http_sink::HttpSink;

/// One received span with its resource's `service.name`.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    /// `service.name` of the resource the span was exported under.
    pub service_name: Option<String>,
    /// The span.
    pub span: Span,
}

impl ReceivedSpan {
    /// Lowercase hex trace id.
    pub fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }
    /// Lowercase hex span id.
    pub fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }
    /// Lowercase hex parent span id (empty for a root).
    pub fn parent_span_id(&self) -> String {
        hex(&self.span.parent_span_id)
    }
    /// The span status code (0 unset, 1 ok, 2 error).
    pub fn status_code(&self) -> i32 {
        self.span.status.as_ref().map_or(0, |s| s.code)
    }

    /// A string attribute of the span.
    pub fn attribute(&self, key: &str) -> Option<String> {
        self.span
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
            .map(|v| match v {
                Value::StringValue(s) => s.clone(),
                Value::IntValue(i) => i.to_string(),
                Value::BoolValue(b) => b.to_string(),
                Value::DoubleValue(d) => d.to_string(),
                other => format!("{other:?}"),
            })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type Store = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;

/// A running receiver; stops when dropped.
#[derive(Debug)]
pub enum OtlpReceiver {
    /// OTLP/gRPC.
    Grpc {
        /// Bound address.
        addr: SocketAddr,
        /// Export requests received.
        requests: Store,
        /// Server task.
        task: tokio::task::JoinHandle<()>,
    },
    /// OTLP/HTTP protobuf.
    Http(HttpSink),
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        if let Self::Grpc { task, .. } = self {
            task.abort();
        }
    }
}

impl OtlpReceiver {
    /// `http://127.0.0.1:PORT` (for HTTP, the base URL; the SDK appends `/v1/traces`).
    pub fn endpoint(&self) -> String {
        match self {
            Self::Grpc { addr, .. } => format!("http://{addr}"),
            Self::Http(sink) => sink.endpoint(),
        }
    }

    fn requests(&self) -> Vec<ExportTraceServiceRequest> {
        match self {
            Self::Grpc { requests, .. } => {
                requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
            }
            Self::Http(sink) => sink
                .received()
                .into_iter()
                .filter(|r| r.method == "POST" && r.path == "/v1/traces")
                .map(|r| ExportTraceServiceRequest::decode(r.body).expect("OTLP protobuf body"))
                .collect(),
        }
    }

    /// Every export request received so far, encoded again as protobuf: what went over the
    /// wire, for tests that search the raw bytes.
    pub fn encoded_requests(&self) -> Vec<Vec<u8>> {
        self.requests().iter().map(Message::encode_to_vec).collect()
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.requests()
            .iter()
            .flat_map(|r| r.resource_spans.iter())
            .flat_map(|rs| {
                let service_name = rs.resource.as_ref().and_then(|r| {
                    r.attributes
                        .iter()
                        .find(|kv| kv.key == "service.name")
                        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                            Value::StringValue(s) => Some(s.clone()),
                            _ => None,
                        })
                });
                rs.scope_spans
                    .iter()
                    .flat_map(|ss| ss.spans.iter())
                    .map(move |span| ReceivedSpan {
                        service_name: service_name.clone(),
                        span: span.clone(),
                    })
            })
            .collect()
    }

    /// Waits until at least `n` spans arrived, or `timeout` passed; returns what arrived.
    pub async fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if spans.len() >= n || Instant::now() >= deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A gRPC receiver (OTLP/gRPC, port 4317 style); needs a Tokio runtime.
    pub async fn grpc() -> std::io::Result<Self> {
        Self::grpc_answering(None).await
    }

    /// A gRPC receiver that keeps every request but answers `INVALID_ARGUMENT`: a backend that
    /// rejects the data (a permanent error, which the sender does not retry).
    pub async fn grpc_rejecting() -> std::io::Result<Self> {
        Self::grpc_answering(Some(tonic::Code::InvalidArgument)).await
    }

    async fn grpc_answering(error: Option<tonic::Code>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let requests = Store::default();
        // The collector's OTLP exporter compresses with gzip by default.
        let service = TraceServiceServer::new(GrpcService(requests.clone(), error))
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let task = tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming)
                .await;
        });
        Ok(Self::Grpc {
            addr,
            requests,
            task,
        })
    }

    /// An HTTP/protobuf receiver (`POST /v1/traces`, port 4318 style); needs a Tokio runtime.
    pub async fn http() -> std::io::Result<Self> {
        Ok(Self::Http(HttpSink::start().await?))
    }
}

struct GrpcService(Store, Option<tonic::Code>);

#[tonic::async_trait]
impl TraceService for GrpcService {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request.into_inner());
        match self.1 {
            Some(code) => Err(tonic::Status::new(code, "rejected by the test")),
            None => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
        }
    }
}
