//! The client layer: a CLIENT span per outgoing request, `traceparent`/`tracestate` injected
//! from it, and the catalog's `http.client.request.duration`.
//!
//! The span is named after the method (the conventions' `{METHOD}` when no URL template is
//! known), is a child of the current context (a handler's server span, an entered `tracing`
//! span), and carries `http.request.method`, `server.address`, `server.port`, `url.full`
//! (credentials replaced by `REDACTED:REDACTED@` and the values of sensitive query parameters
//! by `REDACTED`, as the conventions say), `network.protocol.version`,
//! `http.response.status_code` and `error.type`. A call that gets no response has an
//! `error.type` of its own — `connection_refused`, `connection_reset`, `connection_closed`,
//! `timeout`, `connect_error`, else `_OTHER` — and the error's description (its `source()`
//! chain, bounded) as the span status message; the kinds are read through `Box<dyn Error>`,
//! `std::io::Error`, hyper's and hyper-util's client errors. Responses from 400 up are errors, as the
//! conventions say for clients, and so is any non-zero `grpc-status` in the response head
//! (`error.type` is the code's name, e.g. `UNAVAILABLE`). The histogram's `server_address` label
//! is bounded by the cardinality guard; it comes from the request URI, so give a tonic client
//! its origin (`FooClient::with_origin(ClientLayer::new().layer(channel), uri)`), or the label
//! is empty.
//!
//! ```
//! use its_telemetry::http::ClientLayer;
//! use tower_layer::Layer as _;
//!
//! // Wraps any `Service<http::Request<B>>` client: hyper-util's legacy client, a tonic channel.
//! let send = tower_service_fn(|req: http::Request<()>| async move {
//!     // Here the W3C headers of the CLIENT span are on the request.
//!     Ok::<_, std::convert::Infallible>(http::Response::new(()))
//! });
//! let client = ClientLayer::new().layer(send);
//! # let _ = client;
//! # fn tower_service_fn<F>(f: F) -> F { f }
//! ```

mod error;
mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::ClientLayer;
pub use service::ClientService;
