//! The scrubber: one pass over a text, every match replaced by a marker naming what it was.
//!
//! The common case, a text with nothing to remove, costs one pass over its bytes and one
//! keyword scan ([`Need`]: digits for numbers and plates, `@` for e-mail, `eyJ` for JWTs,
//! `authorization`, `key`, `token`… for labelled secrets), no regex and no allocation. Only
//! the rules whose pre-check passes run their regex, to learn where each match is and what
//! kind it was, and their candidates are checked ([`Check`]) before anything is removed.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

use super::fields::{DEFAULT_SENSITIVE_FIELDS, FieldNames};
use aho_corasick::AhoCorasick;
use memo::Table;

use super::patterns::{self, Check, DEFAULT_PLATE_PATTERNS, Gate, Need, TextFacts};

/// Marker written in place of a sensitive field's value.
pub(crate) const FIELD_MARKER: &str = "[REDACTED:field]";

/// The patterns every enabled scrubber applies, before the configured ones.
///
/// Order matters only where matches start at the same place: secrets first, so
/// a token is never half-removed as something else.
const BUILT_IN: &[(Kind, &str, Replace, Check, Gate, Need)] = &[
    (
        Kind::Token,
        patterns::PEM_PRIVATE_KEY,
        Replace::Match,
        Check::None,
        Gate::Always,
        Need::Keyword(&["-----begin"]),
    ),
    (
        Kind::Token,
        patterns::JWT,
        Replace::Match,
        Check::None,
        Gate::Always,
        Need::Keyword(&["eyj"]),
    ),
    (
        Kind::Token,
        patterns::KEY_SHAPES,
        Replace::Match,
        Check::None,
        Gate::Always,
        Need::Keyword(patterns::KEY_SHAPE_WORDS),
    ),
    (
        Kind::Token,
        patterns::AWS_SECRET,
        Replace::Value,
        Check::AwsSecret,
        Gate::Digit,
        Need::LongRun,
    ),
    (
        Kind::Token,
        patterns::AUTH_HEADER,
        Replace::Value,
        Check::Value,
        Gate::Always,
        Need::Keyword(&["authorization"]),
    ),
    (
        Kind::Token,
        patterns::AUTH_HEADER_BARE,
        Replace::Value,
        Check::Secret,
        Gate::Always,
        Need::Keyword(&["authorization"]),
    ),
    (
        Kind::Token,
        patterns::AUTH_SCHEME,
        Replace::Value,
        Check::Secret,
        Gate::Always,
        Need::Keyword(patterns::AUTH_SCHEME_WORDS),
    ),
    (
        Kind::Token,
        patterns::COOKIE,
        Replace::Value,
        Check::Value,
        Gate::Always,
        Need::Keyword(&["cookie"]),
    ),
    (
        Kind::Token,
        patterns::KEY_VALUE_SECRET,
        Replace::Value,
        Check::Value,
        Gate::Always,
        Need::KeywordAndSeparator(patterns::KEY_VALUE_WORDS),
    ),
    (
        Kind::Token,
        patterns::URL_QUERY_SECRET,
        Replace::Value,
        Check::Value,
        Gate::Always,
        Need::KeywordAndEquals(patterns::URL_QUERY_WORDS),
    ),
    (
        Kind::Token,
        patterns::URL_USERINFO,
        Replace::Value,
        Check::Value,
        Gate::Always,
        Need::Keyword(&["://"]),
    ),
    (
        Kind::Plate,
        patterns::PLATE_LABELLED,
        Replace::Value,
        Check::Value,
        Gate::Always,
        Need::KeywordAndSeparator(patterns::PLATE_LABEL_WORDS),
    ),
    (
        Kind::Email,
        patterns::EMAIL,
        Replace::Match,
        Check::Email,
        Gate::At,
        Need::Keyword(&["@", "%40"]),
    ),
    (
        Kind::Ip,
        patterns::IPV6,
        Replace::Match,
        Check::Ipv6,
        Gate::Digit,
        Need::Colons,
    ),
    (
        Kind::Ip,
        patterns::IPV4,
        Replace::Match,
        Check::Ipv4,
        Gate::Digit,
        Need::DottedQuad,
    ),
    (
        Kind::Card,
        patterns::CARD,
        Replace::Match,
        Check::Card,
        Gate::Digit,
        Need::Digits(13),
    ),
    (
        Kind::Phone,
        patterns::PHONE_E164,
        Replace::Match,
        Check::Phone,
        Gate::Digit,
        Need::PlusAndDigits(7),
    ),
    (
        Kind::Phone,
        patterns::PHONE_NANP,
        Replace::Match,
        Check::Phone,
        Gate::Digit,
        Need::Digits(10),
    ),
    (
        Kind::Phone,
        patterns::PHONE_TRUNK,
        Replace::Match,
        Check::Phone,
        Gate::Digit,
        Need::Digits(6),
    ),
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
    /// The built-in keyword pre-check could not be built (a size limit of the automaton).
    #[error("scrubber keyword pre-check could not be built; report this as a bug: {error}")]
    Keywords {
        /// What the automaton builder said.
        error: String,
    },
    /// Every pattern is valid, but together they exceed the regex size limit.
    #[error("scrub patterns are too large to combine; use fewer or simpler patterns: {error}")]
    TooLarge {
        /// What the regex compiler said.
        error: regex::Error,
    },
}

/// What to scrub from every signal: log lines, span names, attributes and events, and
/// exported log records. Scrubbing is on by default.
///
/// It lives in the configuration as `logs.scrub` (its historical place) but applies to traces
/// as well: one privacy filter for every signal.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubConfig {
    /// Off only where telemetry never leaves a trusted place; plates are personal data.
    pub enabled: bool,
    /// Licence-plate regexes, replaced with `[REDACTED:plate]`.
    /// Defaults to [`DEFAULT_PLATE_PATTERNS`], which documents each format; set it to replace
    /// them, or add local formats to the defaults.
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
    /// More sensitive field names, added to `sensitive_fields` (so the defaults stay).
    pub extra_field_names: Vec<String>,
    /// Values never removed, however they look: each entry is a regex that must match a
    /// whole would-be match (`CAM-[0-9]{4}`, `SEG-[A-Z]{2}[0-9]{2}`); a plain value without
    /// regex metacharacters matches itself (`RTX A6000`). Field-name redaction is not affected.
    pub allow: Vec<String>,
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
            extra_field_names: Vec::new(),
            allow: Vec::new(),
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
    Card,
    Phone,
    Custom,
}

impl Kind {
    fn marker(self) -> &'static str {
        match self {
            Kind::Token => "[REDACTED:token]",
            Kind::Email => "[REDACTED:email]",
            Kind::Ip => "[REDACTED:ip]",
            Kind::Plate => "[REDACTED:plate]",
            Kind::Card => "[REDACTED:card]",
            Kind::Phone => "[REDACTED:phone]",
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
    fn find_spans(&self, input: &str, allow: Option<&RegexSet>, spans: &mut Vec<Span>) {
        let keep = |start: usize, end: usize| {
            let text = &input[start..end];
            // Already a marker: scrubbing twice changes nothing.
            text.starts_with("[REDACTED:")
                || !self.check.accepts(input, start, end)
                || allow.is_some_and(|allow| allow.is_match(text))
        };
        if self.replace == Replace::Value {
            for caps in self.regex.captures_iter(input) {
                if let Some(value) = caps.iter().skip(1).flatten().next() {
                    // A value that begins with a marker (`Cookie: [REDACTED:ip] rest`): what
                    // follows the marker is still the value.
                    let start = value.end() - skip_markers(value.as_str()).len();
                    if start < value.end() && !keep(start, value.end()) {
                        spans.push((start, value.end(), self.kind));
                    }
                }
            }
            return;
        }

        let mut at = 0;
        while let Some(m) = self.regex.find_at(input, at) {
            if !m.is_empty() && !keep(m.start(), m.end()) {
                spans.push((m.start(), m.end(), self.kind));
                at = m.end();
            } else if let Some(after_at) = self.rejected_email_at(input, m.start(), m.end()) {
                // Every candidate starting in this address's local part ends in the same
                // domain and is rejected the same way: look again after its `@`. One search
                // instead of one per character (`yolov8n@fp16.engine`: 8 searches, 2 now).
                at = after_at;
            } else {
                // Look again one character further on.
                match input[m.start()..].chars().next() {
                    Some(c) => at = m.start() + c.len_utf8(),
                    None => break,
                }
            }
        }
    }

    /// For the e-mail rule, where `input[start..end]` has an `@` and was rejected by its
    /// check (not by the allow-list, which judges each candidate's text): the byte after the
    /// `@`. Not for `%40`: a later start can skip the first `%40` and see another domain.
    fn rejected_email_at(&self, input: &str, start: usize, end: usize) -> Option<usize> {
        if self.check != Check::Email || self.check.accepts(input, start, end) {
            return None;
        }
        input[start..end].find('@').map(|i| start + i + 1)
    }

    fn compile(
        kind: Kind,
        pattern: &str,
        replace: Replace,
        check: Check,
        field: impl Fn() -> String,
    ) -> Result<Self, ScrubPatternError> {
        let regex = compile_one(pattern, &field)?;
        Ok(Self {
            kind,
            regex,
            replace,
            check,
        })
    }
}

fn compile_one(pattern: &str, field: &impl Fn() -> String) -> Result<Regex, ScrubPatternError> {
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
    Ok(regex)
}

/// Rules that run together when their pre-check passes: one built-in rule, or a list of
/// plate or configured patterns behind one combined scan.
#[derive(Debug)]
struct Stage {
    /// What a text needs before these rules are worth running.
    need: Need,
    /// The combined scan, for more than one rule: one pass tells which of them match.
    any: Option<RegexSet>,
    rules: Vec<Rule>,
}

impl Stage {
    fn new(need: Need, rules: Vec<Rule>) -> Result<Self, ScrubPatternError> {
        let any = if rules.len() > 1 {
            Some(
                RegexSet::new(rules.iter().map(|rule| rule.regex.as_str()))
                    .map_err(|error| ScrubPatternError::TooLarge { error })?,
            )
        } else {
            None
        };
        Ok(Self { need, any, rules })
    }

    fn find_spans(&self, input: &str, allow: Option<&RegexSet>, spans: &mut Vec<Span>) {
        match &self.any {
            None => {
                for rule in &self.rules {
                    rule.find_spans(input, allow, spans);
                }
            }
            Some(any) => {
                for index in any.matches(input).iter() {
                    if let Some(rule) = self.rules.get(index) {
                        rule.find_spans(input, allow, spans);
                    }
                }
            }
        }
    }
}

/// Passes after the first one that removed something; see [`Scrubber::scrub`].
const MAX_PASSES: usize = 4;

/// Most stages a scrubber has: the built-in rules, the configured plate patterns, the
/// configured extra patterns and the default plates (a bit each in [`Inner::scrub_once`]).
const MAX_STAGES: usize = 64;

/// Ids of scrubbers, for [`memo`]: an address could be reused by a later scrubber
/// with another configuration, an id is not.
static NEXT_SCRUBBER_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug)]
struct Inner {
    /// This scrubber's key in [`memo`].
    id: u64,
    /// In the order their matches win ties: secrets first, then configured patterns, then
    /// numbers and plates, then e-mail.
    stages: Vec<Stage>,
    /// Every stage's keywords (ASCII case-insensitive), for one scan of a text.
    keywords: AhoCorasick,
    /// The stage each keyword belongs to, by pattern id.
    keyword_stage: Vec<usize>,
    /// Anchored allow-list patterns, if any.
    allow: Option<RegexSet>,
    fields: FieldNames,
}

impl Inner {
    /// One pass: the text with every match replaced, or `None` when nothing matched.
    ///
    /// Text that cannot match costs one pass over its bytes ([`TextFacts`]) and one keyword
    /// scan, no regex: before these pre-checks every text went through a combined scan of
    /// all patterns, measured at 0.5-1 µs for a 30-byte camera log message.
    fn scrub_once(&self, input: &str) -> Option<String> {
        self.scrub_once_checked(input, true)
    }

    /// [`Inner::scrub_once`], or with `prechecks` off every stage's regex runs (for the test
    /// that the pre-checks never skip a match).
    fn scrub_once_checked(&self, input: &str, prechecks: bool) -> Option<String> {
        let facts = TextFacts::of(input.as_bytes());
        let mut keyword_found = 0u64;
        for found in self.keywords.find_overlapping_iter(input) {
            keyword_found |= 1 << self.keyword_stage[found.pattern().as_usize()];
        }

        let allow = self.allow.as_ref();
        let mut spans = Vec::new();
        for (i, stage) in self.stages.iter().enumerate() {
            if !prechecks || stage.need.holds(&facts, keyword_found & (1 << i) != 0) {
                stage.find_spans(input, allow, &mut spans);
            }
        }
        if spans.is_empty() {
            return None;
        }
        Some(replace_spans(input, spans))
    }
}

/// Removes personal data and secrets from telemetry text before it leaves the process.
///
/// Cheap to clone (shared). Build one from a [`ScrubConfig`] at start-up; the log layer, the
/// span processor and the OTLP log exporter all use the same one.
///
/// ```
/// use its_telemetry::logs::{ScrubConfig, Scrubber};
///
/// let scrubber = Scrubber::new(&ScrubConfig::default()).expect("default patterns are valid");
/// assert_eq!(
///     scrubber.scrub("plate ab12cde seen by CAM-0042, mail ops%40example.com"),
///     "plate [REDACTED:plate] seen by CAM-0042, mail [REDACTED:email]"
/// );
/// assert_eq!(scrubber.scrub("listening on 0.0.0.0:9464"), "listening on 0.0.0.0:9464");
/// assert!(scrubber.is_sensitive_field("plateNumber"));
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
    /// `extra_patterns[0]`, `allow[1]`) and what is wrong with it.
    pub fn new(config: &ScrubConfig) -> Result<Self, ScrubPatternError> {
        if !config.enabled {
            return Ok(Self::disabled());
        }

        let (mut text, mut digit, mut at) = (Vec::new(), Vec::new(), Vec::new());
        for &(kind, pattern, replace, check, gate, need) in BUILT_IN {
            let rule = Rule::compile(kind, pattern, replace, check, || {
                "built-in patterns".to_owned()
            })?;
            let stage = Stage::new(need, vec![rule])?;
            match gate {
                Gate::Always => text.push(stage),
                Gate::Digit => digit.push(stage),
                Gate::At => at.push(stage),
            }
        }
        let (mut default_plates, mut other_plates) = (Vec::new(), Vec::new());
        for (i, pattern) in config.plate_patterns.iter().enumerate() {
            let rule = Rule::compile(Kind::Plate, pattern, Replace::Match, Check::Plate, || {
                format!("plate_patterns[{i}]")
            })?;
            // A configured plate format may have any shape; only the defaults are known to
            // put a letter beside a digit.
            if DEFAULT_PLATE_PATTERNS.contains(&pattern.as_str()) {
                default_plates.push(rule);
            } else {
                other_plates.push(rule);
            }
        }
        let mut extra = Vec::with_capacity(config.extra_patterns.len());
        for (i, pattern) in config.extra_patterns.iter().enumerate() {
            extra.push(Rule::compile(
                Kind::Custom,
                pattern,
                Replace::Match,
                Check::None,
                || format!("extra_patterns[{i}]"),
            )?);
        }
        let mut stages = text;
        stages.push(Stage::new(Need::Nothing, other_plates)?);
        stages.push(Stage::new(Need::Nothing, extra)?);
        stages.extend(digit);
        stages.push(Stage::new(Need::LetterBesideDigit, default_plates)?);
        stages.extend(at);
        stages.retain(|stage| !stage.rules.is_empty());
        debug_assert!(stages.len() <= MAX_STAGES, "{} stages", stages.len());

        let mut words = Vec::new();
        let mut keyword_stage = Vec::new();
        for (i, stage) in stages.iter().enumerate() {
            for word in stage.need.keywords() {
                words.push(*word);
                keyword_stage.push(i);
            }
        }
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .map_err(|error| ScrubPatternError::Keywords {
                error: error.to_string(),
            })?;

        let mut allow = Vec::with_capacity(config.allow.len());
        for (i, pattern) in config.allow.iter().enumerate() {
            compile_one(pattern, &|| format!("allow[{i}]"))?;
            allow.push(format!("^(?:{pattern})$"));
        }
        let allow = if allow.is_empty() {
            None
        } else {
            Some(RegexSet::new(&allow).map_err(|error| ScrubPatternError::TooLarge { error })?)
        };
        let fields = FieldNames::new(
            config
                .sensitive_fields
                .iter()
                .chain(&config.extra_field_names)
                .map(String::as_str),
        );
        Ok(Self {
            inner: Some(Arc::new(Inner {
                id: NEXT_SCRUBBER_ID.fetch_add(1, Ordering::Relaxed),
                stages,
                keywords,
                keyword_stage,
                allow,
                fields,
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

    /// Returns `input` with every match replaced by a `[REDACTED:kind]` marker
    /// (`token`, `email`, `ip`, `plate`, `card`, `phone`, `custom`).
    ///
    /// Borrows `input`, allocating nothing, when there is nothing to remove. Scrubbing
    /// scrubbed text changes nothing.
    pub fn scrub<'a>(&self, input: &'a str) -> Cow<'a, str> {
        let Some(inner) = &self.inner else {
            return Cow::Borrowed(input);
        };
        if memo::get(Table::CleanText, inner.id, input).is_some() {
            return Cow::Borrowed(input);
        }
        let Some(mut out) = inner.scrub_once(input) else {
            memo::put(Table::CleanText, inner.id, input, true);
            return Cow::Borrowed(input);
        };
        // A marker can end a value early (`?key=AB12 CDE?key=`: the plate wins, and the
        // second `?key=` then follows a marker): scrub the result again until nothing changes,
        // so scrubbed text is a fixed point. Bounded: every pass only shrinks what is left.
        for _ in 0..MAX_PASSES {
            match inner.scrub_once(&out) {
                Some(again) if again != out => out = again,
                _ => break,
            }
        }
        Cow::Owned(out)
    }

    /// The value of a field or attribute named `name`, as it may leave the process:
    /// `[REDACTED:field]` for a sensitive name, otherwise [`Scrubber::scrub`]bed.
    pub fn scrub_field<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        if self.is_sensitive_field(name) {
            Cow::Borrowed(FIELD_MARKER)
        } else {
            self.scrub(value)
        }
    }

    /// [`Scrubber::is_sensitive_field`] for tracing's `&'static str` field names: the
    /// decision is remembered per name, so the log layers judge each name once.
    pub(crate) fn is_sensitive_static_field(&self, name: &'static str) -> bool {
        match &self.inner {
            Some(inner) => inner.fields.is_sensitive_static(name),
            None => false,
        }
    }

    /// Whether the value of a field with this name must be replaced entirely
    /// (`[REDACTED:field]`), whatever it looks like. See
    /// [`DEFAULT_SENSITIVE_FIELDS`] for how names match.
    pub fn is_sensitive_field(&self, name: &str) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        if let Some(known) = memo::get(Table::FieldName, inner.id, name) {
            return known;
        }
        let sensitive = inner.fields.is_sensitive(name);
        memo::put(Table::FieldName, inner.id, name, sensitive);
        sensitive
    }
}

/// What this thread recently decided about short texts, per scrubber: the values telemetry
/// repeats (camera and GPU ids, model names, routes, span names) are scrubbed once per thread,
/// and the attribute names it repeats (`camera.id`, `http.route`) judged once, not on every
/// span and line. A text is only ever compared whole, so a hit is exactly as if the scrubber had
/// run again (its result depends on the text and the scrubber alone).
///
/// Measured (span with six benign attributes): the pre-checks cost about 40 ns a value, but
/// values such as `CAM-0042` or `yolov8n@fp16.engine` pass them (a letter beside a digit, an
/// `@`) and each regex search then costs 100-300 ns; judging an attribute name (a word
/// pre-check, then the words) cost about 15 ns of the span's 177 ns, a memo hit about 5 ns.
mod memo {
    use super::RefCell;

    /// Slots per thread and table; direct-mapped by a hash of the text.
    const SLOTS: usize = 256;
    /// Longer texts are messages with variable parts; remembering them would only churn.
    const MAX_LEN: usize = 64;

    /// The two things remembered, each in its own table so neither evicts the other.
    #[derive(Clone, Copy)]
    pub(super) enum Table {
        /// Texts [`super::Scrubber::scrub`] left unchanged (only clean texts are stored).
        CleanText,
        /// Field names and whether [`super::Scrubber::is_sensitive_field`] said sensitive.
        FieldName,
    }

    #[derive(Default)]
    struct Slot {
        scrubber: u64,
        text: String,
        verdict: bool,
    }

    thread_local! {
        static CLEAN_TEXTS: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
        static FIELD_NAMES: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
    }

    /// FNV-1a: a few nanoseconds for a short text; no need to resist chosen collisions (a
    /// collision only evicts).
    fn index(scrubber: u64, text: &str) -> usize {
        let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ scrubber;
        for &b in text.as_bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        (hash >> 32) as usize % SLOTS
    }

    fn with_table<R>(table: Table, f: impl FnOnce(&RefCell<Vec<Slot>>) -> R) -> Option<R> {
        match table {
            Table::CleanText => CLEAN_TEXTS.try_with(f).ok(),
            Table::FieldName => FIELD_NAMES.try_with(f).ok(),
        }
    }

    /// The verdict remembered for `text`, if any.
    pub(super) fn get(table: Table, scrubber: u64, text: &str) -> Option<bool> {
        if text.len() > MAX_LEN {
            return None;
        }
        with_table(table, |slots| {
            let slots = slots.try_borrow().ok()?;
            let slot = slots.get(index(scrubber, text))?;
            (slot.scrubber == scrubber && slot.text == text).then_some(slot.verdict)
        })
        .flatten()
    }

    pub(super) fn put(table: Table, scrubber: u64, text: &str, verdict: bool) {
        if text.len() > MAX_LEN {
            return;
        }
        with_table(table, |slots| {
            if let Ok(mut slots) = slots.try_borrow_mut() {
                if slots.is_empty() {
                    slots.resize_with(SLOTS, Slot::default);
                }
                let slot = &mut slots[index(scrubber, text)];
                slot.scrubber = scrubber;
                slot.text.clear(); // Keeps the capacity: no allocation once warm.
                slot.text.push_str(text);
                slot.verdict = verdict;
            }
        });
    }
}

/// `text` after any leading markers and the spaces between them.
fn skip_markers(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start();
        match trimmed
            .strip_prefix("[REDACTED:")
            .and_then(|rest| rest.find(']').map(|end| &rest[end + 1..]))
        {
            Some(rest) => text = rest,
            None => return trimmed,
        }
    }
}

/// Writes `input` with each span replaced by its marker. Overlapping spans
/// are merged, so nothing leaks between them; the first span decides the
/// marker (the longest at a position, then rule order).
fn replace_spans(input: &str, mut spans: Vec<Span>) -> String {
    // A value the OpenTelemetry conventions already redacted (`sig=REDACTED` in `url.query`,
    // `REDACTED:REDACTED@` as `url.full`'s userinfo) holds nothing personal: left as the HTTP
    // layer wrote it.
    spans.retain(|&(start, end, _)| {
        !matches!(
            input.get(start..end),
            Some("REDACTED" | "REDACTED:REDACTED")
        )
    });
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
    fn values_the_conventions_already_redacted_are_left_alone() {
        assert_eq!(
            scrubber().scrub("camera=cam-7&sig=REDACTED&api_key=REDACTED&limit=5"),
            "camera=cam-7&sig=REDACTED&api_key=REDACTED&limit=5"
        );
        assert_eq!(
            scrubber().scrub("http://REDACTED:REDACTED@cam.example/a?sig=REDACTED"),
            "http://REDACTED:REDACTED@cam.example/a?sig=REDACTED"
        );
        assert_eq!(
            scrubber().scrub("sig=REDACTED&token=abc123"),
            "sig=REDACTED&token=[REDACTED:token]"
        );
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

    #[test]
    fn plates_are_found_in_any_case_and_with_separators_anywhere() {
        for plate in [
            "ab12cde",
            "ab12-cde",
            "M AB 1234",
            "m-ab1234",
            "k-ab 99",
            "ab-123cd",
            "AB 123-CD",
            "12 ABC 3",
            "12abc3",
            "1234bcd",
            "B 1234 XY",
            "wa12345",
            "KR 1234A",
            "8xyz456",
            "A12-BCD",
            "1-ABC-123",
            "456 XYZ 2A",
        ] {
            let input = format!("vehicle {plate} entered zone 3");
            assert_eq!(
                scrubber().scrub(&input),
                "vehicle [REDACTED:plate] entered zone 3",
                "plate {plate:?}"
            );
        }
        assert_eq!(
            scrubber().scrub("plate=LUVMYCR lane=2"),
            "plate=[REDACTED:plate] lane=2"
        );
    }

    #[test]
    fn identifiers_the_sdk_emits_are_not_plates() {
        for text in [
            "CAM-0042",
            "cam-0042",
            "GPU-0001",
            "RTX4090",
            "RTX 4090",
            "NVIDIA RTX A6000",
            "ERR-1042",
            "err-1042",
            "JAN-2024",
            "SEG-0042",
            "img0001.jpg",
            "base64",
            "test01",
            "in a 2 second window",
            "at 25 fps",
            "PID 12345",
            "utf8mb4",
            "fp16acc",
        ] {
            assert_untouched(text);
        }
    }

    #[test]
    fn bind_addresses_versions_and_model_files_are_kept() {
        for text in [
            "listening on 0.0.0.0:9464",
            "metrics=Some(0.0.0.0:9464) traces=Some(\"http://127.0.0.1:4317\")",
            "[::]:9464",
            "[::1]:4318",
            "TensorRT 8.6.1.6",
            "trt_version=10.0.1.6",
            "OID 1.3.6.1.4.1.343",
            "yolov8n@fp16.engine",
            "detector@int8.onnx",
            "Bearer authentication required",
            "Token expired, refreshing",
            "authorization denied for route /admin",
        ] {
            assert_untouched(text);
        }
        // A header naming an address is not a version.
        assert_eq!(
            scrubber().scrub("X-Forwarded-For: 203.0.113.195"),
            "X-Forwarded-For: [REDACTED:ip]"
        );
    }

    #[test]
    fn removes_encoded_email_cards_phones_and_url_secrets() {
        assert_eq!(
            scrubber().scrub("to jane%40example.com"),
            "to [REDACTED:email]"
        );
        assert_eq!(
            scrubber().scrub("card 4111 1111 1111 1111 ok"),
            "card [REDACTED:card] ok"
        );
        // Fails the Luhn check: an ordinary number.
        assert_untouched("order 4111 1111 1111 1112 ok");
        assert_untouched("ts=1732627371123456789");
        for phone in [
            "+44 20 7946 0958",
            "(415) 555-0132",
            "06 12 34 56 78",
            "030 12345678",
        ] {
            assert_eq!(
                scrubber().scrub(&format!("call {phone} now")),
                "call [REDACTED:phone] now",
                "{phone}"
            );
        }
        assert_untouched("on 26.11.2024 at 13:02:51");
        assert_eq!(
            scrubber().scrub("rtsp://admin:Passw0rd@cam.example/stream"),
            "rtsp://[REDACTED:token]@cam.example/stream"
        );
        assert_eq!(
            scrubber().scrub("https://x.example/a?key=AbC123&page=2"),
            "https://x.example/a?key=[REDACTED:token]&page=2"
        );
        assert_eq!(
            scrubber().scrub("Cookie: sid=31d4d96e; theme=dark"),
            "Cookie: [REDACTED:token]"
        );
        assert_eq!(
            scrubber().scrub("Authorization: Token abcdefghijklmnop"),
            "Authorization: Token [REDACTED:token]"
        );
        assert_eq!(
            scrubber().scrub("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here"),
            "key [REDACTED:token] here"
        );
        assert_untouched("commit 0a4d55a8d778e5022fab701977c5d840bbc486d0");
    }

    #[test]
    fn extra_field_names_and_the_allow_list() {
        let config = ScrubConfig {
            extra_field_names: vec!["operatorBadge".into()],
            allow: vec!["AB12 CDE".into(), "LANE-[0-9]{2}[A-Z]{3}".into()],
            ..ScrubConfig::default()
        };
        let s = Scrubber::new(&config).expect("valid config");
        assert!(s.is_sensitive_field("operator_badge"));
        assert!(s.is_sensitive_field("plate"), "the defaults stay");
        assert_eq!(
            s.scrub("AB12 CDE and XY99 ZZZ"),
            "AB12 CDE and [REDACTED:plate]"
        );
        assert_eq!(s.scrub_field("operator.badge", "42"), FIELD_MARKER);
        assert_eq!(s.scrub_field("note", "XY99 ZZZ"), "[REDACTED:plate]");

        let config = ScrubConfig {
            allow: vec!["ok".into(), "(".into()],
            ..ScrubConfig::default()
        };
        let err = Scrubber::new(&config).expect_err("unclosed group");
        assert!(err.to_string().contains("allow[1]"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn random_text_never_panics_and_scrubbing_is_idempotent(
            text in "(?s).{0,120}",
            noise in proptest::collection::vec(
                proptest::sample::select(vec![
                    "AB12 CDE", "@", "%40", "::", ".", "-", " ", "Bearer ", "token=", "4111",
                    "+44 ", "0", "ü", "rtsp://a:b@", "?key=", "Cookie: ", "eyJ", "[REDACTED:ip]",
                ]),
                0..8,
            ),
        ) {
            let mixed: String = noise.iter().copied().chain(std::iter::once(text.as_str())).collect();
            for input in [text.as_str(), mixed.as_str()] {
                let once = scrubber().scrub(input).into_owned();
                let twice = scrubber().scrub(&once).into_owned();
                proptest::prop_assert_eq!(&once, &twice, "input {:?}", input);
                let _ = scrubber().is_sensitive_field(input);
            }
        }

        /// The pre-checks only skip regexes that could not have matched: one pass with them
        /// gives what one pass of every regex gives.
        #[test]
        fn prechecks_never_change_the_result(
            text in "(?s).{0,80}",
            pieces in proptest::collection::vec(
                proptest::sample::select(PRECHECK_PIECES.to_vec()),
                0..6,
            ),
        ) {
            let inner = scrubber().inner.as_ref().expect("enabled");
            let mixed: String = pieces.iter().copied().chain(std::iter::once(text.as_str())).collect();
            for input in [text.as_str(), mixed.as_str()] {
                proptest::prop_assert_eq!(
                    inner.scrub_once_checked(input, true),
                    inner.scrub_once_checked(input, false),
                    "input {:?}", input
                );
            }
        }
    }

    #[test]
    fn prechecks_never_change_the_result_for_pairs_of_pieces() {
        let inner = scrubber().inner.as_ref().expect("enabled");
        for a in PRECHECK_PIECES {
            for b in PRECHECK_PIECES {
                for input in [format!("{a}{b}"), format!("{a} {b}")] {
                    assert_eq!(
                        inner.scrub_once_checked(&input, true),
                        inner.scrub_once_checked(&input, false),
                        "input {input:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_text_remembered_as_clean_is_clean_only_for_its_own_scrubber() {
        let text = "site SEG-ZZ19";
        assert_eq!(scrubber().scrub(text), text);
        assert_eq!(scrubber().scrub(text), text, "remembered");
        let custom = Scrubber::new(&ScrubConfig {
            extra_patterns: vec!["SEG-[A-Z]{2}[0-9]{2}".to_owned()],
            ..ScrubConfig::default()
        })
        .expect("valid");
        assert_eq!(custom.scrub(text), "site [REDACTED:custom]");
        assert_eq!(
            custom.scrub(text),
            "site [REDACTED:custom]",
            "never remembered"
        );
    }

    #[test]
    fn a_field_name_judged_once_is_judged_per_scrubber() {
        let name = "stationCode";
        assert!(!scrubber().is_sensitive_field(name));
        assert!(!scrubber().is_sensitive_field(name), "remembered");
        let custom = Scrubber::new(&ScrubConfig {
            extra_field_names: vec!["station_code".to_owned()],
            ..ScrubConfig::default()
        })
        .expect("valid");
        assert!(custom.is_sensitive_field(name));
        assert!(custom.is_sensitive_field(name), "remembered as sensitive");
        assert!(
            !scrubber().is_sensitive_field(name),
            "still its own verdict"
        );
    }

    /// Fragments that come close to each rule's pre-check, so the proptest above explores
    /// both sides of it.
    const PRECHECK_PIECES: &[&str] = &[
        "AB12 CDE",
        "ab-123-cd",
        "M-AB 1234",
        "LÖ-X 12",
        "1234 BCD",
        "ſ",
        "\u{212a}",
        "@",
        "%40",
        "ops",
        ".example.com",
        "::",
        ":",
        "1:2:3:4:5:6:7:8",
        "10.1.2.3",
        "4111 1111 1111 1111",
        "378282246310005",
        "+44 20 7946 0958",
        "(415) 555-0132",
        "030 12345678",
        "eyJ",
        "hbGciOiJ.eyJzdWIi.sig",
        "-----BEGIN RSA PRIVATE KEY-----",
        "AKIA",
        "ASIAABCDEFGHIJKLMNOP",
        "sk-",
        "ghp_",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Authorization: ",
        "Bearer ",
        "Basic ",
        "Token ",
        "Cookie: ",
        "api_key=",
        "passwd: ",
        "x-amz-credential",
        "?sig=",
        "&code=",
        "rtsp://admin:pw@",
        "plate=",
        "kenteken: ",
        " ",
        "-",
        "=",
        "\"",
    ];
}
