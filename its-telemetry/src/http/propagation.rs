//! W3C Trace Context: parsing and writing `traceparent` and `tracestate`.
//!
//! The layers call these functions directly rather than going through the global
//! `TextMapPropagator`: that saves a lock per request, reads header bytes without requiring
//! UTF-8, and lets us apply the specification's rules exactly:
//!
//! * `traceparent` (Level 1 and 2, §3.2) is `version-traceid-parentid-flags`, lowercase hex only;
//!   version `ff` is invalid; version `00` must be exactly 55 characters; a higher (future)
//!   version is parsed leniently — its first four fields as version `00`, anything after a
//!   further `-` ignored; all-zero trace or parent ids are invalid; only the `sampled` flag is kept.
//! * An invalid `traceparent` (or several of them) means the request starts a new trace, and
//!   its `tracestate` is not read (§3.3: "If the vendor failed to parse traceparent, it MUST NOT
//!   attempt to parse tracestate").
//! * `tracestate` (§3.3) follows the [Trace Context Level 2] grammar, whose key rule is wider
//!   than Level 1's (`key = ( lcalpha / DIGIT ) 0*255 ( keychar )`, `@` allowed anywhere after
//!   the first character), so every Level 1 key is accepted too. Several header lines are
//!   joined in order; empty members and the spaces and tabs around members are ignored; each
//!   kept member is forwarded byte for byte. Following the processing model ("Invalid tracestate entries MAY
//!   also be discarded"), a bad member is dropped and the others kept; of members with the same
//!   key only the first is kept (§3.3 "Only one entry per key is allowed"). At most 32 members
//!   and 512 characters are forwarded; a longer header loses whole members, those over 128
//!   characters first, then from the right (§3.3 "tracestate Limits"). The specification asks
//!   vendors to propagate *at least* 512 characters and to document their maximum: ours is
//!   exactly that, [`MAX_TRACESTATE_LEN`], which bounds what a hostile caller can make every
//!   downstream call carry.
//!
//! # Why the received `tracestate` travels beside opentelemetry's `TraceState`
//!
//! A [`SpanContext`] carries an opentelemetry [`TraceState`], and in opentelemetry 0.33 every
//! constructor of it validates keys with a narrower rule than W3C's (at most 13 characters after
//! `@`, a single `@`): there is no unchecked path. Putting a received header into it would drop
//! the whole header for one such key. So [`extract_context`] keeps the validated header as a
//! [`TraceStateHeader`] in the request's [`Context`] (a private context value), next to a
//! remote span context whose `TraceState` holds the members opentelemetry accepts (samplers and
//! user code can still read them there). When a call made while handling the request injects
//! headers ([`inject_context`], [`inject_span_context`], the client layer, [`W3cPropagator`]),
//! the received header is forwarded as it came if the span belongs to the same trace and its
//! `TraceState` is unchanged; if a sampler or the service added or updated entries, those go at
//! the left and the received members follow in their order ("Mutating the tracestate
//! Field"); for any other trace, the span's own `TraceState` is written.
//!
//! [Trace Context Level 2]: https://www.w3.org/TR/trace-context-2/#tracestate-header
//!
//! [`W3cPropagator`] wires the same rules into the OpenTelemetry propagation API for code that
//! uses `TextMapPropagator`s.
//!
//! ```
//! use its_telemetry::http::propagation::TraceParent;
//!
//! let tp = TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?;
//! assert!(tp.sampled());
//! assert!(TraceParent::parse(b"00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_err());
//! # Ok::<(), its_telemetry::http::propagation::TraceParentError>(())
//! ```

use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};

/// `traceparent`.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// `tracestate`.
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// The most list-members a `tracestate` may carry (W3C Trace Context §3.3, "list").
pub const MAX_TRACESTATE_MEMBERS: usize = 32;

/// Length of a version-`00` `traceparent`.
const TRACEPARENT_LEN: usize = 55;

/// Why a `traceparent` value was rejected; the request then starts a new trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceParentError {
    /// Shorter than 55 bytes, or a version-`00` value that is not exactly 55 bytes, or a future
    /// version whose extra data does not start with `-`.
    #[error("traceparent has the wrong length or trailing data")]
    Length,
    /// A `-` is missing where the format puts one.
    #[error("traceparent fields are not separated by `-`")]
    Delimiter,
    /// A field holds something other than lowercase hexadecimal digits.
    #[error("traceparent fields must be lowercase hexadecimal")]
    NotLowercaseHex,
    /// Version `ff`, which the specification forbids.
    #[error("traceparent version ff is invalid")]
    ForbiddenVersion,
    /// The trace id is all zeros.
    #[error("traceparent trace id is all zeros")]
    ZeroTraceId,
    /// The parent id is all zeros.
    #[error("traceparent parent id is all zeros")]
    ZeroParentId,
}

/// Why [`TraceStateHeader::with_entry`] refused a list-member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceStateError {
    /// The key does not match the W3C Trace Context Level 2 key grammar.
    #[error(
        "tracestate key {0:?} is invalid: use a lowercase letter or digit followed by at most 255 \
         of `a-z 0-9 _ - * / @` (W3C Trace Context Level 2, tracestate key)"
    )]
    InvalidKey(String),
    /// The value does not match the W3C value grammar.
    #[error(
        "tracestate value {0:?} is invalid: use 1 to 256 printable ASCII characters other than \
         `,` and `=`, not ending in a space (W3C Trace Context, tracestate value)"
    )]
    InvalidValue(String),
}
/// A parsed `traceparent` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The version byte (`0` today; higher versions are accepted leniently).
    pub version: u8,
    /// The trace id, never all zeros.
    pub trace_id: TraceId,
    /// The caller's span id, never all zeros.
    pub parent_id: SpanId,
    /// The flags, reduced to the bits version `00` defines (`sampled`).
    pub flags: TraceFlags,
}

impl TraceParent {
    /// Parses a `traceparent` value by the rules of W3C Trace Context Level 1.
    ///
    /// # Errors
    /// [`TraceParentError`] saying which rule the value breaks.
    pub fn parse(value: &[u8]) -> Result<Self, TraceParentError> {
        if value.len() < TRACEPARENT_LEN {
            return Err(TraceParentError::Length);
        }
        let version = hex_u8(value[0], value[1])?;
        if version == 0xff {
            return Err(TraceParentError::ForbiddenVersion);
        }
        if version == 0 && value.len() != TRACEPARENT_LEN {
            return Err(TraceParentError::Length);
        }
        if version > 0 && value.len() > TRACEPARENT_LEN && value[TRACEPARENT_LEN] != b'-' {
            return Err(TraceParentError::Length);
        }
        if value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
            return Err(TraceParentError::Delimiter);
        }
        let mut trace = [0u8; 16];
        hex_decode(&value[3..35], &mut trace)?;
        let mut parent = [0u8; 8];
        hex_decode(&value[36..52], &mut parent)?;
        let flags = hex_u8(value[53], value[54])?;
        if trace == [0; 16] {
            return Err(TraceParentError::ZeroTraceId);
        }
        if parent == [0; 8] {
            return Err(TraceParentError::ZeroParentId);
        }
        Ok(Self {
            version,
            trace_id: TraceId::from_bytes(trace),
            parent_id: SpanId::from_bytes(parent),
            flags: TraceFlags::new(flags & TraceFlags::SAMPLED.to_u8()),
        })
    }

    /// Whether the caller recorded its span (the `sampled` flag); a parent-based sampler follows it.
    #[must_use]
    pub fn sampled(&self) -> bool {
        self.flags.is_sampled()
    }

    /// The version-`00` header value for a span context, as written by [`inject_context`].
    #[must_use]
    pub fn format(span_context: &SpanContext) -> [u8; TRACEPARENT_LEN] {
        let mut out = [b'-'; TRACEPARENT_LEN];
        out[0] = b'0';
        out[1] = b'0';
        hex_encode(&span_context.trace_id().to_bytes(), &mut out[3..35]);
        hex_encode(&span_context.span_id().to_bytes(), &mut out[36..52]);
        hex_encode(
            &[span_context.trace_flags().to_u8() & TraceFlags::SAMPLED.to_u8()],
            &mut out[53..55],
        );
        out
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}-{}-{}-{:02x}",
            self.version,
            self.trace_id,
            self.parent_id,
            self.flags.to_u8()
        )
    }
}

/// The most characters of `tracestate` this crate propagates (commas included); see the module
/// documentation for why, and [`TraceStateHeader`] for how a longer header is truncated.
pub const MAX_TRACESTATE_LEN: usize = 512;

/// List-members longer than this are the first removed when a `tracestate` must be truncated
/// (W3C Trace Context §3.3, "tracestate Limits").
const LARGE_MEMBER_LEN: usize = 128;

/// A `tracestate` as this crate forwards it: the list-members that are valid by the W3C Trace
/// Context Level 2 grammar, each byte for byte as received, in the order received, joined by `,`.
///
/// Built by [`parse_tracestate`] (lenient, as the processing model allows: a bad member is dropped,
/// the rest kept) or [`TraceStateHeader::with_entry`]. It always holds at most
/// [`MAX_TRACESTATE_MEMBERS`] members and [`MAX_TRACESTATE_LEN`] characters, with unique keys.
///
/// ```
/// use its_telemetry::http::propagation::parse_tracestate;
///
/// // `fourteenchars1` (14 characters after `@`) is valid W3C, but opentelemetry's `TraceState`
/// // rejects it; a bad member and a later duplicate are dropped, the rest kept as received.
/// let ts = parse_tracestate(b"t@fourteenchars1=x, Bad=1 ,rojo=1,rojo=2");
/// assert_eq!(ts.as_str(), "t@fourteenchars1=x,rojo=1");
/// assert_eq!(ts.get("rojo"), Some("1"));
/// assert!(ts.to_trace_state().get("t@fourteenchars1").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TraceStateHeader {
    header: String,
}

impl TraceStateHeader {
    /// The empty `tracestate`.
    pub const EMPTY: Self = Self {
        header: String::new(),
    };

    /// The header value: the kept list-members joined by `,` (empty when none was kept).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.header
    }

    /// Whether no list-member was kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.header.is_empty()
    }

    /// How many list-members are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members().count()
    }

    /// The list-members as `(key, value)`, left to right.
    pub fn members(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header
            .split(',')
            .filter(|m| !m.is_empty())
            .filter_map(|m| m.split_once('='))
    }

    /// The value of `key`, if present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members().find_map(|(k, v)| (k == key).then_some(v))
    }

    /// This `tracestate` with `key=value` at the left, replacing any entry with the same key, as
    /// a vendor adds or updates its own entry (W3C Trace Context "Mutating the tracestate
    /// Field": "Modified keys MUST be moved to the beginning (left) of the list"). The limits are
    /// applied afterwards, which may drop members from the right.
    ///
    /// # Errors
    /// [`TraceStateError`] when the key or value breaks the W3C grammar.
    pub fn with_entry(&self, key: &str, value: &str) -> Result<Self, TraceStateError> {
        if !valid_key(key.as_bytes()) {
            return Err(TraceStateError::InvalidKey(key.to_owned()));
        }
        if !valid_value(value.as_bytes()) {
            return Err(TraceStateError::InvalidValue(value.to_owned()));
        }
        let entry = format!("{key}={value}");
        let rest = self
            .header
            .split(',')
            .filter(|m| m.split_once('=').is_some_and(|(k, _)| k != key));
        Ok(Self::from_pieces(
            std::iter::once(entry.as_str())
                .chain(rest)
                .map(str::as_bytes),
        ))
    }

    /// The members OpenTelemetry's [`TraceState`] accepts, for the [`SpanContext`] (samplers and
    /// user code read it there). opentelemetry 0.33 rejects some valid keys (more than 13
    /// characters after `@`, several `@`), so this may hold fewer members than `self`; what is
    /// forwarded is `self`, see the module documentation.
    #[must_use]
    pub fn to_trace_state(&self) -> TraceState {
        if self.is_empty() {
            return TraceState::NONE;
        }
        TraceState::from_key_value(self.members()).unwrap_or_else(|_| {
            let accepted = self
                .members()
                .filter(|member| TraceState::from_key_value([*member]).is_ok());
            TraceState::from_key_value(accepted).unwrap_or_default()
        })
    }

    /// Keeps the valid list-members of `pieces` (the comma-separated parts of one or more header
    /// lines), then applies the limits.
    fn from_pieces<'a>(pieces: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut kept: Vec<&[u8]> = Vec::new();
        let mut small = 0;
        for piece in pieces {
            // §3.3 list: "Spaces and horizontal tabs surrounding list-members are ignored";
            // "Empty and whitespace-only list members are allowed" (and carry nothing).
            let member = trim_ows(piece);
            if member.is_empty() {
                continue;
            }
            // Processing model, "A traceparent is received": "Invalid tracestate entries MAY also be
            // discarded" — the bad member goes, the valid ones stay.
            let Some((key, value)) = split_member(member) else {
                continue;
            };
            if !valid_key(key) || !valid_value(value) {
                continue;
            }
            // §3.3 "Combined Header Value": "Only one entry per key is allowed". A repeated key
            // makes the later member invalid; the first (left-most, most recent position) stays.
            if kept
                .iter()
                .any(|m| split_member(m).is_some_and(|(k, _)| k == key))
            {
                continue;
            }
            kept.push(member);
            if member.len() <= LARGE_MEMBER_LEN {
                small += 1;
                if small == MAX_TRACESTATE_MEMBERS {
                    // Truncation removes large members first, then from the right, so nothing
                    // after the 32nd small member could survive: stop reading (bounded work).
                    break;
                }
            }
        }
        truncate(&mut kept);
        let mut header = Vec::with_capacity(kept.iter().map(|m| m.len() + 1).sum());
        for (i, member) in kept.iter().enumerate() {
            if i > 0 {
                header.push(b',');
            }
            header.extend_from_slice(member);
        }
        // Every kept byte passed the ASCII-only grammar.
        Self {
            header: String::from_utf8(header).unwrap_or_default(),
        }
    }
}

impl fmt::Display for TraceStateHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

/// W3C Trace Context §3.3 "tracestate Limits": at most 32 list-members and, by this crate's
/// documented choice, at most 512 characters. "In a situation where tracestate needs to be
/// truncated due to size limitations, the vendor MUST truncate whole entries. Entries larger than
/// 128 characters long SHOULD be removed first. Then entries SHOULD be removed starting from the
/// end of tracestate."
fn truncate(kept: &mut Vec<&[u8]>) {
    let mut len = kept.iter().map(|m| m.len()).sum::<usize>() + kept.len().saturating_sub(1);
    while kept.len() > MAX_TRACESTATE_MEMBERS || len > MAX_TRACESTATE_LEN {
        let at = kept
            .iter()
            .rposition(|m| m.len() > LARGE_MEMBER_LEN)
            .unwrap_or(kept.len() - 1);
        let removed = kept.remove(at);
        len -= removed.len() + usize::from(!kept.is_empty());
    }
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn split_member(member: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = member.iter().position(|&b| b == b'=')?;
    Some((&member[..eq], &member[eq + 1..]))
}

/// Parses a `tracestate` value by the W3C Trace Context Level 2 rules, keeping every valid
/// list-member (see [`TraceStateHeader`]). Never fails: an empty result means nothing valid was
/// received.
#[must_use]
pub fn parse_tracestate(value: &[u8]) -> TraceStateHeader {
    TraceStateHeader::from_pieces(value.split(|&b| b == b','))
}

/// The received `tracestate`, carried in the request's [`Context`] next to the remote span
/// context, because opentelemetry's [`TraceState`] cannot hold every valid member.
#[derive(Debug)]
struct Forwarded {
    trace_id: TraceId,
    header: TraceStateHeader,
    /// What [`TraceStateHeader::to_trace_state`] put in the span context: a span whose trace
    /// state still equals it has not been mutated.
    otel: TraceState,
}

/// The remote span context carried by `headers`, or `None` when there is none or it is invalid
/// (the request then starts a new trace). Its `TraceState` holds the members opentelemetry
/// accepts; [`extract_context`] also keeps every valid member for forwarding.
#[must_use]
pub fn extract(headers: &HeaderMap) -> Option<SpanContext> {
    let parent = traceparent_of(headers)?;
    let trace_state = tracestate_of(headers).to_trace_state();
    Some(remote(parent, trace_state))
}

/// A context holding the remote span context carried by `headers` and the received
/// `tracestate` (every valid member, see [`TraceStateHeader`]), which [`inject_context`], the
/// client layer and [`W3cPropagator`] forward while the trace id is the same. An empty context
/// when there is no valid `traceparent`: the request then starts a new trace and the
/// `tracestate` is not even read (§3.3: "If the vendor failed to parse traceparent, it MUST NOT
/// attempt to parse tracestate").
#[must_use]
pub fn extract_context(headers: &HeaderMap) -> Context {
    let Some(parent) = traceparent_of(headers) else {
        return Context::new();
    };
    with_forwarded(&Context::new(), parent, tracestate_of(headers))
}

/// The received `tracestate` that `cx` carries (set by [`extract_context`] or
/// [`W3cPropagator`]), every valid member as received.
#[must_use]
pub fn forwarded_tracestate(cx: &Context) -> Option<&TraceStateHeader> {
    cx.get::<Forwarded>().map(|f| &f.header)
}

fn with_forwarded(cx: &Context, parent: TraceParent, header: TraceStateHeader) -> Context {
    let otel = header.to_trace_state();
    let cx = cx.with_remote_span_context(remote(parent, otel.clone()));
    if header.is_empty() && cx.get::<Forwarded>().is_none() {
        return cx;
    }
    cx.with_value(Forwarded {
        trace_id: parent.trace_id,
        header,
        otel,
    })
}

fn remote(parent: TraceParent, trace_state: TraceState) -> SpanContext {
    SpanContext::new(
        parent.trace_id,
        parent.parent_id,
        parent.flags,
        true,
        trace_state,
    )
}

fn traceparent_of(headers: &HeaderMap) -> Option<TraceParent> {
    let mut values = headers.get_all(TRACEPARENT).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None; // several traceparents: no way to tell which is right
    }
    TraceParent::parse(first.as_bytes()).ok()
}

/// §3.3 "tracestate Header Field Values": "When receiving multiple tracestate header fields, they
/// MUST be combined into a single header according to RFC7230" — in order, joined by commas.
fn tracestate_of(headers: &HeaderMap) -> TraceStateHeader {
    TraceStateHeader::from_pieces(
        headers
            .get_all(TRACESTATE)
            .iter()
            .flat_map(|v| v.as_bytes().split(|&b| b == b',')),
    )
}

/// The `tracestate` to send for `span_context`, given what `cx` received.
fn outgoing_tracestate(span_context: &SpanContext, cx: &Context) -> TraceStateHeader {
    let state = span_context.trace_state();
    let Some(forwarded) = cx
        .get::<Forwarded>()
        .filter(|f| f.trace_id == span_context.trace_id())
    else {
        return parse_tracestate(state.header().as_bytes());
    };
    if *state == forwarded.otel {
        // Unchanged: forward what was received, members opentelemetry rejects included.
        return forwarded.header.clone();
    }
    let mut current = state.into_iter().peekable();
    if current.peek().is_none() {
        return TraceStateHeader::EMPTY; // cleared on purpose
    }
    // Mutated (a sampler or the service updated or added entries): "Modified keys MUST be
    // moved to the beginning (left) of the list" and "the order of unmodified key/value pairs
    // MUST be preserved". New and updated members first, then the received ones that were
    // neither updated nor deleted, in their order.
    let before: Vec<(&str, &str)> = (&forwarded.otel).into_iter().collect();
    let after: Vec<(&str, &str)> = current.collect();
    let changed: Vec<String> = after
        .iter()
        .filter(|member| !before.contains(member))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let kept = forwarded.header.members().filter(|(key, _)| {
        let deleted = before.iter().any(|(k, _)| k == key) && !after.iter().any(|(k, _)| k == key);
        !deleted
    });
    let kept: Vec<String> = kept.map(|(k, v)| format!("{k}={v}")).collect();
    // Members in `changed` come first, so a received member with the same key is the later
    // duplicate and is dropped.
    TraceStateHeader::from_pieces(changed.iter().chain(&kept).map(String::as_bytes))
}

/// Writes `traceparent` (and `tracestate` when not empty) for `span_context`; does nothing for
/// an invalid context. The `tracestate` received by the current request (see
/// [`extract_context`]) is forwarded as received while `span_context` belongs to the same trace.
pub fn inject_span_context(span_context: &SpanContext, headers: &mut HeaderMap) {
    Context::map_current(|cx| inject_with(cx, span_context, headers));
}

fn inject_with(cx: &Context, span_context: &SpanContext, headers: &mut HeaderMap) {
    if !span_context.is_valid() {
        return;
    }
    let bytes = TraceParent::format(span_context);
    if let Ok(value) = HeaderValue::from_bytes(&bytes) {
        headers.insert(TRACEPARENT, value);
    }
    let state = outgoing_tracestate(span_context, cx);
    if state.is_empty() {
        headers.remove(TRACESTATE);
    } else if let Ok(value) = HeaderValue::try_from(state.header) {
        headers.insert(TRACESTATE, value);
    }
}

/// Injects the current span's context into `headers`, for clients that are not tower services
/// (reqwest, hand-written hyper calls). Inside a request handled by
/// [`ServerLayer`](crate::http::ServerLayer), or any entered `tracing` span, the callee joins
/// the caller's trace, and receives the caller's `tracestate`.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// its_telemetry::http::inject_context(&mut headers);
/// // Without a current span there is nothing to propagate.
/// assert!(headers.get("traceparent").is_none());
/// ```
pub fn inject_context(headers: &mut HeaderMap) {
    Context::map_current(|cx| inject_with(cx, &cx.span().span_context().clone(), headers));
}

/// The W3C rules of this module as an OpenTelemetry propagator, for code that goes through
/// `opentelemetry::global::set_text_map_propagator` or takes a `TextMapPropagator`.
///
/// ```
/// use std::collections::HashMap;
/// use opentelemetry::propagation::TextMapPropagator;
/// use opentelemetry::trace::TraceContextExt;
/// use its_telemetry::http::propagation::W3cPropagator;
///
/// let mut carrier = HashMap::new();
/// carrier.insert(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// );
/// let cx = W3cPropagator::new().extract(&carrier);
/// assert!(cx.span().span_context().is_remote());
/// ```
#[derive(Debug, Clone, Default)]
pub struct W3cPropagator {
    _private: (),
}

impl W3cPropagator {
    /// A propagator; it has no settings.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

fn fields() -> &'static [String] {
    static FIELDS: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| ["traceparent".to_owned(), "tracestate".to_owned()])
}

impl TextMapPropagator for W3cPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        let tp = TraceParent::format(sc);
        injector.set("traceparent", String::from_utf8_lossy(&tp).into_owned());
        let state = outgoing_tracestate(sc, cx);
        if !state.is_empty() {
            injector.set("tracestate", state.header);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some(parent) = extractor
            .get("traceparent")
            .and_then(|v| TraceParent::parse(v.as_bytes()).ok())
        else {
            return cx.clone();
        };
        let lines = extractor
            .get_all("tracestate")
            .or_else(|| extractor.get("tracestate").map(|v| vec![v]))
            .unwrap_or_default();
        let header = TraceStateHeader::from_pieces(
            lines
                .into_iter()
                .flat_map(|v| v.as_bytes().split(|&b| b == b',')),
        );
        with_forwarded(cx, parent, header)
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        opentelemetry::propagation::text_map_propagator::FieldIter::new(fields())
    }
}

/// W3C Trace Context Level 2, §3.3 "Key":
/// `key = ( lcalpha / DIGIT ) 0*255 ( keychar )`,
/// `keychar = lcalpha / DIGIT / "_" / "-"/ "*" / "/" / "@"`.
/// Every Level 1 key (`simple-key` or `tenant-id "@" system-id`) matches it too.
fn valid_key(key: &[u8]) -> bool {
    matches!(key.first(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && key.len() <= 256
        && key
            .iter()
            .all(|&b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/' | b'@'))
}

/// W3C Trace Context §3.3 "Value": `value = 0*255(chr) nblk-chr`, `chr = %x20 / nblk-chr`,
/// `nblk-chr = %x21-2B / %x2D-3C / %x3E-7E`.
fn valid_value(value: &[u8]) -> bool {
    let nblk = |c: u8| matches!(c, 0x21..=0x2b | 0x2d..=0x3c | 0x3e..=0x7e);
    value.len() <= 256
        && value.last().is_some_and(|&c| nblk(c))
        && value.iter().all(|&c| c == b' ' || nblk(c))
}

fn hex_nibble(c: u8) -> Result<u8, TraceParentError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(TraceParentError::NotLowercaseHex),
    }
}

fn hex_u8(hi: u8, lo: u8) -> Result<u8, TraceParentError> {
    Ok(hex_nibble(hi)? << 4 | hex_nibble(lo)?)
}

fn hex_decode(src: &[u8], dst: &mut [u8]) -> Result<(), TraceParentError> {
    for (out, pair) in dst.iter_mut().zip(src.chunks_exact(2)) {
        *out = hex_u8(pair[0], pair[1])?;
    }
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(crate) fn hex_encode(src: &[u8], dst: &mut [u8]) {
    for (pair, byte) in dst.chunks_exact_mut(2).zip(src) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn parse(s: &str) -> Result<TraceParent, TraceParentError> {
        TraceParent::parse(s.as_bytes())
    }

    #[test]
    fn valid_traceparent_round_trips() {
        let tp = parse(VALID).expect("valid");
        assert_eq!(tp.version, 0);
        assert!(tp.sampled());
        assert_eq!(tp.to_string(), VALID);
        let sc = SpanContext::new(tp.trace_id, tp.parent_id, tp.flags, true, TraceState::NONE);
        assert_eq!(&TraceParent::format(&sc)[..], VALID.as_bytes());
    }

    #[test]
    fn spec_rejections() {
        use TraceParentError::*;
        let cases = [
            ("", Length),
            (&VALID[..54], Length),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
                Length,
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
                Length,
            ),
            (
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                ForbiddenVersion,
            ),
            (
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                NotLowercaseHex,
            ),
            (
                "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                NotLowercaseHex,
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
                NotLowercaseHex,
            ),
            (
                "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                Delimiter,
            ),
            (
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                ZeroTraceId,
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                ZeroParentId,
            ),
            (
                "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
                Length,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(parse(value), Err(expected), "{value:?}");
        }
    }

    #[test]
    fn future_versions_are_parsed_leniently() {
        let tp = parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future")
            .expect("future version with extra fields");
        assert_eq!(tp.version, 0xcc);
        assert!(tp.sampled());
        assert_eq!(tp.flags.to_u8(), 1, "unknown flags are dropped");
        assert!(parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").is_ok());
    }

    #[test]
    fn unsampled_flag_is_kept() {
        let tp = parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").expect("valid");
        assert!(!tp.sampled());
    }

    fn hex(n: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[0-9a-f]{{{n}}}")).expect("regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = TraceParent::parse(&bytes);
            let _ = parse_tracestate(&bytes);
        }

        #[test]
        fn well_formed_values_parse_exactly_when_the_spec_allows(
            version in hex(2), trace in hex(32), parent in hex(16), flags in hex(2),
        ) {
            let value = format!("{version}-{trace}-{parent}-{flags}");
            let result = TraceParent::parse(value.as_bytes());
            let zero_trace = trace.bytes().all(|b| b == b'0');
            let zero_parent = parent.bytes().all(|b| b == b'0');
            prop_assert_eq!(result.is_ok(), version != "ff" && !zero_trace && !zero_parent);
            if let Ok(tp) = result {
                prop_assert_eq!(tp.trace_id.to_string(), trace);
                prop_assert_eq!(tp.parent_id.to_string(), parent);
                let sampled = u8::from_str_radix(&flags, 16).map(|f| f & 1 == 1);
                prop_assert_eq!(Ok(tp.sampled()), sampled);
            }
        }

        #[test]
        fn one_changed_byte_is_rejected_or_still_well_formed(
            pos in 0usize..55, byte in any::<u8>(),
        ) {
            let mut value = VALID.as_bytes().to_vec();
            value[pos] = byte;
            if let Ok(tp) = TraceParent::parse(&value) {
                // Only a change that keeps every field lowercase hex (or the version) may pass.
                let text = std::str::from_utf8(&value).expect("ascii when valid");
                let well_formed = text.bytes().enumerate().all(|(i, b)| {
                    if [2, 35, 52].contains(&i) {
                        b == b'-'
                    } else {
                        b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
                    }
                });
                prop_assert!(well_formed);
                prop_assert_ne!(tp.version, 0xff);
            }
        }
    }
}

/// `tracestate` rules, one test per rule of W3C Trace Context Level 2
/// (<https://www.w3.org/TR/trace-context-2/>), §3.3 "Tracestate Header" unless said otherwise.
#[cfg(test)]
mod tracestate_tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::TraceContextExt as _;
    use proptest::prelude::*;

    use super::*;

    const TRACEPARENT_VALUE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn ts(s: &str) -> String {
        parse_tracestate(s.as_bytes()).as_str().to_owned()
    }

    fn headers(tracestate: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(TRACEPARENT, HeaderValue::from_static(TRACEPARENT_VALUE));
        for line in tracestate {
            headers.append(
                TRACESTATE,
                HeaderValue::from_str(line).expect("header value"),
            );
        }
        headers
    }

    /// What the client side writes while `cx` is the current context.
    fn forwarded_by(cx: &Context) -> Option<String> {
        let _attached = cx.clone().attach();
        let mut out = HeaderMap::new();
        inject_context(&mut out);
        out.get(TRACESTATE)
            .map(|v| v.to_str().expect("ascii").to_owned())
    }

    // §3.3 "list": "Spaces and horizontal tabs surrounding list-members are ignored"; "Empty
    // and whitespace-only list members are allowed".
    #[test]
    fn s3_3_list_ows_around_members_and_empty_members_are_ignored() {
        assert_eq!(ts(" \ta=1 ,\t b=2\t, ,,c=3 , "), "a=1,b=2,c=3");
        assert_eq!(ts(""), "");
        assert_eq!(ts(" , \t,"), "");
        // Vertical tab, CR, LF are not OWS: the member holding one is invalid.
        assert_eq!(ts("a=1\u{b},b=2"), "b=2");
    }

    // §3.3 "Key" (Level 2): key = ( lcalpha / DIGIT ) 0*255 ( keychar ),
    // keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@".
    #[test]
    fn s3_3_key_level_2_grammar_accepts_every_valid_key() {
        let long = format!("a{}", "z".repeat(255));
        for key in [
            "a",
            "0",
            "1abc",                // Level 2: a digit may start any key
            "rojo_-*/9",           // every special character
            "tenant@fourteenchar", // system id longer than Level 1's 14
            "t@fourteenchars1",    // 14 after `@`: valid Level 1, rejected by opentelemetry 0.33
            "t@_x",                // `@` followed by a special character
            "a@b@c",               // several `@`
            "a@",                  // `@` last
            long.as_str(),         // 256 characters
        ] {
            assert_eq!(ts(&format!("{key}=v")), format!("{key}=v"), "{key:?}");
        }
    }

    #[test]
    fn s3_3_key_level_2_grammar_rejects_invalid_keys() {
        let too_long = format!("a{}", "z".repeat(256));
        for key in [
            "",
            "A",
            "aB",
            "_a",
            "@a",
            "*a",
            "a b",
            "a.b",
            "a\u{e9}",
            too_long.as_str(),
        ] {
            assert_eq!(ts(&format!("{key}=v,ok=1")), "ok=1", "{key:?}");
        }
    }

    // §3.3 "Value": value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr;
    // nblk-chr = %x21-2B / %x2D-3C / %x3E-7E. Leading spaces are part of the value, trailing ones
    // are optional whitespace that "MAY be excluded when propagating".
    #[test]
    fn s3_3_value_grammar() {
        let longest = "v".repeat(256);
        for value in [
            " x",
            "x y",
            "!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~",
            longest.as_str(),
        ] {
            assert_eq!(ts(&format!("k={value}")), format!("k={value}"), "{value:?}");
        }
        assert_eq!(ts("k=x  "), "k=x", "trailing spaces are OWS");
        let too_long = "v".repeat(257);
        for value in [
            "",
            " ",
            "a=b",
            "x\ty",
            "\u{7f}",
            "caf\u{e9}",
            too_long.as_str(),
        ] {
            assert_eq!(ts(&format!("k={value},ok=1")), "ok=1", "{value:?}");
        }
        // A non-UTF-8 byte only spoils its own member.
        assert_eq!(parse_tracestate(b"a=\xff,b=2").as_str(), "b=2");
    }

    // Processing model, "A traceparent is received": "If the tracestate header cannot be parsed
    // the vendor MAY discard the entire header. Invalid tracestate entries MAY also be
    // discarded." We discard only the invalid entries.
    #[test]
    fn processing_model_an_invalid_member_is_dropped_and_the_rest_forwarded() {
        assert_eq!(ts("a=1,Bad=2,c,=4,e=5"), "a=1,e=5");
        assert_eq!(ts("foo@=1,bar=2"), "foo@=1,bar=2", "valid in Level 2");
        assert_eq!(ts("@foo=1,bar=2"), "bar=2");
    }

    // §3.3 "Combined Header Value": "Only one entry per key is allowed because the entry
    // represents that last position in the trace." The later member is the invalid one: the
    // left-most is the most recent position, and it is kept.
    #[test]
    fn s3_3_duplicate_keys_keep_the_first_and_forward_the_rest() {
        assert_eq!(ts("a=1,b=2,a=3,c=4"), "a=1,b=2,c=4");
        assert_eq!(ts("foo=1,foo=1"), "foo=1");
        // Across header lines too.
        let cx = extract_context(&headers(&["foo=1,x=9", "foo=2"]));
        assert_eq!(forwarded_by(&cx).as_deref(), Some("foo=1,x=9"));
    }

    // §3.3 "tracestate Header Field Values": "When receiving multiple tracestate header fields,
    // they MUST be combined into a single header according to RFC7230", i.e. in order, joined
    // by commas.
    #[test]
    fn s3_3_several_header_lines_are_combined_in_order() {
        let cx = extract_context(&headers(&["foo=1,bar=2", "rojo=1,congo=2", "", "baz=3"]));
        assert_eq!(
            forwarded_tracestate(&cx).map(TraceStateHeader::as_str),
            Some("foo=1,bar=2,rojo=1,congo=2,baz=3")
        );
        // A bad line spoils only its own members.
        let cx = extract_context(&headers(&["a=1", "B=2", "c=3"]));
        assert_eq!(forwarded_by(&cx).as_deref(), Some("a=1,c=3"));
    }

    fn members(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("bar{i:02}={i:02}")).collect()
    }

    // §3.3 "list": "There can be a maximum of 32 list-members in a list." A longer list is
    // truncated as "tracestate Limits" says, whole entries from the end (after those over 128
    // characters).
    #[test]
    fn s3_3_at_most_32_members_are_forwarded() {
        let m32 = members(32).join(",");
        assert_eq!(ts(&m32), m32, "32 members are valid and kept");
        let m40 = members(40).join(",");
        assert_eq!(ts(&m40), m32, "the first 32 are kept");
        let large = format!("large={}", "x".repeat(130));
        let with_large = format!("{large},{}", members(32).join(","));
        assert_eq!(
            ts(&with_large),
            m32,
            "the member over 128 characters goes first"
        );
        // Empty members do not count.
        assert_eq!(ts(&members(32).join(",,")), m32);
    }

    // §3.3 "tracestate Limits": "Vendors SHOULD propagate at least 512 characters of a combined
    // header" (our documented maximum is exactly 512); "the vendor MUST truncate whole entries.
    // Entries larger than 128 characters long SHOULD be removed first. Then entries SHOULD be
    // removed starting from the end of tracestate."
    #[test]
    fn s3_3_limits_512_characters_truncating_large_entries_first_then_from_the_end() {
        // Exactly 512 characters: three members of 127 characters, one of 128, three commas.
        let member = |k: char, n: usize| format!("{k}={}", "v".repeat(n - 2));
        let exact = [
            member('a', 127),
            member('b', 127),
            member('c', 127),
            member('d', 128),
        ]
        .join(",");
        assert_eq!(exact.len(), 512);
        assert_eq!(ts(&exact), exact, "512 characters are forwarded whole");

        // One character more: the largest (over 128) entry goes, wherever it is.
        let over = [
            member('a', 127),
            member('b', 129),
            member('c', 127),
            member('d', 127),
        ]
        .join(",");
        assert_eq!(over.len(), 513);
        assert_eq!(
            ts(&over),
            [member('a', 127), member('c', 127), member('d', 127)].join(",")
        );
        // Several large entries: removed from the right until it fits.
        let larges = [
            member('a', 200),
            member('b', 200),
            member('c', 200),
            member('d', 10),
        ]
        .join(",");
        assert_eq!(
            ts(&larges),
            [member('a', 200), member('b', 200), member('d', 10)].join(",")
        );
        // No large entry: removed from the end.
        let small: Vec<String> = (0..6).map(|i| format!("k{i}={}", "v".repeat(97))).collect();
        assert_eq!(ts(&small.join(",")), small[..5].join(","));
        // A single member over 512 characters cannot be forwarded.
        let biggest = format!("{}={}", "k".repeat(256), "v".repeat(256));
        assert_eq!(ts(&format!("{biggest},ok=1")), "ok=1");
    }

    // §3.3: "If the vendor failed to parse traceparent, it MUST NOT attempt to parse tracestate."
    #[test]
    fn s3_3_an_invalid_traceparent_means_the_tracestate_is_ignored() {
        let mut bad = headers(&["a=1"]);
        bad.insert(TRACEPARENT, HeaderValue::from_static("00-bad"));
        let cx = extract_context(&bad);
        assert!(!cx.span().span_context().is_valid());
        assert!(forwarded_tracestate(&cx).is_none());
        let mut two = headers(&["a=1"]);
        two.append(TRACEPARENT, HeaderValue::from_static(TRACEPARENT_VALUE));
        assert!(forwarded_tracestate(&extract_context(&two)).is_none());
        // The opposite is not true: "failure to parse tracestate MUST NOT affect the parsing of
        // traceparent".
        let cx = extract_context(&headers(&["B=1"]));
        assert!(cx.span().span_context().is_valid());
        assert_eq!(forwarded_by(&cx), None);
    }

    // The issue's case: a key opentelemetry's `TraceState` rejects no longer drops the header.
    #[test]
    fn a_key_opentelemetry_rejects_is_forwarded_with_the_rest() {
        let received = "t@fourteenchars1=x,rojo=00f067aa0ba902b7,a@b@c=y,congo=t61rcWkgMzE";
        let cx = extract_context(&headers(&[received]));
        let state = cx.span().span_context().trace_state().clone();
        assert_eq!(state.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
        assert_eq!(forwarded_by(&cx).as_deref(), Some(received));
        // `extract` (span context only) keeps what opentelemetry accepts.
        let sc = extract(&headers(&[received])).expect("valid traceparent");
        assert_eq!(sc.trace_state(), &state);
    }

    // "Mutating the tracestate Field": "Modified keys MUST be moved to the beginning (left) of
    // the list"; "the order of unmodified key/value pairs MUST be preserved".
    #[test]
    fn mutations_put_changed_entries_left_and_keep_the_rest_in_order() {
        let received = "a=1,t@fourteenchars1=x,b=2,c=3";
        let cx = extract_context(&headers(&[received]));
        let sc = cx.span().span_context().clone();
        let with_state = |state: TraceState| {
            cx.with_remote_span_context(SpanContext::new(
                sc.trace_id(),
                SpanId::from_bytes([3; 8]),
                sc.trace_flags(),
                false,
                state,
            ))
        };
        // A sampler adds our entry and updates `b`.
        let mutated = sc
            .trace_state()
            .insert("b", "20")
            .and_then(|s| s.insert("its", "1"))
            .expect("valid");
        assert_eq!(
            forwarded_by(&with_state(mutated)).as_deref(),
            Some("its=1,b=20,a=1,t@fourteenchars1=x,c=3")
        );
        // Deleting a member deletes it; the others stay.
        let deleted = sc.trace_state().delete("a").expect("valid");
        assert_eq!(
            forwarded_by(&with_state(deleted)).as_deref(),
            Some("t@fourteenchars1=x,b=2,c=3")
        );
        // Clearing the state clears it.
        assert_eq!(forwarded_by(&with_state(TraceState::NONE)), None);
        // Another trace does not receive this request's tracestate.
        let other = cx.with_remote_span_context(SpanContext::new(
            TraceId::from_bytes([5; 16]),
            SpanId::from_bytes([6; 8]),
            TraceFlags::SAMPLED,
            false,
            TraceState::from_key_value([("z", "9")]).expect("valid"),
        ));
        assert_eq!(forwarded_by(&other).as_deref(), Some("z=9"));
    }

    #[test]
    fn with_entry_adds_ours_at_the_left_and_validates() {
        let received = parse_tracestate(b"a=1,its=old,t@fourteenchars1=x");
        let ours = received.with_entry("its", "new").expect("valid");
        assert_eq!(ours.as_str(), "its=new,a=1,t@fourteenchars1=x");
        assert_eq!(ours.len(), 3);
        assert_eq!(
            received.with_entry("Its", "1"),
            Err(TraceStateError::InvalidKey("Its".to_owned()))
        );
        assert_eq!(
            received.with_entry("its", "a,b"),
            Err(TraceStateError::InvalidValue("a,b".to_owned()))
        );
        // The limits still hold: a 33rd member pushes the last one out.
        let full = parse_tracestate(members(32).join(",").as_bytes());
        let ours = full.with_entry("its", "1").expect("valid");
        assert_eq!(ours.len(), 32);
        assert_eq!(ours.members().next(), Some(("its", "1")));
        assert_eq!(ours.get("bar32"), None);
    }

    #[test]
    fn propagator_forwards_every_valid_member() {
        use std::collections::HashMap;
        let received = "t@fourteenchars1=x,rojo=1";
        let mut carrier = HashMap::new();
        carrier.insert("traceparent".to_owned(), TRACEPARENT_VALUE.to_owned());
        carrier.insert("tracestate".to_owned(), received.to_owned());
        let p = W3cPropagator::new();
        let cx = p.extract(&carrier);
        let mut out: HashMap<String, String> = HashMap::new();
        p.inject_context(&cx, &mut out);
        assert_eq!(out.get("tracestate").map(String::as_str), Some(received));
        // A second extraction into the same context replaces the first one's tracestate.
        carrier.remove("tracestate");
        let cx = p.extract_with_context(&cx, &carrier);
        let mut out: HashMap<String, String> = HashMap::new();
        p.inject_context(&cx, &mut out);
        assert_eq!(out.get("tracestate"), None);
    }

    /// A downstream service that records the headers it was sent.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<HeaderMap>>>);

    impl tower_service::Service<http::Request<()>> for Capture {
        type Response = http::Response<()>;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn call(&mut self, req: http::Request<()>) -> Self::Future {
            self.0
                .lock()
                .expect("not poisoned")
                .push(req.headers().clone());
            std::future::ready(Ok(http::Response::new(())))
        }
    }

    /// A handler that makes one outgoing call through the client layer while it runs.
    #[derive(Clone)]
    struct Handler(crate::http::client::ClientService<Capture>);

    impl tower_service::Service<http::Request<()>> for Handler {
        type Response = http::Response<()>;
        type Error = std::convert::Infallible;
        type Future = std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
        >;

        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<()>) -> Self::Future {
            let mut client = self.0.clone();
            Box::pin(async move {
                tokio::task::yield_now().await; // the call happens in a later poll
                let req = http::Request::get("http://detector.internal/v1/infer")
                    .body(())
                    .expect("request");
                tower_service::Service::call(&mut client, req).await
            })
        }
    }

    // End to end through both layers: the tracestate an incoming request carries reaches the
    // outgoing call made while handling it, unchanged, members opentelemetry rejects included.
    #[tokio::test]
    async fn server_layer_to_client_layer_forwards_the_received_tracestate() {
        use tower_layer::Layer as _;
        let capture = Capture::default();
        let client = crate::http::ClientLayer::new().layer(capture.clone());
        let mut server = crate::http::ServerLayer::new().layer(Handler(client));
        let received = "t@fourteenchars1=x,rojo=00f067aa0ba902b7, congo=t61rcWkgMzE";
        let mut req = http::Request::get("http://gateway.internal/v1/detect/cam-7")
            .body(())
            .expect("request");
        *req.headers_mut() = headers(&[received, "a@b@c=y"]);
        tower_service::Service::call(&mut server, req)
            .await
            .expect("handled");

        let sent = capture.0.lock().expect("not poisoned").clone();
        assert_eq!(sent.len(), 1);
        let tracestate: Vec<_> = sent[0].get_all(TRACESTATE).iter().collect();
        assert_eq!(
            tracestate,
            ["t@fourteenchars1=x,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,a@b@c=y"]
        );
        let traceparent = sent[0].get(TRACEPARENT).expect("traceparent sent");
        let tp = TraceParent::parse(traceparent.as_bytes()).expect("valid");
        assert_eq!(tp.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    // Generators for the W3C grammar.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9][a-z0-9_*/@-]{0,12}",
            "[a-z][a-z0-9_*/-]{0,20}@[a-z][a-z0-9_*/-]{0,13}",
            "[a-z0-9][a-z0-9_*/@-]{100,255}",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -+\\--<>-~]{0,12}[!-+\\--<>-~]",
            "[ -+\\--<>-~]{100,255}[!-+\\--<>-~]",
        ]
    }

    fn valid_members() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec((key(), value()), 0..40).prop_map(|pairs| {
            let mut seen = std::collections::HashSet::new();
            pairs
                .into_iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        })
    }

    /// What the limits keep of valid, unique members, by the spec's truncation order.
    fn within_limits(members: &[String]) -> Vec<String> {
        let mut kept = members.to_vec();
        let len = |kept: &[String]| {
            kept.iter().map(String::len).sum::<usize>() + kept.len().saturating_sub(1)
        };
        while kept.len() > MAX_TRACESTATE_MEMBERS || len(&kept) > MAX_TRACESTATE_LEN {
            let at = kept
                .iter()
                .rposition(|m| m.len() > LARGE_MEMBER_LEN)
                .unwrap_or(kept.len() - 1);
            kept.remove(at);
        }
        kept
    }

    fn assert_within_limits(header: &TraceStateHeader) -> Result<(), TestCaseError> {
        prop_assert!(header.len() <= MAX_TRACESTATE_MEMBERS);
        prop_assert!(header.as_str().len() <= MAX_TRACESTATE_LEN);
        let mut keys = std::collections::HashSet::new();
        for (k, v) in header.members() {
            prop_assert!(valid_key(k.as_bytes()) && valid_value(v.as_bytes()));
            prop_assert!(keys.insert(k), "duplicate key {}", k);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        // Any header made of valid members, within the limits, is forwarded byte for byte.
        #[test]
        fn valid_headers_round_trip_byte_for_byte(members in valid_members()) {
            let kept = within_limits(&members);
            let header = kept.join(",");
            prop_assert_eq!(ts(&header), header.as_str());
            // Through a request and the client side too.
            let cx = extract_context(&headers(&[header.as_str()]));
            prop_assert_eq!(forwarded_by(&cx), (!header.is_empty()).then_some(header));
        }

        // §3.3 "list": OWS and empty members anywhere change nothing but the separators; several
        // header lines are the same as one.
        #[test]
        fn ows_empty_members_and_line_splits_only_normalise_separators(
            members in valid_members(),
            separators in proptest::collection::vec("[ \t]{0,2},[ \t]{0,2}(,[ \t]{0,2}){0,2}", 40),
            split in any::<proptest::sample::Index>(),
        ) {
            let kept = within_limits(&members);
            let mut header = String::new();
            for (i, member) in kept.iter().enumerate() {
                if i > 0 {
                    header.push_str(&separators[i]);
                }
                header.push_str(member);
            }
            let expected = kept.join(",");
            prop_assert_eq!(ts(&header), expected.as_str());
            // Split into two header lines at a comma.
            let commas: Vec<usize> = header.match_indices(',').map(|(i, _)| i).collect();
            if !commas.is_empty() {
                let at = commas[split.index(commas.len())];
                let lines = [&header[..at], &header[at + 1..]];
                let cx = extract_context(&headers(&lines));
                prop_assert_eq!(
                    forwarded_tracestate(&cx).map(TraceStateHeader::as_str),
                    Some(expected.as_str())
                );
            }
        }

        // Over the limits, members are removed whole, large ones first, then from the end; the
        // survivors keep their order.
        #[test]
        fn over_the_limits_whole_members_are_removed_by_the_spec_order(members in valid_members()) {
            let header = members.join(",");
            let out = parse_tracestate(header.as_bytes());
            assert_within_limits(&out)?;
            prop_assert_eq!(out.as_str(), within_limits(&members).join(","));
        }

        // Duplicates: the first of each key is kept, every other valid member forwarded.
        #[test]
        fn duplicate_keys_keep_the_first(
            pairs in proptest::collection::vec(("[a-c]", "[a-z0-9]{1,3}"), 0..20),
        ) {
            let header = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            let mut seen = std::collections::HashSet::new();
            let expected: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            prop_assert_eq!(ts(&header), expected.join(","));
        }

        // Anything at all: no panic, and what comes out is valid, unique and within the limits,
        // and is a subsequence of what came in.
        #[test]
        fn arbitrary_input_never_panics_and_output_is_valid(
            bytes in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..700),
                "[a-c0-9@=, \t*/_A-]{0,700}".prop_map(String::into_bytes),
            ],
        ) {
            let out = parse_tracestate(&bytes);
            assert_within_limits(&out)?;
            let input: Vec<&[u8]> = bytes.split(|&b| b == b',').map(trim_ows).collect();
            let mut rest = input.iter();
            for member in out.as_str().split(',').filter(|m| !m.is_empty()) {
                prop_assert!(rest.any(|m| *m == member.as_bytes()), "{} not in order", member);
            }
        }
    }
}
