//! PII scrubbing of log text: licence plates, e-mails, IP addresses, secrets.
//!
//! The common case, a message with nothing to remove, costs one scan of a
//! combined [`RegexSet`] and no allocation. Only when that scan finds something
//! do the individual patterns run, to learn where each match is and what kind it
//! was, so the marker can say what was removed.

use std::borrow::Cow;
use std::sync::Arc;

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

/// Wraps a pattern in ASCII word boundaries, `(?-u:\b)`.
///
/// A Unicode `\b` (the default) makes the regex engine give up its fast DFA on
/// any line with a non-ASCII character (`Münchner Straße`): measured 250×
/// slower. ASCII boundaries are as good for plates, addresses and keys.
macro_rules! word {
    ($pattern:literal) => {
        concat!(r"(?-u:\b)", $pattern, r"(?-u:\b)")
    };
}

/// Licence-plate patterns used when the configuration does not replace them.
///
/// Uppercase, word-bounded, and shaped so ordinary log text (`HTTP 200`,
/// `GPU0`, `cam-0042`, `v1.2.3`, UUIDs, timestamps) does not match. Add local
/// formats with [`ScrubConfig::plate_patterns`].
pub const DEFAULT_PLATE_PATTERNS: &[&str] = &[
    // United Kingdom since 2001: `AB12 CDE`, `AB12CDE`.
    word!("[A-Z]{2}[0-9]{2} ?[A-Z]{3}"),
    // Germany: district, letters, number, optional E/H suffix: `M-AB 1234`, `LÖ-X 12E`.
    word!("[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} ?[1-9][0-9]{0,3}[EH]?"),
    // France (SIV) and Italy: `AB-123-CD`, `AB 123 CD`, `AB123CD`.
    word!("(?:[A-Z]{2}-[0-9]{3}-[A-Z]{2}|[A-Z]{2} [0-9]{3} [A-Z]{2}|[A-Z]{2}[0-9]{3}[A-Z]{2})"),
    // Netherlands, hyphenated sidecodes 1-14: `AB-12-34`, `12-ABC-3`, `1-ABC-23`, ...
    word!(
        "(?:[A-Z]{2}-[0-9]{2}-[0-9]{2}|[0-9]{2}-[0-9]{2}-[A-Z]{2}|[0-9]{2}-[A-Z]{2}-[0-9]{2}\
         |[A-Z]{2}-[0-9]{2}-[A-Z]{2}|[A-Z]{2}-[A-Z]{2}-[0-9]{2}|[0-9]{2}-[A-Z]{2}-[A-Z]{2}\
         |[0-9]{2}-[A-Z]{3}-[0-9]|[0-9]-[A-Z]{3}-[0-9]{2}|[A-Z]{2}-[0-9]{3}-[A-Z]\
         |[A-Z]-[0-9]{3}-[A-Z]{2}|[A-Z]{3}-[0-9]{2}-[A-Z]|[A-Z]-[0-9]{2}-[A-Z]{3}\
         |[0-9]-[A-Z]{2}-[0-9]{3}|[0-9]{3}-[A-Z]{2}-[0-9])"
    ),
    // United States: California style `7ABC123`.
    word!("[1-9][A-Z]{3}[0-9]{3}"),
    // United States: `ABC-1234`, `ABC1234`.
    word!("[A-Z]{3}-?[0-9]{4}"),
];

/// Field names whose values are replaced entirely, whatever they contain.
///
/// A field matches when its name is one of these, or ends with one after `_`,
/// `.` or `-` (`user.email`, `client_secret`, `http.request.header.authorization`),
/// ignoring ASCII case.
pub const DEFAULT_SENSITIVE_FIELDS: &[&str] = &[
    "plate",
    "licence_plate",
    "license_plate",
    "email",
    "password",
    "token",
    "api_key",
    "authorization",
    "secret",
];

/// Marker written in place of a sensitive field's value.
pub(super) const FIELD_MARKER: &str = "[REDACTED:field]";

/// Plate-shaped words that are standards or advisories, not vehicles
/// (`ISO-8601`, `CVE-2024`, `RFC-3339`).
const NOT_PLATES: &[&str] = &["ISO", "CVE", "RFC"];

/// E-mail addresses.
const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?-u:\b)";

/// Dotted-quad IPv4 addresses, each octet 0-255.
const IPV4: &str = word!(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
);

/// IPv6 addresses: the full eight groups, or a `::`-compressed form.
/// Candidates are checked further by [`plausible_ipv6`].
const IPV6: &str = r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?";

/// JSON Web Tokens: base64url header (always `{"` → `eyJ`), payload, signature.
const JWT: &str = r"(?-u:\b)eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*";

/// Well-known API key shapes: OpenAI/Anthropic `sk-`, Stripe, AWS access keys,
/// GitHub, GitLab, Slack and Google keys.
const KEY_SHAPES: &str = word!(
    r"(?:sk-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})"
);

/// `Bearer <token>`; only the token is removed.
const BEARER: &str = r"(?-u:\b)(?:[Bb]earer|BEARER)\s+([A-Za-z0-9._~+/-]{8,}=*)";

/// `Authorization: Basic <credentials>`; only the credentials are removed.
/// Needs the header name, so "Basic authentication failed" stays.
const BASIC_AUTH: &str = r#"(?i:authorization)["']?\s*[:=]\s*["']?Basic\s+([A-Za-z0-9+/]+=*)"#;

/// `api_key=…`, `token: …`, `"password": "hunter 2"` and similar; only the
/// value (quoted, or up to a space or separator) is removed.
const KEY_VALUE_SECRET: &str = r#"(?i)(?-u:\b)[a-z0-9_.-]*(?:api[_-]?key|apikey|token|secret|password|passwd|pwd|credentials?)["']?\s*[:=]\s*(?:"([^"]*)"|'([^']*)'|([^\s"',;&]+))"#;

/// The patterns every enabled scrubber applies, before the configured ones.
///
/// Order matters only where matches start at the same place: secrets first, so
/// a token is never half-removed as something else.
const BUILT_IN: &[(Kind, &str, Replace, Check)] = &[
    (Kind::Token, JWT, Replace::Match, Check::None),
    (Kind::Token, KEY_SHAPES, Replace::Match, Check::None),
    (Kind::Token, BEARER, Replace::Value, Check::None),
    (Kind::Token, BASIC_AUTH, Replace::Value, Check::None),
    (Kind::Token, KEY_VALUE_SECRET, Replace::Value, Check::None),
    (Kind::Email, EMAIL, Replace::Match, Check::None),
    (Kind::Ip, IPV6, Replace::Match, Check::Ipv6),
    (Kind::Ip, IPV4, Replace::Match, Check::None),
];

/// Why a scrubber could not be built from a [`ScrubConfig`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScrubPatternError {
    /// One configured pattern is not a valid regular expression.
    #[error("scrub config `{field}` is not a valid regex ({pattern:?}); fix or remove it: {error}")]
    InvalidPattern {
        /// Where the pattern came from, e.g. `plate_patterns[3]`.
        field: String,
        /// The pattern as configured.
        pattern: String,
        /// What the regex parser said.
        error: regex::Error,
    },
    /// A configured pattern matches the empty string, so it would match everywhere.
    #[error(
        "scrub config `{field}` ({pattern:?}) matches empty text; require at least one character"
    )]
    MatchesEmpty {
        /// Where the pattern came from, e.g. `extra_patterns[0]`.
        field: String,
        /// The pattern as configured.
        pattern: String,
    },
    /// Every pattern is valid, but together they exceed the regex size limit.
    #[error("scrub patterns are too large to combine; use fewer or simpler patterns: {error}")]
    TooLarge {
        /// What the regex compiler said.
        error: regex::Error,
    },
}

/// What to scrub from log output. Scrubbing is on by default.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubConfig {
    /// Off only where logs never leave a trusted place; plates are personal data.
    pub enabled: bool,
    /// Licence-plate regexes, replaced with `[REDACTED:plate]`.
    /// Defaults to [`DEFAULT_PLATE_PATTERNS`]; set it to add local formats.
    ///
    /// Write word boundaries as `(?-u:\b)`, as the defaults do: one Unicode
    /// `\b` makes every line with non-ASCII text hundreds of times slower to scan.
    pub plate_patterns: Vec<String>,
    /// Site-specific regexes (operator ids, addresses), replaced with
    /// `[REDACTED:custom]`. Same advice on `\b` as for `plate_patterns`.
    pub extra_patterns: Vec<String>,
    /// Field names whose values are replaced entirely with `[REDACTED:field]`.
    /// Defaults to [`DEFAULT_SENSITIVE_FIELDS`], which explains the matching.
    pub sensitive_fields: Vec<String>,
}

impl Default for ScrubConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            plate_patterns: DEFAULT_PLATE_PATTERNS
                .iter()
                .map(|p| p.to_string())
                .collect(),
            extra_patterns: Vec::new(),
            sensitive_fields: DEFAULT_SENSITIVE_FIELDS
                .iter()
                .map(|f| f.to_string())
                .collect(),
        }
    }
}

/// What a match was, which picks the marker written in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Token,
    Email,
    Ip,
    Plate,
    Custom,
}

impl Kind {
    fn marker(self) -> &'static str {
        match self {
            Kind::Token => "[REDACTED:token]",
            Kind::Email => "[REDACTED:email]",
            Kind::Ip => "[REDACTED:ip]",
            Kind::Plate => "[REDACTED:plate]",
            Kind::Custom => "[REDACTED:custom]",
        }
    }
}

/// Which part of a match is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replace {
    /// The whole match.
    Match,
    /// The first capture group that took part, keeping labels such as
    /// `Bearer ` or `api_key=` readable.
    Value,
}

/// A check a regex cannot express (the `regex` crate has no look-around).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    Ipv6,
    Plate,
}

/// A removed byte range of the input, and what it was.
type Span = (usize, usize, Kind);

/// One pattern of the scrubber.
#[derive(Debug)]
struct Rule {
    kind: Kind,
    regex: Regex,
    replace: Replace,
    check: Check,
}

impl Rule {
    /// Appends the ranges this rule removes from `input`.
    fn find_spans(&self, input: &str, spans: &mut Vec<Span>) {
        if self.replace == Replace::Value {
            for caps in self.regex.captures_iter(input) {
                if let Some(value) = caps.iter().skip(1).flatten().next()
                    && !value.is_empty()
                {
                    spans.push((value.start(), value.end(), self.kind));
                }
            }
            return;
        }

        let mut at = 0;
        while let Some(m) = self.regex.find_at(input, at) {
            if !m.is_empty() && self.accepts(input, m.start(), m.end()) {
                spans.push((m.start(), m.end(), self.kind));
                at = m.end();
            } else {
                // Look again one character further on.
                match input[m.start()..].chars().next() {
                    Some(c) => at = m.start() + c.len_utf8(),
                    None => break,
                }
            }
        }
    }

    fn accepts(&self, input: &str, start: usize, end: usize) -> bool {
        match self.check {
            Check::None => true,
            Check::Ipv6 => plausible_ipv6(input, start, end),
            Check::Plate => !NOT_PLATES.iter().any(|p| input[start..end].starts_with(p)),
        }
    }
}

/// Rejects `::`-compressed look-alikes: Rust paths (`crate::db::add`),
/// `dead::beef`, a bare `::`. A real address stands alone and has a digit.
fn plausible_ipv6(input: &str, start: usize, end: usize) -> bool {
    let joined = |c: char| c.is_alphanumeric() || c == '_' || c == ':' || c == '.';
    let before_ok = !input[..start].chars().next_back().is_some_and(joined);
    let after_ok = !input[end..].chars().next().is_some_and(joined);
    before_ok && after_ok && input[start..end].bytes().any(|b| b.is_ascii_digit())
}

#[derive(Debug)]
struct Inner {
    /// Every rule's pattern, in rule order: one scan says whether any matched.
    any: RegexSet,
    rules: Vec<Rule>,
    sensitive_fields: Vec<String>,
}

/// Removes personal data and secrets from log text before it is written.
///
/// Cheap to clone (shared). Build one from a [`ScrubConfig`] at start-up.
///
/// ```
/// use its_telemetry::logs::{ScrubConfig, Scrubber};
///
/// let scrubber = Scrubber::new(&ScrubConfig::default()).expect("default patterns are valid");
/// assert_eq!(
///     scrubber.scrub("plate AB12 CDE seen by cam-0042, mail ops@example.com"),
///     "plate [REDACTED:plate] seen by cam-0042, mail [REDACTED:email]"
/// );
/// assert!(scrubber.is_sensitive_field("client_secret"));
/// ```
#[derive(Debug, Clone)]
pub struct Scrubber {
    inner: Option<Arc<Inner>>,
}

impl Scrubber {
    /// Compiles the configured patterns, so a bad pattern fails start-up
    /// rather than letting data through.
    ///
    /// A disabled config gives [`Scrubber::disabled`] without compiling anything.
    ///
    /// # Errors
    ///
    /// [`ScrubPatternError`] names the first bad pattern (`plate_patterns[3]`,
    /// `extra_patterns[0]`) and what is wrong with it.
    pub fn new(config: &ScrubConfig) -> Result<Self, ScrubPatternError> {
        if !config.enabled {
            return Ok(Self::disabled());
        }

        let built_in = BUILT_IN.iter().map(|&(kind, pattern, replace, check)| {
            Rule::compile(kind, pattern, replace, check, || {
                "built-in patterns".to_owned()
            })
        });
        let plates = config
            .plate_patterns
            .iter()
            .enumerate()
            .map(|(i, pattern)| {
                Rule::compile(Kind::Plate, pattern, Replace::Match, Check::Plate, || {
                    format!("plate_patterns[{i}]")
                })
            });
        let extras = config
            .extra_patterns
            .iter()
            .enumerate()
            .map(|(i, pattern)| {
                Rule::compile(Kind::Custom, pattern, Replace::Match, Check::None, || {
                    format!("extra_patterns[{i}]")
                })
            });
        let rules = built_in
            .chain(plates)
            .chain(extras)
            .collect::<Result<Vec<_>, _>>()?;

        let any = RegexSet::new(rules.iter().map(|rule| rule.regex.as_str()))
            .map_err(|error| ScrubPatternError::TooLarge { error })?;
        let sensitive_fields = config.sensitive_fields.clone();
        Ok(Self {
            inner: Some(Arc::new(Inner {
                any,
                rules,
                sensitive_fields,
            })),
        })
    }

    /// A scrubber that leaves everything as it is, for trusted sinks and tests.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Whether this scrubber removes anything at all.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Returns `input` with every match replaced by a `[REDACTED:kind]` marker.
    ///
    /// Borrows `input`, allocating nothing, when there is nothing to remove.
    pub fn scrub<'a>(&self, input: &'a str) -> Cow<'a, str> {
        let Some(inner) = &self.inner else {
            return Cow::Borrowed(input);
        };
        if !inner.any.is_match(input) {
            return Cow::Borrowed(input);
        }

        let mut spans = Vec::new();
        for index in inner.any.matches(input).iter() {
            if let Some(rule) = inner.rules.get(index) {
                rule.find_spans(input, &mut spans);
            }
        }
        if spans.is_empty() {
            return Cow::Borrowed(input);
        }
        Cow::Owned(replace_spans(input, spans))
    }

    /// Whether the value of a field with this name must be replaced entirely
    /// (`[REDACTED:field]`), whatever it looks like. See
    /// [`DEFAULT_SENSITIVE_FIELDS`] for how names match.
    pub fn is_sensitive_field(&self, name: &str) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        inner.sensitive_fields.iter().any(|sensitive| {
            let Some(split) = name.len().checked_sub(sensitive.len()) else {
                return false;
            };
            name.is_char_boundary(split)
                && name[split..].eq_ignore_ascii_case(sensitive)
                && (split == 0 || name[..split].ends_with(['_', '.', '-']))
        })
    }
}

impl Rule {
    fn compile(
        kind: Kind,
        pattern: &str,
        replace: Replace,
        check: Check,
        field: impl Fn() -> String,
    ) -> Result<Self, ScrubPatternError> {
        let regex = Regex::new(pattern).map_err(|error| ScrubPatternError::InvalidPattern {
            field: field(),
            pattern: pattern.to_owned(),
            error,
        })?;
        if regex.is_match("") {
            // It would send every line down the slow path and mark nothing.
            return Err(ScrubPatternError::MatchesEmpty {
                field: field(),
                pattern: pattern.to_owned(),
            });
        }
        Ok(Self {
            kind,
            regex,
            replace,
            check,
        })
    }
}

/// Writes `input` with each span replaced by its marker. Overlapping spans
/// are merged, so nothing leaks between them; the first span decides the
/// marker (the longest at a position, then rule order).
fn replace_spans(input: &str, mut spans: Vec<Span>) -> String {
    spans.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));

    let mut out = String::with_capacity(input.len() + 16 * spans.len());
    let mut copied = 0; // `input[..copied]` is written or replaced.
    for (start, end, kind) in spans {
        if start >= copied {
            out.push_str(&input[copied..start]);
            out.push_str(kind.marker());
            copied = end;
        } else if end > copied {
            copied = end; // Overlaps the previous span: extend it.
        }
    }
    out.push_str(&input[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubber() -> &'static Scrubber {
        static DEFAULT: std::sync::LazyLock<Scrubber> = std::sync::LazyLock::new(|| {
            Scrubber::new(&ScrubConfig::default()).expect("default patterns compile")
        });
        &DEFAULT
    }

    /// Asserts that `secret` is gone from the scrubbed `input` and `marker` is there.
    #[track_caller]
    fn assert_removed(input: &str, secret: &str, marker: &str) {
        let out = scrubber().scrub(input);
        assert!(!out.contains(secret), "{secret:?} survived in {out:?}");
        assert!(out.contains(marker), "no {marker} in {out:?}");
    }

    #[track_caller]
    fn assert_untouched(input: &str) {
        let out = scrubber().scrub(input);
        assert!(
            matches!(out, Cow::Borrowed(_)),
            "{input:?} was changed to {out:?}"
        );
    }

    #[test]
    fn removes_plates_of_several_countries() {
        for plate in [
            "AB12 CDE",
            "AB12CDE",
            "M-AB 1234",
            "HH-X 12E",
            "AB-123-CD",
            "AB 123 CD",
            "12-ABC-3",
            "1-ABC-23",
            "AB-12-CD",
            "XX-99-99",
            "7ABC123",
            "ABC-1234",
            "ABC1234",
        ] {
            let input = format!("vehicle {plate} entered zone 3");
            let out = scrubber().scrub(&input);
            assert_eq!(
                out, "vehicle [REDACTED:plate] entered zone 3",
                "plate {plate:?}"
            );
        }
    }

    #[test]
    fn removes_emails() {
        assert_removed(
            "mail jane.doe+ops@example.co.uk now",
            "jane.doe",
            "[REDACTED:email]",
        );
        assert_removed("to=ops@its.example", "ops@its", "[REDACTED:email]");
    }

    #[test]
    fn removes_ipv4() {
        assert_eq!(
            scrubber().scrub("peer 192.168.10.42:8080 closed"),
            "peer [REDACTED:ip]:8080 closed"
        );
        assert_removed("from 8.8.8.8", "8.8.8.8", "[REDACTED:ip]");
    }

    #[test]
    fn removes_ipv6_full_and_compressed() {
        for ip in [
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:db8::1",
            "fe80::1ff:fe23:4567:890a",
            "::1",
            "2001:db8:0:0:1::",
        ] {
            let input = format!("client {ip} connected");
            let out = scrubber().scrub(&input);
            assert_eq!(out, "client [REDACTED:ip] connected", "address {ip:?}");
        }
        assert_eq!(
            scrubber().scrub("at [2001:db8::7]:443"),
            "at [[REDACTED:ip]]:443"
        );
        assert_eq!(
            scrubber().scrub("mapped ::ffff:10.1.2.3"),
            "mapped ::ffff:[REDACTED:ip]"
        );
    }

    #[test]
    fn removes_tokens_and_keeps_the_label() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(
            scrubber().scrub(&format!("jwt {jwt} ok")),
            "jwt [REDACTED:token] ok"
        );
        assert_eq!(
            scrubber().scrub("Authorization: Bearer abc.DEF-123_xyz~="),
            "Authorization: Bearer [REDACTED:token]"
        );
        assert_eq!(
            scrubber().scrub("api_key=s3cr3tValue&x=1"),
            "api_key=[REDACTED:token]&x=1"
        );
        assert_eq!(scrubber().scrub("token: abc123"), "token: [REDACTED:token]");
        assert_eq!(
            scrubber().scrub("authorization: Basic dXNlcjpwYXNz"),
            "authorization: Basic [REDACTED:token]"
        );
        assert_eq!(
            scrubber().scrub(r#"{"password": "hunter2"}"#),
            r#"{"password": "[REDACTED:token]"}"#
        );
        assert_eq!(
            scrubber().scrub(r#"password="hunter 2" user=ops"#),
            r#"password="[REDACTED:token]" user=ops"#
        );
        assert_eq!(
            scrubber().scrub("csrf_token=zz9"),
            "csrf_token=[REDACTED:token]"
        );
        for key in [
            "sk-proj-abcdefghijklmnopqrstuvwx",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ] {
            assert_removed(
                &format!("using key {key} for upload"),
                key,
                "[REDACTED:token]",
            );
        }
    }

    #[test]
    fn leaves_ordinary_log_text_alone() {
        for text in [
            "HTTP 200",
            "GET /api/v1/frames HTTP/1.1 200 OK",
            "GPU0 at 71 C",
            "camera cam-0042 reconnected",
            "model v1.2.3 loaded",
            "request 550e8400-e29b-41d4-a716-446655440000",
            "request 550E8400-E29B-41D4-A716-446655440000",
            "at 2026-11-26T13:02:51.123456Z",
            "tick at 13:02:51",
            "trace 4bf92f3577b34da6a3ce929d0e0e4736",
            "in its_telemetry::logs::layer and crate::db::add",
            "dead::beef",
            "timestamps are ISO-8601, see RFC 3339",
            "max_tokens=512",
            "batch of 32 frames in 41.5 ms, p95=88ms",
            "H264 stream 1920x1080 @ 25 fps",
            "Basic authentication failed",
            "Straße 12, Münchner Freiheit",
            "",
        ] {
            assert_untouched(text);
        }
    }

    #[test]
    fn replaces_every_match_and_keeps_the_rest() {
        let out = scrubber().scrub("AB12 CDE and ops@example.com from 10.0.0.1, then M-AB 1234");
        assert_eq!(
            out,
            "[REDACTED:plate] and [REDACTED:email] from [REDACTED:ip], then [REDACTED:plate]"
        );
    }

    #[test]
    fn word_boundaries_are_ascii_so_non_ascii_lines_stay_fast() {
        let built_in = BUILT_IN.iter().map(|rule| rule.1);
        for pattern in built_in.chain(DEFAULT_PLATE_PATTERNS.iter().copied()) {
            let unicode_boundaries = pattern.replace(r"(?-u:\b)", "");
            assert!(
                !unicode_boundaries.contains(r"\b"),
                "Unicode \\b in {pattern}"
            );
        }
        let out = scrubber().scrub("Kamera Münchner Straße: AB12 CDE, Grüße an ops@example.com");
        assert_eq!(
            out,
            "Kamera Münchner Straße: [REDACTED:plate], Grüße an [REDACTED:email]"
        );
    }

    #[test]
    fn extra_patterns_use_the_custom_marker() {
        let config = ScrubConfig {
            extra_patterns: vec![r"\bOP-[0-9]{5}\b".into()],
            ..ScrubConfig::default()
        };
        let scrubber = Scrubber::new(&config).expect("valid pattern");
        assert_eq!(
            scrubber.scrub("operator OP-12345 logged in"),
            "operator [REDACTED:custom] logged in"
        );
    }

    #[test]
    fn invalid_pattern_names_the_field() {
        let mut config = ScrubConfig::default();
        config.plate_patterns.push("[A-Z".into());
        let index = config.plate_patterns.len() - 1;
        let err = Scrubber::new(&config).expect_err("unclosed class");
        let ScrubPatternError::InvalidPattern { field, pattern, .. } = &err else {
            panic!("unexpected error {err:?}");
        };
        assert_eq!(field, &format!("plate_patterns[{index}]"));
        assert_eq!(pattern, "[A-Z");
        assert!(
            err.to_string()
                .contains(&format!("plate_patterns[{index}]"))
        );

        let config = ScrubConfig {
            extra_patterns: vec!["(".into()],
            ..ScrubConfig::default()
        };
        let err = Scrubber::new(&config).expect_err("unclosed group");
        assert!(err.to_string().contains("extra_patterns[0]"), "{err}");

        let config = ScrubConfig {
            extra_patterns: vec![r"\bOK\b".into(), "[0-9]*".into()],
            ..ScrubConfig::default()
        };
        let err = Scrubber::new(&config).expect_err("matches empty text");
        assert!(
            matches!(&err, ScrubPatternError::MatchesEmpty { field, .. } if field == "extra_patterns[1]"),
            "{err:?}"
        );
    }

    #[test]
    fn sensitive_field_names() {
        let s = scrubber();
        for name in [
            "plate",
            "Licence_Plate",
            "email",
            "user.email",
            "http.request.header.authorization",
            "API_KEY",
            "client_secret",
            "access_token",
            "db-password",
        ] {
            assert!(s.is_sensitive_field(name), "{name}");
        }
        for name in [
            "camera_id",
            "frames",
            "plates_seen",
            "emailed",
            "max_tokens",
            "xtoken",
            "",
        ] {
            assert!(!s.is_sensitive_field(name), "{name}");
        }
    }

    #[test]
    fn disabled_scrubber_changes_nothing() {
        let config = ScrubConfig {
            enabled: false,
            ..ScrubConfig::default()
        };
        for s in [
            Scrubber::disabled(),
            Scrubber::new(&config).expect("disabled"),
        ] {
            assert!(!s.is_enabled());
            assert_eq!(
                s.scrub("AB12 CDE ops@example.com"),
                "AB12 CDE ops@example.com"
            );
            assert!(!s.is_sensitive_field("password"));
        }
    }

    #[test]
    fn config_deserializes_with_defaults_and_rejects_unknown_fields() {
        let config: ScrubConfig =
            serde_json::from_str(r#"{"extra_patterns": ["x"]}"#).expect("partial config");
        assert!(config.enabled);
        assert_eq!(config.plate_patterns.len(), DEFAULT_PLATE_PATTERNS.len());
        assert_eq!(config.extra_patterns, ["x"]);
        assert!(serde_json::from_str::<ScrubConfig>(r#"{"enable": false}"#).is_err());
    }
}
