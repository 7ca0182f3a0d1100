//! HTTP telemetry for tower: a [`ServerLayer`] for services (axum, hyper, tonic), a
//! [`ClientLayer`] for clients, and W3C Trace Context [`propagation`] so one trace follows a
//! frame batch across services.
//!
//! Both layers record the catalog's OpenTelemetry-semconv metrics
//! ([`catalog::http`](crate::catalog::http)) through cached handles, and open spans with the
//! OpenTelemetry API directly: the sampling decision comes first, and an unsampled request
//! builds no attributes at all, which keeps the per-request cost low (see `BENCHMARKS.md`).
//! The spans go to the tracer provider [`crate::try_init`] installs (an application that
//! installs its own SDK provider passes it to `set_tracer_provider`, feature `traces`); else
//! to the global provider. The tracer and the metric handles bind on a layer's first request.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use its_telemetry::http::ServerLayer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let _telemetry = its_telemetry::try_init(its_telemetry::TelemetryConfig::from_env()?)?;
//! let app = Router::new()
//!     .route("/v1/detect/{camera}", post(|| async { "queued" }))
//!     .layer(ServerLayer::new());
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! For clients that are not tower services (reqwest), call [`inject_context`] on the outgoing
//! headers.

pub mod client;
pub mod propagation;
mod record;
pub mod server;
mod tracer;
mod url;

pub use client::ClientLayer;
pub use propagation::inject_context;
pub use server::ServerLayer;
#[cfg(feature = "traces")]
pub use tracer::set_tracer_provider;
pub use url::{REDACTED, SENSITIVE_QUERY_PARAMETERS};

/// The instrumentation scope of the spans the layers open.
pub const INSTRUMENTATION_SCOPE: &str = "its-telemetry.http";

/// `network.protocol.version` for an HTTP version.
fn protocol_version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_3 => "3",
        _ => "1.1",
    }
}
