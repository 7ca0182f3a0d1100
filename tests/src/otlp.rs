//! OTLP receivers on loopback, gRPC and HTTP/protobuf, for traces and logs, that keep every
//! export request so tests can check the resource (`service.name`) as well as the spans and log
//! records — and the raw protobuf bytes of log requests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::AnyValue;
pub use opentelemetry_proto::tonic::common::v1::KeyValue;
pub use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::http_sink::HttpSink;

/// One received span with its resource's `service.name`.
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    /// `service.name` of the resource the span was exported under.
    pub service_name: Option<String>,
    /// Every attribute of that resource.
    pub resource: Vec<KeyValue>,
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

    /// An attribute of the span as sent, with its OTLP type (`StringValue`, `IntValue`, …).
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.span
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
    }

    /// An attribute of the span's resource as sent.
    pub fn resource_value(&self, key: &str) -> Option<&Value> {
        self.resource
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
    }

    /// A string attribute of the span.
    pub fn attribute(&self, key: &str) -> Option<String> {
        attribute_text(&self.span.attributes, key)
    }
}

/// One received log record with its resource's `service.name`.
#[derive(Debug, Clone)]
pub struct ReceivedLog {
    /// `service.name` of the resource the record was exported under.
    pub service_name: Option<String>,
    /// The instrumentation scope's name (the event's target for its-telemetry).
    pub scope_name: Option<String>,
    /// The record.
    pub record: LogRecord,
}

impl ReceivedLog {
    /// Lowercase hex trace id (empty outside a span).
    pub fn trace_id(&self) -> String {
        hex(&self.record.trace_id)
    }
    /// Lowercase hex span id (empty outside a span).
    pub fn span_id(&self) -> String {
        hex(&self.record.span_id)
    }
    /// The body as text, if it is a string.
    pub fn body(&self) -> Option<String> {
        match self.record.body.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    }
    /// An attribute rendered as text.
    pub fn attribute(&self, key: &str) -> Option<String> {
        attribute_text(&self.record.attributes, key)
    }
    /// An attribute's typed value.
    pub fn attribute_value(&self, key: &str) -> Option<&Value> {
        self.record
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
    }
}

fn attribute_text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(value_text)
}

fn value_text(value: &AnyValue) -> Option<String> {
    value.value.as_ref().map(|v| match v {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(i) => i.to_string(),
        Value::BoolValue(b) => b.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    })
}

fn service_name(resource: Option<&Resource>) -> Option<String> {
    resource.and_then(|r| attribute_text(&r.attributes, "service.name"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type Store<T> = Arc<Mutex<Vec<T>>>;

fn stored<T: Clone>(store: &Store<T>) -> Vec<T> {
    store.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn store<T>(store: &Store<T>, request: T) {
    store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request);
}

/// Polls `read` until it returns at least `n` items or `timeout` passes; returns the last read.
async fn wait_for<T>(n: usize, timeout: Duration, read: impl Fn() -> Vec<T>) -> Vec<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let items = read();
        if items.len() >= n || Instant::now() >= deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running receiver; stops when dropped.
#[derive(Debug)]
pub enum OtlpReceiver {
    /// OTLP/gRPC, traces and logs services on one port (as a collector).
    Grpc {
        /// Bound address.
        addr: SocketAddr,
        /// Trace export requests received.
        requests: Store<ExportTraceServiceRequest>,
        /// Log export requests received.
        logs: Store<ExportLogsServiceRequest>,
        /// The `grpc-encoding` of each export request (`None`: uncompressed).
        encodings: Encodings,
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
            Self::Grpc { requests, .. } => stored(requests),
            Self::Http(sink) => decode_posts(sink, "/v1/traces"),
        }
    }

    /// Every export request received so far, encoded again as protobuf: what went over the
    /// wire, for tests that search the raw bytes.
    pub fn encoded_requests(&self) -> Vec<Vec<u8>> {
        self.requests().iter().map(Message::encode_to_vec).collect()
    }

    /// The log export requests received, as protobuf bytes (the HTTP body as it arrived,
    /// gunzipped; a gRPC request re-encoded): for checks that nothing, in any field, carries a secret.
    pub fn raw_log_requests(&self) -> Vec<Vec<u8>> {
        match self {
            Self::Grpc { logs, .. } => stored(logs).iter().map(Message::encode_to_vec).collect(),
            Self::Http(sink) => posts(sink, "/v1/logs").map(|b| b.to_vec()).collect(),
        }
    }

    fn log_requests(&self) -> Vec<ExportLogsServiceRequest> {
        match self {
            Self::Grpc { logs, .. } => stored(logs),
            Self::Http(sink) => decode_posts(sink, "/v1/logs"),
        }
    }

    /// Every log record received so far.
    pub fn logs(&self) -> Vec<ReceivedLog> {
        self.log_requests()
            .iter()
            .flat_map(|r| r.resource_logs.iter())
            .flat_map(|rl| {
                let service_name = service_name(rl.resource.as_ref());
                rl.scope_logs.iter().flat_map(move |sl| {
                    let scope_name = sl.scope.as_ref().map(|s| s.name.clone());
                    let service_name = service_name.clone();
                    sl.log_records.iter().map(move |record| ReceivedLog {
                        service_name: service_name.clone(),
                        scope_name: scope_name.clone(),
                        record: record.clone(),
                    })
                })
            })
            .collect()
    }

    /// Waits until at least `n` log records arrived, or `timeout` passed; returns what arrived.
    pub async fn wait_for_logs(&self, n: usize, timeout: Duration) -> Vec<ReceivedLog> {
        wait_for(n, timeout, || self.logs()).await
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.requests()
            .iter()
            .flat_map(|r| r.resource_spans.iter())
            .flat_map(|rs| {
                let service_name = service_name(rs.resource.as_ref());
                let resource = rs
                    .resource
                    .as_ref()
                    .map(|r| r.attributes.clone())
                    .unwrap_or_default();
                rs.scope_spans
                    .iter()
                    .flat_map(|ss| ss.spans.iter())
                    .map(move |span| ReceivedSpan {
                        service_name: service_name.clone(),
                        resource: resource.clone(),
                        span: span.clone(),
                    })
            })
            .collect()
    }

    /// The `grpc-encoding` of each export request received over gRPC, in order (`None`:
    /// uncompressed); empty for the HTTP receiver.
    pub fn grpc_encodings(&self) -> Vec<Option<String>> {
        match self {
            Self::Grpc { encodings, .. } => {
                encodings.lock().unwrap_or_else(|e| e.into_inner()).clone()
            }
            Self::Http(_) => Vec::new(),
        }
    }

    /// Waits until at least `n` spans arrived, or `timeout` passed; returns what arrived.
    pub async fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        wait_for(n, timeout, || self.spans()).await
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
        let logs = Store::default();
        let encodings = Encodings::default();
        // The collector's OTLP exporter compresses with gzip by default.
        let traces_service =
            TraceServiceServer::new(GrpcService(requests.clone(), error, encodings.clone()))
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
        let logs_service =
            LogsServiceServer::new(GrpcService(logs.clone(), error, encodings.clone()))
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let task = tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(traces_service)
                .add_service(logs_service)
                .serve_with_incoming(incoming)
                .await;
        });
        Ok(Self::Grpc {
            addr,
            requests,
            logs,
            encodings,
            task,
        })
    }

    /// An HTTP/protobuf receiver (`POST /v1/traces`, `/v1/logs`, under any prefix: a collector's
    /// `otlp_http` exporter posts to `{endpoint}/v1/logs`; port 4318 style); needs a Tokio
    /// runtime.
    pub async fn http() -> std::io::Result<Self> {
        Ok(Self::Http(HttpSink::start().await?))
    }
}

/// Bodies of the `POST`s to a path ending in `signal_path`.
fn posts<'a>(sink: &'a HttpSink, signal_path: &'a str) -> impl Iterator<Item = bytes::Bytes> + 'a {
    sink.received()
        .into_iter()
        .filter(move |r| r.method == "POST" && r.path.ends_with(signal_path))
        .map(|r| r.decoded_body().expect("a gzip body that decompresses"))
}

fn decode_posts<T: Message + Default>(sink: &HttpSink, signal_path: &str) -> Vec<T> {
    posts(sink, signal_path)
        .map(|body| T::decode(body).expect("OTLP protobuf body"))
        .collect()
}

/// The `grpc-encoding` of each export request, in arrival order.
type Encodings = Arc<Mutex<Vec<Option<String>>>>;

/// Keeps every export request of one signal (and its encoding), and answers with the error,
/// if any.
struct GrpcService<T>(Store<T>, Option<tonic::Code>, Encodings);

impl<T> GrpcService<T> {
    fn keep<R>(&self, request: tonic::Request<R>) -> R {
        let encoding = request
            .metadata()
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.2
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(encoding);
        request.into_inner()
    }
}

#[tonic::async_trait]
impl TraceService for GrpcService<ExportTraceServiceRequest> {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let request = self.keep(request);
        store(&self.0, request);
        match self.1 {
            Some(code) => Err(tonic::Status::new(code, "rejected by the test")),
            None => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
        }
    }
}

#[tonic::async_trait]
impl LogsService for GrpcService<ExportLogsServiceRequest> {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let request = self.keep(request);
        store(&self.0, request);
        match self.1 {
            Some(code) => Err(tonic::Status::new(code, "rejected by the test")),
            None => Ok(tonic::Response::new(ExportLogsServiceResponse::default())),
        }
    }
}
