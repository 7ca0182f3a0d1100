//! W3C Trace Context Level 1: parsing and writing `traceparent` and `tracestate`.
//!
//! The layers call these functions directly rather than going through the global
//! `TextMapPropagator`: that saves a lock per request, reads header bytes without requiring
//! UTF-8, and lets us apply the specification's rules exactly:
//!
//! * `traceparent` is `version-traceid-parentid-flags`, lowercase hex only; version `ff` is
//!   invalid; version `00` must be exactly 55 characters; a higher (future) version is parsed
//!   leniently — its first four fields as version `00`, anything after a further `-` ignored;
//!   all-zero trace or parent ids are invalid; only the `sampled` flag is kept.
//! * `tracestate` is kept and forwarded when it is valid (at most 32 list-members, W3C keys and
//!   values, no duplicate keys, several header lines joined); otherwise it is dropped while the
//!   `traceparent` is still honoured.
//! * An invalid `traceparent` (or several of them) means the request starts a new trace.
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

/// The most list-members a `tracestate` may carry (W3C Trace Context §3.3.1).
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

/// Why a `tracestate` value was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceStateError {
    /// More than [`MAX_TRACESTATE_MEMBERS`] list-members.
    #[error("tracestate has more than {MAX_TRACESTATE_MEMBERS} list-members")]
    TooManyMembers,
    /// A list-member is not `key=value` with a W3C key and value.
    #[error("tracestate list-member {0} is not a valid key=value pair")]
    InvalidMember(usize),
    /// The same key appears twice.
    #[error("tracestate key at list-member {0} is a duplicate")]
    DuplicateKey(usize),
    /// The header is not ASCII.
    #[error("tracestate is not ASCII")]
    NotAscii,
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

/// Parses a `tracestate` value (several header lines joined by `,`) by the W3C rules.
///
/// # Errors
/// [`TraceStateError`]: the whole `tracestate` is then dropped, as the specification asks.
pub fn parse_tracestate(value: &[u8]) -> Result<TraceState, TraceStateError> {
    let text = std::str::from_utf8(value)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or(TraceStateError::NotAscii)?;
    let mut members: Vec<(&str, &str)> = Vec::new();
    for (index, member) in text.split(',').enumerate() {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue; // empty list-members are allowed and ignored
        }
        if members.len() == MAX_TRACESTATE_MEMBERS {
            return Err(TraceStateError::TooManyMembers);
        }
        let (key, val) = member
            .split_once('=')
            .filter(|(k, v)| valid_key(k) && valid_value(v))
            .ok_or(TraceStateError::InvalidMember(index))?;
        if members.iter().any(|(k, _)| *k == key) {
            return Err(TraceStateError::DuplicateKey(index));
        }
        members.push((key, val));
    }
    // Our rules are stricter than OpenTelemetry's, so this cannot fail; map it anyway.
    TraceState::from_key_value(members).map_err(|_| TraceStateError::InvalidMember(0))
}

/// The remote span context carried by `headers`, or `None` when there is none or it is invalid
/// (the request then starts a new trace). A valid `traceparent` with an invalid `tracestate`
/// keeps the `traceparent` and drops the `tracestate`.
#[must_use]
pub fn extract(headers: &HeaderMap) -> Option<SpanContext> {
    let mut values = headers.get_all(TRACEPARENT).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None; // several traceparents: no way to tell which is right
    }
    let parent = TraceParent::parse(first.as_bytes()).ok()?;
    let trace_state = tracestate_of(headers);
    Some(SpanContext::new(
        parent.trace_id,
        parent.parent_id,
        parent.flags,
        true,
        trace_state,
    ))
}

fn tracestate_of(headers: &HeaderMap) -> TraceState {
    let mut values = headers.get_all(TRACESTATE).iter();
    let Some(first) = values.next() else {
        return TraceState::NONE;
    };
    let parsed = match values.next() {
        None => parse_tracestate(first.as_bytes()),
        Some(second) => {
            let mut joined = first.as_bytes().to_vec();
            for v in std::iter::once(second).chain(values) {
                joined.push(b',');
                joined.extend_from_slice(v.as_bytes());
            }
            parse_tracestate(&joined)
        }
    };
    parsed.unwrap_or(TraceState::NONE)
}

/// Writes `traceparent` (and `tracestate` when not empty) for `span_context`; does nothing for
/// an invalid context.
pub fn inject_span_context(span_context: &SpanContext, headers: &mut HeaderMap) {
    if !span_context.is_valid() {
        return;
    }
    let bytes = TraceParent::format(span_context);
    if let Ok(value) = HeaderValue::from_bytes(&bytes) {
        headers.insert(TRACEPARENT, value);
    }
    let state = span_context.trace_state().header();
    if state.is_empty() {
        headers.remove(TRACESTATE);
    } else if let Ok(value) = HeaderValue::try_from(state) {
        headers.insert(TRACESTATE, value);
    }
}

/// Injects the current span's context into `headers`, for clients that are not tower services
/// (reqwest, hand-written hyper calls). Inside a request handled by
/// [`ServerLayer`](crate::http::ServerLayer), or any entered `tracing` span, the callee joins
/// the caller's trace.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// its_telemetry::http::inject_context(&mut headers);
/// // Without a current span there is nothing to propagate.
/// assert!(headers.get("traceparent").is_none());
/// ```
pub fn inject_context(headers: &mut HeaderMap) {
    Context::map_current(|cx| inject_span_context(&cx.span().span_context().clone(), headers));
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
        let state = sc.trace_state().header();
        if !state.is_empty() {
            injector.set("tracestate", state);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some(parent) = extractor
            .get("traceparent")
            .and_then(|v| TraceParent::parse(v.as_bytes()).ok())
        else {
            return cx.clone();
        };
        let state = extractor
            .get("tracestate")
            .and_then(|v| parse_tracestate(v.as_bytes()).ok())
            .unwrap_or(TraceState::NONE);
        cx.with_remote_span_context(SpanContext::new(
            parent.trace_id,
            parent.parent_id,
            parent.flags,
            true,
            state,
        ))
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        opentelemetry::propagation::text_map_propagator::FieldIter::new(fields())
    }
}

fn valid_key(key: &str) -> bool {
    let special = |b: u8| matches!(b, b'_' | b'-' | b'*' | b'/');
    let tail_ok = |s: &[u8]| {
        s.iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || special(b))
    };
    let b = key.as_bytes();
    match key.split_once('@') {
        None => {
            // simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
            !b.is_empty() && b.len() <= 256 && b[0].is_ascii_lowercase() && tail_ok(&b[1..])
        }
        Some((tenant, system)) => {
            // tenant-id = ( lcalpha / DIGIT ) 0*240( ... ); system-id = lcalpha 0*13( ... )
            let (t, s) = (tenant.as_bytes(), system.as_bytes());
            !t.is_empty()
                && t.len() <= 241
                && (t[0].is_ascii_lowercase() || t[0].is_ascii_digit())
                && tail_ok(&t[1..])
                && !s.is_empty()
                && s.len() <= 14
                && s[0].is_ascii_lowercase()
                && tail_ok(&s[1..])
        }
    }
}

fn valid_value(value: &str) -> bool {
    // value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
    let b = value.as_bytes();
    let nblk = |c: u8| matches!(c, 0x21..=0x2b | 0x2d..=0x3c | 0x3e..=0x7e);
    !b.is_empty()
        && b.len() <= 256
        && b.last().is_some_and(|&c| nblk(c))
        && b.iter().all(|&c| c == b' ' || nblk(c))
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

    #[test]
    fn tracestate_rules() {
        let ts = parse_tracestate(b"rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,,tenant@vendor=x y")
            .expect("valid");
        assert_eq!(ts.get("rojo"), Some("00f067aa0ba902b7"));
        assert_eq!(ts.get("tenant@vendor"), Some("x y"));
        assert_eq!(
            ts.header(),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant@vendor=x y"
        );

        let members = |n: usize| {
            (0..n)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert!(parse_tracestate(members(32).as_bytes()).is_ok());
        assert_eq!(
            parse_tracestate(members(33).as_bytes()),
            Err(TraceStateError::TooManyMembers)
        );
        for bad in [
            "Upper=1",
            "1abc=1",
            "a=",
            "a=b=c",
            "=b",
            "a",
            "t@=1",
            "t@Vendor=1",
            "t@abcdefghijklmno=1",
        ] {
            assert!(parse_tracestate(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_tracestate(b"a=1,a=2"),
            Err(TraceStateError::DuplicateKey(1))
        );
        assert_eq!(parse_tracestate(b"a=\xff"), Err(TraceStateError::NotAscii));
    }

    #[test]
    fn extract_joins_tracestate_lines_and_drops_a_bad_one() {
        let mut headers = HeaderMap::new();
        headers.insert(TRACEPARENT, HeaderValue::from_static(VALID));
        headers.append(TRACESTATE, HeaderValue::from_static("a=1"));
        headers.append(TRACESTATE, HeaderValue::from_static("b=2"));
        let sc = extract(&headers).expect("valid");
        assert_eq!(sc.trace_state().header(), "a=1,b=2");
        assert!(sc.is_remote() && sc.is_sampled());

        headers.append(TRACESTATE, HeaderValue::from_static("B=3"));
        let sc = extract(&headers).expect("traceparent still valid");
        assert_eq!(sc.trace_state().header(), "");

        headers.append(TRACEPARENT, HeaderValue::from_static(VALID));
        assert!(extract(&headers).is_none(), "two traceparents");
    }

    #[test]
    fn inject_writes_what_extract_reads() {
        let sc = SpanContext::new(
            TraceId::from_bytes([7; 16]),
            SpanId::from_bytes([9; 8]),
            TraceFlags::SAMPLED,
            false,
            parse_tracestate(b"vendor=abc").expect("valid"),
        );
        let mut headers = HeaderMap::new();
        inject_span_context(&sc, &mut headers);
        let back = extract(&headers).expect("round trip");
        assert_eq!(back.trace_id(), sc.trace_id());
        assert_eq!(back.span_id(), sc.span_id());
        assert_eq!(back.trace_state().header(), "vendor=abc");
        let mut empty = HeaderMap::new();
        inject_span_context(&SpanContext::empty_context(), &mut empty);
        assert!(empty.is_empty());
    }

    #[test]
    fn propagator_round_trip() {
        use std::collections::HashMap;
        let mut carrier = HashMap::new();
        carrier.insert("traceparent".to_owned(), VALID.to_owned());
        carrier.insert("tracestate".to_owned(), "a=1".to_owned());
        let p = W3cPropagator::new();
        let cx = p.extract(&carrier);
        let mut out: HashMap<String, String> = HashMap::new();
        p.inject_context(&cx, &mut out);
        assert_eq!(out.get("traceparent").map(String::as_str), Some(VALID));
        assert_eq!(out.get("tracestate").map(String::as_str), Some("a=1"));
        assert_eq!(
            p.fields().collect::<Vec<_>>(),
            ["traceparent", "tracestate"]
        );
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

        #[test]
        fn tracestate_members_round_trip(
            members in proptest::collection::btree_map("[a-z][a-z0-9_*/-]{0,20}", "[!-+\\--<>-~]{1,20}", 0..40),
        ) {
            let header = members.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            let result = parse_tracestate(header.as_bytes());
            if members.len() > MAX_TRACESTATE_MEMBERS {
                prop_assert_eq!(result, Err(TraceStateError::TooManyMembers));
            } else {
                let state = result.expect("valid members");
                prop_assert_eq!(state.header(), header);
            }
        }
    }
}
