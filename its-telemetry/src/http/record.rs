//! What the server and client layers share: method normalisation, the cache of metric handles
//! per (method, route or server address, outcome), and the per-request recording that ends the
//! span and records the duration exactly once — on completion, or on drop when the request
//! future is abandoned.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{OnceLock, PoisonError, RwLock};

use http::{HeaderName, HeaderValue, Method, Response, StatusCode};
use metrics::{Gauge, Histogram, Label};
use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};

use crate::cardinality::{self, OVERFLOW_VALUE};
use crate::catalog::MetricDescriptor;
use crate::clock::Ticks;

/// The methods OpenTelemetry's semantic conventions know; anything else is `_OTHER`.
const KNOWN_METHODS: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::CONNECT,
    Method::OPTIONS,
    Method::TRACE,
    Method::PATCH,
];
/// Label values per method index; the last one is `_OTHER`.
pub(crate) const METHOD_LABELS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER",
];
/// Span names of requests without a route or template: `HTTP` stands for `_OTHER`.
pub(crate) const METHOD_SPAN_NAMES: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "HTTP",
];
/// Index of `_OTHER` in [`METHOD_LABELS`].
pub(crate) const OTHER_METHOD: usize = 9;

/// `error.type` when the inner service returned an error (no status code).
pub(crate) const ERROR_OTHER: &str = "_OTHER";
/// `error.type` when the request future was dropped before it finished (the client went away,
/// a timeout layer gave up).
pub(crate) const ERROR_CANCELLED: &str = "cancelled";

/// `grpc-status`: gRPC puts its status here, in the trailers — or in the response head when the
/// call failed before any message (a "trailers-only" response, what tonic sends for an `Err`).
pub(crate) const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");

/// gRPC status code names, by code (`error.type` of a failed gRPC call).
pub(crate) const GRPC_CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];
/// `UNKNOWN`: what a `grpc-status` that is not a known code counts as.
const GRPC_UNKNOWN: u8 = 2;

/// The gRPC codes a server counts as its own failure (OpenTelemetry's RPC conventions); the
/// others (`INVALID_ARGUMENT`, `NOT_FOUND`, …) are the caller's, like an HTTP 4xx.
fn grpc_server_error(code: u8) -> bool {
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

/// The gRPC code of a `grpc-status` value: 0–16, anything else `UNKNOWN`.
fn grpc_code(value: &HeaderValue) -> u8 {
    match value.as_bytes() {
        [d @ b'0'..=b'9'] => d - b'0',
        [b'1', d @ b'0'..=b'6'] => 10 + (d - b'0'),
        _ => GRPC_UNKNOWN,
    }
}

/// How a request that got a response ended: its status, and a non-zero `grpc-status` when the
/// head carries one (a failed gRPC call answers HTTP 200). Statuses sent in trailers are not
/// read: the duration ends with the response head.
pub(crate) fn response_outcome<B>(response: &Response<B>) -> Outcome {
    let status = response.status();
    match response.headers().get(GRPC_STATUS).map(grpc_code) {
        Some(0) | None => Outcome::Status(status),
        Some(code) => Outcome::Grpc(status, code),
    }
}

/// The kind of an `Outcome::Error`: the `error.type` of a request that got no response, from a
/// small fixed set (it is a metric label too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// An error of no known kind (`_OTHER`), e.g. the server's inner service failed.
    Other,
    /// The peer refused the connection (nothing listens on the port).
    ConnectionRefused,
    /// The connection was reset or aborted by the peer.
    ConnectionReset,
    /// The connection closed before the response head arrived.
    ConnectionClosed,
    /// Connecting or waiting for the response timed out.
    Timeout,
    /// The connection could not be established for another reason (DNS, unreachable host).
    Connect,
}

impl ErrorKind {
    /// The `error.type` value.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Other => ERROR_OTHER,
            Self::ConnectionRefused => "connection_refused",
            Self::ConnectionReset => "connection_reset",
            Self::ConnectionClosed => "connection_closed",
            Self::Timeout => "timeout",
            Self::Connect => "connect_error",
        }
    }

    /// The span status message when the error's own description is not known.
    pub(crate) const fn description(self) -> &'static str {
        match self {
            Self::Other => "the service returned an error",
            Self::ConnectionRefused => "the connection was refused",
            Self::ConnectionReset => "the connection was reset",
            Self::ConnectionClosed => "the connection closed before a response",
            Self::Timeout => "the request timed out",
            Self::Connect => "the connection could not be established",
        }
    }
}

/// Index into [`METHOD_LABELS`].
pub(crate) fn method_index(method: &Method) -> usize {
    KNOWN_METHODS
        .iter()
        .position(|m| m == method)
        .unwrap_or(OTHER_METHOD)
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A response with this status.
    Status(StatusCode),
    /// A gRPC response with this HTTP status and a non-zero `grpc-status` code (0–16).
    Grpc(StatusCode, u8),
    /// The inner service returned an error, of this kind.
    Error(ErrorKind),
    /// The future was dropped first.
    Cancelled,
}

impl Outcome {
    /// A key unique per outcome, for the histogram cache.
    fn code(self) -> u32 {
        match self {
            Self::Status(s) => u32::from(s.as_u16()) << 5,
            Self::Grpc(s, code) => (u32::from(s.as_u16()) << 5) | u32::from(code),
            Self::Error(kind) => 1 + ((kind as u32) << 2),
            Self::Cancelled => 2,
        }
    }
}

/// A word-at-a-time multiplicative hash (the rustc `FxHash` scheme): route strings are short
/// and trusted to be bounded by the cardinality guard, so a fast non-keyed hash is the right
/// trade for a per-request lookup. Measured: FNV-1a, one multiply per byte, took about 25 ns
/// of the server layer's ~500 ns for `/v1/cameras/{id}`; eight bytes per multiply take a
/// quarter of that.
#[derive(Default)]
pub(crate) struct WordHash(u64);

impl WordHash {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps `ab` and `ab\0` apart.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }
}

type RouteMap<V> = HashMap<Box<str>, V, BuildHasherDefault<WordHash>>;

/// Outcomes per entry whose histogram is read without a lock.
const HISTOGRAM_SLOTS: usize = 8;

/// Handles for one (method, subject) pair, where the subject is the route (server) or the
/// server address (client). Created once, then shared by every request that matches.
#[derive(Debug)]
pub(crate) struct Entry {
    descriptor: &'static MetricDescriptor,
    method: &'static str,
    /// The subject's label value, already admitted by the cardinality guard.
    label: String,
    /// The span name for this pair; interned (leaked) because the number of entries is bounded
    /// by the cardinality limit, and the tracer wants a `Cow<'static, str>` per span.
    pub(crate) span_name: &'static str,
    /// Status codes from which `error.type` is set (500 for servers, 400 for clients).
    error_from: u16,
    /// The duration histogram per outcome code, in the order the outcomes were first seen:
    /// read without a lock (one atomic load a slot), so a request's record takes no lock.
    histograms: [OnceLock<(u32, Histogram)>; HISTOGRAM_SLOTS],
    /// Outcomes past the slots (a route answering with more than eight statuses).
    more_histograms: RwLock<Vec<(u32, Histogram)>>,
    /// The in-flight gauge of this method (servers): held here so a request clones one handle,
    /// the entry, instead of two.
    active: Option<Gauge>,
}

impl Entry {
    fn new(
        descriptor: &'static MetricDescriptor,
        method: usize,
        label: String,
        span_name: &'static str,
        error_from: u16,
        active: Option<&'static MetricDescriptor>,
    ) -> Self {
        let active = active
            .map(|gauge| metrics::gauge!(gauge.name, gauge.labels[0] => METHOD_LABELS[method]));
        Self {
            descriptor,
            method: METHOD_LABELS[method],
            label,
            span_name,
            error_from,
            histograms: Default::default(),
            more_histograms: RwLock::new(Vec::new()),
            active,
        }
    }

    /// Whether a gRPC `code` is an error on this side: every non-zero code for a client, the
    /// server's own failures for a server.
    fn grpc_error(&self, code: u8) -> bool {
        code != 0 && (self.error_from < 500 || grpc_server_error(code))
    }

    /// Records `seconds` in the histogram for `outcome`, creating it on the outcome's first
    /// use. The first outcomes take a slot each; a slot is set once and then only read.
    fn record(&self, outcome: Outcome, seconds: f64) {
        let code = outcome.code();
        for slot in &self.histograms {
            // An empty slot is taken by this outcome; racing threads wait for it, so an outcome
            // never takes two slots.
            let (c, h) = slot.get_or_init(|| (code, self.histogram(outcome)));
            if *c == code {
                h.record(seconds);
                return;
            }
        }
        {
            let list = self
                .more_histograms
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((_, h)) = list.iter().find(|(c, _)| *c == code) {
                h.record(seconds);
                return;
            }
        }
        let histogram = self.histogram(outcome);
        histogram.record(seconds);
        let mut list = self
            .more_histograms
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // A racing registration of the same outcome keeps the first handle; both point at the
        // same series.
        if !list.iter().any(|(c, _)| *c == code) {
            list.push((code, histogram));
        }
    }

    /// The duration histogram for `outcome` (registered with the recorder).
    fn histogram(&self, outcome: Outcome) -> Histogram {
        let (status, error) = match outcome {
            Outcome::Status(s) if s.as_u16() >= self.error_from => {
                (s.as_str().to_owned(), s.as_str().to_owned())
            }
            Outcome::Status(s) => (s.as_str().to_owned(), String::new()),
            Outcome::Grpc(s, code) => (
                s.as_str().to_owned(),
                if self.grpc_error(code) {
                    GRPC_CODE_NAMES[usize::from(code)].to_owned()
                } else {
                    String::new()
                },
            ),
            Outcome::Error(kind) => (String::new(), kind.as_str().to_owned()),
            Outcome::Cancelled => (String::new(), ERROR_CANCELLED.to_owned()),
        };
        let keys = self.descriptor.labels;
        let values = [self.method.to_owned(), self.label.clone(), status, error];
        let labels: Vec<Label> = keys
            .iter()
            .zip(values)
            .map(|(k, v)| Label::new(*k, v))
            .collect();
        metrics::histogram!(self.descriptor.name, labels)
    }
}

/// The (method, subject) → [`Entry`] cache of one layer; bounded by the cardinality guard.
#[derive(Debug)]
pub(crate) struct HandleCache {
    descriptor: &'static MetricDescriptor,
    error_from: u16,
    /// The in-flight gauge each entry carries (servers), labelled by method.
    active: Option<&'static MetricDescriptor>,
    by_method: [RwLock<RouteMap<&'static Entry>>; METHOD_LABELS.len()],
    /// Entries for requests without a subject (an unmatched route).
    none: [OnceLock<&'static Entry>; METHOD_LABELS.len()],
    /// Entries for subjects past the cardinality limit.
    overflow: [OnceLock<&'static Entry>; METHOD_LABELS.len()],
}

/// Span name of a request: `{METHOD} {subject}`, or the method alone; `HTTP` stands for a
/// method the conventions do not know.
pub(crate) fn span_name(method: usize, subject: Option<&str>) -> String {
    let m = if method == OTHER_METHOD {
        "HTTP"
    } else {
        METHOD_LABELS[method]
    };
    match subject {
        Some(s) => format!("{m} {s}"),
        None => m.to_owned(),
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Entries live as long as the process, like the series their handles point to (a recorder
/// never drops a series) and their interned span names: a request then borrows its entry
/// instead of counting a reference to it. The cardinality limit bounds them per layer, and a
/// service builds its layer once (the layers' docs say so); a layer built per connection would
/// keep its entries after it is dropped.
fn leak_entry(entry: Entry) -> &'static Entry {
    Box::leak(Box::new(entry))
}

impl HandleCache {
    pub(crate) fn new(
        descriptor: &'static MetricDescriptor,
        error_from: u16,
        active: Option<&'static MetricDescriptor>,
    ) -> Self {
        Self {
            descriptor,
            error_from,
            active,
            by_method: Default::default(),
            none: Default::default(),
            overflow: Default::default(),
        }
    }

    /// The entry for `method` and `subject`, and whether the subject fitted under the limit
    /// (an overflowed subject shares one entry and its span name must be built per request).
    pub(crate) fn entry(&self, method: usize, subject: Option<&str>) -> (&'static Entry, bool) {
        let Some(subject) = subject else {
            let e = self.none[method].get_or_init(|| {
                leak_entry(Entry::new(
                    self.descriptor,
                    method,
                    String::new(),
                    leak(span_name(method, None)),
                    self.error_from,
                    self.active,
                ))
            });
            return (e, true);
        };
        let map = &self.by_method[method];
        if let Some(e) = map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(subject)
        {
            return (e, true);
        }
        let label = cardinality::global().admit(self.descriptor, subject);
        if label == OVERFLOW_VALUE {
            let e = self.overflow[method].get_or_init(|| {
                leak_entry(Entry::new(
                    self.descriptor,
                    method,
                    label,
                    leak(span_name(method, Some(OVERFLOW_VALUE))),
                    self.error_from,
                    self.active,
                ))
            });
            return (e, false);
        }
        let mut map = map.write().unwrap_or_else(PoisonError::into_inner);
        let entry = *map.entry(subject.into()).or_insert_with(|| {
            leak_entry(Entry::new(
                self.descriptor,
                method,
                label,
                leak(span_name(method, Some(subject))),
                self.error_from,
                self.active,
            ))
        });
        (entry, true)
    }

    /// Entries cached so far (tests: the bound on label values).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_method
            .iter()
            .map(|m| m.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// One request being recorded. Finishing it — or dropping it unfinished — ends the span and
/// records the duration once.
#[derive(Debug)]
pub(crate) struct Recording {
    start: Ticks,
    entry: &'static Entry,
    /// The request's context, holding its span; attached while the inner future is polled.
    pub(crate) cx: Context,
    /// Whether `cx` holds a real span worth attaching (not with a no-op tracer and no parent).
    pub(crate) attach: bool,
    /// Whether the span records (is sampled or record-only): only then are its status and
    /// attributes set and is it ended. Known at start; asking the span again would lock it.
    recording: bool,
    done: bool,
}

impl Recording {
    pub(crate) fn start(start: Ticks, entry: &'static Entry, cx: Context, recording: bool) -> Self {
        if let Some(g) = &entry.active {
            g.increment(1.0);
        }
        let attach = cx.span().span_context().is_valid();
        Self {
            start,
            entry,
            cx,
            attach,
            recording,
            done: false,
        }
    }

    /// Records `outcome`: histogram, span status and attributes, span end, active gauge.
    pub(crate) fn finish(&mut self, outcome: Outcome) {
        self.finish_with_message(outcome, None);
    }

    /// [`finish`](Self::finish), with the span status message of an `Outcome::Error` (the
    /// error's own description; a generic one when `None`).
    pub(crate) fn finish_with_message(&mut self, outcome: Outcome, message: Option<String>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let elapsed = self.start.elapsed_seconds();
        // A sampled request's trace becomes its duration bucket's exemplar.
        crate::prometheus::exemplar::with_sampled(self.cx.span().span_context(), || {
            self.entry.record(outcome, elapsed);
        });
        if let Some(g) = &self.entry.active {
            g.decrement(1.0);
        }
        if self.recording {
            let span = self.cx.span();
            match outcome {
                Outcome::Status(s) => {
                    span.set_attribute(KeyValue::new(
                        "http.response.status_code",
                        i64::from(s.as_u16()),
                    ));
                    if s.as_u16() >= self.entry.error_from {
                        span.set_attribute(KeyValue::new("error.type", s.as_str().to_owned()));
                        span.set_status(Status::error(""));
                    }
                }
                Outcome::Grpc(s, code) => {
                    span.set_attribute(KeyValue::new(
                        "http.response.status_code",
                        i64::from(s.as_u16()),
                    ));
                    span.set_attribute(KeyValue::new("rpc.grpc.status_code", i64::from(code)));
                    if s.as_u16() >= self.entry.error_from {
                        span.set_attribute(KeyValue::new("error.type", s.as_str().to_owned()));
                        span.set_status(Status::error(""));
                    } else if self.entry.grpc_error(code) {
                        let name = GRPC_CODE_NAMES[usize::from(code)];
                        span.set_attribute(KeyValue::new("error.type", name));
                        span.set_status(Status::error(""));
                    }
                }
                Outcome::Error(kind) => {
                    span.set_attribute(KeyValue::new("error.type", kind.as_str()));
                    span.set_status(Status::error(
                        message.unwrap_or_else(|| kind.description().to_owned()),
                    ));
                }
                Outcome::Cancelled => {
                    span.set_attribute(KeyValue::new("error.type", ERROR_CANCELLED));
                    span.set_status(Status::error("the request was dropped before it finished"));
                }
            }
            span.end();
        }
        // A span that records nothing has nothing to end (and its end would read the clock).
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.finish(Outcome::Cancelled);
    }
}

/// Generates request ids: 32 lowercase hex characters, unique within the process (a bijective
/// mix of a counter) and, with a random per-process seed, across processes.
pub(crate) fn generate_request_id() -> HeaderValue {
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    let (a, b) = *SEED.get_or_init(|| {
        use std::hash::BuildHasher as _;
        let s = std::collections::hash_map::RandomState::new();
        (s.hash_one(1u8), s.hash_one(2u8))
    });
    let n = id_counter::next();
    let hi = splitmix(a ^ n);
    let lo = splitmix(b.wrapping_add(n));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..].copy_from_slice(&lo.to_be_bytes());
    let mut out = [0u8; 32];
    super::propagation::hex_encode(&bytes, &mut out);
    // `from_owner` keeps the array in one allocation that the request's header and the
    // response's echo share (a clone is a reference count, not a copy).
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(out))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The counter request ids are mixed from: each thread takes a range of [`RANGE`] values from
/// the process-wide counter and counts through it alone, so concurrent requests do not
/// contend on one atomic. Values stay unique in the process.
mod id_counter {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Values a thread takes at once (2^32 ranges before the 64-bit counter wraps).
    pub(super) const RANGE: u64 = 1 << 32;

    static NEXT_RANGE: AtomicU64 = AtomicU64::new(0);

    thread_local! {
        /// The thread's next value and the end of its range (`0, 0`: none taken yet).
        static RANGE_LEFT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }

    fn take_range() -> (u64, u64) {
        let start = NEXT_RANGE.fetch_add(RANGE, Ordering::Relaxed);
        (start, start.wrapping_add(RANGE))
    }

    /// The next value of this thread's range (a new range when it is used up).
    pub(super) fn next() -> u64 {
        RANGE_LEFT
            .try_with(|left| {
                let (mut next, mut end) = left.get();
                if next == end {
                    (next, end) = take_range();
                }
                left.set((next.wrapping_add(1), end));
                next
            })
            // A thread being torn down has no range left: a value of a range of its own.
            .unwrap_or_else(|_| take_range().0)
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Longest incoming `x-request-id` kept.
pub(crate) const MAX_REQUEST_ID: usize = 128;

/// Whether an incoming `x-request-id` may be kept, echoed and recorded: 1–128 characters of
/// `[A-Za-z0-9._:-]` (UUIDs, hex and ULID-style ids, `service:counter`). Anything else — an
/// e-mail address, free text, a token with `/+=` — is replaced by a generated id, so a caller
/// cannot make the service echo or export what it sent.
pub(crate) fn valid_request_id(value: &HeaderValue) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_REQUEST_ID
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::http::SERVER_REQUEST_DURATION;

    #[test]
    fn methods_outside_the_conventions_are_other() {
        assert_eq!(METHOD_LABELS[method_index(&Method::GET)], "GET");
        assert_eq!(METHOD_LABELS[method_index(&Method::PATCH)], "PATCH");
        let custom = Method::from_bytes(b"BREW").expect("valid token");
        assert_eq!(METHOD_LABELS[method_index(&custom)], "_OTHER");
        assert_eq!(span_name(OTHER_METHOD, Some("/x")), "HTTP /x");
        assert_eq!(span_name(0, None), "GET");
    }

    #[test]
    fn request_ids_are_unique_and_well_formed() {
        // Many blocks' worth, from four threads: ids cut from shared blocks stay distinct and
        // intact after their block is full and replaced.
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    (0..2_500)
                        .map(|_| generate_request_id())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let ids: std::collections::HashSet<HeaderValue> = threads
            .into_iter()
            .flat_map(|t| t.join().expect("id thread"))
            .collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.len() == 32 && valid_request_id(id)));
        assert!(!valid_request_id(&HeaderValue::from_static("")));
        assert!(!valid_request_id(&HeaderValue::from_static("a b")));
        assert!(!valid_request_id(&HeaderValue::from_static(
            "jane.doe@example.com"
        )));
        assert!(!valid_request_id(&HeaderValue::from_static("tok/en+=")));
        assert!(valid_request_id(&HeaderValue::from_static(
            "3f2c1d9e-8a7b-4c6d-9e0f-123456789abc"
        )));
        assert!(valid_request_id(&HeaderValue::from_static("gw-1:req_42.7")));
        assert!(valid_request_id(
            &HeaderValue::from_str(&"a".repeat(128)).expect("ascii")
        ));
        let long = "a".repeat(129);
        assert!(!valid_request_id(
            &HeaderValue::from_str(&long).expect("ascii")
        ));
    }

    #[test]
    fn grpc_status_in_the_head_is_an_outcome() {
        let response = |status: Option<&'static str>| {
            let mut r = Response::new(());
            if let Some(s) = status {
                r.headers_mut()
                    .insert(GRPC_STATUS, HeaderValue::from_static(s));
            }
            r
        };
        assert_eq!(
            response_outcome(&response(None)),
            Outcome::Status(StatusCode::OK)
        );
        assert_eq!(
            response_outcome(&response(Some("0"))),
            Outcome::Status(StatusCode::OK)
        );
        assert_eq!(
            response_outcome(&response(Some("14"))),
            Outcome::Grpc(StatusCode::OK, 14)
        );
        assert_eq!(
            response_outcome(&response(Some("16"))),
            Outcome::Grpc(StatusCode::OK, 16)
        );
        for bad in ["17", "99", "-1", "", "0x", "007"] {
            assert_eq!(
                response_outcome(&response(Some(bad))),
                Outcome::Grpc(StatusCode::OK, GRPC_UNKNOWN),
                "{bad:?}"
            );
        }
        let server = Entry::new(
            &SERVER_REQUEST_DURATION,
            2,
            String::new(),
            "POST",
            500,
            None,
        );
        assert!(server.grpc_error(14) && server.grpc_error(13));
        assert!(!server.grpc_error(3) && !server.grpc_error(5) && !server.grpc_error(0));
        let client = Entry::new(
            &SERVER_REQUEST_DURATION,
            2,
            String::new(),
            "POST",
            400,
            None,
        );
        assert!(client.grpc_error(3) && client.grpc_error(14) && !client.grpc_error(0));
    }

    #[test]
    fn every_outcome_gets_its_own_histogram_past_the_lock_free_slots() {
        use crate::test_support::Snapshot;
        use metrics_util::debugging::DebuggingRecorder;

        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        // More statuses than slots, each recorded twice, interleaved: every
        // sample lands in its own status's series, none twice, none lost.
        let statuses: Vec<u16> = (0..HISTOGRAM_SLOTS as u16 + 4).map(|i| 200 + i).collect();
        metrics::with_local_recorder(&recorder, || {
            let entry = Entry::new(
                &SERVER_REQUEST_DURATION,
                0,
                "/r".into(),
                "GET /r",
                500,
                None,
            );
            for &status in statuses.iter().chain(&statuses) {
                let outcome = Outcome::Status(StatusCode::from_u16(status).expect("valid"));
                entry.record(outcome, f64::from(status));
            }
            entry.record(Outcome::Cancelled, 1.0);
        });
        let snapshot = Snapshot::take(&snapshotter);
        let name = SERVER_REQUEST_DURATION.name;
        for status in &statuses {
            let code = status.to_string();
            let samples = snapshot.histogram(name, &[("http_response_status_code", &code)]);
            assert_eq!(samples, [f64::from(*status); 2], "status {status}");
        }
        let cancelled = snapshot.histogram(name, &[("error_type", ERROR_CANCELLED)]);
        assert_eq!(cancelled, [1.0]);
    }

    #[test]
    fn cache_returns_one_entry_per_pair() {
        let cache = HandleCache::new(&SERVER_REQUEST_DURATION, 500, None);
        let (a, fits) = cache.entry(0, Some("/v1/detect/{camera}"));
        let (b, _) = cache.entry(0, Some("/v1/detect/{camera}"));
        assert!(fits && std::ptr::eq(a, b));
        assert_eq!(a.span_name, "GET /v1/detect/{camera}");
        let (none, _) = cache.entry(2, None);
        assert_eq!(none.span_name, "POST");
        assert_eq!(cache.len(), 1);
    }
}
