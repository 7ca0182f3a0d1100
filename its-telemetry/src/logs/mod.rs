//! Structured logs: one line per event, scrubbed, with trace ids.
//!
//! Two things the stock `tracing-subscriber` formatters do not do, and why this
//! module exists:
//!
//! - **Scrub before anything is written.** Traffic cameras see licence plates,
//!   and services handle e-mails, IP addresses and tokens. Once a line reaches
//!   stdout it is shipped, indexed and kept, so personal data has to be removed
//!   in the process, not downstream. [`Scrubber`] (from [`crate::privacy`], which scrubs
//!   spans with the same rules) replaces each match with a
//!   marker naming what was removed (`[REDACTED:plate]`), and the whole value of
//!   a sensitive field (`plate`, `password`, …) with `[REDACTED:field]`.
//!   Scrubbing is on by default ([`ScrubConfig::default`]); a clean message costs
//!   one regex scan and no allocation.
//! - **Link logs to traces.** Each line inside a span carries the OpenTelemetry
//!   `trace_id` and `span_id`, so a log line in Loki opens its trace in Tempo or
//!   Jaeger and back. The JSON layer of `tracing-subscriber` knows nothing of
//!   OTel ids.
//!
//! [`LogLayer`] is a [`tracing_subscriber::Layer`]: put it in the same
//! registry as `tracing_opentelemetry::layer()`, in either order.
//!
//! ```
//! use its_telemetry::logs::{LogFormat, LogLayer, ScrubConfig, Scrubber};
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! let format: LogFormat = "json".parse().expect("known format");
//! let scrubber = Scrubber::new(&ScrubConfig::default()).expect("default patterns are valid");
//! let subscriber = tracing_subscriber::registry().with(LogLayer::new(format, "detector", scrubber));
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::info!(camera_id = "cam-0042", frames = 25u64, "batch done");
//! });
//! ```

mod fields;
mod layer;
#[cfg(feature = "otlp-logs")]
pub(crate) mod otlp;
mod timestamp;

pub use layer::{LogFormat, LogLayer, UnknownLogFormat};
#[cfg(feature = "otlp-logs")]
pub use otlp::OtlpLogLayer;
// The scrubber lives in `crate::privacy` (it serves spans too); these names stay here so code
// written against `logs::Scrubber` keeps compiling.
pub use crate::privacy::{
    DEFAULT_PLATE_PATTERNS, DEFAULT_SENSITIVE_FIELDS, ScrubConfig, ScrubPatternError, Scrubber,
};
