//! The [`LogLayer`]: one scrubbed line per event, JSON or human-readable.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::str::FromStr;
use std::time::SystemTime;

use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceFlags, TraceId};
use serde::{Deserialize, Serialize};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::fields::{FieldSink, ScrubbingVisitor, Value};
use super::timestamp::{push_decimal, push_rfc3339_micros};
use crate::privacy::Scrubber;

/// How each log line is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for log shippers (Loki, Elasticsearch, Cloud Logging).
    #[default]
    Json,
    /// One human-readable line per event, for a developer's terminal.
    Pretty,
}

impl LogFormat {
    /// The name used in configuration and environment variables.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Json => "json",
            LogFormat::Pretty => "pretty",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A log format name that is neither `json` nor `pretty`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log format {0:?}: use \"json\" or \"pretty\"")]
pub struct UnknownLogFormat(pub String);

impl FromStr for LogFormat {
    type Err = UnknownLogFormat;

    /// Parses `json` or `pretty`, ignoring case and surrounding spaces, so
    /// `LOG_FORMAT=JSON` works.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        if name.eq_ignore_ascii_case("json") {
            Ok(LogFormat::Json)
        } else if name.eq_ignore_ascii_case("pretty") {
            Ok(LogFormat::Pretty)
        } else {
            Err(UnknownLogFormat(s.to_owned()))
        }
    }
}

/// A [`Layer`] that writes each event as one line, scrubbed of personal data
/// before anything reaches the writer, with the OpenTelemetry trace and span
/// ids so a log line leads to its trace.
///
/// JSON lines carry, in order: `timestamp`, `level`, `target`, `message`,
/// `fields`, `span` (if inside one), `trace_id` and `span_id` (if there is a
/// valid OpenTelemetry span context), `service`.
///
/// ```
/// use its_telemetry::logs::{LogFormat, LogLayer, ScrubConfig, Scrubber};
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let scrubber = Scrubber::new(&ScrubConfig::default()).expect("default patterns are valid");
/// let subscriber = tracing_subscriber::registry()
///     .with(LogLayer::new(LogFormat::Json, "detector", scrubber));
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(camera_id = "cam-0042", "plate AB12 CDE seen"); // logs `[REDACTED:plate]`
/// });
/// ```
pub struct LogLayer<W = fn() -> io::Stdout> {
    format: LogFormat,
    /// Already JSON-escaped and quoted.
    service_json: String,
    scrubber: Scrubber,
    make_writer: W,
    clock: fn() -> SystemTime,
}

impl LogLayer {
    /// A layer writing to standard output, where container runtimes collect logs.
    pub fn new(format: LogFormat, service: impl Into<String>, scrubber: Scrubber) -> Self {
        let mut service_json = String::new();
        push_json_string(&mut service_json, &service.into());
        Self {
            format,
            service_json,
            scrubber,
            make_writer: io::stdout,
            clock: SystemTime::now,
        }
    }
}

impl<W> LogLayer<W> {
    /// Writes lines somewhere else: a file, a non-blocking writer, a test buffer.
    #[must_use]
    pub fn with_writer<W2>(self, make_writer: W2) -> LogLayer<W2>
    where
        W2: for<'a> MakeWriter<'a>,
    {
        LogLayer {
            format: self.format,
            service_json: self.service_json,
            scrubber: self.scrubber,
            make_writer,
            clock: self.clock,
        }
    }

    /// Replaces the clock read for each line's timestamp, for deterministic tests.
    #[must_use]
    pub fn with_clock(self, clock: fn() -> SystemTime) -> Self {
        Self { clock, ..self }
    }
}

impl<W> fmt::Debug for LogLayer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogLayer")
            .field("format", &self.format)
            .field("service", &self.service_json)
            .field("scrubber", &self.scrubber)
            .finish_non_exhaustive()
    }
}

impl<S, W> Layer<S> for LogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let write_line = |buffers: &mut Buffers| {
            buffers.clear();
            self.format_line(event, &ctx, buffers);
            let mut writer = self.make_writer.make_writer_for(event.metadata());
            // Telemetry must never take the service down: a failed write is dropped.
            let _ = writer.write_all(buffers.line.as_bytes());
            buffers.release_if_huge();
        };

        // The thread's buffers are busy only if this layer is re-entered on the
        // same thread, and gone while the thread exits: then use fresh ones.
        let written = BUFFERS
            .try_with(|cell| {
                cell.try_borrow_mut()
                    .map(|mut b| write_line(&mut b))
                    .is_ok()
            })
            .unwrap_or(false);
        if !written {
            write_line(&mut Buffers::default());
        }
    }
}

impl<W> LogLayer<W> {
    fn format_line<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>, buffers: &mut Buffers)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let Buffers {
            line,
            message,
            fields,
            scratch,
        } = buffers;
        event.record(&mut ScrubbingVisitor {
            scrubber: &self.scrubber,
            scratch,
            sink: LineFields {
                format: self.format,
                message,
                fields,
            },
        });

        let meta = event.metadata();
        let span = ctx.event_span(event);
        let span_name = span.as_ref().map(|s| s.name());
        let ids = current_otel_ids();
        let now = (self.clock)();

        match self.format {
            LogFormat::Json => {
                line.push_str("{\"timestamp\":\"");
                push_rfc3339_micros(line, now);
                line.push_str("\",\"level\":\"");
                line.push_str(meta.level().as_str());
                line.push_str("\",\"target\":");
                push_json_string(line, meta.target());
                line.push_str(",\"message\":\"");
                line.push_str(message);
                line.push_str("\",\"fields\":{");
                line.push_str(fields);
                line.push('}');
                if let Some(name) = span_name {
                    line.push_str(",\"span\":");
                    push_json_string(line, name);
                }
                if let Some((trace_id, span_id)) = ids {
                    line.push_str(",\"trace_id\":\"");
                    push_hex(line, &trace_id.to_bytes());
                    line.push_str("\",\"span_id\":\"");
                    push_hex(line, &span_id.to_bytes());
                    line.push('"');
                }
                line.push_str(",\"service\":");
                line.push_str(&self.service_json);
                line.push_str("}\n");
            }
            LogFormat::Pretty => {
                push_rfc3339_micros(line, now);
                let level = meta.level().as_str();
                line.push_str(if level.len() < 5 { "  " } else { " " });
                line.push_str(level);
                line.push(' ');
                push_escaped(line, meta.target(), Escape::ControlOnly);
                line.push_str(": ");
                line.push_str(message);
                line.push_str(fields);
                if let Some(name) = span_name {
                    line.push_str(" span=");
                    push_escaped(line, name, Escape::ControlOnly);
                }
                if let Some((trace_id, span_id)) = ids {
                    line.push_str(" trace_id=");
                    push_hex(line, &trace_id.to_bytes());
                    line.push_str(" span_id=");
                    push_hex(line, &span_id.to_bytes());
                }
                line.push('\n');
            }
        }
    }
}

/// The ids of the current OpenTelemetry span, if it is a real (valid) one.
///
/// tracing-opentelemetry attaches a span's OTel context when the tracing span
/// is entered, so the current context is the event's span. An event with an
/// explicit `parent:` outside the entered span gets the entered span's ids.
pub(super) fn current_otel_ids() -> Option<(TraceId, SpanId)> {
    current_otel_context().map(|(trace_id, span_id, _)| (trace_id, span_id))
}

/// [`current_otel_ids`] with the span's trace flags (sampled or not), for OTLP log records.
pub(super) fn current_otel_context() -> Option<(TraceId, SpanId, TraceFlags)> {
    opentelemetry::Context::map_current(|cx| {
        let span = cx.span();
        let span_context = span.span_context();
        span_context.is_valid().then(|| {
            (
                span_context.trace_id(),
                span_context.span_id(),
                span_context.trace_flags(),
            )
        })
    })
}

/// Per-thread text buffers, reused so a line costs no allocation once warm.
#[derive(Default)]
struct Buffers {
    /// The whole line, handed to the writer in one `write_all`.
    line: String,
    /// The event's message, scrubbed and escaped.
    message: String,
    /// The other fields, scrubbed and formatted (`"k":v,…` or ` k=v…`).
    fields: String,
    /// Where `Debug` values are formatted before scrubbing.
    scratch: String,
}

impl Buffers {
    /// Above this, a buffer is freed after use rather than kept for the thread's life.
    const KEEP_CAPACITY: usize = 64 * 1024;

    fn clear(&mut self) {
        self.line.clear();
        self.message.clear();
        self.fields.clear();
        self.scratch.clear();
    }

    fn release_if_huge(&mut self) {
        for buffer in [
            &mut self.line,
            &mut self.message,
            &mut self.fields,
            &mut self.scratch,
        ] {
            if buffer.capacity() > Self::KEEP_CAPACITY {
                *buffer = String::new();
            }
        }
    }
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = const {
        RefCell::new(Buffers {
            line: String::new(),
            message: String::new(),
            fields: String::new(),
            scratch: String::new(),
        })
    };
}

/// Writes scrubbed fields into the line buffers: `"k":v,…` (JSON) or ` k=v…` (pretty).
struct LineFields<'a> {
    format: LogFormat,
    message: &'a mut String,
    fields: &'a mut String,
}

impl LineFields<'_> {
    /// Starts a field: `,"name":` (JSON) or ` name=` (pretty).
    fn push_key(&mut self, name: &str) {
        match self.format {
            LogFormat::Json => {
                if !self.fields.is_empty() {
                    self.fields.push(',');
                }
                push_json_string(self.fields, name);
                self.fields.push(':');
            }
            LogFormat::Pretty => {
                self.fields.push(' ');
                push_escaped(self.fields, name, Escape::ControlOnly);
                self.fields.push('=');
            }
        }
    }
}

impl FieldSink for LineFields<'_> {
    fn message(&mut self, message: &str) {
        let escape = match self.format {
            LogFormat::Json => Escape::Json,
            LogFormat::Pretty => Escape::ControlOnly,
        };
        push_escaped(self.message, message, escape);
    }

    fn field(&mut self, name: &'static str, value: Value<'_>) {
        self.push_key(name);
        let out = &mut *self.fields;
        match value {
            Value::Text(text) | Value::Redacted(text) => push_json_string(out, text),
            Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Value::U64(n) => push_decimal(out, n, 1),
            Value::I64(n) => {
                if n < 0 {
                    out.push('-');
                }
                push_decimal(out, n.unsigned_abs(), 1);
            }
            Value::U128(n) => {
                let _ = write!(out, "{n}");
            }
            Value::I128(n) => {
                let _ = write!(out, "{n}");
            }
            Value::F64(x) if x.is_finite() => {
                let _ = write!(out, "{x}");
            }
            // JSON has no NaN or infinity.
            Value::F64(x) => push_json_string(out, &x.to_string()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// JSON string content: quotes, backslashes and control characters.
    Json,
    /// Control characters only, so a pretty line stays one line.
    ControlOnly,
}

/// Appends `s` as a quoted JSON string.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s, Escape::Json);
    out.push('"');
}

/// Appends `s`, escaping what `escape` asks for; copies unescaped runs whole.
fn push_escaped(out: &mut String, s: &str, escape: Escape) {
    let mut run_start = 0;
    for (i, byte) in s.bytes().enumerate() {
        let replacement = match byte {
            b'"' if escape == Escape::Json => "\\\"",
            b'\\' if escape == Escape::Json => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte matched above is ASCII, so `i` is a char boundary.
        out.push_str(&s[run_start..i]);
        if replacement.is_empty() {
            out.push_str("\\u00");
            push_hex(out, &[byte]);
        } else {
            out.push_str(replacement);
        }
        run_start = i + 1;
    }
    out.push_str(&s[run_start..]);
}

/// Appends `bytes` as lowercase hex, as OpenTelemetry and W3C write ids.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::ScrubConfig;
    use crate::privacy::FIELD_MARKER;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, UNIX_EPOCH};
    use tracing::{info, info_span, warn};
    use tracing_subscriber::Registry;
    use tracing_subscriber::layer::SubscriberExt as _;

    /// Collects everything written, shared between the layer and the test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("not poisoned").clone()).expect("UTF-8 output")
        }

        fn json_lines(&self) -> Vec<serde_json::Value> {
            let text = self.text();
            assert!(text.ends_with('\n'), "last line unterminated: {text:?}");
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect()
        }
    }

    fn fixed_clock() -> SystemTime {
        UNIX_EPOCH + Duration::from_micros(1_795_698_171_123_456) // 2026-11-26T13:02:51.123456Z
    }

    fn default_scrubber() -> Scrubber {
        Scrubber::new(&ScrubConfig::default()).expect("default patterns compile")
    }

    /// Runs `f` under a `Registry` with a `LogLayer` and returns what it wrote.
    fn capture(format: LogFormat, scrubber: Scrubber, f: impl FnOnce()) -> Captured {
        let out = Captured::default();
        let writer = out.clone();
        let layer = LogLayer::new(format, "detector", scrubber)
            .with_writer(move || writer.clone())
            .with_clock(fixed_clock);
        tracing::subscriber::with_default(Registry::default().with(layer), f);
        out
    }

    #[test]
    fn json_line_has_the_fields_in_order() {
        let out = capture(LogFormat::Json, default_scrubber(), || {
            let span = info_span!("batch", size = 8);
            let _entered = span.enter();
            info!(
                camera_id = "cam-0042",
                frames = 25u64,
                delta = -3i64,
                ok = true,
                ratio = 0.5,
                "processed {}",
                8
            );
        });
        let text = out.text();
        let keys = [
            "timestamp",
            "level",
            "target",
            "message",
            "fields",
            "span",
            "service",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| {
                text.find(&format!("\"{k}\":"))
                    .unwrap_or_else(|| panic!("no {k} in {text}"))
            })
            .collect();
        assert!(positions.is_sorted(), "keys out of order: {text}");

        let lines = out.json_lines();
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["timestamp"], "2026-11-26T13:02:51.123456Z");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], module_path!());
        assert_eq!(line["message"], "processed 8");
        assert_eq!(
            line["fields"],
            serde_json::json!({"camera_id": "cam-0042", "frames": 25, "delta": -3, "ok": true, "ratio": 0.5})
        );
        assert_eq!(line["span"], "batch");
        assert_eq!(line["service"], "detector");
        assert!(
            line.get("trace_id").is_none(),
            "no OTel layer, so no trace id: {line}"
        );
    }

    #[test]
    fn outside_a_span_there_is_no_span_key_and_fields_is_empty() {
        let out = capture(LogFormat::Json, default_scrubber(), || {
            warn!("disk almost full")
        });
        let line = &out.json_lines()[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"], serde_json::json!({}));
        assert!(line.get("span").is_none());
    }

    #[test]
    fn escaping_round_trips() {
        let nasty = "quote \" backslash \\ newline \n tab \t cr \r nul \0 bell \u{7} esc \u{1b} unit \u{1f} del \u{7f} é 😀 \u{2028}";
        let out = capture(LogFormat::Json, Scrubber::disabled(), || {
            info!(note = nasty, debug = ?nasty, "{nasty}");
        });
        let text = out.text();
        assert_eq!(text.matches('\n').count(), 1, "one line only: {text:?}");
        let line = &out.json_lines()[0];
        assert_eq!(line["message"], nasty);
        assert_eq!(line["fields"]["note"], nasty);
        assert_eq!(line["fields"]["debug"], format!("{nasty:?}"));
        assert!(text.contains(r"\u0000") && text.contains(r"\u001b") && text.contains(r"\u001f"));
    }

    #[test]
    fn special_values() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("upload failed")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Outer(io::Error::other("connection reset"));
        let out = capture(LogFormat::Json, default_scrubber(), || {
            info!(
                nan = f64::NAN,
                big = u128::MAX,
                small = i128::MIN,
                list = ?vec![1, 2],
                error = &error as &(dyn std::error::Error + 'static),
                "values"
            );
        });
        let fields = &out.json_lines()[0]["fields"];
        assert_eq!(fields["nan"], "NaN");
        assert_eq!(fields["list"], "[1, 2]");
        assert_eq!(fields["error"], "upload failed: connection reset");
        let text = out.text();
        assert!(text.contains(&format!("\"big\":{}", u128::MAX)), "{text}");
        assert!(text.contains(&format!("\"small\":{}", i128::MIN)), "{text}");
    }

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

    /// Every secret, with the marker that must replace it.
    fn secrets() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AB12 CDE", "[REDACTED:plate]"),
            ("M-AB 1234", "[REDACTED:plate]"),
            ("AB-123-CD", "[REDACTED:plate]"),
            ("12-ABC-3", "[REDACTED:plate]"),
            ("7ABC123", "[REDACTED:plate]"),
            ("jane.doe@example.com", "[REDACTED:email]"),
            ("192.168.1.20", "[REDACTED:ip]"),
            ("2001:db8:85a3::8a2e:370:7334", "[REDACTED:ip]"),
            ("2001:db8::1", "[REDACTED:ip]"),
            ("sk-proj-abcdefghijklmnopqrstuvwx", "[REDACTED:token]"),
            (JWT, "[REDACTED:token]"),
        ]
    }

    #[test]
    fn pii_never_reaches_the_output() {
        for format in [LogFormat::Json, LogFormat::Pretty] {
            let out = capture(format, default_scrubber(), || {
                for (secret, _) in secrets() {
                    info!(seen = secret, debug = ?secret, "saw {secret} at cam-0042");
                }
                info!("Authorization: Bearer abcdefgh12345678 api_key=topsecret99");
                info!(
                    header = "Bearer abcdefgh12345678",
                    query = "api_key=topsecret99",
                    "kv"
                );
                info!(
                    plate = "XY99 ZZZ",
                    password = "hunter2",
                    user.email = "a@b.example",
                    token = 42u64,
                    "fields"
                );
            });
            let text = out.text();
            for (secret, marker) in secrets() {
                assert!(!text.contains(secret), "{format}: {secret} leaked:\n{text}");
                assert!(text.contains(marker), "{format}: no {marker}:\n{text}");
            }
            for secret in [
                "abcdefgh12345678",
                "topsecret99",
                "XY99 ZZZ",
                "hunter2",
                "a@b.example",
                "=42",
            ] {
                assert!(!text.contains(secret), "{format}: {secret} leaked:\n{text}");
            }
            assert!(
                text.contains("cam-0042"),
                "{format}: camera id over-scrubbed:\n{text}"
            );
            assert!(
                text.contains(FIELD_MARKER),
                "{format}: no field marker:\n{text}"
            );
        }
    }

    #[test]
    fn sensitive_field_is_replaced_in_json() {
        let out = capture(LogFormat::Json, default_scrubber(), || {
            info!(
                plate = "XY99 ZZZ",
                token = 42u64,
                camera_id = "cam-0042",
                "read"
            );
        });
        let fields = &out.json_lines()[0]["fields"];
        assert_eq!(fields["plate"], FIELD_MARKER);
        assert_eq!(fields["token"], FIELD_MARKER);
        assert_eq!(fields["camera_id"], "cam-0042");
    }

    #[test]
    fn pretty_line() {
        let out = capture(LogFormat::Pretty, default_scrubber(), || {
            let span = info_span!("batch");
            let _entered = span.enter();
            info!(
                camera_id = "cam-0042",
                frames = 25u64,
                "plate AB12 CDE\nseen"
            );
        });
        assert_eq!(
            out.text(),
            format!(
                "2026-11-26T13:02:51.123456Z  INFO {}: plate [REDACTED:plate]\\nseen camera_id=\"cam-0042\" frames=25 span=batch\n",
                module_path!()
            )
        );
    }

    #[test]
    fn write_errors_are_ignored() {
        struct Failing;
        impl io::Write for Failing {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::Error::other("disk full"))
            }
        }
        let layer =
            LogLayer::new(LogFormat::Json, "detector", default_scrubber()).with_writer(|| Failing);
        tracing::subscriber::with_default(Registry::default().with(layer), || {
            info!("first");
            info!("second, still running");
        });
    }

    #[test]
    fn a_writer_that_logs_does_not_break_the_layer() {
        /// Logs from inside `write`, as a writer with its own diagnostics might.
        struct LoggingWriter(Captured);
        impl io::Write for LoggingWriter {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                info!("from inside the writer"); // tracing drops this re-entrant event
                self.0.write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let out = Captured::default();
        let writer = out.clone();
        let layer = LogLayer::new(LogFormat::Json, "detector", Scrubber::disabled())
            .with_writer(move || LoggingWriter(writer.clone()));
        tracing::subscriber::with_default(Registry::default().with(layer), || {
            info!("first");
            info!("second");
        });
        let messages: Vec<_> = out
            .json_lines()
            .iter()
            .map(|l| l["message"].clone())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn format_names() {
        assert_eq!("json".parse(), Ok(LogFormat::Json));
        assert_eq!(" Pretty ".parse(), Ok(LogFormat::Pretty));
        assert_eq!(
            "JSON".parse::<LogFormat>().map(LogFormat::as_str),
            Ok("json")
        );
        let err = "yaml".parse::<LogFormat>().expect_err("not a format");
        assert_eq!(err, UnknownLogFormat("yaml".into()));
        assert!(err.to_string().contains("\"json\" or \"pretty\""), "{err}");
        assert_eq!(
            serde_json::to_string(&LogFormat::Pretty).expect("serialize"),
            "\"pretty\""
        );
        assert_eq!(
            serde_json::from_str::<LogFormat>("\"json\"").expect("deserialize"),
            LogFormat::Json
        );
        assert_eq!(LogFormat::default(), LogFormat::Json);
    }

    mod opentelemetry_ids {
        use super::*;
        use opentelemetry::trace::TracerProvider as _;
        use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

        /// Logs inside and outside a span under Registry + OTel layer + LogLayer,
        /// with the LogLayer below or above the OTel layer.
        fn run(
            log_layer_first: bool,
        ) -> (
            Vec<serde_json::Value>,
            Vec<opentelemetry_sdk::trace::SpanData>,
        ) {
            let exporter = InMemorySpanExporter::default();
            let provider = SdkTracerProvider::builder()
                .with_simple_exporter(exporter.clone())
                .build();
            let tracer = provider.tracer("test");
            let out = Captured::default();
            let writer = out.clone();
            let logs = LogLayer::new(LogFormat::Json, "detector", default_scrubber())
                .with_writer(move || writer.clone());

            let events = || {
                info!("before any span");
                let span = info_span!("infer yolo");
                let _entered = span.enter();
                info!(camera_id = "cam-0042", "inside the span");
            };
            if log_layer_first {
                tracing::subscriber::with_default(
                    Registry::default()
                        .with(logs)
                        .with(tracing_opentelemetry::layer().with_tracer(tracer)),
                    events,
                );
            } else {
                tracing::subscriber::with_default(
                    Registry::default()
                        .with(tracing_opentelemetry::layer().with_tracer(tracer))
                        .with(logs),
                    events,
                );
            }
            provider.force_flush().expect("flush");
            (
                out.json_lines(),
                exporter.get_finished_spans().expect("finished spans"),
            )
        }

        #[test]
        fn trace_id_matches_the_exported_span() {
            for log_layer_first in [true, false] {
                let (lines, spans) = run(log_layer_first);
                assert_eq!(spans.len(), 1, "one span exported");
                let exported = &spans[0].span_context;
                assert_eq!(lines.len(), 2);
                assert!(
                    lines[0].get("trace_id").is_none(),
                    "outside a span: {}",
                    lines[0]
                );
                assert_eq!(lines[1]["trace_id"], exported.trace_id().to_string());
                assert_eq!(lines[1]["span_id"], exported.span_id().to_string());
                assert_eq!(lines[1]["span"], "infer yolo");
                let trace_id = lines[1]["trace_id"].as_str().expect("string");
                assert_eq!(trace_id.len(), 32);
                assert!(
                    trace_id
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                );
            }
        }
    }
}
