//! The one place an event's fields are scrubbed: [`ScrubbingVisitor`] decides what may leave
//! the process (scrubbed message, scrubbed text, `[REDACTED:field]` for sensitive field names,
//! numbers and booleans as they are) and hands the result to a [`FieldSink`] — the JSON/pretty
//! line writer or the OTLP log record builder — so every output applies the same rules.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};

use crate::privacy::{FIELD_MARKER, Scrubber};

/// A field value after scrubbing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'a> {
    /// Text, already scrubbed.
    Text(&'a str),
    /// The field's name is sensitive: its whole value was replaced by this marker.
    Redacted(&'static str),
    Bool(bool),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
}

/// Where scrubbed fields go.
pub(super) trait FieldSink {
    /// The event's message, scrubbed.
    fn message(&mut self, message: &str);
    /// Any other field, scrubbed.
    fn field(&mut self, name: &'static str, value: Value<'_>);
}

/// Records an event's fields into `sink`, scrubbing every text value.
pub(super) struct ScrubbingVisitor<'a, S> {
    pub(super) scrubber: &'a Scrubber,
    /// Where `Debug` and error values are formatted before scrubbing; kept for its capacity.
    pub(super) scratch: &'a mut String,
    pub(super) sink: S,
}

impl<S: FieldSink> ScrubbingVisitor<'_, S> {
    fn record_text(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let clean = self.scrubber.scrub(value);
            self.sink.message(&clean);
        } else if self.scrubber.is_sensitive_static_field(field.name()) {
            self.sink.field(field.name(), Value::Redacted(FIELD_MARKER));
        } else {
            let clean: Cow<'_, str> = self.scrubber.scrub(value);
            self.sink.field(field.name(), Value::Text(&clean));
        }
    }

    /// A number or bool, kept as is unless the field name is sensitive.
    fn record_plain(&mut self, field: &Field, value: Value<'_>) {
        if self.scrubber.is_sensitive_static_field(field.name()) {
            self.sink.field(field.name(), Value::Redacted(FIELD_MARKER));
        } else {
            self.sink.field(field.name(), value);
        }
    }

    /// Formats `value` into the scratch buffer, then records it as text.
    fn record_formatted(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        let mut scratch = std::mem::take(self.scratch);
        scratch.clear();
        let _ = scratch.write_fmt(value);
        self.record_text(field, &scratch);
        *self.scratch = scratch; // Keep the capacity for the next value.
    }
}

impl<S: FieldSink> Visit for ScrubbingVisitor<'_, S> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_formatted(field, format_args!("{value:?}"));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record_formatted(field, format_args!("{}", ErrorChain(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.record_plain(field, Value::Bool(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_plain(field, Value::U64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_plain(field, Value::I64(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.record_plain(field, Value::U128(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.record_plain(field, Value::I128(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.record_plain(field, Value::F64(value));
    }
}

/// Displays an error followed by its sources: `outer: inner: root cause`.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}
