//! Scrubbing spans before export: the same [`Scrubber`] as the log layer, on `SpanData`.

use std::borrow::Cow;
use std::time::Duration;

use opentelemetry::trace::Status;
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::Scrubber;
use super::scrub::FIELD_MARKER;

/// Semantic-convention attributes that name the service's own or its upstreams' endpoints, never
/// a person: `server.address` is the server the request was addressed to (the `Host` of a
/// server span, the peer of a client span), not the client. Kept as recorded so an operator can
/// see where traffic went; `client.address` and friends are still scrubbed.
const INFRASTRUCTURE_KEYS: &[&str] = &["server.address", "network.local.address"];

/// Numbers shorter than this many digits cannot be a card or phone number, so they are not
/// formatted to be scrubbed.
const SMALLEST_SENSITIVE_NUMBER: i64 = 10_000_000;

/// A [`SpanProcessor`] that removes personal data from each ended span, then hands it on.
///
/// Scrubs the span name, every attribute (by key: a sensitive key's value becomes
/// `[REDACTED:field]`; by value: strings, string arrays and long numbers), each event's name
/// and attributes, each link's attributes and the error status message. It works in
/// `on_end`, which only sampled spans reach: a span that is sampled out costs nothing here.
///
/// ```
/// use its_telemetry::logs::{ScrubConfig, Scrubber};
/// use its_telemetry::privacy::ScrubbingSpanProcessor;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
/// use opentelemetry::trace::{Tracer as _, TracerProvider as _, Span as _};
///
/// let exporter = InMemorySpanExporter::default();
/// let scrubber = Scrubber::new(&ScrubConfig::default()).expect("default patterns are valid");
/// let provider = SdkTracerProvider::builder()
///     .with_span_processor(ScrubbingSpanProcessor::new(
///         SimpleSpanProcessor::new(exporter.clone()),
///         scrubber,
///     ))
///     .build();
/// let mut span = provider.tracer("doc").start("read AB12 CDE");
/// span.set_attribute(opentelemetry::KeyValue::new("camera.id", "CAM-0042"));
/// span.set_attribute(opentelemetry::KeyValue::new("user.email", "jane@example.com"));
/// span.end();
/// let spans = exporter.get_finished_spans().expect("finished spans");
/// assert_eq!(spans[0].name, "read [REDACTED:plate]");
/// assert_eq!(spans[0].attributes[0].value.as_str(), "CAM-0042");
/// assert_eq!(spans[0].attributes[1].value.as_str(), "[REDACTED:field]");
/// ```
#[derive(Debug)]
pub struct ScrubbingSpanProcessor<P> {
    inner: P,
    scrubber: Scrubber,
}

impl<P> ScrubbingSpanProcessor<P> {
    /// Scrubs spans with `scrubber` before `inner` (usually a batch processor) sees them.
    pub fn new(inner: P, scrubber: Scrubber) -> Self {
        Self { inner, scrubber }
    }

    /// Scrubs one span in place.
    pub fn scrub(&self, span: &mut SpanData) {
        if !self.scrubber.is_enabled() {
            return;
        }
        if let Cow::Owned(name) = self.scrubber.scrub(&span.name) {
            span.name = Cow::Owned(name);
        }
        self.scrub_attributes(&mut span.attributes);
        for event in &mut span.events.events {
            if let Cow::Owned(name) = self.scrubber.scrub(&event.name) {
                event.name = Cow::Owned(name);
            }
            self.scrub_attributes(&mut event.attributes);
        }
        for link in &mut span.links.links {
            self.scrub_attributes(&mut link.attributes);
        }
        if let Status::Error { description } = &mut span.status
            && let Cow::Owned(clean) = self.scrubber.scrub(description)
        {
            *description = Cow::Owned(clean);
        }
    }

    fn scrub_attributes(&self, attributes: &mut [KeyValue]) {
        for kv in attributes {
            if INFRASTRUCTURE_KEYS.contains(&kv.key.as_str()) {
                continue;
            }
            if self.scrubber.is_sensitive_field(kv.key.as_str()) {
                kv.value = Value::String(StringValue::from(FIELD_MARKER));
                continue;
            }
            if let Some(clean) = self.scrub_value(&kv.value) {
                kv.value = clean;
            }
        }
    }

    /// The scrubbed value, or `None` when nothing had to change.
    fn scrub_value(&self, value: &Value) -> Option<Value> {
        match value {
            Value::String(s) => match self.scrubber.scrub(s.as_str()) {
                Cow::Owned(clean) => Some(Value::String(clean.into())),
                Cow::Borrowed(_) => None,
            },
            Value::Array(Array::String(items)) => {
                let mut changed = false;
                let clean: Vec<StringValue> = items
                    .iter()
                    .map(|item| match self.scrubber.scrub(item.as_str()) {
                        Cow::Owned(clean) => {
                            changed = true;
                            clean.into()
                        }
                        Cow::Borrowed(_) => item.clone(),
                    })
                    .collect();
                changed.then_some(Value::Array(Array::String(clean)))
            }
            // A card or phone number recorded as a number.
            Value::I64(n) if n.unsigned_abs() >= SMALLEST_SENSITIVE_NUMBER.unsigned_abs() => {
                match self.scrubber.scrub(&n.to_string()) {
                    Cow::Owned(clean) => Some(Value::String(clean.into())),
                    Cow::Borrowed(_) => None,
                }
            }
            _ => None,
        }
    }
}

impl<P: SpanProcessor> SpanProcessor for ScrubbingSpanProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, mut span: SpanData) {
        self.scrub(&mut span);
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
