//! Privacy: one scrubber for every signal.
//!
//! Traffic cameras see licence plates, and services handle e-mails, IP addresses, phone
//! numbers, card numbers and credentials. Once telemetry leaves the process it is shipped,
//! indexed and kept, so personal data is removed in the process, from every signal:
//!
//! - log lines: the message and every field, including `Debug` values and error chains
//!   ([`crate::logs::LogLayer`]);
//! - spans: names, attributes (strings and string arrays), event names and attributes, link
//!   attributes and the status message, in `ScrubbingSpanProcessor` (feature `traces`) before a span is queued
//!   for export. Spans created through the OpenTelemetry API directly (the HTTP layers) pass
//!   through it as well; spans that are not sampled never reach it and cost nothing.
//!
//! A field or attribute is judged by its name ([`DEFAULT_SENSITIVE_FIELDS`]: the value is
//! replaced by `[REDACTED:field]`) and by its value ([`Scrubber::scrub`]: each match replaced
//! by a `[REDACTED:kind]` marker). The configuration is [`ScrubConfig`], read from
//! `logs.scrub`; it applies to every signal.
//!
//! Precision matters as much as recall: identifiers the SDK and its services emit (camera and
//! GPU ids, model names and files, error codes, versions, the service's own loopback and
//! unspecified bind addresses) are kept. [`ScrubConfig::allow`] keeps more.

mod fields;
mod patterns;
mod scrub;
#[cfg(feature = "traces")]
mod spans;

pub use fields::DEFAULT_SENSITIVE_FIELDS;
pub use patterns::{DEFAULT_PLATE_PATTERNS, NOT_PLATE_WORDS};
pub(crate) use scrub::FIELD_MARKER;
pub use scrub::{ScrubConfig, ScrubPatternError, Scrubber};
#[cfg(feature = "traces")]
pub use spans::ScrubbingSpanProcessor;
