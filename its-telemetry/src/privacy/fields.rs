//! Judging a field or attribute by its name: `plateNumber`, `x-api-key`, `http.request.header.cookie`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::AhoCorasick;

/// Field names whose values are replaced entirely, whatever they contain.
///
/// Names are compared as words: a field name is split at `_`, `-`, `.`, spaces and camelCase
/// humps and lower-cased (`plateNumber`, `plate-number`, `PLATE_NUMBER` are all
/// `plate number`). An entry matches when its words appear in the name and everything after
/// them is a value suffix such as `number`, `id`, `text`, `value`, `raw`, `address`
/// (`licence_plate_text`, `user.email`, `client_secret`, `session_id`), so counts and flags
/// about the thing (`plates_seen`, `plate_count`, `token_expiry`, `max_tokens`) are kept.
/// An entry written `*word*` matches wherever the word appears (`aws_secret_access_key`,
/// `db_password_file`).
pub const DEFAULT_SENSITIVE_FIELDS: &[&str] = &[
    // Vehicles.
    "plate",
    "licence_plate",
    "license_plate",
    "kennzeichen",
    "kenteken",
    "immatriculation",
    "vrm",
    // People and how to reach them.
    "email",
    "e_mail",
    "mail",
    "phone",
    "telephone",
    "mobile",
    "msisdn",
    "username",
    "user_name",
    "full_name",
    "ssn",
    "iban",
    "credit_card",
    "card_number",
    "cvv",
    "cvc",
    // Network identity of a client (the service's own addresses are not sensitive).
    "client_ip",
    "client_address",
    "client_addr",
    "remote_addr",
    "remote_address",
    "remote_ip",
    "peer_ip",
    "source_ip",
    "src_ip",
    "forwarded_for",
    "real_ip",
    // Credentials and sessions.
    "*password*",
    "*passwd*",
    "*passphrase*",
    "pwd",
    "*secret*",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "*authorization*",
    "auth",
    "*cookie*",
    "*credential*",
    "*credentials*",
    "session",
    "sessionid",
    "signature",
    "sig",
];

/// Words that may follow a sensitive name and still name its value.
const VALUE_SUFFIXES: &[&str] = &[
    "number", "no", "nr", "num", "text", "txt", "value", "val", "string", "str", "raw", "id",
    "addr", "address", "header", "hdr", "list", "b64", "base64", "encoded", "plain", "full",
    "original", "orig", "key",
];

/// Most words a field name is split into on the stack; longer names are judged on their
/// first words (an allocation-free fast path) and then again in full.
const STACK_WORDS: usize = 16;

#[derive(Debug)]
struct Term {
    /// Words after the first one.
    rest: Box<[Box<str>]>,
    anywhere: bool,
}

/// The configured sensitive names, indexed by their first word.
#[derive(Debug, Default)]
pub(super) struct FieldNames {
    by_first_word: HashMap<Box<str>, Vec<Term>>,
    /// The longest word of every configured name, ASCII case-insensitively: a name that
    /// contains none of them cannot match, and is judged by one scan instead of being split
    /// into words and hashed word by word (most field names: `camera_id`, `http.route`).
    any_word: Option<AhoCorasick>,
    /// Decisions about `&'static str` names (tracing's field names), see [`StaticNames`].
    cache: StaticNames,
}

impl FieldNames {
    pub(super) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_first_word: HashMap<Box<str>, Vec<Term>> = HashMap::new();
        let mut longest_words = Vec::new();
        for name in names {
            let (anywhere, bare) = match name.strip_prefix('*').and_then(|n| n.strip_suffix('*')) {
                Some(bare) => (true, bare),
                None => (false, name),
            };
            let mut words = Vec::new();
            split_words(bare, |w| {
                words.push(w.to_ascii_lowercase().into_boxed_str())
            });
            let Some((first, rest)) = words.split_first() else {
                continue;
            };
            if let Some(longest) = words.iter().max_by_key(|w| w.len()) {
                longest_words.push(longest.clone());
            }
            by_first_word.entry(first.clone()).or_default().push(Term {
                rest: rest.to_vec().into_boxed_slice(),
                anywhere,
            });
        }
        // Without the pre-check every name is judged in full: slower, never wrong.
        let any_word = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(longest_words.iter().map(|w| w.as_bytes()))
            .ok();
        Self {
            by_first_word,
            any_word,
            cache: StaticNames::default(),
        }
    }

    /// [`FieldNames::is_sensitive`] for a name that lives for the whole program, remembered
    /// by its address: tracing's field names are `&'static str`, so a service judges each of
    /// its few hundred names once rather than on every event.
    pub(super) fn is_sensitive_static(&self, name: &'static str) -> bool {
        if let Some(known) = self.cache.get(name) {
            return known;
        }
        let sensitive = self.is_sensitive(name);
        self.cache.put(name, sensitive);
        sensitive
    }

    /// Whether a field of this name holds sensitive data.
    pub(super) fn is_sensitive(&self, name: &str) -> bool {
        // Every configured name's words must appear in `name`; its longest word is the
        // rarest, so most names stop here.
        if self
            .any_word
            .as_ref()
            .is_some_and(|words| !words.is_match(name))
        {
            return false;
        }
        let mut stack: [&str; STACK_WORDS] = [""; STACK_WORDS];
        let mut n = 0;
        let mut overflow = false;
        split_words(name, |w| {
            if n < STACK_WORDS {
                stack[n] = w;
                n += 1;
            } else {
                overflow = true;
            }
        });
        if overflow {
            let mut words = Vec::new();
            split_words(name, |w| words.push(w));
            return self.judge(&words);
        }
        self.judge(&stack[..n])
    }

    fn judge(&self, words: &[&str]) -> bool {
        let mut lower = [0u8; 32];
        for (i, word) in words.iter().enumerate() {
            if word.len() > lower.len() {
                continue; // No sensitive word is that long.
            }
            let key = &mut lower[..word.len()];
            key.copy_from_slice(word.as_bytes());
            key.make_ascii_lowercase();
            let Ok(key) = std::str::from_utf8(key) else {
                continue;
            };
            let Some(terms) = self.by_first_word.get(key) else {
                continue;
            };
            for term in terms {
                let end = i + 1 + term.rest.len();
                let Some(following) = words.get(i + 1..end) else {
                    continue;
                };
                let same = following
                    .iter()
                    .zip(term.rest.iter())
                    .all(|(w, t)| w.eq_ignore_ascii_case(t));
                if !same {
                    continue;
                }
                if term.anywhere
                    || words[end..]
                        .iter()
                        .all(|w| VALUE_SUFFIXES.iter().any(|s| s.eq_ignore_ascii_case(w)))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// Slots in [`StaticNames`]; a service's hot field names fit, and a collision only costs a
/// judgement.
const STATIC_SLOTS: usize = 128;

/// A lock-free, direct-mapped memo of decisions about `&'static str` names. Each slot holds
/// the name's address, its length and the decision in one `u64`, written and read whole, so
/// a reader sees either a complete entry or another name's (and then judges again). The same
/// address and length always mean the same text: `'static` text is never freed or changed.
#[derive(Debug)]
struct StaticNames {
    slots: Box<[AtomicU64]>,
}

impl Default for StaticNames {
    fn default() -> Self {
        Self {
            slots: (0..STATIC_SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl StaticNames {
    /// `address << 16 | length << 1`, or `None` where they do not fit (no cache then).
    /// User-space addresses are below 2^47 on x86-64 and (48-bit) AArch64.
    fn key(name: &'static str) -> Option<u64> {
        let address = name.as_ptr() as usize as u64;
        let length = name.len() as u64;
        (address < 1 << 47 && length > 0 && length < 1 << 15).then_some(address << 16 | length << 1)
    }

    fn slot(&self, key: u64) -> &AtomicU64 {
        // Fibonacci hashing: the top bits of the product mix every bit of the key.
        let index = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57) as usize % self.slots.len();
        &self.slots[index]
    }

    fn get(&self, name: &'static str) -> Option<bool> {
        let key = Self::key(name)?;
        let entry = self.slot(key).load(Ordering::Relaxed);
        (entry & !1 == key).then_some(entry & 1 == 1)
    }

    fn put(&self, name: &'static str, sensitive: bool) {
        if let Some(key) = Self::key(name) {
            self.slot(key)
                .store(key | u64::from(sensitive), Ordering::Relaxed);
        }
    }
}

/// Calls `f` with each word of a field name: split at anything not alphanumeric and at
/// camelCase humps (`plateNumber` → `plate`, `Number`; `APIKey` → `API`, `Key`;
/// `x-api-key` → `x`, `api`, `key`).
pub(super) fn split_words<'a>(name: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = name.as_bytes();
    let mut start = None::<usize>;
    for (i, &b) in bytes.iter().enumerate() {
        let alnum = b.is_ascii_alphanumeric() || b >= 0x80;
        match start {
            None if alnum => start = Some(i),
            None => {}
            Some(s) if !alnum => {
                f(&name[s..i]);
                start = None;
            }
            Some(s) => {
                let prev = bytes[i - 1];
                let hump = prev.is_ascii_lowercase() && b.is_ascii_uppercase();
                let acronym_end = prev.is_ascii_uppercase()
                    && b.is_ascii_uppercase()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
                if hump || (acronym_end && i > s) {
                    f(&name[s..i]);
                    start = Some(i);
                }
            }
        }
    }
    if let Some(s) = start {
        f(&name[s..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<&str> {
        let mut out = Vec::new();
        split_words(name, |w| out.push(w));
        out
    }

    #[test]
    fn splits_separators_and_humps() {
        assert_eq!(words("plateNumber"), ["plate", "Number"]);
        assert_eq!(words("x-api-key"), ["x", "api", "key"]);
        assert_eq!(words("APIKey"), ["API", "Key"]);
        assert_eq!(
            words("http.request.header.cookie"),
            ["http", "request", "header", "cookie"]
        );
        assert_eq!(words("__a__"), ["a"]);
        assert_eq!(words(""), Vec::<&str>::new());
        assert_eq!(words("größe_ü"), ["größe", "ü"]);
    }

    #[test]
    fn judges_names_by_words_and_value_suffixes() {
        let names = FieldNames::new(DEFAULT_SENSITIVE_FIELDS.iter().copied());
        for sensitive in [
            "plate",
            "plate_number",
            "plateNumber",
            "PLATE_NUMBER",
            "licence_plate_text",
            "vehicle.plate",
            "e_mail",
            "user.email",
            "passwd",
            "pwd",
            "apikey",
            "x-api-key",
            "X-Api-Key",
            "cookie",
            "http.request.header.cookie",
            "set_cookie",
            "private_key",
            "client_secret",
            "aws_secret_access_key",
            "client_secret_value",
            "session_id",
            "sessionId",
            "phone",
            "phone_number",
            "client_ip",
            "client.address",
            "remote_addr",
            "credit_card",
            "credit_card_number",
            "Authorization",
            "proxy-authorization",
            "access_token",
            "refresh_token",
            "db_password_file",
        ] {
            assert!(
                names.is_sensitive(sensitive),
                "{sensitive} should be sensitive"
            );
        }
        for benign in [
            "camera_id",
            "plates_seen",
            "plate_count",
            "plate_confidence",
            "emailed",
            "max_tokens",
            "token_expiry",
            "token_count",
            "xtoken",
            "mail_server",
            "session_count",
            "server.address",
            "bind_address",
            "gpu_id",
            "model",
            "frames",
            "auth_method",
            "phone_home_enabled",
            "",
        ] {
            assert!(
                !names.is_sensitive(benign),
                "{benign} should not be sensitive"
            );
        }
    }

    #[test]
    fn very_long_names_are_judged_in_full() {
        let names = FieldNames::new(["password"]);
        let long = format!("{}password", "a_".repeat(40));
        assert!(names.is_sensitive(&long));
        assert!(!names.is_sensitive(&"a_".repeat(40)));
    }

    #[test]
    fn the_pre_check_and_the_static_cache_agree_with_the_full_judgement() {
        let names = FieldNames::new(DEFAULT_SENSITIVE_FIELDS.iter().copied());
        let full = |name: &str| {
            let mut words = Vec::new();
            split_words(name, |w| words.push(w));
            names.judge(&words)
        };
        const NAMES: &[&str] = &[
            "camera_id",
            "http.route",
            "plateNumber",
            "PLATE_TEXT",
            "plates_seen",
            "user.email",
            "e-mail",
            "x-api-key",
            "session_id",
            "max_tokens",
            "db_password_file",
            "token",
            "Cookie",
            "http.request.header.cookie",
            "full_name",
            "model.name",
            "sig",
            "signal",
            "AuthToken",
            "auth",
            "author",
            "phone",
            "iphone_model",
            "",
        ];
        for &name in NAMES {
            let expected = full(name);
            assert_eq!(names.is_sensitive(name), expected, "{name}");
            // Twice: the first call fills the cache, the second reads it.
            assert_eq!(names.is_sensitive_static(name), expected, "{name} (judged)");
            assert_eq!(names.is_sensitive_static(name), expected, "{name} (cached)");
        }
        // The same text at another address, and a prefix of a cached name at its address,
        // are judged for themselves.
        let owned: &'static str = Box::leak("plate".to_owned().into_boxed_str());
        assert!(names.is_sensitive_static(owned));
        let count: &'static str = "plate_count";
        assert!(!names.is_sensitive_static(count));
        assert!(
            names.is_sensitive_static(&count[..5]),
            "`plate`, at the same address"
        );
        assert!(
            !names.is_sensitive_static(count),
            "still judged by its whole length"
        );
    }
}
